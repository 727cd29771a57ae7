//! The live Elasticsearch REST API as an evidence source: an unauthenticated probe, then every
//! call of [`super::snapshot::CALLS`] with the scanner's credentials, concurrently per cluster.
//! Produces the same [`ApiSnapshot`] an offline snapshot or bundle gives.
//!
//! At fleet scale (an inventory of a hundred clusters) the clusters are read concurrently, up to
//! [`ApiOptions::parallel_clusters`] at once: the work is waiting on the network, not the CPU, so
//! that bound is well above the core count. One cluster gets at most
//! [`ApiOptions::connections_per_cluster`] requests in flight, so its calls share a few
//! keep-alive connections (a few TLS handshakes rather than one per call) and no cluster is
//! hammered, however many service accounts it lists.

use super::snapshot::{
    AnonymousProbe, Answer, ApiSnapshot, CALLS, SERVICE_CREDENTIALS, answer_from_body,
};
pub use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How to reach one cluster. Secrets come from the environment or a file, never a flag.
/// `Debug` shows whether a secret is set, never the secret.
#[derive(Clone, Default)]
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

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<String>| s.as_ref().map(|_| "[set]");
        f.debug_struct("Connection")
            .field("name", &self.name)
            .field("url", &shown_url(&self.url))
            .field("user", &self.user)
            .field("password", &set(&self.password))
            .field("api_key", &set(&self.api_key))
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("ca_certs", &self.ca_certs)
            .field("insecure", &self.insecure)
            .field("allow_http_credentials", &self.allow_http_credentials)
            .field("anchor", &self.anchor)
            .finish()
    }
}

/// Limits shared by every cluster of a scan.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Per request.
    pub timeout: Duration,
    /// Clusters read at once. Reading a cluster is waiting on its answers, so this is far
    /// above the number of cores (default 64).
    pub parallel_clusters: usize,
    /// Requests in flight to one cluster at a time (default 4): its calls take turns on that
    /// many keep-alive connections.
    pub connections_per_cluster: usize,
    /// Largest answer body read; a larger one is an error for that call.
    pub max_body_bytes: usize,
    /// The whole of one cluster's collection (a server that answers every call just under the
    /// per-request timeout cannot stretch a scan without end).
    pub cluster_budget: Duration,
    /// A bar ticked once per cluster read (drawn only on a terminal).
    pub progress: crate::progress::Progress,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            timeout: Duration::from_secs(10),
            parallel_clusters: 64,
            connections_per_cluster: 4,
            max_body_bytes: 64 * 1024 * 1024,
            cluster_budget: Duration::from_secs(120),
            progress: crate::progress::Progress::off(),
        }
    }
}

/// Scans every cluster; one that cannot be reached gives a snapshot with `error` set, the
/// others are unaffected. Snapshots come back in the order of `connections`.
pub fn collect_all(connections: &[Connection], options: &ApiOptions) -> Vec<ApiSnapshot> {
    if connections.is_empty() {
        return Vec::new();
    }
    // TLS handshakes and JSON parsing are the only CPU work: a thread per core, within reason.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("esaudit-api")
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return connections
                .iter()
                .map(|c| {
                    let mut s = base_snapshot(c, &shown_url(&c.url));
                    s.error = Some(format!("cannot start the HTTP client runtime: {e}"));
                    s
                })
                .collect();
        }
    };
    let bar = options.progress.bar(connections.len() as u64, "clusters");
    let snapshots = runtime.block_on(async {
        let permits = Arc::new(Semaphore::new(options.parallel_clusters.max(1)));
        let mut tasks = JoinSet::new();
        for (i, connection) in connections.iter().cloned().enumerate() {
            let permits = permits.clone();
            let options = options.clone();
            let bar = bar.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.ok();
                let budget = options.cluster_budget;
                let snapshot =
                    match tokio::time::timeout(budget, collect_one(&connection, &options)).await {
                        Ok(snapshot) => snapshot,
                        Err(_) => {
                            let mut s = base_snapshot(&connection, &shown_url(&connection.url));
                            s.error = Some(format!(
                                "the cluster did not answer everything within {} s (the limit for one cluster)",
                                budget.as_secs()
                            ));
                            s
                        }
                    };
                bar.inc(1);
                (i, snapshot)
            });
        }
        let mut out: Vec<Option<ApiSnapshot>> = vec![None; connections.len()];
        while let Some(done) = tasks.join_next().await {
            if let Ok((i, snapshot)) = done {
                out[i] = Some(snapshot);
            }
        }
        out.into_iter()
            .zip(connections)
            .map(|(s, c)| {
                s.unwrap_or_else(|| {
                    let mut s = base_snapshot(c, &shown_url(&c.url));
                    s.error = Some("the collector failed unexpectedly for this cluster".into());
                    s
                })
            })
            .collect()
    });
    bar.finish_and_clear();
    snapshots
}

