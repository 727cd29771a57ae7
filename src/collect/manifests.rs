//! Configs inside deployment files: docker-compose services (settings passed as environment),
//! Kubernetes manifests (ECK `Elasticsearch`, `Kibana`, `Beat`, `Agent`, `Logstash` resources and
//! ConfigMaps holding config files) and Helm values (`esConfig`, `kibanaConfig`, …).
//!
//! Every node or component found becomes a target of its own, judged by the same rules as a
//! plain config file; locations point into the deployment file. A config embedded as a block
//! scalar is parsed on its own and its positions moved by the block's first line and indent.

use super::components::{
    self, Embed, component_settings, new_component, pipeline_plugins, starts_like_pipeline,
};
use super::compose_env::interpolate;
use super::display;
use super::es_config::{parse_settings, read_text, settings_from_node};
use crate::evidence::component::{Component, ComponentKind};
use crate::evidence::settings::substitute_placeholders;
use crate::evidence::{
    EsNode, EsVersion, InputError, Location, Setting, SettingValue, Settings, VersionSource,
};
use crate::yaml::{self, Node, NodeKind};
use std::path::Path;

/// `docker-compose*.yml`, `compose*.yaml` and the like.
pub fn is_compose(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    (name.ends_with(".yml") || name.ends_with(".yaml"))
        && (name.starts_with("docker-compose") || name.starts_with("compose"))
}

const HELM_KEYS: &[&str] = &[
    "esConfig",
    "kibanaConfig",
    "logstashConfig",
    "logstashPipeline",
    "filebeatConfig",
    "metricbeatConfig",
];

/// The text of a YAML file that is a Kubernetes manifest (`apiVersion` and `kind` at the top
/// level of a document) or Helm values with an embedded Elastic config. Decided cheaply.
pub fn is_manifest(text: &str) -> bool {
    let top = |key: &str| text.lines().any(|l| l.starts_with(key));
    // The Beats charts keep their config under `daemonset:` or `deployment:`.
    let nested = |key: &str| text.lines().any(|l| l.trim_start().starts_with(key));
    (top("apiVersion:") && top("kind:"))
        || HELM_KEYS.iter().any(|k| top(&format!("{k}:")))
        || (top("security:") && nested("elasticPassword:"))
        || ((top("daemonset:") || top("deployment:"))
            && (nested("filebeatConfig:") || nested("metricbeatConfig:")))
}

/// What one deployment file holds.
#[derive(Default)]
pub struct Found {
    pub nodes: Vec<EsNode>,
    pub components: Vec<Component>,
    /// Config files a compose service mounts and that were judged as part of it: not to be
    /// judged again on their own.
    pub claimed: Vec<std::path::PathBuf>,
    /// The ConfigMaps with data this file defines, by name, and the nodes and components read
    /// from each.
    configmaps: std::collections::BTreeMap<String, Vec<Read>>,
    /// Containers judged bare because a ConfigMap they mount is not in this file.
    mounts_elsewhere: Vec<MountElsewhere>,
    /// The nodes and components made of Kubernetes resources, with their namespace.
    in_namespace: Vec<(Read, String)>,
    /// Service-mesh policies that make every connection to a pod mutual TLS.
    mesh_policies: Vec<MeshPolicy>,
}

/// An Istio `PeerAuthentication` with `mtls.mode: STRICT` and no workload selector: the pods
/// of its namespace (of the whole mesh in `istio-system`, or when the file names none) accept
/// only mutual-TLS connections from the mesh's sidecars.
struct MeshPolicy {
    namespace: Option<String>,
    /// How findings name it: kind, name and where it is written.
    described: String,
}

impl MeshPolicy {
    fn covers(&self, namespace: &str) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|n| n == "istio-system" || n == namespace)
    }
}

/// What a container brings to the config it mounts: its image and its environment.
#[derive(Clone)]
struct Container {
    image: String,
    /// `None` for Elasticsearch.
    kind: Option<ComponentKind>,
    /// The settings its environment sets.
    from_env: Settings,
    /// Its literal environment values, for `${VAR}` in the config.
    env: std::collections::BTreeMap<String, String>,
    /// Where it is declared: what the image decides by itself is located there.
    at: Location,
}

/// A container judged bare (`read`) whose ConfigMaps (`maps`) another file may define.
struct MountElsewhere {
    maps: Vec<String>,
    container: Container,
    read: Read,
}

impl Found {
    /// Puts a container over a node or component read from a ConfigMap it mounts: the
    /// environment over the file, the image's version and flavour. False when the config is
    /// not for that container's image.
    fn mount(&mut self, read: Read, container: &Container) -> bool {
        let image = &container.image;
        match read {
            Read::Node(i) if container.kind.is_none() => {
                let node = &mut self.nodes[i];
                merge_env(&mut node.settings, &container.from_env, &container.env);
                // A ConfigMap is mounted read-only: no auto-configuration.
                if let Some((v, from)) =
                    es_image_defaults(image, &mut node.settings, &container.at, false)
                {
                    node.version = v;
                    node.version_source = VersionSource::Distribution(from);
                }
            }
            Read::Component(i) if Some(self.components[i].kind) == container.kind => {
                let c = &mut self.components[i];
                c.oss = oss_image(image);
                merge_env(&mut c.settings, &container.from_env, &container.env);
            }
            _ => return false,
        }
        true
    }

    /// Puts `container` over every config read from the ConfigMap `map` of this file; false
    /// when none is for its image.
    fn mount_map(&mut self, map: &str, container: &Container) -> bool {
        let reads = self.configmaps.get(map).cloned().unwrap_or_default();
        let mut judged = false;
        for read in reads {
            judged |= self.mount(read, container);
        }
        judged
    }

    /// The namespace of a node or component made of a Kubernetes resource.
    fn namespace_of(&self, read: Read) -> Option<&str> {
        self.in_namespace
            .iter()
            .find(|(r, _)| *r == read)
            .map(|(_, n)| n.as_str())
    }

    /// Drops the nodes and components made of the given containers.
    fn drop_reads(&mut self, dropped: &std::collections::BTreeSet<Read>) {
        let mut i = 0;
        self.nodes.retain(|_| {
            i += 1;
            !dropped.contains(&Read::Node(i - 1))
        });
        let mut i = 0;
        self.components.retain(|_| {
            i += 1;
            !dropped.contains(&Read::Component(i - 1))
        });
    }
}

/// Links what two files of one folder (`folder_of` gives each file's folder) say about each
/// other, once every file is read.
///
/// A workload and the ConfigMap it mounts are often kept in two files: a container judged
/// bare because its ConfigMap was not in its own file is put over the ConfigMap's config in a
/// sibling file, and judged there, once. A file scanned alone keeps it, judged by image and
/// environment. A mesh policy (Istio STRICT mutual TLS) marks the nodes and components of the
/// namespaces it covers.
pub fn settle<K: PartialEq>(files: &mut [Found], folder_of: impl Fn(usize) -> K) {
    let mut dropped = vec![std::collections::BTreeSet::new(); files.len()];
    for (from, mount) in take_each(files, |f| &mut f.mounts_elsewhere) {
        // A pod mounts ConfigMaps of its own namespace only.
        let namespace = files[from].namespace_of(mount.read).map(str::to_string);
        let mut judged = false;
        for to in (0..files.len()).filter(|&j| j != from && folder_of(j) == folder_of(from)) {
            for map in &mount.maps {
                let same_namespace = files[to].configmaps.get(map).is_some_and(|reads| {
                    reads
                        .iter()
                        .all(|r| files[to].namespace_of(*r) == namespace.as_deref())
                });
                if same_namespace {
                    judged |= files[to].mount_map(map, &mount.container);
                }
            }
        }
        if judged {
            dropped[from].insert(mount.read);
        }
    }
    for (from, policy) in &take_each(files, |f| &mut f.mesh_policies) {
        for to in (0..files.len()).filter(|&j| folder_of(j) == folder_of(*from)) {
            let file = &mut files[to];
            for (read, namespace) in &file.in_namespace {
                if !policy.covers(namespace) {
                    continue;
                }
                let mesh = Some(policy.described.clone());
                match *read {
                    Read::Node(i) => file.nodes[i].mesh_mtls = mesh,
                    Read::Component(i) => file.components[i].mesh_mtls = mesh,
                }
            }
        }
    }
    for (file, dropped) in files.iter_mut().zip(&dropped) {
        file.drop_reads(dropped);
    }
}

/// Takes a list out of every file, each entry with the index of its file.
fn take_each<T>(files: &mut [Found], list: impl Fn(&mut Found) -> &mut Vec<T>) -> Vec<(usize, T)> {
    let mut out = Vec::new();
    for (i, f) in files.iter_mut().enumerate() {
        out.extend(std::mem::take(list(f)).into_iter().map(|t| (i, t)));
    }
    out
}

fn err_at(path: &str, message: String) -> InputError {
    InputError {
        path: path.to_string(),
        message,
    }
}

/// Reads a compose file, manifest or values file. Problems inside one embedded config are
/// errors beside what the rest of the file gave.
pub fn load(path: &Path, compose: bool) -> (Found, Vec<InputError>) {
    match read_text(path) {
        Ok(text) => load_text(path, &text, compose),
        Err(m) => (Found::default(), vec![err_at(&display(path), m)]),
    }
}

/// Like [`load`], for the text of the file at `path` (already read).
pub fn load_text(path: &Path, text: &str, compose: bool) -> (Found, Vec<InputError>) {
    let mut found = Found::default();
    let mut errors = Vec::new();
    let shown = display(path);
    let docs = match yaml::parse(text) {
        Ok(d) => d,
        Err(e) => return (found, vec![err_at(&shown, format!("invalid YAML at {e}"))]),
    };
    let eck_http = docs
        .iter()
        .filter(|d| d.get("kind").and_then(Node::as_str) == Some("Elasticsearch"))
        .filter_map(|d| {
            let name = d.get("metadata")?.get("name")?.as_str()?.to_string();
            Some((
                (namespace_of(d), name),
                d.get("spec").is_none_or(eck_http_tls),
            ))
        })
        .collect();
    // Compose interpolates the file with the `.env` beside it.
    let vars = if compose {
        super::compose_env::read_env_file(&path.parent().unwrap_or(Path::new(".")).join(".env"))
    } else {
        Default::default()
    };
    let mut ctx = Ctx {
        eck_http,
        vars,
        path,
        shown: &shown,
        text,
        found: &mut found,
        errors: &mut errors,
    };
    for doc in &docs {
        if compose {
            ctx.compose(doc);
        } else if doc.get("kind").is_some() {
            ctx.in_namespace_of(doc, |ctx| ctx.kubernetes(doc));
        } else if HELM_KEYS.iter().any(|k| {
            doc.get(k).is_some()
                || ["daemonset", "deployment"]
                    .iter()
                    .any(|s| doc.get(s).and_then(|s| s.get(k)).is_some())
        }) {
            ctx.helm(doc);
        } else if is_bitnami(doc) {
            ctx.bitnami(doc);
        }
    }
    // Workloads last: the ConfigMaps they mount are read by then.
    if !compose {
        for doc in &docs {
            ctx.in_namespace_of(doc, |ctx| ctx.workload(doc));
        }
    }
    (found, errors)
}

