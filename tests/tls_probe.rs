//! The TLS prober against real `openssl s_server` processes on 127.0.0.1, and against small
//! servers written here for what Debian's OpenSSL 3 no longer has (SSLv3, RC4, 3DES), for a
//! server that never answers and one that answers garbage. Every verdict is compared with what
//! the server was configured to do.

mod common;

use assert_cmd::Command;
use common::run;
use common::s_server::{SServer, free_port, s_server};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// A CA and leaves, written as PEM files in a temporary folder.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, "Test CA");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let now = OffsetDateTime::now_utc();
        p.not_before = now - time::Duration::days(30);
        p.not_after = now + time::Duration::days(3650);
        let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("ca.key"), ca.key().serialize_pem()).unwrap();
        Pki { dir, ca }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A leaf with an RSA-2048 key (so RSA key exchange suites are available), valid for
    /// `days` around now: (cert path, key path).
    fn leaf(&self, name: &str, sans: &[&str], days: (i64, i64)) -> (PathBuf, PathBuf) {
        let mut p =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        let now = OffsetDateTime::now_utc();
        p.not_before = now + time::Duration::days(days.0);
        p.not_after = now + time::Duration::days(days.1);
        let key =
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
        let cert = p.signed_by(&key, &self.ca).unwrap();
        let (c, k) = (
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}.key")),
        );
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }

    /// A leaf made with openssl: a key of `bits` bits signed with `digest`.
    fn openssl_leaf(&self, name: &str, bits: u32, digest: &str) -> (PathBuf, PathBuf) {
        let dir = self.dir.path();
        std::fs::write(
            dir.join(format!("{name}.ext")),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        run(
            dir,
            "openssl",
            &[
                "req",
                "-new",
                "-newkey",
                &format!("rsa:{bits}"),
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-subj",
                &format!("/CN={name}"),
                "-out",
                &format!("{name}.csr"),
            ],
        );
        run(
            dir,
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                &format!("-{digest}"),
                "-days",
                "365",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
        (
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}.key")),
        )
    }
}

fn scan(targets: &[String], extra: &[&str]) -> (i32, Value, Duration) {
    let mut cmd = Command::cargo_bin("esaudit").unwrap();
    cmd.arg("scan")
        .args(["--format", "json", "--fail-on", "none"]);
    for t in targets {
        cmd.args(["--tls", t]);
    }
    cmd.args(extra);
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed();
    common::assert_no_progress(&String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    record(&report);
    (out.status.code().unwrap(), report, took)
}

/// Every status each endpoint rule had in this test process's scans, for
/// [`every_endpoint_rule_fails_somewhere_and_passes_elsewhere`].
static SEEN: std::sync::Mutex<
    std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
> = std::sync::Mutex::new(std::collections::BTreeMap::new());

fn record(report: &Value) {
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    for r in report["results"].as_array().into_iter().flatten() {
        if let (Some(rule), Some(status)) = (r["rule"].as_str(), r["status"].as_str()) {
            seen.entry(rule.to_string())
                .or_default()
                .insert(status.to_string());
        }
    }
}

fn status<'a>(report: &'a Value, target: &str, rule: &str) -> &'a str {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule && r["target"] == target)
        .unwrap_or_else(|| panic!("no result of {rule} on {target}"))["status"]
        .as_str()
        .unwrap()
}

fn grade(report: &Value, target: &str) -> String {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == target)
        .unwrap()["grade"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// Expected status per rule; rules not named must pass (or be not applicable).
fn expect(report: &Value, target: &str, failing: &[&str]) {
    for r in report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == target)
    {
        let rule = r["rule"].as_str().unwrap();
        let want_fail = failing.contains(&rule);
        let status = r["status"].as_str().unwrap();
        assert!(
            if want_fail {
                status == "fail"
            } else {
                status == "pass" || status == "not_applicable"
            },
            "{target}: {rule} is {status}: {}",
            r["message"]
        );
    }
    for rule in failing {
        assert_eq!(status(report, target, rule), "fail", "{target}: {rule}");
    }
}