/// How the scanner proves who it is, besides a client certificate (set on the client).
#[derive(Clone)]
pub enum Auth {
    None,
    Basic(String, Option<String>),
    ApiKey(String),
}

impl Auth {
    /// The credential a connection carries: an API key wins over a user.
    pub fn of(connection: &Connection) -> Auth {
        match (&connection.api_key, &connection.user) {
            (Some(key), _) => Auth::ApiKey(key.clone()),
            (None, Some(user)) => Auth::Basic(user.clone(), connection.password.clone()),
            (None, None) => Auth::None,
        }
    }

    /// Adds the credential to a request (marked sensitive, so it is never logged).
    pub fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => request,
            Auth::Basic(user, password) => request.basic_auth(user, password.as_deref()),
            Auth::ApiKey(key) => match HeaderValue::from_str(&format!("ApiKey {key}")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    request.header(AUTHORIZATION, value)
                }
                // A key with bytes a header cannot carry is sent as nothing; the cluster
                // then answers 401, which names the problem well enough.
                Err(_) => request,
            },
        }
    }
}

/// The snapshot fields every outcome shares.
fn base_snapshot(connection: &Connection, source: &str) -> ApiSnapshot {
    ApiSnapshot {
        name: connection.name.clone(),
        source: source.to_string(),
        live: true,
        insecure: connection.insecure,
        anchor: connection.anchor.clone(),
        ..Default::default()
    }
}

/// The URL as reports may show it: any userinfo removed.
pub fn shown_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        // Unparsable: still drop whatever sits before an `@` of the authority.
        Err(_) => match url.split_once("://") {
            Some((scheme, rest)) if rest.contains('@') => {
                let after = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or_default();
                format!("{scheme}://{after}")
            }
            _ => url.to_string(),
        },
    }
}

/// `scheme://host:port` of a URL.
pub fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

fn host_port(url: &Url) -> String {
    match url.port_or_known_default() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    }
}

