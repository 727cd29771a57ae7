//! `kibana.yml`, `logstash.yml` and pipelines, Beats and standalone Elastic Agent configs.

use super::es_config::{parse_settings, read_text};
use super::{display, pipeline};
use crate::evidence::component::{Component, ComponentKind, PipelinePlugin};
use crate::evidence::settings::substitute_placeholders;
use crate::evidence::{InputError, Location, Setting, SettingValue, Settings};
use std::path::{Path, PathBuf};

const BEATS: &[&str] = &[
    "filebeat",
    "metricbeat",
    "heartbeat",
    "auditbeat",
    "packetbeat",
    "winlogbeat",
    "functionbeat",
    // APM Server is built on libbeat: its Elasticsearch output is a Beat's.
    "apm-server",
];

/// The component a config file belongs to, by its name.
pub fn kind_from_name(path: &Path) -> Option<ComponentKind> {
    let name = path.file_name()?.to_str()?;
    let (stem, ext) = name.rsplit_once('.')?;
    if !matches!(ext, "yml" | "yaml") {
        return None;
    }
    match stem {
        "kibana" => Some(ComponentKind::Kibana),
        "logstash" => Some(ComponentKind::Logstash),
        "elastic-agent" => Some(ComponentKind::Agent),
        s if BEATS.contains(&s) => Some(ComponentKind::Beat),
        _ => None,
    }
}

/// A Logstash pipeline file: `*.conf` whose first word is `input`, `filter` or `output`.
pub fn is_pipeline(path: &Path) -> bool {
    if path.extension().is_none_or(|e| e != "conf") {
        return false;
    }
    let Ok(text) = read_text(path) else {
        return false;
    };
    starts_like_pipeline(&text)
}

