//! Waivers: accepted risks, each with a reason, from a waivers file and from inline
//! `# esaudit: ignore[...]` comments. A waived failure stays in every report (status `waived`,
//! with the reason) but no longer counts against the score or the gate. Waivers that expired
//! or matched nothing are reported, so stale ones get cleaned up.

use crate::clock::Date;
use crate::evidence::InlineSuppression;
use crate::results::{RuleResult, Status, Waiver};
use crate::rules::Selection;
use crate::rules::engine::Engine;
use crate::rules::id_matches as rule_matches;
use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::collections::HashMap;
use std::path::Path;

/// Read from the working directory when neither `--waivers` nor the config file names a file.
pub const DEFAULT_FILE: &str = "esaudit-waivers.yaml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiversFile {
    #[serde(default)]
    waivers: Vec<Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    path: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    ticket: Option<String>,
}

/// One waiver of a waivers file, ready to match.
#[derive(Debug, Clone)]
struct FileWaiver {
    rule: String,
    target: Option<(String, GlobMatcher)>,
    path: Option<(String, GlobMatcher)>,
    reason: String,
    expires: Option<Date>,
    ticket: Option<String>,
    /// `FILE:LINE` of the entry.
    source: String,
}

/// The waivers of one file.
#[derive(Debug, Clone, Default)]
pub struct WaiverSet {
    entries: Vec<FileWaiver>,
}

impl WaiverSet {
    /// Each waiver's rule id or prefix, with `FILE:LINE` of the waiver.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|w| (w.rule.as_str(), w.source.as_str()))
    }
}

/// A waiver that did not do its job, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverNote {
    /// `FILE:LINE` of the waiver or of the inline comment.
    pub source: String,
    /// Rule id or prefix (comma-separated for an inline comment naming several).
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// What is wrong with it, in words.
    pub problem: String,
}

/// Waivers that need attention: expired ones (they no longer waive), unused ones (they
/// matched no failing result) and inline comments that were not applied (no reason given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WaiverReport {
    pub expired: Vec<WaiverNote>,
    pub unused: Vec<WaiverNote>,
    pub invalid: Vec<WaiverNote>,
}

impl WaiverReport {
    pub fn is_empty(&self) -> bool {
        self.expired.is_empty() && self.unused.is_empty() && self.invalid.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = &WaiverNote> {
        self.expired.iter().chain(&self.unused).chain(&self.invalid)
    }

    /// Orders each list by where the waiver is written, so the report does not depend on
    /// the order files were judged in.
    pub fn sort(&mut self) {
        for list in [&mut self.expired, &mut self.unused, &mut self.invalid] {
            list.sort_by(|a, b| (&a.source, &a.rule).cmp(&(&b.source, &b.rule)));
        }
    }
}

/// Reads a waivers file. The error names the file, and the line where serde-saphyr knows it.
pub fn load(path: &Path) -> Result<WaiverSet, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    parse(&text, &name).map_err(|e| format!("{name}: {e}"))
}

/// Parses the text of a waivers file named `file` (used in `source`).
pub fn parse(text: &str, file: &str) -> Result<WaiverSet, String> {
    if text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    }) {
        return Ok(WaiverSet::default());
    }
    let doc: WaiversFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    for Spanned {
        value: e,
        referenced,
        ..
    } in doc.waivers
    {
        let line = referenced.line();
        let bad = |what: String| format!("waiver at line {line}: {what}");
        if e.rule.trim().is_empty() {
            return Err(bad("`rule` must name a rule id or prefix".into()));
        }
        if e.reason.trim().is_empty() {
            return Err(bad("`reason` must say why the risk is accepted".into()));
        }
        let expires =
            match &e.expires {
                Some(text) => Some(Date::parse(text).ok_or_else(|| {
                    bad(format!("`expires: {text}` is not a date like 2027-01-31"))
                })?),
                None => None,
            };
        let glob = |pattern: &Option<String>, literal_separator: bool| {
            pattern
                .as_ref()
                .map(|p| {
                    GlobBuilder::new(normal_path(p))
                        .literal_separator(literal_separator)
                        .build()
                        .map(|g: Glob| (p.clone(), g.compile_matcher()))
                        .map_err(|err| bad(format!("bad pattern `{p}`: {err}")))
                })
                .transpose()
        };
        entries.push(FileWaiver {
            rule: e.rule.trim().to_string(),
            // Target ids contain `/` (`node:prod/es-01`), so `*` may cross it there.
            target: glob(&e.target, false)?,
            path: glob(&e.path, true)?,
            reason: e.reason.trim().to_string(),
            expires,
            ticket: e.ticket,
            source: format!("{file}:{line}"),
        });
    }
    Ok(WaiverSet { entries })
}

