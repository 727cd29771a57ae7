//! Clusters as they really answer (issue 17): what the nodes info API hides is unknown, never
//! a default; a 7.x cluster's security follows its licence; 7.x API keys show no role
//! descriptors; node folders scanned beside their cluster's answers are one target per node.

mod common;

use common::{copy_dir, scan_json, verdicts, with_status};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Copies `fixtures/api/well-run-8x-nodes` into a temporary folder and gives it the
/// certificates its `elasticsearch.yml` files name: one CA, and a leaf per node valid for a year.
fn well_run_node_folders() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "prod-logs test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.not_before = now - time::Duration::days(1);
    ca.not_after = now + time::Duration::days(3650);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/api/well-run-8x-nodes");
    for node in ["es01", "es02", "es03"] {
        let folder = dir.path().join(node);
        std::fs::create_dir_all(folder.join("certs/ca")).unwrap();
        std::fs::create_dir_all(folder.join(format!("certs/{node}"))).unwrap();
        std::fs::copy(
            source.join(node).join("elasticsearch.yml"),
            folder.join("elasticsearch.yml"),
        )
        .unwrap();
        std::fs::write(folder.join("certs/ca/ca.crt"), ca.pem()).unwrap();
        let mut leaf = CertificateParams::new(vec![format!("{node}.prod.example.com")]).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, node);
        leaf.not_before = now - time::Duration::days(1);
        leaf.not_after = now + time::Duration::days(365);
        let key = KeyPair::generate().unwrap();
        let cert = leaf.signed_by(&key, &ca).unwrap();
        std::fs::write(folder.join(format!("certs/{node}/{node}.crt")), cert.pem()).unwrap();
        let key_path = folder.join(format!("certs/{node}/{node}.key"));
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        // A private key readable by others is a finding of its own: keep it owner-only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    dir
}

/// From its API answers alone, a cleanly configured 8.x cluster passes a high gate: the TLS
/// details the nodes info API hides are listed as not judged, one cause per node and layer.
#[test]
fn a_clean_cluster_passes_from_its_api_answers_alone() {
    let (code, report) = scan_json(&["fixtures/api/well-run-8x", "--fail-on", "high"]);
    assert_eq!(code, 0);
    assert!(
        verdicts(&report, "fail").is_empty(),
        "{:?}",
        verdicts(&report, "fail")
    );
    let causes: BTreeSet<(String, String)> = with_status(&report, "error")
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ["es01", "es02", "es03"]
        .iter()
        .flat_map(|n| {
            ["http", "transport"].map(|layer| {
                (
                    format!("node:prod-logs/{n}"),
                    format!(
                        "cannot judge: xpack.security.{layer}.ssl.* (all but enabled) is unknown: \
                         the nodes info API (_nodes/settings) does not return it; scan the node's \
                         elasticsearch.yml to judge it"
                    ),
                )
            })
        })
        .collect();
    assert_eq!(causes, expected);
    // The terminal table shows each cause once, naming the rules it blocks, with no severity.
    let out = common::esaudit()
        .args(["scan", "fixtures/api/well-run-8x"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.contains("not judged")).collect();
    assert_eq!(rows.len(), 6, "{table}");
    for row in rows {
        assert!(row.starts_with("│ -"), "{row}");
        assert!(row.contains("ES-TLS-003, ES-TLS-"), "{row}");
    }
}

/// With its node folders beside it, the same cluster is one target per node, every TLS rule
/// is judged from the files, and a setting the running node does not run as its file says is
/// drift.
#[test]
fn node_folders_beside_their_cluster_are_one_target_per_node() {
    let folders = well_run_node_folders();
    let path = folders.path().to_str().unwrap();
    let (code, report) = scan_json(&["fixtures/api/well-run-8x", path, "--fail-on", "high"]);
    assert_eq!(code, 0, "{:?}", verdicts(&report, "fail"));
    let nodes: Vec<(&str, &str)> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "es_node")
        .map(|t| (t["id"].as_str().unwrap(), t["source"].as_str().unwrap()))
        .collect();
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    for (id, source) in &nodes {
        let node = id.rsplit('/').next().unwrap();
        assert_eq!(
            *source,
            format!("{path}/{node}/elasticsearch.yml + fixtures/api/well-run-8x (_nodes/settings)")
        );
    }
    assert!(
        with_status(&report, "error").is_empty(),
        "{:?}",
        verdicts(&report, "error")
    );
    // Every TLS rule is judged, and passes.
    let tls_passes = with_status(&report, "pass")
        .iter()
        .filter(|r| r["rule"].as_str().unwrap().starts_with("ES-TLS-"))
        .count();
    assert!(tls_passes >= 30, "{tls_passes}");
    let mut expected = BTreeSet::new();
    for n in ["es01", "es02", "es03"] {
        let node = format!("node:prod-logs/{n}");
        // One certificate and one CA serve both layers: true of these files, and medium/low.
        expected.insert(format!(
            "CERT-CA-002 {node} certificate:{path}/{n}/certs/{n}/{n}.crt#CN={n}"
        ));
        expected.insert(format!(
            "CERT-CA-001 {node} certificate:{path}/{n}/certs/ca/ca.crt#CN=prod-logs test CA"
        ));
        // es03's file turns tokens off, the others leave them on (pointed at the first of the
        // rule's security settings, as ES-CLU-001 does).
        expected.insert(format!("ES-CLU-001 {node} setting:xpack.security.enabled"));
    }
    // es03's file says tokens are off; the running node still has them on.
    expected.insert(
        "ES-CFG-006 node:prod-logs/es03 setting:xpack.security.authc.token.enabled".to_string(),
    );
    assert_eq!(verdicts(&report, "fail"), expected);
    let drift = with_status(&report, "fail")
        .into_iter()
        .find(|r| r["rule"] == "ES-CFG-006")
        .unwrap();
    assert_eq!(
        drift["message"],
        "xpack.security.authc.token.enabled: the running node has true, its file says false"
    );
    assert_eq!(drift["location"]["line"], 33);
}