/// A node or component read from a ConfigMap (or made of a container): its index in [`Found`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Read {
    Node(usize),
    Component(usize),
}

struct Ctx<'a> {
    /// ECK `Elasticsearch` resources of the file by namespace and name, and whether they serve
    /// HTTPS.
    eck_http: std::collections::BTreeMap<(String, String), bool>,
    /// A compose file's interpolation variables (its `.env`).
    vars: std::collections::BTreeMap<String, String>,
    path: &'a Path,
    shown: &'a str,
    text: &'a str,
    found: &'a mut Found,
    errors: &'a mut Vec<InputError>,
}

fn text_of(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::as_str).map(str::to_string)
}

/// Compose's `${VAR:-default}` / `${VAR-default}` written as the `${VAR:default}` the settings
/// reader knows.
fn compose_placeholders(value: &str) -> String {
    value.replace(":-", ":").replace(":?", ":")
}

/// A config value that is one `${VAR}` takes the container's value for it; it stays a
/// placeholder (not text written in the file). A value mixing text and variables is left
/// unresolved.
fn fill_from_env(setting: &mut Setting, env: &std::collections::BTreeMap<String, String>) {
    if let [var] = setting.unresolved.as_slice()
        && setting.value.to_string().is_empty()
        && let Some(value) = env.get(var)
    {
        setting.value = SettingValue::from_text(value);
        setting.unresolved.clear();
    }
}

/// A mounted config with the container's environment over it: a setting the environment sets
/// replaces the file's (the images pass it on the command line), and a file value that is one
/// `${VAR}` takes the environment's value.
fn merge_env(
    settings: &mut Settings,
    from_env: &Settings,
    env: &std::collections::BTreeMap<String, String>,
) {
    let set_by_env: std::collections::HashSet<&String> = from_env.keys().collect();
    let mut merged = Settings::default();
    for s in std::mem::take(&mut settings.entries) {
        if set_by_env.contains(&s.key) {
            continue;
        }
        let mut s = s;
        fill_from_env(&mut s, env);
        merged.push(s);
    }
    for s in &from_env.entries {
        merged.push(s.clone());
    }
    *settings = merged;
}

/// What elastic/helm-charts' Elasticsearch chart sets on the container when `createCert` is
/// on: security, and TLS on both layers with the certificates it generates.
fn helm_create_cert(settings: &mut Settings, at: &Location) {
    let certs = "/usr/share/elasticsearch/config/certs";
    let text = |v: String| SettingValue::Text(v);
    let mut written = vec![
        ("xpack.security.enabled", SettingValue::Bool(true)),
        (
            "xpack.security.transport.ssl.enabled",
            SettingValue::Bool(true),
        ),
        ("xpack.security.http.ssl.enabled", SettingValue::Bool(true)),
        (
            "xpack.security.transport.ssl.verification_mode",
            text("certificate".into()),
        ),
    ];
    for layer in ["transport", "http"] {
        for (what, file) in [
            ("key", "tls.key"),
            ("certificate", "tls.crt"),
            ("certificate_authorities", "ca.crt"),
        ] {
            let key: &'static str = match (layer, what) {
                ("transport", "key") => "xpack.security.transport.ssl.key",
                ("transport", "certificate") => "xpack.security.transport.ssl.certificate",
                ("transport", _) => "xpack.security.transport.ssl.certificate_authorities",
                (_, "key") => "xpack.security.http.ssl.key",
                (_, "certificate") => "xpack.security.http.ssl.certificate",
                _ => "xpack.security.http.ssl.certificate_authorities",
            };
            written.push((key, text(format!("{certs}/{file}"))));
        }
    }
    for (key, value) in written {
        if settings.get(key).is_none() {
            managed(settings, key, value, at);
        }
    }
}

/// Values of Bitnami's Elasticsearch chart: a `security` section with `elasticPassword`.
fn is_bitnami(doc: &Node) -> bool {
    doc.get("security")
        .is_some_and(|s| s.get("elasticPassword").is_some())
}

/// The words of a command (a list, or a string split as a shell would), each with the item
/// it is written in.
fn command_words(command: &Node) -> Vec<(String, &Node)> {
    let items: Vec<&Node> = match &command.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Scalar { .. } => vec![command],
        NodeKind::Map(_) => return vec![],
    };
    let mut words = Vec::new();
    for item in items {
        if let Some(t) = item.as_str() {
            if matches!(command.kind, NodeKind::Seq(_)) {
                words.push((t.to_string(), item));
            } else {
                words.extend(shell_words(t).into_iter().map(|w| (w, item)));
            }
        }
    }
    words
}

/// A compose service that runs once and exits: `restart: "no"` with its own command, or a
/// command that makes certificates, sets passwords or calls the API. A node behind a wrapper
/// script (`entrypoint: …/docker-entrypoint.sh`) is still a node.
fn one_shot_setup(service: &Node) -> bool {
    // A service kept out of `docker compose up` by a setup-like profile, or one with no network
    // at all, serves nothing: it is a step run by hand (docker-elk's `setup`, `tls`,
    // `kibana-genkeys`).
    let setup_profile = match service.get("profiles").map(|p| &p.kind) {
        Some(NodeKind::Seq(items)) => {
            !items.is_empty()
                && items.iter().filter_map(Node::as_str).all(|p| {
                    ["setup", "init", "certs", "tools", "bootstrap"]
                        .iter()
                        .any(|w| p.to_ascii_lowercase().contains(w))
                })
        }
        _ => false,
    };
    let no_network = service
        .get("network_mode")
        .and_then(Node::as_str)
        .is_some_and(|m| m == "none");
    if setup_profile || no_network {
        return true;
    }
    let mut words = String::new();
    for key in ["command", "entrypoint"] {
        match service.get(key).map(|n| &n.kind) {
            Some(NodeKind::Seq(items)) => {
                for i in items {
                    words.push_str(i.as_str().unwrap_or_default());
                    words.push(' ');
                }
            }
            Some(_) => words.push_str(service.get(key).and_then(Node::as_str).unwrap_or_default()),
            None => {}
        }
    }
    if words.trim().is_empty() {
        return false;
    }
    let restart_no = service
        .get("restart")
        .and_then(Node::as_str)
        .is_some_and(|r| r == "no" || r == "on-failure");
    let setup = [
        "certutil",
        "encryption-keys",
        "setup-passwords",
        "reset-password",
        "elasticsearch-keystore",
        "curl ",
        "wget ",
        "setup.sh",
        "/setup",
    ]
    .iter()
    .any(|w| words.contains(w));
    restart_no || setup
}

/// The official Kibana and Elasticsearch images bind to all interfaces unless told otherwise
/// (their bundled config says `0.0.0.0`): a service or container that mounts no config of its
/// own and sets no bind address gets that default, written where it is declared.
fn image_bind_default(kind: Option<ComponentKind>, settings: &mut Settings, at: &Location) {
    let bind_key = match kind {
        Some(ComponentKind::Kibana) => "server.host",
        None => "network.host",
        Some(_) => return,
    };
    if settings.get(bind_key).is_some() {
        return;
    }
    let mut with_default = Settings::default();
    managed(
        &mut with_default,
        bind_key,
        SettingValue::Text("0.0.0.0".into()),
        at,
    );
    for s in std::mem::take(&mut settings.entries) {
        with_default.push(s);
    }
    *settings = with_default;
}

/// The `kibana.yml` of Kibana's image names a cluster of its own, `http://elasticsearch:9200`
/// (as `elasticsearch.url` in 6.x, `elasticsearch.hosts` after): a container that mounts no
/// config and sets neither reaches that.
fn kibana_image_hosts_default(settings: &mut Settings, at: &Location) {
    if settings.get("elasticsearch.hosts").is_none() && settings.get("elasticsearch.url").is_none()
    {
        managed(
            settings,
            "elasticsearch.hosts",
            SettingValue::Text("http://elasticsearch:9200".into()),
            at,
        );
    }
}

/// Whether an official 8.x+ image configures security itself on first start (Elastic's
/// `AutoConfigureNode`): unless it is switched off, `xpack.security.enabled` is written at all
/// (even `true`), TLS or enrollment is configured by hand, or the node is set to join a
/// multi-node cluster.
fn auto_configures(version: EsVersion, settings: &Settings) -> bool {
    let off = |key: &str| settings.bool(key) == Some(false);
    version.major >= 8
        && !off("xpack.security.autoconfiguration.enabled")
        && settings.get("xpack.security.enabled").is_none()
        && !settings.any_with_prefix("xpack.security.http.ssl.")
        && !settings.any_with_prefix("xpack.security.transport.ssl.")
        && settings.get("xpack.security.enrollment.enabled").is_none()
        && (settings.text("discovery.type") == Some("single-node")
            || [
                "discovery.seed_hosts",
                "discovery.seed_providers",
                "cluster.initial_master_nodes",
            ]
            .iter()
            .all(|k| settings.get(k).is_none()))
}

/// What auto-configuration writes into the container's elasticsearch.yml (its certificates
/// are made inside the container, under `config/certs`).
fn auto_configuration(settings: &mut Settings, at: &Location) {
    let certs = "/usr/share/elasticsearch/config/certs";
    let text = |v: &str| SettingValue::Text(v.to_string());
    for (key, value) in [
        ("xpack.security.enabled", SettingValue::Bool(true)),
        (
            "xpack.security.enrollment.enabled",
            SettingValue::Bool(true),
        ),
        ("xpack.security.http.ssl.enabled", SettingValue::Bool(true)),
        (
            "xpack.security.http.ssl.keystore.path",
            text(&format!("{certs}/http.p12")),
        ),
        (
            "xpack.security.transport.ssl.enabled",
            SettingValue::Bool(true),
        ),
        (
            "xpack.security.transport.ssl.verification_mode",
            text("certificate"),
        ),
        (
            "xpack.security.transport.ssl.keystore.path",
            text(&format!("{certs}/transport.p12")),
        ),
        (
            "xpack.security.transport.ssl.truststore.path",
            text(&format!("{certs}/transport.p12")),
        ),
    ] {
        if settings.get(key).is_none() {
            managed(settings, key, value, at);
        }
    }
}

