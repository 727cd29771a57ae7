//! Clusters judged through their APIs: the recorded clusters of `fixtures/api/` scanned live
//! (served over HTTPS with basic auth by `tests/common/es_server.rs`), through `esaudit collect`
//! and an offline scan, and packed as a support-diagnostics zip. Every planted problem must be
//! found and named, the least-privilege cluster must be clean, and the three ways must agree.

mod common;

use common::es_server::{EsServer, Override, PASSWORD, fixture};
use common::{copy_dir, esaudit, scan_json, validate_sarif, with_status};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

/// (rule, object) of every failing result, and of every error.
fn failures(report: &Value) -> BTreeSet<(String, String)> {
    with_status(report, "fail")
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                format!(
                    "{} {}",
                    r["target"].as_str().unwrap(),
                    r["location"]["object"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

fn has(report: &Value, rule: &str, object: &str) -> bool {
    with_status(report, "fail")
        .iter()
        .any(|r| r["rule"] == rule && r["location"]["object"] == object)
}

/// Scans a recorded cluster live, as a user would: `--url … --user scanner --ca-cert CA`,
/// password in ESAUDIT_PASSWORD.
fn scan_live(server: &EsServer, extra: &[&str]) -> (i32, Value, String) {
    let out = server
        .as_scanner("scan")
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    common::assert_no_progress(&stderr);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    (out.status.code().unwrap(), report, stderr)
}

/// Packs a folder as support-diagnostics does: one top folder named like the zip.
fn zip_folder(dir: &Path, zip_path: &Path) {
    let top = zip_path.file_stem().unwrap().to_string_lossy().to_string();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .display()
            .to_string();
        zip.start_file(format!("{top}/{rel}"), options).unwrap();
        zip.write_all(&std::fs::read(entry.path()).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
}

/// Every problem planted in `risky-8x` is found and named by its object.
#[test]
fn risky_cluster_findings_are_named() {
    let (code, report) = scan_json(&["fixtures/api/risky-8x"]);
    assert_eq!(code, 1);
    for (rule, object) in [
        ("RBAC-ROLE-001", "role:ops_admin"),
        ("RBAC-ROLE-001", "role:sec_helper"),
        ("RBAC-ROLE-001", "role:impersonator"),
        ("RBAC-ROLE-004", "role:impersonator"),
        ("RBAC-ROLE-006", "role:data_everything"),
        ("RBAC-ROLE-007", "role:security_index_writer"),
        ("RBAC-ROLE-009", "role:kibana_everything"),
        ("RBAC-MAP-001", "role_mapping:everyone-superuser"),
        ("RBAC-MAP-002", "role_mapping:all-employees-viewer"),
        ("RBAC-MAP-003", "role_mapping:ops-groups-admin"),
        ("RBAC-MAP-004", "role_mapping:saml-groups"),
        ("RBAC-USER-001", "user:alice"),
        ("RBAC-USER-003", "user:kibana"),
        ("RBAC-KEY-001", "api_key:legacy-integration"),
        ("RBAC-KEY-002", "api_key:elastic-admin-key"),
        ("RBAC-KEY-003", "api_key:ci-deployer"),
        ("RBAC-KEY-005", "api_key:remote-everything"),
        (
            "RBAC-SVC-001",
            "service_token:elastic/fleet-server/token-in-file",
        ),
        (
            "ES-API-007",
            "setting:xpack.security.transport.filter.enabled",
        ),
        ("ES-API-015", "cluster:shop-search"),
        (
            "CERT-API-001",
            "certificate:certs/elastic-certificates.p12#instance",
        ),
        (
            "CERT-API-003",
            "certificate:certs/elastic-certificates.p12#ca",
        ),
        ("ES-TLS-001", "setting:xpack.security.http.ssl.enabled"),
        ("ES-AUD-001", "setting:xpack.security.audit.enabled"),
        (
            "ES-AUTH-001",
            "setting:xpack.security.authc.anonymous.roles",
        ),
        (
            "ES-IPF-002",
            "setting:xpack.security.transport.filter.enabled",
        ),
    ] {
        assert!(has(&report, rule, object), "{rule} on {object} not found");
    }
    // The message gives the path to superuser power.
    let bob = with_status(&report, "fail")
        .into_iter()
        .find(|r| r["rule"] == "RBAC-USER-001" && r["location"]["object"] == "user:bob")
        .unwrap();
    assert!(
        bob["message"]
            .as_str()
            .unwrap()
            .contains("user:bob → role:impersonator → run_as *"),
        "{bob}"
    );
    // API findings have no file; node settings from _nodes/settings name the setting.
    for r in with_status(&report, "fail") {
        assert!(r["location"].get("path").is_none(), "{r}");
    }
    assert!(
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "cluster:shop-search" && t["kind"] == "es_cluster")
    );
}

/// The least-privilege cluster: nothing fails, the scanner role and the service roles are not
/// flagged, and nothing is left unjudged.
#[test]
fn well_run_cluster_is_clean() {
    let (code, report) = scan_json(&["fixtures/api/well-run-8x", "--profile", "strict"]);
    // Only the `elastic` superuser left enabled (strict profile, medium: under the gate).
    assert_eq!(
        failures(&report),
        BTreeSet::from([(
            "RBAC-USER-004".to_string(),
            "cluster:prod-logs user:elastic".to_string()
        )])
    );
    // The nodes info API hides every TLS sub-setting but `enabled`: those rules cannot be
    // judged from the API alone, and say why; nothing else is left unjudged.
    let errors = with_status(&report, "error");
    assert!(!errors.is_empty());
    for e in &errors {
        let m = e["message"].as_str().unwrap();
        assert!(
            m.contains("(all but enabled) is unknown: the nodes info API"),
            "{e}"
        );
    }
    let (code_baseline, report) = scan_json(&["fixtures/api/well-run-8x"]);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(code_baseline, 0);
    assert_eq!(code, 0, "a medium finding is under the default gate");
}

/// A refused call names the missing privilege; security off makes RBAC not applicable.
#[test]
fn refused_calls_and_clusters_without_security() {
    let (_, denied) = scan_json(&["fixtures/api/denied-8x"]);
    let errors = with_status(&denied, "error");
    assert!(!errors.is_empty());
    for e in &errors {
        let m = e["message"].as_str().unwrap();
        assert!(
            (m.contains("HTTP 403") && m.contains("privilege"))
                || m.contains("the nodes info API (_nodes/settings) does not return it"),
            "{m}"
        );
    }
    assert!(has(&denied, "ES-API-013", "cluster:analytics"));
    for cluster in ["security-off", "legacy-7x"] {
        let (code, report) = scan_json(&[&format!("fixtures/api/{cluster}")]);
        assert_eq!(code, 1);
        assert!(
            with_status(&report, "fail")
                .iter()
                .any(|r| r["rule"] == "ES-API-003"),
            "{cluster}"
        );
        // Only what the nodes info API hides (a TLS password in plain yml) is left unjudged.
        for e in with_status(&report, "error") {
            assert!(
                e["message"]
                    .as_str()
                    .unwrap()
                    .contains("the nodes info API (_nodes/settings) does not return it"),
                "{cluster}: {e}"
            );
        }
        let rbac_na = with_status(&report, "not_applicable")
            .into_iter()
            .filter(|r| r["rule"].as_str().unwrap().starts_with("RBAC-"))
            .count();
        assert!(rbac_na > 10, "{cluster}");
    }
}

/// Live, through `collect` and an offline scan, and as a support-diagnostics zip: the same
/// failing rules on the same objects, but for the unauthenticated probe only a live scan makes.
#[test]
fn live_snapshot_and_bundle_agree() {
    let server = EsServer::start("risky-8x");
    let (code, live, stderr) = scan_live(&server, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("scanner's user holds role superuser"),
        "{stderr}"
    );
    let work = tempfile::tempdir().unwrap();
    let snap = work.path().join("snap");
    let out = server
        .as_scanner("collect")
        .arg("--output")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, offline) = scan_json(&[snap.to_str().unwrap()]);
    let zip = work.path().join("api-diagnostics-20261128-101500.zip");
    zip_folder(&snap, &zip);
    let (_, bundled) = scan_json(&[zip.to_str().unwrap()]);
    let (_, fixture_scan) = scan_json(&[fixture("risky-8x").to_str().unwrap()]);
    let live_only = ["ES-API-001", "ES-API-002", "ES-API-017"];
    let without_live_only = |r: &Value| -> BTreeSet<(String, String)> {
        failures(r)
            .into_iter()
            .filter(|(rule, _)| !live_only.contains(&rule.as_str()))
            .collect()
    };
    let expected = without_live_only(&live);
    assert!(expected.len() > 30, "{expected:?}");
    assert_eq!(without_live_only(&offline), expected);
    assert_eq!(without_live_only(&bundled), expected);
    assert_eq!(without_live_only(&fixture_scan), expected);
    // Nothing of the credential reached the snapshot.
    for entry in walkdir::WalkDir::new(&snap) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            assert!(!text.contains(PASSWORD), "{}", entry.path().display());
        }
    }
}

