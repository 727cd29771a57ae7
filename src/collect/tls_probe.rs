//! Probes TLS endpoints (`--tls HOST:PORT`): which protocols and suites they accept, whether
//! they impose their own suite order, the chain they present and whether they ask for (and
//! require) a client certificate.
//!
//! Protocols and suites are learned with hand-written ClientHello records whose answer
//! (ServerHello or alert) is parsed here; no key exchange is ever finished, so any
//! protocol and suite can be asked about. Suites are enumerated by removal: offer every suite of
//! the IANA registry, note the one the server picks, remove it, repeat. The chain and the
//! client-certificate request come from a full rustls handshake (TLS 1.2/1.3), or from the
//! plaintext Certificate message of a TLS ≤ 1.2 probe when rustls cannot connect.
//!
//! Connections to one endpoint are made one at a time, each under `timeout`, and all of them
//! under `endpoint_timeout`; endpoints are probed concurrently, at most `parallel` at a time.
//! However many endpoints lead to the same address (`--tls localhost:9200` and a node's
//! publish address `127.0.0.1:9200`, or the same address named twice), it never has more than
//! [`PER_ADDRESS_CONNECTIONS`] of our connections open at once: a full enumeration is a few
//! dozen short handshakes, paced by the server's answers, never a burst. An
//! endpoint that cannot be reached or does not speak TLS is returned with `error` set, never
//! waited on past its timeouts. One that runs out of its overall time keeps what was learned
//! and gets an `error` naming the limit and what was not finished, so its rules report `error`
//! rather than pass on half the evidence.

use crate::evidence::certs;
use crate::evidence::endpoint::{Endpoint, EndpointSpec};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::timeout;

pub const SSL3: u16 = 0x0300;
pub const TLS10: u16 = 0x0301;
pub const TLS11: u16 = 0x0302;
pub const TLS12: u16 = 0x0303;
pub const TLS13: u16 = 0x0304;

/// The TLS 1.3 suites (RFC 8446 and RFC 9150 are not offered: no one deploys them).
const TLS13_SUITES: &[u16] = &[0x1301, 0x1302, 0x1303, 0x1304, 0x1305];

/// Most suites one protocol is enumerated for: a safety bound on connections per endpoint.
const MAX_SUITES_PER_PROTOCOL: usize = 128;

/// Most of the prober's connections open at once to one address (IP and port), whichever
/// endpoints lead to it. One endpoint's probe already uses one connection at a time; this
/// bounds several endpoints that resolve to the same address, so a scan of many names for
/// one node still cannot hammer it.
pub const PER_ADDRESS_CONNECTIONS: usize = 2;

/// One semaphore of [`PER_ADDRESS_CONNECTIONS`] permits per resolved address, shared by every
/// endpoint of one [`probe_all`].
#[derive(Debug, Default, Clone)]
struct AddressGates(Arc<Mutex<std::collections::HashMap<SocketAddr, Arc<Semaphore>>>>);

impl AddressGates {
    fn gate(&self, addr: SocketAddr) -> Arc<Semaphore> {
        let mut gates = self.0.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(addr)
            .or_insert_with(|| Arc::new(Semaphore::new(PER_ADDRESS_CONNECTIONS)))
            .clone()
    }
}

/// How the prober runs.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Per connection: connect, send, and the whole answer.
    pub timeout: Duration,
    /// Endpoints probed at the same time.
    pub parallel: usize,
    /// PEM file(s) of trusted CAs (`--ca-cert`); empty: the bundled public roots.
    pub ca_certs: Vec<std::path::PathBuf>,
    /// All connections to one endpoint together (`--endpoint-timeout`).
    pub endpoint_timeout: Duration,
    /// A bar ticked once per endpoint probed (drawn only on a terminal).
    pub progress: crate::progress::Progress,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: Duration::from_secs(5),
            parallel: 8,
            ca_certs: vec![],
            endpoint_timeout: Duration::from_secs(60),
            progress: crate::progress::Progress::off(),
        }
    }
}

pub fn protocol_name(version: u16) -> &'static str {
    match version {
        SSL3 => "SSLv3",
        TLS10 => "TLSv1",
        TLS11 => "TLSv1.1",
        TLS12 => "TLSv1.2",
        TLS13 => "TLSv1.3",
        _ => "unknown",
    }
}

/// The IANA name of a suite (hex when the registry does not know it).
pub fn suite_name(id: u16) -> String {
    super::tls_suites::name(id).map_or_else(|| format!("0x{id:04X}"), String::from)
}

/// Every suite of the registry usable before TLS 1.3, in registry order (signalling values and
/// TLS 1.3 suites left out).
fn legacy_suites() -> Vec<u16> {
    static SUITES: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    SUITES.get_or_init(registry_suites).clone()
}

