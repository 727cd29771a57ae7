//! Kibana, Logstash, Beats and Elastic Agent instances: their settings (from their own YAML
//! file, a compose service or a Kubernetes manifest) and, for Logstash, the plugins of their
//! pipelines. The facts the rules read are derived here once.

use super::catalog;
use super::derive::is_loopback;
use super::settings::{Setting, SettingValue, Settings};
use super::{InlineSuppression, Location};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    Kibana,
    Logstash,
    Beat,
    Agent,
}

impl ComponentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Kibana => "kibana",
            ComponentKind::Logstash => "logstash",
            ComponentKind::Beat => "beat",
            ComponentKind::Agent => "agent",
        }
    }
}

/// One stack component other than an Elasticsearch node.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// `<kind>:<name>`, unique within a scan.
    pub id: String,
    pub kind: ComponentKind,
    pub name: String,
    /// The file the settings came from, as the user named it (a manifest for embedded configs).
    pub config_path: String,
    pub settings: Settings,
    /// Pipeline plugins (Logstash), in file order.
    pub pipelines: Vec<PipelinePlugin>,
    pub suppressions: Vec<InlineSuppression>,
    /// Only pipeline files were found (no `logstash.yml`): instance-wide rules do not apply.
    pub pipeline_only: bool,
    /// What the rest of the scan says about this component's peers (filled by [`link`]).
    pub peers: Peers,
    /// Where the component is declared inside a larger file (a compose service, a manifest's
    /// resource): failures about unwritten settings point here.
    pub declared_at: Option<Location>,
    /// Files the component's TLS settings name as trusted CAs, read during the scan.
    pub cas: Vec<ComponentCa>,
    /// Kibana: the flags of `config/node.options` (and of a `NODE_OPTIONS` variable), each
    /// where it is written.
    pub node_options: Vec<(String, Location)>,
    /// Logstash: `logstash.keystore` beside `logstash.yml`, and where its password comes from.
    pub keystore: Option<ComponentKeystore>,
    /// Named places a failure can point at when no setting is the culprit (`node.options`,
    /// `logstash.keystore`, `ca`); rules name them as `locate: place:<name>`.
    pub places: BTreeMap<String, Place>,
    /// For a container (a compose service): the ports it publishes on the host, which decide
    /// whether its server is reachable from other hosts. `None` elsewhere.
    pub published: Option<Vec<crate::collect::compose_env::Published>>,
    /// Runs Elastic's `-oss` image (Kibana OSS, up to 7.10): none of X-Pack's features
    /// (security, audit, sessions, reporting, encrypted saved objects) exist in it, so rules
    /// about their settings do not apply (`comp.oss`).
    pub oss: bool,
    /// See [`super::EsNode::mesh_mtls`].
    pub mesh_mtls: Option<String>,
}

/// A place a component rule can point at, and the object it names there (`file:node.options`,
/// `setting:elasticsearch.ssl.certificateAuthorities`).
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub location: Location,
    pub object: String,
}

/// A CA file named by a component setting (`elasticsearch.ssl.certificateAuthorities`, a
/// pipeline's `ssl_certificate_authorities`, a Beat's `ssl.certificate_authorities`, …).
#[derive(Debug, Clone, Serialize)]
pub struct ComponentCa {
    pub key: String,
    /// The file as the scan reached it.
    pub path: String,
    /// The setting that names it.
    pub location: Location,
    /// The certificates it holds (empty when it could not be read).
    #[serde(skip)]
    pub certificates: Vec<super::certs::CertFacts>,
    pub error: Option<String>,
}

/// `logstash.keystore` found beside a `logstash.yml`.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentKeystore {
    pub path: String,
    /// Where `LOGSTASH_KEYSTORE_PASS` is set (`/etc/sysconfig/logstash`, a compose service's
    /// environment, …), or `None` when the scan found no such place.
    pub password_source: Option<String>,
}

/// Facts that need the other targets of the scan: the Elasticsearch nodes and the other
/// instances of the same kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Peers {
    /// 1 when every node of the component's deployment serves HTTP over TLS, 0 when none
    /// does, -1 when there is no such node or the nodes disagree.
    pub cluster_http_tls: i64,
    /// Kibana: settings whose literal encryption key differs from another Kibana instance's.
    pub key_mismatch: Vec<String>,
    /// Whether the CAs the component trusts sign the HTTP certificate of the nodes of its
    /// deployment: `signed`, `not_signed` (some node's certificate is signed by none of them),
    /// or empty when it cannot be told (no CA configured or readable, no node certificate read).
    pub http_ca_check: String,
    /// The nodes whose HTTP certificate none of the component's CAs signs.
    pub http_ca_unsigned: Vec<String>,
    /// Every node of the component's deployment is known to run without security (see
    /// [`super::derive::security_known_off`]); false when there is no such node.
    pub cluster_security_off: bool,
}

