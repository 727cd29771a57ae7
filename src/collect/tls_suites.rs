//! The IANA TLS cipher suite registry (`tls-cipher-suites.txt`): names for the suites a server
//! picks, and the list the prober offers.

use std::sync::OnceLock;

/// Every assigned suite, sorted by value.
fn registry() -> &'static [(u16, &'static str)] {
    static SUITES: OnceLock<Vec<(u16, &'static str)>> = OnceLock::new();
    SUITES.get_or_init(|| {
        let mut suites: Vec<(u16, &'static str)> = include_str!("tls-cipher-suites.txt")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (id, name) = line.split_once(' ').expect("`0xVALUE NAME` lines");
                let id = id.strip_prefix("0x").expect("hex value");
                (u16::from_str_radix(id, 16).expect("hex value"), name.trim())
            })
            .collect();
        suites.sort_unstable();
        suites
    })
}

/// The registry's name of suite `id`.
pub fn name(id: u16) -> Option<&'static str> {
    let suites = registry();
    suites
        .binary_search_by_key(&id, |(value, _)| *value)
        .ok()
        .map(|i| suites[i].1)
}

/// The value of the suite the registry calls `name`.
pub fn id(name: &str) -> Option<u16> {
    registry()
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(value, _)| *value)
}

/// Every assigned value, ascending.
pub fn ids() -> impl Iterator<Item = u16> {
    registry().iter().map(|(value, _)| *value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_names_suites_both_ways_and_lists_each_value_once() {
        assert_eq!(name(0xC02F), Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assert_eq!(name(0x1301), Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(name(0x0017), Some("TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"));
        assert_eq!(name(0x5600), Some("TLS_FALLBACK_SCSV"));
        assert_eq!(name(0x0047), None);
        assert_eq!(id("TLS_RSA_WITH_3DES_EDE_CBC_SHA"), Some(0x000A));
        assert_eq!(id("TLS_NO_SUCH_SUITE"), None);
        let all: Vec<u16> = ids().collect();
        assert_eq!(all.len(), 352);
        assert!(
            all.windows(2).all(|w| w[0] < w[1]),
            "a value is listed twice"
        );
        for value in all {
            assert_eq!(id(name(value).unwrap()), Some(value), "{value:#06x}");
        }
    }
}