fn registry_suites() -> Vec<u16> {
    let mut ids: Vec<u16> = super::tls_suites::ids()
        .filter(|id| !(0x1301..=0x13ff).contains(id) && *id != 0x00ff && *id != 0x5600)
        .collect();
    // Strong suites first, so a server that follows the client's order still shows its best.
    ids.sort_by_key(|id| {
        let name = suite_name(*id);
        (!(name.contains("ECDHE") && name.contains("GCM")), *id)
    });
    ids
}

// ---------------------------------------------------------------------------------------------
// ClientHello

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn push_ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    push_u16(out, kind);
    push_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

fn pseudo_random(n: usize) -> Vec<u8> {
    // Not a secret: the key exchange is never finished. A clock-seeded xorshift keeps each hello
    // distinct without a dependency.
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15)
        | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A ClientHello record offering `version` (for TLS 1.3: legacy 1.2 plus supported_versions
/// and an x25519 key share) and `suites`, with SNI (for names), groups, point formats,
/// signature algorithms, extended master secret and renegotiation info (a server in FIPS mode
/// refuses TLS 1.2 without extended master secret).
pub fn client_hello(version: u16, suites: &[u16], host: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(1024);
    push_u16(&mut body, version.min(TLS12));
    body.extend_from_slice(&pseudo_random(32));
    if version == TLS13 {
        body.push(32);
        body.extend_from_slice(&pseudo_random(32));
    } else {
        body.push(0);
    }
    push_u16(&mut body, (suites.len() * 2) as u16);
    for s in suites {
        push_u16(&mut body, *s);
    }
    body.extend_from_slice(&[1, 0]); // compression: null only
    let mut ext = Vec::new();
    if host.parse::<std::net::IpAddr>().is_err() && !host.is_empty() {
        let name = host.as_bytes();
        let mut sni = Vec::new();
        push_u16(&mut sni, (name.len() + 3) as u16);
        sni.push(0);
        push_u16(&mut sni, name.len() as u16);
        sni.extend_from_slice(name);
        push_ext(&mut ext, 0x0000, &sni);
    }
    let groups: &[u16] = &[0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101];
    let mut g = Vec::new();
    push_u16(&mut g, (groups.len() * 2) as u16);
    groups.iter().for_each(|x| push_u16(&mut g, *x));
    push_ext(&mut ext, 0x000a, &g);
    push_ext(&mut ext, 0x000b, &[1, 0]);
    let sigs: &[u16] = &[
        0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0401, 0x0501, 0x0601,
        0x0203, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202,
    ];
    let mut s = Vec::new();
    push_u16(&mut s, (sigs.len() * 2) as u16);
    sigs.iter().for_each(|x| push_u16(&mut s, *x));
    push_ext(&mut ext, 0x000d, &s);
    push_ext(&mut ext, 0x0017, &[]);
    push_ext(&mut ext, 0xff01, &[0]);
    if version == TLS13 {
        push_ext(&mut ext, 0x002b, &[2, 0x03, 0x04]);
        push_ext(&mut ext, 0x002d, &[1, 1]);
        let mut ks = Vec::new();
        push_u16(&mut ks, 36);
        push_u16(&mut ks, 0x001d);
        push_u16(&mut ks, 32);
        ks.extend_from_slice(&pseudo_random(32));
        push_ext(&mut ext, 0x0033, &ks);
    }
    push_u16(&mut body, ext.len() as u16);
    body.extend_from_slice(&ext);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut record = vec![0x16];
    push_u16(&mut record, if version == SSL3 { SSL3 } else { TLS10 });
    push_u16(&mut record, hs.len() as u16);
    record.extend_from_slice(&hs);
    record
}

// ---------------------------------------------------------------------------------------------
// The answer

/// What a server answered to one ClientHello.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A ServerHello: the version it chose (supported_versions applied) and the suite.
    Hello {
        version: u16,
        suite: u16,
        /// The plaintext Certificate message's chain (TLS ≤ 1.2), leaf first.
        chain: Vec<Vec<u8>>,
        /// A plaintext CertificateRequest was seen (TLS ≤ 1.2).
        cert_request: bool,
    },
    /// A fatal alert, by its number (40 handshake_failure, 70 protocol_version, …).
    Alert(u8),
    /// The server closed the connection without a word.
    Closed,
    /// Something that is not TLS.
    Garbage(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProbeError {
    Connect(String),
    Timeout,
    /// The endpoint's overall time (`--endpoint-timeout`) ran out.
    OutOfTime,
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::Connect(e) => write!(f, "cannot connect: {e}"),
            ProbeError::Timeout => write!(f, "no answer in time"),
            ProbeError::OutOfTime => write!(f, "the endpoint's time limit was reached"),
        }
    }
}

const MAX_ANSWER: usize = 256 * 1024;

