//! A node scanned twice in one run, from its configuration folder and through its cluster's
//! API (live, snapshot or bundle), becomes one target: the file shows what the API hides (TLS
//! stores, trust, protocols), the API shows what runs (the real version, the licence, settings
//! given on the command line or in the environment, values behind `${VAR}`). Where both show a
//! setting and disagree, the difference is drift.

use super::settings::{Setting, SettingValue};
use super::{EsNode, VersionSource};
use serde::Serialize;

/// A setting the configuration file and the running node disagree on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub key: String,
    pub file: String,
    pub running: String,
    /// Where the running value comes from when it is not the node's own settings
    /// (`_cluster/settings persistent`), else empty.
    pub via: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: file says {}, running node says {}",
            self.key, self.file, self.running
        )?;
        if !self.via.is_empty() {
            write!(f, " ({})", self.via)?;
        }
        Ok(())
    }
}

/// The node of `files` that `api` describes: the same cluster and node name, else a published
/// address the file node declares. Only nodes read from files, not yet paired, qualify.
pub fn partner(
    files: &[EsNode],
    api: &EsNode,
    published: &[(String, u16)],
    declared: impl Fn(&EsNode) -> Vec<(String, u16)>,
) -> Option<usize> {
    let candidates = || {
        files
            .iter()
            .enumerate()
            .filter(|(_, n)| n.api_source.is_none() && !n.files_only && n.paired_with.is_none())
    };
    candidates()
        .find(|(_, n)| n.cluster == api.cluster && n.name == api.name)
        .or_else(|| candidates().find(|(_, n)| declared(n).iter().any(|a| published.contains(a))))
        .map(|(i, _)| i)
}

/// Joins what the API shows of a running node into the node read from its files.
/// `runtime` lists the keys the cluster settings override, with their scope.
pub fn join(node: &mut EsNode, api: EsNode, runtime: &[(String, String)]) {
    let source = api.api_source.clone().unwrap_or_default();
    for shown in api.settings.entries {
        let via = runtime
            .iter()
            .find(|(k, _)| *k == shown.key)
            .map(|(_, scope)| format!("_cluster/settings {scope}"))
            .unwrap_or_default();
        match node.settings.get(&shown.key) {
            // `${VAR}` in the file: the running node says what it resolved to.
            Some(written) if written.from_placeholder => {
                let running = shown.value.clone();
                if let Some(entry) = node
                    .settings
                    .entries
                    .iter_mut()
                    .rev()
                    .find(|e| e.key == shown.key)
                {
                    entry.value = running;
                    entry.unresolved.clear();
                }
            }
            Some(written) if !same(&written.value, &shown.value) => node.drift.push(Drift {
                key: shown.key.clone(),
                file: written.value.to_string(),
                running: shown.value.to_string(),
                via,
            }),
            Some(_) => {}
            // Set outside the file (command line, environment, cluster settings): it runs.
            None if !noise(&shown.key) => node.settings.push(Setting {
                location: Default::default(),
                ..shown
            }),
            None => {}
        }
    }
    // The running version is a fact; only the user's `--es-version` outranks it.
    if node.version_source != VersionSource::CommandLine {
        node.version = api.version;
        node.version_source = api.version_source;
    }
    node.license = api.license;
    node.paired_with = Some(source);
}

/// Values equal as Elasticsearch reads them: booleans and lists by content, text trimmed.
fn same(a: &SettingValue, b: &SettingValue) -> bool {
    match (a, b) {
        (SettingValue::Bool(x), SettingValue::Bool(y)) => x == y,
        (SettingValue::List(_), _) | (_, SettingValue::List(_)) => a.as_list() == b.as_list(),
        _ => a.to_string().trim() == b.to_string().trim(),
    }
}

