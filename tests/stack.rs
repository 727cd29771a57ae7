//! Kibana, Logstash, Beats and Agent configs, compose files and Kubernetes manifests: planted
//! problems at their lines, clean secure fixtures, input errors, and secrets kept out of reports.

mod common;

use common::{esaudit, scan_json, with_status};
use serde_json::Value;
use std::path::Path;

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

#[test]
fn manifests_point_at_the_manifest_line() {
    assert_planted_found("fixtures/stack-manifests");
    let (_, report) = scan_json(&["fixtures/stack-manifests"]);
    let targets: Vec<(&str, &str)> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["source"].as_str().unwrap()))
        .collect();
    for (id, source) in [
        (
            "node:demo/es01",
            "fixtures/stack-manifests/compose/docker-compose.yml",
        ),
        ("node:cm/cm-0", "fixtures/stack-manifests/k8s/stack.yaml"),
        (
            "node:prod/prod-es-default",
            "fixtures/stack-manifests/k8s/stack.yaml",
        ),
        (
            "node:helmcluster/helmcluster-master",
            "fixtures/stack-manifests/helm/values.yaml",
        ),
        ("kibana:prod", "fixtures/stack-manifests/k8s/stack.yaml"),
        ("beat:filebeat", "fixtures/stack-manifests/k8s/stack.yaml"),
        ("logstash:ls", "fixtures/stack-manifests/k8s/stack.yaml"),
    ] {
        assert!(
            targets.contains(&(id, source)),
            "{id} from {source} missing: {targets:?}"
        );
    }
    // The compose image tag and the Helm imageTag give the version.
    let version = |id: &str| {
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["version"].clone())
            .unwrap()
    };
    assert_eq!(version("node:demo/es01"), "8.15");
    assert_eq!(version("node:helmcluster/helmcluster-master"), "7.17");
}

#[test]
fn secure_manifests_are_clean_at_medium_and_above() {
    let (code, report) = scan_json(&["fixtures/stack-manifests-secure", "--fail-on", "medium"]);
    let serious: Vec<_> = with_status(&report, "fail")
        .into_iter()
        .filter(|r| ["medium", "high", "critical"].contains(&r["severity"].as_str().unwrap()))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert!(with_status(&report, "error").is_empty());
    assert_eq!(report["targets"].as_array().unwrap().len(), 5);
    assert_eq!(code, 0);
}

#[test]
fn invalid_manifest_is_an_input_error_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("docker-compose.yml");
    std::fs::write(
        &bad,
        "services:\n  es:\n    image: elasticsearch:8.15.0\n   environment: [\n",
    )
    .unwrap();
    let embedded = dir.path().join("cm.yaml");
    std::fs::write(
        &embedded,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  kibana.yml: |\n    a: 1\n    b: [\n",
    )
    .unwrap();
    let out = esaudit()
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "fixtures/stack-secure",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("docker-compose.yml") && stderr.contains("line"),
        "{stderr}"
    );
    // The error inside the embedded kibana.yml is reported at its line in the manifest.
    assert!(
        stderr.contains("cm.yaml") && stderr.contains("kibana.yml in x"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 8") || stderr.contains("line 9"),
        "{stderr}"
    );
}