/// A cluster with security off answers anyone: only the live scan can tell, and it is critical.
#[test]
fn open_cluster_is_critical_live() {
    let server = EsServer::start("security-off");
    let (code, report, _) = scan_live(&server, &[]);
    assert_eq!(code, 1);
    let open = with_status(&report, "fail")
        .into_iter()
        .find(|r| r["rule"] == "ES-API-001")
        .expect("ES-API-001 fails");
    assert_eq!(open["severity"], "critical");
    assert_eq!(open["location"]["object"], "cluster:dev-search");
    // Anonymous access: a caller without credentials is authenticated as the anonymous user.
    server.set_override(
        "/_security/_authenticate",
        Override::answer(
            200,
            serde_json::json!({"username": "_es_anonymous_user", "roles": ["monitoring_user"],
                "authentication_type": "anonymous", "enabled": true, "metadata": {},
                "authentication_realm": {"name": "__anonymous", "type": "__anonymous"},
                "lookup_realm": {"name": "__anonymous", "type": "__anonymous"}}),
        ),
    );
    let (_, report, _) = scan_live(&server, &[]);
    let anonymous = with_status(&report, "fail")
        .into_iter()
        .find(|r| r["rule"] == "ES-API-002")
        .expect("ES-API-002 fails");
    assert!(
        anonymous["message"]
            .as_str()
            .unwrap()
            .contains("_es_anonymous_user")
    );
    let (_, offline) = scan_json(&["fixtures/api/security-off"]);
    assert!(
        with_status(&offline, "not_applicable")
            .iter()
            .any(|r| r["rule"] == "ES-API-001")
    );
}

