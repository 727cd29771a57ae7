//! A local Elasticsearch stand-in for the live-API tests: a real HTTPS (or plain HTTP) server
//! on 127.0.0.1 answering from a recorded cluster under `fixtures/api/<cluster>/`.
//!
//! The fixture's `server.json` says how the server behaves:
//!
//! ```json
//! {"users": {"scanner": "password"},      // basic-auth users it accepts
//!  "api_keys": ["<encoded key>"],          // `Authorization: ApiKey …` values it accepts
//!  "anonymous": false,                     // true: answers without credentials (security off)
//!  "overrides": {"/_security/user": {"status": 403, "body": {…}}}}
//! ```
//!
//! An override is keyed by request path (no query string). `status` + `body` is what
//! Elasticsearch answers after authentication. `redirect`, `delay_ms`, `raw` and `size` make a
//! hostile server and apply before authentication, as a misbehaving proxy would.
//!
//! Every request is recorded (method, path, whether an `Authorization` header came, and the
//! body of a POST) so tests can assert where credentials went, and the most requests it was
//! answering at once is kept ([`EsServer::most_in_flight`]).
//!
//! `POST /_bulk` and `POST /<index>/_bulk` (after authentication) answer as Elasticsearch does:
//! one item per action, `201 created`. After [`EsServer::reject_bulk_items`] every second
//! document is refused with a `mapper_parsing_exception` and `errors: true`.
#![allow(dead_code)]

use esaudit::collect::snapshot::{CALLS, SERVICE_CREDENTIALS};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The password every fixture's `scanner` user has.
pub const PASSWORD: &str = "esaudit-test-password";

/// The API key the well-run fixture accepts.
pub const API_KEY: &str = "ZXNhdWRpdC10ZXN0LWtleS1pZDplc2F1ZGl0LXRlc3Qta2V5LXNlY3JldA==";

/// What a fixture's `server.json` says.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Behaviour {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    #[serde(default)]
    pub api_keys: Vec<String>,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub overrides: BTreeMap<String, Override>,
}

/// How one path answers instead of its recorded file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Override {
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub body: Option<Value>,
    /// Answer `302 Location: <redirect>`.
    #[serde(default)]
    pub redirect: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Answer these bytes as the body (malformed JSON).
    #[serde(default)]
    pub raw: Option<String>,
    /// Answer a valid JSON body of about this many bytes.
    #[serde(default)]
    pub size: Option<usize>,
}

impl Override {
    pub fn redirect(to: &str) -> Override {
        Override {
            redirect: Some(to.to_string()),
            ..Default::default()
        }
    }
    pub fn delay(d: Duration) -> Override {
        Override {
            delay_ms: Some(d.as_millis() as u64),
            ..Default::default()
        }
    }
    pub fn malformed() -> Override {
        Override {
            raw: Some("{\"cluster_name\": \"prod\", \"nodes\": {".into()),
            ..Default::default()
        }
    }
    pub fn huge(bytes: usize) -> Override {
        Override {
            size: Some(bytes),
            ..Default::default()
        }
    }
    pub fn answer(status: u16, body: Value) -> Override {
        Override {
            status: Some(status),
            body: Some(body),
            ..Default::default()
        }
    }
    fn hostile(&self) -> bool {
        self.redirect.is_some()
            || self.delay_ms.is_some()
            || self.raw.is_some()
            || self.size.is_some()
    }
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: bool,
    /// The connection carried a client certificate.
    pub client_certificate: bool,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body of a POST or PUT, as text.
    pub body: Option<String>,
}

struct State {
    dir: PathBuf,
    behaviour: Mutex<Behaviour>,
    requests: Mutex<Vec<Recorded>>,
    /// Refuse every second document of a bulk request.
    reject_bulk: std::sync::atomic::AtomicBool,
    /// Requests being answered now, and the most there ever were.
    in_flight: std::sync::atomic::AtomicUsize,
    most_in_flight: std::sync::atomic::AtomicUsize,
}

