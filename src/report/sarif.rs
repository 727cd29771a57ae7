//! SARIF 2.1.0, shaped for GitHub code scanning.
//!
//! Why hand-written structs rather than the `serde-sarif` crate: we emit a small, fixed subset
//! (one run, rules, results with one physical location). serde-sarif generates every SARIF type
//! at build time from the schema (schemafy, syn 1, prettyplease), does not compile without
//! adding serde's derive feature ourselves, and still leaves the fields that matter to GitHub
//! (`results` present when empty, `security-severity` as a string, the rule level) to us. A
//! hundred lines of plain structs are leaner and as safe: the integration tests run every
//! report through validate-sarif (schema, SARIF Multitool with GitHub's rules, GitHub limits).
//!
//! What goes in: only `fail` results. Waived results are left out, because GitHub ignores
//! SARIF `suppressions` and would show them as open alerts; leaving them out closes the alert.
//! A failure with no file in the repository (a live-API finding, or a file outside the working
//! directory) would make GitHub reject the whole upload: it is anchored to `--sarif-anchor` when
//! one is given, and otherwise left out and counted in a warning.

use super::Rendered;
use crate::Scan;
use crate::results::{RuleResult, Status};
use crate::rules::{Rule, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `automationDetails.id` category (`--sarif-category`); default `esaudit/<profile>`.
    pub category: Option<String>,
    /// Repository file that findings without one are anchored to (`--sarif-anchor`).
    pub anchor: Option<String>,
    /// The repository root that URIs are made relative to (the working directory).
    pub root: PathBuf,
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    automation_details: AutomationDetails,
    column_kind: &'static str,
    /// Always present, even when empty: GitHub rejects a run without it.
    results: Vec<SarifResult>,
    /// Whether the run read everything it was given; the input errors when it did not.
    invocations: [Invocation; 1],
    properties: RunProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<NotificationLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLocation {
    physical_location: FileLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    profile: &'static str,
    score: f64,
    /// None when the scan is incomplete.
    #[serde(skip_serializing_if = "Option::is_none")]
    grade: Option<String>,
    /// Failing results left out because they have no file in the repository.
    omitted_results: usize,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    /// A string holding a number: GitHub rejects the upload for a JSON number.
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

/// `endColumn` is left out on purpose: SARIF then reads the region as running to the end of
/// the line, which is what a setting finding means (we know where the key starts, not where
/// its value ends).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    target: String,
    object: String,
    severity: &'static str,
    category: &'static str,
    /// The file the finding belongs to, when it was anchored elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    anchored_from: Option<String>,
}

/// GitHub reads `security-severity` as over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium and
/// 0.1–3.9 low; these values sit well inside each band.
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Info => None,
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A path relative to the repository root with `/` separators, or None when it is not inside
/// it (absolute elsewhere, or climbing out with `..`).
pub fn repo_path(path: &str, root: &Path) -> Option<String> {
    let p = Path::new(path);
    let relative = if p.is_absolute() {
        p.strip_prefix(root).ok()?
    } else {
        p
    };
    let mut parts: Vec<String> = Vec::new();
    for c in relative.components() {
        match c {
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Percent-encodes everything but unreserved characters and `/` (a raw space is not a valid
/// URI reference).
fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Cuts text to GitHub's 1,024-character limit for rule descriptions.
fn limit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// A rule name for filtering: the title in PascalCase (`HttpLayerIsNotEncrypted`).
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn descriptor(rule: &Rule) -> Descriptor {
    let mut tags = vec![
        "security".to_string(),
        "elastic-stack".to_string(),
        rule.category.as_str().to_string(),
    ];
    for (framework, ids) in &rule.frameworks {
        for id in ids {
            tags.push(format!("{framework}/{id}"));
        }
    }
    // GitHub keeps ten tags per rule.
    tags.truncate(10);
    let mut text = format!(
        "{}\n\nRemediation: {}\n\nApplying the fix {}.",
        rule.rationale.trim(),
        rule.remediation.trim(),
        super::restart_text(rule.restart)
    );
    let mut markdown = format!(
        "**{}**\n\n{}\n\n**Remediation.** {}\n\nApplying the fix {}.",
        rule.title,
        rule.rationale.trim(),
        rule.remediation.trim(),
        super::restart_text(rule.restart)
    );
    if !rule.references.is_empty() {
        markdown.push_str("\n\n**References**\n");
        text.push_str("\n\nReferences:");
        for link in &rule.references {
            markdown.push_str(&format!("\n- <{link}>"));
            text.push_str(&format!("\n- {link}"));
        }
    }
    if !rule.frameworks.is_empty() {
        let list: Vec<String> = rule
            .frameworks
            .iter()
            .map(|(f, ids)| format!("{f}: {}", ids.join(", ")))
            .collect();
        markdown.push_str(&format!("\n\n**Frameworks.** {}", list.join("; ")));
        text.push_str(&format!("\n\nFrameworks: {}", list.join("; ")));
    }
    Descriptor {
        id: rule.id.clone(),
        name: rule_name(&rule.title),
        short_description: Text {
            text: limit(&rule.title, 1024),
        },
        full_description: Text {
            text: limit(rule.rationale.trim(), 1024),
        },
        help: Help { text, markdown },
        help_uri: rule.references.first().cloned(),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            tags,
            // The checks read the configuration itself; misspelled-setting guesses are the
            // only heuristic ones.
            precision: if rule.category == crate::rules::Category::Config {
                "high"
            } else {
                "very-high"
            },
            security_severity: security_severity(rule.severity),
            problem_severity: match rule.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low | Severity::Info => "recommendation",
            },
        },
    }
}

/// The alert title: the finding, the target it is about and the value expected.
fn message(r: &RuleResult) -> String {
    let mut text = format!("{} ({})", r.message.trim(), r.target);
    if let Some(expected) = r.evidence.as_ref().and_then(|e| e.expected.as_ref()) {
        text.push_str(&format!(". Expected: {expected}."));
    }
    text
}

pub fn render(scan: &Scan, options: &Options) -> Rendered {
    let mut text = Vec::new();
    let warnings = write(scan, options, scan.results.iter().map(Ok), &mut text)
        .expect("writing into memory does not fail");
    Rendered {
        text: String::from_utf8(text).expect("SARIF is text"),
        warnings,
    }
}

/// Writes the SARIF log of `scan`, whose results (in report order) `results` yields: a
/// batched scan reads them back from its spill. Each SARIF result is written as it comes,
/// spliced into the log where serde_json's pretty printer would put it, so a large scan's
/// failures are never in memory at once. Returns the warnings for the user.
pub fn write<R: std::borrow::Borrow<RuleResult>>(
    scan: &Scan,
    options: &Options,
    results: impl Iterator<Item = std::io::Result<R>>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Vec<String>> {
    let index: BTreeMap<&str, usize> = scan
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let anchor = options
        .anchor
        .as_deref()
        .and_then(|a| repo_path(a, &options.root));
    let category = options
        .category
        .clone()
        .unwrap_or_else(|| format!("esaudit/{}", super::profile_name(scan)));
    let log = |omitted_results: usize| Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "esaudit",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: scan.rules.iter().map(descriptor).collect(),
                },
            },
            // `category/`: GitHub reads the category up to the last slash.
            automation_details: AutomationDetails {
                id: format!("{}/", category.trim_end_matches('/')),
            },
            column_kind: "unicodeCodePoints",
            results: Vec::new(),
            invocations: [Invocation {
                execution_successful: !scan.incomplete(),
                tool_execution_notifications: scan
                    .input_errors
                    .iter()
                    .map(|e| Notification {
                        level: "error",
                        message: Text {
                            text: e.to_string(),
                        },
                        locations: repo_path(&e.path, &options.root)
                            .filter(|_| Path::new(&e.path).exists())
                            .map(|uri| NotificationLocation {
                                physical_location: FileLocation {
                                    artifact_location: ArtifactLocation {
                                        uri: encode_uri(&uri),
                                        uri_base_id: "%SRCROOT%",
                                    },
                                },
                            })
                            .into_iter()
                            .collect(),
                    })
                    .collect(),
            }],
            properties: RunProperties {
                profile: super::profile_name(scan),
                score: scan.score.value,
                grade: scan.score.grade.clone(),
                omitted_results,
            },
        }],
    };
    // The log with no results, split where they go: `"results": [` | `]`. Its head does not
    // depend on the results; its tail (the run's properties) is written again at the end.
    let empty = serde_json::to_vec_pretty(&log(0))?;
    let open = super::json::empty_results_at(&empty)?;
    let mut written = 0usize;
    let mut element = Vec::new();
    // How many failures had no file, and the first few of them.
    let (mut omitted, mut examples) = (0, Vec::new());
    for r in results {
        let r = r?;
        let r = r.borrow();
        if r.status != Status::Fail {
            continue;
        }
        let Some(&rule_index) = index.get(r.rule.as_str()) else {
            continue;
        };
        let own = r
            .location
            .path
            .as_deref()
            .and_then(|p| repo_path(p, &options.root));
        let (uri, line, column, anchored_from) = match (own, &anchor) {
            (Some(uri), _) => (
                uri,
                r.location.line.unwrap_or(1),
                r.location.line.and(r.location.column).unwrap_or(1),
                None,
            ),
            (None, Some(anchor)) => (anchor.clone(), 1, 1, r.location.path.clone()),
            (None, None) => {
                omitted += 1;
                if examples.len() < 3 {
                    examples.push(format!("{} on {}", r.rule, super::place(r)));
                }
                continue;
            }
        };
        let mut fingerprints = BTreeMap::new();
        // Rule, target and object: stable across runs and line moves, and distinct for two
        // findings anchored to the same line.
        fingerprints.insert("primaryLocationLineHash", format!("{}:1", r.fingerprint));
        let sarif_result = SarifResult {
            rule_id: r.rule.clone(),
            rule_index,
            level: level(r.severity),
            message: Text { text: message(r) },
            locations: [Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: encode_uri(&uri),
                        uri_base_id: "%SRCROOT%",
                    },
                    region: Region {
                        start_line: line,
                        start_column: column,
                        end_line: line,
                    },
                },
            }],
            partial_fingerprints: fingerprints,
            baseline_state: scan.baseline.is_some().then_some(if r.baseline {
                "unchanged"
            } else {
                "new"
            }),
            properties: ResultProperties {
                target: r.target.clone(),
                object: r.location.object.clone(),
                severity: r.severity.as_str(),
                category: r.category.as_str(),
                anchored_from,
            },
        };
        element.clear();
        element.extend_from_slice(if written == 0 { b"\n" } else { b",\n" });
        // `runs[0].results[i]` sits four levels deep.
        super::json::push_pretty_element(&mut element, &sarif_result, b"        ")?;
        if written == 0 {
            out.write_all(&empty[..open])?;
        }
        out.write_all(&element)?;
        written += 1;
    }
    let full = serde_json::to_vec_pretty(&log(omitted))?;
    if written == 0 {
        out.write_all(&full)?;
    } else {
        out.write_all(b"\n      ")?;
        out.write_all(&full[super::json::empty_results_at(&full)?..])?;
    }
    out.write_all(b"\n")?;
    let mut warnings = Vec::new();
    if omitted > 0 {
        warnings.push(format!(
            "SARIF: {} failing result(s) have no file inside the repository ({}{}) and were left out; \
             GitHub rejects a result without one. Give --sarif-anchor FILE to attach them to a file.",
            omitted,
            examples.join(", "),
            if omitted > 3 { ", …" } else { "" }
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_paths() {
        let root = Path::new("/repo");
        assert_eq!(
            repo_path("./config/elasticsearch.yml", root).as_deref(),
            Some("config/elasticsearch.yml")
        );
        assert_eq!(repo_path("/repo/a/b.yml", root).as_deref(), Some("a/b.yml"));
        assert_eq!(repo_path("a/../b.yml", root).as_deref(), Some("b.yml"));
        assert_eq!(
            repo_path("/etc/elasticsearch/elasticsearch.yml", root),
            None
        );
        assert_eq!(repo_path("../other/elasticsearch.yml", root), None);
        assert_eq!(encode_uri("my dir/ü.yml"), "my%20dir/%C3%BC.yml");
    }

    /// A finding with no file at all (as live-API findings will be) is anchored when an anchor
    /// is given, and otherwise left out with a warning.
    #[test]
    fn findings_without_a_file() {
        use crate::results::{ResultLocation, Target};
        let rule = crate::rules::parse_file(
            "x.yaml",
            "- id: ES-API-001\n  title: Anonymous access\n  category: rbac\n  severity: high\n  scope: es_node\n  check: 'true'\n  profiles: [baseline]\n  rationale: r\n  remediation: m\n  restart: dynamic\n",
        )
        .unwrap()
        .remove(0)
        .rule;
        let result = |target: &str| RuleResult {
            rule: "ES-API-001".into(),
            title: "Anonymous access".into(),
            category: rule.category,
            severity: rule.severity,
            status: Status::Fail,
            target: target.into(),
            items: None,
            location: ResultLocation {
                path: None,
                line: None,
                column: None,
                object: "setting:xpack.security.authc.anonymous.roles".into(),
                named_by: None,
            },
            message: "anonymous users get roles".into(),
            evidence: None,
            remediation: "m".into(),
            fingerprint: crate::results::fingerprint(&["ES-API-001", target]),
            waiver: None,
            baseline: false,
        };
        let results = vec![result("cluster:prod"), result("cluster:staging")];
        let scan = Scan {
            profile: crate::rules::Profile::Baseline,
            targets: vec![Target {
                id: "cluster:prod".into(),
                kind: "es_cluster".into(),
                source: "https://es.example:9200".into(),
                version: None,
                version_source: None,
                grade: None,
                tls: None,
            }],
            score: crate::score::score(&results),
            results,
            input_errors: vec![],
            skipped: vec![],
            rules: vec![rule.clone()],
            waivers: Default::default(),
            time: crate::clock::Timestamp(0),
            baseline: None,
            shard: None,
            detail: Default::default(),
        };
        let root = std::env::current_dir().unwrap();
        let left_out = render(
            &scan,
            &Options {
                root: root.clone(),
                ..Options::default()
            },
        );
        let doc: serde_json::Value = serde_json::from_str(&left_out.text).unwrap();
        assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
        assert_eq!(doc["runs"][0]["properties"]["omittedResults"], 2);
        assert!(left_out.warnings[0].contains("2 failing result(s)"));

        let anchored = render(
            &scan,
            &Options {
                anchor: Some("inventory/clusters.yml".into()),
                root,
                ..Options::default()
            },
        );
        assert!(anchored.warnings.is_empty());
        let doc: serde_json::Value = serde_json::from_str(&anchored.text).unwrap();
        let results = doc["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uri"], "inventory/clusters.yml");
            assert_eq!(loc["region"]["startLine"], 1);
        }
        // The cluster is in the fingerprint and the message, so the two stay two alerts.
        assert_ne!(
            results[0]["partialFingerprints"],
            results[1]["partialFingerprints"]
        );
        assert!(
            results[1]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("cluster:staging")
        );
    }

    #[test]
    fn names_and_limits() {
        assert_eq!(
            rule_name("HTTP layer is not encrypted"),
            "HTTPLayerIsNotEncrypted"
        );
        assert_eq!(limit("abcdef", 4), "abc…");
        assert_eq!(limit("abc", 4), "abc");
    }
}
