//! `elasticsearch.yml`: flat and nested keys, lists in every form, placeholders, repeated keys.

use super::{CollectOptions, MAX_CONFIG_BYTES, display, node_files};
use crate::evidence::settings::substitute_placeholders;
use crate::evidence::{
    EsNode, EsVersion, InputError, Location, Setting, SettingValue, Settings, VersionSource,
};
use crate::yaml::{self, Node, NodeKind};
use std::path::Path;

/// Reads a text file, refusing oversized and non-UTF-8 files with a message naming the problem.
pub fn read_text(path: &Path) -> Result<String, String> {
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    text_of(&mut file, len)
}

/// The text of the file at `path` when there is a regular file there (None when there is
/// nothing, or a folder, a pipe or a device, which are never opened: a pipe would block);
/// refused as [`read_text`] refuses.
pub fn read_text_if_file(path: &Path) -> Option<Result<String, String>> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    // The size is known: the open file is not asked again.
    Some(
        std::fs::File::open(path)
            .map_err(cannot)
            .and_then(|mut file| text_of(&mut file, meta.len())),
    )
}

fn cannot(e: std::io::Error) -> String {
    format!("cannot read: {e}")
}

/// The text of an open file of `len` bytes.
fn text_of(file: &mut std::fs::File, len: u64) -> Result<String, String> {
    if len > MAX_CONFIG_BYTES {
        return Err(format!(
            "file is {len} bytes, over the {MAX_CONFIG_BYTES} byte limit for configuration files"
        ));
    }
    let bytes = read_open(file, len).map_err(cannot)?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// The bytes of an open file whose size is known. A scan reads thousands of small files and
/// the kernel's share of it is large: `File::read_to_end` would ask the size and the position
/// again (two more system calls per file), so the read goes through `take`, which does not.
pub fn read_open(file: &mut std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(len as usize + 1);
    file.take(MAX_READ_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What [`read_open`] reads at most: a file that grew past every limit while it was read.
const MAX_READ_BYTES: u64 = 1 << 30;

/// Parses settings from the text of an `elasticsearch.yml`.
pub fn parse_settings(text: &str, path: &str) -> Result<Settings, String> {
    let docs = yaml::parse(text).map_err(|e| format!("invalid YAML at {e}"))?;
    let mut settings = Settings::default();
    match docs.as_slice() {
        [] => {}
        [root] if root.is_null() => {}
        [
            root @ Node {
                kind: NodeKind::Map(_),
                ..
            },
        ] => flatten("", root, None, path, &mut settings)?,
        [_] => return Err("expected a mapping of settings at the top level".into()),
        _ => return Err("holds several YAML documents; elasticsearch.yml has one".into()),
    }
    Ok(settings)
}

/// Settings of a YAML mapping that is part of a larger file (an ECK `config:` block): the
/// positions are those of the larger file.
pub fn settings_from_node(root: &Node, path: &str) -> Result<Settings, String> {
    let mut settings = Settings::default();
    match &root.kind {
        NodeKind::Map(_) => flatten("", root, None, path, &mut settings)?,
        _ if root.is_null() => {}
        _ => {
            return Err(format!(
                "line {}, column {}: expected a mapping of settings",
                root.pos.line, root.pos.column
            ));
        }
    }
    Ok(settings)
}

fn flatten(
    prefix: &str,
    node: &Node,
    key_node: Option<&Node>,
    path: &str,
    out: &mut Settings,
) -> Result<(), String> {
    if let NodeKind::Map(entries) = &node.kind
        && (!entries.is_empty() || prefix.is_empty())
    {
        for (k, v) in entries {
            let Some(name) = k.as_str() else {
                return Err(format!(
                    "line {}, column {}: a setting name must be text",
                    k.pos.line, k.pos.column
                ));
            };
            let full = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            flatten(&full, v, Some(k), path, out)?;
        }
        return Ok(());
    }
    // Logstash's `modules:` is a list of settings maps (`var.elasticsearch.password` and the
    // like): each entry's settings are kept, under `modules.<index>`.
    if prefix == "modules"
        && let NodeKind::Seq(items) = &node.kind
        && items.iter().all(|i| matches!(i.kind, NodeKind::Map(_)))
        && !items.is_empty()
    {
        for (i, item) in items.iter().enumerate() {
            flatten(&format!("{prefix}.{i}"), item, None, path, out)?;
        }
        return Ok(());
    }
    let key_pos = key_node.map(|k| k.pos).unwrap_or(node.pos);
    let mut unresolved = Vec::new();
    let mut from_placeholder = false;
    let mut resolve = |text: &str| {
        let (value, missing, found) = substitute_placeholders(text);
        unresolved.extend(missing);
        from_placeholder |= found;
        value
    };
    let value = match &node.kind {
        NodeKind::Seq(items) => {
            SettingValue::List(items.iter().map(|i| resolve(&scalar_text(i))).collect())
        }
        NodeKind::Scalar { text, .. } => SettingValue::from_text(&resolve(text)),
        NodeKind::Map(_) => SettingValue::Text(String::new()),
    };
    out.push(Setting {
        key: prefix.to_string(),
        value,
        unresolved,
        from_placeholder,
        location: Location::at(path, key_pos.line, key_pos.column),
        occurrence: 0,
    });
    Ok(())
}

fn scalar_text(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar { text, .. } => text.clone(),
        NodeKind::Seq(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(","),
        NodeKind::Map(_) => String::new(),
    }
}

/// Loads one node: its `elasticsearch.yml` and the files beside it. Problems with the companion
/// files come back as errors beside the node; a broken `elasticsearch.yml` fails the node.
/// `text` is the file's text when discovery has already read it.
pub fn load_node(
    config: &Path,
    text: Option<&str>,
    options: &CollectOptions,
) -> Result<(EsNode, Vec<InputError>), InputError> {
    let path = display(config);
    let fail = |message: String| InputError {
        path: path.clone(),
        message,
    };
    let read;
    let text = match text {
        Some(text) => text,
        None => {
            read = read_text(config).map_err(fail)?;
            &read
        }
    };
    let settings = parse_settings(text, &path).map_err(fail)?;
    let suppressions = super::suppressions::parse(text, &path);
    let config_dir = config.parent().unwrap_or(Path::new(".")).to_path_buf();
    let (version, version_source) = match options.es_version {
        Some(v) => (v, VersionSource::CommandLine),
        None => match node_files::distribution_version(&config_dir) {
            Some((v, jar)) => (v, VersionSource::Distribution(jar)),
            None => (EsVersion::NEWEST, VersionSource::Assumed),
        },
    };
    let plain = |key: &str| {
        settings
            .get(key)
            .filter(|s| s.unresolved.is_empty())
            .map(|s| s.value.to_string())
            .filter(|v| !v.is_empty())
    };
    let cluster = plain("cluster.name").unwrap_or_else(|| "elasticsearch".into());
    let name = plain("node.name").unwrap_or_else(|| folder_name(&config_dir));
    let mut errors = Vec::new();
    let jvm_options = node_files::jvm_options(&config_dir, &mut errors);
    let log4j = node_files::log4j(&config_dir, &mut errors);
    let file_users = node_files::file_users(&config_dir, &mut errors);
    let rbac = super::file_realm::read(&config_dir, &settings, file_users.as_ref(), &mut errors);
    Ok((
        EsNode {
            id: format!("node:{cluster}/{name}"),
            cluster,
            name,
            config_path: path,
            config_dir,
            api_source: None,
            version,
            version_source,
            settings,
            jvm_options,
            log4j,
            file_users,
            rbac,
            file_refs: vec![],
            keystore: None,
            loose_files: vec![],
            files_only: false,
            suppressions,
            hidden: None,
            license: None,
            paired_with: None,
            drift: vec![],
            published: None,
            declared_at: None,
            mesh_mtls: None,
        },
        errors,
    ))
}

/// A node's name when `node.name` is not set: the folder holding the config, or its parent
/// when that folder is a generic `config` / `elasticsearch` folder.
fn folder_name(config_dir: &Path) -> String {
    let abs = std::path::absolute(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
    let mut parts = abs.components().rev().filter_map(|c| match c {
        std::path::Component::Normal(n) => Some(n.to_string_lossy().to_string()),
        _ => None,
    });
    let first = parts.next().unwrap_or_else(|| "node".into());
    if matches!(first.as_str(), "config" | "elasticsearch" | "conf") {
        parts.next().unwrap_or(first)
    } else {
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(src: &str) -> Settings {
        parse_settings(src, "elasticsearch.yml").unwrap()
    }

    #[test]
    fn flat_and_nested_keys_mix() {
        let s = settings(
            "cluster.name: prod\nxpack:\n  security:\n    http.ssl:\n      enabled: true\nxpack.security.transport.ssl.enabled: \"true\"\n",
        );
        let http = s.get("xpack.security.http.ssl.enabled").unwrap();
        assert_eq!(http.value, SettingValue::Bool(true));
        assert_eq!(http.location, Location::at("elasticsearch.yml", 5, 7));
        assert_eq!(s.bool("xpack.security.transport.ssl.enabled"), Some(true));
        assert_eq!(s.text("cluster.name"), Some("prod"));
    }

    #[test]
    fn repeated_keys_in_both_forms_are_kept() {
        let s = settings("xpack.security.enabled: true\nxpack:\n  security:\n    enabled: false\n");
        let all: Vec<_> = s
            .entries
            .iter()
            .filter(|e| e.key == "xpack.security.enabled")
            .collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].location.line, Some(1));
        assert_eq!(all[1].location.line, Some(4));
        assert_eq!(all[1].occurrence, 2);
        assert_eq!(s.bool("xpack.security.enabled"), Some(false));
    }

    #[test]
    fn lists_in_every_form() {
        let s = settings(
            "a: [TLSv1.2, TLSv1.3]\nb:\n  - TLSv1.2\n  - TLSv1.3\nc: \"TLSv1.2,TLSv1.3\"\n",
        );
        for k in ["a", "b", "c"] {
            assert_eq!(
                s.value(k).unwrap().as_list(),
                vec!["TLSv1.2", "TLSv1.3"],
                "{k}"
            );
        }
    }

    #[test]
    fn placeholders_use_defaults_or_stay_unresolved() {
        let s = settings("a: ${SEC:false}\nb: ${HOST}\n");
        assert_eq!(s.bool("a"), Some(false));
        assert!(s.get("a").unwrap().from_placeholder);
        assert_eq!(s.get("b").unwrap().unresolved, vec!["HOST".to_string()]);
    }

    #[test]
    fn malformed_yaml_names_the_line() {
        let err = parse_settings("a: 1\n  b: [\n", "x.yml").unwrap_err();
        assert!(err.contains("line"), "{err}");
        assert!(parse_settings("- a\n- b\n", "x.yml").is_err());
    }
}
