//! JUnit XML for CI test views: one test suite per target, one test case per rule on that
//! target (a check). A failing check is a `<failure>` listing every failing item; a check that
//! could not be judged is an `<error>`; waived and not-applicable checks are `<skipped>`.
//!
//! The format is small enough that a writer of a few lines beats a dependency; every text and
//! attribute goes through [`escape`].

use crate::Scan;
use crate::results::{RuleResult, Status, Target};
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
    // Each target's results, in report order.
    let mut by_target: BTreeMap<&str, Vec<&RuleResult>> = BTreeMap::new();
    for r in &scan.results {
        by_target.entry(r.target.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    write(scan, &mut out, |target| {
        Ok(by_target
            .remove(target.id.as_str())
            .map(|results| suite(target, &results).into_bytes()))
    })
    .expect("writing into memory does not fail");
    String::from_utf8(out).expect("the document is text")
}

/// Writes the document: the totals (the scan's coverage: a test per check), each target's
/// suite as `suite_of` gives it (`None` for a target without results), then a suite for the
/// input files that could not be read. The suites come from the caller so that a batched scan
/// can read them back from its spill.
pub fn write(
    scan: &Scan,
    out: &mut dyn std::io::Write,
    mut suite_of: impl FnMut(&Target) -> std::io::Result<Option<Vec<u8>>>,
) -> std::io::Result<()> {
    let c = &scan.score.coverage;
    let n = scan.input_errors.len();
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"esaudit ({})\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">\n",
        super::profile_name(scan),
        c.checks + n,
        c.failed,
        c.errors + n,
        c.waived + c.not_applicable
    )?;
    for target in &scan.targets {
        if let Some(text) = suite_of(target)? {
            out.write_all(&text)?;
        }
    }
    // Files that could not be read or parsed: one errored case each, so CI shows them too.
    if n > 0 {
        writeln!(
            out,
            "  <testsuite name=\"input files\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\" time=\"0\">"
        )?;
        for e in &scan.input_errors {
            writeln!(
                out,
                "    <testcase name=\"{0}\" classname=\"esaudit.input\" file=\"{0}\" time=\"0\">\n      <error message=\"{1}\" type=\"input-error\"/>\n    </testcase>",
                escape(&e.path),
                escape(&e.message)
            )?;
        }
        out.write_all(b"  </testsuite>\n")?;
    }
    out.write_all(b"</testsuites>\n")
}

/// One target's suite: a test case per rule of `results` (the target's, in report order).
pub fn suite(target: &Target, results: &[&RuleResult]) -> String {
    let mut checks: BTreeMap<&str, Vec<&RuleResult>> = BTreeMap::new();
    for r in results {
        checks.entry(r.rule.as_str()).or_default().push(r);
    }
    let (mut failures, mut errors, mut skipped) = (0, 0, 0);
    let mut cases = String::new();
    for (rule, results) in &checks {
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
                    // A check result (the default detail) says how many items, not why.
                    _ => match results.iter().find(|r| !r.message.is_empty()) {
                        Some(r) => format!("not applicable: {}", r.message),
                        None => format!(
                            "not applicable ({} judged)",
                            results.iter().map(|r| r.item_count()).sum::<usize>()
                        ),
                    },
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
    let mut suite = String::new();
    let _ = write!(
        suite,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">\n    <properties>\n      <property name=\"source\" value=\"{}\"/>\n",
        escape(&target.id),
        checks.len(),
        escape(&target.source)
    );
    if let Some(v) = &target.version {
        let _ = writeln!(
            suite,
            "      <property name=\"elasticsearch.version\" value=\"{}\"/>",
            escape(v)
        );
    }
    suite.push_str("    </properties>\n");
    suite.push_str(&cases);
    suite.push_str("  </testsuite>\n");
    suite
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
