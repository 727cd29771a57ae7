//! Scores: per category and overall, 0–100, with a grade.
//!
//! A *check* is one rule on one target: it fails when any of the rule's results on that target
//! fails (a rule judged on ten TLS contexts is still one check). Each judged check (passed or
//! failed) weighs by its severity: critical 10, high 5, medium 3, low 1, info 0. A category's
//! score is the weight that passed over the weight judged, × 100; the overall score is the same
//! ratio over every category. Grades: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F; any critical
//! failure makes the grade F, and any high failure caps it at C. Checks that could not be
//! judged (error), were waived or do not apply do not count towards the score; coverage says
//! how many there were.

use crate::results::{RuleResult, Status};
use crate::rules::Severity;
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::collections::BTreeMap;

pub fn weight(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 10.0,
        Severity::High => 5.0,
        Severity::Medium => 3.0,
        Severity::Low => 1.0,
        Severity::Info => 0.0,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryScore {
    pub value: f64,
    pub passed: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Coverage {
    /// Distinct rules that produced a result.
    pub rules: usize,
    /// Checks (rule × target) by outcome.
    pub checks: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub waived: usize,
    pub not_applicable: usize,
    /// Individual results (rule × item).
    pub results: usize,
    /// Findings (failing results, one per item) by severity, waived ones not included.
    pub findings: BTreeMap<Severity, usize>,
    /// The findings that fail the gate: those not already in the `--baseline`.
    pub gating: BTreeMap<Severity, usize>,
}

impl Coverage {
    /// `counts` by severity, worst first: `4 critical, 27 high` (empty when there are none).
    pub fn by_severity(counts: &BTreeMap<Severity, usize>) -> String {
        counts
            .iter()
            .rev()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `31 (4 critical, 27 high)`, or `0`: how Trivy sums up its findings.
    pub fn total_by_severity(counts: &BTreeMap<Severity, usize>) -> String {
        match counts.values().sum::<usize>() {
            0 => "0".into(),
            total => format!("{total} ({})", Self::by_severity(counts)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub value: f64,
    /// A to F; none when the scan is incomplete (an input could not be read, or nothing was
    /// judged): a grade over part of the deployment would mislead.
    pub grade: Option<String>,
    pub categories: BTreeMap<String, CategoryScore>,
    pub coverage: Coverage,
}

fn ratio(passed: f64, failed: f64) -> f64 {
    if passed + failed == 0.0 {
        100.0
    } else {
        (1000.0 * passed / (passed + failed)).round() / 10.0
    }
}

/// The outcome of a check from its results: any failure fails it; otherwise an error leaves it
/// unjudged; otherwise any pass passes it.
pub fn check_status(statuses: &[Status]) -> Status {
    let mut seen = Seen(0);
    statuses.iter().for_each(|s| seen.add(*s));
    seen.status()
}

/// The statuses a check's results had, as bits: what [`check_status`] decides on.
#[derive(Clone, Copy)]
struct Seen(u8);

impl Seen {
    /// The order in which a status decides the check's status.
    const PRECEDENCE: [Status; 4] = [Status::Fail, Status::Error, Status::Pass, Status::Waived];

    fn add(&mut self, status: Status) {
        if let Some(i) = Self::PRECEDENCE.iter().position(|s| *s == status) {
            self.0 |= 1 << i;
        }
    }

    fn status(self) -> Status {
        Self::PRECEDENCE
            .iter()
            .enumerate()
            .find(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, s)| *s)
            .unwrap_or(Status::NotApplicable)
    }
}

pub fn score(results: &[RuleResult]) -> Score {
    let mut tally = Tally::default();
    tally.add(results);
    tally.finish()
}

/// The sums a score is made of, added up part by part: a fleet scanned in batches adds each
/// batch's results, then drops them. Every check must lie within one part (a target's results
/// all in one batch), which holds when parts are whole targets.
#[derive(Debug, Default)]
pub struct Tally {
    coverage: Coverage,
    rules: foldhash::HashSet<String>,
    /// Per category: weight passed, weight failed, checks passed, checks failed.
    weights: BTreeMap<&'static str, (f64, f64, usize, usize)>,
    critical_fail: bool,
    high_fail: bool,
}

impl Tally {
    pub fn add(&mut self, results: &[RuleResult]) {
        let coverage = &mut self.coverage;
        coverage.results += results.iter().map(RuleResult::item_count).sum::<usize>();
        for r in results.iter().filter(|r| r.status == Status::Fail) {
            *coverage.findings.entry(r.severity).or_default() += 1;
            if r.gates() {
                *coverage.gating.entry(r.severity).or_default() += 1;
            }
        }
        // A check is a rule on a target. With the results in target order (as
        // `results::sort` leaves them), checks are told apart by rule within each target's
        // run, without hashing long target ids.
        let mut ordered: Vec<&RuleResult> = results.iter().collect();
        if !ordered.is_sorted_by(|a, b| a.target <= b.target) {
            ordered.sort_by(|a, b| a.target.cmp(&b.target));
        }
        let mut checks: HashMap<&str, (Seen, &RuleResult)> = HashMap::new();
        for run in ordered.chunk_by(|a, b| a.target == b.target) {
            checks.clear();
            for r in run {
                checks
                    .entry(r.rule.as_str())
                    .or_insert((Seen(0), r))
                    .0
                    .add(r.status);
            }
            coverage.checks += checks.len();
            for (seen, r) in checks.values() {
                if !self.rules.contains(r.rule.as_str()) {
                    self.rules.insert(r.rule.clone());
                }
                let status = seen.status();
                match status {
                    Status::Pass => coverage.passed += 1,
                    Status::Fail => coverage.failed += 1,
                    Status::Error => coverage.errors += 1,
                    Status::Waived => coverage.waived += 1,
                    Status::NotApplicable => coverage.not_applicable += 1,
                }
                let entry = self.weights.entry(r.category.as_str()).or_default();
                match status {
                    Status::Pass => {
                        entry.0 += weight(r.severity);
                        entry.2 += 1;
                    }
                    Status::Fail => {
                        entry.1 += weight(r.severity);
                        entry.3 += 1;
                        self.critical_fail |= r.severity == Severity::Critical;
                        self.high_fail |= r.severity == Severity::High;
                    }
                    _ => {}
                }
            }
        }
    }

    /// The rules that produced a result so far.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(String::as_str)
    }

    pub fn finish(self) -> Score {
        let Tally {
            mut coverage,
            rules,
            weights,
            critical_fail,
            high_fail,
        } = self;
        coverage.rules = rules.len();
        let categories = weights
            .iter()
            .filter(|(_, (_, _, p, f))| p + f > 0)
            .map(|(c, (pw, fw, p, f))| {
                (
                    c.to_string(),
                    CategoryScore {
                        value: ratio(*pw, *fw),
                        passed: *p,
                        failed: *f,
                    },
                )
            })
            .collect();
        let (pw, fw) = weights
            .values()
            .fold((0.0, 0.0), |(a, b), (p, f, _, _)| (a + p, b + f));
        let value = ratio(pw, fw);
        let mut grade = match value {
            v if v >= 90.0 => 'A',
            v if v >= 80.0 => 'B',
            v if v >= 70.0 => 'C',
            v if v >= 60.0 => 'D',
            _ => 'F',
        };
        if critical_fail {
            grade = 'F';
        } else if high_fail && grade < 'C' {
            grade = 'C';
        }
        Score {
            value,
            grade: Some(grade.to_string()),
            categories,
            coverage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Category;

    fn result(sev: Severity, status: Status, cat: Category) -> RuleResult {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut r = crate::results::sample(&format!("ES-X-{n:03}"), "t", status);
        r.category = cat;
        r.severity = sev;
        r.location.object = "o".into();
        r
    }

    #[test]
    fn weights_and_grades() {
        let s = score(&[
            result(Severity::High, Status::Pass, Category::Tls),
            result(Severity::Low, Status::Fail, Category::Tls),
            result(Severity::Medium, Status::Error, Category::Audit),
        ]);
        assert_eq!(s.value, 83.3);
        assert_eq!(s.grade.as_deref(), Some("B"));
        assert_eq!(s.categories["tls"].failed, 1);
        assert!(!s.categories.contains_key("audit"));
        assert_eq!(s.coverage.errors, 1);
    }

    /// One check (rule × target) with an error and a pass among its items could not be fully
    /// judged: it counts as an error, not as passed; a failure beside them decides.
    #[test]
    fn a_check_with_an_error_and_a_pass_is_not_passed() {
        let item = |status: Status, object: &str| {
            let mut r = crate::results::sample("ES-X-900", "t", status);
            r.location.object = object.into();
            r
        };
        let s = score(&[item(Status::Pass, "a"), item(Status::Error, "b")]);
        assert_eq!((s.coverage.passed, s.coverage.errors), (0, 1));
        let s = score(&[item(Status::Error, "a"), item(Status::Pass, "b")]);
        assert_eq!((s.coverage.passed, s.coverage.errors), (0, 1));
        let s = score(&[
            item(Status::Pass, "a"),
            item(Status::Error, "b"),
            item(Status::Fail, "c"),
        ]);
        assert_eq!(
            (s.coverage.passed, s.coverage.errors, s.coverage.failed),
            (0, 0, 1)
        );
        assert_eq!(check_status(&[Status::Pass, Status::Waived]), Status::Pass);
        assert_eq!(check_status(&[Status::Waived]), Status::Waived);
        assert_eq!(check_status(&[]), Status::NotApplicable);
    }

    /// The grade boundaries are inclusive: 90.0 is an A, 89.9 a B.
    #[test]
    fn grade_boundaries() {
        let grade = |passed: usize, failed: usize| {
            let mut all: Vec<_> = (0..passed)
                .map(|_| result(Severity::Low, Status::Pass, Category::Config))
                .collect();
            all.extend((0..failed).map(|_| result(Severity::Low, Status::Fail, Category::Config)));
            let s = score(&all);
            (s.value, s.grade.unwrap())
        };
        assert_eq!(grade(9, 1), (90.0, "A".to_string()));
        assert_eq!(grade(8, 1), (88.9, "B".to_string()));
        assert_eq!(grade(4, 1), (80.0, "B".to_string()));
        assert_eq!(grade(7, 3), (70.0, "C".to_string()));
        assert_eq!(grade(3, 2), (60.0, "D".to_string()));
        assert_eq!(grade(1, 1), (50.0, "F".to_string()));
    }

    #[test]
    fn critical_failure_is_an_f() {
        let mut all: Vec<_> = (0..50)
            .map(|_| result(Severity::High, Status::Pass, Category::Tls))
            .collect();
        all.push(result(
            Severity::Critical,
            Status::Fail,
            Category::Enablement,
        ));
        let s = score(&all);
        assert!(s.value > 90.0);
        assert_eq!(s.grade.as_deref(), Some("F"));
    }

    #[test]
    fn high_failure_caps_at_c() {
        let mut all: Vec<_> = (0..50)
            .map(|_| result(Severity::High, Status::Pass, Category::Tls))
            .collect();
        all.push(result(Severity::High, Status::Fail, Category::Tls));
        assert_eq!(score(&all).grade.as_deref(), Some("C"));
    }

    #[test]
    fn a_rule_on_many_items_is_one_check() {
        let mut fail = result(Severity::Medium, Status::Fail, Category::Tls);
        let mut pass = fail.clone();
        pass.status = Status::Pass;
        let pass2 = pass.clone();
        fail.location.object = "b".into();
        let s = score(&[pass, fail, pass2]);
        assert_eq!(
            (s.coverage.checks, s.coverage.failed, s.coverage.passed),
            (1, 1, 0)
        );
        assert_eq!(s.value, 0.0);
    }

    /// Checks are told apart within each target's run of results: results that are not in
    /// target order must count the same as sorted ones.
    #[test]
    fn results_out_of_target_order_count_the_same() {
        let on = |target: &str, status: Status| {
            let mut r = result(Severity::High, status, Category::Tls);
            r.rule = "ES-TLS-001".into();
            r.target = target.into();
            r
        };
        let interleaved = [
            on("node:a", Status::Pass),
            on("node:b", Status::Fail),
            on("node:a", Status::Fail),
            on("node:b", Status::Pass),
            on("node:c", Status::Pass),
        ];
        let mut sorted = interleaved.to_vec();
        sorted.sort_by(|a, b| a.target.cmp(&b.target));
        let (s, t) = (score(&interleaved), score(&sorted));
        assert_eq!(
            (s.coverage.checks, s.coverage.failed, s.coverage.passed),
            (3, 2, 1)
        );
        assert_eq!(
            (s.value, s.coverage.checks, s.coverage.failed),
            (t.value, t.coverage.checks, t.coverage.failed)
        );
    }

    /// Every count of the coverage, over checks of two targets whose results come interleaved
    /// (several items per check, every outcome, a baseline finding that does not gate).
    #[test]
    fn coverage_counts_every_outcome() {
        let r = |rule: &str, target: &str, status: Status, sev: Severity, object: &str| {
            let mut r = crate::results::sample(rule, target, status);
            r.severity = sev;
            r.category = Category::Tls;
            r.location.object = object.into();
            r
        };
        let mut old = r("ES-A-001", "t1", Status::Fail, Severity::High, "b");
        old.baseline = true;
        let results = [
            r("ES-A-001", "t1", Status::Fail, Severity::High, "a"),
            r("ES-A-002", "t2", Status::Pass, Severity::Critical, "a"),
            old,
            r("ES-A-003", "t1", Status::Error, Severity::Low, "a"),
            r("ES-A-002", "t1", Status::Pass, Severity::Critical, "a"),
            r("ES-A-004", "t2", Status::Waived, Severity::Medium, "a"),
            r("ES-A-005", "t2", Status::NotApplicable, Severity::Low, "a"),
            r("ES-A-006", "t2", Status::Fail, Severity::Low, "a"),
            r("ES-A-006", "t2", Status::Fail, Severity::Low, "b"),
        ];
        let s = score(&results);
        assert_eq!(
            s.coverage,
            Coverage {
                rules: 6,
                checks: 7,
                passed: 2,
                failed: 2,
                errors: 1,
                waived: 1,
                not_applicable: 1,
                results: 9,
                findings: BTreeMap::from([(Severity::High, 2), (Severity::Low, 2)]),
                gating: BTreeMap::from([(Severity::High, 1), (Severity::Low, 2)]),
            }
        );
        assert_eq!(
            s.categories["tls"],
            CategoryScore {
                value: 76.9,
                passed: 2,
                failed: 2
            }
        );
        assert_eq!(Coverage::by_severity(&s.coverage.findings), "2 high, 2 low");
        assert_eq!(
            Coverage::total_by_severity(&s.coverage.findings),
            "4 (2 high, 2 low)"
        );
        let none = BTreeMap::from([(Severity::Critical, 0)]);
        assert_eq!(Coverage::by_severity(&none), "");
        assert_eq!(Coverage::total_by_severity(&none), "0");
    }

    /// A category with only passes (or only failures) is still scored, and the tally lists the
    /// rules it has seen.
    #[test]
    fn one_sided_categories_and_rule_ids() {
        let mut tally = Tally::default();
        tally.add(&[
            result(Severity::High, Status::Pass, Category::Tls),
            result(Severity::Low, Status::Fail, Category::Audit),
        ]);
        let mut ids: Vec<&str> = tally.rule_ids().collect();
        ids.sort();
        assert_eq!(ids.len(), 2);
        assert!(ids.iter().all(|id| id.starts_with("ES-X-")), "{ids:?}");
        let s = tally.finish();
        assert_eq!(
            s.categories["tls"],
            CategoryScore {
                value: 100.0,
                passed: 1,
                failed: 0
            }
        );
        assert_eq!(
            s.categories["audit"],
            CategoryScore {
                value: 0.0,
                passed: 0,
                failed: 1
            }
        );
        assert_eq!(s.value, 83.3);
    }
}
