//! The file realm beside `elasticsearch.yml`: `roles.yml`, `users_roles`, `role_mapping.yml` and
//! `service_tokens`, together with the `users` file already read (names and hash schemes only),
//! as one [`Rbac`] whose objects carry the file, line and column they are written at. None of
//! these is visible through the security APIs, so only a file scan can judge them.

use super::display;
use super::es_config::read_text_if_file;
use crate::evidence::Scope;
use crate::evidence::rbac::{Rbac, RoleMapping, ServiceToken, User, role_from_json};
use crate::evidence::{FileUsers, InputError, Location, Settings};
use crate::yaml::{self, Node, NodeKind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads the node's file-realm security files. `None` when the folder has none of them and no
/// anonymous roles are set. A malformed file is an input error naming it; the others are read.
pub fn read(
    config_dir: &Path,
    settings: &Settings,
    users: Option<&FileUsers>,
    errors: &mut Vec<InputError>,
) -> Option<Rbac> {
    let anonymous = settings.get("xpack.security.authc.anonymous.roles");
    let mut rbac = Rbac {
        anonymous_roles: anonymous
            .filter(|s| s.unresolved.is_empty())
            .map(|s| s.value.as_list())
            .unwrap_or_default(),
        anonymous_known: anonymous.is_none_or(|s| s.unresolved.is_empty()),
        ..Default::default()
    };
    let mut any = !rbac.anonymous_roles.is_empty() || users.is_some();
    let mut open = |name: &str, errors: &mut Vec<InputError>| -> Option<(String, String)> {
        let file = config_dir.join(name);
        let read = read_text_if_file(&file)?;
        any = true;
        let path = display(&file);
        match read {
            Ok(text) => Some((path, text)),
            Err(message) => {
                errors.push(InputError { path, message });
                None
            }
        }
    };
    if let Some((path, text)) = open("roles.yml", errors) {
        match parse_roles(&text, &path) {
            Ok(roles) => rbac.roles = roles,
            Err(message) => unreadable(&mut rbac, Scope::RbacRole, path, message, errors),
        }
    }
    let mut grants: BTreeMap<String, Vec<(String, Location)>> = BTreeMap::new();
    if let Some((path, text)) = open("users_roles", errors) {
        match parse_users_roles(&text, &path) {
            Ok(g) => grants = g,
            Err(message) => unreadable(&mut rbac, Scope::RbacUser, path, message, errors),
        }
    }
    if let Some((path, text)) = open("role_mapping.yml", errors) {
        match parse_role_mappings(&text, &path) {
            Ok(m) => rbac.role_mappings = m,
            Err(message) => unreadable(&mut rbac, Scope::RbacRoleMapping, path, message, errors),
        }
    }
    if let Some((path, text)) = open("service_tokens", errors) {
        rbac.service_tokens = parse_service_tokens(&text, &path);
    }
    if let Some(users) = users {
        for u in &users.users {
            let granted = grants.get(&u.name).cloned().unwrap_or_default();
            rbac.users.push(User {
                name: u.name.clone(),
                roles: granted.iter().map(|(r, _)| r.clone()).collect(),
                enabled: true,
                realm: "file".into(),
                hash_scheme: Some(u.scheme.clone()),
                granted_at: granted.into_iter().collect(),
                location: Some(u.location.clone()),
                ..Default::default()
            });
        }
    }
    any.then_some(rbac)
}

/// A file that does not parse is an input error, and the rules of the scope it feeds report
/// `error` rather than passing on what could not be read.
fn unreadable(
    rbac: &mut Rbac,
    scope: Scope,
    path: String,
    message: String,
    errors: &mut Vec<InputError>,
) {
    rbac.missing
        .push((scope, format!("{path} could not be parsed: {message}")));
    errors.push(InputError { path, message });
}

/// A YAML node as JSON: scalars as text (the role reader accepts `"true"` for booleans).
fn to_json(node: &Node) -> Value {
    match &node.kind {
        _ if node.is_null() => Value::Null,
        NodeKind::Scalar { text, .. } => Value::String(text.clone()),
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_json(v)))
                .collect(),
        ),
    }
}

/// The top-level mapping of a YAML file (empty for an empty file).
fn top_map(text: &str) -> Result<Vec<(Node, Node)>, String> {
    let docs = yaml::parse(text).map_err(|e| format!("invalid YAML at {e}"))?;
    match docs.as_slice() {
        [] => Ok(vec![]),
        [root] if root.is_null() => Ok(vec![]),
        [
            Node {
                kind: NodeKind::Map(entries),
                ..
            },
        ] => Ok(entries.clone()),
        [_] => Err("expected a mapping at the top level".into()),
        _ => Err("holds several YAML documents; expected one".into()),
    }
}

