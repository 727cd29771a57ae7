//! Turns the paths a user named into evidence, and only that.

pub mod api;
pub mod clients;
#[cfg(feature = "code")]
pub mod code;
pub mod components;
pub mod compose_env;
pub mod es_config;
pub mod es_keystore;
pub mod file_realm;
pub mod inventory;
pub mod jks;
pub mod manifests;
pub mod node_files;
pub mod pipeline;
pub mod security_files;
pub mod snapshot;
pub mod sniff;
pub mod suppressions;
pub mod tls_probe;
pub mod tls_suites;

use crate::evidence::{Deployment, EsNode, EsVersion, FileKind, FileRef, InputError, SecurityFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// Files larger than this are refused rather than read into memory.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// Folders never searched: version control, build output, dependencies.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "target", ".terraform"];

#[derive(Debug, Clone, Default)]
pub struct CollectOptions {
    /// `--es-version`: overrides what the files say.
    pub es_version: Option<EsVersion>,
    /// A password to try on PKCS#12 stores besides the empty one and the keystore's
    /// (from `ESAUDIT_STORE_PASSWORD`).
    pub store_password: Option<String>,
    /// `--shard I/N`: only the files of this share are read.
    pub shard: Option<crate::shard::Shard>,
}

/// Reads every node configuration found under `paths` (files or folders, searched recursively).
/// Unreadable or malformed inputs become [`InputError`]s; everything else is still collected.
pub fn collect(paths: &[PathBuf], options: &CollectOptions) -> Deployment {
    let (parts, errors) = discover_all(paths, options, false);
    let mut found = Found::default();
    for part in parts {
        found.append(part);
    }
    let mut deployment = collect_found(found, options);
    deployment.input_errors.extend(errors);
    deployment.input_errors.sort();
    deployment
}

/// [`collect`] in batches of whole deployment folders with at least `nodes_per_batch` node
/// configurations each (the last may have fewer), handed to `each` one at a time, so a large
/// fleet is never held whole in memory. What one deployment folder holds (its nodes, their
/// certificates, its Kibana or compose file) always stays in one batch, which is what the
/// rules comparing or linking them need. The discovery errors come with the first batch;
/// there is always at least one batch. `each` is also told how many node configurations the
/// whole scan has (for a progress bar).
pub fn collect_batches(
    paths: &[PathBuf],
    options: &CollectOptions,
    nodes_per_batch: usize,
    mut each: impl FnMut(Deployment, usize),
) {
    let (parts, errors) = discover_all(paths, options, true);
    let total = parts.iter().map(|p| p.configs.len()).sum();
    let mut errors = Some(errors);
    let mut emit = |batch: Found| {
        let mut deployment = collect_found(batch, options);
        deployment
            .input_errors
            .extend(errors.take().into_iter().flatten());
        deployment.input_errors.sort();
        each(deployment, total);
    };
    let mut batch = Found::default();
    let mut emitted = false;
    for part in parts {
        batch.append(part);
        if batch.configs.len() >= nodes_per_batch.max(1) {
            emit(std::mem::take(&mut batch));
            emitted = true;
        }
    }
    if batch.count() > 0 || !emitted {
        emit(batch);
    }
}

/// Finds the inputs under every path, with an error for each path that cannot be searched or
/// holds nothing esaudit reads: one part per path, or per deployment folder when `by_folder`
/// (see [`Found::split`]). A `--shard` keeps the folders of its share.
fn discover_all(
    paths: &[PathBuf],
    options: &CollectOptions,
    by_folder: bool,
) -> (Vec<Found>, Vec<InputError>) {
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let mut here = Found::default();
        if let Err(message) = discover(path, &mut here) {
            errors.push(InputError {
                path: display(path),
                message,
            });
            continue;
        }
        if here.count() == 0 && !here.skipped.is_empty() {
            errors.push(InputError {
                path: display(path),
                message: "nothing to judge here: only templates or other tools' files were found \
                          (see the notes above)"
                    .into(),
            });
        } else if here.count() == 0 {
            errors.push(InputError {
                path: display(path),
                message: "no Elastic Stack configuration (elasticsearch.yml, an API snapshot or support-diagnostics bundle, kibana.yml, logstash.yml, a pipeline, a Beat or Agent config, a compose file or Kubernetes manifest), certificate files, or client of Elasticsearch (a shipper's config, code or a script that builds one) found here".into(),
            });
        }
        if !by_folder && options.shard.is_none() {
            parts.push(here);
            continue;
        }
        // Before anything is parsed, so that a share does only its part of the work.
        parts.extend(
            here.split(path)
                .into_iter()
                .filter(|(key, _)| options.shard.is_none_or(|shard| shard.holds(key)))
                .map(|(_, part)| part),
        );
    }
    (parts, errors)
}

