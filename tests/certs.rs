//! Certificates, stores and keystores generated here (rcgen, openssl, keytool), so the expiry
//! checks stay true over time; then the binary is run on node folders that use them.

mod common;

use assert_cmd::Command;
use common::run;
use esaudit::collect::es_keystore;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use time::{Duration, OffsetDateTime};

const BOOTSTRAP_CANARY: &str = "canary-bootstrap-9f3a";
const STORE_CANARY: &str = "store-canary-pass-71c2";

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>, mode: u32) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn params(cn: &str, sans: &[&str], days_from_now: (i64, i64)) -> CertificateParams {
    let mut p =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    let now = OffsetDateTime::now_utc();
    p.not_before = now + Duration::days(days_from_now.0);
    p.not_after = now + Duration::days(days_from_now.1);
    p
}

fn ca(cn: &str, days: (i64, i64)) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = params(cn, &[], days);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// A leaf signed by `issuer`: (certificate PEM, key PEM).
fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    cn: &str,
    sans: &[&str],
    days: (i64, i64),
    eku: &[ExtendedKeyUsagePurpose],
) -> (String, String) {
    let mut p = params(cn, sans, days);
    p.extended_key_usages = eku.to_vec();
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn scan(paths: &[&Path], env_password: Option<&str>) -> (i32, Value, String) {
    let mut cmd = Command::cargo_bin("esaudit").unwrap();
    // Certificate tests look at each file's verdict, passes included.
    cmd.arg("scan")
        .args(paths)
        .args(["--format", "json", "--detail", "items"])
        .env("NO_COLOR", "1");
    match env_password {
        Some(p) => cmd.env("ESAUDIT_STORE_PASSWORD", p),
        None => cmd.env_remove("ESAUDIT_STORE_PASSWORD"),
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap(), report, all)
}

fn fails<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail" && r["rule"] == rule)
        .collect()
}

/// What a FIPS build says of a PKCS#12 store it will not open (src/collect/security_files.rs).
const NOT_OPENED_BY_FIPS: &str = "this FIPS build does not decrypt PKCS#12 stores";

/// A PKCS#12 store whose contents this build cannot judge: the FIPS build opens none.
fn unopened_in_this_build(file: &str) -> bool {
    cfg!(feature = "fips") && file.ends_with(".p12")
}

/// The FIPS build reports `file` as a store it did not open, as an error of the rules that would
/// have looked inside.
fn assert_not_opened_by_fips(report: &Value, file: &str) {
    let refused = report["results"].as_array().unwrap().iter().any(|r| {
        r["status"] == "error"
            && expected_error(r)
            && r["message"].as_str().is_some_and(|m| m.contains(file))
    });
    assert!(
        refused,
        "{file} is not reported as a store the FIPS build leaves unopened"
    );
}

/// An error the build cannot help: the FIPS build's refusal to open a PKCS#12 store.
fn expected_error(result: &Value) -> bool {
    cfg!(feature = "fips")
        && result["message"]
            .as_str()
            .is_some_and(|m| m.contains(NOT_OPENED_BY_FIPS))
}

fn assert_fails_on(report: &Value, rule: &str, file: &str) {
    if unopened_in_this_build(file) {
        return assert_not_opened_by_fips(report, file);
    }
    let hits = fails(report, rule);
    // The file itself, by name: `ca.crt` must not match `expired-ca.crt`.
    let names = |r: &&Value| {
        // `file:PATH` or `certificate:PATH#SUBJECT`.
        let object = r["location"]["object"].as_str().unwrap();
        let path = object.split_once(':').map_or(object, |(_, p)| p);
        let path = path.split('#').next().unwrap_or(path);
        Path::new(path).file_name().is_some_and(|n| n == file)
    };
    assert!(
        hits.iter().any(names),
        "expected {rule} on {file}; got {:?}",
        hits.iter()
            .map(|r| &r["location"]["object"])
            .collect::<Vec<_>>()
    );
}

