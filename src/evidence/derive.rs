//! Derived facts about a node, computed once and handed to the rules as fields.

use super::catalog;
use super::settings::{DEFAULT_AUDIT_EVENTS, DefaultContext, SettingValue, default_value};
use super::{EsNode, EsVersion, VersionSource};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Node-wide settings whose default a rule may read.
const DEFAULTED_KEYS: &[&str] = &[
    "xpack.security.enabled",
    "xpack.security.http.ssl.enabled",
    "xpack.security.transport.ssl.enabled",
    "xpack.security.autoconfiguration.enabled",
    "xpack.security.enrollment.enabled",
    "xpack.security.fips_mode.enabled",
    "xpack.security.audit.enabled",
    "xpack.security.audit.logfile.events.include",
    "xpack.security.audit.logfile.events.exclude",
    "xpack.security.audit.logfile.events.emit_request_body",
    "xpack.security.transport.filter.enabled",
    "xpack.security.http.filter.enabled",
    "xpack.security.filter.always_allow_bound_address",
    "xpack.security.authc.anonymous.roles",
    "xpack.security.authc.anonymous.authz_exception",
    "xpack.security.authc.token.enabled",
    "xpack.security.authc.api_key.enabled",
    "xpack.security.authc.password_hashing.algorithm",
    "xpack.security.authc.api_key.hashing.algorithm",
    "xpack.security.authc.service_token_hashing.algorithm",
    "xpack.security.authc.api_key.cache.hash_algo",
    "xpack.security.remote_cluster_server.ssl.enabled",
    "xpack.security.remote_cluster_client.ssl.enabled",
    "remote_cluster_server.enabled",
    "http.cors.enabled",
    "http.cors.allow-credentials",
    "http.compression",
    "network.host",
    "discovery.type",
];

