//! Every bundled fixture's whole verdict (issue 23). The per-fixture tests check that what was
//! planted is found; this one pins everything else too: each failing or unjudged result of
//! every fixture, under the `strict` and the `fips` profiles (between them every rule runs), with
//! the scan's exit codes, so a new false alarm, a lost finding or a rule that stops evaluating
//! fails CI. Within each report, no two results share a fingerprint.
//!
//! `tests/fixture-verdicts.txt` is the reviewed expectation. Results at a line that carries a
//! `# expect: RULE` marker for their rule are shown with `planted`; every planted marker must
//! be found. After an intended change, rewrite the file with `ESAUDIT_BLESS=1 cargo test --test
//! fixture_verdicts` and review the difference like code.
//!
//! `fixtures/wild` and `fixtures/repos` are pinned by `tests/stack.rs` and
//! `tests/real_repos.rs`; `fixtures/fuzz-regressions` holds inputs that once crashed a parser.

mod common;

use common::esaudit;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const PINNED_ELSEWHERE: &[&str] = &["wild", "repos", "fuzz-regressions"];

/// The fixtures: each folder of `fixtures/`, and each recorded cluster of `fixtures/api/`.
fn fixtures(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join("fixtures")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !path.is_dir() || PINNED_ELSEWHERE.contains(&name.as_str()) {
            continue;
        }
        if name == "api" {
            for cluster in std::fs::read_dir(&path).unwrap() {
                let cluster = cluster.unwrap().path();
                if cluster.is_dir() {
                    let n = cluster.file_name().unwrap().to_string_lossy().to_string();
                    out.push(format!("api/{n}"));
                }
            }
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

/// Every `# expect: RULE[, RULE]` marker under `dir`: (path as scanned, line, rule).
fn markers(dir: &Path, shown: &str) -> BTreeSet<(String, u64, String)> {
    let mut out = BTreeSet::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let Some((before, rules)) = line.split_once("# expect:") else {
                    continue;
                };
                // A marker on a line of its own names the next line (files whose lines cannot
                // carry a comment).
                let target = if before.trim().is_empty() {
                    i + 2
                } else {
                    i + 1
                };
                let is_id = |w: &&str| {
                    w.contains('-')
                        && w.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
                };
                for rule in rules
                    .split([',', ' '])
                    .filter(|w| !w.is_empty())
                    .take_while(is_id)
                {
                    out.insert((format!("{shown}/{rel}"), target as u64, rule.to_string()));
                }
            }
        }
    }
    out
}

/// The lines of one fixture's verdict, and the markers no failing result matched.
fn verdict(root: &Path, fixture: &str) -> (Vec<String>, Vec<String>) {
    let shown = format!("fixtures/{fixture}");
    let planted = markers(&root.join(&shown), &shown);
    let mut found = BTreeSet::new();
    let mut codes = Vec::new();
    let mut errors = BTreeSet::new();
    let mut results = BTreeSet::new();
    for profile in ["strict", "fips"] {
        let out = esaudit()
            .current_dir(root)
            .args(["scan", &shown, "--format", "json", "--profile", profile])
            .output()
            .unwrap();
        codes.push(format!("{profile} {}", out.status.code().unwrap_or(-1)));
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{fixture}: no JSON report ({e})"));
        for e in report["errors"].as_array().unwrap() {
            errors.insert(format!(
                "{fixture}: input error {}: {}",
                e["path"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            ));
        }
        // Fingerprints tell results apart (baselines, code-scanning alerts): none is shared.
        // A check result (a rule's passes or not-applicables on a target, counted) has none.
        let mut fingerprints = std::collections::BTreeMap::new();
        for r in report["results"].as_array().unwrap() {
            if let Some(items) = r["items"].as_u64() {
                assert!(
                    items > 0 && r.get("fingerprint").is_none(),
                    "{fixture}: {r}"
                );
                continue;
            }
            let fingerprint = r["fingerprint"].as_str().unwrap().to_string();
            if let Some(other) = fingerprints.insert(fingerprint, r.clone()) {
                panic!("{fixture} ({profile}): one fingerprint for two results:\n{other}\n{r}");
            }
        }
        for r in report["results"].as_array().unwrap() {
            let status = r["status"].as_str().unwrap();
            if status != "fail" && status != "error" {
                continue;
            }
            let rule = r["rule"].as_str().unwrap();
            let location = &r["location"];
            let path = location["path"].as_str().unwrap_or("");
            let line = location["line"].as_u64();
            let key = (path.to_string(), line.unwrap_or(0), rule.to_string());
            let mark = if status == "fail" && planted.contains(&key) {
                found.insert(key);
                " planted"
            } else {
                ""
            };
            let at = match line {
                Some(l) => format!(
                    " {}:{l}",
                    path.strip_prefix(&format!("{shown}/")).unwrap_or(path)
                ),
                None => String::new(),
            };
            let shown_status = if status == "error" { "(error)" } else { "" };
            results.insert(format!(
                "{fixture}: {} {rule}{shown_status} {}{at}{mark}",
                r["target"].as_str().unwrap().split('@').next().unwrap(),
                location["object"].as_str().unwrap_or(""),
            ));
        }
    }
    let mut lines = vec![format!("{fixture}: exit {}", codes.join(", "))];
    lines.extend(errors);
    lines.extend(results);
    let missed = planted
        .difference(&found)
        .map(|(p, l, r)| format!("{p}:{l}: planted {r} not found"))
        .collect();
    (lines, missed)
}

#[test]
fn every_fixture_pins_its_whole_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    let mut missed = Vec::new();
    for fixture in fixtures(root) {
        let (lines, lost) = verdict(root, &fixture);
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        missed.extend(lost);
    }
    assert!(
        missed.is_empty(),
        "planted findings lost:\n{}",
        missed.join("\n")
    );
    let snapshot = root.join("tests/fixture-verdicts.txt");
    if std::env::var_os("ESAUDIT_BLESS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if expected != text {
        let old: BTreeSet<&str> = expected.lines().collect();
        let new: BTreeSet<&str> = text.lines().collect();
        let mut diff = String::new();
        for l in old.difference(&new) {
            diff.push_str(&format!("- {l}\n"));
        }
        for l in new.difference(&old) {
            diff.push_str(&format!("+ {l}\n"));
        }
        panic!(
            "the fixtures' verdicts changed (- expected, + now); review, then bless with \
             ESAUDIT_BLESS=1 if intended:\n{diff}"
        );
    }
}

