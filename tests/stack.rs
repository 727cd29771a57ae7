//! Kibana, Logstash, Beats and Agent configs, compose files and Kubernetes manifests: planted
//! problems at their lines, clean secure fixtures, input errors, and secrets kept out of reports.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn esaudit() -> Command {
    let mut cmd = Command::cargo_bin("esaudit").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

fn scan_json(args: &[&str]) -> (i32, Value) {
    let out = esaudit()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn with_status<'a>(report: &'a Value, status: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == status)
        .collect()
}

/// Every file under `dir` with `# expect: RULE` markers: (path, line, rule).
fn planted(dir: &str) -> Vec<(String, u64, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .display()
            .to_string();
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for (i, l) in text.lines().enumerate() {
            if let Some((_, ids)) = l.split_once("# expect: ") {
                for id in ids.split(',') {
                    out.push((rel.clone(), i as u64 + 1, id.trim().to_string()));
                }
            }
        }
    }
    out
}

fn assert_planted_found(dir: &str) {
    let (code, report) = scan_json(&[dir, "--profile", "fips", "--fail-on", "low"]);
    assert_eq!(code, 1, "{dir}: the gate must fail");
    let fails = with_status(&report, "fail");
    let expected = planted(dir);
    assert!(!expected.is_empty(), "{dir} has no expect markers");
    for (file, line, rule) in expected {
        let hit = fails.iter().any(|r| {
            r["rule"] == rule.as_str()
                && r["location"]["path"] == file.as_str()
                && r["location"]["line"] == line
        });
        assert!(
            hit,
            "{file}:{line}: expected a failing {rule}; failures there were: {:?}",
            fails
                .iter()
                .filter(|r| r["location"]["path"] == file.as_str())
                .map(|r| format!("{} @{}", r["rule"], r["location"]["line"]))
                .collect::<Vec<_>>()
        );
    }
    let errors = with_status(&report, "error");
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn insecure_components_are_found_at_their_lines() {
    assert_planted_found("fixtures/stack-insecure");
}

#[test]
fn secure_components_are_clean_at_medium_and_above() {
    for profile in ["baseline", "strict"] {
        let (code, report) = scan_json(&[
            "fixtures/stack-secure",
            "--profile",
            profile,
            "--fail-on",
            "medium",
        ]);
        let serious: Vec<_> = with_status(&report, "fail")
            .into_iter()
            .filter(|r| ["medium", "high", "critical"].contains(&r["severity"].as_str().unwrap()))
            .collect();
        assert!(serious.is_empty(), "{profile}: {serious:#?}");
        assert!(with_status(&report, "error").is_empty());
        assert_eq!(code, 0);
    }
}

#[test]
fn every_component_is_a_target() {
    let (_, report) = scan_json(&["fixtures/stack-insecure"]);
    let kinds: Vec<(&str, &str)> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["kind"].as_str().unwrap()))
        .collect();
    for (id, kind) in [
        ("kibana:kibana-open", "kibana"),
        ("logstash:ls-open", "logstash"),
        ("beat:filebeat/filebeat", "beat"),
        ("agent:agent/elastic-agent", "agent"),
    ] {
        assert!(kinds.contains(&(id, kind)), "{id} missing from {kinds:?}");
    }
}

#[test]
fn broken_pipeline_is_an_input_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("broken.conf");
    std::fs::write(
        &conf,
        "input { beats { port => 5044 } }\noutput {\n  elasticsearch {\n    hosts => [\"https://x:9200\"\n  }\n}\n",
    )
    .unwrap();
    let out = esaudit()
        .args(["scan", conf.to_str().unwrap(), "fixtures/stack-secure"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.conf") && stderr.contains("line 5"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "kibana:kibana-01")
    );
}