/// Parses and reads what discovery found.
fn collect_found(found: Found, options: &CollectOptions) -> Deployment {
    let mut deployment = Deployment {
        skipped: found
            .skipped
            .iter()
            .map(|(p, why)| InputError {
                path: display(p),
                message: why.to_string(),
            })
            .collect(),
        ..Deployment::default()
    };
    // Node configs and their keystores are parsed in parallel; the files they name are then
    // registered in order (so indices do not depend on thread timing) and read in parallel.
    let loaded: Vec<_> = found
        .configs
        .par_iter()
        .map(|config| {
            let text = found.texts.get(config).map(String::as_str);
            es_config::load_node(config, text, options).map(|(node, errors)| {
                let keystore = read_node_keystore(&node);
                (node, errors, keystore)
            })
        })
        .collect();
    let mut files = FileTable::default();
    for loaded in loaded {
        match loaded {
            Ok((mut node, mut errors, keystore)) => {
                deployment.input_errors.append(&mut errors);
                attach_files(
                    &mut node,
                    keystore,
                    &found.security_files,
                    &mut files,
                    options,
                );
                deployment.nodes.push(node);
            }
            Err(e) => deployment.input_errors.push(e),
        }
    }
    // Certificate files outside every node folder are judged on their own, per folder.
    let mut loose: std::collections::BTreeMap<PathBuf, Vec<usize>> = Default::default();
    for path in &found.security_files {
        if !files.contains(path) {
            let i = files.add(path, display(path), None, &default_passwords(options));
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            loose.entry(dir).or_default().push(i);
        }
    }
    for (dir, loose_files) in loose {
        deployment.nodes.push(EsNode::files_only(&dir, loose_files));
    }
    deployment.files = files.read_all();
    for path in &found.snapshots {
        match snapshot::read(path, &display(path)) {
            Ok(snap) => deployment.api_snapshots.push(snap),
            Err(message) => deployment.input_errors.push(InputError {
                path: display(path),
                message,
            }),
        }
    }
    collect_components(&found, &mut deployment);
    collect_clients(&found, &mut deployment);
    make_ids_unique(&mut deployment.nodes);
    make_component_ids_unique(&mut deployment.components);
    crate::evidence::component::link(
        &deployment.nodes,
        &deployment.files,
        &mut deployment.components,
    );
    deployment
}

#[derive(Default)]
struct Found {
    configs: BTreeSet<PathBuf>,
    security_files: BTreeSet<PathBuf>,
    components: BTreeSet<PathBuf>,
    pipelines: BTreeSet<PathBuf>,
    /// docker-compose files.
    compose: BTreeSet<PathBuf>,
    /// Kubernetes manifests and Helm values.
    manifests: BTreeSet<PathBuf>,
    /// API snapshots and support-diagnostics bundles (folders or zips).
    snapshots: BTreeSet<PathBuf>,
    /// Service environment files (`/etc/sysconfig/logstash`, `/etc/default/logstash`).
    env_files: BTreeSet<PathBuf>,
    /// Configurations of clients of Elasticsearch, with their tool.
    clients: BTreeSet<PathBuf>,
    /// Files passed over, with why (templates, other tools' YAML).
    skipped: BTreeMap<PathBuf, &'static str>,
    /// The text of node configurations, read once to tell what they are and kept for loading
    /// them (up to [`MAX_KEPT_TEXT_BYTES`] in all).
    texts: BTreeMap<PathBuf, String>,
    kept_text_bytes: usize,
}

/// How much configuration text discovery keeps for loading; past it, files are read again.
const MAX_KEPT_TEXT_BYTES: usize = 32 * 1024 * 1024;

impl Found {
    fn count(&self) -> usize {
        self.configs.len()
            + self.security_files.len()
            + self.components.len()
            + self.pipelines.len()
            + self.compose.len()
            + self.manifests.len()
            + self.snapshots.len()
            + self.env_files.len()
            + self.clients.len()
    }

    fn sets(&mut self) -> [&mut BTreeSet<PathBuf>; 9] {
        [
            &mut self.configs,
            &mut self.security_files,
            &mut self.components,
            &mut self.pipelines,
            &mut self.compose,
            &mut self.manifests,
            &mut self.snapshots,
            &mut self.env_files,
            &mut self.clients,
        ]
    }