/// Number of leading path components two files share (a file shares all of its own).
fn shared(a: &str, b: &str) -> usize {
    std::path::Path::new(a)
        .components()
        .zip(std::path::Path::new(b).components())
        .take_while(|(x, y)| x == y)
        .count()
}

/// The indices of `candidates` nearest to `path`: those sharing the most leading folders with
/// it (the same manifest, then the same deployment folder, …).
fn nearest<'a>(path: &str, candidates: impl Iterator<Item = (usize, &'a str)>) -> Vec<usize> {
    let scored: Vec<(usize, usize)> = candidates.map(|(i, p)| (i, shared(path, p))).collect();
    let best = scored.iter().map(|(_, d)| *d).max().unwrap_or(0);
    scored
        .into_iter()
        .filter(|(_, d)| *d == best && best > 0)
        .map(|(i, _)| i)
        .collect()
}

/// Fills [`Component::peers`] from the other targets of the scan. A component's deployment is
/// the nodes (and, for Kibana, the other instances) nearest to it: in the same compose file or
/// manifest, else under the deepest folder they share.
pub fn link(nodes: &[super::EsNode], files: &[super::SecurityFile], components: &mut [Component]) {
    let nodes: Vec<&super::EsNode> = nodes.iter().filter(|n| !n.files_only).collect();
    const KEYS: &[&str] = &[
        "xpack.security.encryptionKey",
        "xpack.encryptedSavedObjects.encryptionKey",
        "xpack.reporting.encryptionKey",
    ];
    let literal = |c: &Component, key: &str| {
        c.settings
            .get(key)
            .filter(|s| !s.from_placeholder && s.unresolved.is_empty())
            .map(|s| s.value.to_string())
    };
    let kibanas: Vec<(usize, String, Vec<Option<String>>)> = components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ComponentKind::Kibana)
        .map(|(i, c)| {
            (
                i,
                c.config_path.clone(),
                KEYS.iter().map(|k| literal(c, k)).collect(),
            )
        })
        .collect();
    for (i, c) in components.iter_mut().enumerate() {
        let near = nearest(
            &c.config_path,
            nodes
                .iter()
                .enumerate()
                .map(|(j, n)| (j, n.config_path.as_str())),
        );
        let states: std::collections::BTreeSet<bool> = near
            .iter()
            .map(|&j| {
                nodes[j]
                    .settings
                    .bool("xpack.security.http.ssl.enabled")
                    .unwrap_or(false)
            })
            .collect();
        c.peers.cluster_security_off = !near.is_empty()
            && near
                .iter()
                .all(|&j| super::derive::security_known_off(nodes[j]));
        c.peers.cluster_http_tls = match (states.len(), states.iter().next()) {
            (1, Some(true)) => 1,
            (1, Some(false)) => 0,
            _ => -1,
        };
        let (check, unsigned) = http_ca_check(c, near.iter().map(|&j| nodes[j]), files);
        c.peers.http_ca_check = check;
        c.peers.http_ca_unsigned = unsigned;
        if c.kind != ComponentKind::Kibana {
            continue;
        }
        let others = nearest(
            &c.config_path,
            kibanas
                .iter()
                .filter(|(j, _, _)| *j != i)
                .map(|(j, p, _)| (*j, p.as_str())),
        );
        let mine = kibanas.iter().find(|(j, _, _)| *j == i).map(|k| &k.2);
        for (k, key) in KEYS.iter().enumerate() {
            let Some(Some(value)) = mine.map(|m| &m[k]) else {
                continue;
            };
            let differs = kibanas
                .iter()
                .filter(|(j, _, _)| others.contains(j))
                .any(|(_, _, keys)| keys[k].as_ref().is_some_and(|o| o != value));
            if differs {
                c.peers.key_mismatch.push(key.to_string());
            }
        }
    }
}

