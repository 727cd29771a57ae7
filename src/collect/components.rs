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
/// pipelines kept in files (`path.config`) are read from those files when the scan finds them.
pub fn pipelines_yml(text: &str, shown: &str) -> Result<Vec<PipelinePlugin>, String> {
    let docs = crate::yaml::parse(text).map_err(|e| format!("invalid YAML at {e}"))?;
    let mut out = Vec::new();
    for doc in &docs {
        let crate::yaml::NodeKind::Seq(entries) = &doc.kind else {
            if doc.is_null() {
                continue;
            }
            return Err("expected a list of pipelines".into());
        };
        for entry in entries {
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
    Ok(out)
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
        .filter(|v| !v.is_empty())
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

/// Reads pipeline files and attaches each to the Logstash instance whose install folder holds
/// it (the parent of the folder holding `logstash.yml`); the rest become instances of their own.
pub fn attach_pipelines(
    pipelines: &[PathBuf],
    components: &mut Vec<Component>,
    roots: &[(usize, PathBuf)],
    errors: &mut Vec<InputError>,
) {
    for path in pipelines {
        let shown = display(path);
        let text = match read_text(path) {
            Ok(t) => t,
            Err(message) => {
                errors.push(InputError {
                    path: shown,
                    message,
                });
                continue;
            }
        };
        let parsed = if path.file_name().is_some_and(|n| n == "pipelines.yml") {
            pipelines_yml(&text, &shown)
        } else {
            pipeline_plugins(&text, &Embed::file(&shown))
        };
        let plugins = match parsed {
            Ok(p) => p,
            Err(message) => {
                errors.push(InputError {
                    path: shown,
                    message,
                });
                continue;
            }
        };
        let owner = roots
            .iter()
            .filter(|(_, root)| path.starts_with(root))
            .max_by_key(|(_, root)| root.components().count())
            .map(|(i, _)| *i);
        match owner {
            Some(i) => components[i].pipelines.extend(plugins),
            None => {
                let name = component_name(ComponentKind::Logstash, &Settings::default(), path);
                let mut c = new_component(
                    ComponentKind::Logstash,
                    name,
                    shown.clone(),
                    Settings::default(),
                );
                c.pipelines = plugins;
                c.pipeline_only = true;
                c.suppressions = super::suppressions::parse(&text, &shown);
                components.push(c);
            }
        }
    }
}
