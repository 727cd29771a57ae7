//! Hostile input and faults: planted secrets never reach any output, one broken input never
//! hides the others, a certificate for another name is refused, and an interrupted run leaves
//! no half-written report or snapshot.

mod common;

use common::es_server::{EsServer, PASSWORD};
use common::{esaudit, run, with_status};
use esaudit::collect::es_keystore::write_for_tests;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Every output a scan writes: all seven formats, standard output and standard error.
const FORMATS: &[&str] = &["json", "sarif", "junit", "markdown", "html", "ecs", "table"];

/// A node folder with a secret in every place one can sit: the yml, the keystore, the
/// password of a PKCS#12 store; and a Kibana config and a pipeline with their own.
fn plant_node(dir: &Path) {
    let config = dir.join("es01/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("elasticsearch.yml"),
        "cluster.name: canary\nnode.name: es01\nnetwork.host: 10.0.0.5\n\
         xpack.security.enabled: true\n\
         xpack.security.http.ssl.enabled: true\n\
         xpack.security.http.ssl.keystore.path: http.p12\n\
         xpack.security.transport.ssl.enabled: true\n\
         xpack.security.transport.ssl.keystore.path: http.p12\n\
         xpack.security.transport.ssl.keystore.password: CANARY-YML-STOREPASS\n\
         xpack.security.authc.realms.ldap.ldap1.order: 0\n\
         xpack.security.authc.realms.ldap.ldap1.url: ldaps://ldap.example.com:636\n\
         xpack.security.authc.realms.ldap.ldap1.bind_dn: cn=es,dc=example,dc=com\n\
         xpack.security.authc.realms.ldap.ldap1.bind_password: CANARY-YML-BIND\n",
    )
    .unwrap();
    run(
        &config,
        "openssl",
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
            "-days", "30", "-subj", "/CN=es01",
        ],
    );
    run(
        &config,
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            "c.pem",
            "-inkey",
            "k.pem",
            "-out",
            "http.p12",
            "-passout",
            "pass:CANARY-P12-PASS",
        ],
    );
    std::fs::remove_file(config.join("k.pem")).unwrap();
    std::fs::remove_file(config.join("c.pem")).unwrap();
    let keystore = write_for_tests(
        &[
            ("keystore.seed", b"CANARY-KS-SEED"),
            ("bootstrap.password", b"CANARY-KS-BOOT"),
            (
                "xpack.security.http.ssl.keystore.secure_password",
                b"CANARY-P12-PASS",
            ),
        ],
        None,
        5,
    );
    std::fs::write(config.join("elasticsearch.keystore"), keystore).unwrap();
    std::fs::write(
        config.join("users"),
        "admin:CANARY-FILE-REALM-PLAIN\nops:$2a$10$CANARYHASHCANARYHASHCANARYHASHCANARYHASHCANARYHAS\n",
    )
    .unwrap();
    let kibana = dir.join("kibana/config");
    std::fs::create_dir_all(&kibana).unwrap();
    std::fs::write(
        kibana.join("kibana.yml"),
        "elasticsearch.hosts: [\"https://es01:9200\"]\nelasticsearch.username: kibana_system\n\
         elasticsearch.password: CANARY-KIBANA-PW\n\
         xpack.security.encryptionKey: CANARY-KIBANA-KEY-0123456789abcdef0123\n",
    )
    .unwrap();
    let pipeline = dir.join("logstash/pipeline");
    std::fs::create_dir_all(&pipeline).unwrap();
    std::fs::write(
        pipeline.join("main.conf"),
        "input { beats { port => 5044 } }\noutput { elasticsearch { hosts => [\"https://es01:9200\"] \
         user => \"logstash_writer\" password => \"CANARY-LOGSTASH-PW\" } }\n",
    )
    .unwrap();
}

fn assert_no_canary(text: &str, what: &str) {
    if let Some(i) = text.find("CANARY") {
        let around: String = text[i..].chars().take(60).collect();
        panic!("a planted secret appears in {what}: {around}…");
    }
}

/// Distinct canaries in configs, keystore entries, a PKCS#12 password, API answers and the
/// environment: none appears in any report format, on standard output or error, or in a
/// snapshot written by `collect`.
#[test]
fn planted_secrets_never_appear_anywhere() {
    let work = tempfile::tempdir().unwrap();
    plant_node(work.path());
    // API answers carrying secrets a hostile or misconfigured cluster might send.
    let server = EsServer::start("risky-8x");
    server.set_override(
        "/_security/api_key",
        common::es_server::Override::answer(
            200,
            serde_json::json!({"api_keys": [{"id": "k1", "name": "leaky", "type": "rest",
                "creation": 1767225600000u64, "invalidated": false, "username": "bob",
                "realm": "native1", "api_key": "CANARY-API-KEY-VALUE",
                "encoded": "CANARY-API-ENCODED", "role_descriptors": {},
                "metadata": {"token": "CANARY-API-METADATA"}}]}),
        ),
    );
    let reports = work.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let mut cmd = server.as_scanner("scan");
    cmd.arg(work.path())
        .env("ESAUDIT_STORE_PASSWORD", "CANARY-ENV-STORE")
        .env("ESAUDIT_API_KEY_UNUSED", "CANARY-ENV-OTHER");
    for f in FORMATS {
        cmd.arg("--report").arg(format!(
            "{f}={}",
            reports.join(format!("out.{f}")).display()
        ));
    }
    let out = cmd.args(["--format", "json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_canary(&stdout, "standard output");
    assert_no_canary(&stderr, "standard error");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
    for f in FORMATS {
        let text = std::fs::read_to_string(reports.join(format!("out.{f}"))).unwrap();
        assert_no_canary(&text, &format!("the {f} report"));
        assert!(!text.contains(PASSWORD), "{f}");
    }
    // The scan did read them: the secrets are reported by name.
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fails = with_status(&report, "fail");
    assert!(fails.iter().any(|r| {
        r["location"]["object"] == "setting:xpack.security.authc.realms.ldap.ldap1.bind_password"
    }));
    assert!(
        fails
            .iter()
            .any(|r| r["location"]["object"] == "api_key:leaky")
    );
    // A snapshot holds what the API said, minus credentials of the scan itself.
    let snap = work.path().join("snap");
    let collected = server
        .as_scanner("collect")
        .arg("--output")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(collected.status.success());
    for entry in walkdir::WalkDir::new(&snap) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            assert!(!text.contains(PASSWORD), "{}", entry.path().display());
        }
    }
    assert_no_canary(
        &String::from_utf8_lossy(&collected.stderr),
        "collect's output",
    );
}

