//! Elastic Common Schema documents, one JSON object per line (NDJSON), one per result, laid out
//! like the findings of Elastic's cloud security posture integration so that scheduled scans can
//! sit beside CSPM/KSPM findings in Kibana: `event.kind: state`, `result.evaluation`, `rule.*`,
//! `resource.*`. What ECS has no field for is under `esaudit.*`. The last document is the run's
//! own (`event.kind: event`, dataset `esaudit.scans`): complete or not, and why.

use crate::Scan;
use crate::results::{RuleResult, Status, Target};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.11.0";

fn outcome(status: Status) -> (&'static str, Option<&'static str>) {
    match status {
        Status::Pass => ("success", Some("passed")),
        // A waived failure still failed; `esaudit.waiver` says why it is accepted.
        Status::Fail | Status::Waived => ("failure", Some("failed")),
        // Not judged: the posture score must not count these either way.
        Status::Error | Status::NotApplicable => ("unknown", None),
    }
}

/// Who made the document: the same in every one.
fn observer() -> Value {
    json!({
        "vendor": "esaudit",
        "product": "esaudit",
        "version": env!("CARGO_PKG_VERSION"),
        "type": "scanner",
    })
}

fn document(scan: &Scan, r: &RuleResult, target: Option<&Target>, timestamp: &str) -> Value {
    let rule = scan.rule(&r.rule);
    let (event_outcome, evaluation) = outcome(r.status);
    let mut result = Map::new();
    if let Some(e) = evaluation {
        result.insert("evaluation".into(), json!(e));
    }
    if let Some(e) = &r.evidence {
        result.insert("evidence".into(), json!({"actual": e.actual}));
        if let Some(x) = &e.expected {
            result.insert("expected".into(), json!({"value": x}));
        }
    }
    let profile = super::profile_name(scan);
    let mut rule_doc = json!({
        "id": r.rule,
        "name": r.title,
        "section": r.category.as_str(),
        "category": r.category.as_str(),
        "ruleset": format!("esaudit {profile}"),
        "remediation": r.remediation,
        "benchmark": {
            "id": format!("esaudit_{profile}"),
            "name": format!("esaudit {profile} profile"),
            "version": format!("v{}", env!("CARGO_PKG_VERSION")),
            "rule_number": r.rule,
        },
    });
    if let Some(rule) = rule {
        rule_doc["remediation"] = json!(rule.remediation.trim());
        rule_doc["description"] = json!(rule.rationale.trim());
        if let Some(first) = rule.references.first() {
            rule_doc["reference"] = json!(first);
        }
        rule_doc["tags"] = json!(
            rule.frameworks
                .iter()
                .flat_map(|(f, ids)| ids.iter().map(move |id| format!("{f} {id}")))
                .collect::<Vec<_>>()
        );
    }
    let mut esaudit = json!({
        "status": r.status.as_str(),
        "severity": r.severity.as_str(),
        "category": r.category.as_str(),
        "profile": profile,
        "score": {"value": scan.score.value, "grade": scan.score.grade},
    });
    // A check result (a rule's passes or not-applicables on a target) stands for its items,
    // and has no object or fingerprint of its own; its document id comes from the check.
    let id = match r.items {
        Some(items) => {
            esaudit["items"] = json!(items);
            crate::results::fingerprint(&[&r.rule, &r.target, r.status.as_str()])
        }
        None => {
            esaudit["fingerprint"] = json!(r.fingerprint);
            esaudit["object"] = json!(r.location.object);
            r.fingerprint.clone()
        }
    };
    if let Some(path) = &r.location.path {
        esaudit["location"] = json!({
            "path": path,
            "line": r.location.line,
            "column": r.location.column,
        });
    }
    if let Some(w) = &r.waiver {
        esaudit["waiver"] = json!(w);
    }
    if r.baseline {
        esaudit["baseline"] = json!(true);
    }
    if let Some(rule) = rule {
        esaudit["references"] = json!(rule.references);
    }
    let mut doc = json!({
        "@timestamp": timestamp,
        "ecs": {"version": ECS_VERSION},
        "message": r.summary(),
        "event": {
            "kind": "state",
            "category": ["configuration"],
            "type": ["info"],
            "outcome": event_outcome,
            "dataset": "esaudit.findings",
            "module": "esaudit",
            "created": timestamp,
            "id": format!("{id}-{}", scan.time.0),
        },
        "result": result,
        "rule": rule_doc,
        "resource": {
            "id": r.target,
            "name": r.target.split_once(':').map(|(_, n)| n).unwrap_or(&r.target),
            "type": target.map(|t| t.kind.as_str()).unwrap_or("unknown"),
            "sub_type": "config_file",
        },
        "observer": observer(),
        "esaudit": esaudit,
    });
    if let Some(t) = target {
        doc["esaudit"]["target"] = json!(t);
    }
    if let Some(path) = &r.location.path {
        doc["file"] = json!({"path": path});
    }
    doc
}