fn ca_arg(pki: &Pki) -> Vec<String> {
    vec!["--ca-cert".into(), pki.path("ca.pem").display().to_string()]
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn modern_servers_are_graded_and_enumerated() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (cert, key) = pki.leaf("good", &["127.0.0.1", "localhost"], (-1, 365));
        let only13 = s_server(&cert, &key, &["-tls1_3"]);
        let strong = s_server(
            &cert,
            &key,
            &["-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM"],
        );
        let t13 = format!("127.0.0.1:{}=http", only13.port);
        let t12 = format!("127.0.0.1:{}=http", strong.port);
        let ca = ca_arg(&pki);
        let (code, report, _) = scan(&[t13.clone(), t12.clone()], &args(&ca));
        assert_eq!(code, 0, "{report:#}");
        let id13 = format!("endpoint:127.0.0.1:{}", only13.port);
        let id12 = format!("endpoint:127.0.0.1:{}", strong.port);
        expect(&report, &id13, &[]);
        expect(&report, &id12, &[]);
        // CBC with SHA-1 is a strict-profile rule: AES-GCM only passes it.
        let (_, strict, _) = scan(
            std::slice::from_ref(&t12),
            &[&args(&ca)[..], &["--profile", "strict"]].concat(),
        );
        assert_eq!(status(&strict, &id12, "TLS-SUITE-003"), "pass");
        assert_eq!(grade(&report, &id13), "A");
        assert_eq!(grade(&report, &id12), "A");
        // No location path: the object names the endpoint (each item's own result, so
        // every item is listed).
        let (_, items, _) = scan(
            std::slice::from_ref(&t13),
            &[&args(&ca)[..], &["--detail", "items"]].concat(),
        );
        let r = items["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["target"] == id13.as_str())
            .unwrap();
        assert_eq!(r["location"]["object"], id13.as_str());
        assert!(r["location"].get("path").is_none());

        // The facts themselves, from the library.
        let opts = esaudit::collect::tls_probe::ProbeOptions {
            ca_certs: vec![pki.path("ca.pem")],
            ..Default::default()
        };
        let specs: Vec<_> = [&t13, &t12]
            .iter()
            .map(|t| esaudit::evidence::endpoint::EndpointSpec::parse(t).unwrap())
            .collect();
        let eps = esaudit::collect::tls_probe::probe_all(&specs, &opts);
        assert_eq!(eps[0].protocols, ["TLSv1.3"]);
        let mut s13 = eps[0].suites["TLSv1.3"].clone();
        s13.sort();
        assert_eq!(
            s13,
            [
                "TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256"
            ]
        );
        assert_eq!(eps[1].protocols, ["TLSv1.2", "TLSv1.3"]);
        let mut s12 = eps[1].suites["TLSv1.2"].clone();
        s12.sort();
        assert_eq!(
            s12,
            [
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
            ]
        );
        assert!(eps[1].trusted && eps[1].name_matches);
        assert!(!eps[1].client_cert_requested);
        assert_eq!(eps[1].chain.len(), 1);
    });
}

#[test]
fn legacy_protocols_and_weak_suites_are_found() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (cert, key) = pki.leaf("legacy", &["127.0.0.1"], (-1, 365));
        let legacy = s_server(
            &cert,
            &key,
            &["-min_protocol", "TLSv1", "-cipher", "DEFAULT@SECLEVEL=0"],
        );
        let ca = ca_arg(&pki);
        let target = format!("127.0.0.1:{}", legacy.port);
        let (_, report, _) = scan(std::slice::from_ref(&target), &args(&ca));
        let id = format!("endpoint:{target}");
        let opts = esaudit::collect::tls_probe::ProbeOptions {
            ca_certs: vec![pki.path("ca.pem")],
            ..Default::default()
        };
        let ep = &esaudit::collect::tls_probe::probe_all(
            &[esaudit::evidence::endpoint::EndpointSpec::parse(&target).unwrap()],
            &opts,
        )[0];
        assert_eq!(ep.protocols, ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);
        // The truth: the suites OpenSSL enables for this cipher string, less those an RSA
        // certificate cannot serve (ECDSA, DSS) and those needing a PSK or SRP.
        let out = std::process::Command::new("openssl")
            .args(["ciphers", "-stdname", "-s", "-tls1_2", "DEFAULT@SECLEVEL=0"])
            .output()
            .unwrap();
        let mut truth: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|n| {
                n.starts_with("TLS_") && !n.starts_with("TLS_AES") && !n.starts_with("TLS_CHACHA")
            })
            .filter(|n| {
                !n.contains("ECDSA")
                    && !n.contains("DSS")
                    && !n.contains("PSK")
                    && !n.contains("SRP")
            })
            .collect();
        truth.sort();
        let mut found = ep.suites["TLSv1.2"].clone();
        found.sort();
        assert_eq!(found, truth);
        assert!(
            ep.non_pfs_suites
                .contains(&"TLS_RSA_WITH_AES_128_CBC_SHA".to_string())
        );
        assert!(
            ep.cbc_sha1_suites
                .contains(&"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA".to_string())
        );
        assert!(ep.suites["TLSv1"].contains(&"TLS_RSA_WITH_AES_256_CBC_SHA".to_string()));
        assert_eq!(
            ep.server_order,
            Some(false),
            "s_server follows the client's order by default"
        );
        expect(&report, &id, &["TLS-PROTO-002", "TLS-SUITE-002"]);
        assert_eq!(grade(&report, &id), "B");
        // CBC-SHA1 is a strict-profile rule.
        let (_, strict, _) = scan(
            &[target],
            &[&args(&ca)[..], &["--profile", "strict"]].concat(),
        );
        assert_eq!(status(&strict, &id, "TLS-SUITE-003"), "fail");
    });
}