    fn append(&mut self, mut other: Found) {
        for (mine, theirs) in self.sets().into_iter().zip(other.sets()) {
            mine.append(theirs);
        }
        self.skipped.append(&mut other.skipped);
        for (path, text) in std::mem::take(&mut other.texts) {
            self.keep_text(path, text);
        }
    }

    /// Keeps a node configuration's text for loading, while the texts kept stay within
    /// [`MAX_KEPT_TEXT_BYTES`] (each subfolder is walked apart, then appended: the bound holds
    /// for the whole path scanned).
    fn keep_text(&mut self, path: PathBuf, text: String) {
        if self.kept_text_bytes + text.len() <= MAX_KEPT_TEXT_BYTES {
            self.kept_text_bytes += text.len();
            self.texts.insert(path, text);
        }
    }

    /// Splits what was found under `root` (the path argument) by deployment folder, the
    /// key `--shard` hashes (see [`crate::shard::PathKeys`]): each folder's files together,
    /// each snapshot on its own. Parts come in key order.
    fn split(mut self, root: &Path) -> std::collections::BTreeMap<String, Found> {
        let base = if root.is_dir() { root } else { Path::new("") };
        let configs = (self.configs.iter().map(|p| (p.as_path(), true)))
            .chain(self.components.iter().map(|p| (p.as_path(), false)));
        let keys = crate::shard::PathKeys::new(base, configs);
        let mut parts: std::collections::BTreeMap<String, Found> = Default::default();
        for p in std::mem::take(&mut self.snapshots) {
            parts.entry(keys.own(&p)).or_default().snapshots.insert(p);
        }
        for (set, paths) in self.sets().into_iter().enumerate() {
            for p in std::mem::take(paths) {
                let part = parts.entry(keys.key(&p)).or_default();
                part.sets()[set].insert(p);
            }
        }
        for (p, text) in std::mem::take(&mut self.texts) {
            parts.entry(keys.key(&p)).or_default().keep_text(p, text);
        }
        for (p, why) in std::mem::take(&mut self.skipped) {
            parts
                .entry(keys.key(&p))
                .or_default()
                .skipped
                .insert(p, why);
        }
        parts
    }

    /// Files recognised by content where it decides (Kubernetes manifests, compose files,
    /// templates, other tools' YAML), else by name (or, for pipelines, by their first word);
    /// false for the rest.
    fn add(&mut self, path: &Path) -> bool {
        let by_name = is_es_config(path)
            || components::kind_from_name(path).is_some()
            || manifests::is_compose(path);
        let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
        let conf = clients::may_be_client(path);
        // Read once: the content decides first, and tells Helm values from other YAML after.
        let text = (yaml || conf || sniff::elastic_template_name(path))
            .then(|| es_config::read_text(path).ok())
            .flatten();
        // Fluent Bit, Fluentd, Vector and Spring configs (a Logstash pipeline never looks like
        // one).
        if conf && text.as_deref().is_some_and(|t| clients::is_client(path, t)) {
            self.clients.insert(path.to_path_buf());
            return true;
        }
        if let Some(text) = text.as_deref().filter(|_| !conf) {
            match sniff::sniff(path, text) {
                sniff::Sniffed::Client => {
                    self.clients.insert(path.to_path_buf());
                    return true;
                }
                sniff::Sniffed::Manifest => {
                    self.manifests.insert(path.to_path_buf());
                    return true;
                }
                sniff::Sniffed::Compose => {
                    self.compose.insert(path.to_path_buf());
                    return true;
                }
                sniff::Sniffed::Skip(why) => {
                    // Only what looks like the Elastic Stack's earns a notice.
                    let elastic = by_name
                        || sniff::elastic_template_name(path)
                        || text.to_ascii_lowercase().contains("elastic");
                    if elastic {
                        self.skipped.insert(path.to_path_buf(), why);
                    }
                    return elastic;
                }
                sniff::Sniffed::AsNamed => {}
            }
        }
        if is_es_config(path) {
            self.configs.insert(path.to_path_buf());
            if let Some(text) = text {
                self.keep_text(path.to_path_buf(), text);
            }
        } else if components::kind_from_name(path).is_some() {
            self.components.insert(path.to_path_buf());
        } else if components::is_pipeline(path)
            || path.file_name().is_some_and(|n| n == "pipelines.yml")
        {
            self.pipelines.insert(path.to_path_buf());
        } else if manifests::is_compose(path) {
            self.compose.insert(path.to_path_buf());
        } else if yaml && text.as_deref().is_some_and(manifests::is_manifest) {
            self.manifests.insert(path.to_path_buf());
        } else if security_files::kind_from_name(path).is_some() {
            self.security_files.insert(path.to_path_buf());
        } else if components::is_service_env_file(path) {
            self.env_files.insert(path.to_path_buf());
        } else {
            return false;
        }
        true
    }
}