/// `roles.yml`: role name → descriptor (cluster, indices, applications, run_as, …).
pub fn parse_roles(text: &str, path: &str) -> Result<Vec<crate::evidence::rbac::Role>, String> {
    let mut roles = Vec::new();
    for (k, v) in top_map(text)? {
        let name = k.as_str().unwrap_or_default();
        if !matches!(v.kind, NodeKind::Map(_)) && !v.is_null() {
            return Err(format!(
                "line {}, column {}: role {name} must be a mapping of privileges",
                k.pos.line, k.pos.column
            ));
        }
        let mut role = role_from_json(name, &to_json(&v));
        role.location = Some(Location::at(path, k.pos.line, k.pos.column));
        roles.push(role);
    }
    Ok(roles)
}

/// `role_mapping.yml`: role name → user and group DNs.
pub fn parse_role_mappings(text: &str, path: &str) -> Result<Vec<RoleMapping>, String> {
    let mut out = Vec::new();
    for (k, v) in top_map(text)? {
        let name = k.as_str().unwrap_or_default().to_string();
        let dns = match to_json(&v) {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            Value::String(s) => vec![s],
            Value::Null => vec![],
            _ => {
                return Err(format!(
                    "line {}, column {}: role {name} must list DNs",
                    k.pos.line, k.pos.column
                ));
            }
        };
        out.push(RoleMapping {
            roles: vec![name.clone()],
            name,
            enabled: true,
            dns,
            location: Some(Location::at(path, k.pos.line, k.pos.column)),
            ..Default::default()
        });
    }
    Ok(out)
}

/// `users_roles`: `role:user1,user2` lines, as user → (role, where granted).
pub fn parse_users_roles(
    text: &str,
    path: &str,
) -> Result<BTreeMap<String, Vec<(String, Location)>>, String> {
    let mut out: BTreeMap<String, Vec<(String, Location)>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((role, users)) = trimmed.split_once(':') else {
            return Err(format!(
                "line {}: expected `role:user1,user2`, found no `:`",
                i + 1
            ));
        };
        let column = line.len() - line.trim_start().len() + 1;
        for user in users.split(',').map(str::trim).filter(|u| !u.is_empty()) {
            out.entry(user.to_string())
                .or_default()
                .push((role.trim().to_string(), Location::at(path, i + 1, column)));
        }
    }
    Ok(out)
}

/// `service_tokens`: `namespace/service/token:hash` lines (the hash is not kept).
pub fn parse_service_tokens(text: &str, path: &str) -> Vec<ServiceToken> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return None;
            }
            let (id, _) = trimmed.split_once(':')?;
            let (account, name) = id.rsplit_once('/')?;
            Some(ServiceToken {
                account: account.to_string(),
                name: name.to_string(),
                source: "file".into(),
                nodes: vec![],
                location: Some(Location::at(path, i + 1, 1)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_keep_their_position() {
        let roles = parse_roles(
            "# c\nops:\n  cluster: [MANAGE_SECURITY]\n  indices:\n    - names: ['*']\n      privileges: [all]\n      allow_restricted_indices: true\n",
            "roles.yml",
        )
        .unwrap();
        assert_eq!(roles[0].location, Some(Location::at("roles.yml", 2, 1)));
        assert_eq!(roles[0].cluster, vec!["manage_security"]);
        assert!(roles[0].indices[0].allow_restricted_indices);
        assert!(parse_roles("a: [1\n", "roles.yml").is_err());
        assert!(parse_roles("- a\n", "roles.yml").is_err());
    }

    #[test]
    fn users_roles_and_mappings() {
        let g =
            parse_users_roles("# c\nsuperuser:alice, bob\nviewer:bob\n", "users_roles").unwrap();
        assert_eq!(g["bob"].len(), 2);
        assert_eq!(g["alice"][0].1.line, Some(2));
        assert!(parse_users_roles("oops\n", "users_roles").is_err());
        let m = parse_role_mappings("admin:\n  - \"cn=admins,dc=example,dc=com\"\n", "r").unwrap();
        assert_eq!(m[0].roles, vec!["admin"]);
        assert_eq!(m[0].dns.len(), 1);
        let t = parse_service_tokens("elastic/fleet-server/t1:{PBKDF2_STRETCH}x\n", "st");
        assert_eq!(t[0].account, "elastic/fleet-server");
        assert_eq!(t[0].name, "t1");
    }
}
