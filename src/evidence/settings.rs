//! Node settings: explicit values with their positions, and the effective value of a setting
//! (explicit, or the default of the node's version).

use super::{EsVersion, Location};
use serde::Serialize;
use std::collections::BTreeMap;

/// A setting's value as Elasticsearch would type it. Booleans are recognised from their text
/// (quoted or not, as Elasticsearch parses strings); everything else stays text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum SettingValue {
    Bool(bool),
    Text(String),
    List(Vec<String>),
}

impl SettingValue {
    pub fn from_text(text: &str) -> SettingValue {
        if text.eq_ignore_ascii_case("true") {
            SettingValue::Bool(true)
        } else if text.eq_ignore_ascii_case("false") {
            SettingValue::Bool(false)
        } else {
            SettingValue::Text(text.to_string())
        }
    }

    /// The value as a list: sequences as they are, comma strings split, a scalar alone.
    pub fn as_list(&self) -> Vec<String> {
        match self {
            SettingValue::List(items) => items.clone(),
            SettingValue::Text(t) => t
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            SettingValue::Bool(b) => vec![b.to_string()],
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            SettingValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            SettingValue::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl std::fmt::Display for SettingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingValue::Bool(b) => write!(f, "{b}"),
            SettingValue::Text(t) => write!(f, "{t}"),
            SettingValue::List(items) => write!(f, "[{}]", items.join(", ")),
        }
    }
}

/// One occurrence of a setting in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Setting {
    pub key: String,
    /// The value after `${VAR:default}` placeholders were replaced by their defaults.
    pub value: SettingValue,
    /// Environment variables the value needs and that have no default: the value cannot be
    /// judged from the file alone.
    pub unresolved: Vec<String>,
    /// True when any part of the value comes from a `${…}` placeholder.
    pub from_placeholder: bool,
    /// Where the key is written.
    pub location: Location,
    /// 1 for the first occurrence of this key in the file, 2 for a repeat, …
    pub occurrence: usize,
}

/// Every explicit setting of a node, in file order, repeats included.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Settings {
    pub entries: Vec<Setting>,
    #[serde(skip)]
    last: BTreeMap<String, usize>,
}

impl Settings {
    pub fn push(&mut self, mut setting: Setting) {
        // From the key's last occurrence, not a scan of every entry: a file with many keys
        // would take quadratic time.
        setting.occurrence = self
            .last
            .get(&setting.key)
            .and_then(|&i| self.entries.get(i))
            .filter(|s| s.key == setting.key)
            .map_or(1, |s| s.occurrence + 1);
        self.last.insert(setting.key.clone(), self.entries.len());
        self.entries.push(setting);
    }

    /// The explicit setting (its last occurrence).
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.last.get(key).map(|&i| &self.entries[i])
    }

    pub fn value(&self, key: &str) -> Option<&SettingValue> {
        self.get(key).map(|s| &s.value)
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        self.value(key).and_then(SettingValue::as_bool)
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(SettingValue::as_text)
    }

    /// Distinct keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.last.keys()
    }

    /// Distinct keys that start with `prefix`.
    pub fn keys_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a String> {
        self.last
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k)
    }

    pub fn any_with_prefix(&self, prefix: &str) -> bool {
        self.keys_with_prefix(prefix).next().is_some()
    }
}

/// Settings a source holds back: the nodes info API (`_nodes/settings`) filters every setting
/// Elasticsearch marks `Filtered`, so a key absent from its answer may still be set on the node.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HiddenSettings {
    /// Why such a key cannot be read, in words for the report.
    pub reason: String,
    /// Extra patterns the cluster hides (`xpack.security.hide_settings`; `*` matches any text).
    pub patterns: Vec<String>,
}

impl HiddenSettings {
    /// The nodes info API's filter, as Elasticsearch 7.x-9.x applies it.
    pub fn nodes_info(hide_settings: Vec<String>) -> HiddenSettings {
        HiddenSettings {
            reason: "the nodes info API (_nodes/settings) does not return it; scan the node's \
                     elasticsearch.yml to judge it"
                .into(),
            patterns: hide_settings,
        }
    }

    /// Whether `key` may be set on the node without showing in the source.
    pub fn hides(&self, key: &str) -> bool {
        hides(key, &self.patterns)
    }
}