#[test]
fn server_order_is_detected() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (cert, key) = pki.leaf("order", &["127.0.0.1"], (-1, 365));
        let server = s_server(
            &cert,
            &key,
            &[
                "-no_tls1_3",
                "-serverpref",
                "-cipher",
                "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384",
            ],
        );
        let spec =
            esaudit::evidence::endpoint::EndpointSpec::parse(&format!("127.0.0.1:{}", server.port))
                .unwrap();
        let ep = &esaudit::collect::tls_probe::probe_all(&[spec], &Default::default())[0];
        assert_eq!(ep.protocols, ["TLSv1.2"]);
        assert_eq!(ep.server_order, Some(true));
        assert_eq!(
            ep.suites["TLSv1.2"],
            [
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
            ]
        );
    });
}

#[test]
fn certificate_problems_are_found() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (expired_c, expired_k) = pki.leaf("expired", &["127.0.0.1"], (-400, -10));
        let (other_c, other_k) = pki.leaf("other", &["other.example.com"], (-1, 365));
        let (weak_c, weak_k) = pki.openssl_leaf("weak", 1024, "sha256");
        let (sha1_c, sha1_k) = pki.openssl_leaf("sha1", 2048, "sha1");
        let lax = ["-cipher", "DEFAULT@SECLEVEL=0"];
        let expired = s_server(&expired_c, &expired_k, &lax);
        let other = s_server(&other_c, &other_k, &lax);
        let weak = s_server(&weak_c, &weak_k, &lax);
        let sha1 = s_server(&sha1_c, &sha1_k, &lax);
        let (good_c, good_k) = pki.leaf("selfish", &["127.0.0.1"], (-1, 365));
        let untrusted = s_server(&good_c, &good_k, &lax);
        let t = |s: &SServer| format!("127.0.0.1:{}=http", s.port);
        let id = |s: &SServer| format!("endpoint:127.0.0.1:{}", s.port);
        let ca = ca_arg(&pki);
        let (_, report, _) = scan(&[t(&expired), t(&other), t(&weak), t(&sha1)], &args(&ca));
        let chain_rules = |report: &Value, s: &SServer| -> Vec<String> {
            [
                "TLS-CERT-001",
                "TLS-CERT-002",
                "TLS-CERT-003",
                "TLS-CERT-004",
                "TLS-CERT-005",
            ]
            .iter()
            .filter(|r| status(report, &id(s), r) == "fail")
            .map(|r| r.to_string())
            .collect()
        };
        assert_eq!(chain_rules(&report, &expired), ["TLS-CERT-001"]);
        assert_eq!(chain_rules(&report, &other), ["TLS-CERT-005"]);
        assert_eq!(chain_rules(&report, &weak), ["TLS-CERT-002"]);
        // webpki refuses SHA-1 signatures, so the chain is untrusted as well.
        assert_eq!(
            chain_rules(&report, &sha1),
            ["TLS-CERT-003", "TLS-CERT-004"]
        );
        for s in [&expired, &other, &sha1] {
            assert_eq!(grade(&report, &id(s)), "T", "{}", id(s));
        }
        assert_eq!(grade(&report, &id(&weak)), "B");
        // Without --ca-cert the private CA is not trusted (public roots only).
        let (_, report, _) = scan(&[t(&untrusted)], &[]);
        assert_eq!(chain_rules(&report, &untrusted), ["TLS-CERT-004"]);
    });
}

