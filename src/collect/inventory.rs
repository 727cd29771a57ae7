//! The inventory: a YAML file naming the clusters to scan live and the TLS endpoints to probe.
//! It holds the names of environment variables, never a secret.
//!
//! ```yaml
//! clusters:
//!   - name: prod-logs
//!     url: https://es01.example.com:9200
//!     user: scanner
//!     password_env: PROD_LOGS_ES_PASSWORD
//!     ca_cert: certs/prod-ca.pem        # relative to this file
//! tls:
//!   - es01.example.com:9300
//! ```

use super::api::Connection;
use crate::evidence::endpoint::EndpointSpec;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    clusters: Vec<Entry>,
    #[serde(default)]
    tls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Option<String>,
    url: String,
    user: Option<String>,
    password_env: Option<String>,
    api_key_env: Option<String>,
    ca_cert: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    allow_http_credentials: bool,
}

/// What an inventory declares.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub clusters: Vec<Connection>,
    pub tls: Vec<EndpointSpec>,
}

/// Reads an inventory; secrets come from the environment variables it names. The error names
/// the file.
pub fn load(path: &Path) -> Result<Inventory, String> {
    load_with(path, &|name| std::env::var(name).ok())
}

/// [`load`] with another environment, for tests.
pub fn load_with(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Inventory, String> {
    let shown = path.display().to_string();
    let fail = |e: String| format!("{shown}: {e}");
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    if meta.len() > super::MAX_CONFIG_BYTES {
        return Err(fail(format!(
            "{} bytes is too large for an inventory",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let file: File = serde_saphyr::from_str(&text).map_err(|e| fail(e.to_string()))?;
    if file.clusters.is_empty() && file.tls.is_empty() {
        return Err(fail("declares no clusters and no tls endpoints".into()));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let resolve = |p: PathBuf| {
        if p.is_relative() && !base.as_os_str().is_empty() {
            base.join(p)
        } else {
            p
        }
    };
    let mut inventory = Inventory::default();
    let mut names = BTreeSet::new();
    for (i, entry) in file.clusters.into_iter().enumerate() {
        let label = entry
            .name
            .clone()
            .unwrap_or_else(|| format!("clusters[{i}]"));
        let in_entry = |e: String| fail(format!("cluster {label}: {e}"));
        let url = reqwest::Url::parse(entry.url.trim())
            .map_err(|e| in_entry(format!("url is not a URL: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(in_entry(
                "the url holds credentials; put the user in `user` and the password in an environment variable named by `password_env`".into(),
            ));
        }
        let name = match entry.name {
            Some(n) if !n.trim().is_empty() => n.trim().to_string(),
            _ => default_name(&url),
        };
        if !names.insert(name.clone()) {
            return Err(fail(format!("two clusters are named {name}")));
        }
        let secret = |var: &Option<String>, what: &str| -> Result<Option<String>, String> {
            match var {
                None => Ok(None),
                Some(var) => env(var).filter(|v| !v.is_empty()).map(Some).ok_or_else(|| {
                    in_entry(format!(
                        "{what} names the environment variable {var}, which is not set"
                    ))
                }),
            }
        };
        let password = secret(&entry.password_env, "password_env")?;
        let api_key = secret(&entry.api_key_env, "api_key_env")?;
        if password.is_some() && entry.user.is_none() {
            return Err(in_entry("password_env is set but user is not".into()));
        }
        if entry.client_key.is_some() && entry.client_cert.is_none() {
            return Err(in_entry("client_key is set but client_cert is not".into()));
        }
        inventory.clusters.push(Connection {
            name,
            url: entry.url.trim().to_string(),
            user: entry.user,
            password,
            api_key,
            client_cert: entry.client_cert.map(resolve),
            client_key: entry.client_key.map(resolve),
            ca_certs: entry.ca_cert.map(resolve).into_iter().collect(),
            insecure: entry.insecure,
            allow_http_credentials: entry.allow_http_credentials,
            anchor: Some(shown.clone()),
        });
    }
    for t in &file.tls {
        inventory
            .tls
            .push(EndpointSpec::parse(t).map_err(|e| fail(format!("tls: {e}")))?);
    }
    Ok(inventory)
}

/// `host:port` of a URL, the name a cluster gets when nobody named it.
pub fn default_name(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("cluster");
    match url.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.yaml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn clusters_secrets_from_env_and_relative_paths() {
        let (_dir, path) = write(
            "clusters:\n  - name: prod-logs\n    url: https://es01.example.com:9200\n    user: scanner\n    password_env: PROD_PW\n    ca_cert: certs/ca.pem\n  - url: https://es02.example.com\n    api_key_env: KEY\ntls:\n  - es01.example.com:9300\n",
        );
        let env = |n: &str| match n {
            "PROD_PW" => Some("s3cret".to_string()),
            "KEY" => Some("a2V5".to_string()),
            _ => None,
        };
        let inv = load_with(&path, &env).unwrap();
        assert_eq!(inv.clusters.len(), 2);
        let c = &inv.clusters[0];
        assert_eq!(c.name, "prod-logs");
        assert_eq!(c.password.as_deref(), Some("s3cret"));
        assert_eq!(c.ca_certs, [path.parent().unwrap().join("certs/ca.pem")]);
        assert_eq!(
            c.anchor.as_deref(),
            Some(path.display().to_string().as_str())
        );
        assert_eq!(inv.clusters[1].name, "es02.example.com:443");
        assert_eq!(inv.clusters[1].api_key.as_deref(), Some("a2V5"));
        assert_eq!(inv.tls.len(), 1);
    }

    #[test]
    fn bad_inventories_name_the_file() {
        let none = |_: &str| None;
        for (text, needle) in [
            (
                "clusters:\n  - url: https://a:9200\n    colour: red\n",
                "colour",
            ),
            ("clusters:\n  - url: https://u:p@a:9200\n", "credentials"),
            (
                "clusters:\n  - url: https://a:9200\n    user: x\n    password_env: NOPE\n",
                "NOPE",
            ),
            ("clusters: []\n", "no clusters"),
            (
                "clusters:\n  - name: a\n    url: https://a\n  - name: a\n    url: https://b\n",
                "two clusters",
            ),
            ("tls:\n  - nohostport\n", "tls"),
        ] {
            let (_dir, path) = write(text);
            let e = load_with(&path, &none).unwrap_err();
            assert!(e.starts_with(&path.display().to_string()), "{e}");
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
