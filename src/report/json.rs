//! The JSON report: a versioned public contract (see README, "JSON report").

use crate::Scan;
use crate::evidence::InputError;
use crate::results::{RuleResult, Target};
use crate::score::Score;
use crate::shard::Shard;
use crate::waivers::WaiverReport;
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
    score: &'a Score,
    targets: &'a [Target],
    errors: &'a [InputError],
    waivers: &'a WaiverReport,
    results: &'a [RuleResult],
}

pub fn render(scan: &Scan) -> String {
    let profile = super::profile_name(scan);
    let report = JsonReport {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "esaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        profile,
        shard: scan.shard,
        score: &scan.score,
        targets: &scan.targets,
        errors: &scan.input_errors,
        waivers: &scan.waivers,
        results: &scan.results,
    };
    let mut text = serde_json::to_string_pretty(&report).expect("report serialises");
    text.push('\n');
    text
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
    pub grade: String,
}

/// Reads a JSON report written by `scan --format json`. The error names the file.
pub fn read(path: &std::path::Path) -> Result<StoredReport, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let report: StoredReport = serde_json::from_str(&text)
        .map_err(|e| format!("{name}: not an esaudit JSON report: {e}"))?;
    if report.version != FORMAT_VERSION {
        return Err(format!(
            "{name}: JSON report version {} (this esaudit reads version {FORMAT_VERSION})",
            report.version
        ));
    }
    Ok(report)
}
