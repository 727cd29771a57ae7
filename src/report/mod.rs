//! Reports: every format reads the same [`Scan`]; none re-reads inputs or recomputes results.

pub mod ecs;
pub mod es_output;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

use crate::Scan;
use crate::rules::{Restart, Severity};
use serde::Deserialize;
use std::io::Write;
use std::path::Path;

/// An output format of `scan`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The terminal table.
    Table,
    /// One line per finding, `path:line:col: RULE severity message`, as editors link them.
    Concise,
    /// The JSON report (the versioned contract).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case per rule and target.
    Junit,
    /// Markdown for CI job summaries and merge-request comments.
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// Elastic Common Schema documents, one JSON object per line.
    Ecs,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Table,
        Format::Concise,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Html,
        Format::Ecs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Ecs => "ecs",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(text.trim()))
    }
}

/// Where a built-in rule is documented: its section of `docs/rules.md` in the repository
/// (GitHub's anchor of the heading `## ES-TLS-001`). None for a rule from a `--checks` folder.
pub fn rule_doc_url(id: &str) -> Option<String> {
    static BUILTIN: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    let builtin = BUILTIN.get_or_init(|| {
        crate::rules::builtin()
            .into_iter()
            .map(|r| r.rule.id)
            .collect()
    });
    builtin.contains(id).then(|| {
        format!(
            "{}/blob/main/docs/rules.md#{}",
            env!("CARGO_PKG_REPOSITORY"),
            id.to_ascii_lowercase()
        )
    })
}

/// What some formats need beyond the scan itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Colour the terminal table.
    pub color: bool,
    pub sarif: sarif::Options,
}

/// A rendered report, and anything the user should be told about it (on standard error).
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub text: String,
    pub warnings: Vec<String>,
}

impl From<String> for Rendered {
    fn from(text: String) -> Rendered {
        Rendered {
            text,
            warnings: Vec::new(),
        }
    }
}

pub fn render(format: Format, scan: &Scan, options: &Options) -> Rendered {
    match format {
        Format::Table => table::render(scan, options.color).into(),
        Format::Concise => table::concise(scan).into(),
        Format::Json => json::render(scan).into(),
        Format::Sarif => sarif::render(scan, &options.sarif),
        Format::Junit => junit::render(scan).into(),
        Format::Markdown => markdown::render(scan).into(),
        Format::Html => html::render(scan).into(),
        Format::Ecs => ecs::render(scan).into(),
    }
}

/// Writes `format` of `scan` into `out` and returns the warnings for the user. The JSON report
/// is serialised straight into the writer; the other formats are rendered first.
pub fn write(
    format: Format,
    scan: &Scan,
    options: &Options,
    out: &mut dyn Write,
) -> std::io::Result<Vec<String>> {
    if format == Format::Json {
        json::write(scan, out)?;
        return Ok(Vec::new());
    }
    let rendered = render(format, scan, options);
    out.write_all(rendered.text.as_bytes())?;
    Ok(rendered.warnings)
}

/// Writes a report atomically: a temporary file beside the target, then a rename, so an
/// interrupted run never leaves half a report.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    write_atomically_with(path, |out| out.write_all(contents.as_bytes()))
}

/// [`write_atomically`], with the contents written by `fill` through a buffer.
pub fn write_atomically_with<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<T>,
) -> std::io::Result<T> {
    // A device or pipe (`--output /dev/null`, `/dev/stdout`, a FIFO) is written in place:
    // renaming a file over it would replace the device itself.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut out = std::io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(path)?);
        let value = fill(&mut out)?;
        out.flush()?;
        return Ok(value);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    crate::interrupt::register(&tmp);
    let result = (|| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        let value = fill(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    crate::interrupt::unregister(&tmp);
    result
}

/// How a fix is applied, in words (shared by the formats that document rules).
pub fn restart_text(restart: Restart) -> &'static str {
    match restart {
        Restart::None => "no restart needed",
        Restart::Dynamic => "applies at once through the cluster settings API",
        Restart::Rolling => "needs a rolling restart",
        Restart::Full => "needs a full cluster restart",
    }
}

/// Severities from worst to least, for summaries.
pub const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// `profile` as written on the command line.
pub fn profile_name(scan: &Scan) -> &'static str {
    scan.profile.as_str()
}

/// `path:line` of a result, or the path alone, or the object when there is no file.
pub fn place(r: &crate::results::RuleResult) -> String {
    match (&r.location.path, r.location.line) {
        (Some(p), Some(l)) => format!("{p}:{l}"),
        (Some(p), None) => p.clone(),
        (None, _) => r.location.object.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_is_written_in_place_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomically(&fifo, "report text").unwrap();
        assert_eq!(reader.join().unwrap(), "report text");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }
}