/// The HTTP leaf certificate a node serves, with the other certificates of its file (its chain),
/// when the scan read it.
fn http_leaf<'a>(
    node: &super::EsNode,
    files: &'a [super::SecurityFile],
) -> Option<(
    &'a super::certs::CertFacts,
    Vec<&'a super::certs::CertFacts>,
)> {
    if node.settings.bool("xpack.security.http.ssl.enabled") != Some(true) {
        return None;
    }
    node.file_refs
        .iter()
        .filter(|r| {
            r.context == "xpack.security.http.ssl"
                && (r.role == "certificate" || r.role == "keystore")
        })
        .find_map(|r| {
            let f = files.get(r.file)?;
            let leaf = if r.role == "keystore" {
                f.certificates
                    .iter()
                    .zip(&f.certificate_has_key)
                    .find(|(_, k)| **k)
                    .map(|(c, _)| c)?
            } else {
                f.certificates.first()?
            };
            let chain = f.certificates.iter().filter(|c| *c != leaf).collect();
            Some((leaf, chain))
        })
}

/// Whether the component's CAs sign the HTTP certificate of each of `nodes`: directly, through
/// an intermediate served with the leaf, or by holding the leaf itself (a pinned certificate).
fn http_ca_check<'a>(
    c: &Component,
    nodes: impl Iterator<Item = &'a super::EsNode>,
    files: &[super::SecurityFile],
) -> (String, Vec<String>) {
    use super::certs::signed_by;
    let cas: Vec<&super::certs::CertFacts> = c.cas.iter().flat_map(|ca| &ca.certificates).collect();
    if cas.is_empty() {
        return (String::new(), vec![]);
    }
    let mut judged = false;
    let mut unsigned = Vec::new();
    for node in nodes {
        let Some((leaf, chain)) = http_leaf(node, files) else {
            continue;
        };
        let by = |cert: &super::certs::CertFacts| {
            cas.iter()
                .any(|ca| ca.sha256 == cert.sha256 || signed_by(cert, ca) == Some(true))
        };
        let trusted = by(leaf)
            || chain
                .iter()
                .any(|inter| signed_by(leaf, inter) == Some(true) && by(inter));
        judged = true;
        if !trusted {
            unsigned.push(node.name.clone());
        }
    }
    match (judged, unsigned.is_empty()) {
        (false, _) => (String::new(), vec![]),
        (true, true) => ("signed".into(), vec![]),
        (true, false) => ("not_signed".into(), unsigned),
    }
}

/// A plugin block of a Logstash pipeline; its options are settings named as in the pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct PipelinePlugin {
    /// `input`, `filter` or `output`.
    pub section: String,
    pub name: String,
    pub location: Location,
    pub options: Settings,
}

