//! TLS contexts of a node: every place `*.ssl.*` settings apply, with effective values
//! (explicit, inherited from the transport context for profiles, or the version's default).

use super::EsNode;
use super::catalog::{self, SSL_KEYS, SSL_PLAIN_PASSWORD_KEYS};
use super::settings::{SettingValue, default_protocols};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TlsContext {
    /// A readable name: `http`, `transport`, `transport profile client`, `realm ldap.corp`, …
    pub name: String,
    /// `http`, `transport`, `transport_profile`, `remote_cluster_server`, `remote_cluster_client`,
    /// `realm`, `monitoring`, `watcher` or `reindex`.
    pub layer: String,
    /// The settings prefix, e.g. `xpack.security.http.ssl`.
    pub prefix: String,
    /// Server side of a connection (it presents a certificate and may ask clients for one).
    pub server: bool,
    pub enabled: bool,
    /// Any key set under this context's own prefix.
    pub configured: bool,
    /// Effective sub-settings (`verification_mode`, `supported_protocols`, …).
    pub settings: BTreeMap<String, SettingValue>,
    /// Sub-settings written under this context's own prefix.
    pub explicit: Vec<String>,
    pub protocols: Vec<String>,
    pub protocols_explicit: bool,
    /// SSLv2Hello, SSLv3, TLSv1 or TLSv1.1 among the effective protocols.
    pub legacy_protocols: Vec<String>,
    /// The explicit cipher-suite list (empty when the JDK default applies).
    pub ciphers: Vec<String>,
    pub broken_ciphers: Vec<String>,
    pub weak_ciphers: Vec<String>,
    pub verification_mode: String,
    /// Empty for client-only contexts.
    pub client_authentication: String,
    /// A private key is configured (`key` or `keystore.path`).
    pub has_key: bool,
    /// Trust comes only from the JDK's public CA list (no `certificate_authorities`, no truststore).
    pub default_trust: bool,
    /// Settings combinations Elasticsearch refuses at startup, in words.
    pub conflicts: Vec<String>,
    /// Password sub-settings written in plain yml instead of the keystore.
    pub plain_passwords: Vec<String>,
    /// Store sub-settings (`keystore`, `truststore`) whose store is JKS / PKCS#12.
    pub jks_stores: Vec<String>,
    pub pkcs12_stores: Vec<String>,
    /// For each effective sub-setting, the full key it was read from (absent for defaults).
    #[serde(skip)]
    pub sources: BTreeMap<String, String>,
}

struct Spec {
    name: String,
    layer: &'static str,
    prefix: String,
    /// Prefix whose values this context inherits (transport profiles inherit transport).
    parent: Option<String>,
    server: bool,
    default_enabled: bool,
    default_client_auth: &'static str,
}

