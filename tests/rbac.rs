//! RBAC least privilege on the file realm beside a node: planted problems in roles.yml,
//! users, users_roles, role_mapping.yml and service_tokens come out at their file and line;
//! a least-privilege folder gives no RBAC failure.

mod common;

use common::{scan_json, with_status};
use serde_json::Value;
use std::path::Path;

/// `# expect: RULE[, RULE]` markers: at the end of a line (YAML files), or on a comment line of
/// their own for files with no trailing comments (`users`, `service_tokens`), where they name the
/// next line that is not a comment.
fn planted(file: &str) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![];
    for (i, l) in lines.iter().enumerate() {
        let Some((before, ids)) = l.split_once("# expect: ") else {
            continue;
        };
        let line = if before.trim().is_empty() {
            let next = (i + 1..lines.len())
                .find(|&j| !lines[j].trim().is_empty() && !lines[j].trim_start().starts_with('#'))
                .expect("a marker line names the next line");
            next + 1
        } else {
            i + 1
        };
        out.extend(
            ids.split(',')
                .map(|id| (line as u64, id.trim().to_string())),
        );
    }
    out
}

fn rbac_failures(report: &Value) -> Vec<&Value> {
    with_status(report, "fail")
        .into_iter()
        .filter(|r| r["rule"].as_str().unwrap().starts_with("RBAC-"))
        .collect()
}

#[test]
fn risky_file_realm_findings_point_at_their_lines() {
    let (code, report) = scan_json(&["fixtures/file-realm-risky", "--fail-on", "high"]);
    assert_eq!(code, 1);
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{}",
        report["errors"]
    );
    let fails = rbac_failures(&report);
    let mut expected_count = 0;
    for name in ["roles.yml", "users", "role_mapping.yml", "service_tokens"] {
        let file = format!("fixtures/file-realm-risky/config/{name}");
        let expected = planted(&file);
        assert!(!expected.is_empty(), "{file} has no expect markers");
        expected_count += expected.len();
        for (line, rule) in expected {
            let hit = fails.iter().any(|r| {
                r["rule"] == rule.as_str()
                    && r["location"]["path"] == file.as_str()
                    && r["location"]["line"] == line
                    && r["location"]["column"] == 1
            });
            assert!(
                hit,
                "{file}:{line}: expected a failing {rule}; rbac failures were:\n{}",
                fails
                    .iter()
                    .map(|r| format!(
                        "  {} {}:{} {}",
                        r["rule"], r["location"]["path"], r["location"]["line"], r["message"]
                    ))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    // Nothing is reported that was not planted.
    assert_eq!(fails.len(), expected_count, "{fails:#?}");
}

#[test]
fn failures_name_the_object_and_the_path_to_superuser() {
    let (_, report) = scan_json(&["fixtures/file-realm-risky"]);
    let fails = rbac_failures(&report);
    let bob = fails
        .iter()
        .find(|r| r["rule"] == "RBAC-USER-001" && r["location"]["object"] == "user:bob")
        .expect("bob reaches superuser");
    let message = bob["message"].as_str().unwrap();
    assert!(
        message.contains("user:bob → role:helpdesk → run_as alice → role:superuser")
            && message.contains("users_roles:3"),
        "{message}"
    );
    let role = fails
        .iter()
        .find(|r| r["rule"] == "RBAC-ROLE-001" && r["location"]["object"] == "role:ops_admin")
        .unwrap();
    assert_eq!(
        role["evidence"]["actual"],
        "cluster privilege manage_security"
    );
    assert_eq!(role["severity"], "critical");
    // Hashes from the users and service_tokens files never reach the report.
    let text = report.to_string();
    assert!(!text.contains("bm90LWEtcmVhbC1"), "a hash leaked");
}

#[test]
fn least_privilege_file_realm_passes() {
    let (_, report) = scan_json(&["fixtures/file-realm-least-privilege"]);
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{}",
        report["errors"]
    );
    let fails = rbac_failures(&report);
    assert!(fails.is_empty(), "{fails:#?}");
    let judged = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"].as_str().unwrap().starts_with("RBAC-") && r["status"] == "pass")
        .count();
    assert!(judged > 10, "the rbac rules ran: {judged} passes");
    // The scanner role (monitor + read_security) fails nothing at all.
    let scanner_fails: Vec<_> = with_status(&report, "fail")
        .into_iter()
        .filter(|r| r["location"]["object"] == "role:security_posture_scanner")
        .collect();
    assert!(scanner_fails.is_empty(), "{scanner_fails:#?}");
}

#[test]
fn malformed_roles_file_is_an_input_error_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(
        config.join("elasticsearch.yml"),
        "cluster.name: broken-realm\nxpack.security.enabled: true\n",
    )
    .unwrap();
    std::fs::write(config.join("roles.yml"), "ops:\n  cluster: [manage\n").unwrap();
    std::fs::write(config.join("users"), "dave:$2a$12$xxxxxxxxxxxxxxxxxxxxxx\n").unwrap();
    std::fs::write(config.join("users_roles"), "superuser:dave\n").unwrap();
    let (code, report) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("roles.yml")),
        "{errors:?}"
    );
    assert!(
        rbac_failures(&report)
            .iter()
            .any(|r| r["rule"] == "RBAC-USER-001" && r["location"]["object"] == "user:dave")
    );
    // The roles that could not be read are not passed: their rules report an error.
    let role_errors: Vec<_> = with_status(&report, "error")
        .into_iter()
        .filter(|r| r["rule"].as_str().unwrap().starts_with("RBAC-ROLE-"))
        .collect();
    assert!(!role_errors.is_empty());
    assert!(role_errors.iter().all(|r| {
        r["message"]
            .as_str()
            .unwrap()
            .contains("roles.yml could not be parsed")
    }));
}