pub fn starts_like_pipeline(text: &str) -> bool {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    ["input", "filter", "output"].iter().any(|w| {
        first.starts_with(w)
            && !first[w.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

/// Where text embedded in another file sits: the file, and the offset of the embedded text's
/// first line and column (0 and 0 for a file of its own).
#[derive(Debug, Clone)]
pub struct Embed {
    pub path: String,
    /// Added to a line of the embedded text.
    pub line_offset: usize,
    /// Added to a column of the embedded text.
    pub column_offset: usize,
    /// When the embedded text's lines cannot be mapped (a quoted scalar), everything points here.
    pub fixed: Option<Location>,
}

impl Embed {
    pub fn file(path: &str) -> Embed {
        Embed {
            path: path.to_string(),
            line_offset: 0,
            column_offset: 0,
            fixed: None,
        }
    }

    pub fn at(&self, line: usize, column: usize) -> Location {
        match &self.fixed {
            Some(l) => l.clone(),
            None => Location::at(
                &self.path,
                line + self.line_offset,
                column + self.column_offset,
            ),
        }
    }

    /// Moves every setting of a parsed embedded file to its place in the outer file.
    pub fn relocate(&self, settings: &mut Settings) {
        for e in &mut settings.entries {
            e.location = self.at(e.location.line.unwrap_or(1), e.location.column.unwrap_or(1));
        }
    }

    /// A parse error of the embedded text, as a position in the outer file.
    pub fn error_at(&self, line: usize, column: usize, message: &str) -> String {
        let l = self.at(line, column);
        format!(
            "line {}, column {}: {message}",
            l.line.unwrap_or(1),
            l.column.unwrap_or(1)
        )
    }
}

/// Settings of a component YAML text placed at `embed`.
pub fn component_settings(text: &str, embed: &Embed) -> Result<Settings, String> {
    let mut settings = parse_settings(text, &embed.path).map_err(|e| remap_error(&e, embed))?;
    embed.relocate(&mut settings);
    Ok(settings)
}

/// Rewrites "invalid YAML at line L, column C: …" for an embedded text.
fn remap_error(message: &str, embed: &Embed) -> String {
    if embed.line_offset == 0 && embed.fixed.is_none() {
        return message.to_string();
    }
    let parse = || -> Option<(usize, usize, String)> {
        let rest = message.split_once("line ")?.1;
        let (line, rest) = rest.split_once(", column ")?;
        let (column, rest) = rest.split_once(':')?;
        Some((
            line.parse().ok()?,
            column.parse().ok()?,
            rest.trim().to_string(),
        ))
    };
    match parse() {
        Some((l, c, m)) => format!("invalid YAML at {}", embed.error_at(l, c, &m)),
        None => message.to_string(),
    }
}

/// The plugins of a pipeline text placed at `embed`.
pub fn pipeline_plugins(text: &str, embed: &Embed) -> Result<Vec<PipelinePlugin>, String> {
    let plugins = pipeline::parse(text).map_err(|e| {
        format!(
            "invalid pipeline at {}",
            embed.error_at(e.line, e.column, &e.message)
        )
    })?;
    let mut positions = pipeline::Positions::new(text);
    Ok(plugins
        .into_iter()
        .map(|p| {
            let (line, column) = positions.at(p.offset);
            let mut options = Settings::default();
            for a in &p.attributes {
                let Some(texts) = a.value.texts() else {
                    continue;
                };
                let (l, c) = positions.at(a.offset);
                let mut unresolved = Vec::new();
                let mut from_placeholder = false;
                let resolved: Vec<String> = texts
                    .iter()
                    .map(|t| {
                        let (v, missing, found) = substitute_placeholders(t);
                        unresolved.extend(missing);
                        from_placeholder |= found;
                        v
                    })
                    .collect();
                let value = match &a.value {
                    pipeline::Value::Array(_) => SettingValue::List(resolved),
                    _ => {
                        SettingValue::from_text(resolved.first().map(String::as_str).unwrap_or(""))
                    }
                };
                options.push(Setting {
                    key: a.name.clone(),
                    value,
                    unresolved,
                    from_placeholder,
                    location: embed.at(l, c),
                    occurrence: 0,
                });
            }
            PipelinePlugin {
                section: p.section,
                name: p.name,
                location: embed.at(line, column),
                options,
            }
        })
        .collect())
}

/// `pipelines.yml`: the pipelines written inline (`config.string`) are read where they sit;
/// the `path.config` values (files, folders or globs) are returned for the caller to follow.
pub fn pipelines_yml(
    text: &str,
    shown: &str,
) -> Result<(Vec<PipelinePlugin>, Vec<String>), String> {
    let docs = crate::yaml::parse(text).map_err(|e| format!("invalid YAML at {e}"))?;
    let mut out = Vec::new();
    let mut paths = Vec::new();
    for doc in &docs {
        let crate::yaml::NodeKind::Seq(entries) = &doc.kind else {
            if doc.is_null() {
                continue;
            }
            return Err("expected a list of pipelines".into());
        };
        for entry in entries {
            if let Some(p) = entry.get("path.config").and_then(|v| v.as_str()) {
                paths.push(p.to_string());
            }
            let Some(value) = entry.get("config.string") else {
                continue;
            };
            let Some(body) = value.as_str() else { continue };
            let line = text
                .lines()
                .nth(value.pos.line.saturating_sub(1))
                .unwrap_or("");
            let quoted = matches!(
                line.chars().nth(value.pos.column.saturating_sub(1)),
                Some('"') | Some('\'')
            );
            let embed = if quoted || !body.contains('\n') {
                Embed {
                    fixed: Some(Location::at(shown, value.pos.line, value.pos.column)),
                    ..Embed::file(shown)
                }
            } else {
                Embed {
                    path: shown.to_string(),
                    line_offset: value.pos.line - 1,
                    column_offset: value.pos.column - 1,
                    fixed: None,
                }
            };
            out.extend(pipeline_plugins(body, &embed)?);
        }
    }
    Ok((out, paths))
}

/// A component's name: a naming setting, else the file's folder (or its parent for a generic
/// `config` folder), else the kind.
pub fn component_name(kind: ComponentKind, settings: &Settings, path: &Path) -> String {
    let key = match kind {
        ComponentKind::Kibana => "server.name",
        ComponentKind::Logstash => "node.name",
        ComponentKind::Beat | ComponentKind::Agent => "name",
    };
    if let Some(v) = settings
        .get(key)
        .filter(|s| s.unresolved.is_empty())
        .map(|s| s.value.to_string())
        .filter(|v| !v.is_empty() && !v.contains("{{"))
    {
        return v;
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut parts = abs.components().rev().skip(1).filter_map(|c| match c {
        std::path::Component::Normal(n) => Some(n.to_string_lossy().to_string()),
        _ => None,
    });
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| kind.as_str().into());
    match parts.next() {
        Some(f) if matches!(f.as_str(), "config" | "conf" | "pipeline" | "etc") => {
            parts.next().map(|p| format!("{p}/{stem}")).unwrap_or(stem)
        }
        Some(f) => format!("{f}/{stem}"),
        None => stem,
    }
}

pub fn new_component(
    kind: ComponentKind,
    name: String,
    config_path: String,
    settings: Settings,
) -> Component {
    Component {
        id: format!("{}:{name}", kind.as_str()),
        kind,
        name,
        config_path,
        settings,
        pipelines: vec![],
        suppressions: vec![],
        pipeline_only: false,
        declared_at: None,
        peers: Default::default(),
        cas: vec![],
        node_options: vec![],
        keystore: None,
        places: Default::default(),
        published: None,
        oss: false,
        mesh_mtls: None,
    }
}

/// Loads one component config file.
pub fn load(path: &Path, kind: ComponentKind) -> Result<Component, InputError> {
    let shown = display(path);
    let fail = |message: String| InputError {
        path: shown.clone(),
        message,
    };
    let text = read_text(path).map_err(fail)?;
    let settings = component_settings(&text, &Embed::file(&shown)).map_err(fail)?;
    let name = component_name(kind, &settings, path);
    let mut c = new_component(kind, name, shown.clone(), settings);
    c.suppressions = super::suppressions::parse(&text, &shown);
    Ok(c)
}

/// Reads pipeline files and attaches each to its Logstash instance: the one whose
/// `pipelines.yml` names it in `path.config`, else the one whose install folder holds it (the
/// parent of the folder holding `logstash.yml`); the rest become instances of their own. Files a
/// `path.config` names are read even when the search did not find them as pipelines.
pub fn attach_pipelines(
    pipelines: &[PathBuf],
    components: &mut Vec<Component>,
    roots: &[(usize, PathBuf)],
    errors: &mut Vec<InputError>,
) {
    let is_yml = |p: &Path| p.file_name().is_some_and(|n| n == "pipelines.yml");
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    // `pipelines.yml` first, so the files they name are claimed before they are read.
    let mut queue: Vec<PathBuf> = pipelines.iter().filter(|p| is_yml(p)).cloned().collect();
    queue.extend(pipelines.iter().filter(|p| !is_yml(p)).cloned());
    let mut queued: std::collections::HashSet<PathBuf> =
        queue.iter().map(|p| canonical(p)).collect();
    let mut claimed: std::collections::HashMap<PathBuf, usize> = Default::default();
    // Pipeline files with no Logstash of their own: the files of one folder (a `conf.d`) are
    // one instance, as Logstash reads them with `path.config: <folder>`.
    let mut orphans: std::collections::HashMap<PathBuf, usize> = Default::default();
    let mut next = 0;
    while next < queue.len() {
        let path = queue[next].clone();
        next += 1;
        let shown = display(&path);
        let text = match read_text(&path) {
            Ok(t) => t,
            Err(message) => {
                errors.push(InputError {
                    path: shown,
                    message,
                });
                continue;
            }
        };
        let parsed = if is_yml(&path) {
            pipelines_yml(&text, &shown)
        } else {
            pipeline_plugins(&text, &Embed::file(&shown)).map(|p| (p, vec![]))
        };
        let (plugins, config_paths) = match parsed {
            Ok(p) => p,
            Err(message) => {
                errors.push(InputError {
                    path: shown,
                    message,
                });
                continue;
            }
        };
        let owner = claimed.get(&canonical(&path)).copied().or_else(|| {
            roots
                .iter()
                .filter(|(_, root)| path.starts_with(root))
                .max_by_key(|(_, root)| root.components().count())
                .map(|(i, _)| *i)
        });
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let index = match owner.or_else(|| orphans.get(&folder).copied()) {
            Some(i) => {
                if orphans.get(&folder) == Some(&i) && owner.is_none() {
                    // A second file of the folder: the instance is named after the folder.
                    let c = &mut components[i];
                    let name = folder_name(&folder);
                    c.id = format!("{}:{name}", ComponentKind::Logstash.as_str());
                    c.name = name;
                    c.config_path = display(&folder);
                    c.suppressions
                        .extend(super::suppressions::parse(&text, &shown));
                }
                i
            }
            None => {
                let name = component_name(ComponentKind::Logstash, &Settings::default(), &path);
                let mut c = new_component(
                    ComponentKind::Logstash,
                    name,
                    shown.clone(),
                    Settings::default(),
                );
                c.pipeline_only = true;
                c.suppressions = super::suppressions::parse(&text, &shown);
                components.push(c);
                orphans.insert(folder, components.len() - 1);
                components.len() - 1
            }
        };
        components[index].pipelines.extend(plugins);
        let bases = bases_of(&path);
        for value in config_paths {
            for file in resolve_config_path(&value, &bases) {
                let key = canonical(&file);
                claimed.entry(key.clone()).or_insert(index);
                if queued.insert(key) {
                    queue.push(file);
                }
            }
        }
    }
}

/// `parent/folder` of a pipeline folder, for an instance made of its files.
fn folder_name(folder: &Path) -> String {
    let abs = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    let mut names = abs.components().rev().filter_map(|c| match c {
        std::path::Component::Normal(n) => Some(n.to_string_lossy().to_string()),
        _ => None,
    });
    match (names.next(), names.next()) {
        (Some(f), Some(p)) => format!("{p}/{f}"),
        (Some(f), None) => f,
        _ => "logstash".into(),
    }
}

/// Finds a file or folder a component names, in the scanned tree.
///
/// A relative name is tried against each of `bases` in turn (the component's config folder,
/// then its install folder). An absolute name is used when it exists on this machine;
/// otherwise it is taken for a path inside a container or another host
/// (`/usr/share/logstash/pipeline`, `/etc/kibana/certs/ca.crt`) and its trailing components are
/// looked up under each base, longest tail first: `/usr/share/kibana/config/certs/ca.crt`
/// matches `<base>/config/certs/ca.crt`, then `<base>/certs/ca.crt`, then `<base>/ca.crt`. The
/// first that exists wins; nothing outside `bases` is ever read that way.
pub fn resolve(name: &str, bases: &[PathBuf], want_dir: bool) -> Option<PathBuf> {
    let fits = |p: &Path| if want_dir { p.is_dir() } else { p.is_file() };
    let path = Path::new(name.trim());
    if path.as_os_str().is_empty() {
        return None;
    }
    if path.is_absolute() {
        if fits(path) {
            return Some(path.to_path_buf());
        }
        let parts: Vec<&std::ffi::OsStr> = path
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(n) => Some(n),
                _ => None,
            })
            .collect();
        for start in 0..parts.len() {
            let tail: PathBuf = parts[start..].iter().collect();
            for base in bases {
                let candidate = base.join(&tail);
                if fits(&candidate) {
                    return Some(candidate);
                }
            }
        }
        return None;
    }
    bases.iter().map(|b| b.join(path)).find(|p| fits(p))
}

/// Whether a file name matches a glob of `*`, `?` and `{a,b}` (as Logstash's `path.config`).
fn glob_match(pattern: &str, name: &str) -> bool {
    globset::Glob::new(pattern)
        .map(|g| g.compile_matcher().is_match(name))
        .unwrap_or(false)
}

/// The files a `path.config` value names: a file, a folder (every file in it), or a glob in
/// the last component (`/usr/share/logstash/pipeline/*.conf`), found as [`resolve`] says. Sorted
/// like Logstash concatenates them.
pub fn resolve_config_path(value: &str, bases: &[PathBuf]) -> Vec<PathBuf> {
    let value = value.trim();
    let (dir, pattern) = match value.rsplit_once('/') {
        Some((d, last)) if last.contains(['*', '?', '{', '[']) => {
            (if d.is_empty() { "/" } else { d }, Some(last))
        }
        _ => (value, None),
    };
    if pattern.is_none()
        && let Some(file) = resolve(value, bases, false)
    {
        return vec![file];
    }
    let Some(folder) = resolve(dir, bases, true) else {
        return vec![];
    };
    let mut out: Vec<PathBuf> = std::fs::read_dir(&folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            pattern.is_none_or(|g| glob_match(g, &name))
        })
        .collect();
    out.sort();
    out
}

/// Settings that name CA files a component trusts for its connection to Elasticsearch.
fn is_ca_key(kind: ComponentKind, key: &str) -> bool {
    match kind {
        ComponentKind::Kibana => key == "elasticsearch.ssl.certificateAuthorities",
        ComponentKind::Logstash => {
            key.starts_with("xpack.monitoring.elasticsearch.ssl.certificate_authorit")
                || key.starts_with("xpack.management.elasticsearch.ssl.certificate_authorit")
        }
        ComponentKind::Beat | ComponentKind::Agent => {
            key.ends_with(".ssl.certificate_authorities")
                && (key.starts_with("output.elasticsearch.")
                    || key.starts_with("outputs.")
                    || key.starts_with("monitoring.elasticsearch.")
                    || key.starts_with("xpack.monitoring.elasticsearch."))
        }
    }
}

/// The config folder of a file and the folder above it (the install folder when the config
/// sits in `config/`).
pub fn bases_of(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut out = vec![dir.clone()];
    if let Some(up) = dir.parent() {
        out.push(if up.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            up.to_path_buf()
        });
    }
    out
}