/// Every TLS context that applies to the node.
pub fn contexts(node: &EsNode) -> Vec<TlsContext> {
    let s = &node.settings;
    let mut specs = vec![
        Spec {
            name: "http".into(),
            layer: "http",
            prefix: "xpack.security.http.ssl".into(),
            parent: None,
            server: true,
            default_enabled: false,
            default_client_auth: "none",
        },
        Spec {
            name: "transport".into(),
            layer: "transport",
            prefix: "xpack.security.transport.ssl".into(),
            parent: None,
            server: true,
            default_enabled: false,
            default_client_auth: "required",
        },
    ];
    for profile in transport_profiles(node) {
        specs.push(Spec {
            name: format!("transport profile {profile}"),
            layer: "transport_profile",
            prefix: format!("transport.profiles.{profile}.xpack.security.ssl"),
            parent: Some("xpack.security.transport.ssl".into()),
            server: true,
            default_enabled: false,
            default_client_auth: "required",
        });
    }
    if s.bool("remote_cluster_server.enabled") == Some(true) {
        specs.push(Spec {
            name: "remote cluster server".into(),
            layer: "remote_cluster_server",
            prefix: "xpack.security.remote_cluster_server.ssl".into(),
            parent: None,
            server: true,
            default_enabled: true,
            default_client_auth: "none",
        });
    }
    // Client contexts are judged when something is configured for them.
    let mut client_prefixes: BTreeSet<(String, &'static str, String)> = BTreeSet::new();
    for key in s.keys() {
        let Some(sub) = catalog::tls_sub_key(key) else {
            continue;
        };
        let prefix = &key[..key.len() - sub.len() - 1];
        let (layer, name) = if prefix == "xpack.security.remote_cluster_client.ssl" {
            ("remote_cluster_client", "remote cluster client".to_string())
        } else if prefix == "xpack.http.ssl" {
            ("watcher", "watcher HTTP client".to_string())
        } else if prefix == "reindex.ssl" {
            ("reindex", "reindex from remote".to_string())
        } else if let Some(rest) = prefix.strip_prefix("xpack.security.authc.realms.") {
            ("realm", format!("realm {}", rest.trim_end_matches(".ssl")))
        } else if let Some(rest) = prefix.strip_prefix("xpack.monitoring.exporters.") {
            (
                "monitoring",
                format!("monitoring exporter {}", rest.trim_end_matches(".ssl")),
            )
        } else {
            continue;
        };
        client_prefixes.insert((prefix.to_string(), layer, name));
    }
    for (prefix, layer, name) in client_prefixes {
        specs.push(Spec {
            name,
            layer,
            prefix,
            parent: None,
            server: false,
            default_enabled: true,
            default_client_auth: "",
        });
    }
    specs.iter().map(|spec| build(node, spec)).collect()
}

/// Names of the transport profiles declared with `transport.profiles.<name>.*`, `default` excluded.
pub fn transport_profiles(node: &EsNode) -> BTreeSet<String> {
    node.settings
        .keys_with_prefix("transport.profiles.")
        .filter_map(|k| k["transport.profiles.".len()..].split('.').next())
        .filter(|p| *p != "default")
        .map(String::from)
        .collect()
}

fn build(node: &EsNode, spec: &Spec) -> TlsContext {
    let s = &node.settings;
    let mut settings = BTreeMap::new();
    let mut sources = BTreeMap::new();
    let mut explicit = Vec::new();
    // One buffer for the keys looked up (a node has a few contexts of dozens of keys each);
    // only a key that is found is copied.
    let mut key = String::new();
    let spell = |key: &mut String, prefix: &str, sub: &str| {
        key.clear();
        key.push_str(prefix);
        key.push('.');
        key.push_str(sub);
    };
    for sub in SSL_KEYS {
        spell(&mut key, &spec.prefix, sub);
        let found = if let Some(v) = s.value(&key) {
            explicit.push(sub.to_string());
            Some((v.clone(), key.clone()))
        } else if let Some(parent) = &spec.parent {
            spell(&mut key, parent, sub);
            s.value(&key).map(|v| (v.clone(), key.clone()))
        } else {
            None
        };
        if let Some((value, source)) = found {
            settings.insert(sub.to_string(), value);
            sources.insert(sub.to_string(), source);
        }
    }
    let enabled = settings
        .get("enabled")
        .and_then(SettingValue::as_bool)
        .unwrap_or(spec.default_enabled);
    settings
        .entry("enabled".into())
        .or_insert(SettingValue::Bool(enabled));
    let protocols_explicit = settings.contains_key("supported_protocols");
    let protocols = match settings.get("supported_protocols") {
        Some(v) => v.as_list(),
        None => default_protocols(node.version),
    };
    settings
        .entry("supported_protocols".into())
        .or_insert_with(|| SettingValue::List(protocols.clone()));
    let verification_mode = text_of(&settings, "verification_mode")
        .unwrap_or_else(|| "full".into())
        .to_ascii_lowercase();
    settings.insert(
        "verification_mode".into(),
        SettingValue::Text(verification_mode.clone()),
    );
    let client_authentication = if spec.server {
        let v = text_of(&settings, "client_authentication")
            .unwrap_or_else(|| spec.default_client_auth.into())
            .to_ascii_lowercase();
        settings.insert(
            "client_authentication".into(),
            SettingValue::Text(v.clone()),
        );
        v
    } else {
        String::new()
    };
    let ciphers = settings
        .get("cipher_suites")
        .map(SettingValue::as_list)
        .unwrap_or_default();
    let has = |sub: &str| settings.contains_key(sub);
    let has_key = has("key") || has("keystore.path");
    let mut conflicts = Vec::new();
    if has("key") && has("keystore.path") {
        conflicts.push("both key and keystore.path are set".to_string());
    }
    if has("certificate_authorities") && has("truststore.path") {
        conflicts.push("both certificate_authorities and truststore.path are set".to_string());
    }
    if has("certificate") != has("key") {
        conflicts.push("certificate and key must be set together".to_string());
    }
    if spec.server && enabled && !has_key {
        conflicts.push("TLS is enabled but no key or keystore is configured".to_string());
    }
    for plain in SSL_PLAIN_PASSWORD_KEYS {
        let secure = match plain.rsplit_once('.') {
            Some((store, last)) => format!("{store}.secure_{last}"),
            None => format!("secure_{plain}"),
        };
        if has(plain) && has(&secure) {
            conflicts.push(format!("both {plain} and {secure} are set"));
        }
    }
    let plain_passwords = SSL_PLAIN_PASSWORD_KEYS
        .iter()
        .filter(|k| explicit.iter().any(|e| e == *k))
        .map(|k| k.to_string())
        .collect();
    let mut jks_stores = Vec::new();
    let mut pkcs12_stores = Vec::new();
    for store in ["keystore", "truststore"] {
        let Some(path) = text_of(&settings, &format!("{store}.path")) else {
            continue;
        };
        let kind = text_of(&settings, &format!("{store}.type"))
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_else(|| {
                let lower = path.to_ascii_lowercase();
                if [".p12", ".pfx", ".pkcs12"]
                    .iter()
                    .any(|e| lower.ends_with(e))
                {
                    "pkcs12".into()
                } else {
                    "jks".into()
                }
            });
        match kind.as_str() {
            "jks" => jks_stores.push(store.to_string()),
            "pkcs12" => pkcs12_stores.push(store.to_string()),
            _ => {}
        }
    }
    TlsContext {
        name: spec.name.clone(),
        layer: spec.layer.to_string(),
        prefix: spec.prefix.clone(),
        server: spec.server,
        enabled,
        configured: !explicit.is_empty(),
        legacy_protocols: protocols
            .iter()
            .filter(|p| catalog::is_legacy_protocol(p))
            .cloned()
            .collect(),
        protocols,
        protocols_explicit,
        broken_ciphers: ciphers
            .iter()
            .filter(|c| catalog::is_broken_suite(c))
            .cloned()
            .collect(),
        weak_ciphers: ciphers
            .iter()
            .filter(|c| catalog::is_weak_suite(c) && !catalog::is_broken_suite(c))
            .cloned()
            .collect(),
        ciphers,
        verification_mode,
        client_authentication,
        has_key,
        default_trust: !has("certificate_authorities") && !has("truststore.path"),
        conflicts,
        plain_passwords,
        jks_stores,
        pkcs12_stores,
        explicit,
        settings,
        sources,
    }
}

fn text_of(settings: &BTreeMap<String, SettingValue>, sub: &str) -> Option<String> {
    settings.get(sub).map(SettingValue::to_string)
}
