//! What a cluster's APIs answered, as raw JSON bodies, whatever the source: a live scan
//! (`collect::api`), a snapshot written by `esaudit collect`, or a support-diagnostics bundle
//! (folder or zip). One reader serves all three because the snapshot reuses the bundle's file
//! names.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// One API the scanner reads: the key (also the snapshot's base file name), where the file
/// sits in a snapshot or bundle, the request, and the privilege it needs.
#[derive(Debug, Clone, Copy)]
pub struct ApiCall {
    pub key: &'static str,
    /// Path inside a snapshot. Support-diagnostics names where the bundle has the call.
    pub file: &'static str,
    /// The request path for a cluster of the newest versions.
    pub path: &'static str,
    /// Paths for older clusters, oldest first: `(v, path)` is asked of a cluster before `v`
    /// (query parameters that older versions reject).
    pub legacy_paths: &'static [((u32, u32), &'static str)],
    /// The privilege the call needs, named in `error` results when it is refused.
    pub privilege: &'static str,
}

impl ApiCall {
    /// The request path for a cluster of this major.minor version.
    pub fn path_for(&self, version: Option<(u32, u32)>) -> &'static str {
        let Some(v) = version else {
            return self.path;
        };
        self.legacy_paths
            .iter()
            .find(|(before, _)| v < *before)
            .map_or(self.path, |(_, path)| path)
    }

    /// Every path the call may be asked with.
    pub fn paths(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.path).chain(self.legacy_paths.iter().map(|(_, p)| *p))
    }
}

/// Every call, in the order a live scan makes them (after `version`, which picks the paths).
pub const CALLS: &[ApiCall] = &[
    call("version", "version.json", "/", "monitor"),
    call("licenses", "licenses.json", "/_license", "monitor"),
    call(
        "xpack_info",
        "esaudit/xpack_info.json",
        "/_xpack",
        "monitor",
    ),
    call("xpack", "commercial/xpack.json", "/_xpack/usage", "monitor"),
    call("nodes", "nodes.json", "/_nodes/settings", "monitor"),
    // Only `--probe-tls` reads it; a cluster that refuses it loses nothing else.
    call(
        "nodes_addresses",
        "esaudit/nodes_addresses.json",
        "/_nodes/http,transport",
        "monitor",
    ),
    call(
        "cluster_settings",
        "cluster_settings.json",
        "/_cluster/settings?flat_settings=true",
        "monitor",
    ),
    call(
        "ssl_certs",
        "ssl_certs.json",
        "/_ssl/certificates",
        "monitor",
    ),
    call(
        "security_users",
        "commercial/security_users.json",
        "/_security/user",
        "read_security (8.5+) or manage_security",
    ),
    call(
        "security_roles",
        "commercial/security_roles.json",
        "/_security/role",
        "read_security (8.5+) or manage_security",
    ),
    call(
        "security_role_mappings",
        "commercial/security_role_mappings.json",
        "/_security/role_mapping",
        "read_security (8.5+) or manage_security",
    ),
    ApiCall {
        key: "security_api_keys",
        file: "esaudit/security_api_keys.json",
        path: "/_security/api_key?active_only=true&with_limited_by=true",
        // `with_limited_by` exists from 8.5, `active_only` from 8.10.
        legacy_paths: &[
            ((8, 5), "/_security/api_key"),
            ((8, 10), "/_security/api_key?with_limited_by=true"),
        ],
        privilege: "read_security (8.5+) or manage_api_key",
    },
    call(
        "security_service_accounts",
        "esaudit/security_service_accounts.json",
        "/_security/service",
        "read_security (8.5+) or manage_service_account",
    ),
    call(
        "security_authenticate",
        "esaudit/security_authenticate.json",
        "/_security/_authenticate",
        "any authenticated user",
    ),
    call(
        "security_user_privileges",
        "esaudit/security_user_privileges.json",
        "/_security/user/_privileges",
        "any authenticated user",
    ),
];

/// Service-account credentials are one call per account; the snapshot keeps them in one file,
/// a map from `namespace/service` to the answer.
pub const SERVICE_CREDENTIALS: ApiCall = call(
    "security_service_credentials",
    "esaudit/security_service_credentials.json",
    "/_security/service/{account}/credential",
    "read_security (8.5+) or manage_service_account",
);