/// The version in an image reference such as `docker.elastic.co/elasticsearch/elasticsearch:8.15.0`.
fn image_version(image: &str) -> Option<EsVersion> {
    let tag = image.rsplit_once(':')?.1;
    if tag.contains('/') {
        return None;
    }
    EsVersion::parse(tag.split('-').next()?)
}

/// What an official Elasticsearch image decides by itself where no setting says otherwise,
/// written into `settings` as settings located at `at` (the container); returns the image's
/// version and how it was learnt. 8.x+ auto-configures security and TLS on first start, which
/// rewrites `elasticsearch.yml`: not where that file is a read-only ConfigMap
/// (`writable_config` false).
fn es_image_defaults(
    image: &str,
    settings: &mut Settings,
    at: &Location,
    writable_config: bool,
) -> Option<(EsVersion, String)> {
    let parsed = image_version(image);
    let auto = writable_config && parsed.is_some_and(|v| auto_configures(v, settings));
    if auto {
        auto_configuration(settings, at);
    }
    // Elastic's 5.x images ship X-Pack, whose security is on unless switched off.
    let xpack_5 = parsed.is_some_and(|v| v.major == 5) && image.starts_with("docker.elastic.co/");
    // Elastic's 6.x `-platinum` image starts a trial licence with security on.
    let platinum_6 = parsed.is_some_and(|v| v.major == 6)
        && image_name(image).starts_with("elasticsearch-platinum");
    if platinum_6 && settings.get("xpack.license.self_generated.type").is_none() {
        managed(
            settings,
            "xpack.license.self_generated.type",
            SettingValue::Text("trial".into()),
            at,
        );
    }
    // The `-oss` builds have no security plugin: off, and no setting could say otherwise.
    let image_security = if xpack_5 || platinum_6 {
        Some(true)
    } else if oss_image(image) {
        Some(false)
    } else {
        None
    };
    if let Some(on) = image_security
        && settings.get("xpack.security.enabled").is_none()
    {
        managed(
            settings,
            "xpack.security.enabled",
            SettingValue::Bool(on),
            at,
        );
    }
    parsed.map(|v| {
        let from = if auto {
            format!("image {image}; security and TLS by auto-configuration")
        } else {
            format!("image {image}")
        };
        (v, from)
    })
}

const KIBANA_ENV_KEYS: &[&str] = &[
    "elasticsearch.hosts",
    // Kibana 6.x.
    "elasticsearch.url",
    "elasticsearch.username",
    "elasticsearch.password",
    "elasticsearch.serviceAccountToken",
    "elasticsearch.ssl.verificationMode",
    "elasticsearch.ssl.certificateAuthorities",
    "server.host",
    "server.name",
    "server.publicBaseUrl",
    "server.ssl.enabled",
    "server.ssl.certificate",
    "server.ssl.key",
    "server.ssl.supportedProtocols",
    "server.xsrf.disableProtection",
    "status.allowAnonymous",
    "csp.strict",
    "xpack.security.enabled",
    "xpack.security.encryptionKey",
    "xpack.encryptedSavedObjects.encryptionKey",
    "xpack.reporting.encryptionKey",
    "xpack.security.audit.enabled",
    "xpack.security.secureCookies",
    "xpack.security.sameSiteCookies",
    "xpack.security.session.idleTimeout",
    "xpack.security.session.lifespan",
    "xpack.security.fipsMode.enabled",
    "xpack.reporting.capture.browser.chromium.disableSandbox",
];

const LOGSTASH_ENV_KEYS: &[&str] = &[
    "node.name",
    "api.enabled",
    "api.http.host",
    "api.ssl.enabled",
    "api.auth.type",
    "allow_superuser",
    "config.debug",
    "log.level",
    "xpack.monitoring.enabled",
    "xpack.monitoring.elasticsearch.hosts",
    "xpack.monitoring.elasticsearch.username",
    "xpack.monitoring.elasticsearch.password",
    "xpack.monitoring.elasticsearch.ssl.verification_mode",
    "xpack.management.elasticsearch.hosts",
    "xpack.management.elasticsearch.username",
    "xpack.management.elasticsearch.password",
];

/// The setting an environment variable sets in an official image: dotted names as they are,
/// `ES_SETTING_A_B__C` (Elasticsearch 8+), or the upper-case form of a known setting.
fn env_setting(kind: Option<ComponentKind>, name: &str) -> Option<String> {
    if name.contains('.') {
        return Some(name.to_string());
    }
    let known: &[&str] = match kind {
        None => {
            let rest = name.strip_prefix("ES_SETTING_")?;
            return Some(
                rest.split("__")
                    .map(|p| p.replace('_', ".").to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join("_"),
            );
        }
        Some(ComponentKind::Kibana) => KIBANA_ENV_KEYS,
        Some(ComponentKind::Logstash) => LOGSTASH_ENV_KEYS,
        Some(_) => return None,
    };
    known
        .iter()
        .find(|k| k.replace('.', "_").eq_ignore_ascii_case(name))
        .map(|k| k.to_string())
}

/// A setting from a compose value: interpolated with the file's variables (a value taken from
/// them counts as a placeholder, not as text written in the file); what stays undefined is
/// unresolved.
fn push_setting(
    settings: &mut Settings,
    key: String,
    raw: &str,
    location: Location,
    vars: &std::collections::BTreeMap<String, String>,
) {
    let interpolated = interpolate(raw, vars);
    let (value, unresolved, from_placeholder) =
        substitute_placeholders(&compose_placeholders(&interpolated));
    settings.push(Setting {
        key,
        value: SettingValue::from_text(&value),
        unresolved,
        from_placeholder: from_placeholder || raw.contains('$'),
        location,
        occurrence: 0,
    });
}

/// A setting the operator (ECK) writes itself: not in the file, so never a plaintext secret.
fn managed(settings: &mut Settings, key: &str, value: SettingValue, location: &Location) {
    settings.push(Setting {
        key: key.to_string(),
        value,
        unresolved: vec![],
        from_placeholder: true,
        location: location.clone(),
        occurrence: 0,
    });
}

/// ECK serves HTTP with TLS unless `spec.http.tls.selfSignedCertificate.disabled` is true.
fn eck_http_tls(spec: &Node) -> bool {
    eck_tls_disabled_at(spec).is_none()
}

/// The `disabled: true` node that turns off an ECK resource's HTTP TLS, if any: findings about
/// it point there.
fn eck_tls_disabled_at(spec: &Node) -> Option<&Node> {
    spec.get("http")
        .and_then(|h| h.get("tls"))
        .and_then(|t| t.get("selfSignedCertificate"))
        .and_then(|s| s.get("disabled"))
        .filter(|d| d.as_str() == Some("true"))
}

/// The namespace of a Kubernetes resource (`default` when none is written).
fn namespace_of(doc: &Node) -> String {
    text_of(doc.get("metadata").and_then(|m| m.get("namespace")))
        .unwrap_or_else(|| "default".into())
}

/// The image's name without registry, repository path or tag: `kibana-oss` for
/// `docker.elastic.co/kibana/kibana-oss:7.10.2`.
fn image_name(image: &str) -> &str {
    let name = image.rsplit('/').next().unwrap_or(image);
    name.split(':').next().unwrap_or(name)
}

/// Elastic's `-oss` images (`kibana-oss:7.10.2`, `elasticsearch-oss:6.8.0`) have no X-Pack.
fn oss_image(image: &str) -> bool {
    image_name(image).ends_with("-oss")
}

fn kind_of_image(image: &str) -> Option<Option<ComponentKind>> {
    Some(match image_name(image) {
        n if n.starts_with("elasticsearch") => None,
        n if n.starts_with("kibana") => Some(ComponentKind::Kibana),
        n if n.starts_with("logstash") => Some(ComponentKind::Logstash),
        n if n.starts_with("elastic-agent") => Some(ComponentKind::Agent),
        n if [
            "filebeat",
            "metricbeat",
            "heartbeat",
            "auditbeat",
            "packetbeat",
            "apm-server",
        ]
        .iter()
        .any(|b| n.starts_with(b)) =>
        {
            Some(ComponentKind::Beat)
        }
        _ => return None,
    })
}

/// The settings the Elastic Beats and Agent images take from their environment: the Beats'
/// bundled config reads `ELASTICSEARCH_HOSTS`, `_USERNAME` and `_PASSWORD` into
/// `output.elasticsearch`; the Agent container's enrollment reads `ELASTICSEARCH_HOST`, `_USERNAME`,
/// `_PASSWORD` and `_CA` for its default output, and `FLEET_INSECURE` turns off verification of
/// Fleet Server's certificate.
fn beat_env_setting(kind: Option<ComponentKind>, name: &str) -> Option<&'static str> {
    Some(match (kind?, name) {
        (ComponentKind::Beat, "ELASTICSEARCH_HOSTS") => "output.elasticsearch.hosts",
        (ComponentKind::Beat, "ELASTICSEARCH_USERNAME") => "output.elasticsearch.username",
        (ComponentKind::Beat, "ELASTICSEARCH_PASSWORD") => "output.elasticsearch.password",
        (ComponentKind::Agent, "ELASTICSEARCH_HOST") => "outputs.default.hosts",
        (ComponentKind::Agent, "ELASTICSEARCH_USERNAME") => "outputs.default.username",
        (ComponentKind::Agent, "ELASTICSEARCH_PASSWORD") => "outputs.default.password",
        (ComponentKind::Agent, "ELASTICSEARCH_CA") => "outputs.default.ssl.certificate_authorities",
        _ => return None,
    })
}

/// The Elastic Agent image's Fleet switches that turn TLS off, as the settings they amount to:
/// `FLEET_INSECURE` (enrolment does not verify Fleet Server), `FLEET_SERVER_ELASTICSEARCH_INSECURE`
/// (Fleet Server does not verify Elasticsearch), `FLEET_SERVER_INSECURE_HTTP` (Fleet Server
/// serves agents over plain HTTP).
fn fleet_env_setting(
    kind: Option<ComponentKind>,
    name: &str,
    value: &str,
) -> Option<(&'static str, &'static str)> {
    if kind != Some(ComponentKind::Agent) {
        return None;
    }
    let on = matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes"
    );
    let (key, set) = match name {
        "FLEET_INSECURE" => ("fleet.ssl.verification_mode", "none"),
        "FLEET_SERVER_ELASTICSEARCH_INSECURE" => {
            ("fleet_server.elasticsearch.ssl.verification_mode", "none")
        }
        "FLEET_SERVER_INSECURE_HTTP" => ("fleet_server.insecure_http", "true"),
        _ => return None,
    };
    on.then_some((key, set))
}