/// Canary secrets planted in every kind of input never reach any report format.
#[test]
fn canary_secrets_never_appear_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "kibana/kibana.yml",
        "elasticsearch.hosts: [\"http://es:9200\"]\nelasticsearch.password: CANARY-kibana-pw-1\nxpack.security.encryptionKey: CANARY-kibana-key-0123456789abcdef\n",
    );
    w(
        "logstash/config/logstash.yml",
        "api.http.host: 0.0.0.0\nxpack.monitoring.elasticsearch.password: CANARY-ls-pw-2\napi.auth.basic.password: CANARY-ls-api-3\n",
    );
    w(
        "logstash/pipeline/main.conf",
        "output { elasticsearch { hosts => [\"http://es:9200\"] user => \"elastic\" password => \"CANARY-pipe-pw-4\" api_key => \"CANARY-pipe-key-5\" cloud_auth => \"elastic:CANARY-cloud-6\" } }\n",
    );
    w(
        "filebeat/filebeat.yml",
        "output.elasticsearch:\n  hosts: [\"es:9200\"]\n  password: CANARY-beat-pw-7\n  ssl.key_passphrase: CANARY-beat-pass-8\n",
    );
    w(
        "compose/docker-compose.yml",
        "services:\n  es:\n    image: elasticsearch:8.15.0\n    environment:\n      - ELASTIC_PASSWORD=CANARY-compose-9\n  kibana:\n    image: kibana:8.15.0\n    environment:\n      ELASTICSEARCH_PASSWORD: CANARY-compose-kb-10\n",
    );
    w(
        "k8s/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kb\ndata:\n  kibana.yml: |\n    elasticsearch.password: CANARY-configmap-11\n    xpack.security.encryptionKey: CANARY-configmap-key-0123456789abcdef\n",
    );
    for format in ["json", "table", "sarif", "markdown", "html", "junit", "ecs"] {
        let out = esaudit()
            .args(["scan", dir.path().to_str().unwrap(), "--format", format])
            .args(["--profile", "fips"])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            all.contains("password"),
            "{format}: nothing reported?\n{all}"
        );
        assert!(
            !all.contains("CANARY"),
            "{format} output leaks a canary:\n{all}"
        );
    }
}

/// The verdicts on real public configs (fixtures/wild, sources in its SOURCES.md, reviewed in
/// its REVIEW.md): every file is judged or skipped with a notice, none is an input error, and
/// every target's whole set of failing rules is pinned in tests/real-configs.txt, so a new
/// false alarm or a lost finding shows here. Set ESAUDIT_BLESS=1 to rewrite the file after an
/// intended change, and review the difference.
#[test]
fn real_config_verdicts_are_stable() {
    let dir = "fixtures/wild".to_string();
    let out = esaudit()
        .args(["scan", &dir, "--format", "json", "--profile", "strict"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rel = |p: &str| p.strip_prefix(&format!("{dir}/")).unwrap_or(p).to_string();
    let mut lines = std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for t in report["targets"].as_array().unwrap() {
        lines
            .entry(format!(
                "{} [{}]",
                rel(t["source"].as_str().unwrap()),
                t["id"].as_str().unwrap().split('@').next().unwrap()
            ))
            .or_default();
    }
    // Failures by rule id, and results that could not be judged as `RULE(error)`: a rule that
    // stops evaluating on a real file must show here as much as a new false alarm.
    for r in report["results"].as_array().unwrap() {
        let shown = match r["status"].as_str().unwrap() {
            "fail" => r["rule"].as_str().unwrap().to_string(),
            "error" => format!("{}(error)", r["rule"].as_str().unwrap()),
            _ => continue,
        };
        let t = report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == r["target"])
            .unwrap();
        lines
            .entry(format!(
                "{} [{}]",
                rel(t["source"].as_str().unwrap()),
                t["id"].as_str().unwrap().split('@').next().unwrap()
            ))
            .or_default()
            .insert(shown);
    }
    let mut text = String::new();
    for (target, rules) in &lines {
        let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
        text.push_str(&format!("{target}: {}\n", rules.join(" ")));
    }
    assert_eq!(report["errors"], serde_json::json!([]));
    for e in report["skipped"].as_array().unwrap() {
        text.push_str(&format!(
            "{}: skipped: {}\n",
            rel(e["path"].as_str().unwrap()),
            e["message"].as_str().unwrap()
        ));
    }
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real-configs.txt");
    if std::env::var_os("ESAUDIT_BLESS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        expected, text,
        "verdicts on real configs changed; rerun with ESAUDIT_BLESS=1 if intended"
    );
}

/// Components scanned with the nodes of their deployment: HTTP vs HTTPS against the cluster's
/// HTTP layer, and Kibana instances that disagree on their encryption keys.
#[test]
fn cross_component_checks() {
    assert_planted_found("fixtures/stack-cross");
    assert_planted_found("fixtures/stack-cross-plain");
    // Alone, without the nodes, nothing can be said.
    let (_, report) = scan_json(&["fixtures/stack-cross/kibana-a"]);
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == "KB-TLS-007" || r["rule"] == "KB-SEC-008")
            .all(|r| r["status"] == "not_applicable" || r["status"] == "pass")
    );
}

