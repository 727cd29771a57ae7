//! The terminal report: failures and errors grouped by target, worst first, then the score.

use crate::Scan;
use crate::results::{RuleResult, Status};
use crate::rules::{Rule, Severity};
use crate::score::Coverage;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use std::fmt::Write;

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    }
}

fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    // Not a terminal (a file, a pipe, a CI log even with --color always): a fixed width so
    // long findings still wrap.
    if t.width().is_none() {
        t.set_width(120);
    }
    t
}

fn header(t: &mut Table, names: &[&str]) {
    t.set_header(
        names
            .iter()
            .map(|n| Cell::new(n).add_attribute(Attribute::Bold)),
    );
}

pub fn render(scan: &Scan, color: bool) -> String {
    // Group once: filtering the whole result list per target is quadratic on a fleet.
    let mut by_target: std::collections::HashMap<&str, Vec<&RuleResult>> =
        std::collections::HashMap::new();
    for r in scan.results.iter().filter(|r| shown(r)) {
        by_target.entry(r.target.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    write(scan, color, &mut out, |target| {
        Ok(by_target
            .remove(target)
            .map(|shown| findings(shown, color).into_bytes()))
    })
    .expect("writing into memory does not fail");
    String::from_utf8(out).expect("the table is text")
}

/// Whether the table lists a result: failures, errors and waived failures.
pub fn shown(r: &RuleResult) -> bool {
    matches!(r.status, Status::Fail | Status::Error | Status::Waived)
}

/// Writes the report: each target of `scan` with its findings (what `findings_of` gives for
/// its id: the text [`findings`] rendered, or `None` when it has none), then the summary.
/// The findings come from the caller so that a batched scan can read them back from its spill.
pub fn write(
    scan: &Scan,
    color: bool,
    out: &mut dyn std::io::Write,
    mut findings_of: impl FnMut(&str) -> std::io::Result<Option<Vec<u8>>>,
) -> std::io::Result<()> {
    for target in &scan.targets {
        let version = match (&target.version, &target.version_source) {
            (Some(v), Some(src)) => format!(", Elasticsearch {v} ({src})"),
            _ => String::new(),
        };
        let grade = match &target.grade {
            Some(g) => format!(", TLS grade {g}"),
            None => String::new(),
        };
        writeln!(out, "{} — {}{}{}", target.id, target.source, version, grade)?;
        match findings_of(&target.id)? {
            Some(text) => out.write_all(&text)?,
            None => out.write_all(b"  no failures\n\n")?,
        }
    }
    out.write_all(summary(scan, color).as_bytes())
}

/// One target's table of findings (its results that are [`shown`], in report order), followed
/// by a blank line.
pub fn findings(shown: Vec<&RuleResult>, color: bool) -> String {
    let mut t = new_table(color);
    header(&mut t, &["Severity", "Rule", "Status", "Line", "Finding"]);
    // One row per error cause: a missing file makes every rule of its scope an error,
    // and listing each of them would bury the failures.
    let mut error_rules: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in shown.iter().filter(|r| r.status == Status::Error) {
        match error_rules.iter_mut().find(|(m, _)| *m == r.message) {
            Some((_, rules)) => rules.push(&r.rule),
            None => error_rules.push((&r.message, vec![&r.rule])),
        }
    }
    for r in shown {
        let rule = if r.status == Status::Error {
            let Some(pos) = error_rules.iter().position(|(m, _)| *m == r.message) else {
                continue;
            };
            let (_, rules) = error_rules.remove(pos);
            rules.join(", ")
        } else {
            r.rule.clone()
        };
        // Could-not-judge is information, not an alarm: no severity, no colour.
        let sev = if r.status == Status::Error {
            Cell::new("-")
        } else if color {
            Cell::new(r.severity.as_str()).fg(severity_color(r.severity))
        } else {
            Cell::new(r.severity.as_str())
        };
        let line = r
            .location
            .line
            .map(|l| l.to_string())
            .unwrap_or_else(|| "-".into());
        let mut finding = r.message.clone();
        if r.status == Status::Fail {
            let _ = write!(finding, "\n→ {}", r.remediation);
        }
        if let Some(w) = &r.waiver {
            let _ = write!(finding, "\nwaived: {} ({})", w.reason, w.source);
        }
        let status = if r.baseline {
            "fail (baseline)"
        } else if r.status == Status::Error {
            "not judged"
        } else {
            r.status.as_str()
        };
        t.add_row(vec![
            sev,
            Cell::new(rule),
            Cell::new(status),
            Cell::new(line),
            Cell::new(finding),
        ]);
    }
    format!("{t}\n\n")
}

/// Waivers to review, input errors, the score by category and the coverage line.
fn summary(scan: &Scan, color: bool) -> String {
    let mut out = String::new();
    if !scan.waivers.is_empty() {
        let _ = writeln!(out, "Waivers to review:");
        for w in scan.waivers.all() {
            let _ = writeln!(out, "  {} ({}): {}", w.source, w.rule, w.problem);
        }
        out.push('\n');
    }
    if scan.incomplete() {
        let _ = writeln!(
            out,
            "Incomplete scan: what follows covers only what could be read; fix these and scan again:"
        );
        for e in &scan.input_errors {
            let _ = writeln!(out, "  {e}");
        }
        out.push('\n');
    }
    let mut t = new_table(color);
    header(&mut t, &["Category", "Score", "Passed", "Failed"]);
    for (name, c) in &scan.score.categories {
        t.add_row(vec![
            Cell::new(name),
            Cell::new(format!("{:.1}", c.value)),
            Cell::new(c.passed),
            Cell::new(c.failed),
        ]);
    }
    if !scan.score.categories.is_empty() {
        let _ = writeln!(out, "{t}");
    }
    let c = &scan.score.coverage;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "{}. Findings: {}. {} of {} on {}: {} passed, {} failed, {} could not be judged, {} not applicable, {} waived.",
        scan.verdict(),
        Coverage::total_by_severity(&c.findings),
        plural(c.checks, "check"),
        plural(c.rules, "rule"),
        plural(scan.targets.len(), "target"),
        c.passed,
        c.failed,
        c.errors,
        c.not_applicable,
        c.waived
    );
    if let Some(shard) = scan.shard {
        let _ = writeln!(
            out,
            "Share {shard} of a split scan: `esaudit merge` the shares' JSON reports for the whole."
        );
    }
    out
}

/// The concise format: one line per failing finding, `path:line:col: RULE severity message`
/// (editors and terminals turn the place into a link), a finding without a file placed at
/// its target; then the input errors and the summary line, as in the table.
pub fn concise(scan: &Scan) -> String {
    let mut out = String::new();
    let mut failing: Vec<&RuleResult> = scan
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    // In file order, as a linter lists them; findings without a file after, by target.
    failing.sort_by_key(|r| {
        (
            r.location.path.is_none(),
            r.location.path.as_deref().unwrap_or(&r.target),
            r.location.line,
            r.location.column,
            r.rule.as_str(),
        )
    });
    for r in failing {
        let place = match (&r.location.path, r.location.line) {
            (Some(path), Some(line)) => {
                format!("{path}:{line}:{}", r.location.column.unwrap_or(1))
            }
            (Some(path), None) => path.clone(),
            (None, _) => r.target.clone(),
        };
        let baseline = if r.baseline { " [baseline]" } else { "" };
        let _ = writeln!(
            out,
            "{place}: {} {}{baseline} {}",
            r.rule,
            r.severity.as_str(),
            r.message.replace('\n', " ")
        );
    }
    for e in &scan.input_errors {
        let _ = writeln!(out, "error: {e}");
    }
    let c = &scan.score.coverage;
    let _ = writeln!(
        out,
        "{}. Findings: {}.",
        scan.verdict(),
        Coverage::total_by_severity(&c.findings)
    );
    out
}

/// `esaudit rules`: the catalog as a table.
pub fn rules<'a>(rules: impl Iterator<Item = &'a Rule>, color: bool) -> String {
    let mut t = new_table(color);
    header(&mut t, &["Rule", "Severity", "Category", "Title"]);
    for r in rules {
        t.add_row(vec![
            Cell::new(&r.id),
            Cell::new(r.severity.as_str()),
            Cell::new(r.category.as_str()),
            Cell::new(&r.title),
        ]);
    }
    format!("{t}\n")
}