const fn call(
    key: &'static str,
    file: &'static str,
    path: &'static str,
    privilege: &'static str,
) -> ApiCall {
    ApiCall {
        key,
        file,
        path,
        legacy_paths: &[],
        privilege,
    }
}

pub fn call_for(key: &str) -> Option<&'static ApiCall> {
    CALLS
        .iter()
        .chain(std::iter::once(&SERVICE_CREDENTIALS))
        .find(|c| c.key == key)
}

/// The answer to one call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Answer {
    /// HTTP status; 0 when no answer came (connection refused, timeout).
    pub status: u16,
    /// The parsed body of a successful call.
    #[serde(skip)]
    pub body: Option<Value>,
    /// Why the call gave no usable body: the error Elasticsearch returned, a timeout, JSON that
    /// does not parse. Never holds a credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Answer {
    pub fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body: Some(body),
            error: None,
        }
    }

    pub fn failed(status: u16, error: String) -> Answer {
        Answer {
            status,
            body: None,
            error: Some(error),
        }
    }
}

/// What an unauthenticated caller got (live scans only).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AnonymousProbe {
    /// `GET /` without credentials.
    pub root: Answer,
    /// `GET /_security/_authenticate` without credentials.
    pub authenticate: Answer,
}

/// Everything one cluster's APIs said.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApiSnapshot {
    /// The name the user gave the cluster (inventory), else the URL's host and port.
    pub name: String,
    /// The URL (never with credentials), snapshot folder or bundle, as the user named it.
    pub source: String,
    /// True for a live scan; false for a snapshot or bundle.
    pub live: bool,
    /// Certificate verification was switched off with `--insecure`.
    #[serde(default)]
    pub insecure: bool,
    /// The file that declares the cluster (the inventory), for reports that need a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// Why nothing could be read at all (cluster unreachable, bundle unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<AnonymousProbe>,
    /// Answers by call key ([`ApiCall::key`]). A call absent here was not made.
    pub calls: BTreeMap<String, Answer>,
    /// Service-account credential answers by `namespace/service`.
    #[serde(default)]
    pub service_credentials: BTreeMap<String, Answer>,
    /// The diagnostics tool that made a bundle (`support-diagnostics`, `esdiag`); `None` for a
    /// live scan or an `esaudit collect` snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_tool: Option<String>,
}

impl ApiSnapshot {
    /// The body of a call that succeeded.
    pub fn body(&self, key: &str) -> Option<&Value> {
        self.calls.get(key).and_then(|a| a.body.as_ref())
    }

    /// Why a call gave nothing usable, naming the privilege when it was refused; `None` when
    /// the call succeeded.
    pub fn why_missing(&self, key: &str) -> Option<String> {
        let call = call_for(key);
        let privilege = call.map(|c| c.privilege).unwrap_or("?");
        let full = call.map(|c| c.path).unwrap_or(key);
        let path = full.split('?').next().unwrap_or(full);
        if let Some(e) = &self.error {
            return Some(e.clone());
        }
        match self.calls.get(key) {
            // Calls no diagnostics tool makes share one reason, so a bundle's report says it once.
            None if call.is_some_and(|c| c.file.starts_with("esaudit/"))
                && let Some(tool) = &self.bundle_tool =>
            {
                Some(format!(
                    "not collected by this bundle: {tool} never reads the API keys, service \
                     accounts or the caller's own privileges; scan the cluster live or from an \
                     `esaudit collect` snapshot to judge them"
                ))
            }
            None => Some(format!(
                "{} was not collected ({})",
                path,
                if self.live {
                    "not asked"
                } else {
                    "absent from the snapshot"
                }
            )),
            Some(a) if a.body.is_some() => None,
            Some(a) if a.status == 401 || a.status == 403 => Some(format!(
                "GET {} was refused (HTTP {}): the scanner needs the {} privilege",
                path, a.status, privilege
            )),
            Some(a) => Some(format!(
                "GET {} failed{}: {}",
                path,
                if a.status > 0 {
                    format!(" (HTTP {})", a.status)
                } else {
                    String::new()
                },
                a.error.as_deref().unwrap_or("no usable answer")
            )),
        }
    }