/// Parses what a server has sent so far in answer to a ClientHello: `None` when more bytes are
/// needed. `want_rest`: read on past the ServerHello to ServerHelloDone (TLS ≤ 1.2). Pure, so
/// the fuzz target `tls_record` and its regression tests call it directly.
pub fn parse_answer(buf: &[u8], want_rest: bool) -> Option<Answer> {
    let mut hs = Vec::new();
    let mut pos = 0;
    let mut hello: Option<(u16, u16)> = None;
    let mut chain = Vec::new();
    let mut cert_request = false;
    loop {
        if buf.len() < pos + 5 {
            break;
        }
        let kind = buf[pos];
        let major = buf[pos + 1];
        let len = u16::from_be_bytes([buf[pos + 3], buf[pos + 4]]) as usize;
        if !matches!(kind, 0x14..=0x17) || major != 3 || len > 18_432 {
            if hello.is_some() {
                break;
            }
            let shown: String = buf
                .iter()
                .take(16)
                .map(|b| {
                    if b.is_ascii_graphic() || *b == b' ' {
                        *b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            return Some(Answer::Garbage(format!(
                "the answer is not TLS (starts with \"{shown}\")"
            )));
        }
        if buf.len() < pos + 5 + len {
            break;
        }
        let fragment = &buf[pos + 5..pos + 5 + len];
        pos += 5 + len;
        match kind {
            0x15 if hello.is_none() => {
                return Some(match fragment.get(1) {
                    Some(code) => Answer::Alert(*code),
                    None => Answer::Garbage("an alert with no description".into()),
                });
            }
            0x15 | 0x17 => break,
            0x16 => hs.extend_from_slice(fragment),
            _ => {}
        }
    }
    // Handshake messages, in order.
    let mut at = 0;
    let mut done = false;
    while hs.len() >= at + 4 {
        let kind = hs[at];
        let len = u32::from_be_bytes([0, hs[at + 1], hs[at + 2], hs[at + 3]]) as usize;
        if hs.len() < at + 4 + len {
            break;
        }
        let msg = &hs[at..at + 4 + len];
        at += 4 + len;
        match kind {
            2 => {
                let Some((version, suite)) = server_hello(&msg[4..]) else {
                    return Some(Answer::Garbage("a malformed ServerHello".into()));
                };
                hello = Some((version, suite));
                if version >= TLS13 || !want_rest {
                    done = true;
                    break;
                }
            }
            11 if hello.is_some() => {
                let body = &msg[4..];
                if body.len() >= 3 {
                    let total = u32::from_be_bytes([0, body[0], body[1], body[2]]) as usize;
                    let mut c = 3;
                    while c + 3 <= body.len().min(3 + total) {
                        let l = u32::from_be_bytes([0, body[c], body[c + 1], body[c + 2]]) as usize;
                        if c + 3 + l > body.len() {
                            break;
                        }
                        chain.push(body[c + 3..c + 3 + l].to_vec());
                        c += 3 + l;
                    }
                }
            }
            13 if hello.is_some() => cert_request = true,
            14 if hello.is_some() => {
                done = true;
                break;
            }
            _ if hello.is_none() => {
                return Some(Answer::Garbage(format!(
                    "handshake message {kind} before any ServerHello"
                )));
            }
            _ => {}
        }
    }
    let (version, suite) = hello?;
    if !done && buf.len() < MAX_ANSWER {
        return None;
    }
    Some(Answer::Hello {
        version,
        suite,
        chain,
        cert_request,
    })
}

/// The protocol version and suite a ServerHello body (after its 4-byte header) chose: the
/// version from supported_versions when present (TLS 1.3), else the legacy field. `None` when
/// the body is cut short or its legacy version is not SSL 3.0 to TLS 1.2 (a TLS 1.3 server
/// writes 1.2 there). The extensions are read up to the first one that is cut short; an SSL
/// 3.0 hello has none.
fn server_hello(body: &[u8]) -> Option<(u16, u16)> {
    let u16_at = |at: usize| Some(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let legacy = u16_at(0)?;
    if !(SSL3..=TLS12).contains(&legacy) {
        return None;
    }
    // version (2), random (32), then the session id with its length byte.
    let session_len = usize::from(*body.get(34)?);
    if session_len > 32 {
        return None;
    }
    let at = 35 + session_len;
    let suite = u16_at(at)?;
    // The compression method (1), then the extensions behind their total length.
    let rest = body.get(at + 3..)?;
    if legacy == SSL3 {
        return Some((legacy, suite));
    }
    let Some(mut exts) = rest
        .get(..2)
        .map(|n| usize::from(u16::from_be_bytes([n[0], n[1]])))
        .and_then(|total| rest.get(2..2 + total))
    else {
        return Some((legacy, suite));
    };
    let mut version = legacy;
    while !exts.is_empty() {
        let Some((kind, data)) = exts.get(..4).and_then(|head| {
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            Some((
                u16::from_be_bytes([head[0], head[1]]),
                exts.get(4..4 + len)?,
            ))
        }) else {
            break;
        };
        if kind == 0x002b {
            // The selected version, two bytes in a ServerHello.
            match data {
                [hi, lo] => version = u16::from_be_bytes([*hi, *lo]),
                _ => break,
            }
        }
        exts = &exts[4 + data.len()..];
    }
    Some((version, suite))
}

/// Sends one ClientHello and reads the answer. `want_rest`: for TLS ≤ 1.2, read on to
/// ServerHelloDone to get the certificate and a certificate request.
pub async fn hello(
    addr: SocketAddr,
    host: &str,
    version: u16,
    suites: &[u16],
    wait: Duration,
    want_rest: bool,
) -> Result<Answer, ProbeError> {
    let record = client_hello(version, suites, host);
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| ProbeError::Connect(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        if stream.write_all(&record).await.is_err() {
            return Ok(Answer::Closed);
        }
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = [0u8; 8192];
        loop {
            let n = match stream.read(&mut chunk).await {
                Ok(n) => n,
                Err(_) if buf.is_empty() => return Ok(Answer::Closed),
                Err(_) => 0,
            };
            if n == 0 {
                if buf.is_empty() {
                    return Ok(Answer::Closed);
                }
                return Ok(parse_answer(&buf, false).unwrap_or_else(|| {
                    Answer::Garbage("the connection closed inside a record".into())
                }));
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(answer) = parse_answer(&buf, want_rest) {
                return Ok(answer);
            }
        }
    };
    timeout(wait, exchange)
        .await
        .unwrap_or(Err(ProbeError::Timeout))
}

// ---------------------------------------------------------------------------------------------
// One endpoint

struct Prober<'a> {
    addr: SocketAddr,
    /// The address's share of [`PER_ADDRESS_CONNECTIONS`]: held around every connection.
    gate: Arc<Semaphore>,
    host: &'a str,
    wait: Duration,
    /// When the endpoint's overall time runs out.
    deadline: tokio::time::Instant,
    /// The deadline stopped a probe.
    out_of_time: bool,
    errors: Vec<String>,
    /// A chain and certificate request seen in plaintext, from a TLS ≤ 1.2 probe.
    raw_chain: Vec<Vec<u8>>,
    raw_cert_request: bool,
}

impl Prober<'_> {
    /// Waits for a turn to connect to the address; the connection must end before the permit
    /// is dropped. (The semaphore is never closed, so `None` cannot happen in practice.)
    async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        self.gate.clone().acquire_owned().await.ok()
    }

    /// How long the next connection may take: the per-connection timeout, cut to what is left
    /// of the endpoint's time (`None`, and `out_of_time`, when nothing is left).
    fn budget(&mut self) -> Option<Duration> {
        let left = self
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            self.out_of_time = true;
            return None;
        }
        Some(left.min(self.wait))
    }

    /// The suite the server picks among `offered` under `version`, if it accepts.
    async fn pick(&mut self, version: u16, offered: &[u16]) -> Result<Option<u16>, ProbeError> {
        let want_rest = version <= TLS12 && self.raw_chain.is_empty();
        let turn = self.turn().await;
        let Some(wait) = self.budget() else {
            return Err(ProbeError::OutOfTime);
        };
        let answer = hello(self.addr, self.host, version, offered, wait, want_rest).await;
        drop(turn);
        if answer == Err(ProbeError::Timeout) && self.budget().is_none() {
            return Err(ProbeError::OutOfTime);
        }
        match answer {
            Ok(Answer::Hello {
                version: v,
                suite,
                chain,
                cert_request,
            }) => {
                if v != version {
                    return Ok(None);
                }
                if !offered.contains(&suite) {
                    self.errors.push(format!(
                        "{}: the server chose suite {} that was not offered",
                        protocol_name(version),
                        suite_name(suite)
                    ));
                    return Ok(None);
                }
                if self.raw_chain.is_empty() && !chain.is_empty() {
                    self.raw_chain = chain;
                }
                self.raw_cert_request |= cert_request;
                Ok(Some(suite))
            }
            Ok(Answer::Alert(_)) | Ok(Answer::Closed) => Ok(None),
            Ok(Answer::Garbage(why)) => {
                self.errors
                    .push(format!("{}: {why}", protocol_name(version)));
                Ok(None)
            }
            Err(ProbeError::Timeout) => {
                self.errors
                    .push(format!("{}: no answer in time", protocol_name(version)));
                Err(ProbeError::Timeout)
            }
            Err(e) => Err(e),
        }
    }

    /// Every suite accepted under `version`, in the order the server picked them.
    async fn enumerate(&mut self, version: u16, first: u16) -> Vec<u16> {
        let mut accepted = vec![first];
        if version == TLS13 {
            for s in TLS13_SUITES.iter().filter(|s| **s != first) {
                if let Ok(Some(p)) = self.pick(version, &[*s]).await {
                    accepted.push(p);
                }
            }
            return accepted;
        }
        let mut offered: Vec<u16> = legacy_suites();
        offered.retain(|s| *s != first);
        while !offered.is_empty() && accepted.len() < MAX_SUITES_PER_PROTOCOL {
            match self.pick(version, &offered).await {
                Ok(Some(s)) => {
                    accepted.push(s);
                    offered.retain(|o| *o != s);
                }
                _ => break,
            }
        }
        accepted
    }
}

/// Probes one endpoint. Never fails: problems end up in `error` / `handshake_errors`.
pub async fn probe(spec: &EndpointSpec, options: &ProbeOptions) -> Endpoint {
    probe_gated(spec, options, &AddressGates::default()).await
}

/// [`probe`], taking turns with the other endpoints of `gates` that lead to the same address.
async fn probe_gated(
    spec: &EndpointSpec,
    options: &ProbeOptions,
    gates: &AddressGates,
) -> Endpoint {
    let start = tokio::time::Instant::now();
    let mut endpoint = Endpoint::new(spec);
    let addr = match timeout(
        options.timeout,
        tokio::net::lookup_host((spec.host.as_str(), spec.port)),
    )
    .await
    {
        Ok(Ok(mut addrs)) => match addrs.next() {
            Some(a) => a,
            None => {
                endpoint.error = Some(format!("{}: the name has no address", spec.host));
                endpoint.derive();
                return endpoint;
            }
        },
        Ok(Err(e)) => {
            endpoint.error = Some(format!("{}: cannot resolve: {e}", spec.host));
            endpoint.derive();
            return endpoint;
        }
        Err(_) => {
            endpoint.error = Some(format!("{}: name resolution timed out", spec.host));
            endpoint.derive();
            return endpoint;
        }
    };
    let mut prober = Prober {
        addr,
        gate: gates.gate(addr),
        host: &spec.host,
        wait: options.timeout,
        deadline: start + options.endpoint_timeout,
        out_of_time: false,
        errors: vec![],
        raw_chain: vec![],
        raw_cert_request: false,
    };
    let all = legacy_suites();
    // TLS 1.2 first: it tells whether anything answers at all.
    let order = [TLS12, TLS13, TLS11, TLS10, SSL3];
    // What the endpoint's time limit left undone, in words.
    let mut unfinished: Vec<String> = vec![];
    for (i, version) in order.into_iter().enumerate() {
        let offered: &[u16] = if version == TLS13 { TLS13_SUITES } else { &all };
        let first = match prober.pick(version, offered).await {
            Ok(first) => first,
            Err(e) => {
                if i == 0 {
                    endpoint.error = Some(if e == ProbeError::OutOfTime {
                        out_of_time(spec, options, &["every protocol".into()])
                    } else {
                        format!("{}:{}: {e}", spec.host, spec.port)
                    });
                    endpoint.derive();
                    return endpoint;
                }
                if e == ProbeError::OutOfTime {
                    unfinished.push(protocol_name(version).to_string());
                }
                None
            }
        };
        if let Some(first) = first {
            let suites = prober.enumerate(version, first).await;
            if prober.out_of_time {
                unfinished.push(format!("the {} suites", protocol_name(version)));
            }
            let name = protocol_name(version).to_string();
            endpoint.protocols.push(name.clone());
            endpoint
                .suites
                .insert(name, suites.iter().map(|s| suite_name(*s)).collect());
        }
    }
    if endpoint.protocols.is_empty() && prober.out_of_time {
        endpoint.error = Some(out_of_time(spec, options, &unfinished));
        endpoint.handshake_errors = prober.errors;
        endpoint.derive();
        return endpoint;
    }
    if endpoint.protocols.is_empty() {
        let why = prober
            .errors
            .first()
            .cloned()
            .unwrap_or_else(|| "the server refused every protocol offered".into());
        endpoint.error = Some(format!("{}:{}: {why}", spec.host, spec.port));
        endpoint.handshake_errors = prober.errors;
        endpoint.derive();
        return endpoint;
    }
    endpoint.protocols.sort_by_key(|p| {
        crate::evidence::endpoint::PROTOCOLS
            .iter()
            .position(|x| x == p)
    });
    if !prober.out_of_time {
        endpoint.server_order = server_order(&mut prober, &endpoint).await;
    }
    if prober.out_of_time {
        unfinished.push("the suite order".into());
    }
    full_handshake(&mut endpoint, &mut prober, options).await;
    if prober.out_of_time {
        unfinished.push("the certificate chain and client-certificate check".into());
        unfinished.dedup();
        endpoint.error = Some(out_of_time(spec, options, &unfinished));
    }
    endpoint.handshake_errors = prober.errors;
    endpoint.derive();
    endpoint
}

/// The error of an endpoint whose overall time ran out.
fn out_of_time(spec: &EndpointSpec, options: &ProbeOptions, unfinished: &[String]) -> String {
    format!(
        "{}:{}: stopped at the endpoint time limit of {} s (--endpoint-timeout) before probing {}",
        spec.host,
        spec.port,
        options.endpoint_timeout.as_secs_f64(),
        unfinished.join(", ")
    )
}

/// Offers the first two suites the server picked, in reverse: a server that still picks the
/// first imposes its own order.
async fn server_order(prober: &mut Prober<'_>, endpoint: &Endpoint) -> Option<bool> {
    let (version, suites) = [TLS12, TLS11, TLS10, SSL3, TLS13]
        .into_iter()
        .find_map(|v| {
            let s = endpoint.suites.get(protocol_name(v))?;
            (s.len() >= 2).then_some((v, s))
        })?;
    let id = |name: &str| {
        super::tls_suites::id(name)
            .or_else(|| u16::from_str_radix(name.trim_start_matches("0x"), 16).ok())
    };
    let a = id(&suites[0])?;
    let b = id(&suites[1])?;
    let reversed = prober.pick(version, &[b, a]).await.ok()??;
    if reversed == b {
        return Some(false);
    }
    let forward = prober.pick(version, &[a, b]).await.ok()??;
    Some(forward == a)
}

// ---------------------------------------------------------------------------------------------
// The full handshake

/// Accepts any chain and records it (the trust decision is made afterwards, apart from the
/// handshake, so that an untrusted server still shows its chain and its certificate request).
/// Nothing is ever sent over these connections.
#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<CertificateDer<'static>>>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        *self.chain.lock().unwrap_or_else(|e| e.into_inner()) = chain;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// Notes that the server asked for a client certificate, and offers none.
#[derive(Debug, Default)]
struct NoClientCert {
    asked: AtomicBool,
}

impl rustls::client::ResolvesClientCert for NoClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.asked.store(true, Ordering::SeqCst);
        None
    }

    fn has_certs(&self) -> bool {
        true
    }
}