#[test]
fn client_certificates_requested_and_required() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (cert, key) = pki.leaf("node", &["127.0.0.1"], (-1, 365));
        let ca_pem = pki.path("ca.pem").display().to_string();
        let required13 = s_server(&cert, &key, &["-Verify", "1", "-CAfile", &ca_pem]);
        let required12 = s_server(
            &cert,
            &key,
            &["-no_tls1_3", "-Verify", "1", "-CAfile", &ca_pem],
        );
        let optional = s_server(&cert, &key, &["-verify", "1", "-CAfile", &ca_pem]);
        let none = s_server(&cert, &key, &[]);
        let t = |s: &SServer| format!("127.0.0.1:{}=transport", s.port);
        let id = |s: &SServer| format!("endpoint:127.0.0.1:{}", s.port);
        let ca = ca_arg(&pki);
        let (_, report, _) = scan(
            &[t(&required13), t(&required12), t(&optional), t(&none)],
            &args(&ca),
        );
        assert_eq!(status(&report, &id(&required13), "TLS-AUTH-001"), "pass");
        assert_eq!(status(&report, &id(&required12), "TLS-AUTH-001"), "pass");
        assert_eq!(status(&report, &id(&optional), "TLS-AUTH-001"), "fail");
        assert_eq!(status(&report, &id(&none), "TLS-AUTH-001"), "fail");
        // The chain is still read from a server that refuses us.
        assert_eq!(status(&report, &id(&required12), "TLS-CERT-004"), "pass");
        let specs: Vec<_> = [&optional, &none]
            .iter()
            .map(|s| esaudit::evidence::endpoint::EndpointSpec::parse(&t(s)).unwrap())
            .collect();
        let eps = esaudit::collect::tls_probe::probe_all(&specs, &Default::default());
        assert!(eps[0].client_cert_requested && !eps[0].client_cert_required);
        assert!(!eps[1].client_cert_requested && !eps[1].client_cert_required);
        // An HTTP endpoint is not judged on it.
        let (_, report, _) = scan(&[format!("127.0.0.1:{}=http", none.port)], &args(&ca));
        assert_eq!(
            status(&report, &id(&none), "TLS-AUTH-001"),
            "not_applicable"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Servers OpenSSL 3 cannot be: SSLv3, RC4, 3DES.

/// Answers each ClientHello like a server that speaks only `versions` and `suites`: a
/// ServerHello choosing the client's version (or the server's best below it) and the first
/// offered suite it has, then its certificate and ServerHelloDone.
fn legacy_server(
    versions: &'static [u16],
    suites: &'static [u16],
    cert_der: Vec<u8>,
    stats: Arc<Stats>,
) -> u16 {
    legacy_server_with(versions, suites, cert_der, stats, false)
}

/// [`legacy_server`], with a CertificateRequest before ServerHelloDone when `request_cert`.
fn legacy_server_with(
    versions: &'static [u16],
    suites: &'static [u16],
    cert_der: Vec<u8>,
    stats: Arc<Stats>,
    request_cert: bool,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let cert = cert_der.clone();
            stats.total.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = [0u8; 5];
                if conn.read_exact(&mut head).is_err() {
                    return;
                }
                let len = u16::from_be_bytes([head[3], head[4]]) as usize;
                let mut body = vec![0u8; len];
                if conn.read_exact(&mut body).is_err() {
                    return;
                }
                let mut record = head.to_vec();
                record.extend_from_slice(&body);
                let Some((offered, offered_suites)) = client_hello_offer(&record) else {
                    return;
                };
                let chosen = versions.iter().copied().filter(|v| *v <= offered).max();
                let suite = offered_suites.into_iter().find(|c| suites.contains(c));
                let (Some(version), Some(suite)) = (chosen, suite) else {
                    let _ = conn.write_all(&[0x15, 3, 1, 0, 2, 2, 40]);
                    return;
                };
                let mut sh = Vec::new();
                sh.extend_from_slice(&version.to_be_bytes());
                sh.extend_from_slice(&[7u8; 32]);
                sh.push(0);
                sh.extend_from_slice(&suite.to_be_bytes());
                sh.push(0);
                let mut hs = vec![2];
                hs.extend_from_slice(&(sh.len() as u32).to_be_bytes()[1..]);
                hs.extend_from_slice(&sh);
                let mut certs = Vec::new();
                certs.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
                certs.extend_from_slice(&cert);
                let mut cm = Vec::new();
                cm.extend_from_slice(&(certs.len() as u32).to_be_bytes()[1..]);
                cm.extend_from_slice(&certs);
                hs.push(11);
                hs.extend_from_slice(&(cm.len() as u32).to_be_bytes()[1..]);
                hs.extend_from_slice(&cm);
                if request_cert {
                    // rsa_sign, no signature algorithms (TLS <= 1.1), no CA names.
                    hs.extend_from_slice(&[13, 0, 0, 4, 1, 1, 0, 0]);
                }
                hs.extend_from_slice(&[14, 0, 0, 0]);
                let mut out = vec![0x16];
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(&(hs.len() as u16).to_be_bytes());
                out.extend_from_slice(&hs);
                let _ = conn.write_all(&out);
                // Wait for the client to give up, as a real server would.
                let mut sink = [0u8; 64];
                let _ = conn.read(&mut sink);
            });
        }
    });
    port
}