    /// The `major.minor` version the cluster reported in `GET /`.
    pub fn version(&self) -> Option<(u32, u32)> {
        let number = self.body("version")?.pointer("/version/number")?.as_str()?;
        let mut parts = number.split(['.', '-']);
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    }
}

/// A parsed answer body: an Elasticsearch error object (`{"error": …, "status": N}`) is a
/// failed call, not data. Support-diagnostics writes such bodies into the file whatever the
/// status.
pub fn answer_from_body(status: u16, bytes: &[u8]) -> Answer {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => {
            if let Some(err) = v.get("error").filter(|_| v.get("status").is_some()) {
                let code = v
                    .get("status")
                    .and_then(Value::as_u64)
                    .map(|s| s as u16)
                    .unwrap_or(status);
                return Answer::failed(code, error_summary(err));
            }
            if (200..300).contains(&status) {
                Answer::ok(v)
            } else {
                Answer::failed(status, format!("HTTP {status}"))
            }
        }
        Err(e) if (200..300).contains(&status) => {
            Answer::failed(status, format!("the answer is not valid JSON: {e}"))
        }
        Err(_) => Answer::failed(status, format!("HTTP {status}")),
    }
}

/// `type: reason` of an Elasticsearch error body, or the string itself.
fn error_summary(err: &Value) -> String {
    match err {
        Value::String(s) => s.clone(),
        _ => {
            let t = err.get("type").and_then(Value::as_str).unwrap_or("error");
            let r = err.get("reason").and_then(Value::as_str).unwrap_or("");
            format!("{t}: {r}")
        }
    }
}

/// The manifest `esaudit collect` writes beside the answers (support-diagnostics keeps the
/// same fields in `diagnostic_manifest.json`; per-call statuses are ours).
pub const MANIFEST: &str = "esaudit_manifest.json";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    tool: String,
    version: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    source: String,
    collected_at: String,
    #[serde(default)]
    insecure: bool,
    calls: BTreeMap<String, Answer>,
    #[serde(default)]
    service_credentials: BTreeMap<String, Answer>,
}

/// Writes a snapshot folder: one file per successful call, under the support-diagnostics
/// names, and a manifest with every call's status. Credentials are never part of a snapshot.
/// The folder is built beside `dir` and renamed into place, replacing an older snapshot there,
/// so an interrupted run leaves either the old snapshot or the new one, never half of one.
pub fn write(snapshot: &ApiSnapshot, dir: &Path, collected_at: &str) -> std::io::Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "snapshot".into());
    let building = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let old = parent.join(format!(".{name}.{}.old", std::process::id()));
    crate::interrupt::register(&building);
    let result = write_files(snapshot, &building, collected_at).and_then(|()| {
        if dir.exists() {
            std::fs::rename(dir, &old)?;
        }
        std::fs::rename(&building, dir)?;
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&building);
    }
    crate::interrupt::unregister(&building);
    result
}

fn write_files(snapshot: &ApiSnapshot, dir: &Path, collected_at: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (key, answer) in &snapshot.calls {
        let (Some(body), Some(call)) = (&answer.body, call_for(key)) else {
            continue;
        };
        write_json(&dir.join(call.file), body)?;
    }
    if !snapshot.service_credentials.is_empty() {
        let map: serde_json::Map<String, Value> = snapshot
            .service_credentials
            .iter()
            .filter_map(|(k, a)| a.body.clone().map(|b| (k.clone(), b)))
            .collect();
        write_json(&dir.join(SERVICE_CREDENTIALS.file), &Value::Object(map))?;
    }
    let manifest = Manifest {
        tool: "esaudit".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: "elasticsearch_diagnostic".into(),
        name: snapshot.name.clone(),
        source: snapshot.source.clone(),
        collected_at: collected_at.into(),
        insecure: snapshot.insecure,
        calls: snapshot.calls.clone(),
        service_credentials: snapshot.service_credentials.clone(),
    };
    write_json(
        &dir.join(MANIFEST),
        &serde_json::to_value(manifest).map_err(std::io::Error::other)?,
    )
}

