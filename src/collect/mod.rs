//! Turns the paths a user named into evidence, and only that.

pub mod es_config;
pub mod node_files;
pub mod suppressions;

use crate::evidence::{Deployment, EsNode, EsVersion, InputError};
use std::collections::BTreeSet;
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
}

/// Reads every node configuration found under `paths` (files or folders, searched recursively).
/// Unreadable or malformed inputs become [`InputError`]s; everything else is still collected.
pub fn collect(paths: &[PathBuf], options: &CollectOptions) -> Deployment {
    let mut deployment = Deployment::default();
    let mut configs: BTreeSet<PathBuf> = BTreeSet::new();
    for path in paths {
        let before = configs.len();
        if let Err(message) = discover(path, &mut configs) {
            deployment.input_errors.push(InputError {
                path: display(path),
                message,
            });
            continue;
        }
        if configs.len() == before {
            deployment.input_errors.push(InputError {
                path: display(path),
                message: "no Elasticsearch configuration (elasticsearch.yml) found here".into(),
            });
        }
    }
    for config in configs {
        match es_config::load_node(&config, options) {
            Ok((node, mut errors)) => {
                deployment.input_errors.append(&mut errors);
                deployment.nodes.push(node);
            }
            Err(e) => deployment.input_errors.push(e),
        }
    }
    make_ids_unique(&mut deployment.nodes);
    deployment.input_errors.sort();
    deployment
}

fn discover(path: &Path, found: &mut BTreeSet<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.is_file() {
        if is_es_config(path) {
            found.insert(path.to_path_buf());
            return Ok(());
        }
        return Err("not a recognised configuration file (expected elasticsearch.yml)".into());
    }
    let walker = WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && e.depth() > 0
                && SKIPPED_DIRS.iter().any(|s| e.file_name() == *s))
        });
    for entry in walker {
        let entry = entry.map_err(|e| format!("cannot read: {e}"))?;
        if entry.file_type().is_file() && is_es_config(entry.path()) {
            found.insert(entry.path().to_path_buf());
        }
    }
    Ok(())
}

fn is_es_config(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "elasticsearch.yml" || n == "elasticsearch.yaml")
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
