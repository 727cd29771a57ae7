//! The live Elasticsearch REST API as an evidence source: an unauthenticated probe, then every
//! call of [`super::snapshot::CALLS`] with the scanner's credentials, concurrently per cluster.
//! Produces the same [`ApiSnapshot`] an offline snapshot or bundle gives.

use super::snapshot::ApiSnapshot;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach one cluster. Secrets come from the environment or a file, never a flag.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// The name reports use (inventory `name`, else host:port of the URL).
    pub name: String,
    pub url: String,
    pub user: Option<String>,
    /// Basic-auth password (from `ESAUDIT_PASSWORD`, `--password-file` or the inventory's env var).
    pub password: Option<String>,
    /// Encoded API key (from `ESAUDIT_API_KEY` or the inventory's env var).
    pub api_key: Option<String>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// PEM CA files the cluster's HTTP certificate must lead to (default: system roots).
    pub ca_certs: Vec<PathBuf>,
    /// Certificate and host-name verification off (stated in the report).
    pub insecure: bool,
    /// Allow credentials over plain `http://`.
    pub allow_http_credentials: bool,
    /// The file that declares this cluster (the inventory), for reports that need a path.
    pub anchor: Option<String>,
}

/// Limits shared by every cluster of a scan.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Per request.
    pub timeout: Duration,
    /// Clusters scanned at once.
    pub parallel_clusters: usize,
    /// Largest answer body read; a larger one is an error for that call.
    pub max_body_bytes: usize,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            timeout: Duration::from_secs(10),
            parallel_clusters: 16,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Scans every cluster; one that cannot be reached gives a snapshot with `error` set, the
/// others are unaffected.
pub fn collect_all(connections: &[Connection], options: &ApiOptions) -> Vec<ApiSnapshot> {
    let _ = (connections, options);
    todo!("live collector: issue 4")
}