/// One file of the folder being built (the folder as a whole is renamed into place).
fn write_json(path: &Path, value: &Value) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// The names of the files [`is_snapshot`] asks about.
pub const MARKERS: [&str; 5] = [
    MANIFEST,
    "diagnostic_manifest.json",
    "nodes.json",
    "manifest.json",
    "version.json",
];

/// Whether a folder holding the files `has` says it holds is a snapshot or support-diagnostics
/// bundle.
pub fn is_snapshot(has: impl Fn(&str) -> bool) -> bool {
    has(MANIFEST)
        || has("diagnostic_manifest.json")
        || has("nodes.json") && (has("manifest.json") || has("version.json"))
}

/// Largest zip the reader opens, and the most bytes it inflates from one entry or in all:
/// a zip bomb stops with an error instead of filling memory.
pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;
pub const MAX_ENTRIES: usize = 100_000;

/// Reads a snapshot or bundle from a folder or a zip. `Err` when it cannot be read at all.
pub fn read(path: &Path, shown: &str) -> Result<ApiSnapshot, String> {
    let files = if path.is_dir() {
        FileSource::Dir(path.to_path_buf())
    } else {
        FileSource::zip(path)?
    };
    let manifest: Option<Manifest> = files
        .read(MANIFEST)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let mut snapshot = ApiSnapshot {
        name: String::new(),
        source: shown.to_string(),
        live: false,
        ..Default::default()
    };
    // esdiag leaves a failed call's file out and keeps only its status in its manifest.
    let esdiag_statuses: Option<serde_json::Map<String, Value>> = files
        .read("diagnostic_manifest.json")
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|m| m.get("requested_apis")?.as_object().cloned());
    for call in CALLS {
        let legacy_root = call.file.rsplit('/').next().unwrap_or(call.file);
        let bytes = files
            .read(call.file)
            .or_else(|| files.read(legacy_root))
            .or_else(|| legacy_name(call.key).and_then(|alt| files.read(alt)));
        let recorded = manifest
            .as_ref()
            .and_then(|m| m.calls.get(call.key).cloned())
            .or_else(|| esdiag_failure(esdiag_statuses.as_ref()?, call.key));
        let answer = match (bytes, recorded) {
            (Some(bytes), _) => answer_from_body(200, &bytes),
            (None, Some(recorded)) => recorded,
            (None, None) => continue,
        };
        snapshot.calls.insert(call.key.to_string(), answer);
    }
    if let Some(bytes) = files.read(SERVICE_CREDENTIALS.file)
        && let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes)
    {
        for (account, body) in map {
            let answer = answer_from_body(200, &serde_json::to_vec(&body).unwrap_or_default());
            snapshot.service_credentials.insert(account, answer);
        }
    }
    if manifest.is_none() {
        snapshot.bundle_tool = Some(
            if esdiag_statuses.is_some() {
                "esdiag"
            } else if files.read("diagnostic_manifest.json").is_some() {
                "support-diagnostics"
            } else {
                "the diagnostics tool"
            }
            .to_string(),
        );
    }
    if let Some(m) = &manifest {
        snapshot.name = m.name.clone();
        snapshot.insecure = m.insecure;
        for (k, a) in &m.service_credentials {
            snapshot
                .service_credentials
                .entry(k.clone())
                .or_insert_with(|| a.clone());
        }
    }
    if snapshot.name.is_empty() {
        snapshot.name = snapshot
            .body("version")
            .and_then(|v| v.get("cluster_name"))
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| shown.to_string());
    }
    if snapshot.calls.is_empty() {
        return Err(
            "no Elasticsearch API answers found (expected version.json, nodes.json, commercial/security_*.json…)"
                .into(),
        );
    }
    Ok(snapshot)
}

/// A call esdiag made and recorded as failed (`requested_apis.<name>.status`, no body kept).
fn esdiag_failure(statuses: &serde_json::Map<String, Value>, key: &str) -> Option<Answer> {
    // esdiag names `GET /` `cluster`; the other names are support-diagnostics' file names.
    let name = if key == "version" { "cluster" } else { key };
    let status = statuses.get(name)?.get("status")?.as_u64()? as u16;
    (!(200..300).contains(&status)).then(|| {
        Answer::failed(
            status,
            format!("esdiag recorded HTTP {status} and kept no answer"),
        )
    })
}