/// The node as the `es_node` rules see it.
#[derive(Debug, Clone, Serialize)]
pub struct NodeFacts {
    pub name: String,
    pub cluster: String,
    pub version: String,
    pub major: i64,
    pub minor: i64,
    pub version_assumed: bool,
    /// Security is on (explicitly, or by the version's default).
    pub security_enabled: bool,
    /// The service-mesh policy that encrypts every connection to the node's pod, or empty.
    pub mesh_mtls: String,
    /// `xpack.security.enabled` is written in the config.
    pub security_explicit: bool,
    pub fips: bool,
    /// Effective settings: every explicit one, plus the defaults rules read.
    pub settings: BTreeMap<String, SettingValue>,
    /// Keys written in the config (all `true`), for `is_set`.
    pub explicit: BTreeMap<String, bool>,
    /// Keys whose value needs an environment variable that has no default.
    pub unresolved: BTreeMap<String, Vec<String>>,
    #[serde(flatten)]
    pub hidden: Hidden,
    /// Effective bind addresses of the HTTP and transport layers.
    pub http_hosts: Vec<String>,
    pub transport_hosts: Vec<String>,
    pub http_exposed: bool,
    pub http_all_interfaces: bool,
    pub transport_exposed: bool,
    /// Bootstrap checks are enforced (transport bound beyond loopback, not single-node).
    pub production_mode: bool,
    /// Some `xpack.security.{http,transport}.ssl.*` key is written.
    pub tls_configured: bool,
    pub audit: AuditFacts,
    /// The licence type: reported by the cluster's API, else a self-generated one written in
    /// the config (`xpack.license.self_generated.type`), else empty (unknown).
    pub license: String,
    /// The licence runs audit logging (Gold and above, or a trial), or is unknown.
    pub audit_licensed: bool,
    pub jvm: JvmFacts,
    pub log4j_present: bool,
    pub log4j_audit_appender: bool,
    pub users_file_present: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditFacts {
    pub enabled: bool,
    /// Event types recorded: include (with `_all` expanded) minus exclude.
    pub recorded: Vec<String>,
    /// Key event types that are not recorded.
    pub missing_key_events: Vec<String>,
    /// Names in include/exclude that are not audit event types.
    pub invalid_events: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JvmFacts {
    /// Any `jvm.options` file was found beside the config.
    pub present: bool,
    pub args: Vec<String>,
    /// The file named by `-Djava.security.properties`, or empty.
    pub security_properties: String,
    /// `-Djava.security.properties==file` replaces the JDK's security file entirely.
    pub security_properties_replace: bool,
    /// The named security file re-enables a legacy protocol or weak algorithm (false when unread).
    pub security_properties_weaken_tls: bool,
    /// The named security file lists a FIPS provider first (false when unread).
    pub fips_provider_first: bool,
    pub tls_debug: bool,
    pub enforce_bootstrap_checks: bool,
}

/// Whether a node is known to run without security: switched off (in its config, or by an
/// `-oss` image), or left unset on 6.x/7.x under a Basic or Trial licence the scan saw. An
/// unset value with no licence known is not taken as off here: a Gold licence turns it on.
pub fn security_known_off(node: &EsNode) -> bool {
    match node.settings.bool("xpack.security.enabled") {
        Some(on) => !on,
        None => {
            let license = node
                .license
                .as_deref()
                .or_else(|| node.settings.text("xpack.license.self_generated.type"));
            node.version.major < 8 && license.is_some_and(|l| !super::settings::license_secures(l))
        }
    }
}

/// The context defaults of `node`'s settings are worked out in.
fn default_context(node: &EsNode) -> DefaultContext<'_> {
    DefaultContext {
        version: node.version,
        settings: &node.settings,
        license: node.license.as_deref(),
    }
}

/// One setting of [`effective_settings`], without working out the others.
pub fn effective_value(node: &EsNode, key: &str) -> Option<SettingValue> {
    match node.settings.value(key) {
        Some(v) => Some(v.clone()),
        None if DEFAULTED_KEYS.contains(&key) => default_value(key, &default_context(node)),
        None => None,
    }
}

/// A node's effective settings: every explicit one, plus the defaults rules read.
pub fn effective_settings(node: &EsNode) -> BTreeMap<String, SettingValue> {
    let s = &node.settings;
    let ctx = default_context(node);
    let mut settings: BTreeMap<String, SettingValue> = s
        .keys()
        .filter_map(|k| s.value(k).map(|v| (k.clone(), v.clone())))
        .collect();
    for key in DEFAULTED_KEYS {
        if !settings.contains_key(*key)
            && let Some(v) = default_value(key, &ctx)
        {
            settings.insert(key.to_string(), v);
        }
    }
    settings
}

pub fn node_facts(node: &EsNode) -> NodeFacts {
    let s = &node.settings;
    let settings = effective_settings(node);
    let explicit = s.keys().map(|k| (k.clone(), true)).collect();
    let unresolved = s
        .entries
        .iter()
        .filter(|e| !e.unresolved.is_empty())
        .map(|e| (e.key.clone(), e.unresolved.clone()))
        .collect();
    let bool_of = |k: &str| {
        settings
            .get(k)
            .and_then(SettingValue::as_bool)
            .unwrap_or(false)
    };
    let http_hosts = bind_hosts(&settings, "http");
    let transport_hosts = bind_hosts(&settings, "transport");
    let transport_bound = transport_hosts.iter().any(|h| !is_loopback(h));
    // A container is reached through the ports it publishes, whatever it binds inside.
    let exposure = match &node.published {
        Some(ports) => {
            let port = |key: &str, default: u16| {
                settings
                    .get(key)
                    .and_then(|v| v.as_list().first()?.split('-').next()?.parse().ok())
                    .unwrap_or(default)
            };
            let on = |container_port: u16| {
                ports
                    .iter()
                    .filter(move |p| p.container_port == container_port)
                    .map(|p| p.host_ip.as_str())
            };
            let (http, transport) = (port("http.port", 9200), port("transport.port", 9300));
            Exposure {
                http: on(http).any(|h| h.is_empty() || !is_loopback(h)),
                http_all_interfaces: on(http).any(|h| h.is_empty() || is_all_interfaces(h)),
                transport: on(transport).any(|h| h.is_empty() || !is_loopback(h)),
            }
        }
        None => Exposure {
            http: http_hosts.iter().any(|h| !is_loopback(h)),
            http_all_interfaces: http_hosts.iter().any(|h| is_all_interfaces(h)),
            transport: transport_bound,
        },
    };
    let single_node = settings
        .get("discovery.type")
        .is_some_and(|v| v.to_string() == "single-node");
    let jvm = jvm_facts(node);
    let license = node
        .license
        .clone()
        .or_else(|| {
            s.text("xpack.license.self_generated.type")
                .map(str::to_string)
        })
        .unwrap_or_default()
        .to_ascii_lowercase();
    NodeFacts {
        name: node.name.clone(),
        cluster: node.cluster.clone(),
        version: node.version.to_string(),
        major: node.version.major.into(),
        minor: node.version.minor.into(),
        version_assumed: node.version_source == VersionSource::Assumed,
        security_enabled: bool_of("xpack.security.enabled"),
        mesh_mtls: node.mesh_mtls.clone().unwrap_or_default(),
        security_explicit: s.get("xpack.security.enabled").is_some(),
        fips: bool_of("xpack.security.fips_mode.enabled"),
        http_exposed: exposure.http,
        http_all_interfaces: exposure.http_all_interfaces,
        http_hosts,
        transport_hosts,
        transport_exposed: exposure.transport,
        // Bootstrap checks follow what the node binds, in a container too.
        production_mode: transport_bound && !single_node,
        tls_configured: s.any_with_prefix("xpack.security.http.ssl.")
            || s.any_with_prefix("xpack.security.transport.ssl."),
        audit: audit_facts(&settings, node.version),
        audit_licensed: license.is_empty()
            || matches!(
                license.as_str(),
                "gold" | "platinum" | "enterprise" | "trial"
            ),
        license,
        jvm,
        log4j_present: node.log4j.is_some(),
        log4j_audit_appender: node
            .log4j
            .as_ref()
            .is_some_and(|l| l.audit_appender && l.audit_logger),
        users_file_present: node.file_users.is_some(),
        settings,
        explicit,
        unresolved,
        hidden: Hidden::of(node),
    }
}

/// What an item's source holds back, as the rule functions read it: `setting`, `is_set` and
/// `any_set` on a key it may hide cannot be judged (see [`crate::evidence::settings::HiddenSettings`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hidden {
    /// Why a hidden key cannot be read; empty when the source shows every setting.
    pub hidden_reason: String,
    /// `xpack.security.hide_settings` patterns of the cluster.
    pub hidden_patterns: Vec<String>,
}

