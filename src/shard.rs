//! `--shard I/N`: one machine's share of a scan split across N machines (a CI matrix, a
//! Kubernetes Indexed Job), so that N runs with I = 1..N cover everything exactly once and
//! `esaudit merge` can put their JSON reports back together.
//!
//! Everything a scan reads has a *key*, and share I of N keeps what `stable_hash(key) % N` puts
//! at I - 1. The hash is [`crate::results::stable_hash`] (FNV-1a, 64 bits, the fingerprints'
//! hash), so every machine, platform and release agrees on who scans what. The keys:
//!
//! * a file found on disk: the deployment folder it belongs to, see [`PathKeys`];
//! * an API snapshot folder or support-diagnostics bundle: its own path, made relative the same
//!   way;
//! * a live cluster: its name (the inventory's `name`, or the one made from a `--url`);
//! * a TLS endpoint: `host:port`.

use crate::results::stable_hash;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// Share `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` (1 ≤ I ≤ N). The error says what is wrong, without the flag's name (the
    /// caller adds it: `--shard` or the config file's `shard`).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let text = text.trim();
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("'{text}' is not I/N (share I of N, e.g. 2/4)"))?;
        let number = |part: &str, what: &str| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| format!("'{text}': {what} '{}' is not a whole number", part.trim()))
        };
        let (index, count) = (number(index, "I")?, number(count, "N")?);
        if count == 0 {
            return Err(format!("'{text}': N must be at least 1"));
        }
        if index == 0 || index > count {
            return Err(format!(
                "'{text}': I must be between 1 and {count} (shares are numbered from 1)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The share (1-based) of `count` that `key` belongs to.
    pub fn of(key: &str, count: u32) -> u32 {
        (stable_hash(&[key]) % u64::from(count.max(1))) as u32 + 1
    }

    /// Whether `key` belongs to this share.
    pub fn holds(&self, key: &str) -> bool {
        Shard::of(key, self.count) == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        Shard::parse(text)
    }
}

/// The items of `items` that belong to `shard` (all of them when there is none).
pub fn keep<T: Clone>(shard: Option<Shard>, items: &[T], key: impl Fn(&T) -> String) -> Vec<T> {
    items
        .iter()
        .filter(|item| shard.is_none_or(|s| s.holds(&key(item))))
        .cloned()
        .collect()
}

/// Share keys of the files found under one path argument.
///
/// A file's key is the *deployment folder* it belongs to, so that what the rules compare with
/// each other stays in one share: the nodes of one cluster folder (ES-CLU-001), a node and its
/// certificates and keystore, a Kibana or Logstash and the nodes beside it, a Logstash and its
/// pipelines.
///
/// 1. A node or component config (`elasticsearch.yml`, `kibana.yml`, `logstash.yml`, a Beat or
///    Agent config) has a *home*: its folder, or the folder above when that one is named
///    `config` (`X/es01` for `X/es01/config/elasticsearch.yml`). A node's key is the folder
///    holding its home (`X`): the folder its cluster peers are looked for in. A component's key
///    is the deepest node key that holds its home, else likewise the folder holding its home.
/// 2. Any other file inside a home (certificates, keystores, pipelines) takes the key of the
///    deepest home holding it, so a node folder is never split.
/// 3. Any other file inside a node key's folder (a CA file the cluster's nodes share) takes the
///    deepest such key.
/// 4. Anything else: the folder above the parent of its nearest `config` folder, or, when it is
///    in none, the folder above its own folder.
///
/// Paths are made relative to the path argument, so two checkouts in different places agree,
/// and keys are written with `/` whatever the platform. A file named directly as an argument is
/// keyed by its path as given (relative paths agree across machines, absolute ones may not).
/// Everything in one cluster folder is one key: a single cluster is never split.
#[derive(Debug, Default)]
pub struct PathKeys {
    base: PathBuf,
    /// Node and component configs (relative) → their key.
    anchors: HashMap<PathBuf, String>,
    /// Homes of node and component configs → key of the files inside them.
    homes: HashMap<PathBuf, String>,
    /// Node keys, as folders.
    deployments: HashSet<PathBuf>,
}

impl PathKeys {
    /// `base` is the path argument when it is a folder, else empty; `configs` are the node and
    /// component configs found under it, with `true` for a node.
    pub fn new<'a>(base: &Path, configs: impl IntoIterator<Item = (&'a Path, bool)>) -> PathKeys {
        let mut keys = PathKeys {
            base: base.to_path_buf(),
            ..PathKeys::default()
        };
        let (nodes, components): (Vec<_>, Vec<_>) = configs
            .into_iter()
            .map(|(path, node)| (keys.relative(path), node))
            .partition(|(_, node)| *node);
        for (path, _) in nodes {
            let home = home(&path);
            let deployment = parent(&home);
            let key = text(&deployment);
            keys.deployments.insert(deployment);
            keys.homes.insert(home, key.clone());
            keys.anchors.insert(path, key);
        }
        for (path, _) in components {
            let home = home(&path);
            let key = match keys.deepest_deployment(&home) {
                Some(deployment) => text(deployment),
                None => text(&parent(&home)),
            };
            keys.homes.entry(home).or_insert_with(|| key.clone());
            keys.anchors.insert(path, key);
        }
        keys
    }

    /// The key of a file found under the path argument.
    pub fn key(&self, path: &Path) -> String {
        let path = self.relative(path);
        if let Some(key) = self.anchors.get(&path) {
            return key.clone();
        }
        let dir = parent(&path);
        if let Some(key) = dir.ancestors().find_map(|a| self.homes.get(a)) {
            return key.clone();
        }
        if let Some(deployment) = self.deepest_deployment(&dir) {
            return text(deployment);
        }
        match dir
            .ancestors()
            .find(|a| a.file_name() == Some(OsStr::new("config")))
        {
            Some(config) => text(&parent(&parent(config))),
            None => text(&parent(&dir)),
        }
    }

    /// The key of a snapshot folder or bundle: its own path, unless it lies in a deployment
    /// folder or beside exactly one. Its cluster's node folders are then in the same part, and
    /// files and API answers can be paired (pairing happens within a part).
    pub fn own(&self, path: &Path) -> String {
        let path = self.relative(path);
        let dir = parent(&path);
        if self.deployments.contains(&dir) {
            return text(&dir);
        }
        let mut beside = self.deployments.iter().filter(|d| parent(d) == dir);
        match (beside.next(), beside.next()) {
            (Some(deployment), None) => text(deployment),
            _ => text(&path),
        }
    }

    fn deepest_deployment<'a>(&self, dir: &'a Path) -> Option<&'a Path> {
        dir.ancestors().find(|a| self.deployments.contains(*a))
    }

    /// `path` relative to the base, with `.`, root and prefix components dropped.
    fn relative(&self, path: &Path) -> PathBuf {
        let path = path.strip_prefix(&self.base).unwrap_or(path);
        path.components()
            .filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
            .collect()
    }
}