pub fn render(scan: &Scan) -> String {
    let mut out = Vec::new();
    write(scan, scan.results.iter().map(Ok), &mut out).expect("writing into memory does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes a document per result that `results` yields (a batched scan reads them back from its
/// spill, so they need not be in memory at once).
pub fn write<R: std::borrow::Borrow<RuleResult>>(
    scan: &Scan,
    results: impl Iterator<Item = std::io::Result<R>>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for document in documents(scan, results) {
        out.write_all(document?.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The document of the run itself: whether it read everything (`event.outcome`), its input
/// errors, score and coverage. A dashboard tells from it a clean scan from one that could not
/// read its inputs, which the findings alone cannot show.
fn run_document(scan: &Scan, timestamp: &str) -> Value {
    let c = &scan.score.coverage;
    let message = match &scan.score.grade {
        Some(grade) => format!(
            "esaudit scan: grade {grade}, score {:.1}, {} findings",
            scan.score.value,
            c.findings.values().sum::<usize>()
        ),
        None => format!(
            "esaudit scan: incomplete, {} input error(s); no grade",
            scan.input_errors.len()
        ),
    };
    json!({
        "@timestamp": timestamp,
        "ecs": {"version": ECS_VERSION},
        "message": message,
        "event": {
            "kind": "event",
            "category": ["configuration"],
            "type": ["info"],
            "action": "scan",
            "outcome": if scan.incomplete() { "failure" } else { "success" },
            "dataset": "esaudit.scans",
            "module": "esaudit",
            "created": timestamp,
            "id": format!("scan-{}", scan.time.0),
        },
        "observer": observer(),
        "esaudit": {
            "profile": super::profile_name(scan),
            "complete": !scan.incomplete(),
            "errors": scan.input_errors,
            "score": {"value": scan.score.value, "grade": scan.score.grade},
            "coverage": c,
            "targets": scan.targets.len(),
        },
    })
}

/// The document of each result that `results` yields, then the run's document, each as one
/// line of JSON (without its newline).
pub fn documents<'a, R: std::borrow::Borrow<RuleResult>>(
    scan: &'a Scan,
    results: impl Iterator<Item = std::io::Result<R>> + 'a,
) -> impl Iterator<Item = std::io::Result<String>> + 'a {
    let timestamp = scan.time.rfc3339();
    let targets: HashMap<&str, &Target> = scan.targets.iter().map(|t| (t.id.as_str(), t)).collect();
    let run_timestamp = timestamp.clone();
    results
        .map(move |r| {
            let r = r?;
            let r = r.borrow();
            let target = targets.get(r.target.as_str()).copied();
            Ok(serde_json::to_string(&document(
                scan, r, target, &timestamp,
            ))?)
        })
        .chain(std::iter::once_with(move || {
            Ok(serde_json::to_string(&run_document(scan, &run_timestamp))?)
        }))
}