/// The component as the `component` rules see it (variable `comp`).
#[derive(Debug, Clone, Serialize)]
pub struct ComponentFacts {
    pub kind: String,
    pub name: String,
    /// Effective settings: every explicit one plus the defaults rules read.
    pub settings: BTreeMap<String, SettingValue>,
    pub explicit: BTreeMap<String, bool>,
    pub unresolved: BTreeMap<String, Vec<String>>,
    /// Elasticsearch URLs the component sends to (Kibana `elasticsearch.hosts`, Beats and Agent
    /// outputs, Logstash monitoring), with the scheme made explicit.
    pub es_urls: Vec<String>,
    /// Those of `es_urls` that are plain `http://` to a host other than loopback.
    pub plain_remote_es_urls: Vec<String>,
    /// Those of `es_urls` that are plain `http://`, loopback included.
    pub plain_es_urls: Vec<String>,
    /// The component's own server/API listens beyond loopback.
    pub server_exposed: bool,
    /// Length of the encryption keys written (0 when absent; the values are never exposed).
    pub key_lengths: BTreeMap<String, i64>,
    /// Encryption keys whose value is a published sample.
    pub sample_keys: Vec<String>,
    /// Any TLS verification mode set to `none` (key names).
    pub verification_none: Vec<String>,
    /// Any TLS verification mode set to `certificate` (key names).
    pub verification_certificate: Vec<String>,
    /// TLS protocol settings that allow TLS 1.1 or older (key names).
    pub legacy_protocols: Vec<String>,
    /// Cipher settings that list broken or weak suites (key names).
    pub weak_ciphers: Vec<String>,
    /// User-name settings equal to `elastic` (key names).
    pub elastic_user: Vec<String>,
    /// Secret settings whose value is a published default such as `changeme` (key names).
    pub default_passwords: Vec<String>,
    pub fips: bool,
    pub pipeline_only: bool,
    /// See [`Component::oss`].
    pub oss: bool,
    /// The mesh policy that encrypts the component's connections (see
    /// [`super::EsNode::mesh_mtls`]), or empty.
    pub mesh_mtls: String,
    /// Why Kibana's own security features (login, sessions, audit, anonymous access) are off
    /// whatever its config says, or empty: an `-oss` build has none, and Kibana turns them
    /// off when its cluster runs without security. Rules about them use it as their `when`.
    pub security_off_reason: String,
    /// Beats: `setup.kibana` is reached over plain HTTP on a host other than loopback.
    pub kibana_plain_remote: bool,
    pub peers: Peers,
    /// Elasticsearch URLs of every kind (settings and pipeline plugins), scheme explicit.
    pub all_es_urls: Vec<String>,
    /// Kibana: `node.options` / `NODE_OPTIONS` flags that let Node.js accept TLS 1.0 or 1.1.
    pub node_legacy_tls: Vec<String>,
    /// Kibana: flags that weaken Node.js's TLS or crypto otherwise (`--openssl-legacy-provider`,
    /// `--tls-max-v1.2`, `--security-revert=…`, `--tls-cipher-list` with weak suites).
    pub node_weak_crypto: Vec<String>,
    /// Logstash: `logstash.keystore` sits beside `logstash.yml`.
    pub keystore_present: bool,
    /// Where the keystore's password (`LOGSTASH_KEYSTORE_PASS`) is set, or empty.
    pub keystore_password_source: String,
    /// Number of CA certificates read from the files the component's TLS settings name.
    pub ca_certificates: i64,
    /// Logstash inputs that take events from the network in clear text (`beats`,
    /// `elastic_agent`, `tcp`, `http` without TLS, listening beyond loopback and, in a
    /// container, on a published port): `name on host:port (file:line)`.
    pub plain_network_inputs: Vec<String>,
}

/// What a Node.js flag of Kibana's `node.options` does to TLS: `legacy_tls` (TLS 1.0/1.1
/// allowed), `weak_crypto` (another weakening), or `None`.
pub fn node_option_class(flag: &str) -> Option<&'static str> {
    let f = flag.trim().to_ascii_lowercase();
    let f = f.trim_matches(|c| c == '"' || c == '\'');
    let name = f.split('=').next().unwrap_or(f);
    match name {
        "--tls-min-v1.0" | "--tls-min-v1.1" | "--tls-min-1.0" | "--tls-min-1.1"
        | "--tls-max-v1.0" | "--tls-max-v1.1" => Some("legacy_tls"),
        "--openssl-legacy-provider" | "--tls-max-v1.2" | "--security-revert" => Some("weak_crypto"),
        "--tls-cipher-list" => f
            .split_once('=')
            .is_some_and(|(_, list)| list.split(':').any(weak_cipher))
            .then_some("weak_crypto"),
        _ => None,
    }
}

/// One written setting of a component or one option of a pipeline plugin (variable `setting`).
#[derive(Debug, Clone, Serialize)]
pub struct ComponentSettingFacts {
    pub component: String,
    pub key: String,
    /// The value, or empty for secret settings.
    pub value: String,
    pub secret: bool,
    /// A secret written literally in the file (not `${VAR}`, not empty).
    pub literal_secret: bool,
    /// A secret whose value is a published default or sample (`changeme`, …).
    pub sample: bool,
    /// The value as a list (comma text split), or empty for secret settings.
    pub values: Vec<String>,
    /// Number of characters of the value (secrets included; the value itself is never shown).
    pub length: i64,
    /// The last segment of the key (`verification_mode`, `supportedProtocols`, …).
    pub name: String,
    pub from_placeholder: bool,
}

/// The Elasticsearch plugin of a Logstash pipeline as the `ls_plugin` rules see it (`plugin`).
#[derive(Debug, Clone, Serialize)]
pub struct PluginFacts {
    pub section: String,
    pub name: String,
    pub settings: BTreeMap<String, SettingValue>,
    pub explicit: BTreeMap<String, bool>,
    pub unresolved: BTreeMap<String, Vec<String>>,
    pub hosts: Vec<String>,
    /// Hosts reached in clear text: `http://` URLs, or any host when `ssl_enabled`/`ssl` is
    /// false, or bare hosts when nothing turns TLS on.
    pub plain_hosts: Vec<String>,
    pub plain_remote_hosts: Vec<String>,
    pub uses_cloud_id: bool,
}