/// Fluent Bit, Fluentd, Vector and Grafana configurations: their Elasticsearch connections.
fn collect_clients(found: &Found, deployment: &mut Deployment) {
    for path in &found.clients {
        match clients::load(path, &display(path)) {
            // Source code that names the library without building a client is no client.
            Ok(found) if found.is_empty() && clients::is_code(path) => {}
            Ok(found) if found.is_empty() => deployment.skipped.push(InputError {
                path: display(path),
                message: "a Fluent Bit, Fluentd, Vector, Grafana, Spring Boot, OpenTelemetry \
                          Collector, Jaeger or Kafka Connect config with no connection to \
                          Elasticsearch that esaudit judges (an `elasticsearch` input, or \
                          Spring's removed transport-client `cluster-nodes`, is not one)"
                    .into(),
            }),
            Ok(mut found) => deployment.clients.append(&mut found),
            Err(e) => deployment.input_errors.push(e),
        }
    }
}

/// Kibana, Logstash (with its pipelines), Beats and Agent configs.
fn collect_components(found: &Found, deployment: &mut Deployment) {
    let mut roots = Vec::new();
    for path in &found.components {
        let Some(kind) = components::kind_from_name(path) else {
            continue;
        };
        match components::load(path, kind) {
            Ok(c) => {
                if kind == crate::evidence::component::ComponentKind::Logstash {
                    let dir = path.parent().unwrap_or(Path::new("."));
                    let root = dir
                        .parent()
                        .filter(|_| dir.ends_with("config"))
                        .unwrap_or(dir);
                    roots.push((deployment.components.len(), root.to_path_buf()));
                }
                deployment.components.push(c);
            }
            Err(e) => deployment.input_errors.push(e),
        }
    }
    let pipelines: Vec<PathBuf> = found.pipelines.iter().cloned().collect();
    components::attach_pipelines(
        &pipelines,
        &mut deployment.components,
        &roots,
        &mut deployment.input_errors,
    );
    let deployment_files = found
        .compose
        .iter()
        .map(|p| (p, true))
        .chain(found.manifests.iter().map(|p| (p, false)));
    let (paths, loaded): (Vec<_>, Vec<_>) = deployment_files
        .map(|(path, compose)| (path, manifests::load(path, compose)))
        .unzip();
    let (mut found_in, errors_in): (Vec<_>, Vec<_>) = loaded.into_iter().unzip();
    manifests::settle(&mut found_in, |i| paths[i].parent());
    let mut claimed = std::collections::HashSet::new();
    for (mut from_file, mut errors) in found_in.into_iter().zip(errors_in) {
        claimed.extend(from_file.claimed.iter().map(|p| canonical(p)));
        deployment.nodes.append(&mut from_file.nodes);
        deployment.components.append(&mut from_file.components);
        deployment.input_errors.append(&mut errors);
    }
    // A config a compose service mounts was judged with that service, once.
    if !claimed.is_empty() {
        let mine = |config: &str| claimed.contains(&canonical(Path::new(config)));
        deployment.nodes.retain(|n| !mine(&n.config_path));
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut deployment.components)
            .into_iter()
            .partition(|c| mine(&c.config_path));
        deployment.components = kept;
        // The pipelines found beside a mounted `logstash.yml` run in the service that mounts
        // it: they move to that service, whose settings were read from the same file.
        for old in gone.into_iter().filter(|c| !c.pipelines.is_empty()) {
            if let Some(service) = deployment.components.iter_mut().find(|c| {
                c.kind == old.kind
                    && c.pipelines.is_empty()
                    && c.settings
                        .entries
                        .iter()
                        .any(|s| s.location.path == old.config_path)
            }) {
                service.pipelines = old.pipelines;
                service.suppressions.extend(old.suppressions);
            }
        }
        // A mounted file that does not parse was reported by both readers.
        deployment.input_errors.sort();
        deployment.input_errors.dedup();
    }
    let env_files: Vec<PathBuf> = found.env_files.iter().cloned().collect();
    for c in &mut deployment.components {
        components::read_cas(c);
        if c.declared_at.is_some() || c.pipeline_only {
            continue;
        }
        match c.kind {
            crate::evidence::component::ComponentKind::Kibana => components::read_node_options(c),
            crate::evidence::component::ComponentKind::Logstash => {
                components::read_logstash_keystore(c, &env_files)
            }
            _ => {}
        }
    }
}

