//! The live REST API collector against a local HTTPS server answering recorded clusters
//! (`fixtures/api/`): what is collected, what is refused, and that credentials never leave
//! the cluster they belong to.

mod common;

use common::es_server::{API_KEY, EsServer, PASSWORD, fixture};
use common::esaudit;
use esaudit::collect::api::{ApiOptions, Connection, collect_all};
use esaudit::collect::snapshot;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn scanner(server: &EsServer) -> Connection {
    Connection {
        name: "test".into(),
        url: server.url.clone(),
        user: Some("scanner".into()),
        password: Some(PASSWORD.into()),
        ca_certs: vec![server.ca().to_path_buf()],
        ..Default::default()
    }
}

fn quick() -> ApiOptions {
    ApiOptions {
        timeout: Duration::from_secs(2),
        ..Default::default()
    }
}

fn one(connection: Connection, options: &ApiOptions) -> snapshot::ApiSnapshot {
    collect_all(&[connection], options).pop().unwrap()
}

/// Every file under `dir`, as text.
fn all_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            text.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    text
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(snapshot::MANIFEST)).unwrap()).unwrap()
}

#[test]
fn collect_writes_the_snapshot_and_no_credential() {
    let server = EsServer::start("well-run-8x");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("snap");
    let run = server
        .as_scanner("collect")
        .arg("--output")
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    common::assert_no_progress(&stderr);
    assert!(
        stderr.contains("15 calls ok, 0 refused, 0 failed"),
        "{stderr}"
    );
    for file in [
        "version.json",
        "licenses.json",
        "nodes.json",
        "cluster_settings.json",
        "ssl_certs.json",
        "commercial/xpack.json",
        "commercial/security_users.json",
        "commercial/security_roles.json",
        "commercial/security_role_mappings.json",
        "esaudit/xpack_info.json",
        "esaudit/security_api_keys.json",
        "esaudit/security_service_accounts.json",
        "esaudit/security_service_credentials.json",
        "esaudit/security_authenticate.json",
        "esaudit/security_user_privileges.json",
        snapshot::MANIFEST,
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    // The written answers are the recorded ones.
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.join("nodes.json")).unwrap()).unwrap();
    let recorded: Value =
        serde_json::from_slice(&std::fs::read(fixture("well-run-8x").join("nodes.json")).unwrap())
            .unwrap();
    assert_eq!(written, recorded);
    let m = manifest(&dir);
    assert_eq!(m["insecure"], false);
    assert_eq!(m["calls"]["security_roles"]["status"], 200);
    assert_eq!(
        m["service_credentials"]["elastic/fleet-server"]["status"],
        200
    );
    let everything = all_text(&dir);
    assert!(!everything.contains(PASSWORD));
    assert!(!everything.contains("c2Nhbm5lcj")); // base64 of "scanner:" (a Basic header)
    assert!(!stderr.contains(PASSWORD));

    // Anonymous probe first, without credentials; every other request with them.
    let requests = server.requests();
    let anonymous: Vec<_> = requests.iter().filter(|r| !r.authorization).collect();
    assert_eq!(anonymous.len(), 2, "{requests:?}");
    assert!(
        anonymous
            .iter()
            .any(|r| r.path == "/_security/_authenticate")
    );
    assert!(requests.iter().any(|r| {
        r.path == "/_security/service/elastic/fleet-server/credential" && r.authorization
    }));
    // 8.10+: the API-key listing asks for active keys with their limits.
    assert!(requests.iter().any(|r| r.path == "/_security/api_key"
        && r.query.as_deref() == Some("active_only=true&with_limited_by=true")));

    // The snapshot reads back as the same evidence source.
    let back = snapshot::read(&dir, "snap").unwrap();
    assert_eq!(back.version(), Some((8, 17)));
    assert!(back.body("security_roles").is_some());
    assert_eq!(back.service_credentials.len(), 2);
}