/// Counts a request as in flight while it lives.
struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn new(state: &'a State) -> InFlight<'a> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = state.in_flight.fetch_add(1, SeqCst) + 1;
        state.most_in_flight.fetch_max(now, SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Whether the HTTPS server asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Optional,
    Required,
}

/// A running server; it stops when dropped.
pub struct EsServer {
    pub port: u16,
    /// `https://127.0.0.1:PORT` (or `http://`).
    pub url: String,
    state: Arc<State>,
    pki: Option<Pki>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// A test CA and a leaf for `localhost` and `127.0.0.1`, as PEM files in a temporary folder.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    /// A client certificate and key signed by the CA (`client.pem`, `client.key`).
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    pub fn new() -> Pki {
        Pki::for_names(&["localhost", "127.0.0.1"])
    }

    /// A leaf for these host names or addresses only.
    pub fn for_names(names: &[&str]) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let now = time::OffsetDateTime::now_utc();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "esaudit test CA");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = now - time::Duration::days(1);
        p.not_after = now + time::Duration::days(3650);
        let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
        let mut leaf =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        leaf.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("localhost"),
        );
        leaf.not_before = now - time::Duration::days(1);
        leaf.not_after = now + time::Duration::days(365);
        let key = KeyPair::generate().unwrap();
        let cert = leaf.signed_by(&key, &ca).unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).unwrap();
        let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
        client
            .distinguished_name
            .push(DnType::CommonName, "scanner");
        client.not_before = now - time::Duration::days(1);
        client.not_after = now + time::Duration::days(365);
        let client_key = KeyPair::generate().unwrap();
        let client_cert = client.signed_by(&client_key, &ca).unwrap();
        let (cert_path, key_path) = (dir.path().join("client.pem"), dir.path().join("client.key"));
        std::fs::write(&cert_path, client_cert.pem()).unwrap();
        std::fs::write(&key_path, client_key.serialize_pem()).unwrap();
        Pki {
            ca: ca_path,
            client_cert: cert_path,
            client_key: key_path,
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            dir,
        }
    }

    /// With `client_auth`, a client certificate from the CA is asked for (optional, as
    /// Elasticsearch's PKI realm does) and authenticates the caller.
    fn server_config(&self, client_auth: ClientAuth) -> rustls::ServerConfig {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let certs = vec![CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).unwrap();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth != ClientAuth::None {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(self.ca_pem.as_bytes()).unwrap())
                .unwrap();
            let mut verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            );
            if client_auth == ClientAuth::Optional {
                verifier = verifier.allow_unauthenticated();
            }
            let verifier = verifier.build().unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        builder.with_single_cert(certs, key).unwrap()
    }
}

/// The folder of a recorded cluster.
pub fn fixture(cluster: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/api")
        .join(cluster)
}

impl EsServer {
    /// HTTPS, answering from `fixtures/api/<cluster>/`.
    pub fn start(cluster: &str) -> EsServer {
        EsServer::launch(cluster, true, ClientAuth::None)
    }

    /// Plain HTTP (for the `http://` refusal tests).
    pub fn start_plain(cluster: &str) -> EsServer {
        EsServer::launch(cluster, false, ClientAuth::None)
    }

    /// HTTPS that also accepts the PKI's client certificate ([`Pki::client_cert`]) as a
    /// credential.
    pub fn start_mtls(cluster: &str) -> EsServer {
        EsServer::launch(cluster, true, ClientAuth::Optional)
    }

    /// HTTPS that refuses the handshake without the PKI's client certificate.
    pub fn start_mtls_required(cluster: &str) -> EsServer {
        EsServer::launch(cluster, true, ClientAuth::Required)
    }

    /// HTTPS with a certificate from the test CA for another host name than the one the
    /// server is reached by (127.0.0.1).
    pub fn start_for_other_name(cluster: &str) -> EsServer {
        EsServer::launch_with(
            cluster,
            Some(Pki::for_names(&["es.elsewhere.example"])),
            ClientAuth::None,
        )
    }

    fn launch(cluster: &str, tls: bool, client_auth: ClientAuth) -> EsServer {
        EsServer::launch_with(cluster, tls.then(Pki::new), client_auth)
    }

