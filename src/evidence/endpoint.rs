//! TLS endpoints probed on the network (`--tls HOST:PORT`): what they accept, the chain they
//! present, whether they ask for a client certificate, and an SSL-Labs-like grade. The collector
//! (`collect::tls_probe`) fills the raw facts; [`Endpoint::derive`] computes the rest once.

use super::catalog;
use super::certs::CertFacts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Protocol names, oldest first, as they appear in `protocols` and `suites`.
pub const PROTOCOLS: &[&str] = &["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/// What the endpoint serves: the transport layer (node-to-node) or anything else (HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Http,
    Transport,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Http => "http",
            Role::Transport => "transport",
        }
    }

    /// The role a bare `HOST:PORT` gets: transport for Elasticsearch's transport range.
    pub fn from_port(port: u16) -> Role {
        if (9300..=9400).contains(&port) {
            Role::Transport
        } else {
            Role::Http
        }
    }
}

/// One endpoint to probe, as given on the command line: `HOST:PORT[=http|transport]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSpec {
    pub host: String,
    pub port: u16,
    pub role: Role,
}

impl EndpointSpec {
    /// Parses `HOST:PORT`, `[IPv6]:PORT`, optionally followed by `=http` or `=transport`.
    pub fn parse(text: &str) -> Result<EndpointSpec, String> {
        let (addr, role) = match text.rsplit_once('=') {
            Some((a, r)) => (
                a,
                Some(match r.to_ascii_lowercase().as_str() {
                    "http" => Role::Http,
                    "transport" => Role::Transport,
                    _ => return Err(format!("'{text}': the role must be http or transport")),
                }),
            ),
            None => (text, None),
        };
        let (host, port) = addr
            .rsplit_once(':')
            .ok_or_else(|| format!("'{text}' is not HOST:PORT (e.g. es01.example.com:9200)"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("'{text}' names no host"));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("'{text}': '{port}' is not a port number"))?;
        Ok(EndpointSpec {
            host: host.to_string(),
            port,
            role: role.unwrap_or(Role::from_port(port)),
        })
    }

    /// Appends the endpoint unless the list already has its address.
    pub fn add_to(self, list: &mut Vec<EndpointSpec>) {
        if !list
            .iter()
            .any(|e| e.host == self.host && e.port == self.port)
        {
            list.push(self);
        }
    }

    /// `endpoint:<host>:<port>`
    pub fn id(&self) -> String {
        format!("endpoint:{}:{}", self.host, self.port)
    }
}

/// A probed endpoint. Raw facts first, then the derived ones the rules read.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Endpoint {
    /// `endpoint:<host>:<port>`
    pub id: String,
    pub host: String,
    pub port: u16,
    pub role: Role,
    /// Why the endpoint could not be probed at all (refused, timeout, not TLS). Every rule then
    /// reports `error`.
    pub error: Option<String>,
    /// Protocols the server accepted, oldest first (names from [`PROTOCOLS`]).
    pub protocols: Vec<String>,
    /// IANA names of the suites accepted under each protocol.
    pub suites: BTreeMap<String, Vec<String>>,
    /// The server picks the suite by its own preference (`None`: fewer than two suites to
    /// compare).
    pub server_order: Option<bool>,
    /// The chain the server presented (leaf first), from a full handshake.
    pub chain: Vec<CertFacts>,
    /// Why the chain could not be fetched, if it could not.
    pub chain_error: Option<String>,
    /// The chain leads to a trusted root (`--ca-cert`, or the bundled public roots). Judged at a
    /// moment inside the leaf's validity, so an expired certificate is reported as expired only.
    pub trusted: bool,
    /// Why the chain is not trusted.
    pub trust_error: String,
    /// The leaf's names cover the host that was probed.
    pub name_matches: bool,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// The server refused to go on without a client certificate.
    pub client_cert_required: bool,
    /// Problems met during individual probes (a reset, a malformed answer); informative.
    pub handshake_errors: Vec<String>,
    /// Why `client_cert_required` could not be learned (empty when it was): a server that
    /// speaks only TLS 1.1 or older asks for a certificate in plaintext, but whether it goes on
    /// without one shows only at the end of a handshake the prober cannot finish.
    pub client_auth_unknown: String,
    /// A scanned node declares this address as its HTTP or transport address (`paired` true),
    /// and what its config allows there.
    pub paired: bool,
    pub declared: DeclaredTls,
    // Derived by `derive()`.
    /// Accepted protocols older than TLS 1.2.
    pub legacy_protocols: Vec<String>,
    pub tls13: bool,
    /// Every accepted suite, once, in protocol order.
    pub all_suites: Vec<String>,
    /// NULL, anonymous, EXPORT, RC4, DES, 3DES or MD5 suites.
    pub broken_suites: Vec<String>,
    /// Suites with a key exchange that is not forward secret (static RSA, DH, ECDH).
    pub non_pfs_suites: Vec<String>,
    /// CBC suites with a SHA-1 MAC.
    pub cbc_sha1_suites: Vec<String>,
    pub chain_expired: bool,
    /// A certificate of the chain with an RSA/DSA key under 2048 bits or an EC key under 256.
    pub chain_weak_key: bool,
    /// A certificate of the chain (other than a self-signed root) signed with SHA-1 or MD5.
    pub chain_sha1: bool,
    /// A short summary of the leaf for messages.
    pub leaf_summary: String,
    /// SSL-Labs-like grade (A, A-, B, C, F, T), empty when the endpoint could not be probed.
    pub grade: String,
}

