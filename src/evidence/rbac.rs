//! Who can do what: users, roles, role mappings, API keys and service tokens, read from the
//! security APIs or from the file realm on disk, and the derived facts the `rbac` rules judge
//! (every path from an identity to superuser-equivalent power, computed here once).

use super::Location;
use super::Scope;
use crate::collect::snapshot::ApiSnapshot;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The security objects of one cluster (API) or one node folder (files), as read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rbac {
    /// Roles of `xpack.security.authc.anonymous.roles`: added to every identity.
    pub anonymous_roles: Vec<String>,
    /// `anonymous_roles` is the whole list: the setting was read (or is known unset).
    pub anonymous_known: bool,
    pub roles: Vec<Role>,
    pub users: Vec<User>,
    pub role_mappings: Vec<RoleMapping>,
    pub api_keys: Vec<ApiKey>,
    pub service_tokens: Vec<ServiceToken>,
    /// Why a part could not be read (refused API call, unreadable file), by the scope it feeds.
    pub missing: Vec<(Scope, String)>,
}

/// A role descriptor (a role, an API key's `role_descriptors` or `limited_by` entry).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Role {
    pub name: String,
    /// Cluster privileges, lower-cased (privilege names are case-insensitive).
    pub cluster: Vec<String>,
    pub indices: Vec<IndexGrant>,
    pub remote_indices: Vec<IndexGrant>,
    pub applications: Vec<AppGrant>,
    pub run_as: Vec<String>,
    /// Built-in (`metadata._reserved`, or a built-in name).
    pub reserved: bool,
    pub deprecated: bool,
    /// Where a file-defined role is written (`roles.yml`, the role's key).
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexGrant {
    pub names: Vec<String>,
    pub privileges: Vec<String>,
    pub allow_restricted_indices: bool,
    /// For a `remote_indices` grant (8.10+): the remote clusters it applies to.
    pub clusters: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AppGrant {
    pub application: String,
    pub privileges: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct User {
    pub name: String,
    pub roles: Vec<String>,
    pub enabled: bool,
    pub reserved: bool,
    pub deprecated: bool,
    /// `native` / `reserved` (API) or `file`.
    pub realm: String,
    /// File realm: the hashing scheme of the stored password (never the hash).
    pub hash_scheme: Option<String>,
    /// File realm: where each role is granted (`users_roles` line), by role.
    pub granted_at: BTreeMap<String, Location>,
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RoleMapping {
    pub name: String,
    pub enabled: bool,
    pub roles: Vec<String>,
    /// The source of each role template (mustache text).
    pub role_templates: Vec<String>,
    /// The API's `rules` expression (`Null` for `role_mapping.yml`, which lists DNs).
    pub rules: Value,
    /// `role_mapping.yml`: the user and group DNs mapped to the role.
    pub dns: Vec<String>,
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// `rest` or `cross_cluster`.
    pub key_type: String,
    pub creation_ms: Option<i64>,
    pub expiration_ms: Option<i64>,
    pub invalidated: bool,
    /// The user who created the key.
    pub owner: String,
    pub realm: String,
    pub role_descriptors: Vec<Role>,
    /// The answer listed the key's role descriptors (8.5 and later do; before, a key's own
    /// restrictions cannot be read through the API).
    pub descriptors_shown: bool,
    /// The owner's roles when the key was made; `None` when the answer did not include them.
    pub limited_by: Option<Vec<Role>>,
    /// Cross-cluster keys: `access.search` and `access.replication` grants.
    pub access: Vec<IndexGrant>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceToken {
    /// `namespace/service`.
    pub account: String,
    pub name: String,
    /// `index` (made through the API) or `file` (`service_tokens` on the nodes).
    pub source: String,
    /// Nodes holding a file token, as the API lists them.
    pub nodes: Vec<String>,
    pub location: Option<Location>,
}

/// One thing an `rbac_*` rule is judged on.
#[derive(Debug, Clone, Serialize)]
pub struct RbacItem {
    pub scope: Scope,
    /// `role:<name>`, `user:<name>`, `role_mapping:<name>`, `api_key:<name>`,
    /// `service_token:<account>/<name>`.
    pub object: String,
    /// Shown as `{item}` in messages.
    pub name: String,
    /// Where a file-defined object is written; `None` for objects read from the API.
    pub location: Option<Location>,
    /// What the rules read (the scope's CEL variable).
    pub facts: serde_json::Value,
    /// Why facts left out of `facts` are unknown (a 7.x API key's role descriptors): a rule
    /// that reads one cannot be judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Built-in knowledge (research notes E.1–E.4).

/// Built-in roles of Elasticsearch 7.x–9.x.
pub const BUILTIN_ROLES: &[&str] = &[
    "superuser",
    "kibana_system",
    "kibana_admin",
    "kibana_user",
    "editor",
    "viewer",
    "logstash_system",
    "beats_system",
    "apm_system",
    "remote_monitoring_agent",
    "remote_monitoring_collector",
    "monitoring_user",
    "ingest_admin",
    "machine_learning_admin",
    "machine_learning_user",
    "transform_admin",
    "transform_user",
    "data_frame_transforms_admin",
    "data_frame_transforms_user",
    "apm_user",
    "reporting_user",
    "kibana_dashboard_only_user",
    "snapshot_user",
    "watcher_admin",
    "watcher_user",
    "logstash_admin",
    "enrich_user",
    "rollup_admin",
    "rollup_user",
    "beats_admin",
    "transport_client",
    "inference_admin",
    "inference_user",
];

/// Built-in roles that are deprecated.
pub const DEPRECATED_ROLES: &[&str] = &[
    "kibana_user",
    "kibana_dashboard_only_user",
    "data_frame_transforms_admin",
    "data_frame_transforms_user",
    "apm_user",
    "reporting_user",
];

/// Roles meant for the stack's own services, never for people.
pub const SERVICE_ROLES: &[&str] = &[
    "kibana_system",
    "logstash_system",
    "beats_system",
    "apm_system",
    "remote_monitoring_agent",
    "remote_monitoring_collector",
];

/// Built-in roles too powerful to hand to a broad group.
pub const PRIVILEGED_BUILTIN_ROLES: &[&str] = &[
    "superuser",
    "kibana_system",
    "kibana_admin",
    "kibana_user",
    "editor",
];

pub const BUILTIN_USERS: &[&str] = &[
    "elastic",
    "kibana",
    "kibana_system",
    "logstash_system",
    "beats_system",
    "apm_system",
    "remote_monitoring_user",
];

pub const DEPRECATED_USERS: &[&str] = &["kibana"];

/// Cluster privileges that mint or manage credentials on behalf of others.
const CREDENTIAL_MINTING: &[&str] = &[
    "grant_api_key",
    "manage_api_key",
    "manage_service_account",
    "manage_token",
    "manage_saml",
    "manage_oidc",
    "delegate_pki",
    "manage_user_profile",
];

/// Index privileges that delete or rewrite whole indices, or write data.
const DESTRUCTIVE_INDEX: &[&str] = &["all", "manage", "delete_index", "write"];
const WRITE_INDEX: &[&str] = &[
    "all",
    "manage",
    "delete_index",
    "write",
    "index",
    "create",
    "create_doc",
    "delete",
    "create_index",
    "auto_configure",
    "maintenance",
    "manage_follow_index",
    "manage_leader_index",
    "cross_cluster_replication_internal",
];
const READ_INDEX: &[&str] = &["all", "read", "read_cross_cluster"];

/// Security actions probed against raw `cluster:` action patterns.
const SECURITY_ACTIONS: &[&str] = &[
    "cluster:admin/xpack/security/role/put",
    "cluster:admin/xpack/security/role_mapping/put",
    "cluster:admin/xpack/security/user/put",
];

/// Elastic's built-in roles in the shape `GET _security/role` answers with, read by the same
/// `role_from_json` as a live answer. Source: `ReservedRolesStore.java` of elastic/elasticsearch
/// at 3f04c1e2 (8.x), plus `kibana_dashboard_only_user` (7.x, gone in 8.0) and the inference
/// roles (8.14+, from Elastic's built-in roles page). `kibana_system` is abridged: its cluster
/// privileges and its grants on system (restricted) and security-solution indices are all
/// there; its read/write grants on Kibana's data indices (APM, Fleet packages, endpoint,
/// synthetics, threat intel) are left out, as they change no fact a rule reads.
const BUILTIN_ROLE_DEFINITIONS: &str = include_str!("builtin-roles.json");

/// What a built-in role grants (`None` for any other name).
fn builtin_role(name: &str) -> Option<Role> {
    static ROLES: std::sync::OnceLock<BTreeMap<String, Role>> = std::sync::OnceLock::new();
    ROLES
        .get_or_init(|| {
            let v: Value = serde_json::from_str(BUILTIN_ROLE_DEFINITIONS)
                .expect("builtin-roles.json is valid JSON (tested)");
            roles_of_map(Some(&v))
                .into_iter()
                .map(|r| (r.name.clone(), r))
                .collect()
        })
        .get(name)
        .cloned()
}

// ---------------------------------------------------------------------------------------------
// Patterns.

/// A `*`/`?` glob match (index names, `cluster:` actions, run_as names).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A name pattern that matches every name (E.5-1): `*`, `?*`, `/.*/`, anything starting with
/// `*`, and negated regexes such as the built-in editor's `/~(([.]|ilm-history-).*)/`.
pub fn matches_everything(pattern: &str) -> bool {
    let p = pattern.trim();
    p.starts_with('*')
        || p == "?*"
        || matches!(p, "/.*/" | "/.+/" | "/.*?/" | "/.+?/")
        || (p.starts_with("/~(") && p.ends_with('/'))
}

/// A value pattern in a role-mapping rule that every user satisfies.
fn matches_any_value(pattern: &str) -> bool {
    matches!(pattern.trim(), "*" | "/.*/" | "/.+/" | "/.*?/" | "**")
}

/// A value pattern with a wildcard or regex: it matches a group of users, not one.
fn is_wildcard_value(pattern: &str) -> bool {
    let p = pattern.trim();
    p.contains('*') || p.contains('?') || (p.len() > 1 && p.starts_with('/') && p.ends_with('/'))
}

// ---------------------------------------------------------------------------------------------
// Lenient JSON reading.

fn strs(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

fn lower(v: Vec<String>) -> Vec<String> {
    v.into_iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

fn flag(v: Option<&Value>) -> Option<bool> {
    match v {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

fn millis(v: Option<&Value>) -> Option<i64> {
    v?.as_i64()
}

fn meta_flag(metadata: Option<&Value>, key: &str) -> bool {
    metadata.and_then(|m| flag(m.get(key))).unwrap_or(false)
}

fn index_grants(v: Option<&Value>) -> Vec<IndexGrant> {
    let Some(Value::Array(items)) = v else {
        return vec![];
    };
    items
        .iter()
        .map(|g| IndexGrant {
            names: strs(g.get("names")),
            privileges: lower(strs(g.get("privileges"))),
            allow_restricted_indices: flag(g.get("allow_restricted_indices")).unwrap_or(false),
            clusters: strs(g.get("clusters")),
        })
        .collect()
}

/// A role descriptor from a JSON body or a `roles.yml` entry turned into JSON.
pub fn role_from_json(name: &str, v: &Value) -> Role {
    let metadata = v.get("metadata");
    let reserved = meta_flag(metadata, "_reserved");
    Role {
        name: name.to_string(),
        cluster: lower(strs(v.get("cluster"))),
        indices: index_grants(v.get("indices")),
        remote_indices: index_grants(v.get("remote_indices")),
        applications: match v.get("applications") {
            Some(Value::Array(apps)) => apps
                .iter()
                .map(|a| AppGrant {
                    application: a
                        .get("application")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    privileges: strs(a.get("privileges")),
                    resources: strs(a.get("resources")),
                })
                .collect(),
            _ => vec![],
        },
        run_as: strs(v.get("run_as")),
        reserved,
        deprecated: meta_flag(metadata, "_deprecated")
            || (reserved && DEPRECATED_ROLES.contains(&name)),
        location: None,
    }
}

fn roles_of_map(v: Option<&Value>) -> Vec<Role> {
    match v {
        Some(Value::Object(m)) => m.iter().map(|(n, d)| role_from_json(n, d)).collect(),
        // `limited_by` is a list of maps.
        Some(Value::Array(list)) => list.iter().flat_map(|m| roles_of_map(Some(m))).collect(),
        _ => vec![],
    }
}

/// Everything the security APIs said about identities and privileges. A call that gave
/// nothing becomes a `missing` entry for the scopes it feeds, so those rules report `error`.
pub fn from_api(snapshot: &ApiSnapshot) -> Rbac {
    let mut rbac = Rbac::default();
    let need = |key: &str, scopes: &[Scope], rbac: &mut Rbac| -> Option<Value> {
        match snapshot.body(key) {
            Some(b) => Some(b.clone()),
            None => {
                let why = snapshot
                    .why_missing(key)
                    .unwrap_or_else(|| format!("{key} was not read"));
                for s in scopes {
                    rbac.missing.push((*s, why.clone()));
                }
                None
            }
        }
    };
    if let Some(Value::Object(roles)) = need("security_roles", &[Scope::RbacRole], &mut rbac) {
        for (name, d) in &roles {
            let mut role = role_from_json(name, d);
            role.reserved |= BUILTIN_ROLES.contains(&name.as_str());
            role.deprecated |= DEPRECATED_ROLES.contains(&name.as_str());
            rbac.roles.push(role);
        }
    }
    if let Some(Value::Object(users)) = need("security_users", &[Scope::RbacUser], &mut rbac) {
        for (name, u) in &users {
            let metadata = u.get("metadata");
            let reserved = meta_flag(metadata, "_reserved");
            rbac.users.push(User {
                name: u
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or(name)
                    .to_string(),
                roles: strs(u.get("roles")),
                enabled: flag(u.get("enabled")).unwrap_or(true),
                reserved,
                deprecated: meta_flag(metadata, "_deprecated")
                    || (reserved && DEPRECATED_USERS.contains(&name.as_str())),
                realm: if reserved { "reserved" } else { "native" }.into(),
                ..Default::default()
            });
        }
    }
    if let Some(Value::Object(maps)) = need(
        "security_role_mappings",
        &[Scope::RbacRoleMapping],
        &mut rbac,
    ) {
        for (name, m) in &maps {
            rbac.role_mappings.push(RoleMapping {
                name: name.clone(),
                enabled: flag(m.get("enabled")).unwrap_or(true),
                roles: strs(m.get("roles")),
                role_templates: match m.get("role_templates") {
                    Some(Value::Array(ts)) => ts.iter().map(template_source).collect(),
                    _ => vec![],
                },
                rules: m.get("rules").cloned().unwrap_or(Value::Null),
                ..Default::default()
            });
        }
    }
    if let Some(body) = need("security_api_keys", &[Scope::RbacApiKey], &mut rbac) {
        for k in body
            .get("api_keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = |f: &str| {
                k.get(f)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let access = k.get("access");
            rbac.api_keys.push(ApiKey {
                id: text("id"),
                name: text("name"),
                key_type: match text("type") {
                    t if t.is_empty() => "rest".into(),
                    t => t,
                },
                creation_ms: millis(k.get("creation")),
                expiration_ms: millis(k.get("expiration")),
                invalidated: flag(k.get("invalidated")).unwrap_or(false),
                owner: text("username"),
                realm: text("realm"),
                role_descriptors: roles_of_map(k.get("role_descriptors")),
                descriptors_shown: k.get("role_descriptors").is_some(),
                limited_by: k.get("limited_by").map(|l| roles_of_map(Some(l))),
                access: access
                    .map(|a| {
                        let mut g = index_grants(a.get("search"));
                        g.extend(index_grants(a.get("replication")));
                        g
                    })
                    .unwrap_or_default(),
            });
        }
    }
    if let Some(Value::Object(accounts)) = need(
        "security_service_accounts",
        &[Scope::RbacServiceToken],
        &mut rbac,
    ) {
        for account in accounts.keys() {
            let Some(answer) = snapshot.service_credentials.get(account) else {
                rbac.missing.push((
                    Scope::RbacServiceToken,
                    format!(
                        "the credentials of service account {account} were not collected \
                         (GET /_security/service/{account}/credential)"
                    ),
                ));
                continue;
            };
            let Some(body) = &answer.body else {
                rbac.missing.push((
                    Scope::RbacServiceToken,
                    format!(
                        "GET /_security/service/{account}/credential failed (HTTP {}): {}; the \
                         scanner needs the read_security (8.5+) or manage_service_account privilege",
                        answer.status,
                        answer.error.as_deref().unwrap_or("no usable answer")
                    ),
                ));
                continue;
            };
            if let Some(Value::Object(tokens)) = body.get("tokens") {
                for name in tokens.keys() {
                    rbac.service_tokens.push(ServiceToken {
                        account: account.clone(),
                        name: name.clone(),
                        source: "index".into(),
                        ..Default::default()
                    });
                }
            }
            // 7.13 and 7.14 list file tokens at the top level; later versions per node.
            if let Some(Value::Object(tokens)) = body
                .pointer("/nodes_credentials/file_tokens")
                .or_else(|| body.get("file_tokens"))
            {
                for (name, t) in tokens {
                    rbac.service_tokens.push(ServiceToken {
                        account: account.clone(),
                        name: name.clone(),
                        source: "file".into(),
                        nodes: strs(t.get("nodes")),
                        location: None,
                    });
                }
            }
        }
    }
    rbac
}

/// What a role template makes role names from: its mustache source, or the stored script it
/// names. The API answers the template as a string holding JSON (`"{\"source\":\"…\"}"`);
/// a request may have written it as an object.
fn template_source(t: &Value) -> String {
    let template = match t.get("template") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({ "source": text })),
        Some(other) => other.clone(),
        None => return t.to_string(),
    };
    match (template.get("source"), template.get("id")) {
        (Some(Value::String(source)), _) => source.clone(),
        (_, Some(Value::String(id))) => format!("{STORED_SCRIPT}{id}"),
        _ => template.to_string(),
    }
}

fn unknown_roles_reason(unknown: &[String]) -> String {
    format!(
        "what role {} grants is unknown: it is neither built in nor among the roles read \
         (the security API returns native roles only; roles.yml roles live on the nodes)",
        unknown.join(", ")
    )
}

/// How a template that names a stored script is shown: its role names are computed where the
/// scan cannot see.
const STORED_SCRIPT: &str = "stored script ";

// ---------------------------------------------------------------------------------------------
// Analysis.

/// What a role can do, as the rules need it.
#[derive(Debug, Clone, Default)]
struct RoleFacts {
    /// Why the role is superuser-equivalent (empty: it is not).
    why: Vec<String>,
    credential_minting: Vec<String>,
    manage: bool,
    run_as_any: bool,
    broad_destructive: Vec<String>,
    restricted_read: Vec<String>,
    restricted_write: Vec<String>,
    app_wildcard: bool,
    kibana_all: bool,
    writes: bool,
}

impl RoleFacts {
    fn admin_level(&self) -> bool {
        !self.why.is_empty()
            || self.manage
            || !self.credential_minting.is_empty()
            || !self.broad_destructive.is_empty()
            || !self.restricted_write.is_empty()
            || self.app_wildcard
    }
}

fn role_facts(role: &Role) -> RoleFacts {
    let mut f = RoleFacts::default();
    for p in &role.cluster {
        if p == "all" || p == "manage_security" {
            f.why.push(format!("cluster privilege {p}"));
        } else if p.starts_with("cluster:") && SECURITY_ACTIONS.iter().any(|a| glob(p, a)) {
            f.why
                .push(format!("cluster privilege {p} (covers the security APIs)"));
        }
        if CREDENTIAL_MINTING.contains(&p.as_str()) {
            f.credential_minting.push(p.clone());
        }
        if p == "manage" || p == "all" {
            f.manage = true;
        }
        let read_only = p == "monitor"
            || p == "none"
            || p.starts_with("monitor_")
            || p.starts_with("read_")
            || p.starts_with("cluster:monitor");
        if !read_only {
            f.writes = true;
        }
    }
    if role.run_as.iter().any(|r| matches_everything(r)) {
        f.run_as_any = true;
        f.why.push("run_as * (can act as any user)".into());
    } else if let Some(r) = role.run_as.iter().find(|r| glob(r, "elastic")) {
        f.why.push(format!("run_as {r} (can act as elastic)"));
    }
    for g in role.indices.iter().chain(&role.remote_indices) {
        let everything: Vec<&String> = g.names.iter().filter(|n| matches_everything(n)).collect();
        let destructive: Vec<&String> = g
            .privileges
            .iter()
            .filter(|p| DESTRUCTIVE_INDEX.contains(&p.as_str()))
            .collect();
        if !everything.is_empty() && !destructive.is_empty() {
            let remote = if g.clusters.is_empty() {
                String::new()
            } else {
                let clusters: Vec<&String> = g.clusters.iter().collect();
                format!(" of remote clusters {}", join(&clusters))
            };
            f.broad_destructive.push(format!(
                "{} on {}{remote}",
                join(&destructive),
                join(&everything)
            ));
        }
        if g.privileges
            .iter()
            .any(|p| WRITE_INDEX.contains(&p.as_str()))
        {
            f.writes = true;
        }
        if g.allow_restricted_indices {
            let system: Vec<&String> = g
                .names
                .iter()
                .filter(|n| matches_everything(n) || n.starts_with('.') || glob(n, ".security"))
                .collect();
            if system.is_empty() {
                continue;
            }
            let writes: Vec<&String> = g
                .privileges
                .iter()
                .filter(|p| WRITE_INDEX.contains(&p.as_str()))
                .collect();
            let reads: Vec<&String> = g
                .privileges
                .iter()
                .filter(|p| READ_INDEX.contains(&p.as_str()))
                .collect();
            if !writes.is_empty() {
                f.restricted_write
                    .push(format!("{} on {}", join(&writes), join(&system)));
            }
            if !reads.is_empty() {
                f.restricted_read
                    .push(format!("{} on {}", join(&reads), join(&system)));
            }
        }
    }
    for a in &role.applications {
        let all_privs = a.privileges.iter().any(|p| p == "*");
        let all_res = a.resources.iter().any(|r| r == "*");
        if a.application == "*" && all_privs && all_res {
            f.app_wildcard = true;
        }
        if a.application.starts_with("kibana")
            && all_res
            && a.privileges.iter().any(|p| p == "all" || p == "*")
        {
            f.kibana_all = true;
        }
    }
    f
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// The roles an identity can reach and the superuser paths through them.
struct Graph<'a> {
    roles: BTreeMap<String, Role>,
    facts: BTreeMap<String, RoleFacts>,
    users: &'a [User],
    anonymous: &'a [String],
    /// Users whose roles reach superuser power directly, with the path.
    user_paths: BTreeMap<String, String>,
}

impl<'a> Graph<'a> {
    fn new(rbac: &'a Rbac) -> Graph<'a> {
        let mut roles: BTreeMap<String, Role> = BTreeMap::new();
        for r in &rbac.roles {
            roles.insert(r.name.clone(), r.clone());
        }
        let mut graph = Graph {
            facts: roles
                .iter()
                .map(|(n, r)| (n.clone(), role_facts(r)))
                .collect(),
            roles,
            users: &rbac.users,
            anonymous: &rbac.anonymous_roles,
            user_paths: BTreeMap::new(),
        };
        // Roles reach superuser through `run_as` a user who is one: two rounds cover a
        // chain of one hop, which is what real configurations have.
        for _ in 0..2 {
            graph.user_paths = graph
                .users
                .iter()
                .filter(|u| u.enabled)
                .filter_map(|u| {
                    graph
                        .role_path(&format!("user:{}", u.name), &u.roles)
                        .map(|p| (u.name.clone(), p))
                })
                .collect();
            let mut added = vec![];
            for (name, role) in &graph.roles {
                let facts = &graph.facts[name];
                if !facts.why.is_empty() {
                    continue;
                }
                if let Some((target, path)) = role.run_as.iter().find_map(|r| {
                    graph
                        .user_paths
                        .iter()
                        .find(|(u, _)| glob(r, u))
                        .map(|(u, p)| (u.clone(), p.clone()))
                }) {
                    let rest = path.split_once(" → ").map(|x| x.1).unwrap_or_default();
                    added.push((name.clone(), format!("run_as {target} → {rest}")));
                }
            }
            for (name, why) in added {
                graph.facts.get_mut(&name).unwrap().why.push(why);
            }
        }
        graph
    }

    fn role(&self, name: &str) -> Option<(Role, RoleFacts)> {
        match (self.roles.get(name), self.facts.get(name)) {
            (Some(r), Some(f)) => Some((r.clone(), f.clone())),
            _ => builtin_role(name).map(|r| {
                let f = role_facts(&r);
                (r, f)
            }),
        }
    }

    /// `start → role:x → why`, the first superuser path through these roles or the anonymous
    /// ones.
    fn role_path(&self, start: &str, roles: &[String]) -> Option<String> {
        let own = roles.iter().map(|r| (r, ""));
        let anon = self.anonymous.iter().map(|r| (r, "anonymous "));
        for (name, via) in own.chain(anon) {
            let Some((role, facts)) = self.role(name) else {
                continue;
            };
            if let Some(why) = facts.why.first() {
                return Some(if role.reserved && name == "superuser" {
                    format!("{start} → {via}role:{name}")
                } else {
                    format!("{start} → {via}role:{name} → {why}")
                });
            }
        }
        None
    }

    /// Roles named but neither returned by the source nor built in: a `roles.yml` role seen
    /// through the API (which returns native roles only), a native role seen from the files, or
    /// a role defined nowhere. What they grant is unknown.
    fn unknown_roles(&self, roles: &[String]) -> Vec<String> {
        roles
            .iter()
            .filter(|r| self.role(r).is_none())
            .cloned()
            .collect()
    }

    fn admin_roles(&self, roles: &[String]) -> Vec<String> {
        roles
            .iter()
            .filter(|r| self.role(r).is_some_and(|(_, f)| f.admin_level()))
            .cloned()
            .collect()
    }
}

/// Whether a role-mapping rule matches every user (E.5-2): `all: []` always does, `any: []`
/// never does, a field rule does when its value is a match-everything pattern on `username`,
/// `dn` or `realm.name`, and `except` inverts.
fn everyone(rule: &Value) -> bool {
    let Some(obj) = rule.as_object() else {
        return false;
    };
    if let Some(Value::Array(all)) = obj.get("all") {
        return all.iter().all(everyone);
    }
    if let Some(Value::Array(any)) = obj.get("any") {
        return any.iter().any(everyone);
    }
    if let Some(inner) = obj.get("except") {
        return nobody(inner);
    }
    if let Some(Value::Object(field)) = obj.get("field") {
        return field.iter().any(|(k, v)| {
            matches!(k.as_str(), "username" | "dn" | "realm.name")
                && strs(Some(v)).iter().any(|p| matches_any_value(p))
        });
    }
    false
}

/// Whether a rule matches no user at all (`any: []`, or an `all` holding such a rule).
fn nobody(rule: &Value) -> bool {
    let Some(obj) = rule.as_object() else {
        return false;
    };
    if let Some(Value::Array(any)) = obj.get("any") {
        return any.iter().all(nobody);
    }
    if let Some(Value::Array(all)) = obj.get("all") {
        return all.iter().any(nobody);
    }
    if let Some(inner) = obj.get("except") {
        return everyone(inner);
    }
    false
}

/// Field values with wildcards or regexes: the mapping targets a group of users.
fn wildcard_values(rule: &Value, out: &mut Vec<String>) {
    let Some(obj) = rule.as_object() else {
        return;
    };
    if let Some(Value::Object(field)) = obj.get("field") {
        for (k, v) in field {
            for p in strs(Some(v)) {
                if is_wildcard_value(&p) {
                    out.push(format!("{k}: {p}"));
                }
            }
        }
    }
    for key in ["all", "any"] {
        if let Some(Value::Array(list)) = obj.get(key) {
            list.iter().for_each(|r| wildcard_values(r, out));
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// The items of every rbac scope, built from what was read. `now_ms` is the time API keys'
/// ages and expiries are measured from.
pub fn analyse(rbac: &Rbac, now_ms: i64) -> Vec<RbacItem> {
    let graph = Graph::new(rbac);
    let mut items = Vec::new();
    let anonymous: BTreeSet<&str> = rbac.anonymous_roles.iter().map(String::as_str).collect();
    for role in &rbac.roles {
        let f = &graph.facts[&role.name];
        let reserved = role.reserved || BUILTIN_ROLES.contains(&role.name.as_str());
        let run_as_superuser = role
            .run_as
            .iter()
            .filter(|r| glob(r, "elastic") || graph.user_paths.keys().any(|u| glob(r, u)))
            .cloned()
            .collect::<Vec<_>>();
        items.push(RbacItem {
            scope: Scope::RbacRole,
            object: format!("role:{}", role.name),
            name: role.name.clone(),
            location: role.location.clone(),
            facts: json!({
                "name": role.name,
                "source": if role.location.is_some() { "file" } else { "api" },
                "reserved": reserved,
                "deprecated": role.deprecated,
                "anonymous": anonymous.contains(role.name.as_str()),
                "cluster": role.cluster,
                "superuser_equivalent": !f.why.is_empty(),
                "why": f.why.join("; "),
                "credential_minting": f.credential_minting,
                "manage": f.manage,
                "run_as": role.run_as,
                "run_as_any": f.run_as_any,
                "run_as_superuser": run_as_superuser,
                "broad_destructive": f.broad_destructive.join("; "),
                "restricted_read": f.restricted_read.join("; "),
                "restricted_write": f.restricted_write.join("; "),
                "app_wildcard": f.app_wildcard,
                "kibana_all": f.kibana_all,
                "writes": f.writes,
                "admin_level": f.admin_level(),
            }),
            hidden: None,
        });
    }
    for user in &rbac.users {
        let mut roles = user.roles.clone();
        roles.sort();
        roles.dedup();
        let path = graph.role_path(&format!("user:{}", user.name), &roles);
        let path = path.map(|p| match user_grant(user, &p) {
            Some(at) => format!("{p} (granted at {at})"),
            None => p,
        });
        let service_roles: Vec<&String> = roles
            .iter()
            .filter(|r| SERVICE_ROLES.contains(&r.as_str()) && !user.reserved)
            .collect();
        let deprecated_roles: Vec<String> = roles
            .iter()
            .filter(|r| {
                graph
                    .roles
                    .get(*r)
                    .map(|x| x.deprecated)
                    .unwrap_or(DEPRECATED_ROLES.contains(&r.as_str()))
            })
            .cloned()
            .collect();
        items.push(RbacItem {
            scope: Scope::RbacUser,
            object: format!("user:{}", user.name),
            name: user.name.clone(),
            location: user.location.clone(),
            facts: json!({
                "name": user.name,
                "realm": user.realm,
                "reserved": user.reserved,
                "enabled": user.enabled,
                "deprecated": user.deprecated,
                "roles": roles,
                "anonymous_roles": rbac.anonymous_roles,
                "superuser": path.is_some(),
                "superuser_path": path.unwrap_or_default(),
                "break_glass": user.reserved && user.name == "elastic",
                "service_roles": service_roles,
                "deprecated_roles": deprecated_roles,
                "hash_scheme": user.hash_scheme,
            }),
            hidden: None,
        });
        let unknown = graph.unknown_roles(&roles);
        if !unknown.is_empty()
            && let Some(item) = items.last_mut()
            && item.facts["superuser"] == false
            && let Some(facts) = item.facts.as_object_mut()
        {
            facts.remove("superuser");
            facts.remove("superuser_path");
            item.hidden = Some(unknown_roles_reason(&unknown));
        }
    }
    for m in &rbac.role_mappings {
        let all_roles: Vec<String> = m.roles.clone();
        let matches_everyone = !m.rules.is_null() && everyone(&m.rules);
        // role_mapping.yml lists exact DNs, so only API rules can match by pattern.
        let mut wildcards = vec![];
        wildcard_values(&m.rules, &mut wildcards);
        let admin_roles = graph.admin_roles(&all_roles);
        let privileged: Vec<String> = all_roles
            .iter()
            .filter(|r| PRIVILEGED_BUILTIN_ROLES.contains(&r.as_str()) || admin_roles.contains(r))
            .cloned()
            .collect();
        let deprecated_roles: Vec<String> = all_roles
            .iter()
            .filter(|r| DEPRECATED_ROLES.contains(&r.as_str()))
            .cloned()
            .collect();
        let path = graph.role_path(&format!("role_mapping:{}", m.name), &m.roles);
        let templated_sources: Vec<&String> = m
            .role_templates
            .iter()
            .filter(|t| t.contains("{{") || t.starts_with(STORED_SCRIPT))
            .collect();
        items.push(RbacItem {
            scope: Scope::RbacRoleMapping,
            object: format!("role_mapping:{}", m.name),
            name: m.name.clone(),
            location: m.location.clone(),
            facts: json!({
                "name": m.name,
                "source": if m.location.is_some() { "file" } else { "api" },
                "enabled": m.enabled,
                "roles": all_roles,
                "matches_everyone": matches_everyone,
                "why": if matches_everyone {
                    format!("rules {} match every user", m.rules)
                } else if !wildcards.is_empty() {
                    format!("matches by pattern: {}", wildcards.join(", "))
                } else {
                    String::new()
                },
                "broad_match": matches_everyone || !wildcards.is_empty(),
                "admin_roles": admin_roles,
                "privileged_roles": privileged,
                "superuser_path": path.clone().unwrap_or_default(),
                "superuser": path.is_some(),
                "templated": !templated_sources.is_empty(),
                "templates": templated_sources,
                "deprecated_roles": deprecated_roles,
            }),
            hidden: None,
        });
        let unknown = graph.unknown_roles(&m.roles);
        if !unknown.is_empty()
            && let Some(item) = items.last_mut()
            && item.facts["admin_roles"]
                .as_array()
                .is_some_and(Vec::is_empty)
            && let Some(facts) = item.facts.as_object_mut()
        {
            for fact in [
                "admin_roles",
                "privileged_roles",
                "superuser",
                "superuser_path",
            ] {
                facts.remove(fact);
            }
            item.hidden = Some(unknown_roles_reason(&unknown));
        }
    }
    let users: BTreeMap<&str, &User> = rbac.users.iter().map(|u| (u.name.as_str(), u)).collect();
    for k in &rbac.api_keys {
        let label = if k.name.is_empty() { &k.id } else { &k.name };
        let expired = k.expiration_ms.is_some_and(|e| e <= now_ms);
        let inherits = k.key_type != "cross_cluster" && k.role_descriptors.is_empty();
        let limited_why = k.limited_by.iter().flatten().find_map(|r| {
            let f = role_facts(r);
            f.why
                .first()
                .map(|w| format!("limited_by role:{} → {w}", r.name))
        });
        let owner_path = if k.owner == "elastic" {
            Some("owner elastic is the built-in superuser".to_string())
        } else {
            graph
                .user_paths
                .get(k.owner.as_str())
                .cloned()
                .or_else(|| {
                    users
                        .get(k.owner.as_str())
                        .and_then(|u| graph.role_path(&format!("user:{}", u.name), &u.roles))
                })
                .or(limited_why)
        };
        let own_why = k
            .role_descriptors
            .iter()
            .find_map(|r| role_facts(r).why.first().cloned());
        let broad_access: Vec<String> = k
            .access
            .iter()
            .flat_map(|g| {
                g.names
                    .iter()
                    .filter(|n| matches_everything(n))
                    .cloned()
                    .chain(
                        g.allow_restricted_indices
                            .then(|| "restricted indices".into()),
                    )
            })
            .collect();
        items.push(RbacItem {
            scope: Scope::RbacApiKey,
            object: format!("api_key:{label}"),
            name: label.clone(),
            location: None,
            facts: json!({
                "id": k.id,
                "name": k.name,
                "type": k.key_type,
                "owner": k.owner,
                "realm": k.realm,
                "invalidated": k.invalidated,
                "expired": expired,
                "active": !k.invalidated && !expired,
                "expires": k.expiration_ms.is_some(),
                "age_days": k.creation_ms.map(|c| (now_ms - c) / DAY_MS),
                "days_to_expiry": k.expiration_ms.map(|e| (e - now_ms) / DAY_MS),
                "lifetime_days": k.creation_ms.zip(k.expiration_ms).map(|(c, e)| (e - c) / DAY_MS),
                "inherits_owner": inherits,
                "owner_superuser": owner_path.is_some(),
                "why": owner_path.unwrap_or_default(),
                "superuser_equivalent": own_why.is_some(),
                "own_why": own_why.unwrap_or_default(),
                "cross_cluster_broad": k.key_type == "cross_cluster" && !broad_access.is_empty(),
                "broad_access": broad_access,
            }),
            hidden: None,
        });
        // Before 8.5 the API does not list a key's own role descriptors: whether it is
        // restricted or holds all its owner's rights cannot be told.
        if !k.descriptors_shown
            && k.key_type != "cross_cluster"
            && let Some(item) = items.last_mut()
            && let Some(facts) = item.facts.as_object_mut()
        {
            for unknown in ["inherits_owner", "superuser_equivalent", "own_why"] {
                facts.remove(unknown);
            }
            item.hidden = Some(
                "the API key's role descriptors are unknown: GET /_security/api_key lists them \
                 from Elasticsearch 8.5 on"
                    .into(),
            );
        }
    }
    let mut per_account: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &rbac.service_tokens {
        *per_account.entry(t.account.as_str()).or_default() += 1;
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for t in &rbac.service_tokens {
        let first = seen.insert(t.account.as_str());
        let full = format!("{}/{}", t.account, t.name);
        items.push(RbacItem {
            scope: Scope::RbacServiceToken,
            object: format!("service_token:{full}"),
            name: full.clone(),
            location: t.location.clone(),
            facts: json!({
                "account": t.account,
                "name": t.name,
                "source": t.source,
                "file_backed": t.source == "file",
                "nodes": t.nodes,
                "tokens_for_account": per_account[t.account.as_str()],
                "first_of_account": first,
            }),
            hidden: None,
        });
    }
    items
}

/// Where a file-realm user is granted the role a path goes through.
fn user_grant(user: &User, path: &str) -> Option<String> {
    let role = path.split(" → ").nth(1)?.trim_start_matches("anonymous ");
    let role = role.strip_prefix("role:")?;
    user.granted_at.get(role).map(|l| {
        format!(
            "{}{}",
            l.path,
            l.line.map(|n| format!(":{n}")).unwrap_or_default()
        )
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::collect::snapshot::Answer;

    pub(crate) const NOW: i64 = 1_700_000_000_000;

    fn snapshot(calls: &[(&str, Value)]) -> ApiSnapshot {
        let mut s = ApiSnapshot {
            name: "test".into(),
            source: "test".into(),
            ..Default::default()
        };
        for (k, v) in calls {
            s.calls.insert(k.to_string(), Answer::ok(v.clone()));
        }
        s
    }

    fn item<'a>(items: &'a [RbacItem], object: &str) -> &'a Value {
        &items
            .iter()
            .find(|i| i.object == object)
            .unwrap_or_else(|| panic!("no {object}"))
            .facts
    }

    /// Shaped like the elasticsearch-specification examples (GetRole, GetUser, GetRoleMapping,
    /// GetApiKey, GetServiceAccounts, GetServiceCredentials).
    pub(crate) fn spec_like() -> ApiSnapshot {
        let mut s = snapshot(&[
            (
                "security_roles",
                json!({
                    "my_admin_role": {
                        "cluster": ["all"],
                        "indices": [{"names": ["index1", "index2"], "privileges": ["all"],
                                     "allow_restricted_indices": false,
                                     "field_security": {"grant": ["title", "body"]}}],
                        "applications": [], "run_as": ["other_user"],
                        "metadata": {"version": 1}, "transient_metadata": {"enabled": true}
                    },
                    "superuser": {
                        "cluster": ["all"],
                        "indices": [{"names": ["*"], "privileges": ["all"], "allow_restricted_indices": true}],
                        "applications": [{"application": "*", "privileges": ["*"], "resources": ["*"]}],
                        "run_as": ["*"], "metadata": {"_reserved": true}
                    },
                    "kibana_user": {"cluster": [], "metadata": {"_reserved": true, "_deprecated": true}},
                    "security_posture_scanner": {"cluster": ["monitor", "read_security"], "indices": []}
                }),
            ),
            (
                "security_users",
                json!({
                    "elastic": {"username": "elastic", "roles": ["superuser"], "enabled": true,
                                "metadata": {"_reserved": true}},
                    "kibana": {"username": "kibana", "roles": ["kibana_system"], "enabled": true,
                               "metadata": {"_reserved": true, "_deprecated": true}},
                    "jacknich": {"username": "jacknich", "roles": ["admin", "other_role1"],
                                 "full_name": "Jack Nicholson", "email": "jacknich@example.com",
                                 "metadata": {"intelligence": 7}, "enabled": true},
                    "ops": {"username": "ops", "roles": ["my_admin_role"], "enabled": true, "metadata": {}},
                    "scanner": {"username": "scanner", "roles": ["security_posture_scanner"],
                                "enabled": true, "metadata": {}}
                }),
            ),
            (
                "security_role_mappings",
                json!({
                    "mapping1": {"enabled": true, "roles": ["user"],
                                 "rules": {"field": {"username": "*"}}, "metadata": {}},
                    "admins_all": {"enabled": true, "roles": ["superuser"], "rules": {"all": []}},
                    "helpers_pattern": {"enabled": true, "roles": ["kibana_admin"],
                                        "rules": {"field": {"groups": "cn=*,ou=groups,dc=example,dc=com"}}},
                    "from_groups": {"enabled": true,
                                    "role_templates": [{"template": {"source": "{{#tojson}}groups{{/tojson}}"},
                                                        "format": "json"}],
                                    "rules": {"field": {"realm.name": "saml1"}}},
                    "off": {"enabled": false, "roles": ["superuser"], "rules": {"all": []}}
                }),
            ),
            (
                "security_api_keys",
                json!({"api_keys": [
                    {"id": "VuaCfGcBCdbkQm-e5aOx", "name": "my-api-key", "creation": 1548550550158_i64,
                     "expiration": 1548551550158_i64, "invalidated": false, "username": "myuser",
                     "realm": "native1", "realm_type": "native", "metadata": {"application": "myapp"},
                     "role_descriptors": {},
                     "limited_by": [{"role-power-user": {"cluster": ["monitor"],
                        "indices": [{"names": ["*"], "privileges": ["read"], "allow_restricted_indices": false}],
                        "applications": [], "run_as": [], "metadata": {}}}]},
                    {"id": "0GF5GXsBCXxz2eDxWwFN", "name": "hadoop_myuser_key", "creation": NOW - 400 * DAY_MS,
                     "invalidated": false, "username": "elastic", "realm": "reserved",
                     "role_descriptors": {}},
                    {"id": "ci", "name": "ci-key", "creation": NOW - 10 * DAY_MS,
                     "expiration": NOW + 800 * DAY_MS, "invalidated": false, "username": "scanner",
                     "realm": "native1", "role_descriptors": {}},
                    {"id": "ccs", "name": "remote-search", "type": "cross_cluster",
                     "creation": NOW - DAY_MS, "expiration": NOW + 30 * DAY_MS, "invalidated": false,
                     "username": "ops", "realm": "native1",
                     "role_descriptors": {"cross_cluster": {"cluster": ["cross_cluster_search"]}},
                     "access": {"search": [{"names": ["*"]}]}}
                ]}),
            ),
            (
                "security_service_accounts",
                json!({"elastic/fleet-server": {"role_descriptor": {"cluster": ["monitor"]}}}),
            ),
        ]);
        s.service_credentials.insert(
            "elastic/fleet-server".into(),
            Answer::ok(json!({
                "service_account": "elastic/fleet-server", "count": 3,
                "tokens": {"token1": {}, "token42": {}},
                "nodes_credentials": {"_nodes": {"total": 3, "successful": 3, "failed": 0},
                                      "file_tokens": {"my-token": {"nodes": ["node0", "node1"]}}}
            })),
        );
        s
    }

    #[test]
    fn api_bodies_are_read_and_judged() {
        let rbac = from_api(&spec_like());
        assert!(rbac.missing.is_empty(), "{:?}", rbac.missing);
        let items = analyse(&rbac, NOW);
        let admin = item(&items, "role:my_admin_role");
        assert_eq!(admin["superuser_equivalent"], true);
        assert_eq!(admin["why"], "cluster privilege all");
        assert_eq!(admin["run_as"], json!(["other_user"]));
        assert_eq!(admin["reserved"], false);
        // Built-ins are judged as built-ins.
        let su = item(&items, "role:superuser");
        assert_eq!(su["reserved"], true);
        assert_eq!(item(&items, "role:kibana_user")["deprecated"], true);
        // Users: the path is spelled out; elastic is the break-glass account.
        assert_eq!(
            item(&items, "user:ops")["superuser_path"],
            "user:ops → role:my_admin_role → cluster privilege all"
        );
        assert_eq!(item(&items, "user:elastic")["break_glass"], true);
        assert_eq!(item(&items, "user:kibana")["deprecated"], true);
        assert_eq!(item(&items, "user:kibana")["service_roles"], json!([]));
        // jacknich's roles (`admin`, `other_role1`) are not among the roles read: whether he
        // is a superuser is unknown, and said so.
        let jack = items.iter().find(|i| i.object == "user:jacknich").unwrap();
        assert!(jack.facts.get("superuser").is_none());
        assert!(
            jack.hidden
                .as_deref()
                .unwrap()
                .starts_with("what role admin, other_role1 grants is unknown")
        );
        // A template the API answers as a string holding JSON, or naming a stored script.
        assert_eq!(
            template_source(
                &json!({"template": "{\"source\":\"{{#tojson}}groups{{/tojson}}\"}", "format": "json"})
            ),
            "{{#tojson}}groups{{/tojson}}"
        );
        assert_eq!(
            template_source(&json!({"template": {"id": "groups-to-roles"}})),
            "stored script groups-to-roles"
        );
        // The GetRoleMapping example matches every user.
        let m = item(&items, "role_mapping:mapping1");
        assert_eq!(m["matches_everyone"], true);
        // GetApiKey: empty role descriptors inherit the owner; one key has no expiration.
        let k = item(&items, "api_key:my-api-key");
        assert_eq!(k["inherits_owner"], true);
        assert_eq!(k["expires"], true);
        assert_eq!(k["expired"], true);
        assert_eq!(k["owner_superuser"], false);
        let k = item(&items, "api_key:hadoop_myuser_key");
        assert_eq!(k["expires"], false);
        assert_eq!(k["owner_superuser"], true);
        assert_eq!(k["age_days"], 400);
        assert_eq!(k["days_to_expiry"], Value::Null);
        // Service credentials: index and file tokens, counted per account.
        let t = item(&items, "service_token:elastic/fleet-server/my-token");
        assert_eq!(t["file_backed"], true);
        assert_eq!(t["tokens_for_account"], 3);
        assert_eq!(
            item(&items, "service_token:elastic/fleet-server/token1")["file_backed"],
            false
        );
    }

    #[test]
    fn least_privilege_scanner_is_not_flagged() {
        let items = analyse(&from_api(&spec_like()), NOW);
        let r = item(&items, "role:security_posture_scanner");
        for f in [
            "superuser_equivalent",
            "manage",
            "run_as_any",
            "app_wildcard",
            "kibana_all",
        ] {
            assert_eq!(r[f], false, "{f}");
        }
        for f in [
            "broad_destructive",
            "restricted_read",
            "restricted_write",
            "why",
        ] {
            assert_eq!(r[f], "", "{f}");
        }
        assert_eq!(r["credential_minting"], json!([]));
        assert_eq!(r["writes"], false);
        assert_eq!(r["admin_level"], false);
        let u = item(&items, "user:scanner");
        assert_eq!(u["superuser"], false);
        assert_eq!(u["service_roles"], json!([]));
    }

    #[test]
    fn refused_calls_are_missing_with_the_privilege() {
        let mut s = snapshot(&[]);
        s.live = true;
        s.calls.insert(
            "security_users".into(),
            Answer::failed(403, "security_exception: unauthorized".into()),
        );
        let rbac = from_api(&s);
        let users = rbac
            .missing
            .iter()
            .find(|(scope, _)| *scope == Scope::RbacUser)
            .unwrap();
        assert!(users.1.contains("read_security"), "{}", users.1);
        for scope in [
            Scope::RbacRole,
            Scope::RbacRoleMapping,
            Scope::RbacApiKey,
            Scope::RbacServiceToken,
        ] {
            assert!(rbac.missing.iter().any(|(s, _)| *s == scope), "{scope:?}");
        }
    }

    /// An account whose credentials were not collected, or whose call was refused, leaves the
    /// service-token rules unjudged with the reason; the accounts that answered still count.
    #[test]
    fn service_account_credentials_not_collected_are_missing() {
        let mut s = snapshot(&[(
            "security_service_accounts",
            json!({
                "elastic/fleet-server": {"role_descriptor": {}},
                "elastic/kibana": {"role_descriptor": {}},
                "elastic/enterprise-search-server": {"role_descriptor": {}}
            }),
        )]);
        s.service_credentials.insert(
            "elastic/fleet-server".into(),
            Answer::ok(
                json!({"service_account": "elastic/fleet-server", "count": 1,
                "tokens": {"token1": {}}, "nodes_credentials": {"file_tokens": {}}}),
            ),
        );
        s.service_credentials.insert(
            "elastic/kibana".into(),
            Answer::failed(403, "security_exception: unauthorized".into()),
        );
        let rbac = from_api(&s);
        let missing: Vec<&str> = rbac
            .missing
            .iter()
            .filter(|(scope, _)| *scope == Scope::RbacServiceToken)
            .map(|(_, why)| why.as_str())
            .collect();
        assert_eq!(
            missing,
            [
                "the credentials of service account elastic/enterprise-search-server were not \
                 collected (GET /_security/service/elastic/enterprise-search-server/credential)",
                "GET /_security/service/elastic/kibana/credential failed (HTTP 403): \
                 security_exception: unauthorized; the scanner needs the read_security (8.5+) or \
                 manage_service_account privilege",
            ]
        );
        let tokens: Vec<(&str, &str)> = rbac
            .service_tokens
            .iter()
            .map(|t| (t.account.as_str(), t.name.as_str()))
            .collect();
        assert_eq!(tokens, [("elastic/fleet-server", "token1")]);
    }

    /// Version shapes: 7.13-7.14 list file tokens at the top level of the credentials answer;
    /// a remote-indices grant names its clusters.
    #[test]
    fn older_and_newer_answer_shapes() {
        let mut s = snapshot(&[
            (
                "security_service_accounts",
                json!({"elastic/fleet-server": {}}),
            ),
            (
                "security_roles",
                json!({"remote-wipe": {"cluster": [], "indices": [],
                    "remote_indices": [{"clusters": ["*"], "names": ["*"], "privileges": ["delete_index"]}]}}),
            ),
        ]);
        s.service_credentials.insert(
            "elastic/fleet-server".into(),
            Answer::ok(
                json!({"service_account": "elastic/fleet-server", "count": 1,
                "tokens": {}, "file_tokens": {"legacy-token": {"nodes": ["node-1"]}}}),
            ),
        );
        let rbac = from_api(&s);
        assert_eq!(rbac.service_tokens.len(), 1);
        assert_eq!(rbac.service_tokens[0].name, "legacy-token");
        assert_eq!(rbac.service_tokens[0].source, "file");
        let items = analyse(&rbac, NOW);
        assert_eq!(
            item(&items, "role:remote-wipe")["broad_destructive"],
            "delete_index on * of remote clusters *"
        );
    }

    #[test]
    fn role_mapping_match_all_semantics() {
        let cases = [
            (json!({"all": []}), true),
            (json!({"any": []}), false),
            (json!({"field": {"username": "*"}}), true),
            (json!({"field": {"dn": "/.*/"}}), true),
            (json!({"field": {"realm.name": "*"}}), true),
            (json!({"field": {"groups": "*"}}), false),
            (json!({"field": {"username": "alice"}}), false),
            (
                json!({"any": [{"field": {"username": "alice"}}, {"all": []}]}),
                true,
            ),
            (
                json!({"all": [{"field": {"realm.name": "ldap1"}}, {"field": {"username": "*"}}]}),
                false,
            ),
            (
                json!({"all": [{"field": {"username": "*"}}, {"except": {"field": {"groups": "x"}}}]}),
                false,
            ),
            (
                json!({"all": [{"field": {"username": "*"}}, {"except": {"any": []}}]}),
                true,
            ),
            (json!({"all": [{"all": []}, {"any": []}]}), false),
        ];
        for (rule, expected) in cases {
            assert_eq!(everyone(&rule), expected, "{rule}");
        }
        let mut w = vec![];
        wildcard_values(
            &json!({"all": [{"field": {"groups": "cn=*,dc=example"}}]}),
            &mut w,
        );
        assert_eq!(w, vec!["groups: cn=*,dc=example"]);
    }

    #[test]
    fn superuser_paths_through_mappings_run_as_and_anonymous() {
        let rbac = Rbac {
            anonymous_roles: vec!["anon".into()],
            roles: vec![
                role_from_json(
                    "helpdesk",
                    &json!({"cluster": ["monitor"], "run_as": ["alice"]}),
                ),
                role_from_json(
                    "sec",
                    &json!({"cluster": ["cluster:admin/xpack/security/*"]}),
                ),
                role_from_json(
                    "license",
                    &json!({"cluster": ["cluster:admin/xpack/license/*"]}),
                ),
                role_from_json(
                    "anon",
                    &json!({"indices": [{"names": ["public"], "privileges": ["read"]}]}),
                ),
            ],
            users: vec![
                User {
                    name: "alice".into(),
                    roles: vec!["superuser".into()],
                    enabled: true,
                    ..Default::default()
                },
                User {
                    name: "bob".into(),
                    roles: vec!["viewer".into()],
                    enabled: true,
                    ..Default::default()
                },
            ],
            role_mappings: vec![
                RoleMapping {
                    name: "helpers".into(),
                    enabled: true,
                    roles: vec!["helpdesk".into()],
                    rules: json!({"field": {"groups": "cn=help*,dc=example,dc=com"}}),
                    ..Default::default()
                },
                RoleMapping {
                    name: "templ".into(),
                    enabled: true,
                    role_templates: vec!["{{#tojson}}groups{{/tojson}}".into()],
                    rules: json!({"all": []}),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let items = analyse(&rbac, NOW);
        assert_eq!(
            item(&items, "user:alice")["superuser_path"],
            "user:alice → role:superuser"
        );
        assert_eq!(item(&items, "user:bob")["superuser"], false);
        let m = item(&items, "role_mapping:helpers");
        assert_eq!(
            m["superuser_path"],
            "role_mapping:helpers → role:helpdesk → run_as alice → role:superuser"
        );
        assert_eq!(m["admin_roles"], json!(["helpdesk"]));
        assert_eq!(m["privileged_roles"], json!(["helpdesk"]));
        assert_eq!(m["broad_match"], true);
        assert_eq!(m["matches_everyone"], false);
        let t = item(&items, "role_mapping:templ");
        assert_eq!(t["templated"], true);
        assert_eq!(t["matches_everyone"], true);
        assert_eq!(item(&items, "role:sec")["superuser_equivalent"], true);
        assert_eq!(item(&items, "role:license")["superuser_equivalent"], false);
        assert_eq!(item(&items, "role:anon")["anonymous"], true);
        assert_eq!(item(&items, "role:anon")["writes"], false);
        assert_eq!(
            item(&items, "role:helpdesk")["run_as_superuser"],
            json!(["alice"])
        );
        // An anonymous superuser role makes everyone a superuser.
        let rbac = Rbac {
            anonymous_roles: vec!["superuser".into()],
            users: vec![User {
                name: "carol".into(),
                enabled: true,
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            item(&analyse(&rbac, NOW), "user:carol")["superuser_path"],
            "user:carol → anonymous role:superuser"
        );
    }

    #[test]
    fn patterns() {
        assert!(glob("cluster:admin/xpack/security/*", SECURITY_ACTIONS[0]));
        assert!(glob("cluster:*", SECURITY_ACTIONS[0]));
        assert!(!glob("cluster:admin/xpack/license/*", SECURITY_ACTIONS[0]));
        for p in ["*", "*-logs", "?*", "/.*/", "/~(([.]|ilm-history-).*)/"] {
            assert!(matches_everything(p), "{p}");
        }
        for p in ["logs-*", ".kibana*", "/logs-.*/"] {
            assert!(!matches_everything(p), "{p}");
        }
    }

    #[test]
    fn glob_backtracks_and_value_patterns() {
        assert!(glob("*b", "aab"));
        assert!(glob("a*c*", "abcbc"));
        assert!(glob("ab*", "ab"));
        assert!(!glob("abc", "ab"));
        assert!(!glob("a*c", "abd"));
        for p in ["*", "cn=*,dc=x", "user?", "/adm.*/", " /x/ "] {
            assert!(is_wildcard_value(p), "{p}");
        }
        for p in ["alice", "/", "/x", "x/", "cn=admins,dc=x"] {
            assert!(!is_wildcard_value(p), "{p}");
        }
    }

    /// Recordings made without the reserved metadata, and lists the API leaves out, are read
    /// with Elasticsearch's own defaults.
    #[test]
    fn lenient_reading_of_roles_users_keys_and_tokens() {
        assert!(role_from_json("old", &json!({"metadata": {"_deprecated": true}})).deprecated);
        assert!(
            role_from_json("kibana_user", &json!({"metadata": {"_reserved": true}})).deprecated
        );
        assert!(!role_from_json("kibana_user", &json!({})).deprecated);
        let mut s = snapshot(&[
            (
                "security_roles",
                json!({"superuser": {"cluster": ["all"]}, "kibana_user": {"cluster": []},
                       "mine": {"cluster": ["monitor"]}}),
            ),
            (
                "security_users",
                json!({"kibana": {"roles": ["kibana_system"], "metadata": {"_reserved": true}},
                       "old": {"roles": [], "metadata": {"_deprecated": true}},
                       "root": {"roles": ["superuser"]}}),
            ),
            (
                "security_api_keys",
                json!({"api_keys": [{"id": "k", "name": "k", "creation": NOW, "username": "root",
                    "realm": "native1",
                    "role_descriptors": {},
                    "limited_by": [{"writer": {"cluster": ["manage_security"]}}]}]}),
            ),
            ("security_service_accounts", json!({"elastic/kibana": {}})),
        ]);
        s.service_credentials.insert(
            "elastic/kibana".into(),
            Answer::ok(json!({"service_account": "elastic/kibana", "count": 1,
                "tokens": {"t1": {}}, "nodes_credentials": {"file_tokens": {}}})),
        );
        let rbac = from_api(&s);
        let role = |n: &str| rbac.roles.iter().find(|r| r.name == n).unwrap();
        assert!(role("superuser").reserved && !role("superuser").deprecated);
        assert!(role("kibana_user").reserved && role("kibana_user").deprecated);
        assert!(!role("mine").reserved && !role("mine").deprecated);
        let user = |n: &str| rbac.users.iter().find(|u| u.name == n).unwrap();
        assert!(user("kibana").deprecated && user("kibana").realm == "reserved");
        assert!(user("old").deprecated && user("old").realm == "native");
        assert!(!user("root").deprecated);
        let key = &rbac.api_keys[0];
        assert_eq!(key.key_type, "rest");
        assert_eq!(key.creation_ms, Some(NOW));
        let limits = key.limited_by.as_ref().unwrap();
        assert_eq!(limits.len(), 1);
        assert_eq!(limits[0].name, "writer");
        assert_eq!(rbac.service_tokens.len(), 1);
        assert_eq!(rbac.service_tokens[0].source, "index");
        let items = analyse(&rbac, NOW);
        // A superuser role read without its metadata is still the built-in one: the path
        // stops at it.
        assert_eq!(
            item(&items, "user:root")["superuser_path"],
            "user:root → role:superuser"
        );
        assert_eq!(item(&items, "role:superuser")["reserved"], true);
        assert_eq!(item(&items, "user:kibana")["realm"], "reserved");
        assert_eq!(item(&items, "user:old")["realm"], "native");
        assert_eq!(
            item(&items, "service_token:elastic/kibana/t1")["file_backed"],
            false
        );
    }

    /// A file-defined role named like a built-in one is judged as the built-in; a custom
    /// superuser-equivalent role names why in the path; admin level comes from any one of
    /// its grounds.
    #[test]
    fn reserved_names_paths_and_admin_level() {
        let mut su = role_from_json("superuser", &json!({"cluster": ["all"]}));
        su.location = Some(Location::default());
        let rbac = Rbac {
            roles: vec![su, role_from_json("ops", &json!({"cluster": ["all"]}))],
            users: vec![
                User {
                    name: "a".into(),
                    roles: vec!["superuser".into()],
                    enabled: true,
                    ..Default::default()
                },
                User {
                    name: "b".into(),
                    roles: vec!["ops".into()],
                    enabled: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let mut rbac = rbac;
        // A reserved role other than superuser still says why it is superuser-equivalent.
        rbac.roles.push(role_from_json(
            "legacy_admin",
            &json!({"cluster": ["all"], "metadata": {"_reserved": true}}),
        ));
        rbac.users.push(User {
            name: "c".into(),
            roles: vec!["legacy_admin".into()],
            enabled: true,
            ..Default::default()
        });
        let items = analyse(&rbac, NOW);
        assert_eq!(
            item(&items, "user:c")["superuser_path"],
            "user:c → role:legacy_admin → cluster privilege all"
        );
        assert_eq!(item(&items, "role:superuser")["reserved"], true);
        assert_eq!(item(&items, "role:ops")["reserved"], false);
        assert_eq!(
            item(&items, "user:b")["superuser_path"],
            "user:b → role:ops → cluster privilege all"
        );
        let admin = |cluster: Value| {
            role_facts(&role_from_json("r", &json!({ "cluster": cluster }))).admin_level()
        };
        assert!(admin(json!(["manage"])));
        assert!(admin(json!(["manage_api_key"])));
        assert!(admin(json!(["manage_security"])));
        assert!(!admin(json!(["monitor", "manage_ilm"])));
        let apps = |app: &str, res: &str| {
            role_facts(&role_from_json(
                "r",
                &json!({"applications": [{"application": app, "privileges": ["*"], "resources": [res]}]}),
            ))
            .app_wildcard
        };
        assert!(apps("*", "*"));
        assert!(!apps("kibana-.kibana", "*"));
        assert!(!apps("*", "space:default"));
    }

    /// One line of what the analysis makes of a role: the facts the rules read.
    fn facts_line(role: &Role) -> String {
        let f = role_facts(role);
        let mut parts = vec![];
        if !f.why.is_empty() {
            parts.push(format!("superuser-equivalent ({})", f.why.join("; ")));
        }
        if !f.credential_minting.is_empty() {
            parts.push(format!(
                "mints credentials ({})",
                f.credential_minting.join(", ")
            ));
        }
        if f.manage {
            parts.push("manage".into());
        }
        if !f.broad_destructive.is_empty() {
            parts.push(format!(
                "broad destructive ({})",
                f.broad_destructive.join("; ")
            ));
        }
        if !f.restricted_write.is_empty() {
            parts.push(format!(
                "writes restricted ({})",
                f.restricted_write.join("; ")
            ));
        }
        if !f.restricted_read.is_empty() {
            parts.push(format!(
                "reads restricted ({})",
                f.restricted_read.join("; ")
            ));
        }
        if f.app_wildcard {
            parts.push("every application".into());
        }
        if f.kibana_all {
            parts.push("kibana all".into());
        }
        parts.push(if f.writes { "writes" } else { "read-only" }.into());
        if f.admin_level() {
            parts.push("ADMIN".into());
        }
        if role.deprecated {
            parts.push("deprecated".into());
        }
        format!("{}: {}", role.name, parts.join(", "))
    }

    #[test]
    fn builtin_role_lists_agree_with_the_definitions() {
        let v: Value = serde_json::from_str(BUILTIN_ROLE_DEFINITIONS).unwrap();
        let defined: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let listed: BTreeSet<&str> = BUILTIN_ROLES.iter().copied().collect();
        assert_eq!(defined, listed);
        let deprecated: BTreeSet<&str> = BUILTIN_ROLES
            .iter()
            .copied()
            .filter(|r| builtin_role(r).unwrap().deprecated)
            .collect();
        assert_eq!(deprecated, DEPRECATED_ROLES.iter().copied().collect());
        for r in SERVICE_ROLES.iter().chain(PRIVILEGED_BUILTIN_ROLES) {
            assert!(listed.contains(r), "{r}");
        }
        assert!(builtin_role("my_role").is_none());
        assert!(builtin_role("superuser").unwrap().reserved);
    }

    /// What each built-in role amounts to, read once against Elastic's definitions (the
    /// source is named on `BUILTIN_ROLE_DEFINITIONS`): a change to the data or to `role_facts`
    /// that moves any of these shows here.
    #[test]
    fn builtin_role_facts() {
        let got: Vec<String> = BUILTIN_ROLES
            .iter()
            .map(|r| facts_line(&builtin_role(r).unwrap()))
            .collect();
        let want = [
            "superuser: superuser-equivalent (cluster privilege all; run_as * (can act as any user)), manage, broad destructive (all on *), reads restricted (read, read_cross_cluster on *), every application, writes, ADMIN",
            "kibana_system: mints credentials (manage_saml, manage_token, manage_oidc, grant_api_key, delegate_pki), writes restricted (all on .kibana*, .reporting-*; all on .apm-agent-configuration; all on .apm-custom-link; all on .apm-source-map; write, delete, create_index on .fleet-secrets*; all on .fleet*), reads restricted (all on .kibana*, .reporting-*; all on .apm-agent-configuration; all on .apm-custom-link; all on .apm-source-map; all on .fleet*), writes, ADMIN",
            "kibana_admin: kibana all, read-only",
            "kibana_user: kibana all, read-only, deprecated",
            "editor: kibana all, writes",
            "viewer: read-only",
            "logstash_system: writes",
            "beats_system: writes",
            "apm_system: writes",
            "remote_monitoring_agent: writes",
            "remote_monitoring_collector: reads restricted (read on .kibana*), read-only",
            "monitoring_user: read-only",
            "ingest_admin: writes",
            "machine_learning_admin: reads restricted (read on .ml-anomalies*, .ml-notifications*, .ml-state*, .ml-meta*, .ml-stats-*), writes",
            "machine_learning_user: writes",
            "transform_admin: writes",
            "transform_user: read-only",
            "data_frame_transforms_admin: writes, deprecated",
            "data_frame_transforms_user: read-only, deprecated",
            "apm_user: read-only, deprecated",
            "reporting_user: read-only, deprecated",
            "kibana_dashboard_only_user: read-only, deprecated",
            "snapshot_user: writes",
            "watcher_admin: reads restricted (read on .watches, .triggered_watches, .watcher-history-*), writes",
            "watcher_user: reads restricted (read on .watches), read-only",
            "logstash_admin: writes restricted (create, delete, index, manage on .logstash*), reads restricted (read on .logstash*), writes, ADMIN",
            "enrich_user: writes",
            "rollup_admin: writes",
            "rollup_user: read-only",
            "beats_admin: writes",
            "transport_client: writes",
            "inference_admin: writes",
            "inference_user: read-only",
        ];
        assert_eq!(got, want, "\n{}", got.join("\n"));
    }
}