/// A value as the rule catalog writes it (`es_node`, `full`): its serde name.
fn catalog_word(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `esaudit explain`: one rule's documentation.
pub fn explain(r: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", r.id, r.title);
    let _ = writeln!(
        out,
        "severity: {}   category: {}   scope: {}   restart: {}",
        r.severity.as_str(),
        r.category.as_str(),
        catalog_word(&r.scope),
        catalog_word(&r.restart)
    );
    let profiles: Vec<&str> = r.profiles.iter().map(|p| p.as_str()).collect();
    let _ = writeln!(out, "profiles: {}", profiles.join(", "));
    if let Some(v) = &r.versions {
        let _ = writeln!(out, "versions: {v}");
    }
    let _ = writeln!(out, "\nWhy it matters\n  {}", r.rationale.trim());
    let _ = writeln!(out, "\nHow to fix\n  {}", r.remediation.trim());
    let _ = writeln!(out, "\nCheck (CEL)\n  {}", r.check.trim());
    if let Some(w) = &r.when {
        let _ = writeln!(out, "  applies when: {}", w.trim());
    }
    if !r.references.is_empty() {
        let _ = writeln!(out, "\nReferences");
        for link in &r.references {
            let _ = writeln!(out, "  {link}");
        }
    }
    if !r.frameworks.is_empty() {
        let _ = writeln!(out, "\nFrameworks");
        for (name, ids) in &r.frameworks {
            let _ = writeln!(out, "  {name}: {}", ids.join(", "));
        }
    }
    out
}