/// What the configuration of the node that owns an endpoint says about TLS on that layer.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct DeclaredTls {
    /// The node's id (`node:<cluster>/<name>`).
    pub node: String,
    /// `http` or `transport`: the layer whose address the endpoint is.
    pub layer: String,
    /// The settings prefix, e.g. `xpack.security.http.ssl`.
    pub prefix: String,
    /// Where the address comes from: the settings that name it, or `_nodes/http,transport`.
    pub address_source: String,
    /// TLS is enabled on that layer.
    pub enabled: bool,
    /// The effective `supported_protocols` (explicit, or the version's default); empty when
    /// TLS is off on that layer.
    pub protocols: Vec<String>,
    /// The explicit `cipher_suites`, by IANA name (`SSL_` prefixes read as `TLS_`); empty
    /// when unset (the JDK's defaults apply, which are not judged).
    pub suites: Vec<String>,
    /// Accepted by the endpoint but not declared, in words (for messages).
    pub differences: Vec<String>,
}

/// A node's declared address on one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddress {
    pub node_id: String,
    /// `http` or `transport`.
    pub layer: &'static str,
    pub host: String,
    pub port: u16,
    pub source: String,
}

/// Special `network.host` values (`_local_`, `_site_`, `_eth0_`…) and wildcard addresses do
/// not name one address.
fn concrete_host(h: &str) -> bool {
    let h = h.trim();
    !h.is_empty() && !h.starts_with('_') && !matches!(h, "0.0.0.0" | "::" | "[::]" | "0")
}

/// The first port of `9200` or `9200-9300`.
fn first_port(text: &str) -> Option<u16> {
    text.split('-')
        .next()?
        .trim()
        .parse()
        .ok()
        .filter(|p| *p != 0)
}

/// The HTTP and transport addresses a node's settings name concretely (file scans): the
/// layer's `publish_host`, else its `host`, else `network.publish_host`, else `network.host`,
/// with the layer's `publish_port`, else `port` (the first of a range), else 9200 / 9300.
pub fn declared_addresses(node: &super::EsNode) -> Vec<NodeAddress> {
    let s = &node.settings;
    let mut out = vec![];
    for (layer, default_port) in [("http", 9200u16), ("transport", 9300)] {
        let host_keys = [
            format!("{layer}.publish_host"),
            format!("{layer}.host"),
            "network.publish_host".to_string(),
            "network.host".to_string(),
        ];
        let Some((key, hosts)) = host_keys
            .iter()
            .find_map(|k| s.value(k).map(|v| (k.clone(), v.as_list())))
        else {
            continue;
        };
        let port_key = [format!("{layer}.publish_port"), format!("{layer}.port")]
            .into_iter()
            .find(|k| s.value(k).is_some());
        let port = match &port_key {
            Some(k) => s
                .value(k)
                .and_then(|v| v.as_list().first().and_then(|p| first_port(p))),
            None => Some(default_port),
        };
        let Some(port) = port else { continue };
        for host in hosts.iter().filter(|h| concrete_host(h)) {
            out.push(NodeAddress {
                node_id: node.id.clone(),
                layer,
                host: host.trim().trim_matches(['[', ']']).to_string(),
                port,
                source: match &port_key {
                    Some(p) => format!("{key}, {p}"),
                    None => format!("{key} (port {port} by default)"),
                },
            });
        }
    }
    out
}

