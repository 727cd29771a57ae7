//! Nodes of one cluster compared with each other: a security setting that differs between them
//! leaves some nodes weaker than the rest (or the cluster unable to form).

use super::EsNode;
use super::derive::effective_value;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Security settings every node of a cluster should agree on (effective values, defaults
/// included).
pub const AGREED_KEYS: &[&str] = &[
    "xpack.security.enabled",
    "xpack.security.http.ssl.enabled",
    "xpack.security.transport.ssl.enabled",
    "xpack.security.transport.ssl.verification_mode",
    "xpack.security.audit.enabled",
    "xpack.security.fips_mode.enabled",
    "xpack.security.authc.anonymous.roles",
    "xpack.security.authc.password_hashing.algorithm",
    "xpack.security.authc.token.enabled",
    "xpack.security.authc.api_key.enabled",
];

/// The node as the cluster comparison sees it (CEL variable `cluster`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterFacts {
    /// Other nodes of the same cluster in the same deployment.
    pub peers: i64,
    /// Keys of [`AGREED_KEYS`] whose effective value differs between those nodes.
    pub disagreeing: Vec<String>,
}

/// Where a node's deployment is: the manifest or compose file it came from, else the folder
/// holding its node folder (`deploy/` for `deploy/es01/config/elasticsearch.yml`).
/// `--shard` keys node folders by the same folder (`shard::PathKeys`), so the nodes compared
/// here are always in one share.
fn deployment_key(node: &EsNode) -> String {
    let path = Path::new(&node.config_path);
    if !path.ends_with("elasticsearch.yml") && !path.ends_with("elasticsearch.yaml") {
        return node.config_path.clone();
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    let node_dir = if dir.ends_with("config") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    node_dir
        .parent()
        .unwrap_or(Path::new(""))
        .display()
        .to_string()
}

/// Facts for every node, in the order of `nodes`.
pub fn cluster_facts(nodes: &[EsNode]) -> Vec<ClusterFacts> {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if !n.files_only {
            groups
                .entry((n.cluster.clone(), deployment_key(n)))
                .or_default()
                .push(i);
        }
    }
    let mut out = vec![ClusterFacts::default(); nodes.len()];
    for members in groups.values().filter(|m| m.len() > 1) {
        let values: Vec<BTreeMap<&str, String>> = members
            .iter()
            .map(|&i| {
                AGREED_KEYS
                    .iter()
                    .map(|k| {
                        let v = effective_value(&nodes[i], k);
                        (*k, v.map(|v| v.to_string()).unwrap_or_default())
                    })
                    .collect()
            })
            .collect();
        let disagreeing: Vec<String> = AGREED_KEYS
            .iter()
            .filter(|k| {
                values
                    .iter()
                    .map(|v| &v[**k])
                    .collect::<BTreeSet<_>>()
                    .len()
                    > 1
            })
            .map(|k| k.to_string())
            .collect();
        for &i in members {
            out[i] = ClusterFacts {
                peers: members.len() as i64 - 1,
                disagreeing: disagreeing.clone(),
            };
        }
    }
    out
}