/// A node folder with every planted certificate problem.
fn bad_node(root: &Path) -> std::path::PathBuf {
    let dir = root.join("bad/config");
    let certs = dir.join("certs");
    let cluster_ca = ca("Bad Cluster CA", (-30, 3650));
    write(&certs, "ca.crt", cluster_ca.pem(), 0o644);
    write(&certs, "ca.key", cluster_ca.key().serialize_pem(), 0o600);
    // HTTP: names another host, expires in ten days, key readable by everyone.
    let (http, http_key) = leaf(&cluster_ca, "http", &["other.example.com"], (-300, 10), &[]);
    write(&certs, "http.crt", http, 0o644);
    write(&certs, "http.key", http_key, 0o644);
    // Transport: an RSA-1024 key in a PKCS#12 store with an empty password.
    run(
        &certs,
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-keyout",
            "weak.key",
            "-subj",
            "/CN=es-bad",
            "-out",
            "weak.csr",
        ],
    );
    run(
        &certs,
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            "weak.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "365",
            "-out",
            "weak.crt",
        ],
    );
    run(
        &certs,
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            "weak.crt",
            "-inkey",
            "weak.key",
            "-passout",
            "pass:",
            "-out",
            "transport.p12",
        ],
    );
    std::fs::set_permissions(
        certs.join("transport.p12"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    // An expired CA, a SHA-1-signed certificate and a self-signed client certificate.
    let old = ca("Old CA", (-800, -5));
    write(&certs, "expired-ca.crt", old.pem(), 0o644);
    run(
        &certs,
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "sha1.key",
            "-subj",
            "/CN=legacy",
            "-out",
            "sha1.csr",
        ],
    );
    run(
        &certs,
        "openssl",
        &[
            "x509",
            "-req",
            "-sha1",
            "-in",
            "sha1.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "365",
            "-out",
            "sha1.crt",
        ],
    );
    let self_key = KeyPair::generate().unwrap();
    let self_cert = params("self", &["ldap-client"], (-1, 300))
        .self_signed(&self_key)
        .unwrap();
    write(&certs, "self.crt", self_cert.pem(), 0o644);
    write(&certs, "self.key", self_key.serialize_pem(), 0o600);
    // A JKS truststore holding the expired CA.
    run(
        &certs,
        "keytool",
        &[
            "-importcert",
            "-noprompt",
            "-alias",
            "old",
            "-file",
            "expired-ca.crt",
            "-keystore",
            "trust.jks",
            "-storetype",
            "JKS",
            "-storepass",
            "changeit",
        ],
    );
    write(
        &dir,
        "elasticsearch.yml",
        "cluster.name: certs\nnode.name: es-bad\nnetwork.host: 10.9.9.9\nxpack.security.enabled: true\n\
         xpack.security.http.ssl.enabled: true\n\
         xpack.security.http.ssl.certificate: certs/http.crt\n\
         xpack.security.http.ssl.key: certs/http.key\n\
         xpack.security.http.ssl.certificate_authorities: [certs/ca.crt, certs/missing.crt]\n\
         xpack.security.transport.ssl.enabled: true\n\
         xpack.security.transport.ssl.keystore.path: certs/transport.p12\n\
         xpack.security.transport.ssl.certificate_authorities: [certs/ca.crt, certs/expired-ca.crt]\n\
         xpack.security.remote_cluster_client.ssl.certificate_authorities: [certs/sha1.crt]\n\
         xpack.security.remote_cluster_client.ssl.truststore.path: certs/trust.jks\n\
         xpack.security.authc.realms.ldap.corp.order: 0\n\
         xpack.security.authc.realms.ldap.corp.url: ldaps://ldap.example.com\n\
         xpack.security.authc.realms.ldap.corp.ssl.certificate: certs/self.crt\n\
         xpack.security.authc.realms.ldap.corp.ssl.key: certs/self.key\n",
        0o644,
    );
    let keystore = es_keystore::write_for_tests(
        &[
            ("keystore.seed", b"seed"),
            ("bootstrap.password", BOOTSTRAP_CANARY.as_bytes()),
        ],
        None,
        6,
    );
    write(&dir, "elasticsearch.keystore", keystore, 0o644);
    dir
}