impl Hidden {
    pub fn of(node: &EsNode) -> Hidden {
        node.hidden
            .as_ref()
            .map(|h| Hidden {
                hidden_reason: h.reason.clone(),
                hidden_patterns: h.patterns.clone(),
            })
            .unwrap_or_default()
    }
}

/// Whether each layer can be reached from other hosts.
struct Exposure {
    http: bool,
    http_all_interfaces: bool,
    transport: bool,
}

/// Effective bind addresses of a layer: its own bind/host setting, else the network-wide one.
fn bind_hosts(settings: &BTreeMap<String, SettingValue>, layer: &str) -> Vec<String> {
    [
        format!("{layer}.bind_host"),
        format!("{layer}.host"),
        "network.bind_host".to_string(),
        "network.host".to_string(),
    ]
    .iter()
    .find_map(|k| settings.get(k))
    .map(SettingValue::as_list)
    .unwrap_or_else(|| vec!["_local_".to_string()])
}

/// Whether a bind address is loopback only (special values as Elasticsearch names them).
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim().trim_matches(|c| c == '[' || c == ']');
    if h.is_empty() {
        return true;
    }
    if h.starts_with('_') {
        return matches!(
            h,
            "_local_" | "_local:ipv4_" | "_local:ipv6_" | "_lo_" | "_lo:ipv4_" | "_lo:ipv6_"
        );
    }
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub fn is_all_interfaces(host: &str) -> bool {
    let h = host.trim().trim_matches(|c| c == '[' || c == ']');
    matches!(h, "0.0.0.0" | "::" | "0" | "_global_" | "0:0:0:0:0:0:0:0")
}

fn audit_facts(settings: &BTreeMap<String, SettingValue>, version: EsVersion) -> AuditFacts {
    let list = |k: &str| {
        settings
            .get(k)
            .map(SettingValue::as_list)
            .unwrap_or_default()
    };
    let include = list("xpack.security.audit.logfile.events.include");
    let exclude = list("xpack.security.audit.logfile.events.exclude");
    let expand = |names: &[String]| -> BTreeSet<String> {
        names
            .iter()
            .flat_map(|n| {
                if n == "_all" {
                    catalog::AUDIT_EVENT_TYPES
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                } else {
                    vec![n.clone()]
                }
            })
            .collect()
    };
    let excluded = expand(&exclude);
    let recorded: Vec<String> = expand(&include)
        .into_iter()
        .filter(|e| !excluded.contains(e))
        .collect();
    let has_config_change = version
        >= EsVersion {
            major: 7,
            minor: 11,
        };
    let missing_key_events = catalog::KEY_AUDIT_EVENTS
        .iter()
        .filter(|e| **e != "security_config_change" || has_config_change)
        .filter(|e| !recorded.iter().any(|r| r == *e))
        .map(|e| e.to_string())
        .collect();
    let invalid_events = include
        .iter()
        .chain(&exclude)
        .filter(|n| *n != "_all" && !catalog::AUDIT_EVENT_TYPES.contains(&n.as_str()))
        .cloned()
        .collect();
    debug_assert!(
        DEFAULT_AUDIT_EVENTS
            .iter()
            .all(|e| catalog::AUDIT_EVENT_TYPES.contains(e))
    );
    AuditFacts {
        enabled: settings
            .get("xpack.security.audit.enabled")
            .and_then(SettingValue::as_bool)
            .unwrap_or(false),
        recorded,
        missing_key_events,
        invalid_events,
    }
}

fn jvm_facts(node: &EsNode) -> JvmFacts {
    let args: Vec<String> = node.jvm_options.iter().map(|o| o.arg.clone()).collect();
    let props = args
        .iter()
        .rev()
        .find_map(|a| a.strip_prefix("-Djava.security.properties="));
    let (security_properties, replace) = match props {
        Some(p) => match p.strip_prefix('=') {
            Some(rest) => (rest.to_string(), true),
            None => (p.to_string(), false),
        },
        None => (String::new(), false),
    };
    // Elastic's FIPS page names the file by its absolute path on the node
    // (`/usr/share/elasticsearch/config/fips_java.security`); a scanned copy of the config
    // directory has it beside jvm.options.
    let file_text = (!security_properties.is_empty())
        .then(|| {
            let named = std::path::Path::new(&security_properties);
            std::fs::read_to_string(node.config_dir.join(named))
                .ok()
                .or_else(|| std::fs::read_to_string(node.config_dir.join(named.file_name()?)).ok())
        })
        .flatten()
        .unwrap_or_default();
    JvmFacts {
        present: !node.jvm_options.is_empty(),
        security_properties_weaken_tls: security_file_weakens_tls(&file_text),
        fips_provider_first: file_text.lines().any(|l| {
            let l = l.trim();
            l.starts_with("security.provider.1=")
                && (l.contains("BouncyCastleFipsProvider") || l.contains("BCFIPS"))
        }),
        tls_debug: args.iter().any(|a| a.starts_with("-Djavax.net.debug")),
        enforce_bootstrap_checks: args
            .iter()
            .any(|a| a == "-Des.enforce.bootstrap.checks=true"),
        security_properties,
        security_properties_replace: replace,
        args,
    }
}