fn effective(settings: &Settings) -> BTreeMap<String, SettingValue> {
    settings
        .keys()
        .filter_map(|k| settings.value(k).map(|v| (k.clone(), v.clone())))
        .collect()
}

fn explicit_and_unresolved(
    settings: &Settings,
) -> (BTreeMap<String, bool>, BTreeMap<String, Vec<String>>) {
    (
        settings.keys().map(|k| (k.clone(), true)).collect(),
        settings
            .entries
            .iter()
            .filter(|e| !e.unresolved.is_empty())
            .map(|e| (e.key.clone(), e.unresolved.clone()))
            .collect(),
    )
}

/// The host of a URL or `host:port` entry.
pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.trim_start_matches("//");
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6).to_string();
    }
    authority.split(':').next().unwrap_or(authority).to_string()
}

fn remote(url: &str) -> bool {
    let host = url_host(url);
    !host.is_empty() && !is_loopback(&host)
}

/// Kibana's and the Beats' secret-looking keys, beyond what `catalog::is_secret` knows.
pub fn is_component_secret(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    catalog::is_secret(key)
        || last == "keypassphrase"
        || last == "encryptionkey"
        || last == "serviceaccounttoken"
        || last == "decryptiononlykeys"
        || last == "key_passphrase"
        || last == "cloud_auth"
        || key.ends_with("cloud.auth")
        || last == "api_key"
        || last == "apikey"
}

fn is_user_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    last == "username" || last == "user"
}