/// A node set up the way the guidance says, with fresh certificates.
fn good_node(root: &Path) -> std::path::PathBuf {
    let dir = root.join("good/config");
    let certs = dir.join("certs");
    let http_ca = ca("Good HTTP CA", (-30, 3650));
    let transport_ca = ca("Good Transport CA", (-30, 3650));
    write(&certs, "http-ca.crt", http_ca.pem(), 0o644);
    write(&certs, "transport-ca.crt", transport_ca.pem(), 0o644);
    let (http, http_key) = leaf(
        &http_ca,
        "es-good",
        &["es-good", "10.8.8.8"],
        (-1, 365),
        &[ExtendedKeyUsagePurpose::ServerAuth],
    );
    write(&certs, "http.crt", &http, 0o644);
    write(&certs, "http.key", &http_key, 0o600);
    run(
        &certs,
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            "http.crt",
            "-inkey",
            "http.key",
            "-passout",
            &format!("pass:{STORE_CANARY}"),
            "-out",
            "http.p12",
        ],
    );
    std::fs::set_permissions(
        certs.join("http.p12"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let (t, t_key) = leaf(
        &transport_ca,
        "es-good",
        &["es-good", "10.8.8.8"],
        (-1, 365),
        &[],
    );
    write(&certs, "transport.crt", t, 0o644);
    write(&certs, "transport.key", t_key, 0o600);
    write(
        &dir,
        "elasticsearch.yml",
        "cluster.name: certs\nnode.name: es-good\nnetwork.host: 10.8.8.8\nxpack.security.enabled: true\n\
         xpack.security.http.ssl.enabled: true\n\
         xpack.security.http.ssl.keystore.path: certs/http.p12\n\
         xpack.security.http.ssl.certificate_authorities: certs/http-ca.crt\n\
         xpack.security.transport.ssl.enabled: true\n\
         xpack.security.transport.ssl.verification_mode: full\n\
         xpack.security.transport.ssl.key: certs/transport.key\n\
         xpack.security.transport.ssl.certificate: certs/transport.crt\n\
         xpack.security.transport.ssl.certificate_authorities: certs/transport-ca.crt\n\
         xpack.security.audit.enabled: true\n",
        0o644,
    );
    let keystore = es_keystore::write_for_tests(
        &[("keystore.seed", b"seed")],
        Some("a long keystore passphrase"),
        6,
    );
    write(&dir, "elasticsearch.keystore", keystore, 0o660);
    dir
}

/// A second node with the remaining problems: a CA key on the node, a transport certificate
/// from a public-looking CA that is also the HTTP certificate, limited to serverAuth and valid
/// for five years; an MD5 signature; FIPS mode with an RSA-2048 key; an old, unprotected
/// keystore that repeats a yml setting.
fn second_bad_node(root: &Path) -> std::path::PathBuf {
    let home = root.join("bad2");
    let dir = home.join("config");
    let certs = dir.join("certs");
    std::fs::create_dir_all(home.join("lib")).unwrap();
    std::fs::write(home.join("lib/elasticsearch-8.15.0.jar"), b"").unwrap();
    let public = ca("DigiCert Test Issuing CA", (-30, 3650));
    write(&certs, "public-ca.crt", public.pem(), 0o644);
    write(&certs, "public-ca.key", public.key().serialize_pem(), 0o600);
    let mut p = params("es-two", &["es-two"], (-1, 5 * 365));
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let cert = p.signed_by(&key, &public).unwrap();
    write(&certs, "node.crt", cert.pem(), 0o644);
    write(&certs, "node.key", key.serialize_pem(), 0o600);
    run(
        &certs,
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            "public-ca.crt",
            "-inkey",
            "public-ca.key",
            "-passout",
            "pass:",
            "-out",
            "ca-with-key.p12",
        ],
    );
    std::fs::set_permissions(
        certs.join("ca-with-key.p12"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    run(
        &certs,
        "openssl",
        &[
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "md5.key", "-subj",
            "/CN=md5", "-out", "md5.csr",
        ],
    );
    run(
        &certs,
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "rsa-ca.key",
            "-subj",
            "/CN=RSA CA",
            "-out",
            "rsa-ca.crt",
        ],
    );
    run(
        &certs,
        "openssl",
        &[
            "x509",
            "-req",
            "-md5",
            "-in",
            "md5.csr",
            "-CA",
            "rsa-ca.crt",
            "-CAkey",
            "rsa-ca.key",
            "-CAcreateserial",
            "-days",
            "300",
            "-out",
            "md5.crt",
        ],
    );
    write(
        &dir,
        "elasticsearch.yml",
        concat!(
            "node.name: es-two\n",
            "xpack.security.enabled: true\n",
            "xpack.security.fips_mode.enabled: true\n",
            "xpack.security.http.ssl.enabled: true\n",
            "xpack.security.http.ssl.certificate: certs/node.crt\n",
            "xpack.security.http.ssl.key: certs/node.key\n",
            "xpack.security.http.ssl.certificate_authorities: [certs/public-ca.crt]\n",
            "xpack.security.http.ssl.keystore.password: not-used\n",
            "xpack.security.transport.ssl.enabled: true\n",
            "xpack.security.transport.ssl.certificate: certs/node.crt\n",
            "xpack.security.transport.ssl.key: certs/node.key\n",
            "xpack.security.transport.ssl.certificate_authorities: [certs/public-ca.crt]\n",
            "xpack.http.ssl.certificate_authorities: [certs/md5.crt]\n",
            "xpack.http.ssl.keystore.path: certs/ca-with-key.p12\n",
        ),
        0o644,
    );
    let keystore = es_keystore::write_for_tests(
        &[
            ("keystore.seed", b"seed"),
            ("xpack.security.http.ssl.keystore.secure_password", b"pw"),
        ],
        None,
        5,
    );
    write(&dir, "elasticsearch.keystore", keystore, 0o600);
    dir
}

#[test]
fn more_planted_problems_are_found() {
    let root = tempfile::tempdir().unwrap();
    let dir = second_bad_node(root.path());
    let (_, report, _) = scan(&[&dir], None);
    assert_fails_on(&report, "CERT-EKU-001", "node.crt");
    assert_fails_on(&report, "CERT-LIFE-001", "node.crt");
    assert_fails_on(&report, "CERT-CA-002", "node.crt");
    assert_fails_on(&report, "CERT-CA-003", "public-ca.crt");
    assert_fails_on(&report, "CERT-CA-004", "ca-with-key.p12");
    assert_fails_on(&report, "CERT-SIG-001", "md5.crt");
    assert_fails_on(&report, "CERT-FIPS-001", "node.crt");
    for rule in ["ES-FIPS-006", "ES-KS-003", "ES-KS-005"] {
        assert_fails_on(&report, rule, "elasticsearch.keystore");
    }
}

/// Rules whose problem the generated nodes plant only inside a PKCS#12 store, which the FIPS
/// build does not open.
const PLANTED_ONLY_IN_PKCS12: &[&str] = &["CERT-CA-004", "CERT-KEY-003"];

/// Every certificate and keystore rule fails on one of the generated bad nodes and passes on
/// the good one (or another): a rule that always fails, or never fires, is caught.
#[test]
fn every_file_rule_fails_somewhere_and_passes_elsewhere() {
    let root = tempfile::tempdir().unwrap();
    let dirs = [
        bad_node(root.path()),
        second_bad_node(root.path()),
        wrong_ca_node(root.path()),
        good_node(root.path()),
    ];
    let (_, report, _) = scan(&[&dirs[0], &dirs[1], &dirs[2], &dirs[3]], None);
    // The good node's PKCS#12 store opens with its password; the FIPS key-strength rule runs
    // under the fips profile (or on a node in FIPS mode).
    let (_, opened, _) = scan(&[&dirs[3]], Some(STORE_CANARY));
    let (_, fips) = common::scan_json(&[dirs[3].to_str().unwrap(), "--profile", "fips"]);
    let passes = |rule: &str| {
        [&report, &opened, &fips].iter().any(|report| {
            report["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["rule"] == rule && r["status"] == "pass")
        })
    };
    let out = Command::cargo_bin("esaudit")
        .unwrap()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for r in rules {
        if !["certificate", "security_file", "es_keystore"].contains(&r["scope"].as_str().unwrap())
        {
            continue;
        }
        let id = r["id"].as_str().unwrap();
        if cfg!(feature = "fips") && PLANTED_ONLY_IN_PKCS12.contains(&id) {
            continue;
        }
        assert!(!fails(&report, id).is_empty(), "{id} never fails");
        assert!(passes(id), "{id} never passes");
    }
}

#[test]
fn planted_certificate_problems_are_found() {
    let root = tempfile::tempdir().unwrap();
    let dir = bad_node(root.path());
    let (code, report, all_output) = scan(&[&dir], None);
    assert_eq!(code, 1);
    assert_fails_on(&report, "CERT-SAN-001", "http.crt");
    assert_fails_on(&report, "CERT-EXP-002", "http.crt");
    assert_fails_on(&report, "CERT-KEY-002", "http.key");
    assert_fails_on(&report, "CERT-KEY-001", "transport.p12");
    assert_fails_on(&report, "CERT-KEY-003", "transport.p12");
    assert_fails_on(&report, "CERT-EXP-001", "expired-ca.crt");
    assert_fails_on(&report, "CERT-EXP-001", "trust.jks");
    assert_fails_on(&report, "CERT-SIG-002", "sha1.crt");
    assert_fails_on(&report, "CERT-SELF-001", "self.crt");
    assert_fails_on(&report, "CERT-CA-001", "ca.crt");
    for rule in ["ES-KS-001", "ES-AUTH-010", "ES-KS-002"] {
        assert_fails_on(&report, rule, "elasticsearch.keystore");
    }
    // Evidence carries facts, never key material or secrets.
    let weak = &fails(&report, "CERT-KEY-001")[0];
    assert!(
        weak["evidence"]["actual"]
            .as_str()
            .unwrap()
            .contains("RSA 1024"),
        "{weak}"
    );
    assert!(
        weak["location"]["object"]
            .as_str()
            .unwrap()
            .contains("#CN=es-bad")
    );
    assert!(
        !all_output.contains(BOOTSTRAP_CANARY),
        "bootstrap password leaked"
    );
    assert!(!all_output.contains("PRIVATE KEY"));
    // The absent CA file is an error of the rules that needed it, not an input error.
    let missing: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["status"] == "error" && r["message"].as_str().unwrap().contains("missing.crt")
        })
        .collect();
    assert!(!missing.is_empty());
    assert_eq!(
        missing[0]["location"]["line"], 8,
        "points at the setting naming the file"
    );
    assert!(report["errors"].as_array().unwrap().is_empty());
}