fn make_component_ids_unique(list: &mut [crate::evidence::component::Component]) {
    let mut counts = std::collections::BTreeMap::new();
    for c in list.iter() {
        *counts.entry(c.id.clone()).or_insert(0) += 1;
    }
    for c in list.iter_mut() {
        if counts[&c.id] > 1 {
            c.id = format!("{}@{}", c.id, c.config_path);
        }
    }
}

/// Every file read once: the index maps the path as joined to its place in the table. Files
/// are registered first and read together by [`FileTable::read_all`], in parallel.
#[derive(Default)]
struct FileTable {
    entries: Vec<FileEntry>,
    /// Each entry by every spelling of its path met so far.
    index: foldhash::HashMap<PathBuf, usize>,
    /// Each entry by its file's device and inode, which tell a file named by another spelling
    /// (a link, `..`, a bind mount) in one `stat`, where resolving the path took one
    /// `readlink` per folder of it, in the serial part of collecting.
    by_file: foldhash::HashMap<(u64, u64), usize>,
}

/// The device and inode of the file at `path`, if it can be looked up.
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

enum FileEntry {
    Read(SecurityFile),
    Pending {
        path: PathBuf,
        shown: String,
        hint: Option<FileKind>,
        passwords: Vec<security_files::StorePassword>,
    },
}

impl FileTable {
    fn add(
        &mut self,
        path: &Path,
        shown: String,
        hint: Option<FileKind>,
        passwords: &[security_files::StorePassword],
    ) -> usize {
        self.insert(path, |path| FileEntry::Pending {
            path: path.to_path_buf(),
            shown,
            hint,
            passwords: passwords.to_vec(),
        })
    }

    fn insert(&mut self, path: &Path, entry: impl FnOnce(&Path) -> FileEntry) -> usize {
        // A path met before needs no second trip through the file system (a node names its
        // certificate for each TLS layer).
        if let Some(&i) = self.index.get(path) {
            return i;
        }
        let identity = file_identity(path);
        if let Some(&i) = identity.and_then(|id| self.by_file.get(&id)) {
            self.index.insert(path.to_path_buf(), i);
            return i;
        }
        self.entries.push(entry(path));
        let i = self.entries.len() - 1;
        self.index.insert(path.to_path_buf(), i);
        if let Some(id) = identity {
            self.by_file.insert(id, i);
        }
        i
    }

    fn contains(&self, path: &Path) -> bool {
        self.index.contains_key(path)
            || file_identity(path).is_some_and(|id| self.by_file.contains_key(&id))
    }

    fn read_all(self) -> Vec<SecurityFile> {
        self.entries
            .into_par_iter()
            .map(|e| match e {
                FileEntry::Read(file) => file,
                FileEntry::Pending {
                    path,
                    shown,
                    hint,
                    passwords,
                } => security_files::read(&path, shown, hint, &passwords),
            })
            .collect()
    }
}

fn default_passwords(options: &CollectOptions) -> Vec<security_files::StorePassword> {
    let mut out = vec![security_files::StorePassword {
        source: "the empty password".into(),
        value: String::new(),
    }];
    if let Some(p) = &options.store_password {
        out.push(security_files::StorePassword {
            source: "ESAUDIT_STORE_PASSWORD".into(),
            value: p.clone(),
        });
    }
    out
}

/// Reads the node's keystore and every file its TLS settings name, and notes the certificate
/// files in its config folder that no setting names.
type KeystoreRead = (SecurityFile, Vec<security_files::StorePassword>);

/// The node's `elasticsearch.keystore`, when it has one, and the store passwords it holds.
fn read_node_keystore(node: &EsNode) -> Option<KeystoreRead> {
    let path = node.config_dir.join("elasticsearch.keystore");
    path.is_file()
        .then(|| security_files::read_keystore(&path, display(&path)))
}