#[test]
fn an_unknown_ca_is_refused_before_any_credential_is_sent() {
    let server = EsServer::start("well-run-8x");
    let out = tempfile::tempdir().unwrap();
    let run = esaudit()
        .args([
            "collect",
            "--url",
            &server.url,
            "--user",
            "scanner",
            "--output",
        ])
        .arg(out.path())
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach {}", server.url)),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(server.requests().is_empty());
}

#[test]
fn insecure_connects_and_is_recorded() {
    let server = EsServer::start("well-run-8x");
    let out = tempfile::tempdir().unwrap();
    let run = esaudit()
        .args([
            "collect",
            "--url",
            &server.url,
            "--user",
            "scanner",
            "--insecure",
        ])
        .arg("--output")
        .arg(out.path())
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("--insecure"), "{stderr}");
    assert_eq!(manifest(out.path())["insecure"], true);
}

#[test]
fn refused_calls_name_the_missing_privilege() {
    let server = EsServer::start("denied-8x");
    let out = tempfile::tempdir().unwrap();
    let run = server
        .as_scanner("collect")
        .arg("--output")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("10 calls ok, 5 refused, 0 failed"),
        "{stderr}"
    );
    let m = manifest(out.path());
    let users = &m["calls"]["security_users"];
    assert_eq!(users["status"], 403);
    assert!(
        users["error"].as_str().unwrap().contains("read_security"),
        "{users}"
    );
    assert_eq!(m["calls"]["security_authenticate"]["status"], 200);
    assert!(!out.path().join("commercial/security_users.json").exists());
    let back = snapshot::read(out.path(), "denied").unwrap();
    let why = back.why_missing("security_roles").unwrap();
    assert!(
        why.contains("HTTP 403") && why.contains("read_security"),
        "{why}"
    );
}

#[test]
fn an_unreachable_cluster_does_not_stop_the_others() {
    let server = EsServer::start("well-run-8x");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(server.ca(), work.path().join("ca.pem")).unwrap();
    let inventory = work.path().join("inventory.yaml");
    std::fs::write(
        &inventory,
        format!(
            "clusters:\n  - name: gone\n    url: https://127.0.0.1:{closed_port}\n    user: scanner\n    password_env: TEST_ES_PASSWORD\n    ca_cert: ca.pem\n  - name: prod-logs\n    url: {}\n    user: scanner\n    password_env: TEST_ES_PASSWORD\n    ca_cert: ca.pem\n",
            server.url
        ),
    )
    .unwrap();
    let out = work.path().join("out");
    let run = esaudit()
        .arg("collect")
        .arg("--inventory")
        .arg(&inventory)
        .arg("--output")
        .arg(&out)
        .env("TEST_ES_PASSWORD", PASSWORD)
        .env_remove("ESAUDIT_PASSWORD")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "esaudit: error: gone: cannot reach https://127.0.0.1:{closed_port}"
        )),
        "{stderr}"
    );
    assert!(out.join("prod-logs/version.json").is_file(), "{stderr}");
    assert!(!out.join("gone").exists());
    assert!(!all_text(&out).contains(PASSWORD));
}

#[test]
fn a_bad_inventory_is_an_input_error_naming_the_file() {
    let work = tempfile::tempdir().unwrap();
    let inventory = work.path().join("inventory.yaml");
    std::fs::write(
        &inventory,
        "clusters:\n  - url: https://a:9200\n    pasword_env: X\n",
    )
    .unwrap();
    let run = esaudit()
        .arg("scan")
        .arg("--inventory")
        .arg(&inventory)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("inventory.yaml"), "{stderr}");
}

