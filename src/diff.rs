//! `esaudit diff OLD.json NEW.json`: what changed between two scans, matched by fingerprint.
//!
//! * new: fails in NEW and did not fail in OLD (absent, passing, waived, …);
//! * fixed: failed in OLD and passes, no longer applies or is gone in NEW;
//! * changed: failing or waived on either side, in neither list above, with a different status,
//!   severity, message, evidence or place.

use crate::report::json::FullReport;
use crate::report::place;
use crate::results::{RuleResult, Status};
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Serialize)]
pub struct ScoreChange {
    pub old: f64,
    pub new: f64,
    pub change: f64,
    pub old_grade: String,
    pub new_grade: String,
}

#[derive(Debug, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Serialize)]
pub struct Changed {
    pub changes: Vec<FieldChange>,
    /// The result as it is in NEW.
    pub result: RuleResult,
}

#[derive(Debug, Serialize)]
pub struct Diff {
    pub version: u32,
    pub score: ScoreChange,
    pub new: Vec<RuleResult>,
    pub fixed: Vec<RuleResult>,
    pub changed: Vec<Changed>,
}

pub fn compare(old: FullReport, new: FullReport) -> Diff {
    // A check result (a rule's passes on a target, counted) has no fingerprint: it never
    // failed, and a fixed failure is one that is gone.
    let before: BTreeMap<String, RuleResult> = old
        .results
        .into_iter()
        .filter(|r| !r.is_check())
        .map(|r| (r.fingerprint.clone(), r))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let (mut new_list, mut fixed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for r in new.results.into_iter().filter(|r| !r.is_check()) {
        seen.insert(r.fingerprint.clone());
        let was = before.get(&r.fingerprint);
        let failed_before = was.is_some_and(|w| w.status == Status::Fail);
        if r.status == Status::Fail && !failed_before {
            new_list.push(r);
        } else if failed_before && matches!(r.status, Status::Pass | Status::NotApplicable) {
            fixed.push(was.cloned().expect("failed before, so present"));
        } else if let Some(w) = was
            && [w.status, r.status]
                .iter()
                .any(|s| matches!(s, Status::Fail | Status::Waived))
        {
            let changes = field_changes(w, &r);
            if !changes.is_empty() {
                changed.push(Changed { changes, result: r });
            }
        }
    }
    fixed.extend(
        before
            .into_values()
            .filter(|r| r.status == Status::Fail && !seen.contains(&r.fingerprint)),
    );
    crate::results::sort(&mut new_list);
    crate::results::sort(&mut fixed);
    Diff {
        version: crate::report::json::FORMAT_VERSION,
        score: ScoreChange {
            old: old.score.value,
            new: new.score.value,
            change: ((new.score.value - old.score.value) * 10.0).round() / 10.0,
            old_grade: old.score.grade.unwrap_or_else(|| "none".into()),
            new_grade: new.score.grade.unwrap_or_else(|| "none".into()),
        },
        new: new_list,
        fixed,
        changed,
    }
}

fn field_changes(old: &RuleResult, new: &RuleResult) -> Vec<FieldChange> {
    let evidence = |r: &RuleResult| {
        r.evidence
            .as_ref()
            .map(|e| e.actual.clone())
            .unwrap_or_default()
    };
    let pairs = [
        (
            "status",
            old.status.as_str().to_string(),
            new.status.as_str().to_string(),
        ),
        (
            "severity",
            old.severity.as_str().into(),
            new.severity.as_str().into(),
        ),
        ("place", place(old), place(new)),
        ("message", old.message.clone(), new.message.clone()),
        ("evidence", evidence(old), evidence(new)),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, old, new)| FieldChange { field, old, new })
        .collect()
}

impl Diff {
    /// Whether something fails now that did not before: `esaudit diff` exits 1.
    pub fn has_new(&self) -> bool {
        !self.new.is_empty()
    }

    /// Whether a new failure is of `severity` or worse (`esaudit diff --fail-on`).
    pub fn has_new_at_or_above(&self, severity: crate::rules::Severity) -> bool {
        self.new.iter().any(|r| r.severity >= severity)
    }

    /// A pull-request comment: the score change, the new failures in a table, the fixed and
    /// changed ones folded away.
    pub fn to_markdown(&self) -> String {
        use crate::report::markdown::{FINDINGS_HEADER, cell, finding_row};
        let s = &self.score;
        let mut out = format!(
            "## esaudit diff: score {:.1} ({}) → {:.1} ({}), {:+.1}\n\n**{} new failing finding{}** · {} fixed · {} changed\n\n",
            s.old,
            s.old_grade,
            s.new,
            s.new_grade,
            s.change,
            self.new.len(),
            if self.new.len() == 1 { "" } else { "s" },
            self.fixed.len(),
            self.changed.len()
        );
        let rows = |list: &[RuleResult]| -> String {
            let rows: Vec<String> = list.iter().map(finding_row).collect();
            format!("{FINDINGS_HEADER}\n{}\n", rows.join("\n"))
        };
        if !self.new.is_empty() {
            let _ = writeln!(out, "### New failures\n\n{}", rows(&self.new));
        }
        if !self.fixed.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>Fixed ({})</summary>\n\n{}\n</details>\n",
                self.fixed.len(),
                rows(&self.fixed)
            );
        }
        if !self.changed.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>Changed ({})</summary>\n\n| Rule | Target | What changed |\n| --- | --- | --- |",
                self.changed.len()
            );
            for c in &self.changed {
                let what: Vec<String> = c
                    .changes
                    .iter()
                    .map(|f| cell(&format!("{}: {} → {}", f.field, f.old, f.new)))
                    .collect();
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} |",
                    c.result.rule,
                    cell(&c.result.target),
                    what.join("<br>")
                );
            }
            out.push_str("\n</details>\n");
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("diff serialises") + "\n"
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let s = &self.score;
        let _ = writeln!(
            out,
            "Score {:.1} ({}) → {:.1} ({}): {:+.1}\n",
            s.old, s.old_grade, s.new, s.new_grade, s.change
        );
        let table = |rows: Vec<Vec<String>>, header: &[&str]| {
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .force_no_tty()
                .set_width(120)
                .set_header(header.to_vec());
            for row in rows {
                t.add_row(row);
            }
            t
        };
        let findings = |list: &[RuleResult]| {
            list.iter()
                .map(|r| {
                    vec![
                        r.severity.as_str().to_string(),
                        r.rule.clone(),
                        r.target.clone(),
                        place(r),
                        r.message.clone(),
                    ]
                })
                .collect::<Vec<_>>()
        };
        let header = ["Severity", "Rule", "Target", "Where", "Finding"];
        for (title, list) in [("New failures", &self.new), ("Fixed", &self.fixed)] {
            if list.is_empty() {
                let _ = writeln!(out, "{title}: none\n");
            } else {
                let _ = writeln!(
                    out,
                    "{title} ({}):\n{}\n",
                    list.len(),
                    table(findings(list), &header)
                );
            }
        }
        if self.changed.is_empty() {
            let _ = writeln!(out, "Changed: none");
        } else {
            let rows = self
                .changed
                .iter()
                .map(|c| {
                    vec![
                        c.result.rule.clone(),
                        c.result.target.clone(),
                        c.changes
                            .iter()
                            .map(|f| format!("{}: {} → {}", f.field, f.old, f.new))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ]
                })
                .collect();
            let _ = writeln!(
                out,
                "Changed ({}):\n{}",
                self.changed.len(),
                table(rows, &["Rule", "Target", "What changed"])
            );
        }
        out
    }
}