/// A `logstash.keystore` a compose service mounts (the file itself, or a folder holding it),
/// with the volume entry that mounts it.
fn mounted_keystore<'a>(service: &'a Node, dir: &Path) -> Option<(String, &'a Node)> {
    let NodeKind::Seq(volumes) = &service.get("volumes")?.kind else {
        return None;
    };
    volumes.iter().find_map(|v| {
        let source = match v.as_str() {
            Some(t) => t.split(':').next()?.to_string(),
            None => v.get("source")?.as_str()?.to_string(),
        };
        if !(source.starts_with('.') || source.starts_with('/')) {
            return None; // a named volume
        }
        let host = dir.join(&source);
        let file = if host.is_dir() {
            host.join("logstash.keystore")
        } else {
            host
        };
        (file.is_file() && file.file_name().is_some_and(|n| n == "logstash.keystore"))
            .then(|| (file.display().to_string(), v))
    })
}

/// A value written as a YAML flow list (`["http://a:9200","b:9200"]`), as comma text.
fn flow_list(value: &str) -> String {
    let v = value.trim();
    match v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(inner) => inner
            .split(',')
            .map(|i| i.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|i| !i.is_empty())
            .collect::<Vec<_>>()
            .join(","),
        None => v.trim_matches(|c| c == '"' || c == '\'').to_string(),
    }
}

/// Splits a command line as a shell would for plain words and quotes (no expansions).
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for ch in text.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => word.push(ch),
            None if ch == '"' || ch == '\'' => {
                quote = Some(ch);
                in_word = true;
            }
            None if ch.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(ch);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// `-E key=value` pairs of a Beat's or Agent's command line (`-E k=v`, `-E=k=v`, `--E k=v`).
fn e_flags(words: &[String]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let pair = match w {
            "-E" | "--E" => {
                i += 1;
                words.get(i).cloned()
            }
            _ => w
                .strip_prefix("-E=")
                .or_else(|| w.strip_prefix("--E="))
                .map(String::from),
        };
        if let Some(pair) = pair
            && let Some((k, v)) = pair.split_once('=')
        {
            out.push((k.trim().to_string(), v.to_string(), pair.clone()));
        }
        i += 1;
    }
    out
}