    fn launch_with(cluster: &str, pki: Option<Pki>, client_auth: ClientAuth) -> EsServer {
        let tls = pki.is_some();
        let dir = fixture(cluster);
        let text = std::fs::read_to_string(dir.join("server.json")).unwrap();
        let behaviour: Behaviour = serde_json::from_str(&text).unwrap();
        let state = Arc::new(State {
            dir,
            behaviour: Mutex::new(behaviour),
            requests: Mutex::new(Vec::new()),
            reject_bulk: std::sync::atomic::AtomicBool::new(false),
            in_flight: Default::default(),
            most_in_flight: Default::default(),
        });
        let acceptor = pki
            .as_ref()
            .map(|p| tokio_rustls::TlsAcceptor::from(Arc::new(p.server_config(client_auth))));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let serving = state.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = serving.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = move |certified: bool| {
                        service_fn(move |req| {
                            let state = state.clone();
                            async move {
                                let _counted = InFlight::new(&state);
                                Ok::<_, Infallible>(handle(&state, req, certified).await)
                            }
                        })
                    };
                    let http = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(stream).await {
                                let certified = tls.get_ref().1.peer_certificates().is_some();
                                let _ = http
                                    .serve_connection(TokioIo::new(tls), service(certified))
                                    .await;
                            }
                        }
                        None => {
                            let _ = http
                                .serve_connection(TokioIo::new(stream), service(false))
                                .await;
                        }
                    }
                });
            }
        });
        let scheme = if tls { "https" } else { "http" };
        EsServer {
            port,
            url: format!("{scheme}://127.0.0.1:{port}"),
            state,
            pki,
            runtime: Some(runtime),
        }
    }

    /// The CA file the server's certificate leads to (HTTPS only).
    pub fn ca(&self) -> &Path {
        &self.pki.as_ref().expect("an HTTPS server").ca
    }

    pub fn pki(&self) -> &Pki {
        self.pki.as_ref().expect("an HTTPS server")
    }

    pub fn ca_str(&self) -> String {
        self.ca().display().to_string()
    }

    /// `esaudit SUBCOMMAND --url <this server> --user scanner --ca-cert <its CA>` with the
    /// password in ESAUDIT_PASSWORD: a live `scan` or `collect` as a user runs it.
    pub fn as_scanner(&self, subcommand: &str) -> assert_cmd::Command {
        let mut cmd = super::esaudit();
        cmd.args([subcommand, "--url", &self.url, "--user", "scanner"])
            .args(["--ca-cert", &self.ca_str()])
            .env("ESAUDIT_PASSWORD", PASSWORD);
        cmd
    }

    /// From now on, bulk requests refuse every second document (`errors: true`).
    pub fn reject_bulk_items(&self) {
        self.state
            .reject_bulk
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The bulk requests so far.
    pub fn bulk_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/_bulk"))
            .collect()
    }

    /// The most requests the server was answering at the same time so far.
    pub fn most_in_flight(&self) -> usize {
        self.state
            .most_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Makes `path` answer as `o` from now on.
    pub fn set_override(&self, path: &str, o: Override) {
        self.state
            .behaviour
            .lock()
            .unwrap()
            .overrides
            .insert(path.to_string(), o);
    }

    /// `path` redirects to `to` (another server, say).
    pub fn redirect(&self, path: &str, to: &str) {
        self.set_override(path, Override::redirect(to));
    }

    /// `path` answers only after `d`.
    pub fn delay(&self, path: &str, d: Duration) {
        self.set_override(path, Override::delay(d));
    }

    /// `path` answers 200 with a body that is not JSON.
    pub fn malformed(&self, path: &str) {
        self.set_override(path, Override::malformed());
    }

    /// `path` answers a body of `bytes` bytes.
    pub fn huge(&self, path: &str, bytes: usize) {
        self.set_override(path, Override::huge(bytes));
    }
}

impl Drop for EsServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn json_response(status: u16, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("x-elastic-product", "Elasticsearch")
        .body(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())))
        .unwrap()
}

fn security_exception(reason: &str, status: u16, challenge: bool) -> Value {
    let mut cause = json!({"type": "security_exception", "reason": reason});
    if challenge {
        cause["header"] = json!({"WWW-Authenticate": [
            "Basic realm=\"security\", charset=\"UTF-8\"",
            "Bearer realm=\"security\"",
            "ApiKey"
        ]});
    }
    let mut error = cause.clone();
    error["root_cause"] = json!([cause]);
    json!({"error": error, "status": status})
}

/// Who the request authenticates as: `Ok(true)` a known user or key, `Ok(false)` none given,
/// `Err(name)` wrong credentials.
fn authenticated(b: &Behaviour, header: Option<&str>) -> Result<bool, String> {
    let Some(header) = header else {
        return Ok(false);
    };
    if let Some(encoded) = header.strip_prefix("Basic ") {
        let decoded = data_encoding::BASE64
            .decode(encoded.trim().as_bytes())
            .map_err(|_| "?".to_string())?;
        let text = String::from_utf8_lossy(&decoded).to_string();
        let (user, password) = text.split_once(':').unwrap_or((&text, ""));
        return match b.users.get(user) {
            Some(p) if p == password => Ok(true),
            _ => Err(user.to_string()),
        };
    }
    if let Some(key) = header.strip_prefix("ApiKey ") {
        return if b.api_keys.iter().any(|k| k == key.trim()) {
            Ok(true)
        } else {
            Err("api key".into())
        };
    }
    Err("?".into())
}