/// One malformed config, one corrupt certificate, one unreachable cluster and one cluster that
/// refuses the scanner: every other result is still reported, and the report says what could
/// not be judged and why.
#[test]
fn partial_failures_do_not_hide_the_rest() {
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("good/config");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::write(
        good.join("elasticsearch.yml"),
        "cluster.name: mixed\nnode.name: good\nxpack.security.enabled: true\n\
         xpack.security.http.ssl.enabled: false\n\
         xpack.security.transport.ssl.enabled: true\n\
         xpack.security.transport.ssl.certificate: node.crt\n\
         xpack.security.transport.ssl.key: node.key\n",
    )
    .unwrap();
    std::fs::write(
        good.join("node.crt"),
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let broken = work.path().join("broken/config");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("elasticsearch.yml"),
        "cluster.name: mixed\nxpack.security: [unclosed\n",
    )
    .unwrap();
    let denied = EsServer::start("denied-8x");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let out = esaudit()
        .arg("scan")
        .arg(work.path())
        .args(["--url", &denied.url, "--url", &dead, "--user", "scanner"])
        .arg("--ca-cert")
        .arg(denied.ca())
        .args(["--format", "json", "--timeout", "2"])
        .env("ESAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("broken/config/elasticsearch.yml"),
        "{stderr}"
    );
    assert!(stderr.contains(&dead), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let about = |target: &str, status: &str| {
        results
            .iter()
            .filter(|r| r["target"] == target && r["status"] == status)
            .count()
    };
    // The good node is judged, and its corrupt certificate is an error saying so.
    assert!(about("node:mixed/good", "fail") > 0);
    assert!(results.iter().any(|r| {
        r["target"] == "node:mixed/good"
            && r["status"] == "error"
            && r["message"].as_str().unwrap().contains("node.crt")
    }));
    // The refusing cluster is judged where it can be, and names the missing privilege.
    assert!(about("cluster:analytics", "pass") > 0);
    assert!(results.iter().any(|r| {
        r["target"] == "cluster:analytics"
            && r["status"] == "error"
            && r["message"].as_str().unwrap().contains("read_security")
    }));
    // The unreachable one is all errors, each saying why.
    let unreachable: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] == "error" && r["message"].as_str().unwrap().contains(&dead))
        .collect();
    assert!(!unreachable.is_empty());
    assert!(report["score"]["coverage"]["errors"].as_u64().unwrap() > 0);
}

/// A cluster whose certificate is for another name is refused, before any credential is
/// sent; `--insecure` reads it and says so.
#[test]
fn certificate_for_another_name_is_refused() {
    let server = EsServer::start_for_other_name("well-run-8x");
    let scan = |extra: &[&str]| {
        server
            .as_scanner("scan")
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = scan(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("certificate") || stderr.contains("name"),
        "{stderr}"
    );
    assert!(
        server.requests().iter().all(|r| !r.authorization),
        "a credential was sent to a server with the wrong name"
    );
    let out = scan(&["--insecure"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        with_status(&report, "fail")
            .iter()
            .any(|r| r["rule"] == "ES-API-017")
    );
}

/// Ctrl-C while a live scan waits on a slow cluster: exit 130, and neither the report files nor
/// their temporary files exist. The same for `collect`.
#[test]
fn interrupted_runs_leave_nothing_behind() {
    let server = EsServer::start("well-run-8x");
    server.delay("/_security/role", Duration::from_secs(30));
    let work = tempfile::tempdir().unwrap();
    for (args, what) in [
        (
            vec![
                "scan".to_string(),
                "--output".into(),
                "report.json".into(),
                "--format".into(),
                "json".into(),
                "--report".into(),
                "sarif=report.sarif".into(),
                "--timeout".into(),
                "60".into(),
            ],
            "scan",
        ),
        (
            vec![
                "collect".to_string(),
                "--output".into(),
                "snapshot".into(),
                "--timeout".into(),
                "60".into(),
            ],
            "collect",
        ),
    ] {
        let asked = || {
            server
                .requests()
                .iter()
                .filter(|r| r.path == "/_security/role")
                .count()
        };
        let before = asked();
        let binary = assert_cmd::cargo::cargo_bin("esaudit");
        let mut child = std::process::Command::new(binary)
            .current_dir(work.path())
            .args(&args)
            .args(["--url", &server.url, "--user", "scanner", "--ca-cert"])
            .arg(server.ca())
            .env("ESAUDIT_PASSWORD", PASSWORD)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the slow call has been asked: the run is in the middle of its work.
        let started = std::time::Instant::now();
        while asked() == before {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what} never asked"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let killed = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{what}");
        let left: Vec<String> = std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert!(left.is_empty(), "{what} left {left:?}");
    }
}
