//! `--baseline OLD.json`: failures already known from an earlier report are still shown, marked
//! `baseline: true`, but do not gate the run. Findings are matched by fingerprint (rule, target,
//! object), so a setting that moves to another line stays the same finding, and a finding in
//! one node can never stand in for the same rule failing in another.

use crate::results::{RuleResult, Status};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    fingerprints: BTreeSet<String>,
}

impl Baseline {
    /// Reads a JSON report; its failing and waived results make the baseline.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let report = crate::report::json::read(path)?;
        Ok(Baseline::from_results(&report.results))
    }

    pub fn from_results(results: &[RuleResult]) -> Baseline {
        Baseline {
            fingerprints: results
                .iter()
                .filter(|r| matches!(r.status, Status::Fail | Status::Waived))
                .map(|r| r.fingerprint.clone())
                .collect(),
        }
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// Marks the failures the baseline already knows.
    pub fn mark(&self, results: &mut [RuleResult]) {
        for r in results.iter_mut().filter(|r| r.status == Status::Fail) {
            r.baseline = self.contains(&r.fingerprint);
        }
    }
}
