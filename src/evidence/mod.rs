//! The evidence model: what the collectors found, as plain data.
//!
//! Collectors fill [`Deployment`]; the derived views in the submodules (TLS contexts, realms,
//! IP-filter layers, audit settings) are computed here once, in Rust, so rules stay short.

pub mod catalog;
pub mod derive;
pub mod settings;
pub mod tls;

use serde::Serialize;
use std::path::PathBuf;

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
    /// Inputs that could not be read or parsed (each one is an exit-2 input error).
    pub input_errors: Vec<InputError>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputError {
    pub path: String,
    pub message: String,
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
    pub version: EsVersion,
    pub version_source: VersionSource,
    pub settings: Settings,
    /// Arguments from `jvm.options` and `jvm.options.d/*.options`, in the order the JVM reads them.
    pub jvm_options: Vec<JvmOption>,
    /// `log4j2.properties` beside the config, if any.
    pub log4j: Option<Log4jConfig>,
    /// The file realm's `users` file beside the config, if any.
    pub file_users: Option<FileUsers>,
    /// `# esaudit: ignore[...]` comments found in the node's YAML config.
    pub suppressions: Vec<InlineSuppression>,
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
