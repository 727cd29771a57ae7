//! Clients of Elasticsearch (issue 20): shipper and Grafana configurations. The real public
//! files of `fixtures/clients` are pinned by `tests/fixture_verdicts.rs`; here, the rules no
//! public file shows failing are walked both ways on generated configs, and the secrets those
//! files hold are checked to appear in no report format.

mod common;

use common::{esaudit, scan_json};
use serde_json::Value;
use std::collections::BTreeMap;

/// The status of every client rule on each connection of one generated config file.
fn verdicts(file_name: &str, text: &str) -> BTreeMap<(String, String), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    std::fs::write(&path, text).unwrap();
    let (_, report) = scan_json(&[path.to_str().unwrap()]);
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let target = r["target"].as_str().unwrap();
            let connection = target.split_once('#').unwrap().1.to_string();
            (
                (connection, r["rule"].as_str().unwrap().to_string()),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn status<'a>(v: &'a BTreeMap<(String, String), String>, connection: &str, rule: &str) -> &'a str {
    v.get(&(connection.to_string(), rule.to_string()))
        .unwrap_or_else(|| panic!("no {rule} on {connection}: {v:?}"))
}

/// Fluentd over TLS pinned to TLS 1.1 (the plugin's own test configuration has
/// `ssl_version TLSv1_1` with `scheme https`), beside one left at its default.
#[test]
fn an_old_minimum_tls_version_fails_and_the_default_passes() {
    let v = verdicts(
        "fluent.conf",
        "<match old.**>\n  @type elasticsearch\n  host es.example.com\n  scheme https\n  \
         ssl_version TLSv1_1\n</match>\n<match new.**>\n  @type elasticsearch\n  \
         host es.example.com\n  scheme https\n</match>\n",
    );
    assert_eq!(status(&v, "<match-old.**>-#1", "CL-TLS-006"), "fail");
    assert_eq!(status(&v, "<match-new.**>-#2", "CL-TLS-006"), "pass");
    // Fluent Bit's spelling of the same.
    let v = verdicts(
        "fluent-bit.conf",
        "[OUTPUT]\n    Name es\n    Host es.example.com\n    tls On\n    tls.verify_hostname On\n    \
         tls.min_version TLSv1.1\n",
    );
    assert_eq!(status(&v, "output-#1", "CL-TLS-006"), "fail");
    assert_eq!(status(&v, "output-#1", "CL-TLS-003"), "pass");
}

/// An API key written in the file (fluent-plugin-elasticsearch's README writes
/// `api_key "ElasticsearchAPIKEY"`), against one read from the environment.
#[test]
fn a_written_api_key_fails_and_one_from_the_environment_passes() {
    let v = verdicts(
        "fluent.conf",
        "<match a.**>\n  @type elasticsearch\n  hosts https://es.example.com:9200\n  \
         api_key \"ElasticsearchAPIKEY\"\n</match>\n<match b.**>\n  @type elasticsearch\n  \
         hosts https://es.example.com:9200\n  api_key \"#{ENV['ES_API_KEY']}\"\n</match>\n",
    );
    assert_eq!(status(&v, "<match-a.**>-#1", "CL-SEC-002"), "fail");
    assert_eq!(status(&v, "<match-b.**>-#2", "CL-SEC-002"), "pass");
    // Sent over https: the plaintext rule passes where credentials are sent.
    assert_eq!(status(&v, "<match-a.**>-#1", "CL-TLS-004"), "pass");
}