/// Whether the nodes info API, with these `hide_settings` patterns, holds `key` back.
pub fn hides(key: &str, patterns: &[String]) -> bool {
    filtered_by_nodes_info(key) || patterns.iter().any(|p| simple_match(p, key))
}

/// Settings `_nodes/settings` never returns: every TLS sub-setting but `enabled` (stores,
/// keys, certificates, trust, protocols, ciphers, verification and client authentication are
/// all `Property.Filtered` in Elasticsearch's SSL settings), realm bind DN, bind password and
/// hostname verification, the security settings of transport profiles, and secure settings
/// (which live in the keystore).
pub fn filtered_by_nodes_info(key: &str) -> bool {
    if let Some(i) = key.find(".ssl.") {
        return &key[i + 5..] != "enabled";
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    (key.starts_with("xpack.security.authc.realms.")
        && matches!(last, "bind_dn" | "bind_password" | "hostname_verification"))
        || (key.starts_with("transport.profiles.") && key.contains(".xpack.security."))
        || last.starts_with("secure_")
}

/// Elasticsearch's simple wildcard match: `*` stands for any text, nothing else is special.
fn simple_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Replaces `${VAR}` / `${VAR:default}` placeholders by their defaults. Returns the text, the
/// variables that have no default, and whether any placeholder was present.
pub fn substitute_placeholders(text: &str) -> (String, Vec<String>, bool) {
    let mut out = String::with_capacity(text.len());
    let mut unresolved = Vec::new();
    let mut found = false;
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        found = true;
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + len];
        match inner.split_once(':') {
            Some((_, default)) => out.push_str(default),
            None => unresolved.push(inner.to_string()),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    (out, unresolved, found)
}

/// A default that depends on the node: the version line, another setting, or the licence.
pub struct DefaultContext<'a> {
    pub version: EsVersion,
    pub settings: &'a Settings,
    /// The cluster's licence type, when its API reported it.
    pub license: Option<&'a str>,
}

impl DefaultContext<'_> {
    fn http_tls(&self) -> bool {
        self.settings
            .bool("xpack.security.http.ssl.enabled")
            .unwrap_or(false)
    }
    fn fips(&self) -> bool {
        self.settings
            .bool("xpack.security.fips_mode.enabled")
            .unwrap_or(false)
    }
}

/// Default TLS protocol list of a version line (`supported_protocols` when unset).
pub fn default_protocols(version: EsVersion) -> Vec<String> {
    let list: &[&str] = match version.major {
        0..=6 => &["TLSv1.2", "TLSv1.1", "TLSv1"],
        7 | 8 => &["TLSv1.3", "TLSv1.2", "TLSv1.1"],
        _ => &["TLSv1.3", "TLSv1.2"],
    };
    list.iter().map(|s| s.to_string()).collect()
}

/// Whether a 6.x/7.x licence type turns security on when `xpack.security.enabled` is unset.
pub fn license_secures(license: &str) -> bool {
    matches!(
        license.to_ascii_lowercase().as_str(),
        "gold" | "platinum" | "enterprise"
    )
}

/// Audit event types recorded when `events.include` is unset.
pub const DEFAULT_AUDIT_EVENTS: &[&str] = &[
    "access_denied",
    "access_granted",
    "anonymous_access_denied",
    "authentication_failed",
    "connection_denied",
    "tampered_request",
    "run_as_denied",
    "run_as_granted",
    "security_config_change",
];