async fn collect_one(connection: &Connection, options: &ApiOptions) -> ApiSnapshot {
    let shown = shown_url(&connection.url);
    let mut snapshot = base_snapshot(connection, &shown);
    let url = match Url::parse(connection.url.trim()) {
        Ok(u) => u,
        Err(e) => {
            snapshot.error = Some(format!("{shown} is not a URL: {e}"));
            return snapshot;
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        snapshot.error = Some(format!(
            "{shown}: the URL holds credentials; name the user with --user and give the password in ESAUDIT_PASSWORD (or --password-file) instead"
        ));
        return snapshot;
    }
    if url.scheme() != "https" && url.scheme() != "http" {
        snapshot.error = Some(format!(
            "{shown}: only https:// (or http://) URLs can be scanned"
        ));
        return snapshot;
    }
    if url.host_str().is_none_or(str::is_empty) {
        snapshot.error = Some(format!("{shown} names no host"));
        return snapshot;
    }
    // Two clients with the same trust: the anonymous probe must not present the client
    // certificate, which is a credential too.
    let clients = build_client(connection, &url, options, false).and_then(|anonymous| {
        let credentialed = if connection.client_cert.is_some() {
            build_client(connection, &url, options, true)?
        } else {
            anonymous.clone()
        };
        Ok((anonymous, credentialed))
    });
    let (anonymous_client, client) = match clients {
        Ok(c) => c,
        Err(e) => {
            snapshot.error = Some(redact(&format!("{shown}: {e}"), connection));
            return snapshot;
        }
    };
    // Both clients' requests take turns on the same lanes: the cluster's bound is the sum.
    let lanes = Arc::new(Semaphore::new(options.connections_per_cluster.max(1)));
    let context = |client: reqwest::Client| {
        Arc::new(Context {
            client,
            base: shown.clone(),
            url: url.clone(),
            max_body: options.max_body_bytes,
            timeout: options.timeout,
            secrets: secrets_of(connection),
            lanes: lanes.clone(),
        })
    };
    let anonymous = context(anonymous_client);
    let ctx = context(client);

    // Without credentials: what anyone on the network gets.
    let root = anonymous.get("/", &Auth::None).await;
    if root.status == 0 && connection.client_cert.is_none() {
        // Nothing answered at all; asking again with credentials would only wait again.
        // (With a client certificate it may be the handshake that wanted one: go on.)
        let cause = root.error.clone().unwrap_or_default();
        snapshot.error = Some(format!("cannot reach {shown}: {cause}"));
        return snapshot;
    }
    let authenticate = anonymous.get("/_security/_authenticate", &Auth::None).await;
    snapshot.anonymous = Some(AnonymousProbe { root, authenticate });

    let auth = Auth::of(connection);
    let has_credentials = !matches!(auth, Auth::None) || connection.client_cert.is_some();
    if url.scheme() == "http" && has_credentials && !connection.allow_http_credentials {
        let why = format!(
            "not sent: {shown} is plain http://, so the credentials would cross the network readable; use https://, or pass --allow-http-credentials to send them anyway"
        );
        for call in CALLS {
            snapshot
                .calls
                .insert(call.key.to_string(), Answer::failed(0, why.clone()));
        }
        return snapshot;
    }

    let version = ctx.get("/", &auth).await;
    if version.status == 0 {
        let cause = version.error.clone().unwrap_or_default();
        snapshot.error = Some(format!("cannot reach {shown}: {cause}"));
        snapshot.calls.insert("version".into(), version);
        return snapshot;
    }
    snapshot.calls.insert("version".into(), version);
    let v = snapshot.version();

    let mut tasks = JoinSet::new();
    for call in CALLS.iter().filter(|c| c.key != "version") {
        let ctx = ctx.clone();
        let auth = auth.clone();
        tasks.spawn(async move { (call.key, ctx.get(call.path_for(v), &auth).await) });
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok((key, answer)) = done {
            snapshot.calls.insert(key.to_string(), answer);
        }
    }

    let accounts: Vec<String> = snapshot
        .body("security_service_accounts")
        .and_then(Value::as_object)
        .map(|m| m.keys().filter(|k| is_account_name(k)).cloned().collect())
        .unwrap_or_default();
    let mut tasks = JoinSet::new();
    for account in accounts.into_iter().take(MAX_SERVICE_ACCOUNTS) {
        let ctx = ctx.clone();
        let auth = auth.clone();
        tasks.spawn(async move {
            let path = SERVICE_CREDENTIALS.path.replace("{account}", &account);
            let answer = ctx.get(&path, &auth).await;
            (account, answer)
        });
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok((account, answer)) = done {
            snapshot.service_credentials.insert(account, answer);
        }
    }
    snapshot
}

/// More service accounts than this is not a real cluster's answer.
const MAX_SERVICE_ACCOUNTS: usize = 256;

/// `namespace/service` made of characters safe in a path.
fn is_account_name(name: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    matches!(name.split_once('/'), Some((ns, svc)) if ok(ns) && ok(svc))
}

/// Every secret of a connection, so no message can carry one by accident.
pub fn secrets_of(connection: &Connection) -> Vec<String> {
    [&connection.password, &connection.api_key]
        .into_iter()
        .flatten()
        .filter(|s| s.len() >= 3)
        .cloned()
        .collect()
}

/// `message` with every secret of `connection` replaced by `[redacted]`.
pub fn redact(message: &str, connection: &Connection) -> String {
    redact_with(message, &secrets_of(connection))
}

pub fn redact_with(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_string();
    for s in secrets {
        out = out.replace(s.as_str(), "[redacted]");
    }
    out
}

/// A client for one cluster; `identity` adds the client certificate.
fn build_client(
    connection: &Connection,
    url: &Url,
    options: &ApiOptions,
    identity: bool,
) -> Result<reqwest::Client, String> {
    http_client(connection, url, options.timeout, identity)
}

/// The HTTP client every request to an Elasticsearch server uses (the live collector and the
/// `--es-output` findings upload): trust from `ca_certs` (or the system roots, or nothing with
/// `insecure`), the client certificate when `identity`, `timeout` per request and for the
/// connection, no proxy from the environment, and redirects followed only on the same scheme,
/// host and port (at most three), so credentials never travel to another server.
pub fn http_client(
    connection: &Connection,
    url: &Url,
    timeout: Duration,
    identity: bool,
) -> Result<reqwest::Client, String> {
    crate::crypto::install().map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    let home = origin(url);
    // Follow only redirects that stay on the same scheme, host and port, and at most three:
    // anything else comes back as the 3xx answer, and the credentials go nowhere else.
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > 3 || origin(attempt.url()) != home {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .redirect(policy)
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("esaudit/", env!("CARGO_PKG_VERSION")))
        .no_proxy();
    if connection.insecure {
        builder = builder
            .tls_danger_accept_invalid_certs(true)
            .tls_danger_accept_invalid_hostnames(true);
    } else if connection.ca_certs.is_empty() {
        if let Some(roots) = system_roots() {
            builder = builder.tls_certs_only(roots.iter().cloned());
        }
    } else {
        let mut certs = Vec::new();
        for path in &connection.ca_certs {
            let pem = std::fs::read(path)
                .map_err(|e| format!("CA file {}: cannot read: {e}", path.display()))?;
            let found = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                format!(
                    "CA file {}: not PEM certificates: {}",
                    path.display(),
                    cause_chain(&e)
                )
            })?;
            if found.is_empty() {
                return Err(format!("CA file {}: holds no certificate", path.display()));
            }
            certs.extend(found);
        }
        builder = builder.tls_certs_only(certs);
    }
    match (&connection.client_cert, &connection.client_key) {
        (Some(_), _) if !identity => {}
        (Some(cert), key) => {
            let mut pem = Vec::new();
            if let Some(key) = key {
                pem = std::fs::read(key)
                    .map_err(|e| format!("client key {}: cannot read: {e}", key.display()))?;
                pem.push(b'\n');
            }
            let cert_pem = std::fs::read(cert)
                .map_err(|e| format!("client certificate {}: cannot read: {e}", cert.display()))?;
            pem.extend(cert_pem);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                format!(
                    "client certificate {}: needs a PEM certificate and its PEM private key (--client-key)",
                    cert.display()
                )
            })?;
            builder = builder.identity(identity);
        }
        (None, Some(key)) => {
            return Err(format!(
                "client key {} given without --client-cert",
                key.display()
            ));
        }
        (None, None) => {}
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {}", cause_chain(&e)))
}