#[test]
fn hardened_node_with_fresh_certificates_is_clean() {
    let root = tempfile::tempdir().unwrap();
    let dir = good_node(root.path());
    let (code, report, all_output) = scan(&[&dir], Some(STORE_CANARY));
    let bad: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            (r["status"] == "error" && !expected_error(r))
                || (r["status"] == "fail"
                    && ["medium", "high", "critical"].contains(&r["severity"].as_str().unwrap()))
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    if unopened_in_this_build("http.p12") {
        assert_not_opened_by_fips(&report, "http.p12");
    } else {
        assert_eq!(code, 0);
    }
    assert!(!all_output.contains(STORE_CANARY));
    // The leaf really is checked against the configured CA, and passes.
    let chain: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "CERT-CHAIN-001")
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert!(chain.contains(&"pass"), "{chain:?}");
}

#[test]
fn store_password_is_needed_to_open_a_protected_store() {
    let root = tempfile::tempdir().unwrap();
    let dir = good_node(root.path());
    let (_, report, _) = scan(&[&dir], None);
    let errors: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "error")
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect();
    let reason = match unopened_in_this_build("http.p12") {
        true => NOT_OPENED_BY_FIPS,
        false => "cannot open",
    };
    assert!(
        errors
            .iter()
            .any(|m| m.contains("http.p12") && m.contains(reason)),
        "{errors:?}"
    );
}