/// A path as matched by waivers: without the `./` a user may have typed before it.
fn normal_path(path: &str) -> &str {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p
}

impl FileWaiver {
    fn matches(&self, r: &RuleResult) -> bool {
        rule_matches(&self.rule, &r.rule)
            && self
                .target
                .as_ref()
                .is_none_or(|(_, g)| g.is_match(&r.target))
            && self.path.as_ref().is_none_or(|(_, g)| {
                r.location
                    .path
                    .as_deref()
                    .is_some_and(|p| g.is_match(normal_path(p)))
            })
    }

    fn note(&self, problem: String) -> WaiverNote {
        WaiverNote {
            source: self.source.clone(),
            rule: self.rule.clone(),
            target: self.target.as_ref().map(|(p, _)| p.clone()),
            path: self.path.as_ref().map(|(p, _)| p.clone()),
            reason: self.reason.clone(),
            expires: self.expires.map(|d| d.to_string()),
            ticket: self.ticket.clone(),
            problem,
        }
    }
}

/// The config line an inline comment must cover to waive `r`: the result's own line, or for a
/// file judged on its own (a key, a certificate), the line of the setting that names it.
fn waivable_line(r: &RuleResult) -> Option<(&str, usize)> {
    match (&r.location.path, r.location.line, &r.location.named_by) {
        (Some(path), Some(line), _) => Some((path.as_str(), line)),
        (_, _, Some(named)) => Some((named.path.as_str(), named.line?)),
        _ => None,
    }
}

fn inline_matches(s: &InlineSuppression, r: &RuleResult) -> bool {
    waivable_line(r) == Some((s.path.as_str(), s.covers))
        && s.rules.iter().any(|p| rule_matches(p, &r.rule))
}

fn inline_note(s: &InlineSuppression, problem: &str) -> WaiverNote {
    WaiverNote {
        source: format!("{}:{}", s.path, s.line),
        rule: s.rules.join(","),
        target: None,
        path: None,
        reason: s.reason.clone(),
        expires: None,
        ticket: None,
        problem: problem.to_string(),
    }
}

/// Marks the failures that a waiver covers as `waived`. Inline comments are tried first (they
/// are the most specific), then the file's waivers in order. Only failures are waived: a
/// waiver whose finding now passes is reported as unused, so it can be removed.
pub fn apply(
    results: &mut [RuleResult],
    set: &WaiverSet,
    inline: &[InlineSuppression],
    today: Date,
) -> WaiverReport {
    let mut waiving = Waiving::new(set, today);
    waiving.apply(results, inline);
    waiving.finish()
}

