//! A result is one rule judged on one item. Scoring and every report read the same list.

use crate::rules::{Category, Severity};
use serde::{Deserialize, Serialize};

/// The rule that says the scanner's own credential is too powerful; its failures are also
/// printed as warnings.
pub const SCANNER_PRIVILEGES_RULE: &str = "ES-API-015";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Error,
    Waived,
    Pass,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Waived => "waived",
            Status::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub kind: String,
    pub source: String,
    /// The Elasticsearch version the target was judged against, and where it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_source: Option<String>,
    /// For TLS endpoints: the SSL-Labs-like grade (A, A-, B, C, F, T).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// For TLS endpoints: what the probe found (protocols, suites, order, client certificates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::evidence::endpoint::TlsSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What was judged: `setting:<key>`, `user:<name>`, …
    #[serde(default)]
    pub object: String,
    /// For a file judged on its own (a certificate, key or store): the setting that names it.
    /// An inline waiver on that setting's line covers the file's findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_by: Option<NamedBy>,
}

impl ResultLocation {
    /// No place at all: the location of a check's result, which stands for many items.
    pub fn is_unset(&self) -> bool {
        self == &ResultLocation::default()
    }
}

/// The setting that names a file, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedBy {
    pub setting: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub actual: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

/// One rule judged on one item, or, for a pass or a not-applicable in the default detail,
/// on a whole target: a *check* result, with `items` set to how many items it stands for and
/// no title, place, message or fingerprint (see [`Detail`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub status: Status,
    pub target: String,
    /// For a check result: how many items it judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<u32>,
    #[serde(default, skip_serializing_if = "ResultLocation::is_unset")]
    pub location: ResultLocation,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// What to change; only on failures (and on waived ones), to keep large reports lean.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fingerprint: String,
    /// Why a failure is accepted, when a waiver or an inline suppression matched it
    /// (`status` is then `waived`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
    /// The failure was already in the `--baseline` report: it is shown but does not gate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baseline: bool,
}

impl RuleResult {
    /// How many items this result judged: a check result's count, else one.
    pub fn item_count(&self) -> usize {
        self.items.map_or(1, |n| n as usize)
    }

    /// A result that stands for a whole check (rule × target) rather than one item.
    pub fn is_check(&self) -> bool {
        self.items.is_some()
    }

    /// This result made into the result of its check, standing for `items` items: no place,
    /// message, evidence or fingerprint, as no single item is meant.
    pub fn into_check(self, items: u32) -> RuleResult {
        RuleResult {
            items: Some(items),
            location: ResultLocation::default(),
            message: String::new(),
            evidence: None,
            remediation: String::new(),
            fingerprint: String::new(),
            ..self
        }
    }

    /// What the result says, in one line: its message, or for a check result, which has none,
    /// the rule's title and how many items it stands for.
    pub fn summary(&self) -> std::borrow::Cow<'_, str> {
        match self.items {
            Some(1) => format!("{} (1 item)", self.title).into(),
            Some(n) => format!("{} ({n} items)", self.title).into(),
            None => self.message.as_str().into(),
        }
    }

    /// A failure that fails the gate: not waived (waived results are not `fail`) and not
    /// already known from the baseline.
    pub fn gates(&self) -> bool {
        self.status == Status::Fail && !self.baseline
    }
}

/// How passes and not-applicables are reported. Failures, errors and waivers are always one
/// result per item; nobody reads hundreds of per-setting passes per node, so by default a
/// rule's passes on a target are one result that counts them (`--detail checks`), and
/// `--detail items` keeps one result per item judged (what JSON report version 1 held).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    #[default]
    Checks,
    Items,
}

/// Per-item passes and not-applicables made into check results, as `--detail checks` gives
/// them: for reports of both details merged into one, and for tests.
pub fn collapse_checks(results: Vec<RuleResult>) -> Vec<RuleResult> {
    let mut out: Vec<RuleResult> = Vec::with_capacity(results.len());
    let mut checks: std::collections::HashMap<(String, String, Status), usize> =
        std::collections::HashMap::new();
    for r in results {
        if !matches!(r.status, Status::Pass | Status::NotApplicable) {
            out.push(r);
            continue;
        }
        let key = (r.target.clone(), r.rule.clone(), r.status);
        match checks.get(&key) {
            Some(&at) => {
                let counted = out[at].items.get_or_insert(0);
                *counted += r.item_count() as u32;
            }
            None => {
                checks.insert(key, out.len());
                let items = r.item_count() as u32;
                out.push(r.into_check(items));
            }
        }
    }
    out
}

/// The accepted-risk record attached to a waived result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Where the waiver was written: `FILE:LINE` of the waivers file or of the inline comment.
    pub source: String,
}

/// A stable, dependency-free fingerprint of a result's identity: [`stable_hash`] in hex.
pub fn fingerprint(parts: &[&str]) -> String {
    format!("{:016x}", stable_hash(parts))
}

