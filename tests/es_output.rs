//! `--es-output`: the ECS findings bulk-indexed into a local HTTPS server that records the bulk
//! requests (`tests/common/es_server.rs`), with the scan's credentials, and failures that are
//! clear, exit 2, keep the other reports and never show a secret.

mod common;

use common::es_server::{API_KEY, EsServer, PASSWORD};
use common::esaudit;
use serde_json::Value;

/// A folder scan whose gate fails (exit 1 on its own).
const CONFIG: &str = "fixtures/insecure-node";

/// `scan CONFIG --format json --es-output URL` with `--user scanner` and the server's CA.
fn scan_to(server: &EsServer, url: &str, extra: &[&str]) -> std::process::Output {
    esaudit()
        .args(["scan", CONFIG, "--format", "json", "--es-output", url])
        .args(["--user", "scanner", "--ca-cert", &server.ca_str()])
        .args(extra)
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .env_remove("ESAUDIT_API_KEY")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The documents of the recorded bulk requests, after checking every action line.
fn documents(server: &EsServer) -> Vec<Value> {
    let mut docs = vec![];
    for request in server.bulk_requests() {
        let body = request.body.unwrap();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len() % 2, 0, "action and document pairs");
        for pair in lines.chunks(2) {
            assert_eq!(pair[0], r#"{"create":{}}"#);
            docs.push(serde_json::from_str(pair[1]).expect("each document is one JSON line"));
        }
    }
    docs
}

#[test]
fn findings_arrive_as_ecs_documents_with_the_credentials() {
    let server = EsServer::start("well-run-8x");
    let url = format!("{}/esaudit-test", server.url);
    let out = scan_to(&server, &url, &[]);
    let stderr = text(&out.stderr);
    // The gate's verdict is the scan's, as without --es-output.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    assert!(results.len() > 20);

    let bulk = server.bulk_requests();
    assert!(!bulk.is_empty());
    for r in &bulk {
        assert_eq!(r.path, "/esaudit-test/_bulk");
        assert!(r.authorization, "basic auth on every bulk request");
        assert_eq!(r.content_type.as_deref(), Some("application/x-ndjson"));
        assert!(!r.body.as_deref().unwrap().contains(PASSWORD));
    }
    let mut docs = documents(&server);
    let run = docs.pop().expect("the run's document comes last");
    assert_eq!(run["event"]["dataset"], "esaudit.scans");
    assert_eq!(run["event"]["outcome"], "success");
    assert_eq!(docs.len(), results.len(), "one document per result");
    for (doc, result) in docs.iter().zip(results) {
        assert_eq!(doc["ecs"]["version"], "8.11.0");
        assert_eq!(doc["event"]["kind"], "state");
        assert!(doc["@timestamp"].is_string());
        assert_eq!(doc["rule"]["id"], result["rule"]);
        assert_eq!(doc["resource"]["id"], result["target"]);
        assert_eq!(doc["esaudit"]["status"], result["status"]);
        match result["status"].as_str().unwrap() {
            "pass" => assert_eq!(doc["result"]["evaluation"], "passed"),
            "fail" => assert_eq!(doc["result"]["evaluation"], "failed"),
            _ => {}
        }
    }
    assert!(
        stderr.contains(&format!(
            "indexed {} documents into esaudit-test ({} results and the run's",
            docs.len() + 1,
            docs.len()
        )),
        "{stderr}"
    );
}

#[test]
fn api_key_and_default_index() {
    let server = EsServer::start("well-run-8x");
    let out = esaudit()
        .args(["scan", CONFIG, "--format", "json", "--fail-on", "none"])
        .args(["--es-output", &server.url, "--ca-cert", &server.ca_str()])
        .env("ESAUDIT_API_KEY", API_KEY)
        .env_remove("ESAUDIT_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bulk = server.bulk_requests();
    assert!(bulk.iter().all(|r| r.path == "/esaudit-findings/_bulk"));
    assert!(bulk.iter().all(|r| r.authorization));
    assert!(!documents(&server).is_empty());
}

#[test]
fn refused_documents_are_an_error_and_the_gate_is_still_told() {
    let server = EsServer::start("well-run-8x");
    server.reject_bulk_items();
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let report = format!("sarif={}", sarif.display());
    let out = scan_to(
        &server,
        &format!("{}/esaudit-test", server.url),
        &["--report", &report],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("were not indexed"), "{stderr}");
    assert!(stderr.contains("document_parsing_exception"), "{stderr}");
    assert!(stderr.contains("the gate FAILED"), "{stderr}");
    assert!(!stderr.contains(PASSWORD));
    assert!(sarif.is_file(), "the other reports are written");
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok());
}

#[test]
fn unreachable_output_is_an_error_and_reports_are_still_written() {
    let server = EsServer::start("well-run-8x");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = scan_to(
        &server,
        &format!("https://127.0.0.1:{port}/esaudit-test"),
        &["--output", json.to_str().unwrap(), "--fail-on", "none"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--es-output: https://127.0.0.1:{port}/esaudit-test: cannot connect"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("the gate held"), "{stderr}");
    assert!(!stderr.contains(PASSWORD));
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(!report["results"].as_array().unwrap().is_empty());
}

#[test]
fn wrong_password_is_named_without_the_secret() {
    let server = EsServer::start("well-run-8x");
    let out = esaudit()
        .args(["scan", CONFIG, "--format", "json"])
        .args(["--es-output", &format!("{}/x", server.url)])
        .args(["--user", "scanner", "--ca-cert", &server.ca_str()])
        .env("ESAUDIT_PASSWORD", "not-the-password-123")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(!stderr.contains("not-the-password-123"), "{stderr}");
}

#[test]
fn credentials_stay_off_plain_http_and_out_of_urls() {
    let server = EsServer::start_plain("well-run-8x");
    let out = esaudit()
        .args(["scan", CONFIG, "--format", "json", "--user", "scanner"])
        .args(["--es-output", &format!("{}/x", server.url)])
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plain http://"), "{stderr}");
    assert!(server.requests().is_empty(), "nothing was sent");

    let out = esaudit()
        .args([
            "scan",
            CONFIG,
            "--es-output",
            "https://scanner:hunter22@es01:9200/x",
        ])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("holds credentials"), "{stderr}");
    assert!(!stderr.contains("hunter22"), "{stderr}");
}

#[test]
fn a_fleet_scanned_in_batches_uploads_every_result_in_report_order() {
    let server = EsServer::start("well-run-8x");
    let dir = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // Two deployment folders holding the same node: a batched scan notices the repeated id
    // and says so, which only the batched path does.
    for copy in ["a", "b"] {
        let to = dir.path().join("deploy").join(copy);
        std::fs::create_dir_all(&to).unwrap();
        let copied = std::process::Command::new("cp")
            .arg("-r")
            .arg(fixtures.join("weak-tls"))
            .arg(to.join("node"))
            .status()
            .unwrap();
        assert!(copied.success());
    }
    let out = esaudit()
        .current_dir(dir.path())
        .args(["scan", "deploy", "--format", "json", "--no-progress"])
        .args(["--es-output", &format!("{}/esaudit-test", server.url)])
        .args(["--user", "scanner", "--ca-cert", &server.ca_str()])
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .env("ESAUDIT_NODES_PER_BATCH", "1")
        .env_remove("ESAUDIT_API_KEY")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(stderr.contains("held in memory whole"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let mut docs = documents(&server);
    assert_eq!(docs.pop().unwrap()["event"]["dataset"], "esaudit.scans");
    assert_eq!(docs.len(), results.len(), "one document per result");
    assert!(docs.len() > 20);
    for (doc, result) in docs.iter().zip(results) {
        assert_eq!(doc["esaudit"]["fingerprint"], result["fingerprint"]);
        assert_eq!(doc["esaudit"]["items"], result["items"]);
        assert_eq!(doc["esaudit"]["status"], result["status"]);
    }
    assert!(stderr.contains("indexed"), "{stderr}");
}

/// The bulk endpoint answering with a redirect, a body that is not JSON, or more than esaudit
/// reads (32 MiB): each is a clear error (exit 2) that shows no secret. A redirect is not
/// followed, so the server it points at never sees a request, let alone the credentials.
#[test]
fn hostile_bulk_answers_are_errors_and_a_redirect_is_not_followed() {
    let server = EsServer::start("well-run-8x");
    let elsewhere = EsServer::start("well-run-8x");
    let bulk = "/esaudit-test/_bulk";
    let url = format!("{}/esaudit-test", server.url);
    let failed = |out: &std::process::Output, expected: &str| {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains(PASSWORD), "{stderr}");
        assert!(!text(&out.stdout).contains(PASSWORD));
    };

    server.redirect(bulk, &format!("{}/stolen/_bulk", elsewhere.url));
    failed(
        &scan_to(&server, &url, &[]),
        "redirected (302 Found); not followed",
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect target was called: {:?}",
        elsewhere.requests()
    );

    server.malformed(bulk);
    failed(
        &scan_to(&server, &url, &[]),
        "HTTP 200 with an answer that is not JSON",
    );

    server.huge(bulk, 33 * 1024 * 1024);
    failed(
        &scan_to(&server, &url, &[]),
        "the bulk answer is larger than 33554432 bytes",
    );
    // Every attempt carried the credentials to the named server only.
    assert!(server.bulk_requests().iter().all(|r| r.authorization));
    assert_eq!(server.bulk_requests().len(), 3);
}