fn attach_files(
    node: &mut EsNode,
    keystore: Option<KeystoreRead>,
    discovered: &BTreeSet<PathBuf>,
    files: &mut FileTable,
    options: &CollectOptions,
) {
    let mut passwords = default_passwords(options);
    if let Some((file, found)) = keystore {
        passwords.extend(found);
        let path = node.config_dir.join("elasticsearch.keystore");
        node.keystore = Some(files.insert(&path, |_| FileEntry::Read(file)));
    }
    let mut refs = Vec::new();
    for ctx in crate::evidence::tls::contexts(node) {
        for (sub, role) in [
            ("key", "key"),
            ("certificate", "certificate"),
            ("certificate_authorities", "certificate_authorities"),
            ("keystore.path", "keystore"),
            ("truststore.path", "truststore"),
        ] {
            let key = format!("{}.{sub}", ctx.prefix);
            let Some(setting) = node.settings.get(&key) else {
                continue;
            };
            if !setting.unresolved.is_empty() {
                continue;
            }
            let hint = match role {
                "keystore" | "truststore" => {
                    let kind = ctx
                        .settings
                        .get(&format!("{role}.type"))
                        .map(|t| t.to_string());
                    match kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                        Some("jks") => Some(FileKind::Jks),
                        Some("pkcs12") => Some(FileKind::Pkcs12),
                        _ => None,
                    }
                }
                _ => Some(FileKind::Pem),
            };
            for name in setting.value.as_list() {
                let path = node.config_dir.join(&name);
                let i = files.add(&path, display(&path), hint, &passwords);
                refs.push(FileRef {
                    key: key.clone(),
                    context: ctx.prefix.clone(),
                    role: role.to_string(),
                    file: i,
                });
            }
        }
    }
    node.file_refs = refs;
    let referenced: BTreeSet<usize> = node.file_refs.iter().map(|r| r.file).collect();
    // The discovered files are sorted: those under the config folder follow it in one run
    // (a scan per node of every file would be quadratic on a fleet).
    for path in discovered
        .range(node.config_dir.clone()..)
        .take_while(|p| p.starts_with(&node.config_dir))
    {
        if path
            .file_name()
            .is_some_and(|n| n == "elasticsearch.keystore")
        {
            continue;
        }
        let i = files.add(path, display(path), None, &passwords);
        if !referenced.contains(&i) && !node.loose_files.contains(&i) {
            node.loose_files.push(i);
        }
    }
}

fn discover(path: &Path, found: &mut Found) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.is_file()
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        found.snapshots.insert(path.to_path_buf());
        return Ok(());
    }
    if meta.is_file() {
        if !found.add(path) {
            return Err(
                "not a recognised file (expected elasticsearch.yml, kibana.yml, logstash.yml, a pipeline .conf, a Beat or Agent config, a compose file, a Kubernetes manifest or Helm values, a certificate, key or store, a config of a tool that sends to Elasticsearch (Fluent Bit, Fluentd, Vector, Grafana, Spring Boot, OpenTelemetry Collector, Jaeger, Kafka Connect, ES-Hadoop, an APM agent), or code or a .env that builds an Elasticsearch client)"
                    .into(),
            );
        }
        return Ok(());
    }
    // The folder's own entries are read here and each subfolder is walked on its own, in
    // parallel: a fleet root holds many deployment folders, and walking 10,000 node folders one
    // after the other took longer than parsing them.
    let mut subfolders = Vec::new();
    walk(path, found, Some(&mut subfolders))?;
    let parts: Vec<Result<Found, String>> = subfolders
        .par_iter()
        .map(|dir| {
            let mut part = Found::default();
            walk(dir, &mut part, None).map(|()| part)
        })
        .collect();
    for part in parts {
        found.append(part?);
    }
    Ok(())
}

/// Walks the folder `root` into `found`. With `subfolders`, only `root`'s own entries are read:
/// the folders in it that are not skipped are handed back instead of entered.
fn walk(
    root: &Path,
    found: &mut Found,
    mut subfolders: Option<&mut Vec<PathBuf>>,
) -> Result<(), String> {
    let mut walker = WalkDir::new(root).follow_links(false).sort_by_file_name();
    if subfolders.is_some() {
        walker = walker.max_depth(1);
    }
    let walker = walker.into_iter().filter_entry(|e| {
        !(e.file_type().is_dir()
            && e.depth() > 0
            && (SKIPPED_DIRS.iter().any(|s| e.file_name() == *s) || is_kubelet_data_dir(e.path())))
    });
    // The whole listing first: whether a folder is a snapshot is told by the names of the files
    // in it, with no lookup of each marker file (three per folder, most of a fleet's folders).
    let listing: Vec<walkdir::Result<walkdir::DirEntry>> = walker.collect();
    let snapshot_dirs = snapshot_dirs(&listing, subfolders.is_some());
    let in_snapshot = |path: &Path| {
        snapshot_dirs
            .iter()
            .any(|d| path.starts_with(d) && path != d)
    };
    for entry in listing {
        // What cannot be listed inside a snapshot folder is never read.
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if e.path().is_some_and(in_snapshot) => continue,
            Err(e) => return Err(format!("cannot read: {e}")),
        };
        if in_snapshot(entry.path()) {
            continue;
        }
        if entry.file_type().is_dir() {
            match subfolders.as_deref_mut() {
                Some(later) if entry.depth() > 0 => later.push(entry.into_path()),
                _ if snapshot_dirs.iter().any(|d| d == entry.path()) => {
                    found.snapshots.insert(entry.into_path());
                }
                _ => {}
            }
            continue;
        }
        if !entry.file_type().is_file() && !is_mounted_config_file(&entry) {
            continue;
        }
        // A zip found while searching is read only when it looks like a diagnostics bundle.
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".zip") && name.contains("diagnostics") {
            found.snapshots.insert(entry.path().to_path_buf());
            continue;
        }
        found.add(entry.path());
    }
    Ok(())
}