async fn full_handshake(endpoint: &mut Endpoint, prober: &mut Prober<'_>, options: &ProbeOptions) {
    let provider = match crate::crypto::provider() {
        Ok(p) => p,
        Err(e) => {
            endpoint.chain_error = Some(e);
            return;
        }
    };
    let recorder = Arc::new(Recorder {
        chain: Mutex::new(vec![]),
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
    });
    let client_auth = Arc::new(NoClientCert::default());
    let config = match rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_client_cert_resolver(client_auth.clone()),
        Err(e) => {
            endpoint.chain_error = Some(e.to_string());
            return;
        }
    };
    let server_name = match ServerName::try_from(endpoint.host.clone()) {
        Ok(n) => n,
        Err(e) => {
            endpoint.chain_error = Some(format!("{}: {e}", endpoint.host));
            return;
        }
    };
    let turn = prober.turn().await;
    let Some(budget) = prober.budget() else {
        endpoint.chain_error = Some("not fetched: the endpoint's time limit was reached".into());
        return;
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let addr = prober.addr;
    let attempt = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        connector
            .connect(server_name.clone(), tcp)
            .await
            .map_err(|e| e.to_string())
    };
    let outcome = timeout(budget, attempt)
        .await
        .unwrap_or_else(|_| Err("no answer in time".into()));
    if prober.budget().is_none() && outcome.is_err() {
        endpoint.chain_error = Some("not fetched: the endpoint's time limit was reached".into());
        endpoint.client_auth_unknown = "not tested: the endpoint's time limit was reached".into();
        return;
    }
    let asked = client_auth.asked.load(Ordering::SeqCst);
    let der_chain: Vec<Vec<u8>> = {
        let recorded = recorder.chain.lock().unwrap_or_else(|e| e.into_inner());
        recorded.iter().map(|c| c.as_ref().to_vec()).collect()
    };
    let failure: Option<String> = outcome.as_ref().err().cloned();
    match outcome {
        Ok(mut stream) => {
            endpoint.client_cert_requested = asked;
            if asked {
                // TLS 1.3 refuses a missing certificate only after the client's Finished: wait a
                // moment for the alert (or for the connection to close).
                let wait = options.timeout.min(Duration::from_millis(1500));
                let mut byte = [0u8; 1];
                endpoint.client_cert_required = match timeout(wait, stream.read(&mut byte)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => true,
                    Ok(Ok(_)) | Err(_) => false,
                };
            }
        }
        Err(e) => {
            if asked {
                // TLS 1.2 refuses a missing certificate inside the handshake.
                endpoint.client_cert_requested = true;
                endpoint.client_cert_required = e.contains("alert") || e.contains("close");
            } else if der_chain.is_empty() {
                endpoint.chain_error = Some(format!(
                    "the TLS 1.2/1.3 handshake failed: {e}{}",
                    crate::crypto::HANDSHAKE_NOTE
                ));
            }
        }
    }
    // The connection is closed (dropped with `outcome`): another may open.
    drop(turn);
    if let Some(e) = &failure
        && !asked
    {
        // No TLS 1.2/1.3 handshake: whether a missing certificate is refused cannot be seen.
        // A plaintext first flight (TLS <= 1.2) without a CertificateRequest still proves that
        // none is asked for, so that case stays known.
        let flight_seen = !prober.raw_chain.is_empty();
        if prober.raw_cert_request || !flight_seen {
            endpoint.client_auth_unknown = format!(
                "the server {}, but the TLS 1.2/1.3 handshake that shows whether it goes on without one failed ({e}{}); servers that speak only TLS 1.1 or older cannot be tested",
                if prober.raw_cert_request {
                    "asks for a client certificate"
                } else {
                    "may ask for a client certificate"
                },
                crate::crypto::HANDSHAKE_NOTE
            );
        }
    }
    let chain = if der_chain.is_empty() && !prober.raw_chain.is_empty() {
        endpoint.chain_error = None;
        endpoint.client_cert_requested |= prober.raw_cert_request;
        std::mem::take(&mut prober.raw_chain)
    } else {
        der_chain
    };
    if chain.is_empty() && endpoint.chain_error.is_none() {
        endpoint.chain_error = Some("the server presented no certificate".into());
    }
    let now = certs::now();
    for der in &chain {
        match certs::parse_certificate(der, now) {
            Ok(facts) => endpoint.chain.push(facts),
            Err(e) => {
                endpoint.chain_error =
                    Some(format!("a certificate of the chain is unreadable: {e}"));
                endpoint.chain.clear();
                return;
            }
        }
    }
    if let Some(leaf) = endpoint.chain.first() {
        endpoint.name_matches = certs::name_matches(leaf, &endpoint.host);
        match verify_chain(&chain, &server_name, leaf, options) {
            Ok(()) => endpoint.trusted = true,
            Err(e) => endpoint.trust_error = e,
        }
    }
}