async fn handle(
    state: &State,
    req: Request<hyper::body::Incoming>,
    certified: bool,
) -> Response<Full<Bytes>> {
    use http_body_util::BodyExt;
    let path = req.uri().path().to_string();
    let auth_header = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let method = req.method().to_string();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let query = req.uri().query().map(String::from);
    let body = if method == "POST" || method == "PUT" {
        match req.into_body().collect().await {
            Ok(b) => Some(String::from_utf8_lossy(&b.to_bytes()).into_owned()),
            Err(_) => Some(String::new()),
        }
    } else {
        None
    };
    state.requests.lock().unwrap().push(Recorded {
        method: method.clone(),
        path: path.clone(),
        query,
        authorization: auth_header.is_some(),
        client_certificate: certified,
        content_type,
        body: body.clone(),
    });
    let behaviour = state.behaviour.lock().unwrap().clone();
    let over = behaviour.overrides.get(&path).cloned();
    if let Some(o) = over.as_ref().filter(|o| o.hostile()) {
        if let Some(ms) = o.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(to) = &o.redirect {
            return Response::builder()
                .status(302)
                .header("location", to)
                .body(Full::new(Bytes::new()))
                .unwrap();
        }
        if let Some(raw) = &o.raw {
            return Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(raw.clone())))
                .unwrap();
        }
        if let Some(size) = o.size {
            let filler = "x".repeat(size);
            return json_response(200, &json!({"filler": filler}));
        }
    }
    // A verified client certificate without an Authorization header is a PKI-realm login.
    let open = behaviour.anonymous || (certified && auth_header.is_none());
    if !open {
        match authenticated(&behaviour, auth_header.as_deref()) {
            Ok(true) => {}
            Ok(false) => {
                let reason =
                    format!("missing authentication credentials for REST request [{path}]");
                let mut r = json_response(401, &security_exception(&reason, 401, true));
                r.headers_mut().insert(
                    "www-authenticate",
                    "Basic realm=\"security\", charset=\"UTF-8\""
                        .parse()
                        .unwrap(),
                );
                r.headers_mut()
                    .append("www-authenticate", "ApiKey".parse().unwrap());
                return r;
            }
            Err(user) => {
                let reason =
                    format!("unable to authenticate user [{user}] for REST request [{path}]");
                return json_response(401, &security_exception(&reason, 401, true));
            }
        }
    }
    if let Some(o) = over {
        return json_response(o.status.unwrap_or(200), &o.body.unwrap_or(Value::Null));
    }
    if method == "POST" && path.ends_with("/_bulk") {
        let reject = state.reject_bulk.load(std::sync::atomic::Ordering::SeqCst);
        return bulk_answer(&path, body.as_deref().unwrap_or_default(), reject);
    }
    if let Some(account) = path
        .strip_prefix("/_security/service/")
        .and_then(|rest| rest.strip_suffix("/credential"))
    {
        let file = state.dir.join(SERVICE_CREDENTIALS.file);
        let map: Value = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        return match map.get(account) {
            Some(body) => json_response(200, body),
            None => not_found(&path),
        };
    }
    let strip = |p: &'static str| p.split('?').next().unwrap_or(p);
    let call = CALLS.iter().find(|c| c.paths().any(|p| strip(p) == path));
    match call.and_then(|c| std::fs::read(state.dir.join(c.file)).ok()) {
        Some(bytes) => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("x-elastic-product", "Elasticsearch")
            .body(Full::new(Bytes::from(bytes)))
            .unwrap(),
        None => not_found(&path),
    }
}

/// Elasticsearch's answer to a bulk request: an item per action line.
fn bulk_answer(path: &str, body: &str, reject: bool) -> Response<Full<Bytes>> {
    let default_index = path
        .trim_end_matches("/_bulk")
        .trim_start_matches('/')
        .to_string();
    let lines: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut items = vec![];
    let mut errors = false;
    for (n, pair) in lines.chunks(2).enumerate() {
        let action: Value = match serde_json::from_str(pair[0]) {
            Ok(a) => a,
            Err(e) => {
                return json_response(
                    400,
                    &json!({"error": {"type": "illegal_argument_exception",
                                      "reason": format!("Malformed action/metadata line [{}]: {e}", n * 2 + 1)},
                            "status": 400}),
                );
            }
        };
        let Some((op, meta)) = action.as_object().and_then(|o| o.iter().next()) else {
            return json_response(
                400,
                &json!({"error": {"type": "illegal_argument_exception", "reason": "empty action"}, "status": 400}),
            );
        };
        let index = meta
            .get("_index")
            .and_then(Value::as_str)
            .unwrap_or(&default_index)
            .to_string();
        let item = if reject && n % 2 == 1 {
            errors = true;
            json!({op: {"_index": index, "status": 400, "error": {
                "type": "document_parsing_exception",
                "reason": "[1:42] failed to parse field [esaudit.object] of type [long] in document"}}})
        } else {
            json!({op: {"_index": index, "_id": format!("doc-{n}"), "_version": 1,
                        "result": "created", "status": 201,
                        "_shards": {"total": 1, "successful": 1, "failed": 0}}})
        };
        items.push(item);
    }
    json_response(200, &json!({"took": 3, "errors": errors, "items": items}))
}

fn not_found(path: &str) -> Response<Full<Bytes>> {
    json_response(
        404,
        &json!({"error": {"root_cause": [{"type": "resource_not_found_exception", "reason": format!("no recorded answer for [{path}]")}],
                          "type": "resource_not_found_exception", "reason": format!("no recorded answer for [{path}]")},
                "status": 404}),
    )
}