/// Reads the CA files a component's settings (and its pipelines' Elasticsearch plugins) name.
/// A CA that is absent or unreadable is kept with its error: nothing is judged on it.
pub fn read_cas(c: &mut Component) {
    if c.declared_at.is_some() {
        // Paths inside a container whose volumes the scan does not follow.
        return;
    }
    let mut wanted: Vec<(String, String, Location, Vec<PathBuf>)> = Vec::new();
    let own_bases = bases_of(Path::new(&c.config_path));
    if !c.pipeline_only {
        for s in &c.settings.entries {
            if is_ca_key(c.kind, &s.key) && s.unresolved.is_empty() {
                for v in s.value.as_list() {
                    wanted.push((s.key.clone(), v, s.location.clone(), own_bases.clone()));
                }
            }
        }
    }
    for p in c.pipelines.iter().filter(|p| p.name == "elasticsearch") {
        let mut bases = bases_of(Path::new(&p.location.path));
        bases.extend(own_bases.iter().cloned());
        for s in &p.options.entries {
            if matches!(s.key.as_str(), "ssl_certificate_authorities" | "cacert")
                && s.unresolved.is_empty()
            {
                for v in s.value.as_list() {
                    let key = format!("{}.{}.{}", p.section, p.name, s.key);
                    wanted.push((key, v, s.location.clone(), bases.clone()));
                }
            }
        }
    }
    for (key, name, location, bases) in wanted {
        let (path, certificates, error) = match resolve(&name, &bases, false) {
            Some(path) => {
                let file = super::security_files::read(
                    &path,
                    display(&path),
                    Some(crate::evidence::FileKind::Pem),
                    &[],
                );
                (display(&path), file.certificates, file.error)
            }
            None => (name.clone(), vec![], Some(format!("{name} was not found"))),
        };
        c.cas.push(crate::evidence::component::ComponentCa {
            key,
            path,
            location,
            certificates,
            error,
        });
    }
    if let Some(first) = c.cas.first() {
        let place = crate::evidence::component::Place {
            location: first.location.clone(),
            object: format!("setting:{}", first.key),
        };
        c.places.insert("ca".into(), place);
    }
}