/// A password from the environment with a literal fallback (not a published default), against
/// one with no fallback.
#[test]
fn a_literal_fallback_password_fails_and_a_bare_reference_passes() {
    let v = verdicts(
        "vector.toml",
        "[sinks.a]\ntype = \"elasticsearch\"\nendpoints = [\"https://es.example.com:9200\"]\n\
         auth.strategy = \"basic\"\nauth.user = \"shipper\"\nauth.password = \"${ES_PASSWORD:-Wk3rT9q}\"\n\n\
         [sinks.b]\ntype = \"elasticsearch\"\nendpoints = [\"https://es.example.com:9200\"]\n\
         auth.strategy = \"basic\"\nauth.user = \"shipper\"\nauth.password = \"${ES_PASSWORD}\"\n",
    );
    assert_eq!(status(&v, "sinks.a", "CL-SEC-003"), "fail");
    assert_eq!(status(&v, "sinks.a", "CL-SEC-001"), "pass");
    assert_eq!(status(&v, "sinks.b", "CL-SEC-003"), "pass");
    assert_eq!(status(&v, "sinks.b", "CL-AUTH-001"), "pass");
}

/// The passwords the fixtures write are reported by their place only, in every format.
#[test]
fn client_secrets_are_never_printed() {
    let secrets = [
        "s3cr3tP@ssword",
        "fixture-generated-password-replaced-00000=",
        "fixtur3X",
        "Admin@123456",
        "foo:bar",
        // fixtures/clients/code: literals in application code, scripts and a .env
        "s3cr3t-fallback",
        "Catalogue-2024!",
        "catalogue-fallback-2024",
        "Str0ng-but-written",
        "Wr1tten-1n-the-repo",
        "hJ3neUHqIeYwaQ6y1ndN",
        "secretPassword",
        "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
        // a user:password pair on one option (curl -u, Curator's http_auth)
        "elastic:changeme",
        "curator-written",
        "rsyslog-written",
        "Spark-Def4ults-Written",
        "Apm-T0ken-Written-Here",
        "Jaeger-Written-2025",
    ];
    for format in [
        "json", "table", "concise", "sarif", "markdown", "html", "junit", "ecs",
    ] {
        let out = esaudit()
            .args(["scan", "fixtures/clients", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("CL-SEC-001"), "{format}: no CL-SEC-001");
        for s in secrets {
            assert!(!text.contains(s), "{format} prints a secret ({s})");
        }
    }
    // The user name is no secret: the evidence quotes where the password is, not what it is.
    let (_, report) = scan_json(&["fixtures/clients/fluentd/fluent-operator-es-data-stream.cfg"]);
    let evidence: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "CL-SEC-001" && r["status"] == "fail")
        .map(|r| &r["evidence"]["actual"])
        .collect();
    assert_eq!(evidence.len(), 2);
    assert!(evidence.iter().all(|a| *a == "(secret, not shown)"));
}

/// A shipper in the same scan as the node it sends to: its findings name that node.
#[test]
fn a_client_names_the_node_it_reaches_in_the_same_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("es/config")).unwrap();
    std::fs::write(
        dir.path().join("es/config/elasticsearch.yml"),
        "cluster.name: prod-logs\nnode.name: es01\nnetwork.host: 10.0.0.5\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fluent-bit.conf"),
        "[OUTPUT]\n    Name es\n    Host es01\n    HTTP_User shipper\n    HTTP_Passwd ${ES_PW}\n\
         [OUTPUT]\n    Name es\n    Host 10.0.0.5\n    HTTP_User shipper\n    HTTP_Passwd ${ES_PW}\n\
         [OUTPUT]\n    Name es\n    Host elsewhere\n    HTTP_User shipper\n    HTTP_Passwd ${ES_PW}\n",
    )
    .unwrap();
    let (_, report) = scan_json(&[dir.path().to_str().unwrap(), "--select", "CL-TLS-004"]);
    let node = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "es_node")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let messages: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            format!("Fluent Bit connection output #1 authenticates to es01:9200 ({node} in this scan) over plain HTTP (tls not set: off by default)"),
            format!("Fluent Bit connection output #2 authenticates to 10.0.0.5:9200 ({node} in this scan) over plain HTTP (tls not set: off by default)"),
            "Fluent Bit connection output #3 authenticates to elsewhere:9200 over plain HTTP (tls not set: off by default)".to_string(),
        ]
    );
}