/// The folders of a walk's listing that are snapshots (see [`snapshot::is_snapshot`]), told
/// from the files listed in them. With `shallow` (a listing of one level), only the root's.
fn snapshot_dirs(listing: &[walkdir::Result<walkdir::DirEntry>], shallow: bool) -> Vec<PathBuf> {
    // Only the few entries named like a snapshot's files are looked at.
    let mut markers: Vec<(&Path, &str)> = Vec::new();
    for entry in listing.iter().flatten() {
        let Some(name) = entry
            .file_name()
            .to_str()
            .filter(|n| snapshot::MARKERS.contains(n))
        else {
            continue;
        };
        let is_file =
            entry.file_type().is_file() || entry.file_type().is_symlink() && entry.path().is_file();
        if let (true, Some(dir), 1..) = (is_file, entry.path().parent(), entry.depth()) {
            markers.push((dir, name));
        }
    }
    let root = listing
        .first()
        .and_then(|e| e.as_ref().ok())
        .map(|e| e.path());
    let mut out: Vec<PathBuf> = markers
        .iter()
        .map(|(dir, _)| *dir)
        .filter(|dir| !shallow || root == Some(*dir))
        .filter(|dir| {
            snapshot::is_snapshot(|name| markers.iter().any(|(d, n)| d == dir && *n == name))
        })
        .map(Path::to_path_buf)
        .collect();
    // One folder once, and a snapshot inside another is part of it.
    out.sort();
    out.dedup_by(|inner, outer| inner.starts_with(&*outer));
    out
}

/// A folder the kubelet writes a mounted ConfigMap or Secret into (`..data`,
/// `..2026_12_06_10_00_00.123`): its files are read through the links beside it, at the path
/// the container sees.
fn is_kubelet_data_dir(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("..") && n != "..")
        && path.parent().is_some_and(|p| p.join("..data").exists())
}

/// A link the kubelet puts in a mounted ConfigMap folder (`elasticsearch.yml ->
/// ..data/elasticsearch.yml`). Other links are not followed.
fn is_mounted_config_file(entry: &walkdir::DirEntry) -> bool {
    entry.path_is_symlink()
        && entry
            .path()
            .parent()
            .is_some_and(|p| p.join("..data").is_dir())
        && std::fs::read_link(entry.path()).is_ok_and(|target| target.starts_with("..data"))
        && entry.path().is_file()
}

fn is_es_config(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "elasticsearch.yml" || n == "elasticsearch.yaml")
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