/// FNV-1a, 64 bits, over each part's bytes followed by a 0x1f separator. Unlike Rust's
/// randomised SipHash it is the same on every machine and in every release, which is what
/// fingerprints and `--shard` keys need: changing it changes every fingerprint and every share.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Orders results for output: by target, then worst status and severity first, then rule id.
///
/// Results arrive grouped by target (one node's, one endpoint's…), and targets share long
/// prefixes (`node:prod/es-0…`), so comparing target strings on every comparison of a large
/// fleet's million results dominated the sort. Runs of one target are ordered among themselves
/// first (a few thousand comparisons), then each target's results are sorted on their own, in
/// parallel. A target split over several runs (shares being merged) is gathered first.
pub fn sort(results: &mut Vec<RuleResult>) {
    use rayon::prelude::*;
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, r) in results.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if results[run.start].target == r.target => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    if !runs.is_sorted_by(|a, b| results[a.start].target < results[b.start].target) {
        runs.sort_by(|a, b| results[a.start].target.cmp(&results[b.start].target));
        let mut taken: Vec<Option<RuleResult>> =
            std::mem::take(results).into_iter().map(Some).collect();
        let mut ordered = Vec::with_capacity(taken.len());
        let mut regrouped: Vec<std::ops::Range<usize>> = Vec::new();
        for run in runs {
            let start = ordered.len();
            ordered.extend(
                taken[run]
                    .iter_mut()
                    .map(|r| r.take().expect("each run once")),
            );
            match regrouped.last_mut() {
                Some(last) if ordered[last.start].target == ordered[start].target => {
                    last.end = ordered.len()
                }
                _ => regrouped.push(start..ordered.len()),
            }
        }
        *results = ordered;
        runs = regrouped;
    }
    // Disjoint consecutive slices, one per target, sorted in parallel.
    let mut slices = Vec::with_capacity(runs.len());
    let mut rest: &mut [RuleResult] = results;
    for run in &runs {
        let (head, tail) = rest.split_at_mut(run.len());
        slices.push(head);
        rest = tail;
    }
    slices.into_par_iter().for_each(sort_run);
}

/// Sorts one target's results (status, then severity, rule, object, fingerprint). The order
/// is found on their indices, then each result is moved into place along its cycle: a result
/// is a few hundred bytes, and a sort of the results themselves moves each of them many times.
fn sort_run(run: &mut [RuleResult]) {
    fn key(r: &RuleResult) -> (Status, std::cmp::Reverse<Severity>, &str, &str, &str) {
        (
            r.status,
            std::cmp::Reverse(r.severity),
            r.rule.as_str(),
            r.location.object.as_str(),
            r.fingerprint.as_str(),
        )
    }
    // `order[i]`: the result that belongs at `i`. The sort is stable, as the one it replaces.
    let mut order: Vec<usize> = (0..run.len()).collect();
    order.sort_by(|&a, &b| key(&run[a]).cmp(&key(&run[b])));
    for start in 0..run.len() {
        let mut at = start;
        while order[at] != at {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            run.swap(at, from);
            at = from;
        }
    }
}

/// A result for unit tests: a high TLS finding with empty texts and no file; tests change
/// the fields they are about.
#[cfg(test)]
pub(crate) fn sample(rule: &str, target: &str, status: Status) -> RuleResult {
    RuleResult {
        rule: rule.into(),
        title: String::new(),
        category: Category::Tls,
        severity: Severity::High,
        status,
        target: target.into(),
        items: None,
        location: ResultLocation {
            path: None,
            line: None,
            column: None,
            object: String::new(),
            named_by: None,
        },
        message: String::new(),
        evidence: None,
        remediation: String::new(),
        fingerprint: String::new(),
        waiver: None,
        baseline: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(target: &str, rule: &str, status: Status) -> RuleResult {
        sample(rule, target, status)
    }

    #[test]
    fn sorting_orders_targets_then_status_and_gathers_a_target_split_in_runs() {
        let mut results = vec![
            result("node:b", "R-2", Status::Pass),
            result("node:b", "R-1", Status::Fail),
            result("node:a", "R-3", Status::Pass),
            result("node:b", "R-0", Status::Pass),
            result("node:c", "R-1", Status::Error),
            result("node:a", "R-1", Status::Pass),
            result("node:b", "R-9", Status::Fail),
        ];
        // The same order a plain comparison sort gives.
        let mut expected = results.clone();
        expected
            .sort_by(|a, b| (&a.target, a.status, &a.rule).cmp(&(&b.target, b.status, &b.rule)));
        sort(&mut results);
        assert_eq!(results, expected);
        // Already grouped input keeps working (and is the common case).
        sort(&mut results);
        assert_eq!(results, expected);
    }

    #[test]
    fn a_target_sorted_on_indices_is_what_a_stable_sort_gives() {
        // Many orders of one target's results, with ties (equal keys keep their order).
        for seed in 0..200u64 {
            let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let mut next = |n: u64| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) % n
            };
            let len = next(40) as usize;
            let statuses = [
                Status::Fail,
                Status::Pass,
                Status::Error,
                Status::NotApplicable,
            ];
            let mut run: Vec<RuleResult> = (0..len)
                .map(|i| {
                    let mut r = result(
                        "node:a",
                        &format!("R-{}", next(5)),
                        statuses[next(4) as usize],
                    );
                    r.message = i.to_string();
                    r
                })
                .collect();
            let mut expected = run.clone();
            expected.sort_by(|a, b| {
                (a.status, std::cmp::Reverse(a.severity), &a.rule).cmp(&(
                    b.status,
                    std::cmp::Reverse(b.severity),
                    &b.rule,
                ))
            });
            sort_run(&mut run);
            assert_eq!(run, expected, "seed {seed}");
        }
    }
}
