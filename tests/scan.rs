//! The binary run on the bundled fixtures: planted problems, lines, exit codes, secrets.

mod common;

use common::{esaudit, scan_json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn results(report: &Value) -> &Vec<Value> {
    report["results"].as_array().unwrap()
}

fn failures(report: &Value) -> Vec<&Value> {
    results(report)
        .iter()
        .filter(|r| r["status"] == "fail")
        .collect()
}

/// `# expect: RULE[, RULE]` markers in a fixture: (line, rule id).
fn planted(file: &str) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            l.split_once("# expect: ")
                .map(|(_, ids)| (i as u64 + 1, ids))
        })
        .flat_map(|(line, ids)| ids.split(',').map(move |id| (line, id.trim().to_string())))
        .collect()
}

/// Every planted problem comes out as a failing result of that rule at that line.
fn assert_planted_found(fixture: &str, profile: &str) {
    let file = format!("fixtures/{fixture}/config/elasticsearch.yml");
    let (code, report) = scan_json(&[
        &format!("fixtures/{fixture}"),
        "--profile",
        profile,
        "--fail-on",
        "low",
    ]);
    assert_eq!(code, 1, "{fixture}: the gate must fail");
    let fails = failures(&report);
    let expected = planted(&file);
    assert!(!expected.is_empty(), "{file} has no expect markers");
    for (line, rule) in expected {
        let hit = fails.iter().any(|r| {
            r["rule"] == rule.as_str()
                && r["location"]["path"] == file.as_str()
                && r["location"]["line"] == line
        });
        assert!(
            hit,
            "{file}:{line}: expected a failing {rule}; failures were:\n{}",
            fails
                .iter()
                .map(|r| format!(
                    "  {} line {} {}",
                    r["rule"], r["location"]["line"], r["message"]
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn open_demo_node() {
    assert_planted_found("insecure-node", "baseline");
}

#[test]
fn weak_tls() {
    assert_planted_found("weak-tls", "baseline");
}

#[test]
fn weak_jvm_options() {
    let (_, report) = scan_json(&["fixtures/weak-tls"]);
    let fails = failures(&report);
    for (rule, line) in [("ES-JVM-001", 3), ("ES-JVM-002", 4)] {
        let hit = fails
            .iter()
            .find(|r| r["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule}"));
        assert_eq!(
            hit["location"]["path"],
            "fixtures/weak-tls/config/jvm.options"
        );
        assert_eq!(hit["location"]["line"], line, "{rule}");
    }
}

#[test]
fn weak_audit() {
    assert_planted_found("weak-audit", "baseline");
    let (_, report) = scan_json(&["fixtures/weak-audit"]);
    let appender = failures(&report)
        .into_iter()
        .find(|r| r["rule"] == "ES-AUD-006")
        .expect("missing audit appender is reported");
    assert_eq!(
        appender["location"]["path"],
        "fixtures/weak-audit/config/log4j2.properties"
    );
}

#[test]
fn weak_ip_filtering() {
    assert_planted_found("weak-ip-filtering", "baseline");
    let (_, report) = scan_json(&["fixtures/weak-ip-filtering"]);
    assert!(
        failures(&report).iter().any(|r| r["rule"] == "ES-IPF-003"
            && r["location"]["object"]
                .as_str()
                .unwrap()
                .contains("transport.profiles.clients")),
        "profile without its own filter rules"
    );
}

#[test]
fn broken_fips_under_fips_profile() {
    assert_planted_found("broken-fips", "fips");
    let (_, report) = scan_json(&["fixtures/broken-fips", "--profile", "fips"]);
    let fails = failures(&report);
    for rule in ["ES-FIPS-008", "ES-FIPS-009", "ES-FIPS-010", "ES-FIPS-012"] {
        assert!(fails.iter().any(|r| r["rule"] == rule), "{rule} must fail");
    }
    let jvm = fails.iter().find(|r| r["rule"] == "ES-FIPS-008").unwrap();
    assert_eq!(
        jvm["location"]["path"],
        "fixtures/broken-fips/config/jvm.options"
    );
    let users = fails.iter().find(|r| r["rule"] == "ES-FIPS-012").unwrap();
    assert_eq!(users["location"]["object"], "user:fips_admin");
    assert_eq!(users["location"]["line"], 1);
}

#[test]
fn fips_rules_follow_fips_mode_whatever_the_profile() {
    let (_, report) = scan_json(&["fixtures/broken-fips", "--profile", "baseline"]);
    assert!(failures(&report).iter().any(|r| r["rule"] == "ES-FIPS-003"));
    let (_, report) = scan_json(&["fixtures/hardened-node", "--profile", "baseline"]);
    assert!(
        !results(&report)
            .iter()
            .any(|r| r["rule"].as_str().unwrap().starts_with("ES-FIPS"))
    );
}

#[test]
fn weak_authentication() {
    assert_planted_found("weak-auth", "baseline");
    let (_, report) = scan_json(&["fixtures/weak-auth"]);
    let fails = failures(&report);
    let user = |name: &str| {
        fails
            .iter()
            .filter(|r| r["location"]["object"] == format!("user:{name}").as_str())
            .map(|r| {
                (
                    r["rule"].as_str().unwrap().to_string(),
                    r["severity"].clone(),
                    r["location"]["line"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let alice = user("alice");
    assert!(
        alice
            .iter()
            .any(|(_, sev, line)| sev == "critical" && line == 2),
        "{alice:?}"
    );
    let bob = user("bob");
    assert!(
        bob.iter().any(|(_, sev, line)| sev == "high" && line == 3),
        "{bob:?}"
    );
    // carol's hash is fine; the anonymous superuser role still makes her a superuser (RBAC),
    // and that is all that fails for her.
    assert_eq!(
        user("carol"),
        [(
            "RBAC-USER-001".to_string(),
            serde_json::json!("high"),
            serde_json::json!(4)
        )]
    );
}

#[test]
fn implicit_security_on_7x() {
    assert_planted_found("implicit-security-7x", "baseline");
    let (_, report) = scan_json(&["fixtures/implicit-security-7x"]);
    let fails: Vec<_> = failures(&report)
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(
        fails.contains(&"ES-SEC-001".to_string()) && fails.contains(&"ES-SEC-002".to_string()),
        "{fails:?}"
    );
}

#[test]
fn default_trust_and_reopened_protocols() {
    assert_planted_found("default-trust-8x", "baseline");
}

#[test]
fn no_tls_on_8x() {
    assert_planted_found("no-tls-8x", "strict");
}

/// Rules only a live scan can judge (the unauthenticated probe, the scan's own TLS
/// verification), and the expiry warning on loaded certificates, which needs a date relative
/// to today: tests/cluster.rs shows each failing and passing, with live scans and a generated
/// snapshot (`open_cluster_is_critical_live`, `insecure_scan_is_reported`,
/// `loaded_certificate_expiring_soon`).
const LIVE_ONLY: &[&str] = &["ES-API-001", "ES-API-002", "ES-API-017", "CERT-API-002"];

/// Component rules that compare certificates: they need CA and node certificates, which are
/// generated by tests/stack.rs (`component_ca_must_sign_the_cluster_http_certificate`, where
/// each fails and passes), not committed.
const GENERATED_CERTS: &[&str] = &["KB-TLS-009", "LS-TLS-011", "BT-TLS-009"];

/// Client rules no public configuration in `fixtures/clients` shows failing (an old minimum TLS
/// version over https, a written API key, a literal fallback password): tests/clients.rs walks
/// each both ways on generated configs.
const GENERATED_CLIENT_CASES: &[&str] = &["CL-TLS-006", "CL-SEC-002", "CL-SEC-003"];

/// Rules that no fixture makes pass yet: only their bad example exists, so a rule that always
/// fails would not be seen. The list is pinned exactly: a new rule must come with a passing
/// case (or be added here, in review), and a rule that gains one must leave the list.
const NO_PASSING_CASE_YET: &[&str] = &[];

/// Every built-in rule fails on at least one fixture and passes on another (except the pinned
/// [`NO_PASSING_CASE_YET`]), and no rule errors except where a value needs an unset
/// environment variable or a certificate file the fixtures do not ship: no rule is dead,
/// always failing, or broken.
#[test]
fn every_rule_fails_somewhere_and_passes_elsewhere() {
    let out = esaudit()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    // Rules on certificate, key and keystore files are walked the same way by tests/certs.rs
    // (`every_file_rule_fails_somewhere_and_passes_elsewhere`), which generates those files;
    // rules on TLS endpoints by tests/tls_probe.rs, which starts servers
    // (`every_endpoint_rule_fails_somewhere_and_passes_elsewhere`).
    let ids: Vec<String> = serde_json::from_slice::<Vec<Value>>(&out.stdout)
        .unwrap()
        .iter()
        .filter(|r| {
            ![
                "certificate",
                "security_file",
                "es_keystore",
                "tls_endpoint",
            ]
            .contains(&r["scope"].as_str().unwrap())
        })
        .map(|r| r["id"].as_str().unwrap().to_string())
        .filter(|id| {
            ![LIVE_ONLY, GENERATED_CERTS, GENERATED_CLIENT_CASES]
                .iter()
                .any(|list| list.contains(&id.as_str()))
        })
        .collect();
    let mut failed = std::collections::BTreeSet::new();
    let mut passed = std::collections::BTreeSet::new();
    for profile in ["baseline", "strict", "fips"] {
        let (_, report) = scan_json(&["fixtures", "--profile", profile]);
        for r in results(&report) {
            let rule = r["rule"].as_str().unwrap().to_string();
            if r["status"] == "error" {
                let message = r["message"].as_str().unwrap();
                assert!(
                    message.contains("environment variable")
                        || message.contains("does not exist")
                        // fixtures/api: a cluster that refuses the scanner some calls, and a
                        // support-diagnostics bundle without the calls it never makes.
                        || message.contains("was refused (HTTP 403)")
                        || message.contains("absent from the snapshot")
                        || message.contains("not collected by this bundle")
                        // fixtures/api: TLS details the nodes info API never returns, 7.x
                        // API keys' role descriptors, roles the API does not return.
                        || message.contains("the nodes info API (_nodes/settings)")
                        || message.contains("role descriptors are unknown: GET /_security/api_key")
                        || message.contains("grants is unknown: it is neither built in")
                        // fixtures/clients/code: a URL or scheme the program computes.
                        || message.contains("computed when the program runs"),
                    "{rule} errors: {message}"
                );
            }
            if r["status"] == "fail" {
                failed.insert(rule);
            } else if r["status"] == "pass" {
                passed.insert(rule);
            }
        }
    }
    let never: Vec<_> = ids.iter().filter(|id| !failed.contains(*id)).collect();
    assert!(never.is_empty(), "rules no fixture makes fail: {never:?}");
    let never_pass: std::collections::BTreeSet<&str> = ids
        .iter()
        .filter(|id| !passed.contains(*id))
        .map(String::as_str)
        .collect();
    assert_eq!(
        never_pass,
        NO_PASSING_CASE_YET.iter().copied().collect(),
        "rules no fixture makes pass (left) against the pinned list (right)"
    );
}

#[test]
fn mixed_yaml_syntax() {
    assert_planted_found("mixed-syntax", "baseline");
    let (_, report) = scan_json(&["fixtures/mixed-syntax"]);
    // Values from `${VAR:default}` are judged by their default; the cluster name came from one.
    assert_eq!(report["targets"][0]["id"], "node:mixed/mixed-1");
    // A rule reading a value that needs an unset variable says so instead of guessing.
    assert!(
        results(&report).iter().any(|r| r["status"] == "error"
            && r["message"].as_str().unwrap().contains("${NETWORK_HOST}"))
    );
}

#[test]
fn hardened_node_is_clean_at_medium_and_above() {
    let (code, report) = scan_json(&["fixtures/hardened-node", "--fail-on", "medium"]);
    let serious: Vec<_> = failures(&report)
        .into_iter()
        .filter(|r| ["medium", "high", "critical"].contains(&r["severity"].as_str().unwrap()))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert_eq!(code, 0);
    assert_eq!(report["targets"][0]["version"], "8.15");
    assert!(report["score"]["value"].as_f64().unwrap() >= 90.0);
    let (strict_code, _) = scan_json(&[
        "fixtures/hardened-node",
        "--profile",
        "strict",
        "--fail-on",
        "high",
    ]);
    assert_eq!(strict_code, 0);
}

#[test]
fn exit_codes_follow_the_gate() {
    let (code, _) = scan_json(&["fixtures/insecure-node"]);
    assert_eq!(code, 1);
    let (code, _) = scan_json(&["fixtures/insecure-node", "--fail-on", "none"]);
    assert_eq!(code, 0);
    let (code, report) = scan_json(&[
        "fixtures/weak-tls",
        "--fail-on",
        "none",
        "--min-score",
        "90",
    ]);
    assert!(report["score"]["value"].as_f64().unwrap() < 90.0);
    assert_eq!(code, 1, "the score alone fails the gate");
    let (code, _) = scan_json(&["fixtures/hardened-node", "--fail-on", "critical"]);
    assert_eq!(code, 0);
    esaudit()
        .args(["scan", "--bogus-flag", "fixtures"])
        .assert()
        .code(2);
    esaudit()
        .args(["scan", "fixtures/hardened-node", "--fail-on", "urgent"])
        .assert()
        .code(2);
}

#[test]
fn malformed_file_is_named_and_the_rest_is_still_scanned() {
    let out = esaudit()
        .args([
            "scan",
            "fixtures/malformed-node",
            "fixtures/insecure-node",
            "no/such/path",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fixtures/malformed-node/config/elasticsearch.yml")
            && stderr.contains("line"),
        "{stderr}"
    );
    assert!(stderr.contains("no/such/path"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"].as_array().unwrap().len(), 2);
    assert!(failures(&report).iter().any(|r| r["rule"] == "ES-SEC-001"));
}

#[test]
fn output_is_deterministic() {
    let run = || {
        esaudit()
            .args(["scan", "fixtures", "--format", "json"])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn secrets_never_appear_in_any_output() {
    let secrets = [
        "changeme",
        "not-really-the-bind-password",
        "not-really-the-client-secret",
        "not-really-alices-password",
        "bm90LWEtcmVhbC1zaGExLWhhc2g",
    ];
    for format in ["json", "table"] {
        let out = esaudit()
            .args([
                "scan",
                "fixtures/weak-auth",
                "fixtures/weak-tls",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for s in secrets {
            assert!(!all.contains(s), "{format} output leaks {s}");
        }
    }
}

#[test]
fn report_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    esaudit()
        .args([
            "scan",
            "fixtures/hardened-node",
            "--format",
            "json",
            "--output",
        ])
        .arg(&path)
        .assert()
        .code(0)
        .stdout("");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(report["version"], 2);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn select_and_ignore() {
    let rules = |report: &Value| -> BTreeSet<String> {
        results(report)
            .iter()
            .map(|r| r["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = scan_json(&["fixtures/weak-tls"]);
    let all = rules(&all);
    let (_, report) = scan_json(&["fixtures/weak-tls", "--select", "ES-TLS"]);
    let selected = rules(&report);
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|r| r.starts_with("ES-TLS"))
        .cloned()
        .collect();
    assert!(expected.contains("ES-TLS-003"), "{all:?}");
    assert_eq!(selected, expected);
    let (_, report) = scan_json(&["fixtures/weak-tls", "--ignore", "ES-TLS-003,ES-NET"]);
    let kept = rules(&report);
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|r| *r != "ES-TLS-003" && !r.starts_with("ES-NET"))
        .cloned()
        .collect();
    assert!(all.iter().any(|r| r.starts_with("ES-NET")), "{all:?}");
    assert_eq!(kept, expected);
}

#[test]
fn rule_catalog_and_explain() {
    let out = esaudit()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules.len() >= 60, "only {} rules", rules.len());
    for r in &rules {
        for field in ["rationale", "remediation", "restart", "references"] {
            assert!(!r[field].is_null(), "{} lacks {field}", r["id"]);
        }
        assert!(
            !r["references"].as_array().unwrap().is_empty(),
            "{} has no reference",
            r["id"]
        );
    }
    let text = esaudit()
        .args(["explain", "ES-TLS-002"])
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(text).unwrap();
    for section in [
        "ES-TLS-002",
        "Why it matters",
        "How to fix",
        "restart",
        "References",
    ] {
        assert!(text.contains(section), "explain lacks {section}:\n{text}");
    }
    esaudit().args(["explain", "ES-NOPE-999"]).assert().code(2);
}

#[test]
fn user_rules_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str, check: &str| {
        format!(
            "- id: {id}\n  title: t\n  category: config\n  severity: low\n  scope: es_node\n  check: '{check}'\n  profiles: [baseline]\n  rationale: r\n  remediation: m\n  restart: none\n  references: [https://example.org]\n"
        )
    };
    std::fs::write(dir.path().join("bad.yaml"), rule("MY-CEL-001", "node.(")).unwrap();
    let out = esaudit()
        .args(["scan", "fixtures/hardened-node", "--checks"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml") && err.contains("MY-CEL-001"),
        "{err}"
    );

    std::fs::write(dir.path().join("bad.yaml"), rule("ES-TLS-002", "true")).unwrap();
    let out = esaudit()
        .args(["rules", "--checks"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate rule id"));

    std::fs::write(
        dir.path().join("bad.yaml"),
        rule("MY-NET-001", "node.setting(\"http.port\") == \"9200\""),
    )
    .unwrap();
    let (code, report) = scan_json(&[
        "fixtures/hardened-node",
        "--checks",
        dir.path().to_str().unwrap(),
        "--select",
        "MY-",
    ]);
    assert_eq!(code, 0);
    assert_eq!(failures(&report)[0]["rule"], "MY-NET-001");
}

/// A reader that stops early (`esaudit scan … | head`) is not a crash: the rest of the report
/// is dropped quietly and the exit code is still the gate's.
#[test]
fn a_closed_standard_output_ends_the_report_quietly() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/weak-tls");
    for format in ["json", "table"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_esaudit"))
            .args(["scan", "--format", format])
            .arg(&fixture)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Closed before a byte is read: the first write meets a broken pipe.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{format}: {stderr}");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: the gate fails on weak TLS"
        );
    }
}

/// A ConfigMap mounted by the kubelet is a folder of links into a timestamped folder
/// (`elasticsearch.yml -> ..data/elasticsearch.yml`, `..data -> ..2026_12_06_…`): the config
/// is judged once, at the path the container sees, never at the kubelet's folder.
#[cfg(unix)]
#[test]
fn a_mounted_configmap_is_reported_at_its_user_facing_path() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let data = config.join("..2026_12_06_10_00_00.123456789");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(
        "fixtures/insecure-node/config/elasticsearch.yml",
        data.join("elasticsearch.yml"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..2026_12_06_10_00_00.123456789", config.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/elasticsearch.yml", config.join("elasticsearch.yml"))
        .unwrap();
    let (code, report) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let expected = config.join("elasticsearch.yml").display().to_string();
    let paths: std::collections::BTreeSet<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["location"]["path"].as_str())
        .collect();
    assert_eq!(paths, std::collections::BTreeSet::from([expected.as_str()]));
    assert_eq!(report["targets"].as_array().unwrap().len(), 1);
}