/// Reads the flags of Kibana's `node.options` beside `kibana.yml`: whitespace-separated words,
/// `#` starting a comment, each flag located at its own column.
pub fn read_node_options(c: &mut Component) {
    let path = Path::new(&c.config_path)
        .parent()
        .unwrap_or(Path::new("."))
        .join("node.options");
    let Ok(text) = read_text(&path) else {
        return;
    };
    let shown = display(&path);
    for (i, line) in text.lines().enumerate() {
        let mut offset = 0;
        for word in line.split_whitespace() {
            let at = offset + line[offset..].find(word).unwrap_or(0);
            offset = at + word.len();
            if word.starts_with('#') {
                break;
            }
            let column = line[..at].chars().count() + 1;
            c.node_options
                .push((word.to_string(), Location::at(&shown, i + 1, column)));
        }
    }
    place_node_options(c);
}

/// Points the `node.options` places at the first flag of each kind.
pub fn place_node_options(c: &mut Component) {
    for (flag, location) in &c.node_options {
        if let Some(class) = crate::evidence::component::node_option_class(flag) {
            c.places
                .entry(format!("node.options:{class}"))
                .or_insert_with(|| crate::evidence::component::Place {
                    location: location.clone(),
                    object: "file:node.options".into(),
                });
        }
    }
}

