//! Markdown for CI job summaries and merge-request comments: the score first, the worst
//! findings in a short table, everything else folded into `<details>` sections.
//!
//! Also `esaudit rules --format markdown`, the catalog that `docs/rules.md` is generated from.

use crate::Scan;
use crate::results::{RuleResult, Status};
use crate::rules::Rule;
use std::fmt::Write;

/// How many failures the top table shows; the rest are in the folded sections.
const TOP: usize = 10;

/// Makes text safe on one Markdown line: no line breaks, and no HTML from rule or config text
/// (`<`, `>` and `&` are escaped outside `code` spans; inside them Markdown shows text as is).
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.replace(['\r', '\n'], " ").split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
        } else {
            out.push_str(
                &part
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            );
        }
    }
    out
}

/// [`inline`], and safe in a table cell: `|` is escaped (GitHub applies that inside code spans
/// too).
pub fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// A rule id as a link to its documentation, when it has some.
pub fn rule_link(id: &str) -> String {
    match super::rule_doc_url(id) {
        Some(url) => format!("[`{id}`]({url})"),
        None => format!("`{id}`"),
    }
}

pub fn finding_row(r: &RuleResult) -> String {
    let mut finding = cell(&r.message);
    if r.baseline {
        finding.push_str(" *(in baseline)*");
    }
    format!(
        "| {} | {} | {} | `{}` | {} |",
        r.severity.as_str(),
        rule_link(&r.rule),
        cell(&r.target),
        cell(&super::place(r)),
        finding
    )
}

