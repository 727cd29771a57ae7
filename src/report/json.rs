//! The JSON report: a versioned public contract (see docs/reports.md, "The JSON report").

use crate::Scan;
use crate::evidence::InputError;
use crate::results::{RuleResult, Target};
use crate::score::Score;
use crate::shard::Shard;
use crate::waivers::WaiverReport;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning or disappears; new fields do not bump it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    profile: &'a str,
    /// Only in the report of one share of a split scan (`--shard I/N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<Shard>,
    /// The `--baseline` report the failures were compared with, as named.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a str>,
    score: &'a Score,
    targets: &'a [Target],
    errors: &'a [InputError],
    /// Files passed over (templates, other tools' YAML), with why; absent when none.
    #[serde(skip_serializing_if = "<[InputError]>::is_empty")]
    skipped: &'a [InputError],
    waivers: &'a WaiverReport,
    results: &'a [RuleResult],
}

/// Where the elements of the empty `"results": []` array of `document` (pretty JSON) go: the
/// offset of its `]`. Reports whose results come one at a time (from a batched scan's spill)
/// write the document up to there, the elements, then the rest. Text inside strings cannot
/// match, as its quotes are escaped.
pub fn empty_results_at(document: &[u8]) -> std::io::Result<usize> {
    const EMPTY: &[u8] = b"\"results\": []";
    document
        .windows(EMPTY.len())
        .position(|w| w == EMPTY)
        .map(|at| at + EMPTY.len() - 1)
        .ok_or_else(|| std::io::Error::other("the report has no empty results array"))
}

/// Appends `value` to `out` as serde_json's pretty printer lays out an element nested inside
/// a document: each line indented by `indent`. Reports whose elements come one at a time
/// (from a batched scan's spill) are spliced together with this, byte for byte the document
/// serde_json would have written whole.
pub fn push_pretty_element(
    out: &mut Vec<u8>,
    value: &impl Serialize,
    indent: &[u8],
) -> serde_json::Result<()> {
    let element = serde_json::to_vec_pretty(value)?;
    for (i, line) in element.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(indent);
        out.extend_from_slice(line);
    }
    Ok(())
}

pub fn render(scan: &Scan) -> String {
    let mut text = Vec::new();
    write(scan, &mut text).expect("a report serialises into memory");
    String::from_utf8(text).expect("serde_json writes UTF-8")
}

/// Serialises the report straight into `out`: a large fleet's report is hundreds of
/// megabytes, and is never held whole in memory.
pub fn write(scan: &Scan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let profile = super::profile_name(scan);
    let report = JsonReport {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "esaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        profile,
        shard: scan.shard,
        baseline: scan.baseline.as_deref(),
        score: &scan.score,
        targets: &scan.targets,
        errors: &scan.input_errors,
        skipped: &scan.skipped,
        waivers: &scan.waivers,
        results: &scan.results,
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// A JSON report read back, for `--baseline` and `esaudit diff`: only what they compare.
#[derive(Debug, Deserialize)]
pub struct StoredReport {
    pub version: u32,
    pub profile: String,
    pub score: StoredScore,
    pub results: Vec<RuleResult>,
}

#[derive(Debug, Deserialize)]
pub struct StoredScore {
    pub value: f64,
    /// Null in the report of an incomplete scan.
    #[serde(default)]
    pub grade: Option<String>,
}

/// A JSON report read back whole, for `esaudit merge`.
#[derive(Debug, Deserialize)]
pub struct FullReport {
    pub version: u32,
    pub tool: StoredTool,
    pub profile: String,
    #[serde(default)]
    pub shard: Option<Shard>,
    #[serde(default)]
    pub baseline: Option<String>,
    pub targets: Vec<Target>,
    #[serde(default)]
    pub errors: Vec<InputError>,
    #[serde(default)]
    pub skipped: Vec<InputError>,
    #[serde(default)]
    pub waivers: WaiverReport,
    pub results: Vec<RuleResult>,
}

#[derive(Debug, Deserialize)]
pub struct StoredTool {
    pub name: String,
    pub version: String,
}

/// Reads a JSON report written by `scan --format json`. The error names the file.
pub fn read(path: &std::path::Path) -> Result<StoredReport, String> {
    read_as(path)
}

/// Reads a whole JSON report, made by esaudit (its `tool.name`). The error names the file.
pub fn read_full(path: &std::path::Path) -> Result<FullReport, String> {
    let report: FullReport = read_as(path)?;
    if report.tool.name != "esaudit" {
        return Err(format!(
            "{}: not an esaudit JSON report (made by {})",
            path.display(),
            report.tool.name
        ));
    }
    Ok(report)
}

/// The version is checked before the rest, so a report of another version is named as such
/// rather than as a parse error.
fn read_as<T: DeserializeOwned>(path: &std::path::Path) -> Result<T, String> {
    #[derive(Deserialize)]
    struct Version {
        version: Option<serde_json::Value>,
    }
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let not_a_report = |e: serde_json::Error| format!("{name}: not an esaudit JSON report: {e}");
    let version = serde_json::from_str::<Version>(&text).map_err(not_a_report)?;
    match version.version {
        Some(v) if v == FORMAT_VERSION => {}
        Some(v) if v.is_u64() => {
            return Err(format!(
                "{name}: JSON report version {v} (this esaudit reads version {FORMAT_VERSION})"
            ));
        }
        Some(v) => return Err(format!("{name}: not an esaudit JSON report (version {v})")),
        None => return Err(format!("{name}: not an esaudit JSON report: no `version`")),
    }
    serde_json::from_str(&text).map_err(not_a_report)
}