/// A `jdk.tls.disabledAlgorithms` line that no longer disables every legacy protocol.
fn security_file_weakens_tls(text: &str) -> bool {
    let mut value = String::new();
    let mut in_value = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("jdk.tls.disabledAlgorithms") {
            value = rest.trim_start_matches([' ', '=', ':']).to_string();
            in_value = value.ends_with('\\');
        } else if in_value {
            value.push_str(line);
            in_value = line.ends_with('\\');
        }
    }
    if value.is_empty() {
        return false;
    }
    let entries: Vec<String> = value
        .replace('\\', "")
        .split(',')
        .map(|e| e.trim().to_string())
        .collect();
    ["SSLv3", "TLSv1", "TLSv1.1", "RC4", "3DES_EDE_CBC"]
        .iter()
        .any(|needed| !entries.iter().any(|e| e == needed))
}

/// An authentication realm declared in the node's settings.
#[derive(Debug, Clone, Serialize)]
pub struct RealmFacts {
    #[serde(rename = "type")]
    pub realm_type: String,
    pub name: String,
    pub prefix: String,
    pub enabled: bool,
    /// Explicit sub-settings of the realm (relative keys).
    pub settings: BTreeMap<String, SettingValue>,
    pub explicit: BTreeMap<String, bool>,
    pub urls: Vec<String>,
    #[serde(flatten)]
    pub hidden: Hidden,
    /// URLs that are not encrypted (`ldap://`, `http://`); for an Active Directory realm with no
    /// `url`, the implied `ldap://<domain>:389`.
    pub plaintext_urls: Vec<String>,
}

pub fn realms(node: &EsNode) -> Vec<RealmFacts> {
    let s = &node.settings;
    let prefix = "xpack.security.authc.realms.";
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    for key in s.keys_with_prefix(prefix) {
        let parts: Vec<&str> = key[prefix.len()..].splitn(3, '.').collect();
        if parts.len() == 3 && catalog::REALM_TYPES.contains(&parts[0]) {
            found.insert((parts[0].to_string(), parts[1].to_string()));
        }
    }
    found
        .into_iter()
        .map(|(realm_type, name)| {
            let realm_prefix = format!("{prefix}{realm_type}.{name}");
            let settings: BTreeMap<String, SettingValue> = s
                .keys_with_prefix(&format!("{realm_prefix}."))
                .filter_map(|k| {
                    let rel = k[realm_prefix.len() + 1..].to_string();
                    s.value(k).map(|v| (rel, v.clone()))
                })
                .collect();
            let urls = settings
                .get("url")
                .map(SettingValue::as_list)
                .unwrap_or_default();
            let mut plaintext_urls: Vec<String> = urls
                .iter()
                .filter(|u| {
                    let l = u.to_ascii_lowercase();
                    l.starts_with("ldap://") || l.starts_with("http://")
                })
                .cloned()
                .collect();
            if realm_type == "active_directory" && urls.is_empty() {
                let domain = settings
                    .get("domain_name")
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                plaintext_urls.push(format!("ldap://{domain}:389"));
            }
            RealmFacts {
                enabled: settings
                    .get("enabled")
                    .and_then(SettingValue::as_bool)
                    .unwrap_or(true),
                explicit: settings.keys().map(|k| (k.clone(), true)).collect(),
                prefix: realm_prefix,
                realm_type,
                name,
                settings,
                urls,
                plaintext_urls,
                hidden: Hidden::of(node),
            }
        })
        .collect()
}

/// One IP-filtered listener: transport, http, remote_cluster, or a transport profile.
#[derive(Debug, Clone, Serialize)]
pub struct FilterFacts {
    /// `transport`, `http`, `remote_cluster` or `profile`.
    pub layer: String,
    pub name: String,
    /// The prefix whose `.allow` / `.deny` hold this listener's own rules.
    pub prefix: String,
    pub enabled: bool,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    /// The rules come by fallback from another listener's settings (named here), or empty.
    pub inherited_from: String,
    /// The listener binds beyond loopback.
    pub exposed: bool,
    /// Deny entries that an allow entry also matches (allow wins, so they deny nothing).
    pub shadowed: Vec<String>,
    /// Allow entries that match every address (`_all`, `0.0.0.0/0`, `::/0`, `*`): with them the
    /// filter accepts everyone, whatever the deny list says.
    pub allow_everything: Vec<String>,
}