pub fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Two nodes with the same cluster and node name get their config path appended to the id.
fn make_ids_unique(nodes: &mut [EsNode]) {
    let mut counts = std::collections::BTreeMap::new();
    for n in nodes.iter() {
        *counts.entry(n.id.clone()).or_insert(0) += 1;
    }
    for n in nodes.iter_mut() {
        if counts[&n.id] > 1 {
            n.id = format!("{}@{}", n.id, n.config_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A file named by several spellings (a link, `..`) is one entry, read once; another file
    /// with the same bytes is another entry.
    #[test]
    fn the_file_table_knows_a_file_by_any_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "certs/node.crt", "x");
        write(root, "other/node.crt", "x");
        std::os::unix::fs::symlink("certs/node.crt", root.join("link.crt")).unwrap();
        let mut table = FileTable::default();
        let add = |table: &mut FileTable, path: &Path| table.add(path, display(path), None, &[]);
        let first = add(&mut table, &root.join("certs/node.crt"));
        assert_eq!(add(&mut table, &root.join("link.crt")), first);
        assert_eq!(
            add(&mut table, &root.join("other/../certs/node.crt")),
            first
        );
        assert!(table.contains(&root.join("link.crt")));
        assert!(!table.contains(&root.join("other/node.crt")));
        assert_ne!(add(&mut table, &root.join("other/node.crt")), first);
        // A file that is not there is known by the spelling it was named by.
        let missing = add(&mut table, &root.join("gone.crt"));
        assert_eq!(add(&mut table, &root.join("gone.crt")), missing);
        assert_eq!(table.read_all().len(), 3);
    }

    /// The top level is read in place and each subfolder walked on its own: what is found must
    /// not depend on that split, at any depth.
    #[test]
    fn discovery_skips_tool_folders_and_stops_at_snapshots_at_every_depth() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = "xpack.security.enabled: true\n";
        for found in [
            "elasticsearch.yml",
            "a/elasticsearch.yml",
            "a/b/c/elasticsearch.yml",
            "d/config/certs/node.crt",
        ] {
            write(root, found, config);
        }
        for skipped in [
            "node_modules/elasticsearch.yml",
            "a/.git/elasticsearch.yml",
            "a/b/target/x/elasticsearch.yml",
            "snap/elasticsearch.yml",
            "a/snap2/elasticsearch.yml",
        ] {
            write(root, skipped, config);
        }
        write(root, &format!("snap/{}", snapshot::MANIFEST), "{}");
        write(root, "a/snap2/nodes.json", "{}");
        write(root, "a/snap2/version.json", "{}");
        // A snapshot inside a snapshot is part of it; one marker alone makes no snapshot.
        write(root, "snap/inner/diagnostic_manifest.json", "{}");
        write(root, "e/version.json", "{}");
        write(root, "e/elasticsearch.yml", config);
        let mut found = Found::default();
        discover(root, &mut found).unwrap();
        let relative = |set: &BTreeSet<PathBuf>| -> Vec<String> {
            set.iter()
                .map(|p| p.strip_prefix(root).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(
            relative(&found.configs),
            [
                "a/b/c/elasticsearch.yml",
                "a/elasticsearch.yml",
                "e/elasticsearch.yml",
                "elasticsearch.yml"
            ]
        );
        assert_eq!(relative(&found.security_files), ["d/config/certs/node.crt"]);
        assert_eq!(relative(&found.snapshots), ["a/snap2", "snap"]);

        // A snapshot given as the path is one snapshot, whatever it holds.
        let mut found = Found::default();
        discover(&root.join("snap"), &mut found).unwrap();
        assert_eq!((found.snapshots.len(), found.configs.len()), (1, 0));
    }

    /// Texts kept for loading stay within their bound for the whole path scanned, though
    /// each subfolder is walked apart; a text past it is read again when its node is loaded.
    #[test]
    fn kept_texts_are_bounded_across_subfolders() {
        let half = "x".repeat(MAX_KEPT_TEXT_BYTES / 2 + 1);
        let mut whole = Found::default();
        for folder in ["a", "b"] {
            let mut part = Found::default();
            part.keep_text(PathBuf::from(folder), half.clone());
            assert_eq!(part.texts.len(), 1);
            whole.append(part);
        }
        assert_eq!(whole.texts.len(), 1);
        assert!(whole.kept_text_bytes <= MAX_KEPT_TEXT_BYTES);
    }

    /// A pipe where a node's file realm or a certificate is expected is never opened (opening
    /// it would wait for a writer for ever); the scan goes on.
    #[test]
    fn pipes_beside_a_node_are_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        write(
            &root,
            "es01/config/elasticsearch.yml",
            "xpack.security.enabled: true\nxpack.security.http.ssl.enabled: true\n\
             xpack.security.http.ssl.certificate: certs/node.crt\n",
        );
        std::fs::create_dir_all(root.join("es01/config/certs")).unwrap();
        for pipe in [
            "es01/config/users",
            "es01/config/roles.yml",
            "es01/config/certs/node.crt",
        ] {
            let made = std::process::Command::new("mkfifo")
                .arg(root.join(pipe))
                .status()
                .unwrap();
            assert!(made.success(), "mkfifo {pipe}");
        }
        let (done, scanned) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let deployment = collect(&[root], &CollectOptions::default());
            let _ = done.send(deployment);
        });
        let deployment = scanned
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the scan finishes");
        assert_eq!(deployment.nodes.len(), 1);
        let node = &deployment.nodes[0];
        assert!(node.file_users.is_none() && node.rbac.is_none());
        let cert = deployment
            .files
            .iter()
            .find(|f| f.path.ends_with("node.crt"))
            .expect("the named certificate is an entry");
        assert!(
            cert.error
                .as_deref()
                .is_some_and(|e| e.ends_with("is not a regular file")),
            "{:?}",
            cert.error
        );
    }
}