/// The version and suites a ClientHello record offers: after the record and handshake headers
/// come the version, the random, the session id and the suites.
fn client_hello_offer(record: &[u8]) -> Option<(u16, Vec<u16>)> {
    let body = record.get(9..)?;
    let version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let at = 35 + usize::from(*body.get(34)?);
    let len = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let suites = body
        .get(at + 2..at + 2 + len)?
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    Some((version, suites))
}

/// Connections a test server accepted.
#[derive(Default)]
struct Stats {
    total: AtomicUsize,
}

#[test]
fn sslv3_rc4_and_3des_are_detected() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (cert, _) = pki.leaf("old", &["127.0.0.1"], (-1, 365));
        let der = rustls_pemfile_free(&cert);
        // SSLv3 and TLS 1.0; RC4-SHA, 3DES and an EXPORT suite.
        let stats = Arc::new(Stats::default());
        let port = legacy_server(
            &[0x0300, 0x0301],
            &[0x0005, 0x000a, 0x0003],
            der,
            stats.clone(),
        );
        let target = format!("127.0.0.1:{port}");
        let id = format!("endpoint:{target}");
        let ca = ca_arg(&pki);
        let (_, report, _) = scan(std::slice::from_ref(&target), &args(&ca));
        let spec = esaudit::evidence::endpoint::EndpointSpec::parse(&target).unwrap();
        let opts = esaudit::collect::tls_probe::ProbeOptions {
            ca_certs: vec![pki.path("ca.pem")],
            ..Default::default()
        };
        let ep = &esaudit::collect::tls_probe::probe_all(&[spec], &opts)[0];
        assert_eq!(ep.protocols, ["SSLv3", "TLSv1"]);
        let mut suites = ep.suites["SSLv3"].clone();
        suites.sort();
        assert_eq!(
            suites,
            [
                "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
                "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
                "TLS_RSA_WITH_RC4_128_SHA"
            ]
        );
        // The chain comes from the plaintext Certificate message (rustls cannot talk to it).
        assert_eq!(ep.chain.len(), 1);
        expect(
            &report,
            &id,
            &[
                "TLS-PROTO-001",
                "TLS-PROTO-002",
                "TLS-PROTO-003",
                "TLS-SUITE-001",
                "TLS-SUITE-002",
            ],
        );
        assert_eq!(grade(&report, &id), "F");
        // Two scans (the binary's and the library's), each a bounded number of connections:
        // 5 protocols, 2 x 3 suites to enumerate, 2 for the order, 1 full handshake.
        let total = stats.total.load(Ordering::SeqCst);
        assert!(total <= 2 * 16, "{total} connections for two scans");
    });
}

fn rustls_pemfile_free(pem: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(pem).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    data_encoding::BASE64.decode(b64.as_bytes()).unwrap()
}

#[test]
fn silent_garbage_and_closed_endpoints_are_errors_without_hanging() {
    // Accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut keep = Vec::new();
        for c in silent.incoming().flatten() {
            keep.push(c);
        }
    });
    // Answers like an HTTP server.
    let garbage = TcpListener::bind("127.0.0.1:0").unwrap();
    let garbage_port = garbage.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in garbage.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = c.read(&mut buf);
            let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let closed_port = free_port();
    let targets: Vec<String> = [silent_port, garbage_port, closed_port]
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect();
    let (code, report, took) = scan(&targets, &["--timeout", "1"]);
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(
        code, 2,
        "an endpoint the user named that cannot be probed is an input error"
    );
    assert_eq!(report["score"]["grade"], Value::Null);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    for (port, why) in [
        (silent_port, "no answer in time"),
        (garbage_port, "not TLS"),
        (closed_port, "cannot connect"),
    ] {
        let id = format!("endpoint:127.0.0.1:{port}");
        let results: Vec<&Value> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["target"] == id.as_str())
            .collect();
        assert!(!results.is_empty());
        for r in results {
            assert_eq!(r["status"], "error", "{r}");
            assert!(r["message"].as_str().unwrap().contains(why), "{r}");
        }
        assert_eq!(grade(&report, &id), "");
        let error = errors
            .iter()
            .find(|e| e["path"] == format!("127.0.0.1:{port}"))
            .unwrap();
        assert!(error["message"].as_str().unwrap().contains(why), "{error}");
    }
}

