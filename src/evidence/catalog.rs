//! Facts about Elasticsearch settings that rules need: which keys exist, which hold secrets,
//! which TLS protocols and cipher suites are weak. Sourced from Elastic's settings reference.

/// Sub-settings every TLS context (`<prefix>.ssl.*`) accepts.
pub const SSL_KEYS: &[&str] = &[
    "enabled",
    "supported_protocols",
    "cipher_suites",
    "client_authentication",
    "verification_mode",
    "key",
    "certificate",
    "certificate_authorities",
    "key_passphrase",
    "secure_key_passphrase",
    "keystore.path",
    "keystore.type",
    "keystore.password",
    "keystore.secure_password",
    "keystore.key_password",
    "keystore.secure_key_password",
    "keystore.algorithm",
    "truststore.path",
    "truststore.type",
    "truststore.password",
    "truststore.secure_password",
    "truststore.algorithm",
    "trust_restrictions.path",
    "trust_restrictions.x509_fields",
    "handshake_timeout",
];

/// TLS password settings that have a `secure_` keystore twin; a value in yml is a plaintext secret.
pub const SSL_PLAIN_PASSWORD_KEYS: &[&str] = &[
    "key_passphrase",
    "keystore.password",
    "keystore.key_password",
    "truststore.password",
];

/// Realm types Elasticsearch ships.
pub const REALM_TYPES: &[&str] = &[
    "native",
    "file",
    "ldap",
    "active_directory",
    "pki",
    "saml",
    "kerberos",
    "oidc",
    "jwt",
];

/// Every audit event type `events.include` / `events.exclude` accept (plus `_all`).
pub const AUDIT_EVENT_TYPES: &[&str] = &[
    "access_denied",
    "access_granted",
    "anonymous_access_denied",
    "authentication_failed",
    "authentication_success",
    "connection_denied",
    "connection_granted",
    "realm_authentication_failed",
    "run_as_denied",
    "run_as_granted",
    "system_access_granted",
    "tampered_request",
    "security_config_change",
];

/// Audit events a security review needs recorded.
pub const KEY_AUDIT_EVENTS: &[&str] = &[
    "authentication_failed",
    "access_denied",
    "anonymous_access_denied",
    "connection_denied",
    "tampered_request",
    "run_as_denied",
    "security_config_change",
];

/// Exact keys under `xpack.security.` outside TLS contexts, realms and audit ignore policies.
const SECURITY_KEYS: &[&str] = &[
    "enabled",
    "autoconfiguration.enabled",
    "enrollment.enabled",
    "hide_settings",
    "dls_fls.enabled",
    "fips_mode.enabled",
    "fips_mode.required_providers",
    "audit.enabled",
    "audit.logfile.events.include",
    "audit.logfile.events.exclude",
    "audit.logfile.events.emit_request_body",
    "audit.logfile.events.max_request_body_size",
    "audit.logfile.emit_node_name",
    "audit.logfile.emit_node_host_address",
    "audit.logfile.emit_node_host_name",
    "audit.logfile.emit_node_id",
    "audit.logfile.emit_cluster_name",
    "audit.logfile.emit_cluster_uuid",
    "authc.anonymous.username",
    "authc.anonymous.roles",
    "authc.anonymous.authz_exception",
    "authc.password_hashing.algorithm",
    "authc.service_token_hashing.algorithm",
    "authc.reserved_realm.enabled",
    "authc.accept_default_password",
    "authc.run_as.enabled",
    "authc.success_cache.enabled",
    "authc.success_cache.size",
    "authc.success_cache.expire_after_access",
    "transport.filter.enabled",
    "transport.filter.allow",
    "transport.filter.deny",
    "http.filter.enabled",
    "http.filter.allow",
    "http.filter.deny",
    "remote_cluster.filter.allow",
    "remote_cluster.filter.deny",
    "filter.always_allow_bound_address",
    "ssl.diagnose.trust",
];

