//! The JSON report: a versioned public contract (see README, "JSON report").

use crate::Scan;
use crate::evidence::InputError;
use crate::results::{RuleResult, Target};
use crate::score::Score;
use serde::Serialize;

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
    score: &'a Score,
    targets: &'a [Target],
    errors: &'a [InputError],
    results: &'a [RuleResult],
}

pub fn render(scan: &Scan) -> String {
    let profile = match scan.profile {
        crate::rules::Profile::Baseline => "baseline",
        crate::rules::Profile::Strict => "strict",
        crate::rules::Profile::Fips => "fips",
    };
    let report = JsonReport {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "esaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        profile,
        score: &scan.score,
        targets: &scan.targets,
        errors: &scan.input_errors,
        results: &scan.results,
    };
    let mut text = serde_json::to_string_pretty(&report).expect("report serialises");
    text.push('\n');
    text
}