/// A config's folder, or the folder above when that one is named `config`.
fn home(config: &Path) -> PathBuf {
    let dir = parent(config);
    if dir.file_name() == Some(OsStr::new("config")) {
        parent(&dir)
    } else {
        dir
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A relative path as a key: its components joined with `/`.
fn text(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_i_of_n() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard::parse(" 1 / 1 ").unwrap().to_string(), "1/1");
        for bad in [
            "0/3", "4/3", "3", "a/b", "1/0", "", "/", "-1/3", "1/3/5", "1.5/3",
        ] {
            assert!(Shard::parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(Shard::parse("4/3").unwrap_err().contains("between 1 and 3"));
        assert!(Shard::parse("1/0").unwrap_err().contains("at least 1"));
    }

    /// The shares are part of the contract between machines and releases: a change of hash
    /// function or of the modulo would make old and new runners split a scan differently.
    #[test]
    fn a_key_always_lands_in_the_same_share() {
        // FNV-1a 64 of "fleet-000" and the 0x1f separator (checked with an independent
        // implementation).
        assert_eq!(stable_hash(&["fleet-000"]), 0xc798_f64f_6f0e_7ef7);
        assert_eq!(Shard::of("fleet-000", 4), 4);
        assert_eq!(Shard::of("fleet-001", 4), 3);
        assert_eq!(Shard::of("es01.example.com:9200", 3), 3);
        assert_eq!(Shard::of("", 7), 4);
        assert_eq!(Shard::of("anything", 1), 1);
    }

    #[test]
    fn every_key_is_in_exactly_one_share() {
        for n in 1..6 {
            for key in ["a", "b/c", "prod", "", "10.0.0.5:9300"] {
                let holders = (1..=n)
                    .filter(|&i| Shard { index: i, count: n }.holds(key))
                    .count();
                assert_eq!(holders, 1, "{key} in {n} shares");
            }
        }
    }

    #[test]
    fn a_snapshot_goes_with_the_node_folders_it_lies_in_or_beside() {
        let configs = [
            (Path::new("repo/prod/es01/elasticsearch.yml"), true),
            (Path::new("repo/prod/es02/elasticsearch.yml"), true),
            (Path::new("repo/lab/nodes/es01/elasticsearch.yml"), true),
            (Path::new("repo/dev/a/es01/elasticsearch.yml"), true),
            (Path::new("repo/dev/b/es01/elasticsearch.yml"), true),
        ];
        let keys = PathKeys::new(Path::new(""), configs);
        assert_eq!(keys.own(Path::new("repo/prod/snapshot")), "repo/prod");
        assert_eq!(keys.own(Path::new("repo/lab/snapshot")), "repo/lab/nodes");
        // Beside two deployments it is its own.
        assert_eq!(
            keys.own(Path::new("repo/dev/snapshot")),
            "repo/dev/snapshot"
        );
        assert_eq!(
            keys.own(Path::new("elsewhere/snap.zip")),
            "elsewhere/snap.zip"
        );
    }

    #[test]
    fn keep_filters_only_when_sharded() {
        let items = ["a", "b", "c", "d", "e"];
        assert_eq!(keep(None, &items, |s| s.to_string()), items);
        let mut all: Vec<&str> = (1..=3)
            .flat_map(|index| keep(Some(Shard { index, count: 3 }), &items, |s| s.to_string()))
            .collect();
        all.sort();
        assert_eq!(all, items);
    }

    fn keys_of(base: &str, configs: &[(&str, bool)]) -> PathKeys {
        PathKeys::new(
            Path::new(base),
            configs.iter().map(|(p, node)| (Path::new(*p), *node)),
        )
    }

    #[test]
    fn a_node_folder_and_its_cluster_folder_stay_together() {
        let keys = keys_of(
            "/ci/checkout/fleet",
            &[
                (
                    "/ci/checkout/fleet/prod/es01/config/elasticsearch.yml",
                    true,
                ),
                ("/ci/checkout/fleet/prod/es02/elasticsearch.yml", true),
                ("/ci/checkout/fleet/prod/kibana/config/kibana.yml", false),
                (
                    "/ci/checkout/fleet/prod/logstash/config/logstash.yml",
                    false,
                ),
                ("/ci/checkout/fleet/dev/kibana.yml", false),
            ],
        );
        let key = |p: &str| keys.key(&Path::new("/ci/checkout/fleet").join(p));
        for file in [
            "prod/es01/config/elasticsearch.yml",
            "prod/es01/config/certs/http.p12",
            "prod/es01/config/elasticsearch.keystore",
            "prod/es01/certs/node.crt",
            "prod/es02/elasticsearch.yml",
            "prod/es02/certs/node.crt",
            "prod/kibana/config/kibana.yml",
            "prod/logstash/pipeline/main.conf",
            "prod/shared/ca.crt",
            "prod/ca.crt",
        ] {
            assert_eq!(key(file), "prod", "{file}");
        }
        // No node beside it: the folder holding its home.
        assert_eq!(key("dev/kibana.yml"), "");
        assert_eq!(key("dev/certs/ca.crt"), "");
        // Nothing found near them: the folder above the parent of `config`, else above their
        // own folder.
        assert_eq!(key("qa/n1/config/certs/ca.crt"), "qa");
        assert_eq!(key("qa/compose/docker-compose.yml"), "qa");
        assert_eq!(keys.own(Path::new("/ci/checkout/fleet/qa/diag")), "qa/diag");
    }

    #[test]
    fn keys_are_relative_to_the_argument() {
        let here = keys_of("fleet", &[("fleet/c1/n1/config/elasticsearch.yml", true)]);
        let there = keys_of(
            "/builds/x/fleet",
            &[("/builds/x/fleet/c1/n1/config/elasticsearch.yml", true)],
        );
        assert_eq!(
            here.key(Path::new("fleet/c1/n1/config/elasticsearch.yml")),
            there.key(Path::new("/builds/x/fleet/c1/n1/config/elasticsearch.yml"))
        );
        // A file named as the argument itself: its path as given.
        let file = keys_of("", &[("./deploy/c1/n1/config/elasticsearch.yml", true)]);
        assert_eq!(
            file.key(Path::new("./deploy/c1/n1/config/elasticsearch.yml")),
            "deploy/c1"
        );
    }
}