#[test]
fn a_slow_cluster_times_out_promptly() {
    let server = EsServer::start("well-run-8x");
    server.delay("/_nodes/settings", Duration::from_secs(20));
    let options = ApiOptions {
        timeout: Duration::from_millis(700),
        ..Default::default()
    };
    let started = Instant::now();
    let s = one(scanner(&server), &options);
    assert!(started.elapsed() < Duration::from_secs(5));
    let nodes = &s.calls["nodes"];
    assert_eq!(nodes.status, 0);
    assert!(
        nodes.error.as_deref().unwrap().contains("timed out"),
        "{nodes:?}"
    );
    assert!(s.body("security_roles").is_some());

    // A cluster that never answers at all: one clear error, quickly.
    server.delay("/", Duration::from_secs(20));
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let run = esaudit()
        .args([
            "collect",
            "--url",
            &server.url,
            "--user",
            "scanner",
            "--timeout",
            "1",
        ])
        .args(["--ca-cert", &server.ca_str(), "--output"])
        .arg(out.path())
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_host() {
    let elsewhere = EsServer::start("well-run-8x");
    let server = EsServer::start("well-run-8x");
    let target = format!("https://localhost:{}/_security/user", elsewhere.port);
    server.redirect("/_security/user", &target);
    let s = one(scanner(&server), &quick());
    let users = &s.calls["security_users"];
    assert_eq!(users.status, 302);
    let error = users.error.as_deref().unwrap();
    assert!(
        error.contains(&format!(
            "redirected to https://localhost:{}",
            elsewhere.port
        )) && error.contains(&format!("credentials stay with 127.0.0.1:{}", server.port)),
        "{error}"
    );
    assert!(elsewhere.requests().is_empty());
    assert!(s.body("security_roles").is_some());
}

#[test]
fn same_host_redirects_are_followed_a_few_times_only() {
    let server = EsServer::start("well-run-8x");
    // Redirects to itself forever: followed three times, then given up.
    server.redirect("/_license", "/_license");
    let s = one(scanner(&server), &quick());
    let license = &s.calls["licenses"];
    assert!(
        license
            .error
            .as_deref()
            .unwrap()
            .contains("too many redirects")
    );
    let hops = server
        .requests()
        .iter()
        .filter(|r| r.path == "/_license")
        .count();
    assert_eq!(hops, 4);
}

#[test]
fn malformed_and_oversized_answers_are_failed_calls() {
    let server = EsServer::start("well-run-8x");
    server.malformed("/_xpack/usage");
    server.huge("/_nodes/settings", 4096);
    let options = ApiOptions {
        max_body_bytes: 1024,
        ..quick()
    };
    let s = one(scanner(&server), &options);
    let xpack = &s.calls["xpack"];
    assert_eq!(xpack.status, 200);
    assert!(
        xpack.error.as_deref().unwrap().contains("not valid JSON"),
        "{xpack:?}"
    );
    let nodes = &s.calls["nodes"];
    assert_eq!(
        nodes.error.as_deref(),
        Some("answer larger than 1024 bytes")
    );
    assert!(s.body("version").is_some());
}

#[test]
fn plain_http_gets_no_credentials_unless_allowed() {
    let server = EsServer::start_plain("security-off");
    let out = tempfile::tempdir().unwrap();
    let run = esaudit()
        .args([
            "collect",
            "--url",
            &server.url,
            "--user",
            "scanner",
            "--output",
        ])
        .arg(out.path())
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-http-credentials"), "{stderr}");
    assert!(!server.requests().is_empty());
    assert!(server.requests().iter().all(|r| !r.authorization));
    // The anonymous probe still says the cluster is open.
    assert!(
        stderr.contains("answers requests without credentials"),
        "{stderr}"
    );

    let run = esaudit()
        .args(["collect", "--url", &server.url, "--user", "scanner"])
        .args(["--allow-http-credentials", "--output"])
        .arg(out.path())
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(server.requests().iter().any(|r| r.authorization));
}

#[test]
fn a_url_with_credentials_is_refused_without_repeating_them() {
    let out = tempfile::tempdir().unwrap();
    let run = esaudit()
        .args([
            "collect",
            "--url",
            "https://scanner:hunter2secret@127.0.0.1:9200",
        ])
        .arg("--output")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--user") && stderr.contains("ESAUDIT_PASSWORD"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2secret"));
    // The library refuses them too.
    let s = one(
        Connection {
            name: "x".into(),
            url: "https://scanner:hunter2secret@127.0.0.1:9".into(),
            ..Default::default()
        },
        &quick(),
    );
    let error = s.error.unwrap();
    assert!(error.contains("--user") && !error.contains("hunter2secret"));
    assert!(!s.source.contains("hunter2secret"));
}