/// Namespaces under `xpack.security.` whose many tuning keys are accepted without a full list.
const SECURITY_OPEN_PREFIXES: &[&str] = &[
    "authz.",
    "authc.api_key.",
    "authc.token.",
    "authc.domains.",
    "authc.jwt.",
    "authc.native.",
    "dls.",
    "crypto.",
    "operator_privileges.",
    "authc.realms.", // checked separately (realm shape)
    "audit.logfile.events.ignore_filters.",
];

/// Settings removed in 7.0 that make a node refuse to start.
pub fn removed_setting(key: &str) -> bool {
    key == "xpack.security.audit.outputs"
        || key.starts_with("xpack.security.audit.index.")
        || key.starts_with("xpack.ssl.")
}

/// Well-known keys outside `xpack.security.`, used to catch near-miss spellings.
const OTHER_KNOWN_KEYS: &[&str] = &[
    "cluster.name",
    "node.name",
    "node.roles",
    "path.data",
    "path.logs",
    "path.repo",
    "bootstrap.memory_lock",
    "network.host",
    "network.bind_host",
    "network.publish_host",
    "http.host",
    "http.bind_host",
    "http.publish_host",
    "http.port",
    "http.cors.enabled",
    "http.cors.allow-origin",
    "http.cors.allow-credentials",
    "http.cors.allow-methods",
    "http.cors.allow-headers",
    "http.compression",
    "http.detailed_errors.enabled",
    "transport.host",
    "transport.bind_host",
    "transport.publish_host",
    "transport.port",
    "discovery.type",
    "discovery.seed_hosts",
    "cluster.initial_master_nodes",
    "remote_cluster_server.enabled",
    "remote_cluster.port",
    "remote_cluster.host",
    "xpack.license.self_generated.type",
];

/// All exact keys the registry knows, for "did you mean" suggestions (built once).
pub fn known_keys() -> &'static [String] {
    static KEYS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let security = SECURITY_KEYS.iter().map(|k| format!("xpack.security.{k}"));
        let tls = [
            "xpack.security.http.ssl",
            "xpack.security.transport.ssl",
            "xpack.security.remote_cluster_server.ssl",
            "xpack.security.remote_cluster_client.ssl",
        ]
        .into_iter()
        .flat_map(|p| SSL_KEYS.iter().map(move |k| format!("{p}.{k}")));
        security
            .chain(tls)
            .chain(OTHER_KNOWN_KEYS.iter().map(|k| k.to_string()))
            .collect()
    })
}

/// Whether Elasticsearch (with its bundled modules) accepts `key`. Only the security namespace
/// is checked strictly; elsewhere every key is taken as known, and only near-misses of a
/// well-known key are reported (see [`suggestion`]).
pub fn is_known(key: &str) -> bool {
    if removed_setting(key) {
        return false;
    }
    if let Some(ssl_rest) = tls_sub_key(key) {
        return SSL_KEYS.contains(&ssl_rest);
    }
    let Some(rest) = key.strip_prefix("xpack.security.") else {
        return suggestion(key).is_none();
    };
    if let Some(realm) = rest.strip_prefix("authc.realms.") {
        // <type>.<name>.<setting>; the 6.x form <name>.type is rejected by 7.0+.
        let parts: Vec<&str> = realm.splitn(3, '.').collect();
        return parts.len() == 3 && REALM_TYPES.contains(&parts[0]);
    }
    if let Some(policy) = rest.strip_prefix("audit.logfile.events.ignore_filters.") {
        return policy.split_once('.').is_some_and(|(_, field)| {
            ["users", "realms", "actions", "roles", "indices"].contains(&field)
        });
    }
    SECURITY_KEYS.contains(&rest) || SECURITY_OPEN_PREFIXES.iter().any(|p| rest.starts_with(p))
}

