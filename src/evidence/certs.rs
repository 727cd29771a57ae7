//! Facts about certificates, keys and key stores, computed once from their bytes. Nothing here
//! keeps key material: a private key is described by its type and whether it is encrypted.

use serde::Serialize;
use std::sync::{LazyLock, Mutex};
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// One X.509 certificate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CertFacts {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// `not_after` as `YYYY-MM-DD HH:MM:SS UTC`.
    pub expires: String,
    /// Whole days from the scan to `not_after` (negative once expired).
    pub days_left: i64,
    pub expired: bool,
    pub validity_days: i64,
    /// `rsa`, `ec`, `ed25519`, `ed448`, `dsa` or `other`.
    pub key_type: String,
    pub key_bits: i64,
    pub curve: String,
    /// Signature algorithm name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// The hash of the signature: `md5`, `sha1`, `sha256`, … (empty when not recognised).
    pub signature_hash: String,
    pub is_ca: bool,
    /// Issuer equals subject (a root or a self-signed leaf).
    pub self_issued: bool,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    /// Extended key usage: present at all, and its serverAuth / clientAuth / any purposes.
    pub eku_present: bool,
    pub eku_server_auth: bool,
    pub eku_client_auth: bool,
    /// SHA-256 of the DER encoding, hex.
    pub sha256: String,
    #[serde(skip)]
    pub der: Vec<u8>,
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// A serial number as x509-parser spells it (`0a:1b:…`), without a `format!` per byte.
fn serial_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        data_encoding::HEXLOWER.encode_append(std::slice::from_ref(b), &mut out);
    }
    out
}

/// Bits of an RSA modulus, counted from its bytes (x509-parser rounds odd sizes down).
fn rsa_bits(modulus: &[u8]) -> i64 {
    let trimmed: Vec<u8> = modulus.iter().copied().skip_while(|b| *b == 0).collect();
    match trimmed.first() {
        Some(first) => (trimmed.len() * 8) as i64 - i64::from(first.leading_zeros()),
        None => 0,
    }
}

fn hash_of(signature_algorithm: &str) -> String {
    let s = signature_algorithm.to_ascii_lowercase();
    for h in [
        "md2", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3",
    ] {
        if s.starts_with(h) || s.contains(&format!("with{h}")) || s.contains(&format!("-{h}")) {
            return h.to_string();
        }
    }
    if s.contains("ed25519") || s.contains("ed448") {
        return "eddsa".to_string();
    }
    String::new()
}

/// Names of signature algorithms the OID registry may not know (weak ones above all).
fn signature_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "sha1WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        _ => return None,
    })
}