/// A node whose HTTP certificate comes from a CA other than the configured one.
fn wrong_ca_node(root: &Path) -> std::path::PathBuf {
    let dir = root.join("wrong/config");
    let ours = ca("Our CA", (-1, 3650));
    let theirs = ca("Their CA", (-1, 3650));
    write(&dir, "certs/ca.crt", ours.pem(), 0o644);
    let (cert, key) = leaf(&theirs, "es-w", &["es-w"], (-1, 300), &[]);
    write(&dir, "certs/node.crt", cert, 0o644);
    write(&dir, "certs/node.key", key, 0o600);
    write(
        &dir,
        "elasticsearch.yml",
        concat!(
            "node.name: es-w\n",
            "xpack.security.enabled: true\n",
            "xpack.security.http.ssl.enabled: true\n",
            "xpack.security.http.ssl.certificate: certs/node.crt\n",
            "xpack.security.http.ssl.key: certs/node.key\n",
            "xpack.security.http.ssl.certificate_authorities: certs/ca.crt\n",
        ),
        0o644,
    );
    dir
}

#[test]
fn leaf_from_another_ca_is_caught() {
    let root = tempfile::tempdir().unwrap();
    let dir = wrong_ca_node(root.path());
    let (_, report, _) = scan(&[&dir], None);
    assert_fails_on(&report, "CERT-CHAIN-001", "node.crt");
}