#[test]
fn usage_errors() {
    let mut cmd = Command::cargo_bin("esaudit").unwrap();
    let out = cmd.args(["scan", "--tls", "nohost"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOST:PORT"));
}

#[test]
fn legacy_only_transport_client_auth_is_an_error_not_a_guess() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (cert, _) = pki.leaf("old", &["127.0.0.1"], (-1, 365));
        let der = rustls_pemfile_free(&cert);
        let stats = Arc::new(Stats::default());
        // TLS 1.0 only, asking for a client certificate: rustls cannot finish a handshake, so
        // whether one is required cannot be known.
        let asking = legacy_server_with(
            &[0x0301],
            &[0xc013, 0x002f],
            der.clone(),
            stats.clone(),
            true,
        );
        // TLS 1.0 only, not asking: its first flight proves no certificate is wanted.
        let silent = legacy_server_with(&[0x0301], &[0xc013, 0x002f], der, stats, false);
        let t = |p: u16| format!("127.0.0.1:{p}=transport");
        let id = |p: u16| format!("endpoint:127.0.0.1:{p}");
        let ca = ca_arg(&pki);
        let (_, report, _) = scan(&[t(asking), t(silent)], &args(&ca));
        let result = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "TLS-AUTH-001" && r["target"] == id(asking).as_str())
            .unwrap();
        assert_eq!(result["status"], "error", "{result}");
        let message = result["message"].as_str().unwrap();
        assert!(message.contains("TLS 1.1 or older"), "{message}");
        assert_eq!(status(&report, &id(silent), "TLS-AUTH-001"), "fail");
        // The protocol rules still judge what was seen.
        assert_eq!(status(&report, &id(asking), "TLS-PROTO-002"), "fail");
    });
}

#[test]
fn endpoint_time_limit_stops_the_probe_with_an_error() {
    // Answers every ClientHello with handshake_failure, but only after 1.5 s.
    let slow = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = slow.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in slow.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf);
                std::thread::sleep(Duration::from_millis(1500));
                let _ = c.write_all(&[0x15, 3, 3, 0, 2, 2, 40]);
            });
        }
    });
    let target = format!("127.0.0.1:{port}");
    let id = format!("endpoint:{target}");
    let (_, report, took) = scan(
        std::slice::from_ref(&target),
        &["--timeout", "3", "--endpoint-timeout", "2"],
    );
    assert!(took < Duration::from_secs(6), "took {took:?}");
    for r in report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == id.as_str())
    {
        assert_eq!(r["status"], "error", "{r}");
        let message = r["message"].as_str().unwrap();
        assert!(
            message.contains("endpoint time limit of 2 s") && message.contains("TLSv1.3"),
            "{message}"
        );
    }
}

/// A node folder whose HTTP layer is at 127.0.0.1:`port`, with `extra` settings.
fn node_config(dir: &Path, port: u16, cert: &Path, key: &Path, extra: &str) -> PathBuf {
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("elasticsearch.yml"),
        format!(
            "cluster.name: pairing\nnode.name: es01\nnetwork.host: 127.0.0.1\nhttp.port: {port}\n\
             xpack.security.enabled: true\n\
             xpack.security.http.ssl.enabled: true\n\
             xpack.security.http.ssl.certificate: {}\n\
             xpack.security.http.ssl.key: {}\n{extra}",
            cert.display(),
            key.display()
        ),
    )
    .unwrap();
    dir.to_path_buf()
}

