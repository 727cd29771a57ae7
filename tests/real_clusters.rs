//! Clusters as they really answer (issue 17): what the nodes info API hides is unknown, never
//! a default; a 7.x cluster's security follows its licence; 7.x API keys show no role
//! descriptors; node folders scanned beside their cluster's answers are one target per node.

mod common;

use common::{scan_json, with_status};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// `rule target object` of every result with `status`.
fn verdicts(report: &Value, status: &str) -> BTreeSet<String> {
    with_status(report, status)
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["rule"].as_str().unwrap(),
                r["target"].as_str().unwrap(),
                r["location"]["object"].as_str().unwrap()
            )
        })
        .collect()
}

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