#[test]
fn corrupt_and_truncated_files_are_named_errors() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("corrupt/config");
    let good = ca("CA", (-1, 300));
    let pem = good.pem();
    write(&dir, "certs/truncated.crt", &pem[..pem.len() / 2], 0o644);
    write(&dir, "certs/garbage.p12", b"\x30\x82\x01\x00garbage", 0o600);
    write(
        &dir,
        "elasticsearch.keystore",
        b"\x3f\xd7\x6c\x17 not really a keystore at all, sorry",
        0o600,
    );
    write(
        &dir,
        "elasticsearch.yml",
        "xpack.security.enabled: true\nxpack.security.transport.ssl.enabled: true\n\
         xpack.security.transport.ssl.certificate_authorities: certs/truncated.crt\n\
         xpack.security.transport.ssl.keystore.path: certs/garbage.p12\n",
        0o644,
    );
    let (code, report, _) = scan(&[&dir], None);
    assert_ne!(code, 2, "unreadable certificates are not input errors");
    let messages: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "error")
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect();
    for file in ["truncated.crt", "garbage.p12", "elasticsearch.keystore"] {
        assert!(
            messages.iter().any(|m| m.contains(file)),
            "{file}: {messages:?}"
        );
    }
}

#[test]
fn certificate_files_outside_a_node_are_judged_too() {
    let root = tempfile::tempdir().unwrap();
    let old = ca("Stray expired CA", (-400, -1));
    write(root.path(), "stray/old.pem", old.pem(), 0o644);
    let (_, report, _) = scan(&[&root.path().join("stray")], None);
    assert_fails_on(&report, "CERT-EXP-001", "old.pem");
    assert_eq!(report["targets"][0]["kind"], "certificate_files");
}