#[test]
fn endpoint_is_judged_against_its_nodes_config() {
    // Run once per process: the catalog walk below calls it too.
    static RUN: std::sync::Once = std::sync::Once::new();
    RUN.call_once(|| {
        let pki = Pki::new();
        let (cert, key) = pki.leaf("node", &["127.0.0.1"], (-1, 365));
        // TLS 1.2 and 1.3, OpenSSL's default suites.
        let server = s_server(&cert, &key, &[]);
        let target = format!("127.0.0.1:{}", server.port);
        let id = format!("endpoint:{target}");
        let ca = ca_arg(&pki);
        let cases = [
            (
                "tls13-only",
                "xpack.security.http.ssl.supported_protocols: [TLSv1.3]\n",
                "fail",
            ),
            (
                "matching",
                "xpack.security.http.ssl.supported_protocols: [TLSv1.3, TLSv1.2]\n",
                "pass",
            ),
            (
                "suites",
                "xpack.security.http.ssl.cipher_suites: [TLS_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n",
                "fail",
            ),
        ];
        for (name, extra, want) in cases {
            let dir = tempfile::tempdir().unwrap();
            let node = node_config(dir.path(), server.port, &cert, &key, extra);
            let mut a = args(&ca);
            let node_arg = node.display().to_string();
            a.push(&node_arg);
            let (_, report, _) = scan(std::slice::from_ref(&target), &a);
            let result = report["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["rule"] == "TLS-CFG-001" && r["target"] == id.as_str())
                .unwrap();
            assert_eq!(result["status"], want, "{name}: {result}");
            if want == "fail" {
                let message = result["message"].as_str().unwrap();
                assert!(message.contains("node:pairing/es01"), "{name}: {message}");
                let expected = if name == "suites" {
                    "not in cipher_suites"
                } else {
                    "protocols TLSv1.2"
                };
                assert!(message.contains(expected), "{name}: {message}");
            }
        }
        // No node declares the address: not applicable.
        let (_, report, _) = scan(std::slice::from_ref(&target), &args(&ca));
        assert_eq!(status(&report, &id, "TLS-CFG-001"), "not_applicable");
    });
}

#[test]
fn endpoints_and_time_limit_from_the_config_file() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("node", &["127.0.0.1"], (-1, 365));
    let server = s_server(&cert, &key, &[]);
    let dir = tempfile::tempdir().unwrap();
    let node = node_config(
        &dir.path().join("node"),
        server.port,
        &cert,
        &key,
        "xpack.security.http.ssl.supported_protocols: [TLSv1.3]\n",
    );
    let toml = dir.path().join("esaudit.toml");
    std::fs::write(
        &toml,
        format!(
            "paths = [\"{}\"]\ntls = [\"127.0.0.1:{}=http\"]\nendpoint-timeout = 30\n",
            node.display(),
            server.port
        ),
    )
    .unwrap();
    let mut cmd = Command::cargo_bin("esaudit").unwrap();
    let out = cmd
        .args(["scan", "--format", "json", "--fail-on", "none", "--config"])
        .arg(&toml)
        .args(["--ca-cert", pki.path("ca.pem").to_str().unwrap()])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = format!("endpoint:127.0.0.1:{}", server.port);
    assert_eq!(status(&report, &id, "TLS-PROTO-002"), "pass");
    let cfg = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "TLS-CFG-001")
        .unwrap();
    assert_eq!(cfg["status"], "fail", "{cfg}");

    std::fs::write(&toml, "tls = [\"nohost\"]\n").unwrap();
    let out = Command::cargo_bin("esaudit")
        .unwrap()
        .args(["scan", "--config"])
        .arg(&toml)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tls: 'nohost'"), "{stderr}");
}

/// A TCP proxy on 127.0.0.1 in front of `upstream` that holds each connection `hold` before
/// passing the client's bytes on (so connections live long enough for overlaps to be certain),
/// and records when each was accepted and when the client closed it.
struct CountingProxy {
    port: u16,
    spans: Arc<std::sync::Mutex<Vec<(Instant, Instant)>>>,
}

impl CountingProxy {
    fn start(upstream: u16, hold: Duration) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let spans = Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = spans.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                let opened = Instant::now();
                let recorded = recorded.clone();
                std::thread::spawn(move || {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                        return;
                    };
                    let (mut to_client, mut from_server) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from_server, &mut to_client);
                        let _ = to_client.shutdown(std::net::Shutdown::Write);
                    });
                    std::thread::sleep(hold);
                    let _ = std::io::copy(&mut client, &mut server);
                    // The client closed its side: its connection is over.
                    recorded.lock().unwrap().push((opened, Instant::now()));
                    let _ = server.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        CountingProxy { port, spans }
    }

    /// The most connections that were open together, counting two as together only when they
    /// overlapped by more than `slack` (a connection closing as the next one opens is not).
    fn most_at_once(&self, slack: Duration) -> usize {
        let spans = self.spans.lock().unwrap();
        let mut events: Vec<(Instant, i32)> = spans
            .iter()
            .filter(|(open, close)| *close > *open + slack)
            .flat_map(|(open, close)| [(*open, 1), (*close - slack, -1)])
            .collect();
        // At equal times, a close counts before an open.
        events.sort();
        let (mut now, mut most) = (0i32, 0i32);
        for (_, step) in events {
            now += step;
            most = most.max(now);
        }
        most as usize
    }

    fn connections(&self) -> usize {
        self.spans.lock().unwrap().len()
    }
}