/// `--insecure` is stated in the report.
#[test]
fn insecure_scan_is_reported() {
    let server = EsServer::start("well-run-8x");
    let out = esaudit()
        .args([
            "scan",
            "--url",
            &server.url,
            "--user",
            "scanner",
            "--insecure",
        ])
        .args(["--format", "json", "--fail-on", "none"])
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(has(&report, "ES-API-017", "cluster:prod-logs"));
    // Verified, with credentials, on a cluster that refuses anonymous callers: the live-only
    // rules pass (the catalog walk of tests/scan.rs leaves them to this test).
    let (_, verified, _) = scan_live(&server, &[]);
    for rule in ["ES-API-001", "ES-API-002", "ES-API-017"] {
        let statuses: Vec<&Value> = verified["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == rule)
            .map(|r| &r["status"])
            .collect();
        assert_eq!(statuses, ["pass"], "{rule}");
    }
}

/// One unreachable cluster: exit 2, its rules are errors naming the cause, and the other
/// cluster of the inventory is judged as usual; SARIF findings anchor to the inventory.
#[test]
fn unreachable_cluster_does_not_hide_the_others() {
    let server = EsServer::start("risky-8x");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let work = tempfile::Builder::new()
        .prefix("inventory-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let inventory = work.path().join("clusters.yml");
    std::fs::write(
        &inventory,
        format!(
            "clusters:\n  - name: shop\n    url: {}\n    user: scanner\n    password_env: SHOP_PW\n    ca_cert: {}\n  - name: gone\n    url: {dead}\n    user: scanner\n    password_env: SHOP_PW\n    ca_cert: {}\n",
            server.url,
            server.ca_str(),
            server.ca_str()
        ),
    )
    .unwrap();
    let sarif = work.path().join("out.sarif");
    let out = esaudit()
        .current_dir(work.path())
        .args(["scan", "--inventory", "clusters.yml", "--format", "json"])
        .args(["--report", "sarif=out.sarif"])
        .env("SHOP_PW", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&dead), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gone: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == "cluster:gone")
        .collect();
    assert!(!gone.is_empty());
    for r in &gone {
        assert_eq!(r["status"], "error", "{r}");
        assert!(
            r["message"].as_str().unwrap().contains("cannot reach"),
            "{r}"
        );
    }
    assert!(has(&report, "RBAC-USER-001", "user:alice"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "clusters.yml"
        );
    }
    validate_sarif(&[&sarif]);
}

/// Expiry of the certificates nodes loaded is judged against today: one that expires in ten
/// days is reported, with the days left.
#[test]
fn loaded_certificate_expiring_soon() {
    let work = tempfile::tempdir().unwrap();
    let snap = work.path().join("snap");
    copy_dir(&fixture("well-run-8x"), &snap);
    let soon =
        esaudit::clock::Timestamp(esaudit::clock::Timestamp::now().0 + 10 * 86_400_000 + 3_600_000);
    // Before: every loaded certificate lasts for years.
    let (_, before) = scan_json(&[snap.to_str().unwrap()]);
    let expiry: BTreeSet<&str> = before["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "CERT-API-002")
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(expiry, BTreeSet::from(["pass"]));
    std::fs::write(
        snap.join("ssl_certs.json"),
        format!(
            r#"[{{"path":"certs/http.p12","format":"PKCS12","alias":"http","subject_dn":"CN=es01","serial_number":"0a","has_private_key":true,"expiry":"{}"}}]"#,
            soon.rfc3339()
        ),
    )
    .unwrap();
    let (_, report) = scan_json(&[snap.to_str().unwrap()]);
    assert!(has(
        &report,
        "CERT-API-002",
        "certificate:certs/http.p12#http"
    ));
    assert!(!has(
        &report,
        "CERT-API-001",
        "certificate:certs/http.p12#http"
    ));
}

/// A support-diagnostics bundle as Elastic's tool writes it: a failed call stored as an error
/// body, calls the tool never makes reported as not collected, usage-based checks standing in
/// for the missing node settings.
#[test]
fn diagnostics_bundle_zip() {
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("api-diagnostics-20261120-091244.zip");
    zip_folder(&fixture("diagnostics-7x"), &zip);
    let (code, report) = scan_json(&[zip.to_str().unwrap()]);
    assert_eq!(code, 1);
    for rule in [
        "ES-API-004",
        "ES-API-005",
        "ES-API-006",
        "ES-API-012",
        "ES-API-016",
    ] {
        assert!(has(&report, rule, "cluster:archive"), "{rule}");
    }
    assert!(has(
        &report,
        "ES-API-008",
        "setting:xpack.security.http.filter.allow"
    ));
    assert!(has(&report, "RBAC-USER-001", "user:diag"));
    // What support-diagnostics never collects is one cause for every rule that needs it.
    let causes: BTreeSet<(&str, &str)> = with_status(&report, "error")
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap(),
                r["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        causes,
        BTreeSet::from([(
            "cluster:archive",
            "cannot judge: not collected by this bundle: support-diagnostics never reads the API \
             keys, service accounts or the caller's own privileges; scan the cluster live or from \
             an `esaudit collect` snapshot to judge them"
        )])
    );
    // A zip that is not a bundle is an input error naming it, and the rest is still scanned.
    let bad = work.path().join("broken.zip");
    std::fs::write(&bad, b"PK\x03\x04 truncated").unwrap();
    let (code, report) = scan_json(&[bad.to_str().unwrap(), "fixtures/api/risky-8x"]);
    assert_eq!(code, 2);
    assert!(has(&report, "RBAC-USER-001", "user:alice"));
}

/// `--probe-tls` probes the publish addresses the cluster reports for its nodes: here the
/// recorded cluster says its node publishes HTTP on the test server's own port.
#[test]
fn probe_tls_follows_the_nodes_publish_addresses() {
    let server = EsServer::start("well-run-8x");
    let address = server.url.trim_start_matches("https://").to_string();
    server.set_override(
        "/_nodes/http,transport",
        Override::answer(
            200,
            serde_json::json!({"cluster_name": "prod-logs", "nodes": {"a": {"name": "es01",
                "http": {"publish_address": format!("es01/{address}")}}}}),
        ),
    );
    let (_, report, stderr) = scan_live(&server, &["--probe-tls"]);
    let endpoint = format!("endpoint:{address}");
    let target = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == endpoint.as_str())
        .unwrap_or_else(|| panic!("no {endpoint} target; {stderr}"));
    assert_eq!(target["kind"], "tls_endpoint");
    // The test server speaks TLS 1.2 and 1.3 only, with a chain from the test CA.
    let legacy = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "TLS-PROTO-002" && r["target"] == endpoint.as_str())
        .unwrap();
    assert_eq!(legacy["status"], "pass", "{legacy}");
}