#[test]
fn nodes_of_one_cluster_are_compared() {
    assert_planted_found("fixtures/cluster-split");
    // One node alone has nothing to disagree with.
    let (_, report) = scan_json(&["fixtures/cluster-split/es01"]);
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == "ES-CLU-001")
            .all(|r| r["status"] == "not_applicable")
    );
}

/// `pipelines.yml` `path.config`: a relative file outside the install folder and an absolute
/// glob mapped onto the scanned tree both belong to the instance; nothing is left over as a
/// pipeline-only instance.
#[test]
fn path_config_attaches_pipelines_to_their_instance() {
    assert_planted_found("fixtures/stack-pathconfig");
    let (_, report) = scan_json(&["fixtures/stack-pathconfig", "--profile", "fips"]);
    let ids: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["logstash:ls-a"]);
    for rule in ["LS-TLS-001", "LS-TLS-002"] {
        assert!(
            with_status(&report, "fail")
                .iter()
                .any(|r| r["rule"] == rule && r["target"] == "logstash:ls-a"),
            "{rule} not judged on ls-a"
        );
    }
}

/// The certificates of the CA test deployment, generated now so their dates stay valid.
fn write_ca_deployment(root: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let w = |name: &str, text: &str| {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let params = |cn: &str, sans: &[&str]| {
        let mut p =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        let now = time::OffsetDateTime::now_utc();
        p.not_before = now - time::Duration::days(1);
        p.not_after = now + time::Duration::days(365);
        p
    };
    let ca = |cn: &str| {
        let mut p = params(cn, &[]);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
    };
    let cluster_ca = ca("Cluster CA");
    // Same name, other key: a re-created CA that did not sign the node.
    let stale_ca = ca("Cluster CA");
    let other_ca = ca("Other CA");
    let key = KeyPair::generate().unwrap();
    let http = params("es-1", &["es-1", "localhost"])
        .signed_by(&key, &cluster_ca)
        .unwrap();
    w(
        "es/config/elasticsearch.yml",
        "cluster.name: ca-test\nnode.name: es-1\nxpack.security.enabled: true\nxpack.security.http.ssl.enabled: true\nxpack.security.http.ssl.certificate: certs/http.crt\nxpack.security.http.ssl.key: certs/http.key\nxpack.security.http.ssl.certificate_authorities: certs/ca.crt\n",
    );
    w("es/config/certs/http.crt", &http.pem());
    w("es/config/certs/http.key", &key.serialize_pem());
    w("es/config/certs/ca.crt", &cluster_ca.pem());
    // Absolute container path, found by its tail under kibana-good/.
    w(
        "kibana-good/kibana.yml",
        "server.name: kibana-good\nelasticsearch.hosts: [\"https://es-1:9200\"]\nelasticsearch.ssl.certificateAuthorities: [\"/usr/share/kibana/config/certs/ca.crt\"]\n",
    );
    w("kibana-good/config/certs/ca.crt", &cluster_ca.pem());
    w(
        "kibana-bad/kibana.yml",
        "server.name: kibana-bad\nelasticsearch.hosts: [\"https://es-1:9200\"]\nelasticsearch.ssl.certificateAuthorities: [certs/old-ca.crt]\n",
    );
    w("kibana-bad/certs/old-ca.crt", &stale_ca.pem());
    w(
        "filebeat/filebeat.yml",
        "output.elasticsearch:\n  hosts: [\"https://es-1:9200\"]\n  ssl.certificate_authorities: [\"other-ca.crt\"]\n",
    );
    w("filebeat/other-ca.crt", &other_ca.pem());
    w(
        "filebeat-good/filebeat.yml",
        "output.elasticsearch:\n  hosts: [\"https://es-1:9200\"]\n  ssl.certificate_authorities: [\"ca.crt\"]\n",
    );
    w("filebeat-good/ca.crt", &cluster_ca.pem());
    w(
        "logstash/pipeline/out.conf",
        "input { beats { port => 5044 } }\noutput {\n  elasticsearch {\n    hosts => [\"https://es-1:9200\"]\n    ssl_certificate_authorities => \"/etc/logstash/certs/ca.crt\"\n  }\n}\n",
    );
    w("logstash/certs/ca.crt", &cluster_ca.pem());
    w(
        "logstash-bad/pipeline/out.conf",
        "output {\n  elasticsearch {\n    hosts => [\"https://es-1:9200\"]\n    cacert => \"certs/ca.crt\"\n  }\n}\n",
    );
    w("logstash-bad/certs/ca.crt", &other_ca.pem());
}

/// A component's CA against the HTTP certificate of the nodes scanned with it.
#[test]
fn component_ca_must_sign_the_cluster_http_certificate() {
    let dir = tempfile::tempdir().unwrap();
    write_ca_deployment(dir.path());
    let root = dir.path().to_str().unwrap();
    let (_, report) = scan_json(&[root, "--profile", "strict"]);
    let status = |rule: &str, target: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule && r["target"] == target)
            .unwrap_or_else(|| panic!("no {rule} on {target}"))
            .clone()
    };
    assert_eq!(status("KB-TLS-009", "kibana:kibana-good")["status"], "pass");
    assert_eq!(
        status("LS-TLS-011", "logstash:logstash/out")["status"],
        "pass"
    );
    let bad = status("KB-TLS-009", "kibana:kibana-bad");
    assert_eq!(bad["status"], "fail");
    assert_eq!(
        bad["location"]["path"],
        format!("{root}/kibana-bad/kibana.yml")
    );
    assert_eq!(bad["location"]["line"], 3);
    assert_eq!(
        bad["location"]["object"],
        "setting:elasticsearch.ssl.certificateAuthorities"
    );
    let ls = status("LS-TLS-011", "logstash:logstash-bad/out");
    assert_eq!(ls["status"], "fail");
    assert_eq!(ls["location"]["line"], 4);
    assert_eq!(
        ls["location"]["object"],
        "setting:output.elasticsearch.cacert"
    );
    assert_eq!(
        status("BT-TLS-009", "beat:filebeat-good/filebeat")["status"],
        "pass"
    );
    let beat = status("BT-TLS-009", "beat:filebeat/filebeat");
    assert_eq!(beat["status"], "fail");
    assert_eq!(beat["location"]["line"], 3);
    // Without the node there is nothing to compare with.
    let alone = dir.path().join("kibana-bad");
    let (_, report) = scan_json(&[alone.to_str().unwrap()]);
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == "KB-TLS-009")
            .all(|r| r["status"] == "not_applicable")
    );
}

