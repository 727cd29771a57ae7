//! The JSON report: a versioned public contract (see docs/reports.md, "The JSON report").

use crate::Scan;
use crate::evidence::InputError;
use crate::results::{Detail, Evidence, ResultLocation, RuleResult, Status, Target, Waiver};
use crate::rules::{Category, Severity};
use crate::score::Score;
use crate::shard::Shard;
use crate::waivers::WaiverReport;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Bumped when a field changes meaning or disappears; new fields do not bump it. Version 2
/// made a check's passes and not-applicables one result (see [`crate::results::Detail`]).
pub const FORMAT_VERSION: u32 = 2;

/// The versions `merge`, `diff` and `--baseline` read.
const READABLE_VERSIONS: [u32; 2] = [1, 2];

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
    /// `checks` or `items`: whether passes and not-applicables are counted per check.
    detail: Detail,
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
    /// Each rule with a result: what a check result leaves out (its title, category and
    /// severity) is here, once.
    rules: Vec<RuleEntry<'a>>,
    /// Always written empty here; the results are spliced in, one per line (see [`write`]).
    results: [(); 0],
}

#[derive(Serialize, Deserialize)]
struct RuleEntry<'a> {
    id: &'a str,
    title: &'a str,
    category: Category,
    severity: Severity,
}

/// A check result as the report writes it: the rule, the target, the outcome and how many
/// items it stands for; the rest is in the report's `rules`.
#[derive(Serialize)]
struct CheckResult<'a> {
    rule: &'a str,
    status: Status,
    target: &'a str,
    items: u32,
}

/// Appends result `r` to `out` as one element of the report's `results` array: on a line of
/// its own, compact and not indented. Most of a large report is results, and one per line
/// keeps it small and easy to grep.
fn push_result(out: &mut Vec<u8>, r: &RuleResult) {
    let written = match r.items {
        Some(items) => serde_json::to_writer(
            &mut *out,
            &CheckResult {
                rule: &r.rule,
                status: r.status,
                target: &r.target,
                items,
            },
        ),
        None => serde_json::to_writer(&mut *out, r),
    };
    written.expect("a result serialises");
}

/// One target's run of results as elements of the `results` array, separated by `,\n`: what
/// [`write_with`] splices in (a batched scan keeps runs in its spill).
pub fn run_elements(run: &[RuleResult]) -> Vec<u8> {
    let mut out = Vec::with_capacity(run.len() * 200);
    for (i, r) in run.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        push_result(&mut out, r);
    }
    out
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
    write_with(
        scan,
        scan.results
            .chunk_by(|a, b| a.target == b.target)
            .map(|run| Ok(run_elements(run))),
        out,
    )
}

/// Writes the report of `scan` with its results given as `runs`, each made by
/// [`run_elements`]. The document is pretty JSON but for its
/// results, which are one per line.
pub fn write_with(
    scan: &Scan,
    runs: impl Iterator<Item = std::io::Result<Vec<u8>>>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let profile = super::profile_name(scan);
    let report = JsonReport {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "esaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        profile,
        detail: scan.detail,
        shard: scan.shard,
        baseline: scan.baseline.as_deref(),
        score: &scan.score,
        targets: &scan.targets,
        errors: &scan.input_errors,
        skipped: &scan.skipped,
        waivers: &scan.waivers,
        rules: scan
            .rules
            .iter()
            .map(|r| RuleEntry {
                id: &r.id,
                title: &r.title,
                category: r.category,
                severity: r.severity,
            })
            .collect(),
        results: [],
    };
    let empty = serde_json::to_vec_pretty(&report).map_err(std::io::Error::from)?;
    let open = empty_results_at(&empty)?;
    out.write_all(&empty[..open])?;
    let mut any = false;
    for run in runs {
        out.write_all(if any { b",\n" } else { b"\n" })?;
        out.write_all(&run?)?;
        any = true;
    }
    if any {
        out.write_all(b"\n  ")?;
    }
    out.write_all(&empty[open..])?;
    out.write_all(b"\n")
}

#[derive(Debug, Deserialize)]
pub struct StoredScore {
    pub value: f64,
    /// Null in the report of an incomplete scan.
    #[serde(default)]
    pub grade: Option<String>,
}