pub fn component_facts(c: &Component) -> ComponentFacts {
    let s = &c.settings;
    let mut settings = effective(s);
    let (explicit, unresolved) = explicit_and_unresolved(s);
    let text = |k: &str| s.value(k).map(|v| v.to_string());
    let mut es_urls = Vec::new();
    let server_exposed;
    // The server's port: as written, else the product's default.
    let server_port: (Option<String>, u16);
    match c.kind {
        ComponentKind::Kibana => {
            // `elasticsearch.url` is the 6.x name of `elasticsearch.hosts`.
            let hosts = s
                .value("elasticsearch.hosts")
                .or_else(|| s.value("elasticsearch.url"))
                .map(SettingValue::as_list)
                .unwrap_or_else(|| vec!["http://localhost:9200".into()]);
            es_urls.extend(hosts);
            let host = text("server.host").unwrap_or_else(|| "localhost".into());
            server_exposed = !is_loopback(&host);
            server_port = (text("server.port"), 5601);
            settings
                .entry("server.ssl.enabled".into())
                .or_insert(SettingValue::Bool(false));
            settings
                .entry("elasticsearch.ssl.verificationMode".into())
                .or_insert(SettingValue::Text("full".into()));
            settings
                .entry("xpack.security.audit.enabled".into())
                .or_insert(SettingValue::Bool(false));
        }
        ComponentKind::Logstash => {
            // `http.host` / `http.port` are the names before 7.x's `api.http.*`.
            let host = text("api.http.host")
                .or_else(|| text("http.host"))
                .unwrap_or_else(|| "127.0.0.1".into());
            let api_on = s.bool("api.enabled").unwrap_or(true);
            server_exposed = api_on && !is_loopback(&host);
            server_port = (text("api.http.port").or_else(|| text("http.port")), 9600);
            for prefix in [
                "xpack.monitoring.elasticsearch",
                "xpack.management.elasticsearch",
            ] {
                if let Some(v) = s.value(&format!("{prefix}.hosts")) {
                    es_urls.extend(v.as_list());
                }
            }
            settings
                .entry("api.ssl.enabled".into())
                .or_insert(SettingValue::Bool(false));
            settings
                .entry("api.auth.type".into())
                .or_insert(SettingValue::Text("none".into()));
            settings
                .entry("api.http.host".into())
                .or_insert(SettingValue::Text(host));
        }
        ComponentKind::Beat | ComponentKind::Agent => {
            let host = text("http.host").unwrap_or_else(|| "localhost".into());
            server_exposed = s.bool("http.enabled").unwrap_or(false) && !is_loopback(&host);
            server_port = (text("http.port"), 5066);
            let mut outputs: Vec<String> = vec!["output.elasticsearch".into()];
            for k in s.keys_with_prefix("outputs.") {
                if let Some(name) = k.strip_prefix("outputs.").and_then(|r| r.split('.').next()) {
                    let p = format!("outputs.{name}");
                    if !outputs.contains(&p) {
                        outputs.push(p);
                    }
                }
            }
            outputs.push("monitoring.elasticsearch".into());
            outputs.push("xpack.monitoring.elasticsearch".into());
            for p in outputs {
                let Some(hosts) = s.value(&format!("{p}.hosts")) else {
                    continue;
                };
                let protocol = text(&format!("{p}.protocol")).unwrap_or_else(|| "http".into());
                for h in hosts.as_list() {
                    if h.contains("://") {
                        es_urls.push(h);
                    } else {
                        es_urls.push(format!("{protocol}://{h}"));
                    }
                }
            }
        }
    }
    // A container's server is reached through the port it publishes, not its bind inside.
    let server_exposed = match &c.published {
        Some(ports) if server_exposed => {
            let port = server_port
                .0
                .and_then(|p| p.split('-').next()?.trim().parse().ok())
                .unwrap_or(server_port.1);
            ports.iter().any(|p| {
                p.container_port == port && (p.host_ip.is_empty() || !is_loopback(&p.host_ip))
            })
        }
        _ => server_exposed,
    };
    let all_es_urls: Vec<String> = es_urls
        .iter()
        .cloned()
        .chain(
            c.pipelines
                .iter()
                .filter(|p| p.name == "elasticsearch")
                .flat_map(|p| plugin_facts(p).hosts),
        )
        .collect();
    let plain_es_urls: Vec<String> = es_urls
        .iter()
        .filter(|u| u.to_ascii_lowercase().starts_with("http://"))
        .cloned()
        .collect();
    let plain_remote_es_urls = plain_es_urls
        .iter()
        .filter(|u| remote(u))
        .cloned()
        .collect();
    let mut key_lengths = BTreeMap::new();
    let mut sample_keys = Vec::new();
    let mut verification_none = Vec::new();
    let mut verification_certificate = Vec::new();
    let mut legacy_protocols = Vec::new();
    let mut weak_ciphers = Vec::new();
    let mut elastic_user = Vec::new();
    let mut default_passwords = Vec::new();
    for e in &s.entries {
        let k = &e.key;
        let last = k.rsplit('.').next().unwrap_or(k).to_ascii_lowercase();
        let value = e.value.to_string();
        if last == "encryptionkey" {
            key_lengths.insert(k.clone(), value.chars().count() as i64);
            if catalog::is_sample_secret(&value) {
                sample_keys.push(k.clone());
            }
        }
        if last == "verificationmode" || last == "verification_mode" {
            match value.to_ascii_lowercase().as_str() {
                "none" => verification_none.push(k.clone()),
                "certificate" => verification_certificate.push(k.clone()),
                _ => {}
            }
        }
        if (last == "supportedprotocols" || last == "supported_protocols")
            && e.value.as_list().iter().any(|p| {
                let p = p.trim();
                catalog::is_legacy_protocol(p) || p == "TLSv1.0" || p == "SSLv3"
            })
        {
            legacy_protocols.push(k.clone());
        }
        if (last == "ciphersuites" || last == "cipher_suites")
            && e.value.as_list().iter().any(|c| weak_cipher(c))
        {
            weak_ciphers.push(k.clone());
        }
        if is_user_key(k) && e.unresolved.is_empty() && value == "elastic" {
            elastic_user.push(k.clone());
        }
        if is_component_secret(k)
            && !e.from_placeholder
            && last.contains("password")
            && catalog::is_sample_secret(&value)
        {
            default_passwords.push(k.clone());
        }
    }
    let fips = s.bool("xpack.security.fipsMode.enabled").unwrap_or(false)
        || s.bool("xpack.fips_mode.enabled").unwrap_or(false)
        || s.bool("fips_mode.enabled").unwrap_or(false);
    ComponentFacts {
        kind: c.kind.as_str().into(),
        oss: c.oss,
        mesh_mtls: c.mesh_mtls.clone().unwrap_or_default(),
        security_off_reason: if c.oss {
            "the Kibana OSS build (an -oss image) has no X-Pack features".into()
        } else if c.peers.cluster_security_off {
            "the cluster this Kibana reaches runs without security (see ES-SEC-001 there), \
             so Kibana's own security features are off too"
                .into()
        } else {
            String::new()
        },
        name: c.name.clone(),
        settings,
        explicit,
        unresolved,
        es_urls,
        plain_remote_es_urls,
        plain_es_urls,
        server_exposed,
        plain_network_inputs: plain_network_inputs(c),
        key_lengths,
        sample_keys,
        verification_none,
        verification_certificate,
        legacy_protocols,
        weak_ciphers,
        elastic_user,
        default_passwords,
        fips,
        pipeline_only: c.pipeline_only,
        peers: c.peers.clone(),
        all_es_urls,
        node_legacy_tls: c
            .node_options
            .iter()
            .filter(|(f, _)| node_option_class(f) == Some("legacy_tls"))
            .map(|(f, _)| f.clone())
            .collect(),
        node_weak_crypto: c
            .node_options
            .iter()
            .filter(|(f, _)| node_option_class(f) == Some("weak_crypto"))
            .map(|(f, _)| f.clone())
            .collect(),
        keystore_present: c.keystore.is_some(),
        keystore_password_source: c
            .keystore
            .as_ref()
            .and_then(|k| k.password_source.clone())
            .unwrap_or_default(),
        ca_certificates: c.cas.iter().map(|ca| ca.certificates.len() as i64).sum(),
        kibana_plain_remote: s.value("setup.kibana.host").is_some_and(|h| {
            let h = h.to_string();
            let plain = if h.contains("://") {
                h.to_ascii_lowercase().starts_with("http://")
            } else {
                text("setup.kibana.protocol").is_none_or(|p| p == "http")
            };
            plain && remote(&h)
        }),
    }
}

