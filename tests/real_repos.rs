//! Repositories as they are written (issue 18): content says what a file is, the compose file
//! and its `.env` say what a service runs, the official image configures its own security.
//! The whole verdict on `fixtures/repos` is pinned: what must fail, and that nothing else does.

mod common;

use common::{not_applicable_because, scan_json, target_ids, verdicts, with_status};
use std::collections::BTreeSet;

#[test]
fn repositories_are_read_as_their_content_and_deployment_say() {
    let (code, report) = scan_json(&["fixtures/repos", "--detail", "items"]);
    assert_eq!(code, 1, "critical findings, and no input error");
    assert_eq!(report["errors"], serde_json::json!([]));
    let skipped: BTreeSet<(&str, &str)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let message = s["message"].as_str().unwrap();
            let kind = if message.starts_with("a template") {
                "template"
            } else {
                "other tool"
            };
            (s["path"].as_str().unwrap(), kind)
        })
        .collect();
    assert_eq!(
        skipped,
        BTreeSet::from([
            (
                "fixtures/repos/ansible/templates/elasticsearch.yml.j2",
                "template"
            ),
            ("fixtures/repos/chart/templates/configmap.yaml", "template"),
        ])
    );
    let targets: BTreeSet<(&str, &str)> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap(),
                t["version_source"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            ("kibana:quickstart", ""),
            ("kibana:kibana01", ""),
            // A Grafana data source named `elasticsearch.yaml` is a client, not a node: it
            // reads over plain HTTP but sends no credentials, so nothing of it fails.
            (
                "client:fixtures/repos/grafana/provisioning/datasources/elasticsearch.yaml#Elasticsearch",
                ""
            ),
            ("kibana:kibana-6", ""),
            ("logstash:logstash/logstash", ""),
            ("agent:fleet-server", ""),
            // Four conf.d files are one Logstash; a Swarm-templated node name is not a name.
            ("logstash:logstash/conf.d", ""),
            (
                "node:DevOps/es",
                "image docker.elastic.co/elasticsearch/elasticsearch:8.15.1"
            ),
            (
                "node:legacy-five/elasticsearch5",
                "image docker.elastic.co/elasticsearch/elasticsearch:5.6.16"
            ),
            // docker-elk: built from Dockerfiles, configs mounted and judged with the service
            // (once: the mounted files are no targets of their own).
            ("kibana:kibana", ""),
            (
                "node:docker-cluster/elasticsearch",
                "image docker.elastic.co/elasticsearch/elasticsearch:9.2.1"
            ),
            (
                "node:quickstart/quickstart-es-default",
                "spec.version 8.15.0"
            ),
            (
                "node:docs-cluster/es01",
                "image docker.elastic.co/elasticsearch/elasticsearch:8.15.1; security and TLS \
                 by auto-configuration"
            ),
            (
                "node:elasticsearch/elasticsearch",
                "image docker.elastic.co/elasticsearch/elasticsearch:7.10.2"
            ),
            (
                "node:helk-cluster/helk-elasticsearch",
                "image docker.elastic.co/elasticsearch/elasticsearch:7.6.2"
            ),
            // Plain Kubernetes workloads: images configured by `env` alone; a ConfigMap
            // mounted from a file beside the Deployment is judged once, where it is written.
            ("kibana:kibana-logging/kibana", ""),
            ("agent:agent", ""),
            ("logstash:logstash-config", ""),
            (
                "node:logging/es-logging/elasticsearch",
                "image docker.elastic.co/elasticsearch/elasticsearch:7.17.10"
            ),
            // The same images as Kubernetes workloads: 8.x auto-configured, 6.x platinum
            // on a trial, 7.x `-oss` without security.
            (
                "node:apps/search/elasticsearch",
                "image docker.elastic.co/elasticsearch/elasticsearch:8.15.1; security and TLS \
                 by auto-configuration"
            ),
            (
                "node:trial/es-trial/elasticsearch",
                "image docker.elastic.co/elasticsearch/elasticsearch-platinum:6.2.4"
            ),
            (
                "node:oss/es-oss/elasticsearch",
                "image docker.elastic.co/elasticsearch/elasticsearch-oss:7.10.2"
            ),
            // 6.x `-platinum`: a trial licence with security on.
            (
                "node:trial-six/es-platinum",
                "image docker.elastic.co/elasticsearch/elasticsearch-platinum:6.2.4"
            ),
            // Bitnami's chart keys.
            ("node:bitnami-es/bitnami-es", "image.tag 8.15.1"),
            // APM Server's output is a Beat's.
            ("beat:apm/apm-server", ""),
        ])
    );
    let fails = verdicts(&report, "fail");
    let expected: BTreeSet<String> = [
        // ECK: TLS on and transport trust restricted by the operator; audit is not configured.
        "ES-AUD-001 node:quickstart/quickstart-es-default setting:xpack.security.audit.enabled",
        "KB-AUD-001 kibana:quickstart setting:xpack.security.audit.enabled",
        // 7.10 by its default tag: security off, the API published on every interface.
        "ES-SEC-001 node:elasticsearch/elasticsearch setting:xpack.security.enabled",
        "ES-SEC-002 node:elasticsearch/elasticsearch setting:xpack.security.enabled",
        "ES-NET-001 node:elasticsearch/elasticsearch setting:network.host",
        "ES-NET-002 node:elasticsearch/elasticsearch setting:network.host",
        // HELK's node behind its wrapper; its setup container is no target.
        "ES-SEC-001 node:helk-cluster/helk-elasticsearch setting:xpack.security.enabled",
        "ES-NET-001 node:helk-cluster/helk-elasticsearch setting:network.host",
        "ES-NET-002 node:helk-cluster/helk-elasticsearch setting:network.host",
        // The auto-configured stack's Kibana: published on loopback only (no KB-TLS-004),
        // but its keys are not set and audit is off.
        "KB-SEC-001 kibana:kibana01 setting:xpack.security.encryptionKey",
        "KB-SEC-002 kibana:kibana01 setting:xpack.encryptedSavedObjects.encryptionKey",
        "KB-SEC-003 kibana:kibana01 setting:xpack.reporting.encryptionKey",
        "KB-AUD-001 kibana:kibana01 setting:xpack.security.audit.enabled",
        "KB-SEC-009 kibana:kibana01 setting:xpack.reporting.capture.browser.chromium.disableSandbox",
        // 6.x names: Kibana reaches the cluster over HTTPS through elasticsearch.url (no
        // KB-TLS-001) as the kibana user meant for 6.x (no KB-AUTH-002); Logstash's API on
        // every interface through http.host.
        "KB-SEC-001 kibana:kibana-6 setting:xpack.security.encryptionKey",
        "KB-SEC-002 kibana:kibana-6 setting:xpack.encryptedSavedObjects.encryptionKey",
        "KB-SEC-003 kibana:kibana-6 setting:xpack.reporting.encryptionKey",
        "KB-AUD-001 kibana:kibana-6 setting:xpack.security.audit.enabled",
        "LS-NET-001 logstash:logstash/logstash setting:http.host",
        // Elastic's 5.x image: X-Pack security on by default (no ES-SEC-001), HTTP without TLS.
        "ES-AUD-001 node:legacy-five/elasticsearch5 setting:xpack.security.audit.enabled",
        "ES-TLS-001 node:legacy-five/elasticsearch5 setting:xpack.security.http.ssl.enabled",
        // The conf.d Logstash: a plaintext beats input, an HTTP output.
        "LS-NET-002 logstash:logstash/conf.d input:beats",
        "LS-TLS-001 logstash:logstash/conf.d setting:hosts",
        // Fleet Server with its TLS switched off by the image's variables.
        "BT-NET-004 agent:fleet-server setting:fleet_server.insecure_http",
        "BT-TLS-002 agent:fleet-server setting:fleet.ssl.verification_mode",
        "BT-TLS-002 agent:fleet-server setting:fleet_server.elasticsearch.ssl.verification_mode",
        // docker-elk: security on from the mounted file, no TLS, 9300 published on every
        // interface; Kibana logs in with the `changeme` of `.env`, over HTTP.
        "ES-NET-003 node:docker-cluster/elasticsearch setting:network.host",
        // ELASTIC_PASSWORD takes `changeme` from the committed `.env`.
        "ES-CFG-007 node:docker-cluster/elasticsearch setting:bootstrap.password",
        "ES-TLS-002 node:docker-cluster/elasticsearch setting:xpack.security.transport.ssl.enabled",
        "ES-TLS-001 node:docker-cluster/elasticsearch setting:xpack.security.http.ssl.enabled",
        "ES-AUD-001 node:docker-cluster/elasticsearch setting:xpack.security.audit.enabled",
        "ES-NET-002 node:docker-cluster/elasticsearch setting:network.host",
        "KB-SEC-007 kibana:kibana setting:elasticsearch.password",
        "KB-SEC-001 kibana:kibana setting:xpack.security.encryptionKey",
        "KB-SEC-002 kibana:kibana setting:xpack.encryptedSavedObjects.encryptionKey",
        "KB-SEC-003 kibana:kibana setting:xpack.reporting.encryptionKey",
        "KB-TLS-001 kibana:kibana setting:elasticsearch.hosts",
        "KB-TLS-004 kibana:kibana setting:server.host",
        "KB-AUD-001 kibana:kibana setting:xpack.security.audit.enabled",
        // Kubernetes: Kibana over HTTP on the image's 0.0.0.0 (its session key and audit are
        // moot: its cluster runs without security); a 7.17 node with security switched off by
        // `env`, reachable from any pod; the agent enrolled with `--insecure`;
        // the Logstash API of the sibling ConfigMap on every interface.
        "KB-TLS-001 kibana:kibana-logging/kibana setting:elasticsearch.hosts",
        "KB-TLS-004 kibana:kibana-logging/kibana setting:server.host",
        "KB-SEC-002 kibana:kibana-logging/kibana setting:xpack.encryptedSavedObjects.encryptionKey",
        "KB-SEC-003 kibana:kibana-logging/kibana setting:xpack.reporting.encryptionKey",
        "ES-SEC-001 node:logging/es-logging/elasticsearch setting:xpack.security.enabled",
        "ES-NET-001 node:logging/es-logging/elasticsearch setting:network.host",
        "ES-NET-002 node:logging/es-logging/elasticsearch setting:network.host",
        "ES-NET-003 node:logging/es-logging/elasticsearch setting:network.host",
        "BT-TLS-002 agent:agent setting:fleet.ssl.verification_mode",
        "LS-NET-001 logstash:logstash-config setting:api.http.host",
        // Elasticsearch images as workloads, reachable from any pod on the image's 0.0.0.0.
        // 8.x single-node: security and TLS by auto-configuration; no licence is written, so
        // audit is judged.
        "ES-AUD-001 node:apps/search/elasticsearch setting:xpack.security.audit.enabled",
        "ES-NET-002 node:apps/search/elasticsearch setting:network.host",
        // 6.x platinum: security on by its trial, but neither layer has TLS.
        "ES-AUD-001 node:trial/es-trial/elasticsearch setting:xpack.security.audit.enabled",
        "ES-NET-002 node:trial/es-trial/elasticsearch setting:network.host",
        "ES-NET-003 node:trial/es-trial/elasticsearch setting:network.host",
        "ES-TLS-001 node:trial/es-trial/elasticsearch setting:xpack.security.http.ssl.enabled",
        "ES-TLS-002 node:trial/es-trial/elasticsearch setting:xpack.security.transport.ssl.enabled",
        // 7.x OSS: no security at all, on every interface.
        "ES-SEC-001 node:oss/es-oss/elasticsearch setting:xpack.security.enabled",
        "ES-NET-001 node:oss/es-oss/elasticsearch setting:network.host",
        "ES-NET-002 node:oss/es-oss/elasticsearch setting:network.host",
        "ES-NET-003 node:oss/es-oss/elasticsearch setting:network.host",
        // 6.x platinum: security on by its trial, so the sample password and plain HTTP count.
        "ES-CFG-003 node:trial-six/es-platinum setting:bootstrap.password",
        "ES-CFG-007 node:trial-six/es-platinum setting:bootstrap.password",
        "ES-TLS-001 node:trial-six/es-platinum setting:xpack.security.http.ssl.enabled",
        "ES-AUD-001 node:trial-six/es-platinum setting:xpack.security.audit.enabled",
        // Bitnami: `security.elasticPassword` written in the values, `restEncryption: false`.
        "ES-CFG-003 node:bitnami-es/bitnami-es setting:bootstrap.password",
        "ES-CFG-007 node:bitnami-es/bitnami-es setting:bootstrap.password",
        "ES-TLS-001 node:bitnami-es/bitnami-es setting:xpack.security.http.ssl.enabled",
        "ES-AUD-001 node:bitnami-es/bitnami-es setting:xpack.security.audit.enabled",
        // APM Server ships as `elastic`/`changeme`, in clear text, over HTTP.
        "BT-AUTH-001 beat:apm/apm-server setting:output.elasticsearch.username",
        "BT-SEC-001 beat:apm/apm-server setting:output.elasticsearch.password",
        "BT-SEC-002 beat:apm/apm-server setting:output.elasticsearch.password",
        "BT-TLS-001 beat:apm/apm-server setting:output.elasticsearch.hosts",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(fails, expected);
    // The auto-configured node: nothing fails, and nothing is left unjudged.
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["target"] == "node:docs-cluster/es01")
            .all(|r| r["status"] == "pass" || r["status"] == "not_applicable")
    );
    assert!(with_status(&report, "error").is_empty());
    // A Kibana whose cluster runs without security has none of its own: the rules about its
    // login, sessions and audit do not apply, and say why; its saved-object and reporting
    // keys still count (alerting and reporting use them without security).
    assert_eq!(
        not_applicable_because(
            &report,
            Some("kibana:kibana-logging/kibana"),
            "the cluster this Kibana reaches runs without security"
        ),
        BTreeSet::from([
            "KB-AUD-001",
            "KB-AUTH-004",
            "KB-AUTH-005",
            "KB-CFG-001",
            "KB-SEC-001",
            "KB-SES-001",
            "KB-SES-002",
            "KB-SES-003",
            "KB-SES-004",
        ])
    );
    // The mounted file's settings point into it; the environment's into the compose file.
    let located = |rule: &str| {
        with_status(&report, "fail")
            .into_iter()
            .find(|r| r["rule"] == rule && r["target"] == "node:docker-cluster/elasticsearch")
            .map(|r| {
                (
                    r["location"]["path"].as_str().unwrap().to_string(),
                    r["location"]["line"].as_u64(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        located("ES-NET-002"),
        (
            "fixtures/repos/docker-elk/elasticsearch/config/elasticsearch.yml".into(),
            Some(6)
        )
    );
}

/// pires/kubernetes-elasticsearch-cluster's `kibana.yaml` scanned alone (its ConfigMap, in
/// `kibana-cm.yaml`, is not in the scan): the Deployment is judged by its image and
/// environment. `kibana-oss:6.3.2` has no X-Pack, so the rules about X-Pack settings do not
/// apply; the image's own `kibana.yml` binds every interface and reaches
/// `http://elasticsearch:9200`. The whole verdict is pinned.
#[test]
fn an_oss_kibana_workload_scanned_alone_is_judged_by_its_image() {
    let (code, report) = scan_json(&[
        "fixtures/wild/pires-kubernetes-elasticsearch-cluster/kibana.yaml",
        "--detail",
        "items",
    ]);
    assert_eq!(code, 1);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(target_ids(&report), ["kibana:kibana"]);
    assert_eq!(
        verdicts(&report, "fail"),
        BTreeSet::from([
            "KB-TLS-001 kibana:kibana setting:elasticsearch.hosts".to_string(),
            "KB-TLS-004 kibana:kibana setting:server.host".to_string(),
        ])
    );
    assert_eq!(oss_not_applicable(&report), OSS_ONLY_RULES);
}

/// The Kibana rules about X-Pack settings, not applicable on an `-oss` image.
const OSS_ONLY_RULES: [&str; 12] = [
    "KB-AUD-001",
    "KB-AUTH-004",
    "KB-AUTH-005",
    "KB-CFG-001",
    "KB-SEC-001",
    "KB-SEC-002",
    "KB-SEC-003",
    "KB-SEC-008",
    "KB-SES-001",
    "KB-SES-002",
    "KB-SES-003",
    "KB-SES-004",
];

/// The rules not applicable because the target runs an `-oss` image; none may be an error.
fn oss_not_applicable(report: &serde_json::Value) -> Vec<&str> {
    assert!(with_status(report, "error").is_empty());
    not_applicable_because(report, None, "the Kibana OSS build (an -oss image)")
        .into_iter()
        .collect()
}

/// pires' folder: the Deployment in `kibana.yaml` mounts the ConfigMap written in
/// `kibana-cm.yaml`. The two files make one Kibana, judged once where its config is written,
/// with the Deployment's image (`kibana-oss:6.3.2`, so no X-Pack) and environment.
#[test]
fn a_workload_and_its_configmap_in_two_files_are_one_kibana() {
    let (code, report) = scan_json(&[
        "fixtures/wild/pires-kubernetes-elasticsearch-cluster",
        "--detail",
        "items",
    ]);
    assert_eq!(code, 1);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(target_ids(&report), ["kibana:kibana-config"]);
    assert_eq!(
        verdicts(&report, "fail"),
        BTreeSet::from([
            "KB-TLS-001 kibana:kibana-config setting:elasticsearch.url".to_string(),
            "KB-TLS-004 kibana:kibana-config setting:server.host".to_string(),
        ])
    );
    assert_eq!(oss_not_applicable(&report), OSS_ONLY_RULES);
}