/// Other names a bundle gives the same call.
fn legacy_name(key: &str) -> Option<&'static str> {
    match key {
        // Support-diagnostics: `/_cluster/settings?include_defaults&flat_settings`.
        "cluster_settings" => Some("cluster_settings_defaults.json"),
        _ => None,
    }
}

/// Where snapshot files are read from: a folder, or a zip whose entries may sit under one top
/// folder (support-diagnostics) or at the root (esdiag).
enum FileSource {
    Dir(std::path::PathBuf),
    Zip(BTreeMap<String, Vec<u8>>),
}

impl FileSource {
    fn zip(path: &Path) -> Result<FileSource, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_BUNDLE_BYTES {
            return Err(format!(
                "the bundle is {size} bytes; the limit is {MAX_BUNDLE_BYTES}"
            ));
        }
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        if archive.len() > MAX_ENTRIES {
            return Err(format!(
                "the bundle holds {} entries; the limit is {MAX_ENTRIES}",
                archive.len()
            ));
        }
        let mut entries = BTreeMap::new();
        let mut total = 0u64;
        for i in 0..archive.len() {
            let mut entry = archive
                .by_index(i)
                .map_err(|e| format!("entry {i} cannot be read: {e}"))?;
            let name = entry
                .name()
                .map_err(|e| format!("entry {i} has an unreadable name: {e}"))?
                .replace('\\', "/");
            if entry.is_dir() || !name.ends_with(".json") {
                continue;
            }
            let mut bytes = Vec::new();
            let read = entry
                .by_ref()
                .take(MAX_ENTRY_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{name}: cannot be inflated: {e}"))?;
            if read as u64 > MAX_ENTRY_BYTES {
                return Err(format!(
                    "{name} inflates past {MAX_ENTRY_BYTES} bytes (a zip bomb?)"
                ));
            }
            total += read as u64;
            if total > MAX_BUNDLE_BYTES {
                return Err(format!(
                    "the bundle inflates past {MAX_BUNDLE_BYTES} bytes (a zip bomb?)"
                ));
            }
            entries.insert(name, bytes);
        }
        // Strip one top folder when every entry sits under it (support-diagnostics zips).
        let top: Option<String> = entries
            .keys()
            .next()
            .and_then(|k| k.split_once('/').map(|(t, _)| format!("{t}/")));
        let entries = match top {
            Some(t) if entries.keys().all(|k| k.starts_with(&t)) => entries
                .into_iter()
                .map(|(k, v)| (k[t.len()..].to_string(), v))
                .collect(),
            _ => entries,
        };
        Ok(FileSource::Zip(entries))
    }