/// RC4, DES/3DES, NULL, EXPORT, MD5, anonymous, and the Go `*-CBC-SHA` suites.
pub fn weak_cipher(c: &str) -> bool {
    let u = c.trim().to_ascii_uppercase();
    catalog::is_broken_suite(&u)
        || u.contains("RC4")
        || u.contains("3DES")
        || u.contains("DES-CBC")
        || u.contains("NULL")
        || u.contains("EXPORT")
        || u.contains("MD5")
        || u.ends_with("-CBC-SHA")
        || u == "ALL"
}

pub fn setting_facts(component: &str, setting: &Setting) -> ComponentSettingFacts {
    let secret = is_component_secret(&setting.key);
    let value = setting.value.to_string();
    ComponentSettingFacts {
        component: component.to_string(),
        key: setting.key.clone(),
        value: if secret { String::new() } else { value.clone() },
        secret,
        literal_secret: secret
            && !setting.from_placeholder
            && !value.trim().is_empty()
            && value != "[]",
        sample: secret && catalog::is_sample_secret(&value),
        length: value.chars().count() as i64,
        values: if secret {
            vec![]
        } else {
            setting.value.as_list()
        },
        name: setting
            .key
            .rsplit('.')
            .next()
            .unwrap_or(&setting.key)
            .to_string(),
        from_placeholder: setting.from_placeholder,
    }
}

/// Logstash inputs that accept events from other hosts without TLS (see
/// `ComponentFacts::plain_network_inputs`).
fn plain_network_inputs(c: &Component) -> Vec<String> {
    plain_network_input_plugins(c)
        .into_iter()
        .map(|(text, _)| text)
        .collect()
}

/// Places a component's failures point at that no single setting names: its first input
/// without TLS, and its first Elasticsearch URL of each scheme (a setting or a pipeline
/// output), as `place:plain_network_input`, `place:es_url_http` and `place:es_url_https`.
pub fn derived_places(c: &Component) -> Vec<(String, Place)> {
    let mut out = Vec::new();
    if let Some((_, p)) = plain_network_input_plugins(c).into_iter().next() {
        out.push((
            "plain_network_input".to_string(),
            Place {
                location: p.location.clone(),
                object: format!("{}:{}", p.section, p.name),
            },
        ));
    }
    let from_settings = [
        "xpack.monitoring.elasticsearch.hosts",
        "xpack.management.elasticsearch.hosts",
    ]
    .into_iter()
    .filter_map(|k| c.settings.get(k))
    .map(|s| {
        (
            s.value.as_list(),
            s.location.clone(),
            format!("setting:{}", s.key),
        )
    });
    let from_outputs = c
        .pipelines
        .iter()
        .filter(|p| p.name == "elasticsearch" && p.section == "output")
        .map(|p| {
            let at = p.options.get("hosts").map_or(&p.location, |h| &h.location);
            (
                plugin_facts(p).hosts,
                at.clone(),
                format!("output:{}", p.name),
            )
        });
    let urls: Vec<_> = from_settings.chain(from_outputs).collect();
    for scheme in ["http", "https"] {
        let prefix = format!("{scheme}://");
        if let Some((_, location, object)) = urls.iter().find(|(hosts, _, _)| {
            hosts
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with(&prefix))
        }) {
            out.push((
                format!("es_url_{scheme}"),
                Place {
                    location: location.clone(),
                    object: object.clone(),
                },
            ));
        }
    }
    out
}