/// For a key inside a TLS context (`…​.ssl.<sub>`), the `<sub>` part.
pub fn tls_sub_key(key: &str) -> Option<&str> {
    // Dots are found with memchr; building a substring searcher cost more than the search
    // (every key of every node is asked).
    let idx = key
        .match_indices('.')
        .map(|(i, _)| i)
        .find(|&i| key[i..].starts_with(".ssl."))?;
    let prefix = &key[..idx];
    let is_context = matches!(
        prefix,
        "xpack.security.http"
            | "xpack.security.transport"
            | "xpack.security.remote_cluster_server"
            | "xpack.security.remote_cluster_client"
            | "xpack.http"
            | "reindex"
    ) || (prefix.starts_with("transport.profiles.")
        && prefix.ends_with(".xpack.security"))
        || (prefix.starts_with("xpack.security.authc.realms.") && prefix.split('.').count() == 6)
        || (prefix.starts_with("xpack.monitoring.exporters.") && prefix.split('.').count() == 4);
    is_context.then(|| &key[idx + 5..])
}

/// The nearest well-known key when `key` looks like a misspelling of it: the same number of
/// segments, exactly one segment different, by one edit (two for segments of six letters or more).
pub fn suggestion(key: &str) -> Option<String> {
    // A fleet repeats the same keys on every node: remember the answers per thread.
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Option<String>>> =
            Default::default();
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(key).cloned()) {
        return hit;
    }
    let answer = nearest_known(key);
    CACHE.with(|c| c.borrow_mut().insert(key.to_string(), answer.clone()));
    answer
}

fn nearest_known(key: &str) -> Option<String> {
    let segments: Vec<&str> = key.split('.').collect();
    let mut best: Option<(usize, String)> = None;
    for known in known_keys() {
        if known == key {
            return None;
        }
        let known_segments: Vec<&str> = known.split('.').collect();
        if known_segments.len() != segments.len() {
            continue;
        }
        let differing: Vec<(&str, &str)> = known_segments
            .iter()
            .zip(&segments)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (*a, *b))
            .collect();
        let [(want, got)] = differing[..] else {
            continue;
        };
        let d = strsim::osa_distance(want, got);
        let close = d == 1 || (d == 2 && want.len() >= 6);
        if close && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, known.clone()));
        }
    }
    best.map(|(_, k)| k)
}

/// Settings that may only live in `elasticsearch.keystore`; Elasticsearch refuses to start when
/// they appear in `elasticsearch.yml`.
pub fn is_secure_only(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    last.starts_with("secure_")
        || key.ends_with("rp.client_secret")
        || key.ends_with("client_authentication.shared_secret")
        || key.ends_with(".hmac_key")
        || key.ends_with(".hmac_jwkset")
        || key == "bootstrap.password"
        || key == "keystore.seed"
        || (key.starts_with("s3.client.")
            && (key.ends_with(".access_key")
                || key.ends_with(".secret_key")
                || key.ends_with(".session_token")))
        || (key.starts_with("azure.client.")
            && (key.ends_with(".key") || key.ends_with(".sas_token")))
        || (key.starts_with("gcs.client.") && key.ends_with(".credentials_file"))
}

/// Whether a setting's value is a secret that must never be printed.
pub fn is_secret(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    is_secure_only(key)
        || last.contains("password")
        || last.contains("passphrase")
        || last.contains("secret")
        || last.contains("token") && !last.ends_with("enabled") && !last.contains("timeout")
        || last == "hmac_key"
        || last == "api_key"
        || last == "access_key"
}

/// Protocol names older than TLS 1.2.
pub fn is_legacy_protocol(p: &str) -> bool {
    matches!(p, "SSLv2Hello" | "SSLv3" | "TLSv1" | "TLSv1.1")
}

/// Suites that are broken: no encryption, no authentication, export-grade, RC4, DES, 3DES or MD5.
pub fn is_broken_suite(s: &str) -> bool {
    let u = s.to_ascii_uppercase();
    u.contains("_NULL")
        || u.contains("_ANON_")
        || u.contains("EXPORT")
        || u.contains("_RC4_")
        || u.contains("_DES_")
        || u.contains("_DES40_")
        || u.contains("3DES")
        || u.contains("DES_EDE")
        || u.ends_with("_MD5")
}