#[test]
fn wrong_password_and_api_key() {
    let server = EsServer::start("well-run-8x");
    let s = one(
        Connection {
            password: Some("wrong-password".into()),
            ..scanner(&server)
        },
        &quick(),
    );
    let version = &s.calls["version"];
    assert_eq!(version.status, 401);
    assert!(
        version
            .error
            .as_deref()
            .unwrap()
            .contains("unable to authenticate user [scanner]")
    );
    assert!(s.error.is_none());

    let s = one(
        Connection {
            user: None,
            password: None,
            api_key: Some(API_KEY.into()),
            ..scanner(&server)
        },
        &quick(),
    );
    assert!(s.calls.values().all(|a| a.body.is_some()), "{:?}", s.calls);
    assert!(!format!("{s:?}").contains(API_KEY));
}

#[test]
fn anonymous_probe_and_clusters_without_security() {
    let secured = EsServer::start("well-run-8x");
    let open = EsServer::start("security-off");
    let legacy = EsServer::start("legacy-7x");
    let connections = [
        scanner(&secured),
        Connection {
            name: "open".into(),
            url: open.url.clone(),
            ca_certs: vec![open.ca().to_path_buf()],
            ..Default::default()
        },
        Connection {
            name: "legacy".into(),
            url: legacy.url.clone(),
            ca_certs: vec![legacy.ca().to_path_buf()],
            ..Default::default()
        },
    ];
    let options = ApiOptions {
        parallel_clusters: 2,
        ..quick()
    };
    let snapshots = collect_all(&connections, &options);
    assert_eq!(
        snapshots
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["test", "open", "legacy"]
    );
    let probe = snapshots[0].anonymous.as_ref().unwrap();
    assert_eq!(probe.root.status, 401);
    assert!(
        probe
            .root
            .error
            .as_deref()
            .unwrap()
            .contains("missing authentication credentials")
    );
    assert!(snapshots[0].live && snapshots[0].source == secured.url);

    let probe = snapshots[1].anonymous.as_ref().unwrap();
    assert_eq!(probe.root.status, 200);
    assert!(probe.root.body.is_some());
    assert_eq!(probe.authenticate.status, 400);
    assert!(
        probe
            .authenticate
            .error
            .as_deref()
            .unwrap()
            .contains("no handler found")
    );
    assert_eq!(snapshots[1].calls["security_users"].status, 400);
    assert!(snapshots[1].body("nodes").is_some());

    let legacy_snapshot = &snapshots[2];
    assert_eq!(legacy_snapshot.version(), Some((7, 17)));
    let keys = &legacy_snapshot.calls["security_api_keys"];
    assert_eq!(keys.status, 500);
    assert!(
        keys.error
            .as_deref()
            .unwrap()
            .contains("Security must be explicitly enabled")
    );
    // 7.x: the API-key listing without the 8.10 parameters.
    assert!(
        legacy
            .requests()
            .iter()
            .any(|r| r.path == "/_security/api_key" && r.query.is_none())
    );
}

#[test]
fn scan_accepts_a_url_without_paths() {
    let server = EsServer::start("well-run-8x");
    let run = server
        .as_scanner("scan")
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(2), "{stderr}");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == "/_nodes/settings")
    );
    assert!(!String::from_utf8_lossy(&run.stdout).contains(PASSWORD));
}

