//! Who can do what: users, roles, role mappings, API keys and service tokens, read from the
//! security APIs or from the file realm on disk, and the derived facts the `rbac` rules judge
//! (every path from an identity to superuser-equivalent power, computed here once).

use super::Location;
use crate::rules::Scope;
use serde::Serialize;

/// The security objects of one cluster (API) or one node folder (files), as read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rbac {
    /// Roles of `xpack.security.authc.anonymous.roles`: added to every identity.
    pub anonymous_roles: Vec<String>,
    /// Why a part could not be read (refused API call, unreadable file), by the scope it feeds.
    pub missing: Vec<(Scope, String)>,
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
}

/// The items of every rbac scope, built from what was read.
pub fn analyse(rbac: &Rbac, now_ms: i64) -> Vec<RbacItem> {
    let _ = (rbac, now_ms);
    todo!("RBAC analysis: issue 4")
}