/// Settings every node reports that say nothing about how it was configured.
fn noise(key: &str) -> bool {
    key.starts_with("node.attr.")
        || key.starts_with("path.")
        || matches!(
            key,
            "client.type"
                | "http.type.default"
                | "transport.type.default"
                | "cluster.name"
                | "node.name"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{EsVersion, Location, Settings};

    fn setting(key: &str, value: &str, path: &str) -> Setting {
        let (text, unresolved, from_placeholder) =
            crate::evidence::settings::substitute_placeholders(value);
        Setting {
            key: key.into(),
            value: SettingValue::from_text(&text),
            unresolved,
            from_placeholder,
            location: if path.is_empty() {
                Location::default()
            } else {
                Location::at(path, 1, 1)
            },
            occurrence: 1,
        }
    }

    fn node(settings: &[(&str, &str)], path: &str) -> EsNode {
        let mut n = EsNode::files_only(std::path::Path::new("cfg"), vec![]);
        n.files_only = false;
        n.cluster = "prod".into();
        n.name = "es01".into();
        let mut s = Settings::default();
        for (k, v) in settings {
            s.push(setting(k, v, path));
        }
        n.settings = s;
        n
    }

    #[test]
    fn files_and_api_make_one_node_with_its_drift() {
        let mut file = node(
            &[
                ("xpack.security.audit.enabled", "true"),
                ("xpack.security.http.ssl.enabled", "true"),
                ("xpack.security.http.ssl.keystore.path", "http.p12"),
                ("network.host", "${HOST}"),
            ],
            "config/elasticsearch.yml",
        );
        let mut api = node(
            &[
                ("xpack.security.audit.enabled", "false"),
                ("xpack.security.http.ssl.enabled", "true"),
                ("network.host", "10.0.0.5"),
                ("discovery.type", "single-node"),
                ("node.attr.xpack.installed", "true"),
            ],
            "",
        );
        api.api_source = Some("https://es:9200".into());
        api.version = EsVersion {
            major: 7,
            minor: 17,
        };
        api.version_source = VersionSource::Api("https://es:9200".into());
        api.license = Some("platinum".into());
        assert_eq!(
            partner(std::slice::from_ref(&file), &api, &[], |_| vec![]),
            Some(0)
        );
        join(
            &mut file,
            api,
            &[("xpack.security.audit.enabled".into(), "persistent".into())],
        );
        assert_eq!(
            file.drift
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                "xpack.security.audit.enabled: file says true, running node says false \
                 (_cluster/settings persistent)"
            ]
        );
        // The placeholder takes the running value and keeps its place in the file.
        let host = file.settings.get("network.host").unwrap();
        assert_eq!(host.value.to_string(), "10.0.0.5");
        assert!(host.unresolved.is_empty());
        assert_eq!(host.location.line, Some(1));
        // A setting from outside the file runs; node attributes are noise.
        assert!(file.settings.get("discovery.type").is_some());
        assert!(file.settings.get("node.attr.xpack.installed").is_none());
        // What only the file shows stays.
        assert!(
            file.settings
                .get("xpack.security.http.ssl.keystore.path")
                .is_some()
        );
        assert_eq!(file.version.major, 7);
        assert_eq!(file.license.as_deref(), Some("platinum"));
        assert_eq!(file.paired_with.as_deref(), Some("https://es:9200"));
        // Paired once.
        let again = node(&[], "");
        assert_eq!(
            partner(std::slice::from_ref(&file), &again, &[], |_| vec![]),
            None
        );
    }

    #[test]
    fn a_published_address_pairs_nodes_named_differently() {
        let file = node(&[], "config/elasticsearch.yml");
        let mut api = node(&[], "");
        api.name = "ip-10-0-0-5".into();
        let published = vec![("10.0.0.5".to_string(), 9300)];
        assert_eq!(
            partner(std::slice::from_ref(&file), &api, &published, |_| vec![(
                "10.0.0.5".into(),
                9300
            )]),
            Some(0)
        );
        assert_eq!(
            partner(std::slice::from_ref(&file), &api, &published, |_| vec![]),
            None
        );
    }
}