pub fn ip_filters(node: &EsNode, facts: &NodeFacts) -> Vec<FilterFacts> {
    let s = &node.settings;
    let list = |k: String| s.value(&k).map(SettingValue::as_list);
    let rules = |prefix: &str| {
        (
            list(format!("{prefix}.allow")),
            list(format!("{prefix}.deny")),
        )
    };
    let enabled = |k: &str| s.bool(k).unwrap_or(true);
    let transport_prefix = "xpack.security.transport.filter";
    let (t_allow, t_deny) = rules(transport_prefix);
    let mut out = vec![make_filter(
        "transport",
        "transport",
        transport_prefix,
        enabled("xpack.security.transport.filter.enabled"),
        (t_allow.clone(), t_deny.clone()),
        "",
        facts.transport_exposed,
    )];
    // HTTP falls back to the default profile's lists, then to the transport lists.
    let http_prefix = "xpack.security.http.filter";
    let default_profile = "transport.profiles.default.xpack.security.filter";
    let (http_rules, from) = first_written(&[
        (rules(http_prefix), ""),
        (rules(default_profile), default_profile),
        ((t_allow.clone(), t_deny.clone()), transport_prefix),
    ]);
    out.push(make_filter(
        "http",
        "http",
        http_prefix,
        enabled("xpack.security.http.filter.enabled"),
        http_rules,
        from,
        facts.http_exposed,
    ));
    if s.bool("remote_cluster_server.enabled") == Some(true) {
        let rc_prefix = "xpack.security.remote_cluster.filter";
        let (rc_rules, from) = first_written(&[
            (rules(rc_prefix), ""),
            ((t_allow, t_deny), transport_prefix),
        ]);
        out.push(make_filter(
            "remote_cluster",
            "remote_cluster",
            rc_prefix,
            enabled("xpack.security.transport.filter.enabled"),
            rc_rules,
            from,
            true,
        ));
    }
    for profile in super::tls::transport_profiles(node) {
        let base = format!("transport.profiles.{profile}");
        let hosts: Vec<String> = [format!("{base}.bind_host"), format!("{base}.host")]
            .iter()
            .find_map(|k| s.value(k))
            .map(SettingValue::as_list)
            .unwrap_or_else(|| facts.transport_hosts.clone());
        let prefix = format!("{base}.xpack.security.filter");
        out.push(make_filter(
            "profile",
            &format!("profile {profile}"),
            &prefix,
            enabled("xpack.security.transport.filter.enabled"),
            rules(&prefix),
            "",
            hosts.iter().any(|h| !is_loopback(h)),
        ));
    }
    out
}

type FilterLists = (Option<Vec<String>>, Option<Vec<String>>);

/// The first of these allow/deny pairs with either list written, and the prefix it was read
/// from (empty for the listener's own); nothing, from nowhere, when none is written.
fn first_written<'a>(candidates: &[(FilterLists, &'a str)]) -> (FilterLists, &'a str) {
    candidates
        .iter()
        .find(|((allow, deny), _)| allow.is_some() || deny.is_some())
        .cloned()
        .unwrap_or(((None, None), ""))
}

fn make_filter(
    layer: &str,
    name: &str,
    prefix: &str,
    enabled: bool,
    (allow, deny): FilterLists,
    inherited_from: &str,
    exposed: bool,
) -> FilterFacts {
    let allow = allow.unwrap_or_default();
    let deny = deny.unwrap_or_default();
    let shadowed = deny
        .iter()
        .filter(|d| allow.iter().any(|a| rule_covers(a, d)))
        .cloned()
        .collect();
    let allow_everything = allow
        .iter()
        .filter(|a| matches!(a.trim(), "_all" | "*" | "0.0.0.0/0" | "::/0" | "0::0/0"))
        .cloned()
        .collect();
    FilterFacts {
        allow_everything,
        layer: layer.into(),
        name: name.into(),
        prefix: prefix.into(),
        enabled,
        allow,
        deny,
        inherited_from: inherited_from.into(),
        exposed,
        shadowed,
    }
}

/// Whether filter entry `outer` matches every address `inner` matches (addresses and CIDR ranges;
/// host names only when written identically).
fn rule_covers(outer: &str, inner: &str) -> bool {
    if outer == inner || outer == "_all" {
        return true;
    }
    let (Some((o_net, o_len)), Some((i_net, i_len))) = (parse_cidr(outer), parse_cidr(inner))
    else {
        return false;
    };
    if o_len > i_len {
        return false;
    }
    match (o_net, i_net) {
        (IpAddr::V4(o), IpAddr::V4(i)) => {
            let mask = if o_len == 0 {
                0
            } else {
                u32::MAX << (32 - o_len)
            };
            u32::from(o) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(o), IpAddr::V6(i)) => {
            let mask = if o_len == 0 {
                0
            } else {
                u128::MAX << (128 - o_len)
            };
            u128::from(o) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u32)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u32>().ok()?)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

/// A named audit ignore policy (`…events.ignore_filters.<name>.*`).
#[derive(Debug, Clone, Serialize)]
pub struct AuditPolicyFacts {
    pub name: String,
    pub prefix: String,
    pub users: Vec<String>,
    pub realms: Vec<String>,
    pub actions: Vec<String>,
    pub roles: Vec<String>,
    pub indices: Vec<String>,
    /// Every field the policy sets is a bare `*`: it drops nearly every event.
    pub matches_everything: bool,
    /// The policy silences the `elastic` user, the `superuser` role, or every user or role.
    pub covers_privileged: bool,
}

pub fn audit_policies(node: &EsNode) -> Vec<AuditPolicyFacts> {
    let s = &node.settings;
    let prefix = "xpack.security.audit.logfile.events.ignore_filters.";
    let names: BTreeSet<String> = s
        .keys_with_prefix(prefix)
        .filter_map(|k| k[prefix.len()..].split('.').next().map(String::from))
        .collect();
    names
        .into_iter()
        .map(|name| {
            let p = format!("{prefix}{name}");
            let field = |f: &str| {
                s.value(&format!("{p}.{f}"))
                    .map(SettingValue::as_list)
                    .unwrap_or_default()
            };
            let (users, realms, actions, roles, indices) = (
                field("users"),
                field("realms"),
                field("actions"),
                field("roles"),
                field("indices"),
            );
            let all_fields = [&users, &realms, &actions, &roles, &indices];
            let matches_everything = all_fields
                .iter()
                .filter(|f| !f.is_empty())
                .all(|f| f.iter().all(|v| v == "*"));
            let covers_privileged = users.iter().any(|u| u == "elastic" || u == "*")
                || roles.iter().any(|r| r == "superuser" || r == "*");
            AuditPolicyFacts {
                name,
                prefix: p,
                users,
                realms,
                actions,
                roles,
                indices,
                matches_everything,
                covers_privileged,
            }
        })
        .collect()
}

/// One written setting, as the `es_setting` rules see it. Secret values are never included.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SettingFacts {
    pub key: String,
    /// The value, or empty for secret settings.
    pub value: String,
    pub occurrence: i64,
    /// The key is written more than once (in any mix of flat and nested forms).
    pub duplicate: bool,
    pub unresolved: Vec<String>,
    pub from_placeholder: bool,
    pub known: bool,
    /// The nearest known key when this one looks misspelled, or empty.
    pub suggestion: String,
    pub removed: bool,
    pub secure_only: bool,
    pub secret: bool,
    /// The 6.x realm form `xpack.security.authc.realms.<name>.<setting>` (the 7.0+ form puts
    /// the realm type first).
    pub legacy_realm: bool,
    /// The node was also read through its cluster's API in this scan (see `pairing`).
    pub paired: bool,
    /// What the running node has instead of this value, when they differ; else empty.
    pub running: String,
    /// A secret whose value is a published default or sample (`changeme`, …).
    pub sample: bool,
}