/// DER certificates, legacy (RC2/3DES) PKCS#12 opened with the password the keystore holds,
/// and encrypted PEM keys are all read.
#[test]
fn every_format_is_read() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("formats/config");
    let certs = dir.join("certs");
    let cluster_ca = ca("Formats CA", (-1, 3650));
    write(&certs, "ca.crt", cluster_ca.pem(), 0o644);
    let (pem, key) = leaf(&cluster_ca, "es-f", &["es-f"], (-1, 300), &[]);
    write(&certs, "node.crt", &pem, 0o644);
    write(&certs, "node.key", &key, 0o600);
    run(
        &certs,
        "openssl",
        &[
            "x509", "-in", "node.crt", "-outform", "DER", "-out", "node.der",
        ],
    );
    run(
        &certs,
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-legacy",
            "-in",
            "node.crt",
            "-inkey",
            "node.key",
            "-passout",
            "pass:from-the-keystore",
            "-out",
            "legacy.p12",
        ],
    );
    run(
        &certs,
        "openssl",
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "node.key",
            "-passout",
            "pass:pem-pass",
            "-out",
            "node-enc.key",
        ],
    );
    for f in ["legacy.p12", "node-enc.key"] {
        std::fs::set_permissions(certs.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    write(
        &dir,
        "elasticsearch.yml",
        concat!(
            "node.name: es-f\n",
            "xpack.security.enabled: true\n",
            "xpack.security.http.ssl.enabled: true\n",
            "xpack.security.http.ssl.certificate: certs/node.der\n",
            "xpack.security.http.ssl.key: certs/node-enc.key\n",
            "xpack.security.http.ssl.certificate_authorities: certs/ca.crt\n",
            "xpack.security.transport.ssl.enabled: true\n",
            "xpack.security.transport.ssl.keystore.path: certs/legacy.p12\n",
            "xpack.security.transport.ssl.certificate_authorities: certs/ca.crt\n",
        ),
        0o644,
    );
    let keystore = es_keystore::write_for_tests(
        &[(
            "xpack.security.transport.ssl.keystore.secure_password",
            b"from-the-keystore",
        )],
        None,
        4,
    );
    write(&dir, "elasticsearch.keystore", keystore, 0o600);
    let (_, report, all) = scan(&[&dir], None);
    let results = report["results"].as_array().unwrap();
    let errors: Vec<_> = results
        .iter()
        .filter(|r| r["status"] == "error" && !expected_error(r))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    for file in ["node.der", "legacy.p12"] {
        if unopened_in_this_build(file) {
            assert_not_opened_by_fips(&report, file);
            continue;
        }
        let judged = results.iter().any(|r| {
            r["rule"] == "CERT-CHAIN-001"
                && r["status"] == "pass"
                && r["location"]["object"].as_str().unwrap().contains(file)
        });
        assert!(judged, "{file} was not checked against the CA");
    }
    assert!(!all.contains("from-the-keystore") && !all.contains("pem-pass"));
}

/// Where the bundled hardened example keeps the certificates its `elasticsearch.yml` names.
const HARDENED_CERTS: &str = "fixtures/hardened-node/config/certs";
/// The committed certificates must be renewed this long before a leaf expires, well before
/// CERT-EXP-002's default 30-day window would show on the example.
const RENEW_BEFORE_DAYS: i64 = 120;

/// The certificates of `fixtures/hardened-node`, issued the way its settings expect: one CA per
/// layer plus the LDAP server's CA, RSA-2048 node keys (the transport cipher list is ECDHE_RSA for
/// TLS 1.2), names covering the node's name and address, no extended key usage on the transport
/// certificate (mutual TLS), leaves valid for three years (CERT-LIFE-001's limit).
fn write_hardened_certificates(certs: &Path, key_mode: u32) {
    let node_names = ["es-01", "10.0.1.11"];
    for (layer, eku) in [
        ("http", vec![ExtendedKeyUsagePurpose::ServerAuth]),
        ("transport", vec![]),
    ] {
        let issuer = ca(&format!("prod-logs {layer} CA"), (-1, 3650));
        let mut p = params("es-01", &node_names, (-1, 1095));
        p.extended_key_usages = eku;
        let key =
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
        let cert = p.signed_by(&key, &issuer).unwrap();
        write(certs, &format!("{layer}-ca.crt"), issuer.pem(), 0o644);
        write(certs, &format!("{layer}.crt"), cert.pem(), 0o644);
        write(
            certs,
            &format!("{layer}.key"),
            key.serialize_pem(),
            key_mode,
        );
    }
    write(
        certs,
        "corp-ca.crt",
        ca("Corp LDAP CA", (-1, 3650)).pem(),
        0o644,
    );
}

/// Renews the committed certificates of the hardened example (see its certs/README.md):
/// `cargo test --test certs -- --ignored renew_hardened_node_certificates`.
#[test]
#[ignore = "writes into fixtures/: run by hand to renew the example's certificates"]
fn renew_hardened_node_certificates() {
    write_hardened_certificates(Path::new(HARDENED_CERTS), 0o644);
}

/// Every result of a scan, as (rule, status) pairs, sorted.
fn statuses(report: &Value) -> Vec<(String, String)> {
    let mut all: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

/// The example scans clean: nothing fails, nothing is left unjudged, and the only waived
/// findings are the committed keys' git file mode, as its inline comments say.
fn assert_hardened_clean(code: i32, report: &Value) {
    let unclean: Vec<_> = statuses(report)
        .into_iter()
        .filter(|(rule, status)| {
            status == "fail" || status == "error" || (status == "waived" && rule != "CERT-KEY-002")
        })
        .collect();
    assert!(unclean.is_empty(), "{unclean:?}");
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{:#}",
        report["errors"]
    );
    assert_eq!(code, 0);
    // Every certificate rule was judged on every file the settings name.
    let judged = |rule: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == rule && r["status"] == "pass")
            .count()
    };
    assert_eq!(
        judged("CERT-EXP-001"),
        5,
        "three CAs and two node certificates"
    );
    assert_eq!(
        judged("CERT-CHAIN-001"),
        2,
        "both node certificates chain to their CA"
    );
    assert_eq!(judged("CERT-SAN-001"), 2);
    assert_eq!(judged("CERT-LIFE-001"), 2);
}

#[test]
fn bundled_hardened_node_scans_clean() {
    let (code, report, _) = scan(&[Path::new("fixtures/hardened-node")], None);
    assert_hardened_clean(code, &report);
    // The committed certificates age: fail well before the example would show it.
    for entry in std::fs::read_dir(HARDENED_CERTS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "crt") {
            let seconds = (RENEW_BEFORE_DAYS * 86_400).to_string();
            let lasts = std::process::Command::new("openssl")
                .args(["x509", "-noout", "-checkend", &seconds, "-in"])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                lasts.status.success(),
                "{} expires within {RENEW_BEFORE_DAYS} days; renew the example's certificates: \
                 cargo test --test certs -- --ignored renew_hardened_node_certificates",
                path.display()
            );
        }
    }
}

