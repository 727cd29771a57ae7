//! The evidence model: what the collectors found, as plain data.
//!
//! Collectors fill [`Deployment`]; the derived views in the submodules (TLS contexts, realms,
//! IP-filter layers, audit settings) are computed here once, in Rust, so rules stay short.

pub mod catalog;
pub mod certs;
pub mod client;
pub mod cluster;
pub mod component;
pub mod derive;
pub mod endpoint;
pub mod es_cluster;
pub mod files;
pub mod pairing;
pub mod rbac;
pub mod scope;
pub mod settings;
pub mod tls;

use serde::Serialize;
use std::path::PathBuf;

pub use scope::Scope;
pub use settings::{Setting, SettingValue, Settings};

/// Where a fact was read: the file as the user named it, and the 1-based position of the key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub struct Location {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Location {
    pub fn file(path: &str) -> Location {
        Location {
            path: path.to_string(),
            line: None,
            column: None,
        }
    }
    pub fn at(path: &str, line: usize, column: usize) -> Location {
        Location {
            path: path.to_string(),
            line: Some(line),
            column: Some(column),
        }
    }
}

/// Everything one scan learned.
#[derive(Debug, Default, Serialize)]
pub struct Deployment {
    pub nodes: Vec<EsNode>,
    /// Certificate, key and store files, each read once however many nodes use it.
    pub files: Vec<SecurityFile>,
    /// Kibana, Logstash, Beats and Elastic Agent instances.
    pub components: Vec<component::Component>,
    /// Inputs that could not be read or parsed (each one is an exit-2 input error).
    pub input_errors: Vec<InputError>,
    /// Files found that are valid but not configs esaudit judges (templates, other tools'
    /// YAML), with why: a notice, never an input error.
    pub skipped: Vec<InputError>,
    /// TLS endpoints probed on the network (`--tls HOST:PORT`).
    pub endpoints: Vec<endpoint::Endpoint>,
    /// Connections of applications and shippers to Elasticsearch (Fluent Bit, Fluentd,
    /// Vector, Grafana).
    pub clients: Vec<client::Client>,
    /// What clusters' APIs answered: live, or from snapshots and support-diagnostics bundles.
    #[serde(skip)]
    pub api_snapshots: Vec<crate::collect::snapshot::ApiSnapshot>,
    /// The clusters built from `api_snapshots` (their nodes join `nodes`).
    pub clusters: Vec<es_cluster::EsCluster>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputError {
    /// The file, cluster or endpoint at fault; empty for a problem of the run as a whole.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.path.as_str() {
            "" => f.write_str(&self.message),
            path => write!(f, "{path}: {}", self.message),
        }
    }
}

/// An Elasticsearch version as `major.minor`, and how it was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EsVersion {
    pub major: u32,
    pub minor: u32,
}

impl EsVersion {
    /// The version assumed when nothing says otherwise: the newest supported major line.
    pub const NEWEST: EsVersion = EsVersion { major: 9, minor: 0 };

    pub fn parse(text: &str) -> Option<EsVersion> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = match parts.next() {
            Some(m) => m.parse().ok()?,
            None => 0,
        };
        Some(EsVersion { major, minor })
    }
}

impl std::fmt::Display for EsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    /// Given with `--es-version`.
    CommandLine,
    /// Read from the distribution beside the config (`lib/elasticsearch-X.Y.Z.jar`).
    Distribution(String),
    /// Reported by the cluster's API (the URL or snapshot named).
    Api(String),
    /// Nothing said: the newest supported major line is assumed.
    Assumed,
}

/// One Elasticsearch node, as its configuration folder describes it.
#[derive(Debug, Clone, Serialize)]
pub struct EsNode {
    /// `node:<cluster>/<node>`, unique within a scan.
    pub id: String,
    pub cluster: String,
    pub name: String,
    /// `elasticsearch.yml` as the user named it.
    pub config_path: String,
    /// The folder relative TLS and realm paths resolve against.
    #[serde(skip)]
    pub config_dir: PathBuf,
    /// For a node read from `_nodes/settings`: the cluster URL or snapshot. Its settings have
    /// no file position, and no files of its own can be read.
    pub api_source: Option<String>,
    pub version: EsVersion,
    pub version_source: VersionSource,
    pub settings: Settings,
    /// Arguments from `jvm.options` and `jvm.options.d/*.options`, in the order the JVM reads them.
    pub jvm_options: Vec<JvmOption>,
    /// `log4j2.properties` beside the config, if any.
    pub log4j: Option<Log4jConfig>,
    /// The file realm's `users` file beside the config, if any.
    pub file_users: Option<FileUsers>,
    /// The file realm's roles, role mappings, user-role grants and service tokens beside the
    /// config, with the anonymous roles; `None` when the folder has none of them.
    pub rbac: Option<rbac::Rbac>,
    /// Files the node's settings name (TLS keys, certificates, stores), in settings order.
    pub file_refs: Vec<FileRef>,
    /// `elasticsearch.keystore` beside the config (index into `Deployment::files`).
    pub keystore: Option<usize>,
    /// Certificate and key files in the config folder that no setting names.
    pub loose_files: Vec<usize>,
    /// A set of certificate files outside any node folder, judged on their own.
    pub files_only: bool,
    /// `# esaudit: ignore[...]` comments found in the node's YAML config.
    pub suppressions: Vec<InlineSuppression>,
    /// Settings the source cannot show (a node read from `_nodes/settings`): a rule that needs
    /// one of them cannot be judged, rather than judging its absence.
    pub hidden: Option<settings::HiddenSettings>,
    /// The cluster's licence type, when its API reported it (6.x/7.x security follows it).
    pub license: Option<String>,
    /// For a node read from files: the cluster API that also described it (see `pairing`).
    pub paired_with: Option<String>,
    /// Settings its file and the running node disagree on.
    pub drift: Vec<pairing::Drift>,
    /// For a container (a compose service): the ports it publishes on the host. Its exposure
    /// is decided by these, not by `0.0.0.0` inside the container. `None` elsewhere.
    pub published: Option<Vec<crate::collect::compose_env::Published>>,
    /// Where the node is declared inside a larger file (a compose service, a container, an
    /// ECK node set): failures about unwritten settings point here. `None` for a config file.
    pub declared_at: Option<Location>,
    /// A service-mesh policy that encrypts every connection to the node's pod (Istio STRICT
    /// mutual TLS), as findings name it. `None` elsewhere.
    pub mesh_mtls: Option<String>,
}