/// The system's trusted roots, read once per process, on the platforms where reqwest's default
/// verifier is WebPKI over exactly these roots (the OpenSSL-style certificate file and
/// directory): reading and parsing them took about 10 ms for every cluster's client. `None`
/// elsewhere, or when none could be read, so the default verifier runs (and reports the
/// problem) as before.
fn system_roots() -> Option<&'static [reqwest::Certificate]> {
    #[cfg(all(
        unix,
        not(target_os = "android"),
        not(target_vendor = "apple"),
        not(target_arch = "wasm32")
    ))]
    {
        static ROOTS: std::sync::OnceLock<Vec<reqwest::Certificate>> = std::sync::OnceLock::new();
        let roots = ROOTS.get_or_init(|| {
            rustls_native_certs::load_native_certs()
                .certs
                .into_iter()
                // As the default verifier does: a root that is not a usable trust anchor is
                // skipped, not an error for the whole client.
                .filter(|der| rustls::RootCertStore::empty().add(der.clone()).is_ok())
                .filter_map(|der| reqwest::Certificate::from_der(&der).ok())
                .collect()
        });
        (!roots.is_empty()).then_some(roots.as_slice())
    }
    #[cfg(not(all(
        unix,
        not(target_os = "android"),
        not(target_vendor = "apple"),
        not(target_arch = "wasm32")
    )))]
    {
        None
    }
}