/// `(target, message)` of every result that could not be judged: one per cause.
fn causes(report: &Value) -> BTreeSet<(String, String)> {
    with_status(report, "error")
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn status_of(report: &Value, rule: &str, target: &str) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule && r["target"] == target)
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

const HIDDEN: &str = "is unknown: the nodes info API (_nodes/settings) does not return it; scan \
                      the node's elasticsearch.yml to judge it";

/// A 7.17 cluster on a Platinum licence that never writes `xpack.security.enabled` runs with
/// security on: judged as secured, with only the planted risk and the implicit setting failing.
#[test]
fn a_platinum_7x_cluster_is_secured_by_its_licence() {
    let (code, report) = scan_json(&["fixtures/api/platinum-717"]);
    assert_eq!(code, 1, "the planted role mapping is high");
    let mut expected = BTreeSet::from([
        "RBAC-MAP-003 cluster:logs-platinum role_mapping:ldap-it-superusers".to_string(),
        "RBAC-MAP-004 cluster:logs-platinum role_mapping:ldap-department-readers".to_string(),
    ]);
    let mut hidden = BTreeSet::from([(
        "cluster:logs-platinum".to_string(),
        "cannot judge: the API key's role descriptors are unknown: GET /_security/api_key lists \
         them from Elasticsearch 8.5 on"
            .to_string(),
    )]);
    for n in ["es-a1", "es-a2", "es-a3"] {
        let node = format!("node:logs-platinum/{n}");
        // The implicit, licence-dependent default is itself a (low) finding.
        expected.insert(format!("ES-SEC-002 {node} setting:xpack.security.enabled"));
        for rule in ["ES-SEC-001", "ES-NET-001", "ES-AUD-001"] {
            assert_eq!(status_of(&report, rule, &node), ["pass"], "{rule} {node}");
        }
        for what in [
            "xpack.security.http.ssl.* (all but enabled)",
            "xpack.security.transport.ssl.* (all but enabled)",
            "xpack.security.authc.realms.ldap.ldap1.bind_dn",
            "xpack.security.authc.realms.ldap.ldap1.bind_password",
        ] {
            hidden.insert((node.clone(), format!("cannot judge: {what} {HIDDEN}")));
        }
    }
    assert_eq!(verdicts(&report, "fail"), expected);
    assert_eq!(causes(&report), hidden);
    assert_eq!(
        status_of(&report, "ES-API-003", "cluster:logs-platinum"),
        ["pass"]
    );
    // The scanner holds the 7.x get actions, not manage_security: nothing excessive.
    assert_eq!(
        status_of(&report, "ES-API-015", "cluster:logs-platinum"),
        ["pass"]
    );

    // Live, the same answers give the same verdicts (the unauthenticated probe aside).
    let server = common::es_server::EsServer::start("platinum-717");
    let out = server
        .as_scanner("scan")
        .args(["--format", "json"])
        .output()
        .unwrap();
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    let live_fails: BTreeSet<String> = verdicts(&live, "fail")
        .into_iter()
        .filter(|v| !v.starts_with("ES-API-001") && !v.starts_with("ES-API-002"))
        .collect();
    assert_eq!(live_fails, expected);
    // A 7.17 live scan asks for API keys without the parameters 7.x rejects.
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == "/_security/api_key"),
        "{:?}",
        server.requests()
    );
}