/// Suites without forward secrecy, or CBC with a SHA-1 MAC.
pub fn is_weak_suite(s: &str) -> bool {
    let u = s.to_ascii_uppercase();
    let no_forward_secrecy = ["TLS_RSA_", "SSL_RSA_", "TLS_DH_", "TLS_ECDH_", "SSL_DH_"]
        .iter()
        .any(|p| u.starts_with(p));
    no_forward_secrecy || (u.contains("_CBC_") && u.ends_with("_SHA"))
}

/// Values that are published defaults or documentation samples: a credential or key equal to
/// one of them is as good as public.
const SAMPLE_SECRETS: &[&str] = &[
    "changeme",
    "changeit",
    "password",
    "elastic",
    "secret",
    "admin",
    "kibana",
    "logstash",
    "something_at_least_32_characters",
    "something_secret_at_least_32_characters",
    "a_random_string_of_32_characters",
    "min-32-byte-long-strong-encryption-key",
    "12345678901234567890123456789012",
    "abcdefghijklmnopqrstuvwxyz123456",
    "fhjskloppd678ehkdfdlliverpoolfcr",
    "c69548d9027afcf4d55146b1d425a9f4c69548d9027afcf4d55146b1d425a9f4",
];

/// Whether a secret's value is a published default or sample.
pub fn is_sample_secret(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    SAMPLE_SECRETS.contains(&v.as_str())
        || v.contains("changeme")
        || v.contains("something_at_least")
        || v.contains("at_least_32")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_sub_keys_of_contexts_only() {
        for (key, sub) in [
            ("xpack.security.http.ssl.key", Some("key")),
            (
                "xpack.security.transport.ssl.keystore.path",
                Some("keystore.path"),
            ),
            (
                "transport.profiles.client.xpack.security.ssl.enabled",
                Some("enabled"),
            ),
            (
                "xpack.security.authc.realms.ldap.corp.ssl.verification_mode",
                Some("verification_mode"),
            ),
            ("xpack.security.http.ssl", None),
            ("xpack.security.audit.ssl.key", None),
            ("ssl.key", None),
            ("xpack.security.http.sslx.key", None),
        ] {
            assert_eq!(tls_sub_key(key), sub, "{key}");
        }
    }

    #[test]
    fn registry() {
        assert!(is_known("xpack.security.enabled"));
        assert!(is_known("xpack.security.transport.ssl.verification_mode"));
        assert!(is_known(
            "transport.profiles.client.xpack.security.ssl.client_authentication"
        ));
        assert!(is_known("xpack.security.authc.realms.ldap.corp.url"));
        assert!(!is_known("xpack.security.authc.realms.corp.type"));
        assert!(!is_known("xpack.security.enabeld"));
        assert!(!is_known("xpack.security.transport.ssl.verfication_mode"));
        assert!(!is_known("xpack.securty.enabled"));
        assert!(is_known("indices.query.bool.max_clause_count"));
        assert!(!is_known("xpack.security.audit.outputs"));
        assert_eq!(suggestion("network.hots").as_deref(), Some("network.host"));
    }

    #[test]
    fn secrets() {
        assert!(is_secure_only(
            "xpack.security.http.ssl.keystore.secure_password"
        ));
        assert!(is_secure_only("bootstrap.password"));
        assert!(!is_secure_only("xpack.security.http.ssl.keystore.password"));
        assert!(is_secret("xpack.security.http.ssl.keystore.password"));
        assert!(is_secret(
            "xpack.security.authc.realms.ldap.corp.bind_password"
        ));
        assert!(!is_secret("xpack.security.authc.token.enabled"));
        assert!(!is_secret("xpack.security.enabled"));
    }

    #[test]
    fn suites() {
        assert!(is_broken_suite("TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
        assert!(is_broken_suite("SSL_RSA_WITH_RC4_128_MD5"));
        assert!(is_broken_suite("TLS_DH_anon_WITH_AES_128_CBC_SHA"));
        assert!(!is_broken_suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(is_weak_suite("TLS_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(is_weak_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
        assert!(!is_weak_suite("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"));
        assert!(!is_weak_suite("TLS_AES_128_GCM_SHA256"));
    }
}