/// Whether the chain leads to a trusted root. Judged at a moment inside the leaf's validity, and
/// a name mismatch is not a trust failure: both have rules of their own.
fn verify_chain(
    chain: &[Vec<u8>],
    server_name: &ServerName<'static>,
    leaf: &certs::CertFacts,
    options: &ProbeOptions,
) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    if options.ca_certs.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        use rustls::pki_types::pem::PemObject;
        for path in &options.ca_certs {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
            for c in certs {
                let c = c.map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
                roots
                    .add(c)
                    .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
            }
        }
    }
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        crate::crypto::provider()?,
    )
    .build()
    .map_err(|e| e.to_string())?;
    let now = certs::now();
    let at = if leaf.expired || leaf.not_before > now {
        leaf.not_before + (leaf.not_after - leaf.not_before) / 2
    } else {
        now
    };
    let end_entity = CertificateDer::from(chain[0].clone());
    let intermediates: Vec<CertificateDer> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    match verifier.verify_server_cert(
        &end_entity,
        &intermediates,
        server_name,
        &[],
        UnixTime::since_unix_epoch(Duration::from_secs(at.max(0) as u64)),
    ) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. },
        )) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Probes every endpoint, at most `options.parallel` at a time and with at most
/// [`PER_ADDRESS_CONNECTIONS`] connections open to any one address, on a runtime of its own (in
/// a thread of its own, so a caller that already runs inside a tokio runtime can call it too).
pub fn probe_all(specs: &[EndpointSpec], options: &ProbeOptions) -> Vec<Endpoint> {
    if specs.is_empty() {
        return vec![];
    }
    std::thread::scope(|s| {
        s.spawn(|| probe_on_new_runtime(specs, options))
            .join()
            .unwrap_or_else(|_| {
                specs
                    .iter()
                    .map(|spec| {
                        let mut ep = Endpoint::new(spec);
                        ep.error = Some("the probe failed unexpectedly".into());
                        ep.derive();
                        ep
                    })
                    .collect()
            })
    })
}