/// The same 7.17 cluster on a Basic licence has security off: critical, on every node.
#[test]
fn a_basic_7x_cluster_without_the_setting_is_not_secured() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("basic-717");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/api/platinum-717"),
        &copy,
    );
    for file in ["licenses.json", "esaudit/xpack_info.json"] {
        let path = copy.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"platinum\"", "\"basic\"")).unwrap();
    }
    let (code, report) = scan_json(&[copy.to_str().unwrap()]);
    assert_eq!(code, 1);
    for n in ["es-a1", "es-a2", "es-a3"] {
        let node = format!("node:logs-platinum/{n}");
        assert_eq!(status_of(&report, "ES-SEC-001", &node), ["fail"], "{node}");
    }
    assert_eq!(
        status_of(&report, "ES-API-003", "cluster:logs-platinum"),
        ["fail"]
    );
}

/// An 8.x cluster as auto-configuration leaves it passes a high gate: the HTTP CA key that
/// enrollment needs is not a finding, nor is audit logging that a Basic licence does not have.
#[test]
fn an_auto_configured_8x_cluster_passes_a_high_gate() {
    let (code, report) = scan_json(&[
        "fixtures/api/autoconf-815",
        "--fail-on",
        "high",
        "--detail",
        "items",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        verdicts(&report, "fail"),
        BTreeSet::from([
            "RBAC-USER-003 cluster:docs-search user:kibana".to_string(),
            "ES-NET-002 node:docs-search/search-01 setting:http.host".to_string(),
        ])
    );
    let node = "node:docs-search/search-01";
    assert_eq!(
        causes(&report),
        BTreeSet::from([
            (
                node.to_string(),
                format!("cannot judge: xpack.security.http.ssl.* (all but enabled) {HIDDEN}")
            ),
            (
                node.to_string(),
                format!("cannot judge: xpack.security.transport.ssl.* (all but enabled) {HIDDEN}")
            ),
        ])
    );
    assert_eq!(status_of(&report, "ES-AUD-001", node), ["not_applicable"]);
    let enrollment_ca: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "CERT-API-003" && r["status"] == "not_applicable")
        .collect();
    // The HTTP CA shows twice in http.p12 (in the leaf's chain and under its own alias), each
    // with an id of its own.
    let objects: BTreeSet<&str> = enrollment_ca
        .iter()
        .map(|r| r["location"]["object"].as_str().unwrap())
        .collect();
    assert_eq!(objects.len(), 2, "{objects:?}");
}

/// A scanner authenticated by an API key: `_security/user/_privileges` refuses it (HTTP 400),
/// so its privileges are those of the key's own role descriptors.
#[test]
fn a_scanner_using_an_api_key_is_judged_by_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("autoconf-apikey");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/api/autoconf-815"),
        &copy,
    );
    let me = |id: &str| {
        serde_json::json!({
            "username": "scanner", "roles": [], "full_name": null, "email": null,
            "metadata": {}, "enabled": true,
            "authentication_realm": {"name": "_es_api_key", "type": "_es_api_key"},
            "lookup_realm": {"name": "_es_api_key", "type": "_es_api_key"},
            "authentication_type": "api_key",
            "api_key": {"id": id, "name": "docs-ingest"}
        })
    };
    std::fs::remove_file(copy.join("esaudit/security_user_privileges.json")).unwrap();
    let manifest_path = copy.join("esaudit_manifest.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["calls"]["security_user_privileges"] = serde_json::json!({
        "status": 400,
        "error": "illegal_argument_exception: Cannot retrieve privileges for API keys"
    });
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let authenticate = copy.join("esaudit/security_authenticate.json");
    std::fs::write(&authenticate, me("uQ7dM2sBf8kLx1Ne5rTy").to_string()).unwrap();
    let (_, report) = scan_json(&[copy.to_str().unwrap()]);
    assert_eq!(
        status_of(&report, "ES-API-015", "cluster:docs-search"),
        ["pass"]
    );
    // A key the API does not list: the scanner's privileges are unknown, and said so.
    std::fs::write(&authenticate, me("not-listed").to_string()).unwrap();
    let (_, report) = scan_json(&[copy.to_str().unwrap()]);
    let api_015: Vec<&Value> = with_status(&report, "error")
        .into_iter()
        .filter(|r| r["rule"] == "ES-API-015")
        .collect();
    assert_eq!(api_015.len(), 1);
    assert_eq!(
        api_015[0]["message"],
        "cannot judge: the scanner's own privileges are unknown: the scanner authenticated with \
         API key \"not-listed\", which GET /_security/api_key does not list"
    );
}
