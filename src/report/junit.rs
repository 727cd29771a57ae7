//! JUnit XML for CI test views: one test suite per target, one test case per rule on that
//! target (a check). A failing check is a `<failure>` listing every failing item; a check that
//! could not be judged is an `<error>`; waived and not-applicable checks are `<skipped>`.
//!
//! The format is small enough that a writer of a few lines beats a dependency; every text and
//! attribute goes through [`escape`].

use crate::Scan;
use crate::results::{RuleResult, Status};
use crate::score::check_status;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes text for XML content and attribute values. Characters XML 1.0 cannot carry at all
/// (most control characters) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// One line per item of a check, for the body of a failure or error.
fn item_line(r: &RuleResult) -> String {
    let mut line = format!("{} [{}]: {}", super::place(r), r.location.object, r.message);
    if let Some(e) = &r.evidence {
        line.push_str(&format!(" (found {}", e.actual));
        if let Some(x) = &e.expected {
            line.push_str(&format!(", expected {x}"));
        }
        line.push(')');
    }
    line
}

pub fn render(scan: &Scan) -> String {
    // target → rule → its results, in the scan's target order.
    let mut by_target: BTreeMap<&str, BTreeMap<&str, Vec<&RuleResult>>> = BTreeMap::new();
    for r in &scan.results {
        by_target
            .entry(r.target.as_str())
            .or_default()
            .entry(r.rule.as_str())
            .or_default()
            .push(r);
    }
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_errors, mut all_skipped) = (0, 0, 0, 0);
    for target in &scan.targets {
        let Some(checks) = by_target.get(target.id.as_str()) else {
            continue;
        };
        let (mut failures, mut errors, mut skipped) = (0, 0, 0);
        let mut cases = String::new();
        for (rule, results) in checks {
            let first = results[0];
            let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
            let status = check_status(&statuses);
            let file = results
                .iter()
                .find(|r| r.status == status)
                .and_then(|r| r.location.path.as_deref())
                .unwrap_or(&target.source);
            let _ = write!(
                cases,
                "    <testcase name=\"{}\" classname=\"esaudit.{}\" file=\"{}\" time=\"0\"",
                escape(&format!("{rule}: {}", first.title)),
                escape(first.category.as_str()),
                escape(file)
            );
            let body = |s: Status| {
                results
                    .iter()
                    .filter(|r| r.status == s)
                    .map(|r| item_line(r))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            match status {
                Status::Fail => {
                    failures += 1;
                    let failing: Vec<&&RuleResult> = results
                        .iter()
                        .filter(|r| r.status == Status::Fail)
                        .collect();
                    let known = failing.iter().all(|r| r.baseline);
                    let message = format!(
                        "{}{} ({} severity)",
                        if known { "[in baseline] " } else { "" },
                        failing[0].message,
                        first.severity.as_str()
                    );
                    let _ = write!(
                        cases,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}\n\nRemediation: {}</failure>\n    </testcase>\n",
                        escape(&message),
                        first.severity.as_str(),
                        escape(&body(Status::Fail)),
                        escape(&first.remediation)
                    );
                }
                Status::Error => {
                    errors += 1;
                    let message = results
                        .iter()
                        .find(|r| r.status == Status::Error)
                        .map(|r| r.message.as_str())
                        .unwrap_or_default();
                    let _ = write!(
                        cases,
                        ">\n      <error message=\"{}\" type=\"could-not-judge\">{}</error>\n    </testcase>\n",
                        escape(message),
                        escape(&body(Status::Error))
                    );
                }
                Status::Waived | Status::NotApplicable => {
                    skipped += 1;
                    let message = match results.iter().find_map(|r| r.waiver.as_ref()) {
                        Some(w) if status == Status::Waived => {
                            format!("waived: {} ({})", w.reason, w.source)
                        }
                        _ => format!("not applicable: {}", first.message),
                    };
                    let _ = write!(
                        cases,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                        escape(&message)
                    );
                }
                Status::Pass => cases.push_str("/>\n"),
            }
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">\n    <properties>\n      <property name=\"source\" value=\"{}\"/>\n",
            escape(&target.id),
            checks.len(),
            escape(&target.source)
        );
        if let Some(v) = &target.version {
            let _ = writeln!(
                suites,
                "      <property name=\"elasticsearch.version\" value=\"{}\"/>",
                escape(v)
            );
        }
        suites.push_str("    </properties>\n");
        suites.push_str(&cases);
        suites.push_str("  </testsuite>\n");
        all_tests += checks.len();
        all_failures += failures;
        all_errors += errors;
        all_skipped += skipped;
    }
    // Files that could not be read or parsed: one errored case each, so CI shows them too.
    if !scan.input_errors.is_empty() {
        let n = scan.input_errors.len();
        let _ = writeln!(
            suites,
            "  <testsuite name=\"input files\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\" time=\"0\">"
        );
        for e in &scan.input_errors {
            let _ = writeln!(
                suites,
                "    <testcase name=\"{0}\" classname=\"esaudit.input\" file=\"{0}\" time=\"0\">\n      <error message=\"{1}\" type=\"input-error\"/>\n    </testcase>",
                escape(&e.path),
                escape(&e.message)
            );
        }
        suites.push_str("  </testsuite>\n");
        all_tests += n;
        all_errors += n;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"esaudit ({})\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"{all_errors}\" skipped=\"{all_skipped}\" time=\"0\">\n{suites}</testsuites>\n",
        super::profile_name(scan)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"c\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;\u{FFFD}\n"
        );
    }
}