/// A JSON report read back whole (version 1 or 2), for `esaudit merge`, `diff` and
/// `--baseline`. Check results get back the title, category and severity that the report
/// keeps in its `rules`.
#[derive(Debug, Deserialize)]
#[serde(try_from = "StoredReport")]
pub struct FullReport {
    pub version: u32,
    pub tool: StoredTool,
    pub profile: String,
    /// Version 1 reports listed every item.
    pub detail: Detail,
    pub shard: Option<Shard>,
    pub baseline: Option<String>,
    pub score: StoredScore,
    pub targets: Vec<Target>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<InputError>,
    pub waivers: WaiverReport,
    pub results: Vec<RuleResult>,
}

/// [`FullReport`] as it is written.
#[derive(Deserialize)]
struct StoredReport {
    version: u32,
    tool: StoredTool,
    profile: String,
    #[serde(default = "item_detail")]
    detail: Detail,
    #[serde(default)]
    shard: Option<Shard>,
    #[serde(default)]
    baseline: Option<String>,
    score: StoredScore,
    targets: Vec<Target>,
    #[serde(default)]
    errors: Vec<InputError>,
    #[serde(default)]
    skipped: Vec<InputError>,
    #[serde(default)]
    waivers: WaiverReport,
    #[serde(default)]
    rules: Vec<StoredRule>,
    results: Vec<StoredResult>,
}

fn item_detail() -> Detail {
    Detail::Items
}

#[derive(Deserialize)]
struct StoredRule {
    id: String,
    title: String,
    category: Category,
    severity: Severity,
}

/// A result as written: a check result has no title, category or severity of its own.
#[derive(Deserialize)]
struct StoredResult {
    rule: String,
    #[serde(default)]
    title: String,
    category: Option<Category>,
    severity: Option<Severity>,
    status: Status,
    target: String,
    #[serde(default)]
    items: Option<u32>,
    #[serde(default)]
    location: ResultLocation,
    #[serde(default)]
    message: String,
    #[serde(default)]
    evidence: Option<Evidence>,
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    fingerprint: String,
    #[serde(default)]
    waiver: Option<Waiver>,
    #[serde(default)]
    baseline: bool,
}

impl TryFrom<StoredReport> for FullReport {
    type Error = String;

    fn try_from(report: StoredReport) -> Result<FullReport, String> {
        let rules: HashMap<&str, &StoredRule> =
            report.rules.iter().map(|r| (r.id.as_str(), r)).collect();
        let results = report
            .results
            .into_iter()
            .map(|r| {
                let entry = rules.get(r.rule.as_str());
                let (category, severity) = match (r.category, r.severity, entry) {
                    (Some(c), Some(s), _) => (c, s),
                    (c, s, Some(e)) => (c.unwrap_or(e.category), s.unwrap_or(e.severity)),
                    _ => {
                        return Err(format!(
                            "a result of rule {} on {} has no category or severity, and `rules` does not list the rule",
                            r.rule, r.target
                        ));
                    }
                };
                let title = match (r.title.is_empty(), entry) {
                    (true, Some(e)) => e.title.clone(),
                    _ => r.title,
                };
                Ok(RuleResult {
                    rule: r.rule,
                    title,
                    category,
                    severity,
                    status: r.status,
                    target: r.target,
                    items: r.items,
                    location: r.location,
                    message: r.message,
                    evidence: r.evidence,
                    remediation: r.remediation,
                    fingerprint: r.fingerprint,
                    waiver: r.waiver,
                    baseline: r.baseline,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(FullReport {
            version: report.version,
            tool: report.tool,
            profile: report.profile,
            detail: report.detail,
            shard: report.shard,
            baseline: report.baseline,
            score: report.score,
            targets: report.targets,
            errors: report.errors,
            skipped: report.skipped,
            waivers: report.waivers,
            results,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct StoredTool {
    pub name: String,
    pub version: String,
}

/// Reads a whole JSON report made by esaudit (its `tool.name`), version 1 or 2. The error
/// names the file.
pub fn read(path: &std::path::Path) -> Result<FullReport, String> {
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
        Some(v)
            if v.as_u64()
                .is_some_and(|v| READABLE_VERSIONS.contains(&(v as u32))) => {}
        Some(v) if v.is_u64() => {
            return Err(format!(
                "{name}: JSON report version {v} (this esaudit reads versions 1 and {FORMAT_VERSION})"
            ));
        }
        Some(v) => return Err(format!("{name}: not an esaudit JSON report (version {v})")),
        None => return Err(format!("{name}: not an esaudit JSON report: no `version`")),
    }
    serde_json::from_str(&text).map_err(not_a_report)
}