#[test]
fn hardened_example_with_certificates_issued_today_is_clean() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("hardened-node");
    common::copy_dir(Path::new("fixtures/hardened-node"), &home);
    // As git checks the example out (0644): the two inline waivers are used.
    write_hardened_certificates(&home.join("config/certs"), 0o644);
    let (code, report, _) = scan(&[&home], None);
    assert_hardened_clean(code, &report);
    let waived: Vec<_> = statuses(&report)
        .into_iter()
        .filter(|(_, s)| s == "waived")
        .collect();
    assert_eq!(waived.len(), 2, "{waived:?}");
    // With the mode a node should have, nothing is waived and the comments are reported unused.
    write_hardened_certificates(&home.join("config/certs"), 0o640);
    let (code, report, _) = scan(&[&home], None);
    assert_hardened_clean(code, &report);
    assert!(statuses(&report).iter().all(|(_, s)| s != "waived"));
    assert_eq!(report["waivers"]["unused"].as_array().unwrap().len(), 2);
}

/// Key types beyond RSA and EC, made by openssl: DSA of 1024 bits is weak (CERT-KEY-001
/// fails), DSA of 2048 bits and Ed25519 are not (it passes on them).
#[test]
fn dsa_and_ed25519_keys_are_judged_by_their_strength() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config");
    let certs = config.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    for (name, keygen) in [
        (
            "dsa1024",
            vec!["-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:1024"],
        ),
        (
            "dsa2048",
            vec!["-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:2048"],
        ),
        ("ed25519", vec!["-algorithm", "ED25519"]),
    ] {
        if name.starts_with("dsa") {
            let mut args = vec!["genpkey", "-genparam"];
            args.extend(&keygen);
            args.extend(["-out", "params.pem"]);
            run(&certs, "openssl", &args);
            run(
                &certs,
                "openssl",
                &[
                    "genpkey",
                    "-paramfile",
                    "params.pem",
                    "-out",
                    &format!("{name}.key"),
                ],
            );
        } else {
            let mut args = vec!["genpkey"];
            args.extend(&keygen);
            let out = format!("{name}.key");
            args.extend(["-out", &out]);
            run(&certs, "openssl", &args);
        }
        run(
            &certs,
            "openssl",
            &[
                "req",
                "-x509",
                "-key",
                &format!("{name}.key"),
                "-subj",
                &format!("/CN={name}"),
                "-days",
                "30",
                "-out",
                &format!("{name}.crt"),
            ],
        );
    }
    std::fs::write(
        config.join("elasticsearch.yml"),
        "cluster.name: keys\nnode.name: keys-1\nxpack.security.enabled: true\n\
         xpack.security.http.ssl.enabled: true\n\
         xpack.security.http.ssl.certificate_authorities: \
         [certs/dsa1024.crt, certs/dsa2048.crt, certs/ed25519.crt]\n",
    )
    .unwrap();
    let (_, report) = common::scan_json(&[
        root.path().to_str().unwrap(),
        "--select",
        "CERT-KEY-001",
        "--detail",
        "items",
    ]);
    let verdicts: BTreeSet<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let object = r["location"]["object"].as_str().unwrap();
            let name = object
                .rsplit('/')
                .next()
                .unwrap()
                .split('#')
                .next()
                .unwrap();
            (name.to_string(), r["status"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        verdicts,
        BTreeSet::from([
            ("dsa1024.crt".to_string(), "fail".to_string()),
            ("dsa2048.crt".to_string(), "pass".to_string()),
            ("ed25519.crt".to_string(), "pass".to_string()),
        ])
    );
}

/// A keystore written by Elasticsearch's own `elasticsearch-keystore` (7.x, format 4, no
/// password), not by the project's writer: the header, checksum and cipher are read as
/// Elasticsearch writes them, and the entry names come out. Source in tests/data/README.md.
#[test]
fn a_keystore_written_by_elasticsearch_is_read() {
    let data = std::fs::read("tests/data/keystores/elasticsearch-7x-public.keystore").unwrap();
    let (facts, problem) = es_keystore::read(&data).unwrap();
    assert_eq!(problem, None);
    assert_eq!(facts.version, 4);
    assert!(!facts.password_protected);
    assert_eq!(facts.entries, Some(vec!["keystore.seed".to_string()]));
    // One flipped byte is a checksum mismatch, never a silent success.
    let mut altered = data.clone();
    altered[60] ^= 1;
    assert!(
        es_keystore::read(&altered)
            .unwrap_err()
            .contains("checksum mismatch")
    );
}
