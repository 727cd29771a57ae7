//! The parse floor: the time to merely read and parse every input file of a fleet, with the same
//! parallelism as a scan (rayon over the files): YAML, PEM, `jvm.options` and
//! `log4j2.properties`, each with the parser the scan uses. Shared by `benches/fleet.rs` and
//! `examples/parse_floor.rs`.

use esaudit::collect::node_files;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Reads and parses every file under `root`: `elasticsearch.yml` as YAML, PEM files
/// (certificates parsed as X.509, keys decoded from PEM), `jvm.options` and `log4j2.properties`
/// with the scan's own line parsers; returns how many items were parsed.
pub fn parse_floor(root: &Path) -> usize {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let text = || std::str::from_utf8(&bytes).unwrap();
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if extension == "yml" {
                esaudit::yaml::parse(text()).unwrap().len()
            } else if extension == "options" {
                node_files::parse_jvm_options(text(), "jvm.options").len()
            } else if extension == "properties" {
                node_files::parse_log4j(text(), String::new()).audit_logger as usize
            } else {
                x509_parser::pem::Pem::iter_from_buffer(&bytes)
                    .map(|pem| {
                        let pem = pem.unwrap();
                        if pem.label == "CERTIFICATE" {
                            pem.parse_x509().unwrap();
                        }
                        1
                    })
                    .sum()
            }
        })
        .sum()
}