fn format_time(ts: i64) -> String {
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn parse_certificate(der: &[u8], now: i64) -> Result<CertFacts, String> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
    let registry = x509_parser::objects::oid_registry();
    let name_of = |oid: &Oid| {
        x509_parser::objects::oid2sn(oid, registry)
            .map(str::to_string)
            .unwrap_or_else(|_| oid.to_id_string())
    };
    let spki = cert.public_key();
    let (key_type, key_bits, curve) = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("rsa", rsa_bits(rsa.modulus), String::new()),
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| name_of(&oid))
                .unwrap_or_default();
            ("ec", point.key_size() as i64, curve)
        }
        Ok(PublicKey::DSA(y)) => ("dsa", (y.len() * 8) as i64, String::new()),
        _ => {
            let alg = name_of(&spki.algorithm.algorithm).to_ascii_lowercase();
            if alg.contains("25519") {
                ("ed25519", 256, String::new())
            } else if alg.contains("448") {
                ("ed448", 448, String::new())
            } else {
                ("other", 0, String::new())
            }
        }
    };
    let signature_algorithm = signature_name(&cert.signature_algorithm.algorithm.to_id_string())
        .map(str::to_string)
        .unwrap_or_else(|| name_of(&cert.signature_algorithm.algorithm));
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => dns_names.push(d.to_string()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                        ip_addresses.push(std::net::Ipv4Addr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                        ip_addresses.push(std::net::Ipv6Addr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let eku = cert.extended_key_usage().ok().flatten();
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    Ok(CertFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: serial_text(cert.raw_serial()),
        not_before,
        not_after,
        expires: format_time(not_after),
        days_left: (not_after - now).div_euclid(86_400),
        expired: not_after < now,
        validity_days: (not_after - not_before) / 86_400,
        key_type: key_type.to_string(),
        key_bits,
        curve,
        signature_hash: hash_of(&signature_algorithm),
        signature_algorithm,
        is_ca: cert.is_ca(),
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        dns_names,
        ip_addresses,
        eku_present: eku.is_some(),
        eku_server_auth: eku
            .as_ref()
            .is_some_and(|e| e.value.server_auth || e.value.any),
        eku_client_auth: eku
            .as_ref()
            .is_some_and(|e| e.value.client_auth || e.value.any),
        sha256: hex(digest.as_ref()),
        der: der.to_vec(),
    })
}

/// Whether `cert` carries a valid signature by `issuer`'s key. `None` when it cannot be
/// decided (unparsable, or an algorithm or key size the crypto library refuses).
pub fn signed_by(cert: &CertFacts, issuer: &CertFacts) -> Option<bool> {
    // A node's leaf is checked against its CA once per TLS layer that names them (and per scan
    // of a live endpoint serving it): the verdict is remembered by the two certificates'
    // contents, for a while.
    type Verdicts = foldhash::HashMap<(String, String), Option<bool>>;
    static VERIFIED: LazyLock<Mutex<Verdicts>> = LazyLock::new(Default::default);
    const REMEMBERED: usize = 4096;
    let key = (cert.sha256.clone(), issuer.sha256.clone());
    if let Some(verdict) = VERIFIED.lock().ok().and_then(|v| v.get(&key).copied()) {
        return verdict;
    }
    let verdict = verify_signed_by(cert, issuer);
    if let Ok(mut verified) = VERIFIED.lock() {
        if verified.len() >= REMEMBERED {
            verified.clear();
        }
        verified.insert(key, verdict);
    }
    verdict
}

fn verify_signed_by(cert: &CertFacts, issuer: &CertFacts) -> Option<bool> {
    let (_, c) = X509Certificate::from_der(&cert.der).ok()?;
    let (_, i) = X509Certificate::from_der(&issuer.der).ok()?;
    if c.issuer().as_raw() != i.subject().as_raw() {
        return Some(false);
    }
    match c.verify_signature(Some(i.public_key())) {
        Ok(()) => Some(true),
        Err(x509_parser::error::X509Error::SignatureVerificationError) => Some(false),
        Err(_) => None,
    }
}

/// Whether a certificate's names cover `host` (DNS name with `*.` wildcards, or IP address).
pub fn name_matches(cert: &CertFacts, host: &str) -> bool {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return cert.ip_addresses.iter().any(|ip| {
            ip.parse::<std::net::IpAddr>().ok() == host.parse::<std::net::IpAddr>().ok()
        });
    }
    cert.dns_names.iter().any(|name| {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match name.strip_prefix("*.") {
            Some(suffix) => host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
            // A short name (a node name, say) is covered by the FQDN that starts with it.
            None => {
                name == host
                    || (!host.contains('.')
                        && name.split_once('.').is_some_and(|(first, _)| first == host))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_bits_counts_odd_sizes() {
        assert_eq!(rsa_bits(&[0x00, 0x80, 0, 0]), 24);
        assert_eq!(rsa_bits(&[0x7f, 0xff]), 15);
        assert_eq!(rsa_bits(&[0x01]), 1);
    }

    #[test]
    fn signature_hashes() {
        assert_eq!(hash_of("sha1WithRSAEncryption"), "sha1");
        assert_eq!(hash_of("md5WithRSAEncryption"), "md5");
        assert_eq!(hash_of("ecdsa-with-SHA256"), "sha256");
        assert_eq!(hash_of("sha256WithRSAEncryption"), "sha256");
    }

    #[test]
    fn serial_and_fingerprint_are_spelled_as_x509_parser_and_sha256sum_do() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["es01".to_string()]).unwrap();
        params.serial_number = Some(vec![0x00, 0x0a, 0xff, 0x10].into());
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let facts = parse_certificate(&der, now()).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(facts.serial, parsed.raw_serial_as_string());
        assert_eq!(facts.serial.len(), parsed.raw_serial().len() * 3 - 1);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
        let spelled: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(facts.sha256, spelled);
    }

    #[test]
    fn names_match_exactly_by_wildcard_or_by_short_name() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec![
            "es01.corp.example.com".to_string(),
            "*.nodes.example.com".to_string(),
            "10.0.0.5".to_string(),
        ])
        .unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let cert = parse_certificate(&der, now()).unwrap();
        for host in [
            "es01.corp.example.com",
            "es01",
            "a.nodes.example.com",
            "10.0.0.5",
        ] {
            assert!(name_matches(&cert, host), "{host}");
        }
        for host in [
            "es02",
            "es01.other.example.com",
            "nodes.example.com",
            "10.0.0.6",
            "corp",
        ] {
            assert!(!name_matches(&cert, host), "{host}");
        }
    }

    #[test]
    fn civil_time() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_798_761_599), "2026-12-31 23:59:59 UTC");
    }
}