/// Kibana's node.options flags, one file per case, found at their line.
#[test]
fn node_options_flags_are_classified() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("kibana");
    std::fs::create_dir_all(&k).unwrap();
    std::fs::write(k.join("kibana.yml"), "server.name: kb\n").unwrap();
    std::fs::write(
        k.join("node.options"),
        "## comment --tls-min-v1.0\n--max-old-space-size=4096\n\n  --tls-max-v1.2 --tls-cipher-list=ECDHE-RSA-AES128-GCM-SHA256:RC4-SHA\n",
    )
    .unwrap();
    let (_, report) = scan_json(&[k.to_str().unwrap(), "--profile", "strict"]);
    let find = |rule: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .unwrap()
            .clone()
    };
    assert_eq!(find("KB-TLS-010")["status"], "pass");
    let weak = find("KB-TLS-011");
    assert_eq!(weak["status"], "fail");
    assert_eq!(weak["location"]["line"], 4);
    assert_eq!(weak["location"]["column"], 3);
    assert_eq!(weak["location"]["object"], "file:node.options");
}

/// LS-SEC-003: a keystore with `LOGSTASH_KEYSTORE_PASS` in a scanned service env file passes.
#[test]
fn logstash_keystore_password_source() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("etc/logstash/logstash.yml", "node.name: ls-k\n");
    w("etc/logstash/logstash.keystore", "placeholder\n");
    let status = |report: &Value| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "LS-SEC-003")
            .unwrap()["status"]
            .clone()
    };
    let (_, report) = scan_json(&[dir.path().to_str().unwrap(), "--profile", "strict"]);
    assert_eq!(status(&report), "fail");
    w(
        "etc/sysconfig/logstash",
        "# service environment\nLOGSTASH_KEYSTORE_PASS=not-shown-anywhere\n",
    );
    let (_, report) = scan_json(&[dir.path().to_str().unwrap(), "--profile", "strict"]);
    assert_eq!(status(&report), "pass");
    assert!(!report.to_string().contains("not-shown-anywhere"));
}