pub const FINDINGS_HEADER: &str =
    "| Severity | Rule | Target | Where | Finding |\n| --- | --- | --- | --- | --- |";

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub fn render(scan: &Scan) -> String {
    let mut out = String::new();
    let c = &scan.score.coverage;
    let _ = writeln!(out, "## esaudit: {}\n", scan.verdict());
    if scan.incomplete() {
        out.push_str(
            "> [!WARNING]\n> **Incomplete scan.** What follows covers only what could be read; fix these and scan again:\n",
        );
        for e in &scan.input_errors {
            let _ = writeln!(out, "> - {}", inline(&e.to_string()));
        }
        out.push('\n');
    }
    let mut failing: Vec<&RuleResult> = scan
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    // Worst first; new findings before those already in the baseline.
    failing.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.severity),
            r.baseline,
            &r.rule,
            &r.target,
        )
    });
    let _ = writeln!(
        out,
        "Profile **{}** · {} · checks (rule × target): **{} passed**, **{} failed**, {} could not be judged, {} waived, {} not applicable\n",
        super::profile_name(scan),
        plural(scan.targets.len(), "target"),
        c.passed,
        c.failed,
        c.errors,
        c.waived,
        c.not_applicable
    );
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "**{}**: {}\n",
            plural(failing.len(), "failing finding"),
            crate::score::Coverage::by_severity(&c.findings)
        );
    }
    if let Some(b) = &scan.baseline {
        let known = failing.iter().filter(|r| r.baseline).count();
        let _ = writeln!(
            out,
            "Compared with baseline `{}`: {} new, {} already known.\n",
            cell(b),
            failing.len() - known,
            known
        );
    }
    if failing.is_empty() {
        out.push_str(if scan.incomplete() {
            "No failing findings in what could be read.\n\n"
        } else {
            "No failing findings.\n\n"
        });
    } else {
        let _ = writeln!(
            out,
            "### Worst findings\n\n{FINDINGS_HEADER}\n{}\n",
            failing
                .iter()
                .take(TOP)
                .map(|r| finding_row(r))
                .collect::<Vec<_>>()
                .join("\n")
        );
        if failing.len() > TOP {
            let _ = writeln!(out, "…and {} more below.\n", failing.len() - TOP);
        }
    }
    out.push_str("| Category | Score | Passed | Failed |\n| --- | ---: | ---: | ---: |\n");
    for (name, cat) in &scan.score.categories {
        let _ = writeln!(
            out,
            "| {name} | {:.1} | {} | {} |",
            cat.value, cat.passed, cat.failed
        );
    }
    out.push('\n');
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>All {} and how to fix them</summary>\n",
            plural(failing.len(), "failing finding")
        );
        let mut by_target: std::collections::HashMap<&str, Vec<&RuleResult>> = Default::default();
        for r in &failing {
            by_target.entry(r.target.as_str()).or_default().push(r);
        }
        for target in &scan.targets {
            let Some(mine) = by_target.get(target.id.as_str()) else {
                continue;
            };
            let _ = writeln!(
                out,
                "#### {} (`{}`)\n",
                inline(&target.id),
                inline(&target.source)
            );
            for r in mine {
                let _ = writeln!(
                    out,
                    "- **{}** `{}` {} at `{}`{}  \n  Fix: {}",
                    r.severity.as_str(),
                    r.rule,
                    inline(&r.message),
                    inline(&super::place(r)),
                    if r.baseline { " *(in baseline)*" } else { "" },
                    inline(&r.remediation)
                );
            }
            out.push('\n');
        }
        out.push_str("</details>\n\n");
    }
    let waived: Vec<&RuleResult> = scan
        .results
        .iter()
        .filter(|r| r.status == Status::Waived)
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n\n| Rule | Target | Where | Reason | Expires | Waiver |\n| --- | --- | --- | --- | --- | --- |",
            plural(waived.len(), "waived finding")
        );
        for r in waived {
            let w = r.waiver.as_ref();
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} | {} | `{}` |",
                r.rule,
                cell(&r.target),
                cell(&super::place(r)),
                cell(w.map(|w| w.reason.as_str()).unwrap_or_default()),
                w.and_then(|w| w.expires.as_deref()).unwrap_or("never"),
                cell(w.map(|w| w.source.as_str()).unwrap_or_default())
            );
        }
        out.push_str("\n</details>\n\n");
    }
    if !scan.waivers.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Waivers to review ({} expired, {} unused, {} invalid)</summary>\n",
            scan.waivers.expired.len(),
            scan.waivers.unused.len(),
            scan.waivers.invalid.len()
        );
        for w in scan.waivers.all() {
            let _ = writeln!(
                out,
                "- `{}` `{}`: {}",
                inline(&w.source),
                inline(&w.rule),
                inline(&w.problem)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let errors: Vec<&RuleResult> = scan
        .results
        .iter()
        .filter(|r| r.status == Status::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Could not be judged ({})</summary>\n",
            errors.len()
        );
        // One line per target and cause, naming every rule it blocks.
        let mut causes: Vec<(&RuleResult, Vec<&str>)> = vec![];
        for r in errors {
            match causes
                .iter_mut()
                .find(|(first, _)| first.target == r.target && first.message == r.message)
            {
                Some((_, rules)) => rules.push(&r.rule),
                None => causes.push((r, vec![&r.rule])),
            }
        }
        for (r, rules) in causes {
            let _ = writeln!(
                out,
                "- `{}` on {} at `{}`: {}",
                rules.join("`, `"),
                inline(&r.target),
                inline(&super::place(r)),
                inline(&r.message)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let _ = writeln!(
        out,
        "<sub>esaudit {} · {} rules · {} results</sub>",
        env!("CARGO_PKG_VERSION"),
        c.rules,
        c.results
    );
    out
}

/// The rule catalog as Markdown (`esaudit rules --format markdown`, committed as
/// `docs/rules.md`).
pub fn catalog<'a>(rules: impl Iterator<Item = &'a Rule>) -> String {
    let rules: Vec<&Rule> = rules.collect();
    let mut out = String::from(
        "# esaudit rules\n\n<!-- Generated by `esaudit rules --format markdown`; do not edit by hand. -->\n\n",
    );
    let _ = writeln!(
        out,
        "{} rules. Severity weighs in the score (critical 10, high 5, medium 3, low 1, info 0); \
         profiles say which `--profile` runs the rule.\n",
        rules.len()
    );
    out.push_str("| Rule | Severity | Category | Title |\n| --- | --- | --- | --- |\n");
    for r in &rules {
        let _ = writeln!(
            out,
            "| [{}](#{}) | {} | {} | {} |",
            r.id,
            r.id.to_lowercase(),
            r.severity.as_str(),
            r.category.as_str(),
            cell(&r.title)
        );
    }
    for r in &rules {
        let _ = writeln!(out, "\n## {}\n\n**{}**\n", r.id, cell(&r.title));
        let profiles: Vec<String> = r
            .profiles
            .iter()
            .map(|p| format!("{p:?}").to_lowercase())
            .collect();
        let _ = writeln!(
            out,
            "Severity **{}** · category `{}` · profiles {} · {}{}\n",
            r.severity.as_str(),
            r.category.as_str(),
            profiles.join(", "),
            super::restart_text(r.restart),
            r.versions
                .as_deref()
                .map(|v| format!(" · Elasticsearch {v}"))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "**Why it matters.** {}\n", r.rationale.trim());
        let _ = writeln!(out, "**How to fix.** {}\n", r.remediation.trim());
        let _ = writeln!(out, "Check: `{}`", r.check.trim().replace('`', "'"));
        if let Some(when) = &r.when {
            let _ = writeln!(out, "  \nApplies when: `{}`", when.trim().replace('`', "'"));
        }
        if !r.frameworks.is_empty() {
            let list: Vec<String> = r
                .frameworks
                .iter()
                .map(|(f, ids)| format!("{f} {}", ids.join(", ")))
                .collect();
            let _ = writeln!(out, "\nFrameworks: {}", list.join("; "));
        }
        if !r.references.is_empty() {
            out.push_str("\nReferences:\n");
            for link in &r.references {
                let _ = writeln!(out, "- <{link}>");
            }
        }
    }
    out
}
