//! A cluster seen through its APIs (live, or from a snapshot or support-diagnostics bundle):
//! the facts the `es_cluster` and `cluster_certificate` rules judge, and the nodes of
//! `_nodes/settings`, which the node rules judge exactly as if their `elasticsearch.yml` had
//! been read.

use super::settings::{Setting, SettingValue, Settings};
use super::{EsNode, EsVersion, Location, VersionSource};
use crate::collect::snapshot::ApiSnapshot;
use serde::Serialize;
use serde_json::Value;

/// A cluster read through its APIs.
#[derive(Debug, Clone, Serialize)]
pub struct EsCluster {
    /// `cluster:<name>`.
    pub id: String,
    pub name: String,
    pub facts: ClusterFacts,
    pub certificates: Vec<LoadedCertificate>,
    /// Why the loaded certificates are unknown (`_ssl/certificates` refused or absent).
    pub certificates_missing: Option<String>,
    /// Ids of the nodes built from `_nodes/settings`.
    pub node_ids: Vec<String>,
    /// Users, roles, role mappings, API keys and service tokens from the security APIs.
    pub rbac: super::rbac::Rbac,
    /// What the RBAC rules judge, analysed once.
    #[serde(skip)]
    pub rbac_items: Vec<super::rbac::RbacItem>,
    /// Why RBAC does not apply (security is off: there are no users or roles).
    pub rbac_not_applicable: Option<String>,
    #[serde(skip)]
    pub snapshot: ApiSnapshot,
}

/// What the cluster-level rules read (CEL variable `api`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterFacts {
    pub name: String,
    pub source: String,
    /// Read from the live cluster (false: a snapshot or bundle).
    pub live: bool,
    /// Certificate verification was off for this scan (`--insecure`).
    pub insecure: bool,
    /// `major.minor.patch` from `GET /`, or empty.
    pub version: String,
    pub anonymous: AnonymousFacts,
    pub security: Known<bool>,
    pub usage: UsageFacts,
    pub license: LicenseFacts,
    /// `_nodes/settings` was read: the node rules judge TLS, audit and IP filtering per node.
    pub node_settings_read: bool,
    pub nodes: i64,
    pub scanner: ScannerFacts,
    /// Security settings set at runtime through `_cluster/settings`.
    pub overrides: Vec<Override>,
    pub ip_filter_disabled_at_runtime: Vec<String>,
    pub ip_filter_allow_all_at_runtime: Vec<String>,
    /// Audit event filters changed at runtime that drop key events.
    pub audit_events_dropped_at_runtime: Vec<String>,
    /// Security settings held only as transient (lost at the next full restart).
    pub transient_security: Vec<String>,
    /// Why the cluster settings are unknown.
    pub cluster_settings_missing: String,
}

/// A value, or why it is unknown.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Known<T> {
    pub known: bool,
    pub value: T,
    /// Why it is unknown.
    pub why: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AnonymousFacts {
    /// The unauthenticated probe was made (live scans only).
    pub probed: bool,
    pub root_status: i64,
    /// `GET /` without credentials answered with the cluster's name or version.
    pub root_open: bool,
    pub authenticate_status: i64,
    /// `_security/_authenticate` without credentials named an (anonymous) user.
    pub authenticated_as: String,
    /// An answer that only a cluster with security switched off gives.
    pub security_off_signature: bool,
    pub cluster_data_served: bool,
}