/// `SSL_RSA_…` as `TLS_RSA_…`, upper case: JSSE and IANA spell most suites the same.
fn suite_key(name: &str) -> String {
    let u = name.trim().to_ascii_uppercase();
    match u.strip_prefix("SSL_") {
        Some(rest) => format!("TLS_{rest}"),
        None => u,
    }
}

/// Same host: equal names, or equal IP addresses however written.
fn same_host(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    match (a.parse::<std::net::IpAddr>(), b.parse::<std::net::IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Pairs each probed endpoint with the scanned node that declares its address (`addresses`:
/// from the nodes' settings and from live clusters' `_nodes/http,transport`), and records what
/// that node's config allows on the layer. The rules compare the two.
pub fn pair(deployment: &mut super::Deployment, addresses: &[NodeAddress]) {
    for endpoint in &mut deployment.endpoints {
        let Some(address) = addresses
            .iter()
            .find(|a| a.port == endpoint.port && same_host(&a.host, &endpoint.host))
        else {
            continue;
        };
        let Some(node) = deployment.nodes.iter().find(|n| n.id == address.node_id) else {
            continue;
        };
        let Some(context) = super::tls::contexts(node)
            .into_iter()
            .find(|c| c.layer == address.layer)
        else {
            continue;
        };
        let protocols = if context.enabled {
            context.protocols.clone()
        } else {
            vec![]
        };
        let suites: Vec<String> = context.ciphers.iter().map(|c| suite_key(c)).collect();
        let mut differences = vec![];
        if !context.enabled {
            differences.push(format!(
                "{}.enabled is false, yet the address speaks TLS",
                context.prefix
            ));
        } else {
            let extra: Vec<&String> = endpoint
                .protocols
                .iter()
                .filter(|p| !protocols.contains(p))
                .collect();
            if !extra.is_empty() {
                differences.push(format!(
                    "protocols {} (declared: {})",
                    join(&extra),
                    protocols.join(", ")
                ));
            }
            if !suites.is_empty() {
                let extra: Vec<&String> = endpoint
                    .all_suites
                    .iter()
                    .filter(|s| !suites.contains(&suite_key(s)))
                    .collect();
                if !extra.is_empty() {
                    differences.push(format!("suites {} (not in cipher_suites)", join(&extra)));
                }
            }
        }
        endpoint.paired = true;
        endpoint.declared = DeclaredTls {
            node: node.id.clone(),
            layer: address.layer.to_string(),
            prefix: context.prefix.clone(),
            address_source: address.source.clone(),
            enabled: context.enabled,
            protocols,
            suites,
            differences,
        };
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// What the JSON report shows of a probed endpoint (beside its grade); read back by `merge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSummary {
    pub role: Role,
    pub protocols: Vec<String>,
    pub suites: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_order: Option<bool>,
    pub client_cert_requested: bool,
    pub client_cert_required: bool,
    /// The leaf certificate, in a line.
    pub leaf: String,
    pub trusted: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trust_error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handshake_errors: Vec<String>,
}

fn weak_key(c: &CertFacts) -> bool {
    matches!(c.key_type.as_str(), "rsa" | "dsa") && c.key_bits < 2048
        || c.key_type == "ec" && c.key_bits < 256
}

impl Endpoint {
    pub fn new(spec: &EndpointSpec) -> Endpoint {
        Endpoint {
            id: spec.id(),
            host: spec.host.clone(),
            port: spec.port,
            role: spec.role,
            ..Endpoint::default()
        }
    }

    pub fn summary(&self) -> TlsSummary {
        TlsSummary {
            role: self.role,
            protocols: self.protocols.clone(),
            suites: self.suites.clone(),
            server_order: self.server_order,
            client_cert_requested: self.client_cert_requested,
            client_cert_required: self.client_cert_required,
            leaf: self.leaf_summary.clone(),
            trusted: self.trusted,
            trust_error: self.trust_error.clone(),
            error: self.error.clone().or_else(|| self.chain_error.clone()),
            handshake_errors: self.handshake_errors.clone(),
        }
    }

    /// Fills the derived fields from the raw ones.
    pub fn derive(&mut self) {
        self.legacy_protocols = self
            .protocols
            .iter()
            .filter(|p| p.as_str() != "TLSv1.2" && p.as_str() != "TLSv1.3")
            .cloned()
            .collect();
        self.tls13 = self.protocols.iter().any(|p| p == "TLSv1.3");
        let mut all: Vec<String> = Vec::new();
        for p in PROTOCOLS {
            for s in self.suites.get(*p).into_iter().flatten() {
                if !all.contains(s) {
                    all.push(s.clone());
                }
            }
        }
        let pick =
            |f: fn(&str) -> bool| -> Vec<String> { all.iter().filter(|s| f(s)).cloned().collect() };
        self.broken_suites = pick(catalog::is_broken_suite);
        self.non_pfs_suites = pick(|s| {
            let u = s.to_ascii_uppercase();
            [
                "TLS_RSA_",
                "SSL_RSA_",
                "TLS_DH_",
                "TLS_ECDH_",
                "SSL_DH_",
                "TLS_PSK_",
            ]
            .iter()
            .any(|p| u.starts_with(p))
                && !u.contains("_ANON_")
        });
        self.cbc_sha1_suites = pick(|s| {
            let u = s.to_ascii_uppercase();
            u.contains("_CBC_") && u.ends_with("_SHA")
        });
        self.all_suites = all;
        self.chain_expired = self.chain.iter().any(|c| c.expired);
        self.chain_weak_key = self.chain.iter().any(weak_key);
        self.chain_sha1 = self
            .chain
            .iter()
            .any(|c| !c.self_issued && matches!(c.signature_hash.as_str(), "sha1" | "md5" | "md2"));
        self.leaf_summary = self
            .chain
            .first()
            .map(|c| {
                format!(
                    "{} ({} {} bits, {}, expires {}, names [{}])",
                    c.subject,
                    c.key_type.to_uppercase(),
                    c.key_bits,
                    c.signature_algorithm,
                    c.expires,
                    c.dns_names
                        .iter()
                        .chain(&c.ip_addresses)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .unwrap_or_default();
        self.grade = self.compute_grade();
    }

    /// An SSL-Labs-like grade: F for SSLv3 or broken suites; T for a chain that is not
    /// trusted, expired, SHA-1 signed or for another name; C for 3DES-only trouble is already F
    /// here (3DES counts as broken); B for TLS 1.0/1.1, suites without forward secrecy or a
    /// weak key; A- without TLS 1.3; A otherwise.
    fn compute_grade(&self) -> String {
        if self.error.is_some() || self.protocols.is_empty() {
            return String::new();
        }
        if self.protocols.iter().any(|p| p == "SSLv3") || !self.broken_suites.is_empty() {
            return "F".into();
        }
        if self.chain.is_empty()
            || !self.trusted
            || !self.name_matches
            || self.chain_expired
            || self.chain_sha1
        {
            return "T".into();
        }
        if !self.legacy_protocols.is_empty()
            || !self.non_pfs_suites.is_empty()
            || self.chain_weak_key
        {
            return "B".into();
        }
        if !self.tls13 {
            return "A-".into();
        }
        "A".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let s = EndpointSpec::parse("es01:9300").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.role),
            ("es01", 9300, Role::Transport)
        );
        let s = EndpointSpec::parse("es01:9200").unwrap();
        assert_eq!(s.role, Role::Http);
        let s = EndpointSpec::parse("10.0.0.1:443=transport").unwrap();
        assert_eq!(s.role, Role::Transport);
        let s = EndpointSpec::parse("[::1]:9200").unwrap();
        assert_eq!(s.host, "::1");
        assert_eq!(s.id(), "endpoint:::1:9200");
        assert!(EndpointSpec::parse("es01").is_err());
        assert!(EndpointSpec::parse("es01:0").is_err());
        assert!(EndpointSpec::parse("es01:9200=admin").is_err());
    }

    #[test]
    fn addresses_from_node_settings() {
        use crate::evidence::settings::{Setting, SettingValue};
        let mut node = crate::evidence::EsNode::files_only(std::path::Path::new("x"), vec![]);
        node.id = "node:c/es01".into();
        node.files_only = false;
        let set = |node: &mut crate::evidence::EsNode, k: &str, v: &str| {
            node.settings.push(Setting {
                key: k.into(),
                value: SettingValue::from_text(v),
                unresolved: vec![],
                from_placeholder: false,
                location: Default::default(),
                occurrence: 1,
            })
        };
        set(&mut node, "network.host", "10.0.0.5");
        set(&mut node, "http.port", "9243-9300");
        let found: Vec<String> = declared_addresses(&node)
            .iter()
            .map(|a| format!("{} {}:{}", a.layer, a.host, a.port))
            .collect();
        assert_eq!(found, ["http 10.0.0.5:9243", "transport 10.0.0.5:9300"]);
        // Special values name no single address; the layer's own host wins over network.host.
        set(&mut node, "transport.host", "_site_");
        set(&mut node, "http.host", "es01.example.com");
        let found: Vec<String> = declared_addresses(&node)
            .iter()
            .map(|a| format!("{} {}:{}", a.layer, a.host, a.port))
            .collect();
        assert_eq!(found, ["http es01.example.com:9243"]);
        assert!(same_host("::1", "0:0:0:0:0:0:0:1") && same_host("ES01", "es01"));
        assert_eq!(
            suite_key("SSL_RSA_WITH_3DES_EDE_CBC_SHA"),
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
        );
    }

    #[test]
    fn grades() {
        let mut e = Endpoint {
            protocols: vec!["TLSv1.2".into(), "TLSv1.3".into()],
            suites: BTreeMap::from([
                (
                    "TLSv1.2".into(),
                    vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()],
                ),
                ("TLSv1.3".into(), vec!["TLS_AES_128_GCM_SHA256".into()]),
            ]),
            trusted: true,
            name_matches: true,
            chain: vec![CertFacts {
                subject: "CN=x".into(),
                issuer: "CN=ca".into(),
                serial: String::new(),
                not_before: 0,
                not_after: 0,
                expires: String::new(),
                days_left: 100,
                expired: false,
                validity_days: 365,
                key_type: "rsa".into(),
                key_bits: 2048,
                curve: String::new(),
                signature_algorithm: "sha256WithRSAEncryption".into(),
                signature_hash: "sha256".into(),
                is_ca: false,
                self_issued: false,
                dns_names: vec![],
                ip_addresses: vec![],
                eku_present: false,
                eku_server_auth: false,
                eku_client_auth: false,
                sha256: String::new(),
                der: vec![],
            }],
            ..Endpoint::default()
        };
        e.derive();
        assert_eq!(e.grade, "A");
        e.protocols.retain(|p| p != "TLSv1.3");
        e.derive();
        assert_eq!(e.grade, "A-");
        e.suites
            .get_mut("TLSv1.2")
            .unwrap()
            .push("TLS_RSA_WITH_AES_128_CBC_SHA".into());
        e.derive();
        assert_eq!(e.non_pfs_suites, ["TLS_RSA_WITH_AES_128_CBC_SHA"]);
        assert_eq!(e.cbc_sha1_suites, ["TLS_RSA_WITH_AES_128_CBC_SHA"]);
        assert_eq!(e.grade, "B");
        e.trusted = false;
        e.derive();
        assert_eq!(e.grade, "T");
        e.suites
            .get_mut("TLSv1.2")
            .unwrap()
            .push("TLS_RSA_WITH_RC4_128_SHA".into());
        e.derive();
        assert_eq!(e.grade, "F");
    }
}