#[test]
fn one_address_never_has_more_than_a_few_probe_connections_at_once() {
    use esaudit::collect::tls_probe::{PER_ADDRESS_CONNECTIONS, ProbeOptions, probe_all};
    let pki = Pki::new();
    let (cert, key) = pki.leaf("busy", &["127.0.0.1"], (-1, 365));
    // One protocol and one suite keep the enumeration short: a handful of connections each.
    let server = s_server(
        &cert,
        &key,
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    );
    let proxy = CountingProxy::start(server.port, Duration::from_millis(40));
    // Six endpoints leading to the one address, and room to probe all six at once.
    let specs: Vec<_> = ["", "=http", "=transport", "", "=http", "=transport"]
        .iter()
        .map(|role| {
            esaudit::evidence::endpoint::EndpointSpec::parse(&format!(
                "127.0.0.1:{}{role}",
                proxy.port
            ))
            .unwrap()
        })
        .collect();
    let options = ProbeOptions {
        parallel: specs.len(),
        ..Default::default()
    };
    let endpoints = probe_all(&specs, &options);
    for e in &endpoints {
        assert!(e.error.is_none(), "{:?}", e.error);
        assert_eq!(e.protocols, ["TLSv1.2"]);
        assert_eq!(
            e.suites["TLSv1.2"],
            ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
        );
    }
    // The proxy saw every connection; it records a close after the client's.
    let deadline = Instant::now() + Duration::from_secs(5);
    while proxy.connections() < 6 * 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let most = proxy.most_at_once(Duration::from_millis(10));
    // Never more than the bound, and the bound itself was reached: the count can see overlap.
    assert_eq!(
        most,
        PER_ADDRESS_CONNECTIONS,
        "{} connections, at most {most} at once",
        proxy.connections()
    );
}

/// Every endpoint rule fails on one of the servers above and passes on another: a rule that
/// always fails, or never fires, is caught. The scenarios run once per process, shared with
/// their own tests.
#[test]
fn every_endpoint_rule_fails_somewhere_and_passes_elsewhere() {
    modern_servers_are_graded_and_enumerated();
    legacy_protocols_and_weak_suites_are_found();
    server_order_is_detected();
    certificate_problems_are_found();
    client_certificates_requested_and_required();
    sslv3_rc4_and_3des_are_detected();
    legacy_only_transport_client_auth_is_an_error_not_a_guess();
    endpoint_is_judged_against_its_nodes_config();
    let out = Command::cargo_bin("esaudit")
        .unwrap()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let one_sided: Vec<String> = rules
        .iter()
        .filter(|r| r["scope"] == "tls_endpoint")
        .map(|r| r["id"].as_str().unwrap())
        .filter(|id| {
            let statuses = seen.get(*id);
            !statuses.is_some_and(|s| s.contains("pass") && s.contains("fail"))
        })
        .map(|id| format!("{id}: {:?}", seen.get(id)))
        .collect();
    assert!(
        one_sided.is_empty(),
        "endpoint rules not seen both failing and passing:\n{}",
        one_sided.join("\n")
    );
}

/// The certificate chain is fetched over a real handshake on this build's provider, and for TLS
/// 1.2 also read from the server's plaintext first flight. In the FIPS build only approved suites
/// can be agreed: a TLS 1.3 server offering nothing else gives no chain there, while a TLS 1.2
/// one still shows its chain in the flight. The raw ClientHellos, which only read the answer,
/// enumerate both servers in both builds.
#[test]
fn chain_capture_runs_on_this_builds_crypto_provider() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("chacha", &["127.0.0.1"], (-1, 365));
    let chacha12 = s_server(
        &cert,
        &key,
        &["-no_tls1_3", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"],
    );
    let chacha13 = s_server(
        &cert,
        &key,
        &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    );
    let opts = esaudit::collect::tls_probe::ProbeOptions {
        ca_certs: vec![pki.path("ca.pem")],
        ..Default::default()
    };
    let specs: Vec<_> = [chacha12.port, chacha13.port]
        .iter()
        .map(|port| {
            esaudit::evidence::endpoint::EndpointSpec::parse(&format!("127.0.0.1:{port}=http"))
                .unwrap()
        })
        .collect();
    let eps = esaudit::collect::tls_probe::probe_all(&specs, &opts);
    assert_eq!(eps[0].protocols, ["TLSv1.2"]);
    assert_eq!(
        eps[0].suites["TLSv1.2"],
        ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"]
    );
    assert_eq!(eps[1].protocols, ["TLSv1.3"]);
    assert_eq!(eps[1].suites["TLSv1.3"], ["TLS_CHACHA20_POLY1305_SHA256"]);
    assert_eq!(eps[0].chain.len(), 1, "{:?}", eps[0].chain_error);
    assert!(eps[0].trusted);
    if esaudit::crypto::FIPS_BUILD {
        assert!(eps[1].chain.is_empty());
        let why = eps[1].chain_error.as_deref().unwrap_or_default();
        assert!(
            why.contains("handshake failed") && why.contains("FIPS-approved"),
            "{why}"
        );
    } else {
        assert_eq!(eps[1].chain.len(), 1, "{:?}", eps[1].chain_error);
        assert!(eps[1].trusted);
    }
}