/// `_xpack/usage` `security` block.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UsageFacts {
    pub known: bool,
    pub why: String,
    pub enabled: bool,
    pub http_ssl: bool,
    pub transport_ssl: bool,
    pub audit: bool,
    pub ipfilter_http: bool,
    pub ipfilter_transport: bool,
    pub anonymous: bool,
    pub fips: bool,
    pub operator_privileges: bool,
    /// Operator privileges need an Enterprise licence (absent from the answer before 7.11).
    pub operator_privileges_available: bool,
    pub file_roles: i64,
    pub file_realm: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LicenseFacts {
    pub known: bool,
    pub why: String,
    /// `basic`, `gold`, `platinum`, `enterprise`, `trial`…
    pub kind: String,
    pub status: String,
    /// The tier pays for audit logging and IP filtering (gold and above, or trial).
    pub audit_and_ip_filtering: bool,
    pub fips: bool,
    /// Features configured on the nodes that the licence does not run.
    pub configured_but_inactive: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ScannerFacts {
    pub known: bool,
    pub why: String,
    pub username: String,
    pub roles: Vec<String>,
    pub authentication_type: String,
    /// Superuser, cluster `all`, or `manage_security`.
    pub excessive: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Override {
    pub key: String,
    pub value: String,
    /// `persistent` or `transient`.
    pub scope: String,
}

/// A certificate a node loaded, from `_ssl/certificates` (variable `cert`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadedCertificate {
    /// The id results name it by, distinct within the cluster (see `certificate_objects`).
    #[serde(skip)]
    pub object: String,
    pub path: String,
    pub format: String,
    pub alias: String,
    pub subject_dn: String,
    pub issuer: String,
    pub serial_number: String,
    pub has_private_key: bool,
    pub expiry: String,
    /// Whole days until expiry (negative once expired); unknown expiry gives a large number.
    pub days_left: i64,
    pub expired: bool,
    /// A CA certificate: issuer equal to the subject, or an `alias`/subject naming a CA.
    pub ca: bool,
    /// The CA `elasticsearch-certutil` or the 8.x auto-configuration generated.
    pub autogenerated_ca: bool,
    /// The 8.x auto-configuration's HTTP CA: Elasticsearch keeps its key in `certs/http.p12`
    /// by design, to sign certificates for nodes and clients that enrol.
    pub enrollment_ca: bool,
}

impl LoadedCertificate {
    /// `certificate:<path>#<alias or serial>`; the subject stands in for a path the answer
    /// leaves null (8.0+ for some stores).
    pub fn object(&self) -> String {
        let which = if self.alias.is_empty() {
            &self.serial_number
        } else {
            &self.alias
        };
        let path = if self.path.is_empty() {
            &self.subject_dn
        } else {
            &self.path
        };
        format!("certificate:{path}#{which}")
    }
}

/// Object ids of the loaded certificates, distinct: a CA and its leaf often come from one store
/// under one alias (certutil and auto-configuration stores), so a shared id gets the serial.
fn certificate_objects(certs: &[LoadedCertificate]) -> Vec<String> {
    let plain: Vec<String> = certs.iter().map(LoadedCertificate::object).collect();
    plain
        .iter()
        .zip(certs)
        .map(|(object, c)| {
            if plain.iter().filter(|o| *o == object).count() > 1 {
                format!("{object}/{}", c.serial_number)
            } else {
                object.clone()
            }
        })
        .collect()
}

/// Cluster-level security keys whose runtime value matters.
const SECURITY_PREFIXES: &[&str] = &["xpack.security.", "xpack.ml.", "xpack.monitoring."];

/// Audit events whose exclusion hides attacks.
const KEY_AUDIT_EVENTS: &[&str] = &[
    "authentication_failed",
    "access_denied",
    "tampered_request",
    "connection_denied",
    "run_as_denied",
    "security_config_change",
    "anonymous_access_denied",
];

/// Turns every API snapshot of the deployment into a cluster, and its nodes into nodes the
/// node rules judge.
/// Returns the nodes' publish addresses, for pairing them with probed endpoints.
pub fn add_all(
    deployment: &mut super::Deployment,
    now_ms: i64,
) -> Vec<super::endpoint::NodeAddress> {
    let mut addresses = vec![];
    for snapshot in std::mem::take(&mut deployment.api_snapshots) {
        let published = node_publish_addresses(&snapshot);
        let (mut cluster, nodes) = build(snapshot, now_ms);
        let runtime: Vec<(String, String)> = cluster
            .facts
            .overrides
            .iter()
            .map(|o| (o.key.clone(), o.scope.clone()))
            .collect();
        let mut ids = vec![];
        for mut node in nodes {
            let own: Vec<(String, u16)> = published
                .iter()
                .filter(|(name, _)| *name == node.name)
                .map(|(_, spec)| (spec.host.clone(), spec.port))
                .collect();
            // The same node read from its folder in this scan: one target, files and API joined.
            if let Some(i) = super::pairing::partner(&deployment.nodes, &node, &own, |n| {
                super::endpoint::declared_addresses(n)
                    .into_iter()
                    .map(|a| (a.host, a.port))
                    .collect()
            }) {
                super::pairing::join(&mut deployment.nodes[i], node, &runtime);
                ids.push(deployment.nodes[i].id.clone());
                continue;
            }
            if deployment.nodes.iter().any(|n| n.id == node.id) {
                node.id = format!("{}@{}", node.id, cluster.facts.source);
            }
            for (_, spec) in published.iter().filter(|(name, _)| *name == node.name) {
                addresses.push(super::endpoint::NodeAddress {
                    node_id: node.id.clone(),
                    layer: spec.role.as_str(),
                    host: spec.host.clone(),
                    port: spec.port,
                    source: "_nodes/http,transport publish_address".into(),
                });
            }
            ids.push(node.id.clone());
            deployment.nodes.push(node);
        }
        cluster.node_ids = ids;
        if deployment.clusters.iter().any(|c| c.id == cluster.id) {
            cluster.id = format!("{}@{}", cluster.id, cluster.facts.source);
        }
        deployment.clusters.push(cluster);
    }
    addresses
}

/// The HTTP and transport publish addresses of the cluster's nodes (`_nodes/http,transport`),
/// for `--probe-tls`. Addresses look like `10.0.0.5:9200` or `es01/10.0.0.5:9200`.
pub fn publish_endpoints(snapshot: &ApiSnapshot) -> Vec<super::endpoint::EndpointSpec> {
    let mut out = vec![];
    for (_, spec) in node_publish_addresses(snapshot) {
        spec.add_to(&mut out);
    }
    out
}

/// Each node's HTTP and transport publish address, by node name.
pub fn node_publish_addresses(
    snapshot: &ApiSnapshot,
) -> Vec<(String, super::endpoint::EndpointSpec)> {
    use super::endpoint::{EndpointSpec, Role};
    // A support-diagnostics `nodes.json` (`/_nodes`) holds the addresses too.
    let Some(Value::Object(map)) = snapshot
        .body("nodes_addresses")
        .or_else(|| snapshot.body("nodes"))
        .and_then(|b| b.get("nodes"))
    else {
        return vec![];
    };
    let mut out = vec![];
    for (node_id, node) in map {
        let name = node
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(node_id)
            .to_string();
        for (layer, role) in [("http", Role::Http), ("transport", Role::Transport)] {
            let Some(address) = node
                .get(layer)
                .and_then(|l| l.get("publish_address"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let address = address.rsplit('/').next().unwrap_or(address);
            if let Ok(spec) = EndpointSpec::parse(address) {
                out.push((name.clone(), EndpointSpec { role, ..spec }));
            }
        }
    }
    out
}

/// Builds the cluster and the nodes `_nodes/settings` describes.
pub fn build(snapshot: ApiSnapshot, now_ms: i64) -> (EsCluster, Vec<EsNode>) {
    // An inventory names its clusters; otherwise the cluster's own name is the one people know.
    let reported = snapshot
        .body("version")
        .and_then(|v| v.get("cluster_name"))
        .and_then(Value::as_str)
        .map(String::from);
    let name = match reported {
        Some(n) if snapshot.anchor.is_none() || snapshot.name.is_empty() => n,
        _ => snapshot.name.clone(),
    };
    let version_text = snapshot
        .body("version")
        .and_then(|v| v.pointer("/version/number"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let (overrides, cluster_settings_missing) = match snapshot.body("cluster_settings") {
        Some(body) => (overrides(body), String::new()),
        None => (
            vec![],
            snapshot.why_missing("cluster_settings").unwrap_or_default(),
        ),
    };
    let license = license(&snapshot);
    let mut nodes = nodes(&snapshot, &name, &version_text, &overrides, &license);
    let id = format!("cluster:{name}");
    let mut facts = ClusterFacts {
        name: name.clone(),
        source: snapshot.source.clone(),
        live: snapshot.live,
        insecure: snapshot.insecure,
        version: version_text,
        anonymous: anonymous(&snapshot),
        security: security(&snapshot, &nodes, &license),
        usage: usage(&snapshot),
        license,
        node_settings_read: snapshot.body("nodes").is_some(),
        nodes: nodes.len() as i64,
        scanner: scanner(&snapshot),
        cluster_settings_missing,
        ..Default::default()
    };
    runtime_facts(&mut facts, &overrides);
    facts.overrides = overrides;
    inactive_features(&mut facts, &nodes);
    let (certificates, certificates_missing) = match snapshot.body("ssl_certs") {
        Some(Value::Array(items)) => (
            items
                .iter()
                .map(|c| loaded_certificate(c, now_ms))
                .collect(),
            None,
        ),
        Some(_) => (
            vec![],
            Some("_ssl/certificates answered with something other than a list".into()),
        ),
        None => (vec![], snapshot.why_missing("ssl_certs")),
    };
    let mut certificates = certificates;
    let objects = certificate_objects(&certificates);
    for (cert, object) in certificates.iter_mut().zip(objects) {
        cert.object = object;
    }
    for node in &mut nodes {
        node.id = format!("node:{name}/{}", node.name);
    }
    let mut rbac = super::rbac::from_api(&snapshot);
    rbac.anonymous_known = snapshot.body("nodes").is_some();
    // Anonymous roles are node settings; every identity gets them on top of its own.
    for node in &nodes {
        if let Some(v) = node.settings.value("xpack.security.authc.anonymous.roles") {
            for role in v.as_list() {
                if !rbac.anonymous_roles.contains(&role) {
                    rbac.anonymous_roles.push(role);
                }
            }
        }
    }
    let rbac_not_applicable = (facts.security.known && !facts.security.value).then(|| {
        "security is disabled on this cluster (see ES-API-003): there are no users or roles"
            .to_string()
    });
    let rbac_items = super::rbac::analyse(&rbac, now_ms);
    let cluster = EsCluster {
        id,
        name,
        facts,
        certificates,
        certificates_missing,
        node_ids: nodes.iter().map(|n| n.id.clone()).collect(),
        rbac,
        rbac_items,
        rbac_not_applicable,
        snapshot,
    };
    (cluster, nodes)
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn flag(body: Option<&Value>, pointer: &str) -> bool {
    match body.and_then(|b| b.pointer(pointer)) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn anonymous(s: &ApiSnapshot) -> AnonymousFacts {
    let Some(probe) = &s.anonymous else {
        return AnonymousFacts::default();
    };
    let root = probe.root.body.as_ref();
    let root_open = probe.root.status == 200
        && root.is_some_and(|b| b.get("cluster_name").is_some() || b.get("version").is_some());
    let auth = probe.authenticate.body.as_ref();
    let authenticated_as = if probe.authenticate.status == 200 {
        text(auth.and_then(|b| b.get("username")))
    } else {
        String::new()
    };
    let error = probe
        .authenticate
        .error
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let security_off_signature = root_open
        && (error.contains("no handler found")
            || error.contains("security must be explicitly enabled")
            || error.contains("invalid_index_name"));
    AnonymousFacts {
        probed: true,
        root_status: probe.root.status as i64,
        root_open,
        authenticate_status: probe.authenticate.status as i64,
        authenticated_as,
        security_off_signature,
        cluster_data_served: root_open,
    }
}

/// Whether security is on: on 6.x/7.x a node without `xpack.security.enabled` follows the
/// licence (on for Gold and above, off for Basic and Trial), whatever `_xpack` reports for the
/// setting's default; otherwise what `_xpack` and `_xpack/usage` report.
fn security(s: &ApiSnapshot, nodes: &[EsNode], license: &LicenseFacts) -> Known<bool> {
    let before_8 = s.version().is_some_and(|(major, _)| major < 8);
    if before_8 && !nodes.is_empty() {
        let by_license = license
            .known
            .then(|| super::settings::license_secures(&license.kind));
        let per_node: Option<Vec<bool>> = nodes
            .iter()
            .map(|n| n.settings.bool("xpack.security.enabled").or(by_license))
            .collect();
        if let Some(on) = per_node {
            return Known {
                known: true,
                value: on.iter().all(|&on| on),
                why: String::new(),
            };
        }
    }
    api_security(s)
}

fn api_security(s: &ApiSnapshot) -> Known<bool> {
    let from_info = s
        .body("xpack_info")
        .and_then(|b| b.pointer("/features/security/enabled"))
        .and_then(Value::as_bool);
    let from_usage = s
        .body("xpack")
        .and_then(|b| b.pointer("/security/enabled"))
        .and_then(Value::as_bool);
    match from_info.or(from_usage) {
        Some(v) => Known {
            known: true,
            value: v,
            why: String::new(),
        },
        None => Known {
            known: false,
            value: false,
            why: s
                .why_missing("xpack_info")
                .or_else(|| s.why_missing("xpack"))
                .unwrap_or_else(|| "the security feature block is missing from _xpack".into()),
        },
    }
}

fn usage(s: &ApiSnapshot) -> UsageFacts {
    let Some(body) = s.body("xpack") else {
        return UsageFacts {
            why: s.why_missing("xpack").unwrap_or_default(),
            ..Default::default()
        };
    };
    let b = Some(body);
    let file_roles = body
        .pointer("/security/roles/file/size")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    UsageFacts {
        known: body.get("security").is_some(),
        why: if body.get("security").is_some() {
            String::new()
        } else {
            "_xpack/usage has no security block".into()
        },
        enabled: flag(b, "/security/enabled"),
        http_ssl: flag(b, "/security/ssl/http/enabled"),
        transport_ssl: flag(b, "/security/ssl/transport/enabled"),
        audit: flag(b, "/security/audit/enabled"),
        ipfilter_http: flag(b, "/security/ipfilter/http"),
        ipfilter_transport: flag(b, "/security/ipfilter/transport"),
        anonymous: flag(b, "/security/anonymous/enabled"),
        fips: flag(b, "/security/fips_140/enabled"),
        operator_privileges: flag(b, "/security/operator_privileges/enabled"),
        operator_privileges_available: flag(b, "/security/operator_privileges/available"),
        file_roles,
        file_realm: flag(b, "/security/realms/file/enabled"),
    }
}

fn license(s: &ApiSnapshot) -> LicenseFacts {
    let body = s
        .body("licenses")
        .and_then(|b| b.get("license"))
        .or_else(|| s.body("xpack_info").and_then(|b| b.get("license")));
    let Some(l) = body else {
        return LicenseFacts {
            why: s.why_missing("licenses").unwrap_or_default(),
            ..Default::default()
        };
    };
    let kind = text(l.get("type").or_else(|| l.get("mode"))).to_ascii_lowercase();
    let paid = matches!(kind.as_str(), "gold" | "platinum" | "enterprise" | "trial");
    LicenseFacts {
        known: true,
        why: String::new(),
        status: text(l.get("status")).to_ascii_lowercase(),
        audit_and_ip_filtering: paid,
        fips: matches!(kind.as_str(), "platinum" | "enterprise" | "trial"),
        kind,
        configured_but_inactive: vec![],
    }
}

fn scanner(s: &ApiSnapshot) -> ScannerFacts {
    let Some(me) = s.body("security_authenticate") else {
        return ScannerFacts {
            why: s.why_missing("security_authenticate").unwrap_or_default(),
            ..Default::default()
        };
    };
    let roles = strings(me.get("roles"));
    let authentication_type = text(me.get("authentication_type"));
    // Before 8.5 there is no `read_security`: reading users and roles takes `manage_security`,
    // so a scanner needs it there.
    let read_security_exists = s.version().is_none_or(|v| v >= (8, 5));
    let excessive_privilege =
        |p: &str| matches!(p, "all" | "manage") || (p == "manage_security" && read_security_exists);
    let mut excessive = vec![];
    if roles.iter().any(|r| r == "superuser") {
        excessive.push("role superuser".to_string());
    }
    let granted = match s.body("security_user_privileges") {
        Some(p) => Ok(strings(p.get("cluster"))),
        // `_security/user/_privileges` refuses API keys (HTTP 400): judge the key's own role
        // descriptors, found by the id `_authenticate` names.
        None if authentication_type == "api_key" => api_key_cluster_privileges(s, me),
        None => Err(s
            .why_missing("security_user_privileges")
            .unwrap_or_else(|| "the scanner's privileges were not read".into())),
    };
    let cluster = match granted {
        Ok(cluster) => cluster,
        Err(why) => {
            return ScannerFacts {
                why: format!("the scanner's own privileges are unknown: {why}"),
                username: text(me.get("username")),
                authentication_type,
                roles,
                ..Default::default()
            };
        }
    };
    for p in cluster.iter().filter(|p| excessive_privilege(p)) {
        excessive.push(format!("cluster privilege {p}"));
    }
    ScannerFacts {
        known: true,
        why: String::new(),
        username: text(me.get("username")),
        authentication_type,
        roles,
        excessive,
    }
}

/// The cluster privileges of the API key the scanner authenticated with: its own role
/// descriptors, or its owner's (`limited_by`) when it has none.
fn api_key_cluster_privileges(s: &ApiSnapshot, me: &Value) -> Result<Vec<String>, String> {
    let id = text(me.pointer("/api_key/id"));
    let keys = s.body("security_api_keys").ok_or_else(|| {
        s.why_missing("security_api_keys")
            .unwrap_or_else(|| "the API keys were not read".into())
    })?;
    let key = keys
        .get("api_keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|k| !id.is_empty() && k.get("id").and_then(Value::as_str) == Some(&id))
        .ok_or_else(|| {
            format!("the scanner authenticated with API key {id:?}, which GET /_security/api_key does not list")
        })?;
    let cluster_of = |descriptors: &Value| -> Vec<String> {
        let mut out: Vec<String> = vec![];
        let roles: Vec<&Value> = match descriptors {
            Value::Object(m) => m.values().collect(),
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|m| m.values())
                .collect(),
            _ => vec![],
        };
        for r in roles {
            for p in strings(r.get("cluster")) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    };
    match key.get("role_descriptors") {
        Some(d) if d.as_object().is_some_and(|m| !m.is_empty()) => Ok(cluster_of(d)),
        Some(_) => match key.get("limited_by") {
            Some(owner) => Ok(cluster_of(owner)),
            None => Err(format!(
                "API key {id:?} has no role descriptors of its own and the answer does not say \
                 what its owner holds (with_limited_by, 8.5+)"
            )),
        },
        None => Err(format!(
            "API key {id:?}: GET /_security/api_key lists a key's role descriptors from 8.5 on"
        )),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn overrides(body: &Value) -> Vec<Override> {
    let mut out = vec![];
    for scope in ["persistent", "transient"] {
        let mut flat = vec![];
        if let Some(v) = body.get(scope) {
            flatten_json("", v, &mut flat);
        }
        for (key, value) in flat {
            if SECURITY_PREFIXES.iter().any(|p| key.starts_with(p)) {
                out.push(Override {
                    key,
                    value: value.to_string(),
                    scope: scope.into(),
                });
            }
        }
    }
    out
}

fn runtime_facts(facts: &mut ClusterFacts, overrides: &[Override]) {
    for o in overrides {
        let shown = format!("{} = {} ({})", o.key, o.value, o.scope);
        if o.key.ends_with(".filter.enabled") && o.value.eq_ignore_ascii_case("false") {
            facts.ip_filter_disabled_at_runtime.push(shown.clone());
        }
        if o.key.contains(".filter.allow")
            && o.value
                .split([',', '[', ']', ' ', '"'])
                .any(|v| v == "_all" || v == "0.0.0.0/0" || v == "::/0")
        {
            facts.ip_filter_allow_all_at_runtime.push(shown.clone());
        }
        if o.key.ends_with("audit.logfile.events.exclude")
            && KEY_AUDIT_EVENTS.iter().any(|e| o.value.contains(e))
        {
            facts.audit_events_dropped_at_runtime.push(shown.clone());
        }
        if o.key.ends_with("audit.logfile.events.include")
            && !o.value.contains("_all")
            && KEY_AUDIT_EVENTS[..2].iter().any(|e| !o.value.contains(e))
        {
            facts.audit_events_dropped_at_runtime.push(shown.clone());
        }
        if o.scope == "transient" && o.key.starts_with("xpack.security.") {
            let held_persistently = overrides
                .iter()
                .any(|p| p.scope == "persistent" && p.key == o.key);
            if !held_persistently {
                facts.transient_security.push(shown);
            }
        }
    }
}

/// Audit logging and IP filtering written on the nodes while the licence does not run them.
fn inactive_features(facts: &mut ClusterFacts, nodes: &[EsNode]) {
    if !facts.license.known || facts.license.audit_and_ip_filtering {
        return;
    }
    let mut found = std::collections::BTreeSet::new();
    for n in nodes {
        if n.settings.bool("xpack.security.audit.enabled") == Some(true) {
            found.insert("audit logging (xpack.security.audit.enabled)".to_string());
        }
        if n.settings
            .keys()
            .any(|k| k.contains(".filter.allow") || k.contains(".filter.deny"))
        {
            found.insert("IP filtering (xpack.security.*.filter.*)".to_string());
        }
        if n.settings.bool("xpack.security.fips_mode.enabled") == Some(true) && !facts.license.fips
        {
            found.insert("FIPS 140 mode (xpack.security.fips_mode.enabled)".to_string());
        }
    }
    facts.license.configured_but_inactive = found.into_iter().collect();
}

/// Flattens nested settings into dotted keys; lists stay lists.
fn flatten_json(prefix: &str, v: &Value, out: &mut Vec<(String, SettingValue)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_json(&key, child, out);
            }
        }
        Value::Array(items) => out.push((
            prefix.to_string(),
            SettingValue::List(items.iter().map(|i| text(Some(i))).collect()),
        )),
        Value::Null => {}
        other => out.push((
            prefix.to_string(),
            SettingValue::from_text(&text(Some(other))),
        )),
    }
}

/// The nodes of `_nodes/settings` (or a bundle's `nodes.json`), with the cluster's runtime
/// overrides applied on top: what each node runs with now.
fn nodes(
    s: &ApiSnapshot,
    cluster: &str,
    version: &str,
    overrides: &[Override],
    license: &LicenseFacts,
) -> Vec<EsNode> {
    let Some(Value::Object(map)) = s.body("nodes").and_then(|b| b.get("nodes")) else {
        return vec![];
    };
    let mut out = vec![];
    for (node_id, n) in map {
        let name = n
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(node_id)
            .to_string();
        let node_version = n.get("version").and_then(Value::as_str).unwrap_or(version);
        let mut flat = vec![];
        if let Some(settings) = n.get("settings") {
            flatten_json("", settings, &mut flat);
        }
        let mut settings = Settings::default();
        for (key, value) in flat {
            if overrides.iter().any(|o| o.key == key) {
                continue;
            }
            settings.push(api_setting(key, value));
        }
        // Persistent first, then transient: the later value wins, as in Elasticsearch.
        for o in overrides {
            settings.push(api_setting(
                o.key.clone(),
                SettingValue::from_text(&o.value),
            ));
        }
        let parsed = EsVersion::parse(node_version);
        let hide_settings = settings
            .value("xpack.security.hide_settings")
            .map(SettingValue::as_list)
            .unwrap_or_default();
        out.push(EsNode {
            id: String::new(),
            cluster: cluster.to_string(),
            name,
            config_path: String::new(),
            config_dir: Default::default(),
            api_source: Some(s.source.clone()),
            version: parsed.unwrap_or(EsVersion::NEWEST),
            version_source: if parsed.is_some() {
                VersionSource::Api(s.source.clone())
            } else {
                VersionSource::Assumed
            },
            settings,
            jvm_options: vec![],
            log4j: None,
            file_users: None,
            file_refs: vec![],
            keystore: None,
            loose_files: vec![],
            files_only: false,
            suppressions: vec![],
            rbac: None,
            hidden: Some(super::settings::HiddenSettings::nodes_info(hide_settings)),
            license: license.known.then(|| license.kind.clone()),
            paired_with: None,
            drift: vec![],
            published: None,
            declared_at: None,
            mesh_mtls: None,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn api_setting(key: String, value: SettingValue) -> Setting {
    Setting {
        key,
        value,
        unresolved: vec![],
        from_placeholder: false,
        location: Location::default(),
        occurrence: 1,
    }
}

fn loaded_certificate(c: &Value, now_ms: i64) -> LoadedCertificate {
    let subject_dn = text(c.get("subject_dn"));
    let issuer = text(c.get("issuer"));
    let alias = text(c.get("alias"));
    let expiry = text(c.get("expiry"));
    let days_left = crate::clock::parse_rfc3339_ms(&expiry)
        .map(|ms| (ms - now_ms).div_euclid(86_400_000))
        .unwrap_or(i64::MAX / 2);
    let lower = subject_dn.to_ascii_lowercase();
    let enrollment_ca = lower.contains("elasticsearch security auto-configuration http ca");
    let autogenerated_ca =
        lower.contains("elastic certificate tool autogenerated ca") || enrollment_ca;
    let ca = (!issuer.is_empty() && issuer == subject_dn)
        || autogenerated_ca
        || alias.eq_ignore_ascii_case("ca")
        || lower.split(',').any(|part| {
            let part = part.trim();
            part.starts_with("cn=") && (part.ends_with(" ca") || part.ends_with("-ca"))
        });
    LoadedCertificate {
        object: String::new(),
        path: text(c.get("path")),
        format: text(c.get("format")),
        alias,
        subject_dn,
        issuer,
        serial_number: text(c.get("serial_number")),
        has_private_key: c
            .get("has_private_key")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        expired: days_left < 0,
        days_left,
        expiry,
        ca,
        autogenerated_ca,
        enrollment_ca,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::snapshot::{Answer, answer_from_body};
    use serde_json::json;

    fn snapshot(calls: &[(&str, Value)]) -> ApiSnapshot {
        ApiSnapshot {
            name: "prod".into(),
            source: "https://es:9200".into(),
            live: true,
            calls: calls
                .iter()
                .map(|(k, v)| (k.to_string(), Answer::ok(v.clone())))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn runtime_overrides_win_over_node_settings() {
        let snap = snapshot(&[
            (
                "nodes",
                json!({"nodes": {"a1": {"name": "es01", "version": "8.15.0", "settings": {
                    "xpack": {"security": {"transport": {"filter": {"enabled": "true",
                        "allow": ["10.0.0.0/8"]}}}}}}}}),
            ),
            (
                "cluster_settings",
                json!({"persistent": {"xpack.security.transport.filter.enabled": "false"},
                       "transient": {"xpack.security.http.filter.allow": "_all"}}),
            ),
        ]);
        let (cluster, nodes) = build(snap, 0);
        assert_eq!(nodes.len(), 1);
        let n = &nodes[0];
        assert_eq!(n.id, "node:prod/es01");
        assert_eq!(
            n.version,
            EsVersion {
                major: 8,
                minor: 15
            }
        );
        assert_eq!(
            n.settings.bool("xpack.security.transport.filter.enabled"),
            Some(false)
        );
        assert_eq!(
            n.settings.value("xpack.security.transport.filter.allow"),
            Some(&SettingValue::List(vec!["10.0.0.0/8".into()]))
        );
        assert_eq!(cluster.facts.ip_filter_disabled_at_runtime.len(), 1);
        assert_eq!(cluster.facts.ip_filter_allow_all_at_runtime.len(), 1);
        assert_eq!(cluster.facts.transient_security.len(), 1);
    }

    #[test]
    fn refused_calls_say_which_privilege_is_missing() {
        let mut snap = snapshot(&[]);
        snap.calls.insert(
            "ssl_certs".into(),
            answer_from_body(
                403,
                br#"{"error":{"type":"security_exception","reason":"action [cluster:monitor/xpack/ssl/certificates/get] is unauthorized"},"status":403}"#,
            ),
        );
        let (cluster, nodes) = build(snap, 0);
        assert!(nodes.is_empty());
        let why = cluster.certificates_missing.unwrap();
        assert!(why.contains("HTTP 403") && why.contains("monitor"), "{why}");
        assert!(!cluster.facts.license.known);
        assert!(cluster.facts.license.why.contains("not asked"));
    }

    #[test]
    fn anonymous_probe_recognises_security_off() {
        let mut snap = snapshot(&[]);
        snap.anonymous = Some(crate::collect::snapshot::AnonymousProbe {
            root: Answer::ok(json!({"cluster_name": "prod", "version": {"number": "8.15.0"}})),
            authenticate: answer_from_body(
                400,
                br#"{"error":"no handler found for uri [/_security/_authenticate] and method [GET]","status":400}"#,
            ),
        });
        let (cluster, _) = build(snap, 0);
        let a = &cluster.facts.anonymous;
        assert!(a.probed && a.root_open && a.security_off_signature);
        assert_eq!(a.authenticated_as, "");
    }

    #[test]
    fn publish_addresses_become_endpoints() {
        let snap = snapshot(&[(
            "nodes",
            json!({"nodes": {
                "a": {"name": "es01", "http": {"publish_address": "es01/10.0.0.5:9200"},
                      "transport": {"publish_address": "10.0.0.5:9300"}},
                "b": {"name": "es02", "http": {"publish_address": "[::1]:9201"}}}}),
        )]);
        let found: Vec<String> = publish_endpoints(&snap)
            .iter()
            .map(|e| format!("{}:{} {:?}", e.host, e.port, e.role))
            .collect();
        assert_eq!(
            found,
            [
                "10.0.0.5:9200 Http",
                "10.0.0.5:9300 Transport",
                "::1:9201 Http"
            ]
        );
    }

    #[test]
    fn live_nodes_pair_with_their_probed_addresses() {
        use crate::evidence::endpoint::{Endpoint, EndpointSpec, pair};
        let snap = snapshot(&[
            (
                "version",
                json!({"cluster_name": "prod", "version": {"number": "8.15.0"}}),
            ),
            (
                "nodes",
                json!({"nodes": {"a": {"name": "es01", "version": "8.15.0", "settings": {
                    "xpack": {"security": {"http": {"ssl": {
                        "enabled": "true", "supported_protocols": ["TLSv1.3"]}}}}}}}}),
            ),
            (
                "nodes_addresses",
                json!({"nodes": {"a": {"name": "es01",
                    "http": {"publish_address": "es01/10.0.0.5:9200"},
                    "transport": {"publish_address": "10.0.0.5:9300"}}}}),
            ),
        ]);
        let mut deployment = crate::evidence::Deployment {
            api_snapshots: vec![snap],
            ..Default::default()
        };
        let mut probed = Endpoint::new(&EndpointSpec::parse("10.0.0.5:9200").unwrap());
        probed.protocols = vec!["TLSv1.2".into(), "TLSv1.3".into()];
        probed.derive();
        let other = Endpoint::new(&EndpointSpec::parse("10.0.0.6:9200").unwrap());
        deployment.endpoints = vec![probed, other];
        let addresses = add_all(&mut deployment, 0);
        assert_eq!(addresses.len(), 2);
        pair(&mut deployment, &addresses);
        let [paired, unpaired] = deployment.endpoints.as_slice() else {
            panic!("two endpoints")
        };
        assert!(paired.paired && !unpaired.paired);
        assert_eq!(paired.declared.layer, "http");
        assert_eq!(paired.declared.protocols, ["TLSv1.3"]);
        assert_eq!(paired.declared.node, deployment.nodes[0].id);
        assert!(
            paired.declared.differences[0].contains("protocols TLSv1.2"),
            "{:?}",
            paired.declared.differences
        );
    }

    #[test]
    fn loaded_certificates() {
        let now = crate::clock::parse_rfc3339_ms("2026-11-28T00:00:00Z").unwrap();
        let snap = snapshot(&[(
            "ssl_certs",
            json!([
                {"path": "http.p12", "format": "PKCS12", "alias": "http", "subject_dn": "CN=es01",
                 "serial_number": "1", "has_private_key": true, "expiry": "2026-12-10T00:00:00.000Z"},
                {"path": "http.p12", "format": "PKCS12", "alias": "ca",
                 "subject_dn": "CN=Elastic Certificate Tool Autogenerated CA",
                 "serial_number": "2", "has_private_key": false, "expiry": "2020-01-01T00:00:00.000Z"}
            ]),
        )]);
        let (cluster, _) = build(snap, now);
        let [leaf, ca] = cluster.certificates.as_slice() else {
            panic!("two certificates")
        };
        assert_eq!(leaf.days_left, 12);
        assert!(!leaf.ca && !leaf.expired);
        assert!(ca.ca && ca.autogenerated_ca && ca.expired);
        assert_eq!(ca.object(), "certificate:http.p12#ca");
    }

    /// A certutil store lists its CA under the leaf's alias too, and 8.x may give no path.
    #[test]
    fn loaded_certificates_keep_distinct_ids() {
        let snap = snapshot(&[(
            "ssl_certs",
            json!([
                {"path": "certs/elastic-certificates.p12", "format": "PKCS12", "alias": "instance",
                 "subject_dn": "CN=Elastic Certificate Tool Autogenerated CA", "serial_number": "a1",
                 "has_private_key": false, "expiry": "2036-01-01T00:00:00.000Z"},
                {"path": "certs/elastic-certificates.p12", "format": "PKCS12", "alias": "instance",
                 "subject_dn": "CN=instance", "serial_number": "b2",
                 "has_private_key": true, "expiry": "2036-01-01T00:00:00.000Z"},
                {"path": null, "format": "PEM", "alias": null, "subject_dn": "CN=es02",
                 "serial_number": "c3", "has_private_key": true, "expiry": "2036-01-01T00:00:00.000Z"}
            ]),
        )]);
        let (cluster, _) = build(snap, 0);
        let objects: Vec<&str> = cluster
            .certificates
            .iter()
            .map(|c| c.object.as_str())
            .collect();
        assert_eq!(
            objects,
            [
                "certificate:certs/elastic-certificates.p12#instance/a1",
                "certificate:certs/elastic-certificates.p12#instance/b2",
                "certificate:CN=es02#c3",
            ]
        );
    }
}