impl Ctx<'_> {
    /// The config file a service mounts over its image's own (`volumes:` bind mounts of a file
    /// in the repository onto `…/config/elasticsearch.yml`, `kibana.yml` or `logstash.yml`),
    /// with its settings located in that file.
    fn mounted_config(
        &mut self,
        service: &Node,
        kind: Option<ComponentKind>,
    ) -> Option<(std::path::PathBuf, Settings)> {
        let name = match kind {
            None => "elasticsearch.yml",
            Some(ComponentKind::Kibana) => "kibana.yml",
            Some(ComponentKind::Logstash) => "logstash.yml",
            Some(_) => return None,
        };
        let NodeKind::Seq(volumes) = &service.get("volumes")?.kind else {
            return None;
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let source = volumes.iter().find_map(|v| {
            let (source, target) = match v.as_str() {
                Some(t) => {
                    let t = interpolate(t, &self.vars);
                    let mut parts = t.split(':');
                    (parts.next()?.to_string(), parts.next()?.to_string())
                }
                None => (
                    interpolate(v.get("source")?.as_str()?, &self.vars),
                    v.get("target")?.as_str()?.to_string(),
                ),
            };
            let is_config = target.ends_with(&format!("/config/{name}"));
            let local = source.starts_with('.') || source.starts_with('/');
            // `./x` is shown as `x`, as the user would name it.
            (is_config && local).then(|| {
                Path::new(&source)
                    .components()
                    .filter(|c| !matches!(c, std::path::Component::CurDir))
                    .fold(dir.to_path_buf(), |p, c| p.join(c))
            })
        })?;
        let text = read_text(&source).ok()?;
        let shown = display(&source);
        let parsed = match kind {
            None => parse_settings(&text, &shown),
            Some(_) => component_settings(&text, &Embed::file(&shown)),
        };
        match parsed {
            Ok(settings) => Some((source, settings)),
            Err(e) => {
                // Said once, here: the file is not read again on its own.
                self.errors.push(err_at(&shown, e));
                self.found.claimed.push(source);
                None
            }
        }
    }

    /// The image a service builds from (`build:` with the first `FROM` of its Dockerfile), its
    /// `ARG`s taken from the build's `args` (interpolated) or their defaults.
    fn built_image(&self, service: &Node) -> Option<String> {
        let build = service.get("build")?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let (context, dockerfile) = match build.as_str() {
            Some(context) => (interpolate(context, &self.vars), "Dockerfile".to_string()),
            None => (
                interpolate(
                    build.get("context").and_then(Node::as_str).unwrap_or("."),
                    &self.vars,
                ),
                build
                    .get("dockerfile")
                    .and_then(Node::as_str)
                    .unwrap_or("Dockerfile")
                    .to_string(),
            ),
        };
        let text = read_text(&dir.join(&context).join(dockerfile)).ok()?;
        let mut args = std::collections::BTreeMap::new();
        match build.get("args").map(|a| &a.kind) {
            Some(NodeKind::Map(entries)) => {
                for (k, v) in entries {
                    if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                        args.insert(k.to_string(), interpolate(v, &self.vars));
                    }
                }
            }
            Some(NodeKind::Seq(items)) => {
                for i in items.iter().filter_map(Node::as_str) {
                    if let Some((k, v)) = i.split_once('=') {
                        args.insert(k.to_string(), interpolate(v, &self.vars));
                    }
                }
            }
            _ => {}
        }
        for line in text.lines().map(str::trim) {
            let mut words = line.split_whitespace();
            match words.next().map(str::to_ascii_uppercase).as_deref() {
                Some("ARG") => {
                    let arg = words.next().unwrap_or_default();
                    let (name, default) = arg.split_once('=').unwrap_or((arg, ""));
                    if !default.is_empty() {
                        args.entry(name.to_string())
                            .or_insert_with(|| default.to_string());
                    }
                }
                Some("FROM") => {
                    let image = words.find(|w| !w.starts_with("--"))?;
                    return Some(interpolate(image, &args));
                }
                _ => {}
            }
        }
        None
    }

    /// A Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod whose container runs an
    /// Elastic image and mounts a ConfigMap of this file holding that component's config: a
    /// value of the config that is one `${VAR}` takes the container's `env` value (a literal
    /// `value:`; one from `valueFrom` stays unknown).
    fn workload(&mut self, doc: &Node) {
        let kind = text_of(doc.get("kind")).unwrap_or_default();
        let pod = match kind.as_str() {
            "Pod" => doc.get("spec"),
            "CronJob" => doc
                .get("spec")
                .and_then(|s| s.get("jobTemplate"))
                .and_then(|j| j.get("spec"))
                .and_then(|s| s.get("template"))
                .and_then(|t| t.get("spec")),
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicaSet" => doc
                .get("spec")
                .and_then(|s| s.get("template"))
                .and_then(|t| t.get("spec")),
            _ => None,
        };
        let Some(pod) = pod else { return };
        // Pod volume name -> ConfigMap name.
        let mut volumes = std::collections::BTreeMap::new();
        if let Some(NodeKind::Seq(items)) = pod.get("volumes").map(|v| &v.kind) {
            for v in items {
                if let (Some(name), Some(cm)) = (
                    v.get("name").and_then(Node::as_str),
                    v.get("configMap")
                        .and_then(|c| c.get("name"))
                        .and_then(Node::as_str),
                ) {
                    volumes.insert(name.to_string(), cm.to_string());
                }
            }
        }
        let Some(NodeKind::Seq(containers)) = pod.get("containers").map(|c| &c.kind) else {
            return;
        };
        let owner = doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or(kind.as_str())
            .to_string();
        for container in containers {
            let image = text_of(container.get("image")).unwrap_or_default();
            let Some(image_kind) = kind_of_image(&image) else {
                continue;
            };
            let written: Vec<_> = match container.get("env").map(|e| &e.kind) {
                Some(NodeKind::Seq(items)) => {
                    items.iter().filter_map(|e| self.env_entry(e)).collect()
                }
                _ => vec![],
            };
            let env: std::collections::BTreeMap<String, String> = written
                .iter()
                .filter(|(_, v, _)| !v.contains("${"))
                .map(|(n, v, _)| (n.clone(), v.clone()))
                .collect();
            let mut from_env = Settings::default();
            let node_options = self.env_settings(image_kind, written, &mut from_env);
            if matches!(image_kind, Some(ComponentKind::Beat | ComponentKind::Agent)) {
                self.command_settings(
                    image_kind,
                    &[container.get("command"), container.get("args")],
                    &mut from_env,
                );
            }
            // The ConfigMaps this container mounts, by name.
            let mounted_maps: Vec<&String> = container
                .get("volumeMounts")
                .and_then(|m| match &m.kind {
                    NodeKind::Seq(items) => Some(items),
                    _ => None,
                })
                .into_iter()
                .flatten()
                .filter_map(|m| volumes.get(m.get("name")?.as_str()?))
                .collect();
            let container_facts = Container {
                image: image.clone(),
                kind: image_kind,
                from_env: from_env.clone(),
                env,
                at: self.at(container),
            };
            let mut judged = false;
            for map in &mounted_maps {
                judged |= self.found.mount_map(map, &container_facts);
            }
            if judged {
                continue;
            }
            // ConfigMaps written elsewhere: whether another file of the scan defines them is
            // known once every file is read (`settle`).
            let elsewhere: Vec<String> = mounted_maps
                .iter()
                .filter(|cm| !self.found.configmaps.contains_key(**cm))
                .map(|cm| cm.to_string())
                .collect();
            // No config of its own is mounted: the container is judged by its image and
            // environment, as a compose service is.
            let name = container
                .get("name")
                .and_then(Node::as_str)
                .map_or(owner.clone(), |c| {
                    if c == owner {
                        owner.clone()
                    } else {
                        format!("{owner}/{c}")
                    }
                });
            image_bind_default(image_kind, &mut from_env, &self.at(container));
            if image_kind == Some(ComponentKind::Kibana) {
                kibana_image_hosts_default(&mut from_env, &self.at(container));
            }
            let read;
            match image_kind {
                None => {
                    let version =
                        es_image_defaults(&image, &mut from_env, &self.at(container), true);
                    let mut node = self.new_node("elasticsearch", &name, from_env, version);
                    node.declared_at = Some(self.at(container));
                    self.found.nodes.push(node);
                    read = Read::Node(self.found.nodes.len() - 1);
                }
                Some(kind) => {
                    let i = self.push_component(kind, name, from_env, container);
                    let c = &mut self.found.components[i];
                    c.oss = oss_image(&image);
                    c.node_options = node_options;
                    components::place_node_options(c);
                    read = Read::Component(i);
                }
            }
            if !elsewhere.is_empty() {
                self.found.mounts_elsewhere.push(MountElsewhere {
                    maps: elsewhere,
                    container: container_facts,
                    read,
                });
            }
        }
    }

    /// The settings an Elastic image takes from its container environment (`name`, `value`,
    /// where it is written), added to `settings`; Kibana's `NODE_OPTIONS` flags are returned.
    fn env_settings(
        &self,
        kind: Option<ComponentKind>,
        env: Vec<(String, String, Location)>,
        settings: &mut Settings,
    ) -> Vec<(String, Location)> {
        let mut node_options = Vec::new();
        for (name, value, location) in env {
            if kind == Some(ComponentKind::Kibana) && name == "NODE_OPTIONS" {
                node_options.extend(
                    value
                        .split_whitespace()
                        .map(|f| (f.to_string(), location.clone())),
                );
                continue;
            }
            if let Some((key, setting_value)) = fleet_env_setting(kind, &name, &value) {
                push_setting(
                    settings,
                    key.to_string(),
                    setting_value,
                    location,
                    &self.vars,
                );
                continue;
            }
            if let Some(key) = beat_env_setting(kind, &name) {
                push_setting(
                    settings,
                    key.to_string(),
                    &flow_list(&value),
                    location,
                    &self.vars,
                );
                continue;
            }
            if let Some(key) = env_setting(kind, &name) {
                push_setting(settings, key, &value, location, &self.vars);
            } else if kind.is_none()
                && name == "ELASTIC_PASSWORD"
                && (!value.contains("${")
                    || crate::evidence::catalog::is_sample_secret(&interpolate(&value, &self.vars)))
            {
                // The image writes it to the keystore as bootstrap.password; a literal value
                // here is that secure setting written in a plain file, and a sample default
                // (`${ELASTIC_PASSWORD:-changeme}`, or `changeme` in `.env`) is as good as
                // public.
                push_setting(
                    settings,
                    "bootstrap.password".into(),
                    &value,
                    location,
                    &self.vars,
                );
            }
        }
        node_options
    }

    /// The ports a service publishes on the host (`ports:`, interpolated).
    fn published_ports(&self, service: &Node) -> Vec<super::compose_env::Published> {
        use super::compose_env::{PortEntry, published};
        let Some(NodeKind::Seq(items)) = service.get("ports").map(|p| &p.kind) else {
            return vec![];
        };
        let entries: Vec<PortEntry> = items
            .iter()
            .filter_map(|i| match i.as_str() {
                Some(text) => Some(PortEntry::Short(interpolate(text, &self.vars))),
                None => Some(PortEntry::Long {
                    target: interpolate(i.get("target")?.as_str()?, &self.vars)
                        .parse()
                        .ok()?,
                    host_ip: i
                        .get("host_ip")
                        .and_then(Node::as_str)
                        .map(|h| interpolate(h, &self.vars))
                        .unwrap_or_default(),
                }),
            })
            .collect();
        published(&entries)
    }

    /// The variables of a service's `env_file:` files (a path, a list of paths, or entries with
    /// `path:`), relative to the compose file, each located at the entry that names its file.
    /// A file that is absent gives nothing (an optional `required: false` file, or one kept
    /// out of the repository).
    fn env_files(&self, service: &Node) -> Vec<(String, String, Location)> {
        let entries: Vec<&Node> = match service.get("env_file").map(|n| &n.kind) {
            Some(NodeKind::Seq(items)) => items.iter().collect(),
            Some(_) => service.get("env_file").into_iter().collect(),
            None => vec![],
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut out = Vec::new();
        for entry in entries {
            let Some(file) = entry
                .as_str()
                .or_else(|| entry.get("path").and_then(Node::as_str))
            else {
                continue;
            };
            let at = self.at(entry);
            let file = interpolate(file, &self.vars);
            for (k, v) in super::compose_env::read_env_file(&dir.join(file)) {
                out.push((k, v, at.clone()));
            }
        }
        out
    }

    /// What a Beat's or Agent's command line sets: `-E key=value` flags, and the Agent's
    /// `--insecure` on `enroll`/`install` (enrolment does not verify Fleet Server's
    /// certificate).
    fn command_settings(
        &self,
        kind: Option<ComponentKind>,
        commands: &[Option<&Node>],
        settings: &mut Settings,
    ) {
        for command in commands.iter().flatten() {
            for (key, value, location) in self.beat_flags(Some(command)) {
                push_setting(settings, key, &flow_list(&value), location, &self.vars);
            }
            if kind == Some(ComponentKind::Agent)
                && let Some(node) = command_words(command)
                    .into_iter()
                    // A list item may itself be a shell line (`["sh", "-c", "… --insecure"]`).
                    .find(|(w, _)| w.split_whitespace().any(|w| w == "--insecure"))
                    .map(|(_, n)| n)
            {
                let at = self.find_text(node, "--insecure");
                push_setting(
                    settings,
                    "fleet.ssl.verification_mode".into(),
                    "none",
                    at,
                    &self.vars,
                );
            }
        }
    }

    /// The settings a service's `command` (a string or a list) passes with `-E`, each located
    /// at its `key=value` text in the file (else at the command).
    fn beat_flags(&self, command: Option<&Node>) -> Vec<(String, String, Location)> {
        let Some(command) = command else {
            return vec![];
        };
        let words = command_words(command);
        let plain: Vec<String> = words.iter().map(|(w, _)| w.clone()).collect();
        e_flags(&plain)
            .into_iter()
            .map(|(k, v, pair)| {
                let node = words
                    .iter()
                    .find(|(w, _)| w.ends_with(pair.as_str()))
                    .map(|(_, n)| *n)
                    .unwrap_or(command);
                let location = self.find_text(node, k.as_str());
                (k, v, location)
            })
            .collect()
    }

    /// The place of `needle` in the file at or after `node` (a long scalar may span lines).
    fn find_text(&self, node: &Node, needle: &str) -> Location {
        for (n, line) in self
            .text
            .lines()
            .enumerate()
            .skip(node.pos.line.saturating_sub(1))
            .take(50)
        {
            let from = if n + 1 == node.pos.line {
                line.char_indices()
                    .nth(node.pos.column.saturating_sub(1))
                    .map(|(b, _)| b)
                    .unwrap_or(line.len())
            } else {
                0
            };
            if let Some(at) = line[from..].find(needle) {
                let column = line[..from + at].chars().count() + 1;
                return Location::at(self.shown, n + 1, column);
            }
        }
        self.at(node)
    }

    fn at(&self, node: &Node) -> Location {
        Location::at(self.shown, node.pos.line, node.pos.column)
    }

    fn error(&mut self, message: String) {
        self.errors.push(err_at(self.shown, message));
    }

    /// Where an embedded config's text sits in the file.
    fn embed(&self, value: &Node) -> Embed {
        let line = self
            .text
            .lines()
            .nth(value.pos.line.saturating_sub(1))
            .unwrap_or("");
        let first = line.chars().nth(value.pos.column.saturating_sub(1));
        let multi_line = value.as_str().is_some_and(|t| t.contains('\n'));
        if matches!(first, Some('"') | Some('\'')) || !multi_line {
            // A quoted or one-line scalar: its lines cannot be told apart in the file.
            return Embed {
                fixed: Some(self.at(value)),
                ..Embed::file(self.shown)
            };
        }
        Embed {
            path: self.shown.to_string(),
            line_offset: value.pos.line - 1,
            column_offset: value.pos.column - 1,
            fixed: None,
        }
    }

    fn new_node(
        &self,
        cluster: &str,
        name: &str,
        settings: Settings,
        version: Option<(EsVersion, String)>,
    ) -> EsNode {
        // A Swarm or Helm template (`{{.Node.Hostname}}`) names nothing readable.
        let plain = |key: &str| {
            settings
                .get(key)
                .filter(|s| s.unresolved.is_empty())
                .map(|s| s.value.to_string())
                .filter(|v| !v.is_empty() && !v.contains("{{"))
        };
        let cluster = plain("cluster.name").unwrap_or_else(|| cluster.to_string());
        let name = plain("node.name").unwrap_or_else(|| name.to_string());
        let (version, version_source) = match version {
            Some((v, from)) => (v, VersionSource::Distribution(from)),
            None => (EsVersion::NEWEST, VersionSource::Assumed),
        };
        let mut node = EsNode::files_only(self.path.parent().unwrap_or(Path::new(".")), vec![]);
        node.id = format!("node:{cluster}/{name}");
        node.cluster = cluster;
        node.name = name;
        node.config_path = self.shown.to_string();
        node.version = version;
        node.version_source = version_source;
        node.settings = settings;
        node.files_only = false;
        node.suppressions = super::suppressions::parse(self.text, self.shown);
        node
    }

    fn push_component(
        &mut self,
        kind: ComponentKind,
        name: String,
        settings: Settings,
        declared_at: &Node,
    ) -> usize {
        let mut c = new_component(kind, name, self.shown.to_string(), settings);
        c.declared_at = Some(self.at(declared_at));
        c.suppressions = super::suppressions::parse(self.text, self.shown);
        self.found.components.push(c);
        self.found.components.len() - 1
    }

    /// An embedded config file, recognised by its name (a ConfigMap key or Helm values key).
    fn embedded_file(
        &mut self,
        file: &str,
        value: &Node,
        owner: &str,
        cluster: &str,
        version: Option<(EsVersion, String)>,
    ) {
        let Some(text) = value.as_str() else {
            return;
        };
        let embed = self.embed(value);
        let path = Path::new(file);
        if file == "elasticsearch.yml" || file == "elasticsearch.yaml" {
            match parse_settings(text, self.shown) {
                Ok(mut s) => {
                    embed.relocate(&mut s);
                    let node = self.new_node(cluster, owner, s, version);
                    self.found.nodes.push(node);
                }
                Err(e) => self.error(format!("{file} in {owner}: {e}")),
            }
        } else if let Some(kind) = components::kind_from_name(path) {
            match component_settings(text, &embed) {
                Ok(s) => {
                    self.push_component(kind, owner.to_string(), s, value);
                }
                Err(e) => self.error(format!("{file} in {owner}: {e}")),
            }
        } else if file.ends_with(".conf") && starts_like_pipeline(text) {
            self.embedded_pipeline(text, value, &embed, owner, file);
        }
    }

    fn embedded_pipeline(
        &mut self,
        text: &str,
        value: &Node,
        embed: &Embed,
        owner: &str,
        what: &str,
    ) {
        match pipeline_plugins(text, embed) {
            Ok(plugins) => {
                let i = match self
                    .found
                    .components
                    .iter()
                    .position(|c| c.kind == ComponentKind::Logstash && c.name == owner)
                {
                    Some(i) => i,
                    None => {
                        let i = self.push_component(
                            ComponentKind::Logstash,
                            owner.to_string(),
                            Settings::default(),
                            value,
                        );
                        self.found.components[i].pipeline_only = true;
                        i
                    }
                };
                self.found.components[i].pipelines.extend(plugins);
            }
            Err(e) => self.error(format!("{what} in {owner}: {e}")),
        }
    }

    fn compose(&mut self, doc: &Node) {
        let Some(NodeKind::Map(services)) = doc.get("services").map(|s| &s.kind) else {
            return;
        };
        for (name_node, service) in services {
            let Some(service_name) = name_node.as_str() else {
                continue;
            };
            let image = text_of(service.get("image"))
                .map(|i| interpolate(&i, &self.vars))
                .or_else(|| self.built_image(service))
                .unwrap_or_default();
            let Some(kind) = kind_of_image(&image) else {
                continue;
            };
            if one_shot_setup(service) {
                // An Elastic image running a setup step (certificates, passwords, a script
                // that calls the API) and exiting: not a node or a component.
                continue;
            }
            let mut settings = Settings::default();
            // `env_file:` first, then `environment:`, which wins (as in Compose). A variable
            // listed without a value takes the shell's, which the scan cannot know.
            let mut env: Vec<(String, String, Location)> = self.env_files(service);
            let from_shell = |k: &str| format!("${{{k}}}");
            env.extend(match service.get("environment").map(|e| &e.kind) {
                Some(NodeKind::Seq(items)) => items
                    .iter()
                    .filter_map(|i| {
                        let t = i.as_str()?;
                        let (k, v) = match t.split_once('=') {
                            Some((k, v)) => (k.trim().to_string(), v.to_string()),
                            None => (t.trim().to_string(), from_shell(t.trim())),
                        };
                        Some((k, v, self.at(i)))
                    })
                    .collect::<Vec<_>>(),
                Some(NodeKind::Map(entries)) => entries
                    .iter()
                    .filter_map(|(k, v)| {
                        let key = k.as_str()?.to_string();
                        let value = match v.as_str() {
                            Some(v) => v.to_string(),
                            None => from_shell(&key),
                        };
                        Some((key, value, self.at(k)))
                    })
                    .collect(),
                _ => vec![],
            });
            if matches!(kind, Some(ComponentKind::Beat | ComponentKind::Agent)) {
                self.command_settings(
                    kind,
                    &[service.get("command"), service.get("entrypoint")],
                    &mut settings,
                );
            }
            let keystore_pass = env
                .iter()
                .any(|(n, v, _)| n == "LOGSTASH_KEYSTORE_PASS" && !v.trim().is_empty());
            // The container's environment, which `${VAR}` in a mounted config reads.
            let container_env: std::collections::BTreeMap<String, String> = env
                .iter()
                .map(|(n, v, _)| (n.clone(), interpolate(v, &self.vars)))
                .filter(|(_, v)| !v.contains("${"))
                .collect();
            let node_options = self.env_settings(kind, env, &mut settings);
            // A config file mounted into the service is what the service reads; the
            // environment overrides it (the images pass it as command-line settings).
            if let Some((file, mut mounted)) = self.mounted_config(service, kind) {
                merge_env(&mut mounted, &settings, &container_env);
                settings = mounted;
                self.found.claimed.push(file);
            } else if kind == Some(ComponentKind::Kibana) {
                kibana_image_hosts_default(&mut settings, &self.at(name_node));
            }
            image_bind_default(kind, &mut settings, &self.at(name_node));
            // A container is reached through the ports it publishes; on the host's network its
            // binds are the host's.
            let host_network = service
                .get("network_mode")
                .and_then(Node::as_str)
                .is_some_and(|m| m == "host");
            let published = (!host_network).then(|| self.published_ports(service));
            match kind {
                None => {
                    let version =
                        es_image_defaults(&image, &mut settings, &self.at(name_node), true);
                    let mut node = self.new_node("elasticsearch", service_name, settings, version);
                    node.declared_at = Some(self.at(name_node));
                    node.published = published;
                    self.found.nodes.push(node);
                }
                Some(kind) => {
                    let i =
                        self.push_component(kind, service_name.to_string(), settings, name_node);
                    let dir = self.path.parent().unwrap_or(Path::new("."));
                    let mounted = mounted_keystore(service, dir).map(|(p, at)| (p, self.at(at)));
                    let c = &mut self.found.components[i];
                    c.published = published;
                    c.oss = oss_image(&image);
                    c.node_options = node_options;
                    components::place_node_options(c);
                    if kind == ComponentKind::Logstash
                        && let Some((path, at)) = mounted
                    {
                        let place = crate::evidence::component::Place {
                            location: at,
                            object: format!("file:{path}"),
                        };
                        c.places.insert("logstash.keystore".into(), place);
                        c.keystore = Some(crate::evidence::component::ComponentKeystore {
                            path,
                            password_source: keystore_pass.then(|| {
                                format!("LOGSTASH_KEYSTORE_PASS of service {service_name}")
                            }),
                        });
                    }
                }
            }
        }
    }

    /// Values of Elastic's Helm charts (elastic/helm-charts): the configs they embed, the
    /// chart's own settings (`createCert`, `elasticsearchHosts`, `extraEnvs`), and the Beats
    /// charts' `daemonset`/`deployment` sections.
    fn helm(&mut self, doc: &Node) {
        let owner = ["clusterName", "fullnameOverride", "nameOverride"]
            .iter()
            .find_map(|k| text_of(doc.get(k)).filter(|v| !v.is_empty()))
            .or_else(|| self.chart_field("name"))
            .unwrap_or_else(|| {
                self.path
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| "helm".into())
            });
        let node_name = text_of(doc.get("nodeGroup"))
            .map(|g| format!("{owner}-{g}"))
            .unwrap_or_else(|| owner.clone());
        let version = text_of(doc.get("imageTag"))
            .and_then(|t| EsVersion::parse(&t).map(|v| (v, format!("imageTag {t}"))))
            .or_else(|| self.chart_version());
        // The Beats charts' sections, unless switched off; the deployment's Beat is named
        // apart from the daemonset's.
        let sections = std::iter::once((doc, owner.clone())).chain(
            ["daemonset", "deployment"]
                .iter()
                .filter_map(|k| Some((doc.get(k)?, k)))
                .filter(|(s, _)| s.get("enabled").and_then(Node::as_str) != Some("false"))
                .map(|(s, k)| {
                    let name = if *k == "daemonset" {
                        owner.clone()
                    } else {
                        format!("{owner}-{k}")
                    };
                    (s, name)
                }),
        );
        let nodes = self.found.nodes.len();
        let components = self.found.components.len();
        for (section, owner) in sections {
            for key in HELM_KEYS {
                let Some(NodeKind::Map(files)) = section.get(key).map(|n| &n.kind) else {
                    continue;
                };
                for (file, value) in files {
                    let Some(file) = file.as_str() else { continue };
                    if *key == "logstashPipeline" {
                        if let Some(text) = value.as_str() {
                            let embed = self.embed(value);
                            self.embedded_pipeline(text, value, &embed, &owner, file);
                        }
                    } else if *key == "esConfig" {
                        self.embedded_file(file, value, &node_name, &owner, version.clone());
                    } else {
                        self.embedded_file(file, value, &owner, &owner, None);
                    }
                }
            }
        }
        // The Elasticsearch and Kibana charts run their component even when the embedded
        // config is empty.
        if doc.get("esConfig").is_some() && self.found.nodes.len() == nodes {
            let node = self.new_node(&owner, &node_name, Settings::default(), version.clone());
            self.found.nodes.push(node);
        }
        let kibana = |c: &Component| c.kind == ComponentKind::Kibana;
        if doc.get("kibanaConfig").is_some()
            && !self.found.components[components..].iter().any(kibana)
        {
            self.push_component(
                ComponentKind::Kibana,
                owner.clone(),
                Settings::default(),
                doc,
            );
        }
        let env = self.helm_env(doc);
        for i in nodes..self.found.nodes.len() {
            let mut from_env = Settings::default();
            self.env_settings(None, env.clone(), &mut from_env);
            let create_cert = match doc.get("createCert") {
                Some(c) => c.as_str() == Some("true"),
                // The 8.x chart makes certificates unless told not to; the 7.x chart has no
                // such value.
                None => version.as_ref().is_some_and(|(v, _)| v.major >= 8),
            };
            let at = doc
                .get("createCert")
                .map_or_else(|| Location::at(self.shown, 1, 1), |c| self.at(c));
            let node = &mut self.found.nodes[i];
            if create_cert {
                helm_create_cert(&mut node.settings, &at);
            }
            merge_env(&mut node.settings, &from_env, &Default::default());
        }
        for i in components..self.found.components.len() {
            let kind = self.found.components[i].kind;
            let mut from_env = Settings::default();
            self.env_settings(Some(kind), env.clone(), &mut from_env);
            if kind == ComponentKind::Kibana {
                self.kibana_chart(doc, &mut from_env);
            }
            let c = &mut self.found.components[i];
            merge_env(&mut c.settings, &from_env, &Default::default());
        }
    }

    /// What the Kibana chart passes to its container: `elasticsearchHosts`, `serverHost`
    /// (all interfaces by default), and in the 8.x chart (the one with
    /// `elasticsearchCertificateSecret`) the CA of the cluster's certificates and a service
    /// account token it creates and keeps in a Secret.
    fn kibana_chart(&self, doc: &Node, settings: &mut Settings) {
        let mut pass = |key: &str, node: Option<&Node>, default: &str| {
            let (value, at) = match node {
                Some(n) => (n.as_str().unwrap_or_default().to_string(), self.at(n)),
                None => (default.to_string(), self.at(doc)),
            };
            if !value.is_empty() {
                push_setting(settings, key.into(), &flow_list(&value), at, &self.vars);
            }
        };
        pass("elasticsearch.hosts", doc.get("elasticsearchHosts"), "");
        pass("server.host", doc.get("serverHost"), "0.0.0.0");
        if let Some(secret) = doc.get("elasticsearchCertificateSecret") {
            let file = text_of(doc.get("elasticsearchCertificateAuthoritiesFile"))
                .unwrap_or_else(|| "ca.crt".into());
            let at = self.at(secret);
            managed(
                settings,
                "elasticsearch.ssl.certificateAuthorities",
                SettingValue::Text(format!("/usr/share/kibana/config/certs/{file}")),
                &at,
            );
            managed(
                settings,
                "elasticsearch.serviceAccountToken",
                SettingValue::Text("(a token the chart keeps in a Secret)".into()),
                &at,
            );
        }
    }

    /// Values of Bitnami's Elasticsearch chart: its `security` section says what the image
    /// sets up (security off unless enabled; with it, transport TLS always and HTTP TLS unless
    /// `tls.restEncryption` is false; the `elastic` password written in the values or made
    /// by the chart).
    fn bitnami(&mut self, doc: &Node) {
        let Some(security) = doc.get("security") else {
            return;
        };
        let cluster = text_of(doc.get("clusterName"))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "elastic".into());
        let image = doc.get("image");
        let version = image
            .and_then(|i| text_of(i.get("tag")))
            .and_then(|t| {
                let v = EsVersion::parse(t.split('-').next()?)?;
                Some((v, format!("image.tag {t}")))
            })
            .or_else(|| self.chart_version());
        let flag = |node: Option<&Node>, default: bool| {
            node.and_then(Node::as_str).map_or(default, |v| v == "true")
        };
        let mut settings = Settings::default();
        let enabled_node = security.get("enabled");
        let at = |n: Option<&Node>| n.map_or_else(|| self.at(security), |n| self.at(n));
        let enabled = flag(enabled_node, false);
        let b = SettingValue::Bool;
        managed(
            &mut settings,
            "xpack.security.enabled",
            b(enabled),
            &at(enabled_node),
        );
        if flag(security.get("fipsMode"), false) {
            let n = security.get("fipsMode");
            managed(
                &mut settings,
                "xpack.security.fips_mode.enabled",
                b(true),
                &at(n),
            );
        }
        if enabled {
            let tls = security.get("tls");
            let rest = tls.and_then(|t| t.get("restEncryption"));
            let mode = tls.and_then(|t| t.get("verificationMode"));
            managed(
                &mut settings,
                "xpack.security.transport.ssl.enabled",
                b(true),
                &at(tls),
            );
            let http = flag(rest, true);
            managed(
                &mut settings,
                "xpack.security.http.ssl.enabled",
                b(http),
                &at(rest),
            );
            let mode_value = mode.and_then(Node::as_str).unwrap_or("full").to_string();
            for layer in ["transport", "http"] {
                if layer == "http" && !http {
                    continue;
                }
                let key = format!("xpack.security.{layer}.ssl.verification_mode");
                let value = SettingValue::Text(mode_value.clone());
                managed(&mut settings, &key, value, &at(mode));
                let certs = "/opt/bitnami/elasticsearch/config/certs";
                let pem = flag(tls.and_then(|t| t.get("usePemCerts")), false);
                let files: &[(&str, &str)] = if pem {
                    &[
                        ("key", "tls.key"),
                        ("certificate", "tls.crt"),
                        ("certificate_authorities", "ca.crt"),
                    ]
                } else {
                    &[
                        ("keystore.path", "elasticsearch.keystore.jks"),
                        ("truststore.path", "elasticsearch.truststore.jks"),
                    ]
                };
                for (what, file) in files {
                    let key = format!("xpack.security.{layer}.ssl.{what}");
                    let value = SettingValue::Text(format!("{certs}/{file}"));
                    managed(&mut settings, &key, value, &at(tls));
                }
            }
        }
        // A password written in the values is the `elastic` user's bootstrap password, in a
        // plain file; an empty one is generated by the chart into a Secret.
        if let Some(password) = security.get("elasticPassword")
            && password.as_str().is_some_and(|p| !p.is_empty())
        {
            push_setting(
                &mut settings,
                "bootstrap.password".into(),
                password.as_str().unwrap_or_default(),
                self.at(password),
                &self.vars,
            );
        }
        let node = self.new_node(&cluster, &cluster, settings, version);
        self.found.nodes.push(node);
    }

    /// The version a chart runs when its values name no `imageTag`: the `appVersion` of the
    /// `Chart.yaml` beside them.
    fn chart_version(&self) -> Option<(EsVersion, String)> {
        let app = self.chart_field("appVersion")?;
        let chart = self.path.parent()?.join("Chart.yaml");
        EsVersion::parse(app.trim_start_matches('v'))
            .map(|v| (v, format!("appVersion {app} in {}", display(&chart))))
    }

    /// A field of the `Chart.yaml` beside the values.
    fn chart_field(&self, key: &str) -> Option<String> {
        let text = read_text(&self.path.parent()?.join("Chart.yaml")).ok()?;
        let doc = yaml::parse(&text).ok()?.into_iter().next()?;
        text_of(doc.get(key)).filter(|v| !v.is_empty())
    }

    /// A chart's `extraEnvs` (and those of its Beats sections), as container environment.
    fn helm_env(&self, doc: &Node) -> Vec<(String, String, Location)> {
        let lists = std::iter::once(doc)
            .chain(
                ["daemonset", "deployment"]
                    .iter()
                    .filter_map(|k| doc.get(k)),
            )
            .filter_map(|s| s.get("extraEnvs"));
        let mut out = Vec::new();
        for list in lists {
            let NodeKind::Seq(items) = &list.kind else {
                continue;
            };
            for e in items {
                if let Some(entry) = self.env_entry(e) {
                    out.push(entry);
                }
            }
        }
        out
    }

    /// One Kubernetes `env` entry: a literal `value:` is known; one from `valueFrom` (a Secret,
    /// a ConfigMap, a field) is not, and reads as a `${NAME}` nobody defined here.
    fn env_entry(&self, e: &Node) -> Option<(String, String, Location)> {
        let name = e.get("name").and_then(Node::as_str)?;
        let value = match e.get("value") {
            Some(v) => v.as_str().unwrap_or_default().to_string(),
            None => format!("${{{name}}}"),
        };
        Some((name.to_string(), value, self.at(e)))
    }

    /// Runs `read` on a Kubernetes document and records the namespace of the nodes and
    /// components it adds.
    fn in_namespace_of(&mut self, doc: &Node, read: impl FnOnce(&mut Self)) {
        let (nodes, components) = (self.found.nodes.len(), self.found.components.len());
        read(self);
        let namespace = namespace_of(doc);
        let added = (nodes..self.found.nodes.len())
            .map(Read::Node)
            .chain((components..self.found.components.len()).map(Read::Component));
        self.found
            .in_namespace
            .extend(added.map(|r| (r, namespace.clone())));
    }

    /// An Istio `PeerAuthentication` that makes the pods of a namespace (or of the mesh)
    /// accept only mutual TLS.
    fn mesh_policy(&mut self, doc: &Node) {
        let spec = doc.get("spec");
        let strict = spec
            .and_then(|s| s.get("mtls"))
            .and_then(|m| text_of(m.get("mode")))
            .is_some_and(|m| m.eq_ignore_ascii_case("STRICT"));
        // A selector narrows it to some workloads, which the scan cannot match to pods.
        if !strict || spec.is_some_and(|s| s.get("selector").is_some()) {
            return;
        }
        let name = text_of(doc.get("metadata").and_then(|m| m.get("name"))).unwrap_or_default();
        let at = self.at(doc);
        let line = at.line.map(|l| format!(":{l}")).unwrap_or_default();
        self.found.mesh_policies.push(MeshPolicy {
            namespace: text_of(doc.get("metadata").and_then(|m| m.get("namespace"))),
            described: format!(
                "Istio PeerAuthentication {name} (STRICT mutual TLS, {}{line})",
                at.path
            ),
        });
    }

    fn kubernetes(&mut self, doc: &Node) {
        let kind = text_of(doc.get("kind")).unwrap_or_default();
        let api = text_of(doc.get("apiVersion")).unwrap_or_default();
        let name = doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or(kind.as_str())
            .to_string();
        let spec = doc.get("spec");
        let eck = api.contains(".k8s.elastic.co");
        let version = spec
            .and_then(|s| text_of(s.get("version")))
            .and_then(|t| EsVersion::parse(&t).map(|v| (v, format!("spec.version {t}"))));
        match kind.as_str() {
            "PeerAuthentication" if api.starts_with("security.istio.io/") => {
                self.mesh_policy(doc);
            }
            "ConfigMap" => {
                let Some(NodeKind::Map(files)) = doc.get("data").map(|d| &d.kind) else {
                    return;
                };
                let (nodes, components) = (self.found.nodes.len(), self.found.components.len());
                for (file, value) in files {
                    if let Some(file) = file.as_str() {
                        self.embedded_file(file, value, &name, "elasticsearch", None);
                    }
                }
                let read = (nodes..self.found.nodes.len())
                    .map(Read::Node)
                    .chain((components..self.found.components.len()).map(Read::Component));
                self.found
                    .configmaps
                    .entry(name.clone())
                    .or_default()
                    .extend(read);
            }
            "Elasticsearch" if eck => {
                let Some(spec) = spec else { return };
                let http_tls = eck_http_tls(spec);
                let Some(NodeKind::Seq(sets)) = spec.get("nodeSets").map(|n| &n.kind) else {
                    return;
                };
                for set in sets {
                    let set_name = text_of(set.get("name")).unwrap_or_else(|| "default".into());
                    let anchor = self.at(set);
                    // ECK always turns security and transport TLS on, and HTTP TLS unless
                    // spec.http.tls.selfSignedCertificate.disabled is true.
                    let mut settings = Settings::default();
                    managed(
                        &mut settings,
                        "xpack.security.enabled",
                        SettingValue::Bool(true),
                        &anchor,
                    );
                    managed(
                        &mut settings,
                        "xpack.security.transport.ssl.enabled",
                        SettingValue::Bool(true),
                        &anchor,
                    );
                    let tls_at = eck_tls_disabled_at(spec).map_or(anchor.clone(), |d| self.at(d));
                    managed(
                        &mut settings,
                        "xpack.security.http.ssl.enabled",
                        SettingValue::Bool(http_tls),
                        &tls_at,
                    );
                    let text = |v: &str| SettingValue::Text(v.to_string());
                    let certs = "/usr/share/elasticsearch/config";
                    for (key, value) in [
                        (
                            "xpack.security.transport.ssl.key",
                            format!("{certs}/node-transport-cert/transport.tls.key"),
                        ),
                        (
                            "xpack.security.transport.ssl.certificate",
                            format!("{certs}/node-transport-cert/transport.tls.crt"),
                        ),
                        (
                            "xpack.security.transport.ssl.certificate_authorities",
                            format!("{certs}/transport-certs/ca.crt"),
                        ),
                        (
                            "xpack.security.transport.ssl.verification_mode",
                            "certificate".into(),
                        ),
                        // ECK trusts only the certificates of its own nodes' names.
                        (
                            "xpack.security.transport.ssl.trust_restrictions.path",
                            format!("{certs}/transport-certs/trust.yml"),
                        ),
                    ] {
                        managed(&mut settings, key, text(&value), &anchor);
                    }
                    if http_tls {
                        for (key, file) in [
                            ("xpack.security.http.ssl.key", "tls.key"),
                            ("xpack.security.http.ssl.certificate", "tls.crt"),
                            ("xpack.security.http.ssl.certificate_authorities", "ca.crt"),
                        ] {
                            managed(
                                &mut settings,
                                key,
                                text(&format!("{certs}/http-certs/{file}")),
                                &anchor,
                            );
                        }
                    }
                    if let Some(config) = set.get("config") {
                        match settings_from_node(config, self.shown) {
                            Ok(user) => {
                                for s in user.entries {
                                    settings.push(s);
                                }
                            }
                            Err(e) => self.error(format!("{name} nodeSet {set_name}: {e}")),
                        }
                    }
                    let mut node = self.new_node(
                        &name,
                        &format!("{name}-es-{set_name}"),
                        settings,
                        version.clone(),
                    );
                    node.declared_at = Some(anchor);
                    self.found.nodes.push(node);
                }
            }
            "Kibana" | "Beat" | "Agent" | "Logstash" if eck => {
                let Some(spec) = spec else { return };
                let component = match kind.as_str() {
                    "Kibana" => ComponentKind::Kibana,
                    "Beat" => ComponentKind::Beat,
                    "Agent" => ComponentKind::Agent,
                    _ => ComponentKind::Logstash,
                };
                let mut settings = Settings::default();
                let anchor = self.at(spec);
                // ECK points the component at the service of the cluster it references, over
                // HTTPS unless that cluster (when it is in this file) has HTTP TLS disabled.
                let ref_url = spec.get("elasticsearchRef").map(|r| {
                    let es = text_of(r.get("name")).unwrap_or_default();
                    let ns = text_of(r.get("namespace")).unwrap_or_else(|| namespace_of(doc));
                    let scheme = match self.eck_http.get(&(ns.clone(), es.clone())) {
                        Some(false) => "http",
                        _ => "https",
                    };
                    format!("{scheme}://{es}-es-http.{ns}.svc:9200")
                });
                match component {
                    ComponentKind::Kibana => {
                        let disabled = eck_tls_disabled_at(spec);
                        managed(
                            &mut settings,
                            "server.ssl.enabled",
                            SettingValue::Bool(disabled.is_none()),
                            &disabled.map_or(anchor.clone(), |d| self.at(d)),
                        );
                        managed(
                            &mut settings,
                            "server.host",
                            SettingValue::Text("0.0.0.0".into()),
                            &anchor,
                        );
                        // ECK generates the three encryption keys into the config secret.
                        for key in [
                            "xpack.security.encryptionKey",
                            "xpack.encryptedSavedObjects.encryptionKey",
                            "xpack.reporting.encryptionKey",
                        ] {
                            managed(
                                &mut settings,
                                key,
                                SettingValue::Text("(generated by ECK)".into()),
                                &anchor,
                            );
                        }
                        if let Some(url) = &ref_url {
                            managed(
                                &mut settings,
                                "elasticsearch.hosts",
                                SettingValue::List(vec![url.clone()]),
                                &anchor,
                            );
                        }
                    }
                    ComponentKind::Beat | ComponentKind::Agent => {
                        if let Some(url) = ref_url {
                            managed(
                                &mut settings,
                                "output.elasticsearch.hosts",
                                SettingValue::List(vec![url]),
                                &anchor,
                            );
                        }
                    }
                    _ => {}
                }
                if let Some(config) = spec.get("config") {
                    match settings_from_node(config, self.shown) {
                        Ok(user) => {
                            for s in user.entries {
                                settings.push(s);
                            }
                        }
                        Err(e) => self.error(format!("{kind} {name}: {e}")),
                    }
                }
                let i = self.push_component(component, name.clone(), settings, doc);
                if let Some(NodeKind::Seq(pipelines)) = spec.get("pipelines").map(|p| &p.kind) {
                    for p in pipelines {
                        if let Some(value) = p.get("config.string")
                            && let Some(text) = value.as_str()
                        {
                            let embed = self.embed(value);
                            match pipeline_plugins(text, &embed) {
                                Ok(plugins) => self.found.components[i].pipelines.extend(plugins),
                                Err(e) => self.error(format!("pipeline of {kind} {name}: {e}")),
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beat_command_flags() {
        let words = shell_words(
            r#"filebeat -e -E 'output.elasticsearch.hosts=["http://es:9200"]' -E=name=x --E a.b=c -E"#,
        );
        let flags: Vec<(String, String)> = e_flags(&words)
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect();
        assert_eq!(
            flags,
            [
                (
                    "output.elasticsearch.hosts".to_string(),
                    r#"["http://es:9200"]"#.to_string()
                ),
                ("name".into(), "x".into()),
                ("a.b".into(), "c".into()),
            ]
        );
        assert_eq!(
            flow_list(r#"["http://a:9200", 'b:9200']"#),
            "http://a:9200,b:9200"
        );
        assert_eq!(flow_list("none"), "none");
    }

    #[test]
    fn env_names() {
        assert_eq!(
            env_setting(None, "ES_SETTING_XPACK_SECURITY_ENABLED").as_deref(),
            Some("xpack.security.enabled")
        );
        assert_eq!(
            env_setting(None, "ES_SETTING_BOOTSTRAP_MEMORY__LOCK").as_deref(),
            Some("bootstrap.memory_lock")
        );
        assert_eq!(
            env_setting(
                Some(ComponentKind::Kibana),
                "ELASTICSEARCH_SSL_VERIFICATIONMODE"
            )
            .as_deref(),
            Some("elasticsearch.ssl.verificationMode")
        );
        assert_eq!(env_setting(None, "ES_JAVA_OPTS"), None);
    }

    /// A workload and the ConfigMap it mounts, in two files of one folder, make one Kibana
    /// with the workload's image, but only within one namespace: a pod cannot mount another
    /// namespace's ConfigMap.
    #[test]
    fn a_configmap_in_a_sibling_file_is_mounted_within_its_namespace() {
        let workload = "apiVersion: apps/v1\nkind: Deployment\n\
                        metadata: {name: kibana, namespace: apps}\nspec:\n  template:\n    \
                        spec:\n      containers:\n      - name: kibana\n        \
                        image: docker.elastic.co/kibana/kibana-oss:7.10.2\n        \
                        volumeMounts: [{name: config, mountPath: /usr/share/kibana/config}]\n      \
                        volumes: [{name: config, configMap: {name: kibana-config}}]\n";
        let configmap = |namespace: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\n\
                 metadata: {{name: kibana-config, namespace: {namespace}}}\n\
                 data:\n  kibana.yml: |\n    server.host: 0.0.0.0\n"
            )
        };
        let settled = |namespace: &str| {
            let (w, _) = load_text(Path::new("k8s/kibana.yaml"), workload, false);
            let (c, _) = load_text(
                Path::new("k8s/kibana-cm.yaml"),
                &configmap(namespace),
                false,
            );
            let mut files = [w, c];
            settle(&mut files, |_| "k8s");
            let oss = |f: &Found| f.components.iter().map(|c| c.oss).collect::<Vec<_>>();
            (oss(&files[0]), oss(&files[1]))
        };
        // One Kibana, from the ConfigMap, with the workload's OSS image.
        assert_eq!(settled("apps"), (vec![], vec![true]));
        // Two: the workload judged by its image, the other namespace's ConfigMap on its own.
        assert_eq!(settled("other"), (vec![true], vec![false]));
    }

    /// Which pods an Istio `PeerAuthentication` covers: STRICT only, no workload selector, its
    /// own namespace (or the whole mesh from `istio-system` or with none written), in any
    /// file of the folder.
    #[test]
    fn strict_mesh_policies_cover_their_namespace() {
        let eck = "apiVersion: elasticsearch.k8s.elastic.co/v1\nkind: Elasticsearch\n\
                   metadata: {name: es, namespace: apps}\nspec:\n  version: 8.15.0\n\
                   \x20 http: {tls: {selfSignedCertificate: {disabled: true}}}\n\
                   \x20 nodeSets: [{name: default, count: 1}]\n";
        let policy = |meta: &str, spec: &str| {
            format!(
                "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n\
                 metadata: {meta}\nspec: {spec}\n"
            )
        };
        let covered = |policy_text: String, same_folder: bool| {
            let (es, _) = load_text(Path::new("k8s/es.yaml"), eck, false);
            let other = if same_folder {
                "k8s/mtls.yaml"
            } else {
                "mesh/mtls.yaml"
            };
            let (mesh, _) = load_text(Path::new(other), &policy_text, false);
            let mut files = [es, mesh];
            let folders = [
                Path::new("k8s"),
                Path::new(if same_folder { "k8s" } else { "mesh" }),
            ];
            settle(&mut files, |i| folders[i]);
            files[0].nodes[0].mesh_mtls.clone()
        };
        let strict = "{mtls: {mode: STRICT}}";
        let named = covered(policy("{name: default}", strict), true).unwrap();
        assert!(
            named
                .starts_with("Istio PeerAuthentication default (STRICT mutual TLS, k8s/mtls.yaml:"),
            "{named}"
        );
        for meta in [
            "{name: d, namespace: apps}",
            "{name: d, namespace: istio-system}",
        ] {
            assert!(covered(policy(meta, strict), true).is_some(), "{meta}");
        }
        assert_eq!(
            covered(policy("{name: d, namespace: other}", strict), true),
            None
        );
        assert_eq!(
            covered(policy("{name: d}", "{mtls: {mode: PERMISSIVE}}"), true),
            None
        );
        let selected = "{selector: {matchLabels: {app: es}}, mtls: {mode: STRICT}}";
        assert_eq!(covered(policy("{name: d}", selected), true), None);
        assert_eq!(covered(policy("{name: d}", strict), false), None);
    }

    #[test]
    fn image_versions() {
        assert_eq!(
            image_version("docker.elastic.co/elasticsearch/elasticsearch:8.15.2"),
            Some(EsVersion {
                major: 8,
                minor: 15
            })
        );
        assert_eq!(image_version("elasticsearch:${STACK_VERSION}"), None);
        assert_eq!(image_version("localhost:5000/elasticsearch"), None);
    }
}