    fn read(&self, name: &str) -> Option<Vec<u8>> {
        match self {
            FileSource::Dir(dir) => {
                let path = dir.join(name);
                let meta = std::fs::metadata(&path).ok()?;
                if meta.len() > MAX_ENTRY_BYTES {
                    return Some(
                        format!(
                            r#"{{"error":"{name} is {} bytes; the limit is {MAX_ENTRY_BYTES}","status":0}}"#,
                            meta.len()
                        )
                        .into_bytes(),
                    );
                }
                std::fs::read(path).ok()
            }
            FileSource::Zip(entries) => entries.get(name).cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(path: &Path, entries: &[(&str, &str)]) {
        let file = std::fs::File::create(path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn reads_a_diagnostics_zip_under_one_top_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-diagnostics-20261128.zip");
        zip_with(
            &path,
            &[
                (
                    "api-diagnostics-20261128/version.json",
                    r#"{"cluster_name":"logs","version":{"number":"7.17.29"}}"#,
                ),
                (
                    "api-diagnostics-20261128/cluster_settings_defaults.json",
                    r#"{"persistent":{},"transient":{}}"#,
                ),
                (
                    "api-diagnostics-20261128/commercial/security_users.json",
                    r#"{"error":{"type":"security_exception","reason":"unauthorized"},"status":403}"#,
                ),
                ("api-diagnostics-20261128/diagnostics.log", "not json"),
            ],
        );
        let snap = read(&path, "bundle.zip").unwrap();
        assert_eq!(snap.name, "logs");
        assert_eq!(snap.version(), Some((7, 17)));
        assert!(snap.body("cluster_settings").is_some());
        let why = snap.why_missing("security_users").unwrap();
        assert!(
            why.contains("HTTP 403") && why.contains("read_security"),
            "{why}"
        );
        assert!(
            snap.why_missing("ssl_certs")
                .unwrap()
                .contains("absent from the snapshot")
        );
        let keys = call_for("security_api_keys").unwrap();
        assert_eq!(keys.path_for(snap.version()), "/_security/api_key");
        assert_eq!(
            keys.path_for(Some((8, 7))),
            "/_security/api_key?with_limited_by=true"
        );
        assert_eq!(
            keys.path_for(Some((8, 10))),
            "/_security/api_key?active_only=true&with_limited_by=true"
        );
    }

    /// esdiag's zip: entries at the root, a failed call left out with its status in
    /// `requested_apis` (shape of esdiag's test archives, values invented).
    #[test]
    fn esdiag_failed_calls_come_from_its_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-diagnostics-20261201.zip");
        zip_with(
            &path,
            &[
                (
                    "version.json",
                    r#"{"name":"n1","cluster_name":"lab","version":{"number":"8.19.3"}}"#,
                ),
                ("nodes.json", r#"{"nodes":{}}"#),
                (
                    "diagnostic_manifest.json",
                    r#"{"diagnostic":"esdiag-0.15.0","type":"elasticsearch_diagnostic","runner":"esdiag",
                        "requested_apis":{"cluster":{"status":200,"response_time_ms":4},
                        "security_users":{"status":403,"response_time_ms":3},
                        "ssl_certs":{"status":405,"response_time_ms":2}}}"#,
                ),
            ],
        );
        let snap = read(&path, "api-diagnostics-20261201.zip").unwrap();
        assert_eq!(snap.bundle_tool.as_deref(), Some("esdiag"));
        assert_eq!(snap.version(), Some((8, 19)));
        assert_eq!(
            snap.why_missing("security_users").unwrap(),
            "GET /_security/user was refused (HTTP 403): the scanner needs the read_security \
             (8.5+) or manage_security privilege"
        );
        assert_eq!(
            snap.why_missing("ssl_certs").unwrap(),
            "GET /_ssl/certificates failed (HTTP 405): esdiag recorded HTTP 405 and kept no answer"
        );
        assert!(
            snap.why_missing("security_api_keys")
                .unwrap()
                .starts_with("not collected by this bundle: esdiag never reads")
        );
    }

    #[test]
    fn refuses_what_is_not_a_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.zip");
        std::fs::write(&path, b"PK not really").unwrap();
        assert!(
            read(&path, "x.zip")
                .unwrap_err()
                .contains("not a readable zip")
        );
        let empty = dir.path().join("empty.zip");
        zip_with(&empty, &[("readme.txt", "hello")]);
        assert!(
            read(&empty, "empty.zip")
                .unwrap_err()
                .contains("no Elasticsearch API answers")
        );
    }

    #[test]
    fn written_snapshot_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut snap = ApiSnapshot {
            name: "prod".into(),
            source: "https://es:9200".into(),
            live: true,
            ..Default::default()
        };
        snap.calls.insert(
            "version".into(),
            Answer::ok(
                serde_json::json!({"cluster_name": "prod", "version": {"number": "8.15.0"}}),
            ),
        );
        snap.calls.insert(
            "security_roles".into(),
            Answer::failed(403, "refused".into()),
        );
        write(&snap, dir.path(), "2026-11-28T00:00:00.000Z").unwrap();
        assert!(dir.path().join("version.json").is_file());
        assert!(!dir.path().join("commercial/security_roles.json").exists());
        assert!(is_snapshot(|name| dir.path().join(name).is_file()));
        let back = read(dir.path(), "snap").unwrap();
        assert_eq!(back.name, "prod");
        assert!(!back.live);
        assert_eq!(back.calls["security_roles"].status, 403);
        assert!(back.why_missing("security_roles").unwrap().contains("403"));
    }
}