impl EsNode {
    /// A target for certificate files found outside any node folder.
    pub fn files_only(dir: &std::path::Path, files: Vec<usize>) -> EsNode {
        let shown = dir.display().to_string();
        EsNode {
            id: format!("files:{shown}"),
            cluster: String::new(),
            name: shown.clone(),
            config_path: shown,
            config_dir: dir.to_path_buf(),
            api_source: None,
            version: EsVersion::NEWEST,
            version_source: VersionSource::Assumed,
            settings: Settings::default(),
            jvm_options: vec![],
            log4j: None,
            file_users: None,
            rbac: None,
            file_refs: vec![],
            keystore: None,
            loose_files: files,
            files_only: true,
            suppressions: vec![],
            hidden: None,
            license: None,
            paired_with: None,
            drift: vec![],
            published: None,
            declared_at: None,
            mesh_mtls: None,
        }
    }
}

/// A setting that names a file.
#[derive(Debug, Clone, Serialize)]
pub struct FileRef {
    /// The setting, e.g. `xpack.security.http.ssl.certificate`.
    pub key: String,
    /// The TLS context prefix, e.g. `xpack.security.http.ssl`.
    pub context: String,
    /// `key`, `certificate`, `certificate_authorities`, `keystore` or `truststore`.
    pub role: String,
    /// Index into `Deployment::files`.
    pub file: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    #[default]
    Pem,
    Der,
    Pkcs12,
    Jks,
    EsKeystore,
}

/// A private key, described without its material.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyFacts {
    /// `pkcs8`, `rsa`, `ec`, `dsa` or `jks`.
    pub format: String,
    pub encrypted: bool,
}

impl KeyFacts {
    pub fn new(format: &str, encrypted: bool) -> KeyFacts {
        KeyFacts {
            format: format.to_string(),
            encrypted,
        }
    }
}

/// A certificate, key or store file.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SecurityFile {
    pub path: String,
    pub kind: FileKind,
    pub exists: bool,
    /// Why the file could not be (fully) read: absent, corrupt, wrong password.
    pub error: Option<String>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub other_readable: bool,
    pub group_readable: bool,
    pub certificates: Vec<certs::CertFacts>,
    /// For each certificate: it is the certificate of a private-key entry.
    pub certificate_has_key: Vec<bool>,
    pub private_keys: Vec<KeyFacts>,
    /// A CA certificate stored together with its private key.
    pub ca_with_private_key: bool,
    /// For stores: which password opened it (`the empty password`, `the keystore's …`).
    pub opened_with: Option<String>,
    pub empty_password: bool,
    /// For `elasticsearch.keystore`.
    pub keystore: Option<KeystoreFacts>,
}

/// What the header of an `elasticsearch.keystore` says, and its entry names when readable.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeystoreFacts {
    /// Format version (3 = 6.3, 4 = 6.8/7.1, 5 = 8.0, 6 = 8.14).
    pub version: i64,
    pub password_protected: bool,
    /// Entry names, when the keystore has no password and could be opened.
    pub entries: Option<Vec<String>>,
}

/// An inline suppression comment: `# esaudit: ignore[RULE,...] reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineSuppression {
    pub path: String,
    /// The comment's own line.
    pub line: usize,
    /// The line whose results it covers: its own line for a comment after a setting, the next
    /// line holding a setting for a comment on a line of its own.
    pub covers: usize,
    /// Rule ids or id prefixes.
    pub rules: Vec<String>,
    /// Empty when the comment gives none.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JvmOption {
    /// The argument without any JDK-version prefix (`17-:`).
    pub arg: String,
    pub location: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct Log4jConfig {
    pub path: String,
    /// An appender that writes the audit trail (`*_audit.json` or the `audit_rolling` appender).
    pub audit_appender: bool,
    /// The `LoggingAuditTrail` logger routed to a dedicated appender.
    pub audit_logger: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileUsers {
    pub path: String,
    pub users: Vec<FileUser>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileUser {
    pub name: String,
    /// The hashing scheme recognised from the stored hash: `bcrypt`, `pbkdf2`, `pbkdf2_stretch`,
    /// `ssha256`, `sha1`, `md5` or `plaintext` (Elasticsearch compares unrecognised text as-is).
    pub scheme: String,
    /// bcrypt cost or PBKDF2 iterations, when the scheme has one.
    pub work: Option<i64>,
    pub location: Location,
}