/// What one cluster's requests share.
struct Context {
    client: reqwest::Client,
    /// The URL without a trailing slash; request paths are appended to it.
    base: String,
    url: Url,
    max_body: usize,
    timeout: Duration,
    secrets: Vec<String>,
    /// [`ApiOptions::connections_per_cluster`] permits: one is held for each request in
    /// flight. The wait for one is not part of the request's timeout.
    lanes: Arc<Semaphore>,
}

impl Context {
    /// One GET; never fails, every problem becomes a failed [`Answer`].
    async fn get(&self, path: &str, auth: &Auth) -> Answer {
        // The semaphore is never closed: `Err` cannot happen, and would only lift the bound.
        let _lane = self.lanes.acquire().await.ok();
        let answer = self.get_inner(path, auth).await;
        match answer.error {
            Some(e) => Answer {
                error: Some(redact_with(&e, &self.secrets)),
                ..answer
            },
            None => answer,
        }
    }

    async fn get_inner(&self, path: &str, auth: &Auth) -> Answer {
        let target = format!("{}{path}", self.base);
        let request = auth.apply(
            self.client
                .get(&target)
                .header(reqwest::header::ACCEPT, "application/json"),
        );
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Answer::failed(0, self.describe(&e)),
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Answer::failed(status, self.redirect_message(&response));
        }
        if let Some(len) = response.content_length()
            && len > self.max_body as u64
        {
            return Answer::failed(
                status,
                format!("answer larger than {} bytes", self.max_body),
            );
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_body {
                        return Answer::failed(
                            status,
                            format!("answer larger than {} bytes", self.max_body),
                        );
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Answer::failed(
                        0,
                        format!("the answer was cut off: {}", self.describe(&e)),
                    );
                }
            }
        }
        answer_from_body(status, &body)
    }

    fn redirect_message(&self, response: &reqwest::Response) -> String {
        let home = host_port(&self.url);
        let next = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|loc| response.url().join(loc).ok());
        match next {
            Some(next) if origin(&next) != origin(&self.url) => format!(
                "redirected to {}; not followed, so credentials stay with {home}",
                origin(&next)
            ),
            Some(_) => "too many redirects (more than 3); not followed".into(),
            None => "redirected without a usable Location; not followed".into(),
        }
    }

    /// A transport error in words, without the URL (it is known from the snapshot).
    fn describe(&self, e: &reqwest::Error) -> String {
        describe_error(e, self.timeout)
    }
}

/// A transport error in words, without the URL.
pub fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {:.1} s", timeout.as_secs_f64());
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    let cause = cause_chain(e);
    if cause.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {cause}")
    }
}

/// The sources of an error, deepest last, each once, the URL left out.
fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        // hyper-util's "client error (Connect)" says nothing its sources do not.
        let generic = text.starts_with("client error (");
        if !generic && !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_safe_path_segments() {
        assert!(is_account_name("elastic/fleet-server"));
        assert!(is_account_name("elastic/enterprise-search-server"));
        for bad in [
            "elastic",
            "elastic/../x",
            "a/b/c",
            "/x",
            "x/",
            "a/b?c",
            "a/b%2f",
        ] {
            assert!(!is_account_name(bad), "{bad}");
        }
    }

    #[test]
    fn secrets_are_redacted_and_urls_lose_userinfo() {
        let c = Connection {
            password: Some("s3cret-pw".into()),
            api_key: Some("a2V5OnNlY3JldA==".into()),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret-pw") && !shown.contains("a2V5OnNlY3JldA=="));
        assert_eq!(
            redact("got s3cret-pw and a2V5OnNlY3JldA==", &c),
            "got [redacted] and [redacted]"
        );
        assert_eq!(shown_url("https://u:p@es01:9200/"), "https://es01:9200");
    }
}