/// Files that set a service's environment on RPM and DEB installs.
pub fn is_service_env_file(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s.ends_with("sysconfig/logstash") || s.ends_with("default/logstash")
}

/// Notes `logstash.keystore` beside `logstash.yml`, with the scanned service environment files
/// (`/etc/sysconfig/logstash`, `/etc/default/logstash`) that set `LOGSTASH_KEYSTORE_PASS`.
pub fn read_logstash_keystore(c: &mut Component, env_files: &[PathBuf]) {
    let path = Path::new(&c.config_path)
        .parent()
        .unwrap_or(Path::new("."))
        .join("logstash.keystore");
    if !path.is_file() {
        return;
    }
    let shown = display(&path);
    let password_source = env_files.iter().find_map(|f| {
        let text = read_text(f).ok()?;
        text.lines()
            .map(|l| l.trim().trim_start_matches("export "))
            .filter_map(|l| l.split_once('='))
            .any(|(k, v)| k.trim() == "LOGSTASH_KEYSTORE_PASS" && !v.trim().is_empty())
            .then(|| display(f))
    });
    let place = crate::evidence::component::Place {
        location: Location::file(&shown),
        object: format!("file:{shown}"),
    };
    c.places.insert("logstash.keystore".into(), place);
    c.keystore = Some(crate::evidence::component::ComponentKeystore {
        path: shown,
        password_source,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_paths_map_onto_the_scanned_tree() {
        let dir = tempfile::tempdir().unwrap();
        let ls = dir.path().join("logstash");
        std::fs::create_dir_all(ls.join("config")).unwrap();
        std::fs::create_dir_all(ls.join("pipeline")).unwrap();
        for f in ["a.conf", "b.conf", "c.txt"] {
            std::fs::write(ls.join("pipeline").join(f), "").unwrap();
        }
        let bases = bases_of(&ls.join("config/pipelines.yml"));
        let found = resolve_config_path("/usr/share/logstash/pipeline/*.conf", &bases);
        let names: Vec<_> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["a.conf", "b.conf"]);
        assert_eq!(resolve_config_path("pipeline", &bases).len(), 3);
        assert_eq!(resolve_config_path("../pipeline/{a,c}.*", &bases).len(), 2);
        assert!(resolve_config_path("/nowhere/x/*.conf", &bases).is_empty());
        assert!(resolve("/etc/logstash/missing.crt", &bases, false).is_none());
    }
}