/// The default of a node-wide setting, for the settings whose default matters to a rule.
/// `None` means the setting has no default (or one that is unknown without a live cluster).
pub fn default_value(key: &str, ctx: &DefaultContext) -> Option<SettingValue> {
    use SettingValue::{Bool, List, Text};
    let v = ctx.version;
    Some(match key {
        // 6.x/7.x: on for Gold and above, off on Basic and Trial unless set. Offline the
        // licence is unknown and an unset value is judged as off (see ES-SEC-002).
        "xpack.security.enabled" => Bool(v.major >= 8 || ctx.license.is_some_and(license_secures)),
        "xpack.security.http.ssl.enabled" | "xpack.security.transport.ssl.enabled" => Bool(false),
        "xpack.security.autoconfiguration.enabled" if v.major >= 8 => Bool(true),
        "xpack.security.enrollment.enabled" if v.major >= 8 => Bool(false),
        "xpack.security.fips_mode.enabled" => Bool(false),
        "xpack.security.audit.enabled" => Bool(false),
        "xpack.security.audit.logfile.events.include" => List(
            DEFAULT_AUDIT_EVENTS
                .iter()
                .filter(|e| {
                    **e != "security_config_change"
                        || v >= EsVersion {
                            major: 7,
                            minor: 11,
                        }
                })
                .map(|s| s.to_string())
                .collect(),
        ),
        "xpack.security.audit.logfile.events.exclude" => List(vec![]),
        "xpack.security.audit.logfile.events.emit_request_body" => Bool(false),
        "xpack.security.transport.filter.enabled" | "xpack.security.http.filter.enabled" => {
            Bool(true)
        }
        "xpack.security.filter.always_allow_bound_address" => Bool(true),
        "xpack.security.authc.anonymous.roles" => List(vec![]),
        "xpack.security.authc.anonymous.authz_exception" => Bool(true),
        "xpack.security.authc.token.enabled" => Bool(ctx.http_tls()),
        "xpack.security.authc.api_key.enabled" => Bool(v.major >= 8 || ctx.http_tls()),
        "xpack.security.authc.password_hashing.algorithm" => Text(
            if ctx.fips() && v.major >= 8 {
                "pbkdf2_stretch"
            } else {
                "bcrypt"
            }
            .into(),
        ),
        "xpack.security.authc.api_key.hashing.algorithm" => {
            Text(if v.major >= 9 { "ssha256" } else { "pbkdf2" }.into())
        }
        "xpack.security.authc.service_token_hashing.algorithm" => Text("pbkdf2_stretch".into()),
        "xpack.security.authc.api_key.cache.hash_algo" => Text("ssha256".into()),
        "xpack.security.remote_cluster_server.ssl.enabled"
        | "xpack.security.remote_cluster_client.ssl.enabled" => Bool(true),
        "remote_cluster_server.enabled" => Bool(false),
        "http.cors.enabled" | "http.cors.allow-credentials" => Bool(false),
        "http.compression" => Bool(!ctx.http_tls()),
        "network.host" => Text("_local_".into()),
        "discovery.type" => Text("multi-node".into()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert_eq!(
            substitute_placeholders("${A:true}"),
            ("true".into(), vec![], true)
        );
        assert_eq!(
            substitute_placeholders("https://${HOST}:${PORT:9200}"),
            ("https://:9200".into(), vec!["HOST".to_string()], true)
        );
        assert_eq!(
            substitute_placeholders("plain"),
            ("plain".into(), vec![], false)
        );
    }

    #[test]
    fn nodes_info_filters_tls_bind_and_profile_security() {
        let hidden = HiddenSettings::nodes_info(vec!["xpack.notification.*.secret".into()]);
        for key in [
            "xpack.security.http.ssl.keystore.path",
            "xpack.security.transport.ssl.verification_mode",
            "xpack.security.transport.ssl.client_authentication",
            "xpack.security.authc.realms.ldap.corp.ssl.certificate_authorities",
            "xpack.security.authc.realms.ldap.corp.bind_dn",
            "transport.profiles.client.xpack.security.filter.allow",
            "xpack.notification.slack.secret",
        ] {
            assert!(hidden.hides(key), "{key}");
        }
        for key in [
            "xpack.security.http.ssl.enabled",
            "xpack.security.transport.ssl.enabled",
            "xpack.security.transport.filter.allow",
            "transport.profiles.client.port",
            "xpack.security.authc.realms.ldap.corp.url",
            "xpack.notification.slack.secrets",
        ] {
            assert!(!hidden.hides(key), "{key}");
        }
        assert!(simple_match("*", "anything"));
        assert!(simple_match("a*c*e", "abcde"));
        assert!(!simple_match("a*c*e", "abcdef"));
    }

    #[test]
    fn lists_from_every_form() {
        assert_eq!(
            SettingValue::from_text("TLSv1.2, TLSv1.3").as_list(),
            vec!["TLSv1.2", "TLSv1.3"]
        );
        assert_eq!(SettingValue::from_text("TRUE"), SettingValue::Bool(true));
    }
}