pub fn setting_facts(node: &EsNode) -> Vec<SettingFacts> {
    let s = &node.settings;
    s.entries
        .iter()
        .map(|e| {
            let secret = catalog::is_secret(&e.key);
            let legacy_realm = e
                .key
                .strip_prefix("xpack.security.authc.realms.")
                .and_then(|rest| rest.split('.').next())
                .is_some_and(|first| !catalog::REALM_TYPES.contains(&first));
            SettingFacts {
                key: e.key.clone(),
                value: if secret {
                    String::new()
                } else {
                    e.value.to_string()
                },
                occurrence: e.occurrence as i64,
                // Every occurrence of a repeated key, the first too: the last one counts them.
                duplicate: s.get(&e.key).is_some_and(|last| last.occurrence > 1),
                unresolved: e.unresolved.clone(),
                from_placeholder: e.from_placeholder,
                known: catalog::is_known(&e.key),
                suggestion: catalog::suggestion(&e.key).unwrap_or_default(),
                removed: catalog::removed_setting(&e.key),
                secure_only: catalog::is_secure_only(&e.key),
                paired: node.paired_with.is_some(),
                running: node
                    .drift
                    .iter()
                    // The running value is compared with the key's last occurrence only.
                    .find(|d| {
                        d.key == e.key
                            && s.get(&e.key).is_some_and(|l| l.occurrence == e.occurrence)
                    })
                    .map(|d| {
                        let shown = if secret {
                            "(secret, not shown)"
                        } else {
                            &d.running
                        };
                        match d.via.as_str() {
                            "" => shown.to_string(),
                            via => format!("{shown} ({via})"),
                        }
                    })
                    .unwrap_or_default(),
                sample: secret && super::catalog::is_sample_secret(&e.value.to_string()),
                secret,
                legacy_realm,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_all_interfaces() {
        assert!(is_loopback("_local_"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("0.0.0.0"));
        assert!(!is_loopback("_site_"));
        assert!(!is_loopback("10.0.0.4"));
        assert!(is_all_interfaces("0.0.0.0"));
    }

    #[test]
    fn cidr_cover() {
        assert!(rule_covers("10.0.0.0/8", "10.1.2.3"));
        assert!(rule_covers("10.0.0.0/8", "10.1.0.0/16"));
        assert!(!rule_covers("10.1.0.0/16", "10.0.0.0/8"));
        assert!(!rule_covers("192.168.0.0/16", "10.0.0.1"));
        assert!(rule_covers("_all", "10.0.0.1"));
        // A narrower range never covers a wider one that starts at the same address.
        assert!(!rule_covers("10.0.0.0/16", "10.0.0.0/8"));
        // Equal prefix lengths written differently still cover each other.
        assert!(rule_covers("10.0.0.1/32", "10.0.0.1"));
        assert!(rule_covers("10.0.0.0/8", "10.255.0.0/8"));
        assert!(!rule_covers("10.0.0.1", "10.0.0.0/24"));
        // IPv6, and no covering across families.
        assert!(rule_covers("fd00::/8", "fd12:3456::1"));
        assert!(rule_covers("fd12::/16", "fd12::/32"));
        assert!(!rule_covers("fd12::/32", "fd12::/16"));
        assert!(!rule_covers("fd00::/8", "fe80::1"));
        assert!(rule_covers("::/0", "2001:db8::1"));
        assert!(!rule_covers("0.0.0.0/0", "2001:db8::1"));
        assert!(!rule_covers("::/0", "10.0.0.1"));
    }

    #[test]
    fn weakened_security_file() {
        assert!(security_file_weakens_tls(
            "jdk.tls.disabledAlgorithms=SSLv3, RC4, DES\n"
        ));
        assert!(!security_file_weakens_tls(
            "jdk.tls.disabledAlgorithms=SSLv3, TLSv1, TLSv1.1, RC4, DES, \\\n  3DES_EDE_CBC, NULL\n"
        ));
        assert!(!security_file_weakens_tls("security.provider.1=X\n"));
        // Each legacy entry counts: dropping any one of them weakens the line.
        let all = ["SSLv3", "TLSv1", "TLSv1.1", "RC4", "3DES_EDE_CBC"];
        for dropped in all {
            let kept: Vec<&str> = all.iter().copied().filter(|a| *a != dropped).collect();
            let line = format!("jdk.tls.disabledAlgorithms={}, NULL\n", kept.join(", "));
            assert!(security_file_weakens_tls(&line), "{line}");
        }
    }

    /// A node with these settings, of version `major`.7.
    fn node_with(major: u32, settings: &[(&str, &str)]) -> EsNode {
        use crate::evidence::settings::{Setting, SettingValue, substitute_placeholders};
        let mut n = EsNode::files_only(std::path::Path::new("cfg"), vec![]);
        n.files_only = false;
        n.cluster = "c".into();
        n.name = "n1".into();
        n.version = crate::evidence::EsVersion { major, minor: 7 };
        n.version_source = VersionSource::CommandLine;
        for (key, value) in settings {
            let (text, unresolved, from_placeholder) = substitute_placeholders(value);
            n.settings.push(Setting {
                key: key.to_string(),
                value: SettingValue::from_text(&text),
                unresolved,
                from_placeholder,
                location: crate::evidence::Location::at("cfg/elasticsearch.yml", 1, 1),
                occurrence: 1,
            });
        }
        n
    }

    /// Which lists each listener filters with: its own when either list is written, else the
    /// default profile's, else the transport's; nothing inherited when nothing is written.
    #[test]
    fn ip_filter_fallbacks_take_a_lone_allow_or_deny_list() {
        let filters = |settings: &[(&str, &str)]| {
            let mut pairs = vec![("remote_cluster_server.enabled", "true")];
            pairs.extend_from_slice(settings);
            let n = node_with(8, &pairs);
            ip_filters(&n, &node_facts(&n))
                .into_iter()
                .map(|f| (f.name.clone(), f))
                .collect::<BTreeMap<_, _>>()
        };
        let t = "xpack.security.transport.filter";
        let f = filters(&[("xpack.security.transport.filter.allow", "10.0.0.0/8")]);
        assert_eq!(f["http"].inherited_from, t);
        assert_eq!(f["http"].allow, ["10.0.0.0/8"]);
        assert_eq!(f["remote_cluster"].inherited_from, t);
        let f = filters(&[
            ("xpack.security.transport.filter.allow", "10.0.0.0/8"),
            ("xpack.security.http.filter.deny", "192.168.1.1"),
            ("xpack.security.remote_cluster.filter.deny", "192.168.1.2"),
        ]);
        assert_eq!(f["http"].inherited_from, "");
        assert!(f["http"].allow.is_empty());
        assert_eq!(f["http"].deny, ["192.168.1.1"]);
        assert_eq!(f["remote_cluster"].inherited_from, "");
        assert_eq!(f["remote_cluster"].deny, ["192.168.1.2"]);
        let f = filters(&[
            ("xpack.security.transport.filter.deny", "10.0.0.1"),
            (
                "transport.profiles.default.xpack.security.filter.allow",
                "172.16.0.0/12",
            ),
        ]);
        assert_eq!(
            f["http"].inherited_from,
            "transport.profiles.default.xpack.security.filter"
        );
        assert_eq!(f["http"].allow, ["172.16.0.0/12"]);
        let f = filters(&[]);
        assert_eq!(f["http"].inherited_from, "");
        assert_eq!(f["remote_cluster"].inherited_from, "");
    }

    #[test]
    fn audit_ignore_policies_that_silence_privileged_users() {
        let covers = |field: &str, value: &str| {
            let key = format!("xpack.security.audit.logfile.events.ignore_filters.p.{field}");
            let n = node_with(8, &[(key.as_str(), value)]);
            audit_policies(&n)[0].covers_privileged
        };
        assert!(covers("users", "elastic"));
        assert!(covers("users", "*"));
        assert!(covers("roles", "superuser"));
        assert!(covers("roles", "*"));
        assert!(!covers("users", "bob"));
        assert!(!covers("roles", "viewer"));
        assert!(!covers("indices", "*"));
    }

    /// A key written twice is a duplicate at both places; the running value is set beside the
    /// occurrence that wins, the last.
    #[test]
    fn duplicate_settings_and_the_running_value() {
        let mut n = node_with(
            8,
            &[
                ("xpack.security.enabled", "false"),
                ("http.port", "9200"),
                ("xpack.security.enabled", "true"),
            ],
        );
        n.drift.push(crate::evidence::pairing::Drift {
            key: "xpack.security.enabled".into(),
            file: "true".into(),
            running: "false".into(),
            via: String::new(),
        });
        let got: Vec<(String, bool, String)> = setting_facts(&n)
            .into_iter()
            .map(|f| (f.key, f.duplicate, f.running))
            .collect();
        let row = |k: &str, d: bool, r: &str| (k.to_string(), d, r.to_string());
        assert!(!node_facts(&n).version_assumed);
        n.version_source = VersionSource::Assumed;
        assert!(node_facts(&n).version_assumed);
        assert_eq!(
            got,
            [
                row("xpack.security.enabled", true, ""),
                row("http.port", false, ""),
                row("xpack.security.enabled", true, "false"),
            ]
        );
    }

    #[test]
    fn security_is_known_off_when_written_or_implied_by_a_basic_licence_before_8() {
        let off = |major: u32, settings: &[(&str, &str)], license: Option<&str>| {
            let mut n = node_with(major, settings);
            n.license = license.map(str::to_string);
            security_known_off(&n)
        };
        assert!(off(8, &[("xpack.security.enabled", "false")], None));
        assert!(!off(
            7,
            &[("xpack.security.enabled", "true")],
            Some("basic")
        ));
        assert!(off(7, &[], Some("basic")));
        assert!(off(6, &[], Some("trial")));
        assert!(!off(7, &[], Some("gold")));
        assert!(!off(7, &[], None), "no licence seen: not known off");
        assert!(!off(8, &[], Some("basic")), "8.x: on unless written off");
        assert!(off(
            7,
            &[("xpack.license.self_generated.type", "basic")],
            None
        ));
        assert!(!off(
            7,
            &[("xpack.license.self_generated.type", "trial")],
            Some("platinum")
        ));
    }

    #[test]
    fn exposure_single_node_tls_and_audit_appender_facts() {
        use crate::collect::compose_env::Published;
        let published = |host_ip: &str, port: u16| Published {
            container_port: port,
            host_ip: host_ip.into(),
        };
        let mut n = node_with(8, &[("network.host", "0.0.0.0")]);
        n.published = Some(vec![
            published("127.0.0.1", 9200),
            published("127.0.0.1", 9300),
        ]);
        let f = node_facts(&n);
        assert!(
            !f.http_exposed && !f.transport_exposed,
            "published on loopback only"
        );
        n.published = Some(vec![published("", 9200), published("10.0.0.5", 9300)]);
        let f = node_facts(&n);
        assert!(f.http_exposed && f.http_all_interfaces && f.transport_exposed);

        let n = node_with(
            8,
            &[
                ("network.host", "10.0.0.5"),
                ("discovery.type", "single-node"),
                ("xpack.security.transport.ssl.enabled", "true"),
            ],
        );
        let f = node_facts(&n);
        assert!(!f.production_mode, "single-node: no bootstrap checks");
        assert!(f.tls_configured, "transport TLS alone counts");
        let n = node_with(8, &[("network.host", "10.0.0.5")]);
        let f = node_facts(&n);
        assert!(f.production_mode && !f.tls_configured);

        let mut n = node_with(8, &[]);
        n.log4j = Some(crate::evidence::Log4jConfig {
            path: "log4j2.properties".into(),
            audit_appender: true,
            audit_logger: false,
        });
        assert!(
            !node_facts(&n).log4j_audit_appender,
            "an appender nothing logs to"
        );
        n.log4j.as_mut().unwrap().audit_logger = true;
        assert!(node_facts(&n).log4j_audit_appender);
    }

    #[test]
    fn key_audit_events_by_version_interfaces_providers_and_realm_keys() {
        let v = |major, minor| EsVersion { major, minor };
        let all_but_config_change: Vec<String> = catalog::KEY_AUDIT_EVENTS
            .iter()
            .filter(|e| **e != "security_config_change")
            .map(|e| e.to_string())
            .collect();
        let settings = BTreeMap::from([(
            "xpack.security.audit.logfile.events.include".to_string(),
            SettingValue::List(all_but_config_change),
        )]);
        // security_config_change exists from 7.11: only then is it missing.
        assert!(
            audit_facts(&settings, v(7, 10))
                .missing_key_events
                .is_empty()
        );
        assert_eq!(
            audit_facts(&settings, v(7, 11)).missing_key_events,
            ["security_config_change"]
        );

        assert!(is_all_interfaces("[::]"));
        assert!(!is_all_interfaces("[::1]"));

        let dir = tempfile::tempdir().unwrap();
        let provider = |line: &str| {
            std::fs::write(dir.path().join("fips.security"), format!("{line}\n")).unwrap();
            let mut n = node_with(8, &[]);
            n.config_dir = dir.path().to_path_buf();
            n.jvm_options = vec![crate::evidence::JvmOption {
                arg: "-Djava.security.properties=fips.security".into(),
                location: crate::evidence::Location::default(),
            }];
            jvm_facts(&n).fips_provider_first
        };
        assert!(provider(
            "security.provider.1=org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider C:HYBRID;ENABLE{All};"
        ));
        assert!(!provider(
            "security.provider.2=org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider"
        ));
        assert!(!provider("security.provider.1=SUN"));

        let n = node_with(
            8,
            &[
                ("xpack.security.authc.realms.ldap.corp.order", "1"),
                ("xpack.security.authc.realms.custom.thing.order", "2"),
                ("xpack.security.authc.realms.native", "x"),
            ],
        );
        let found: Vec<String> = realms(&n)
            .iter()
            .map(|r| format!("{}.{}", r.realm_type, r.name))
            .collect();
        assert_eq!(found, ["ldap.corp"]);
    }
}