/// The reviewed reasons in `tests/fixture-verdict-reasons.txt`: `FIXTURE RULE [RULE…]: why`,
/// where FIXTURE may be `*` (every fixture the rule shows in) and a rule reported as unjudged
/// is written `RULE(error)`; an input error is `input-error`.
fn reasons(text: &str) -> Vec<(String, Vec<String>, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (head, why) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("a reason line is `FIXTURE RULE…: why`: {l}"));
            let mut words = head.split_whitespace().map(str::to_string);
            let fixture = words.next().unwrap();
            (fixture, words.collect(), why.trim().to_string())
        })
        .collect()
}

/// Every failing or unjudged result that no marker planted has a reviewed reason, and every
/// reason still applies to something: a new unplanted failure needs someone to say why it is
/// right before it lands.
#[test]
fn every_unplanted_result_has_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = std::fs::read_to_string(root.join("tests/fixture-verdicts.txt")).unwrap();
    let mut unexplained: BTreeSet<(String, String)> = BTreeSet::new();
    for line in snapshot.lines() {
        let Some((fixture, rest)) = line.split_once(": ") else {
            continue;
        };
        if rest.starts_with("exit ") || rest.ends_with(" planted") {
            continue;
        }
        let key = if rest.starts_with("input error ") {
            "input-error".to_string()
        } else {
            rest.split_whitespace().nth(1).unwrap().to_string()
        };
        unexplained.insert((fixture.to_string(), key));
    }
    let text = std::fs::read_to_string(root.join("tests/fixture-verdict-reasons.txt")).unwrap();
    let mut stale = Vec::new();
    for (fixture, rules, why) in reasons(&text) {
        assert!(
            why.len() >= 20,
            "{fixture} {rules:?}: a reason says why, not just that ({why})"
        );
        for rule in rules {
            let before = unexplained.len();
            unexplained.retain(|(f, r)| !(r == &rule && (fixture == "*" || f == &fixture)));
            if unexplained.len() == before {
                stale.push(format!("{fixture} {rule}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "reasons for results that no longer show (remove them):\n{}",
        stale.join("\n")
    );
    let missing: Vec<String> = unexplained
        .iter()
        .map(|(f, r)| format!("{f} {r}"))
        .collect();
    assert!(
        missing.is_empty(),
        "unplanted results without a reviewed reason (add them to \
         tests/fixture-verdict-reasons.txt):\n{}",
        missing.join("\n")
    );
}

/// Fingerprints are what baselines and code-scanning alerts match on: a change to how they are
/// made re-opens every accepted finding. These are pinned as they are (December 2026), one per
/// kind of item: a setting, two TLS contexts sharing a setting (the transport layer and a
/// profile that inherits it), a JVM option, a client connection's declaration and option, an
/// API object and a cluster.
#[test]
fn fingerprints_stay_what_baselines_saved() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pinned: &[(&str, &str, &str, &str)] = &[
        (
            "weak-tls",
            "ES-CFG-007",
            "setting:xpack.security.http.ssl.keystore.password",
            "965ebaddd50ff801",
        ),
        (
            "weak-tls",
            "ES-TLS-003",
            "setting:xpack.security.transport.ssl.verification_mode",
            "34ca596ae42cd569",
        ),
        (
            "weak-tls",
            "ES-TLS-003",
            "setting:xpack.security.transport.ssl.verification_mode",
            "da1258ec3866e6f1",
        ),
        (
            "weak-tls",
            "ES-JVM-001",
            "jvm:-Djava.security.properties",
            "50a1261a101ca921",
        ),
        (
            "clients",
            "CL-TLS-003",
            "fluent-bit:output #1",
            "6413d9c0ebd00756",
        ),
        (
            "clients",
            "CL-SEC-004",
            "setting:http_passwd",
            "d2e99267769127d3",
        ),
        (
            "api/risky-8x",
            "RBAC-KEY-002",
            "api_key:elastic-admin-key",
            "6f6dceb2351339e7",
        ),
        (
            "api/risky-8x",
            "ES-API-015",
            "cluster:shop-search",
            "d6f95072ec049f8c",
        ),
    ];
    for (fixture, rule, object, fingerprint) in pinned {
        let out = esaudit()
            .current_dir(root)
            .args([
                "scan",
                &format!("fixtures/{fixture}"),
                "--format",
                "json",
                "--profile",
                "strict",
            ])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: Vec<&str> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["rule"] == *rule && r["location"]["object"] == *object && r["status"] == "fail"
            })
            .map(|r| r["fingerprint"].as_str().unwrap())
            .collect();
        assert!(
            got.contains(fingerprint),
            "{fixture} {rule} {object}: {got:?}, pinned {fingerprint}"
        );
    }
}