/// The inputs of [`plain_network_inputs`], with their plugins.
fn plain_network_input_plugins(c: &Component) -> Vec<(String, &PipelinePlugin)> {
    let mut out = Vec::new();
    for p in c.pipelines.iter().filter(|p| p.section == "input") {
        let s = &p.options;
        let (default_port, tls_keys): (Option<u16>, &[&str]) = match p.name.as_str() {
            "beats" | "elastic_agent" => (None, &["ssl_enabled", "ssl"]),
            "tcp" => (None, &["ssl_enabled", "ssl_enable"]),
            "http" => (Some(8080), &["ssl_enabled", "ssl"]),
            _ => continue,
        };
        if tls_keys.iter().any(|k| s.bool(k) == Some(true)) {
            continue;
        }
        let host = s
            .value("host")
            .map(|v| v.to_string())
            .unwrap_or_else(|| "0.0.0.0".into());
        if is_loopback(&host) {
            continue;
        }
        let port = s
            .value("port")
            .and_then(|v| v.to_string().parse::<u16>().ok())
            .or(default_port);
        // In a container, only a published port is reached from other hosts.
        if let (Some(published), Some(port)) = (&c.published, port)
            && !published.iter().any(|pp| {
                pp.container_port == port && (pp.host_ip.is_empty() || !is_loopback(&pp.host_ip))
            })
        {
            continue;
        }
        let port = port.map(|p| p.to_string()).unwrap_or_else(|| "?".into());
        let text = format!(
            "{} on {host}:{port} ({}:{})",
            p.name,
            p.location.path,
            p.location.line.unwrap_or(0)
        );
        out.push((text, p));
    }
    out
}

pub fn plugin_facts(p: &PipelinePlugin) -> PluginFacts {
    let s = &p.options;
    let (explicit, unresolved) = explicit_and_unresolved(s);
    let hosts = s
        .value("hosts")
        .map(SettingValue::as_list)
        .unwrap_or_default();
    let ssl_off = s.bool("ssl_enabled") == Some(false) || s.bool("ssl") == Some(false);
    let ssl_on = s.bool("ssl_enabled") == Some(true) || s.bool("ssl") == Some(true);
    let uses_cloud_id = s.get("cloud_id").is_some();
    let plain_hosts: Vec<String> = if uses_cloud_id && !ssl_off {
        vec![]
    } else {
        let defaulted = if hosts.is_empty() && p.section == "output" {
            vec!["//127.0.0.1".to_string()]
        } else {
            hosts.clone()
        };
        defaulted
            .into_iter()
            .filter(|h| {
                let l = h.to_ascii_lowercase();
                ssl_off || l.starts_with("http://") || (!l.starts_with("https://") && !ssl_on)
            })
            .collect()
    };
    let plain_remote_hosts = plain_hosts.iter().filter(|h| remote(h)).cloned().collect();
    PluginFacts {
        section: p.section.clone(),
        name: p.name.clone(),
        settings: effective(s),
        explicit,
        unresolved,
        hosts,
        plain_hosts,
        plain_remote_hosts,
        uses_cloud_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(url_host("https://user@es-1:9200/x"), "es-1");
        assert_eq!(url_host("10.0.0.1:9200"), "10.0.0.1");
        assert_eq!(url_host("//127.0.0.1"), "127.0.0.1");
        assert_eq!(url_host("http://[::1]:9200"), "::1");
        assert!(!remote("http://localhost:9200"));
        assert!(remote("http://elasticsearch:9200"));
    }

    #[test]
    fn samples() {
        assert!(catalog::is_sample_secret("changeme"));
        assert!(catalog::is_sample_secret(
            "something_at_least_32_characters"
        ));
        assert!(!catalog::is_sample_secret(
            "2f9b1c0e8a7d6c5b4a3f2e1d0c9b8a7f"
        ));
    }
}