fn probe_on_new_runtime(specs: &[EndpointSpec], options: &ProbeOptions) -> Vec<Endpoint> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return specs
                .iter()
                .map(|s| {
                    let mut ep = Endpoint::new(s);
                    ep.error = Some(format!("cannot start the network runtime: {e}"));
                    ep.derive();
                    ep
                })
                .collect();
        }
    };
    let bar = options.progress.bar(specs.len() as u64, "TLS endpoints");
    let gates = AddressGates::default();
    let endpoints = runtime.block_on(async {
        let limit = Arc::new(Semaphore::new(options.parallel.max(1)));
        let tasks: Vec<_> = specs
            .iter()
            .cloned()
            .map(|spec| {
                let limit = limit.clone();
                let options = options.clone();
                let gates = gates.clone();
                let bar = bar.clone();
                tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    let endpoint = probe_gated(&spec, &options, &gates).await;
                    bar.inc(1);
                    endpoint
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for (task, spec) in tasks.into_iter().zip(specs) {
            out.push(task.await.unwrap_or_else(|e| {
                let mut ep = Endpoint::new(spec);
                ep.error = Some(format!("the probe failed: {e}"));
                ep.derive();
                ep
            }));
        }
        out
    });
    bar.finish_and_clear();
    endpoints
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What rustls's server side reads from a ClientHello record: SNI and the offered suites.
    fn read_by_rustls(record: &[u8]) -> (Option<String>, Vec<u16>) {
        let mut acceptor = rustls::server::Acceptor::default();
        acceptor.read_tls(&mut &record[..]).unwrap();
        let accepted = acceptor
            .accept()
            .unwrap_or_else(|(e, _)| panic!("not a ClientHello rustls reads: {e}"))
            .expect("the whole ClientHello");
        let hello = accepted.client_hello();
        (
            hello.server_name().map(String::from),
            hello
                .cipher_suites()
                .iter()
                .map(|c| u16::from(*c))
                .collect(),
        )
    }

    #[test]
    fn hello_is_well_formed() {
        let r = client_hello(TLS13, TLS13_SUITES, "es01.example.com");
        assert_eq!(u16::from_be_bytes([r[9], r[10]]), TLS12, "legacy version");
        let (sni, suites) = read_by_rustls(&r);
        assert_eq!(sni.as_deref(), Some("es01.example.com"));
        assert_eq!(suites, TLS13_SUITES);
        let all = legacy_suites();
        assert!(all.len() > 300, "{}", all.len());
        let r = client_hello(TLS12, &all, "127.0.0.1");
        let (sni, suites) = read_by_rustls(&r);
        assert_eq!(sni, None, "no SNI for an address");
        assert_eq!(suites, all);
    }

    #[test]
    fn server_hello_gives_the_chosen_version_and_suite() {
        // version, random, session id (32), suite, compression, then extensions.
        let mut body = vec![3, 3];
        body.extend_from_slice(&[9; 32]);
        body.push(32);
        body.extend_from_slice(&[1; 32]);
        body.extend_from_slice(&[0xC0, 0x2F, 0]);
        assert_eq!(server_hello(&body), Some((TLS12, 0xC02F)));
        // supported_versions (TLS 1.3) after another extension.
        let mut with13 = body.clone();
        with13.extend_from_slice(&[0, 11, 0xff, 0x01, 0, 1, 0, 0, 0x2b, 0, 2, 3, 4]);
        assert_eq!(server_hello(&with13), Some((TLS13, 0xC02F)));
        // Cut short anywhere before the compression method: not a ServerHello.
        for end in [0, 1, 34, 40, 68, 69] {
            assert_eq!(server_hello(&body[..end]), None, "cut at {end}");
        }
        // Extensions read up to the first one cut short; a block cut short is left unread.
        let mut cut = with13.clone();
        cut.extend_from_slice(&[0, 0x33, 0, 36, 0, 0x1d]);
        let total = u16::try_from(cut.len() - 72).unwrap().to_be_bytes();
        cut[70..72].copy_from_slice(&total);
        assert_eq!(server_hello(&cut), Some((TLS13, 0xC02F)));
        assert_eq!(
            server_hello(&with13[..with13.len() - 1]),
            Some((TLS12, 0xC02F))
        );
        // An SSL 3.0 hello has no extensions; a legacy version above TLS 1.2 is no hello.
        let mut ssl3 = with13.clone();
        ssl3[..2].copy_from_slice(&SSL3.to_be_bytes());
        assert_eq!(server_hello(&ssl3), Some((SSL3, 0xC02F)));
        let mut odd = body.clone();
        odd[..2].copy_from_slice(&TLS13.to_be_bytes());
        assert_eq!(server_hello(&odd), None);
        // A session id longer than 32 bytes.
        let mut long = body.clone();
        long[34] = 33;
        assert_eq!(server_hello(&long), None);
    }

    #[test]
    fn answers() {
        assert_eq!(
            parse_answer(&[0x15, 3, 3, 0, 2, 2, 70], true),
            Some(Answer::Alert(70))
        );
        assert_eq!(parse_answer(&[0x15, 3, 3, 0], true), None);
        assert!(matches!(
            parse_answer(b"HTTP/1.1 400 Bad Request\r\n", true),
            Some(Answer::Garbage(_))
        ));
    }
}
