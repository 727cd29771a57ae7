//! Scores: per category and overall, 0–100, with a grade.
//!
//! Each judged result (pass or fail) weighs by its severity: critical 10, high 5, medium 3,
//! low 1, info 0. A category's score is the weight that passed over the weight judged, × 100.
//! The overall score is the same ratio over every category. Grades: A ≥ 90, B ≥ 80, C ≥ 70,
//! D ≥ 60, else F; any critical failure makes the grade F, and any high failure caps it at C.
//! Errors, waivers and not-applicable results do not count towards the score; coverage says
//! how many there were.

use crate::results::{RuleResult, Status};
use crate::rules::Severity;
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
    pub results: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub waived: usize,
    pub not_applicable: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub value: f64,
    pub grade: String,
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

pub fn score(results: &[RuleResult]) -> Score {
    let mut weights: BTreeMap<&str, (f64, f64, usize, usize)> = BTreeMap::new();
    let mut coverage = Coverage {
        results: results.len(),
        ..Coverage::default()
    };
    let mut rules = std::collections::BTreeSet::new();
    let (mut critical_fail, mut high_fail) = (false, false);
    for r in results {
        rules.insert(r.rule.as_str());
        match r.status {
            Status::Pass => coverage.passed += 1,
            Status::Fail => coverage.failed += 1,
            Status::Error => coverage.errors += 1,
            Status::Waived => coverage.waived += 1,
            Status::NotApplicable => coverage.not_applicable += 1,
        }
        let entry = weights.entry(r.category.as_str()).or_default();
        match r.status {
            Status::Pass => {
                entry.0 += weight(r.severity);
                entry.2 += 1;
            }
            Status::Fail => {
                entry.1 += weight(r.severity);
                entry.3 += 1;
                critical_fail |= r.severity == Severity::Critical;
                high_fail |= r.severity == Severity::High;
            }
            _ => {}
        }
    }
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
        grade: grade.to_string(),
        categories,
        coverage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::ResultLocation;
    use crate::rules::Category;

    fn result(sev: Severity, status: Status, cat: Category) -> RuleResult {
        RuleResult {
            rule: format!("ES-X-{:03}", sev as u8),
            title: String::new(),
            category: cat,
            severity: sev,
            status,
            target: "t".into(),
            location: ResultLocation {
                path: None,
                line: None,
                column: None,
                object: "o".into(),
            },
            message: String::new(),
            evidence: None,
            remediation: String::new(),
            fingerprint: String::new(),
        }
    }

    #[test]
    fn weights_and_grades() {
        let s = score(&[
            result(Severity::High, Status::Pass, Category::Tls),
            result(Severity::Low, Status::Fail, Category::Tls),
            result(Severity::Medium, Status::Error, Category::Audit),
        ]);
        assert_eq!(s.value, 83.3);
        assert_eq!(s.grade, "B");
        assert_eq!(s.categories["tls"].failed, 1);
        assert!(!s.categories.contains_key("audit"));
        assert_eq!(s.coverage.errors, 1);
    }

    #[test]
    fn critical_failure_is_an_f() {
        let mut all: Vec<_> = (0..50)
            .map(|_| result(Severity::High, Status::Pass, Category::Tls))
            .collect();
        all.push(result(Severity::Critical, Status::Fail, Category::Enablement));
        let s = score(&all);
        assert!(s.value > 90.0);
        assert_eq!(s.grade, "F");
    }

    #[test]
    fn high_failure_caps_at_c() {
        let mut all: Vec<_> = (0..50)
            .map(|_| result(Severity::High, Status::Pass, Category::Tls))
            .collect();
        all.push(result(Severity::High, Status::Fail, Category::Tls));
        assert_eq!(score(&all).grade, "C");
    }
}