/// [`apply`] part by part, for a fleet judged in batches: whether a file waiver matched
/// nothing is known once every part has been seen. Each part brings its own inline comments
/// (they cover lines of its own files).
pub struct Waiving<'a> {
    report: WaiverReport,
    /// The file's waivers that have not expired, and whether each has waived something.
    active: Vec<(&'a FileWaiver, bool)>,
    /// The catalog, and the ids of the rules this run judges (see [`Waiving::judging`]).
    rules: Option<(&'a Engine, Vec<String>)>,
}

impl<'a> Waiving<'a> {
    pub fn new(set: &'a WaiverSet, today: Date) -> Waiving<'a> {
        let mut report = WaiverReport::default();
        let active = set
            .entries
            .iter()
            .filter(|w| {
                let expired = w.expires.is_some_and(|d| d < today);
                if expired {
                    report.expired.push(w.note(format!(
                        "expired on {}: it no longer waives anything",
                        w.expires.map(|d| d.to_string()).unwrap_or_default()
                    )));
                }
                !expired
            })
            .map(|w| (w, false))
            .collect();
        Waiving {
            report,
            active,
            rules: None,
        }
    }

    /// Checks inline comments against the catalog (an id that names no rule is reported, with
    /// the nearest one) and reports a waiver as unused only when a rule it names was run:
    /// `--select ES-FIPS` says nothing about a CERT-KEY-002 waiver.
    pub fn judging(mut self, engine: &'a Engine, selection: &Selection) -> Self {
        self.rules = Some((engine, engine.selected_ids(selection)));
        self
    }

    /// Whether a rule named by `pattern` was judged in this run (always, without [`Waiving::judging`]).
    fn ran(&self, pattern: &str) -> bool {
        self.rules
            .as_ref()
            .is_none_or(|(_, ids)| ids.iter().any(|id| rule_matches(pattern, id)))
    }

    /// Keeps the rule ids of an inline comment that name a rule; the others are reported.
    fn known_rules(&mut self, s: &InlineSuppression) -> InlineSuppression {
        let Some((engine, _)) = self.rules else {
            return s.clone();
        };
        let mut known = Vec::new();
        for pattern in &s.rules {
            match engine.unknown_rule(pattern) {
                None => known.push(pattern.clone()),
                Some(why) => {
                    let mut note = inline_note(s, &format!("{why} (this id waives nothing)"));
                    note.rule = pattern.clone();
                    self.report.invalid.push(note);
                }
            }
        }
        InlineSuppression {
            rules: known,
            ..s.clone()
        }
    }

    /// Waives the failures of one part, `inline` being the part's inline comments.
    pub fn apply(&mut self, results: &mut [RuleResult], inline: &[InlineSuppression]) {
        let (with_reason, reasonless): (Vec<&InlineSuppression>, Vec<&InlineSuppression>) =
            inline.iter().partition(|s| !s.reason.is_empty());
        for s in reasonless {
            self.report.invalid.push(inline_note(
                s,
                "gives no reason, so it was not applied: write the reason after the `]`",
            ));
        }
        let usable: Vec<InlineSuppression> = with_reason
            .into_iter()
            .map(|s| self.known_rules(s))
            .filter(|s| !s.rules.is_empty())
            .collect();
        let mut inline_used = vec![false; usable.len()];
        // Inline comments by the (file, line) they cover: a fleet can have many.
        let mut by_line: HashMap<(&str, usize), Vec<usize>> = HashMap::new();
        for (i, s) in usable.iter().enumerate() {
            by_line
                .entry((s.path.as_str(), s.covers))
                .or_default()
                .push(i);
        }
        for r in results.iter_mut().filter(|r| r.status == Status::Fail) {
            let inline_hit = waivable_line(r)
                .and_then(|at| by_line.get(&at))
                .and_then(|ids| ids.iter().copied().find(|&i| inline_matches(&usable[i], r)));
            let waiver = if let Some(i) = inline_hit {
                inline_used[i] = true;
                let s = &usable[i];
                Waiver {
                    reason: s.reason.clone(),
                    expires: None,
                    ticket: None,
                    source: format!("{}:{}", s.path, s.line),
                }
            } else if let Some((w, used)) = self.active.iter_mut().find(|(w, _)| w.matches(r)) {
                *used = true;
                Waiver {
                    reason: w.reason.clone(),
                    expires: w.expires.map(|d| d.to_string()),
                    ticket: w.ticket.clone(),
                    source: w.source.clone(),
                }
            } else {
                continue;
            };
            r.status = Status::Waived;
            r.waiver = Some(waiver);
        }
        for (s, used) in usable.iter().zip(inline_used) {
            if !used && s.rules.iter().any(|p| self.ran(p)) {
                self.report.unused.push(inline_note(
                    s,
                    "matched no failing result on the line it covers",
                ));
            }
        }
    }

    /// The notes: expired file waivers, unused ones (file and inline) and invalid comments.
    pub fn finish(mut self) -> WaiverReport {
        for (w, used) in &self.active {
            if !used && self.ran(&w.rule) {
                self.report.unused.push(
                    w.note("matched no failing result: remove it if the risk is gone".into()),
                );
            }
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::ResultLocation;

    fn failure(rule: &str, target: &str, path: &str, line: usize) -> RuleResult {
        let mut r = crate::results::sample(rule, target, Status::Fail);
        r.location = ResultLocation {
            path: Some(path.into()),
            line: Some(line),
            column: Some(1),
            object: "setting:x".into(),
            named_by: None,
        };
        r
    }

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 27,
    };

    #[test]
    fn file_waivers_match_by_rule_prefix_target_and_path() {
        let set = parse(
            "waivers:\n\
             - rule: ES-TLS\n  target: 'node:lab/*'\n  reason: lab only\n  ticket: SEC-1\n\
             - rule: ES-NET-001\n  path: 'deploy/**/elasticsearch.yml'\n  reason: behind a proxy\n  expires: 2026-11-27\n\
             - rule: ES-AUD-001\n  reason: old\n  expires: 2026-11-26\n\
             - rule: ES-FIPS-001\n  reason: never matches\n",
            "w.yaml",
        )
        .unwrap();
        let mut results = vec![
            failure("ES-TLS-004", "node:lab/es-01", "a/elasticsearch.yml", 3),
            failure("ES-TLS-004", "node:prod/es-01", "b/elasticsearch.yml", 3),
            failure(
                "ES-NET-001",
                "node:prod/es-01",
                "./deploy/x/y/elasticsearch.yml",
                1,
            ),
            failure("ES-AUD-001", "node:prod/es-01", "b/elasticsearch.yml", 1),
        ];
        let report = apply(&mut results, &set, &[], TODAY);
        let statuses: Vec<_> = results.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [Status::Waived, Status::Fail, Status::Waived, Status::Fail]
        );
        let w = results[0].waiver.as_ref().unwrap();
        assert_eq!(
            (w.reason.as_str(), w.ticket.as_deref(), w.source.as_str()),
            ("lab only", Some("SEC-1"), "w.yaml:2")
        );
        assert_eq!(
            results[2].waiver.as_ref().unwrap().expires.as_deref(),
            Some("2026-11-27")
        );
        assert_eq!(report.expired.len(), 1);
        assert_eq!(report.expired[0].rule, "ES-AUD-001");
        assert_eq!(report.unused.len(), 1);
        assert_eq!(report.unused[0].rule, "ES-FIPS-001");
    }

    #[test]
    fn inline_suppressions_need_a_reason_and_the_right_line() {
        let sup = |covers: usize, reason: &str| InlineSuppression {
            path: "c/elasticsearch.yml".into(),
            line: covers,
            covers,
            rules: vec!["ES-TLS-004".into()],
            reason: reason.into(),
        };
        let mut results = vec![failure("ES-TLS-004", "node:a/b", "c/elasticsearch.yml", 4)];
        let report = apply(
            &mut results,
            &WaiverSet::default(),
            &[sup(4, ""), sup(4, "test cluster"), sup(9, "elsewhere")],
            TODAY,
        );
        assert_eq!(results[0].status, Status::Waived);
        assert_eq!(
            results[0].waiver.as_ref().unwrap().source,
            "c/elasticsearch.yml:4"
        );
        assert_eq!(report.invalid.len(), 1);
        assert_eq!(report.unused.len(), 1);
    }

    #[test]
    fn an_inline_comment_on_the_setting_naming_a_file_covers_the_file() {
        let mut key = crate::results::sample("CERT-KEY-002", "node:a/b", Status::Fail);
        key.location = ResultLocation {
            path: Some("c/certs/http.key".into()),
            line: None,
            column: None,
            object: "file:c/certs/http.key".into(),
            named_by: Some(crate::results::NamedBy {
                setting: "xpack.security.http.ssl.key".into(),
                path: "c/elasticsearch.yml".into(),
                line: Some(7),
            }),
        };
        let mut other_line = key.clone();
        other_line.location.named_by.as_mut().unwrap().line = Some(8);
        let sup = InlineSuppression {
            path: "c/elasticsearch.yml".into(),
            line: 6,
            covers: 7,
            rules: vec!["CERT-KEY".into()],
            reason: "mode set at deployment".into(),
        };
        let mut results = vec![key, other_line];
        let report = apply(&mut results, &WaiverSet::default(), &[sup], TODAY);
        assert_eq!(results[0].status, Status::Waived);
        assert_eq!(results[1].status, Status::Fail);
        assert!(report.unused.is_empty());
    }

    #[test]
    fn malformed_files_say_what_and_where() {
        for (text, expect) in [
            ("waivers:\n- rule: ES-TLS-001\n", "reason"),
            ("waivers:\n- rule: ES-TLS-001\n  reason: ''\n", "line 2"),
            (
                "waivers:\n- rule: ES-TLS-001\n  reason: x\n  expires: soon\n",
                "not a date",
            ),
            (
                "waivers:\n- rule: ES-TLS-001\n  reason: x\n  colour: red\n",
                "colour",
            ),
            (
                "waivers:\n- rule: X\n  reason: x\n  path: 'a/[b'\n",
                "bad pattern",
            ),
        ] {
            let err = parse(text, "w.yaml").err().unwrap_or_default();
            assert!(err.contains(expect), "{text:?} gave {err:?}");
        }
        assert!(parse("# nothing yet\n", "w.yaml").is_ok());
    }
}