#[test]
fn password_file_and_a_bad_client_certificate() {
    let server = EsServer::start("well-run-8x");
    let work = tempfile::tempdir().unwrap();
    let password = work.path().join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let run = esaudit()
        .args(["collect", "--url", &server.url, "--user", "scanner"])
        .args(["--ca-cert", &server.ca_str(), "--password-file"])
        .arg(&password)
        .arg("--output")
        .arg(work.path().join("a"))
        .env_remove("ESAUDIT_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // A client certificate that is not PEM: a clear error naming the file, nothing sent.
    let cert = work.path().join("scanner.crt");
    std::fs::write(&cert, "not a certificate").unwrap();
    let before = server.requests().len();
    let run = esaudit()
        .args([
            "collect",
            "--url",
            &server.url,
            "--ca-cert",
            &server.ca_str(),
        ])
        .arg("--client-cert")
        .arg(&cert)
        .arg("--client-key")
        .arg(&cert)
        .arg("--output")
        .arg(work.path().join("b"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("client certificate") && stderr.contains("scanner.crt"),
        "{stderr}"
    );
    assert_eq!(server.requests().len(), before);
}

#[test]
fn a_client_certificate_authenticates() {
    let server = EsServer::start_mtls("well-run-8x");
    let pki = server.pki();
    let s = one(
        Connection {
            name: "pki".into(),
            url: server.url.clone(),
            client_cert: Some(pki.client_cert.clone()),
            client_key: Some(pki.client_key.clone()),
            ca_certs: vec![pki.ca.clone()],
            ..Default::default()
        },
        &quick(),
    );
    assert!(s.error.is_none(), "{:?}", s.error);
    assert!(s.body("security_roles").is_some(), "{:?}", s.calls);
    // The anonymous probe goes without the certificate (it is a credential too).
    let probe = s.anonymous.as_ref().unwrap();
    assert_eq!(probe.root.status, 401);
    let requests = server.requests();
    assert!(requests.iter().all(|r| !r.authorization));
    assert_eq!(requests.iter().filter(|r| !r.client_certificate).count(), 2);
}

#[test]
fn a_cluster_requiring_client_certificates_is_still_read() {
    let server = EsServer::start_mtls_required("well-run-8x");
    let pki = server.pki();
    let s = one(
        Connection {
            name: "pki".into(),
            url: server.url.clone(),
            client_cert: Some(pki.client_cert.clone()),
            client_key: Some(pki.client_key.clone()),
            ca_certs: vec![pki.ca.clone()],
            ..Default::default()
        },
        &quick(),
    );
    assert!(s.error.is_none(), "{:?}", s.error);
    // Without a certificate nobody gets an HTTP answer.
    assert_eq!(s.anonymous.as_ref().unwrap().root.status, 0);
    assert!(s.body("nodes").is_some());
}

#[test]
fn a_cluster_that_paces_its_answers_hits_the_cluster_limit() {
    let server = EsServer::start("well-run-8x");
    for path in ["/_security/role", "/_security/user", "/_ssl/certificates"] {
        server.delay(path, Duration::from_millis(2500));
    }
    let options = ApiOptions {
        timeout: Duration::from_secs(5),
        cluster_budget: Duration::from_secs(1),
        ..Default::default()
    };
    let started = Instant::now();
    let s = one(scanner(&server), &options);
    assert!(started.elapsed() < Duration::from_secs(3));
    let error = s.error.expect("the cluster limit is reported");
    assert!(error.contains("within 1 s"), "{error}");
}

#[test]
fn one_cluster_gets_a_few_requests_at_a_time() {
    let server = EsServer::start("well-run-8x");
    // Forty service accounts, each credential call slow: all of them at once would be forty
    // connections to one cluster.
    let accounts: serde_json::Map<String, Value> = (0..40)
        .map(|i| (format!("elastic/service-{i:02}"), serde_json::json!({})))
        .collect();
    server.set_override(
        "/_security/service",
        common::es_server::Override::answer(200, Value::Object(accounts)),
    );
    for i in 0..40 {
        server.delay(
            &format!("/_security/service/elastic/service-{i:02}/credential"),
            Duration::from_millis(50),
        );
    }
    let options = quick();
    let s = one(scanner(&server), &options);
    assert!(s.error.is_none(), "{:?}", s.error);
    assert_eq!(s.service_credentials.len(), 40);
    let requests = server.requests().len();
    assert!(requests > 50, "{requests} requests");
    // Never more than the bound at once, and the bound was reached: the count sees overlap.
    assert_eq!(
        server.most_in_flight(),
        options.connections_per_cluster,
        "{requests} requests"
    );
}
