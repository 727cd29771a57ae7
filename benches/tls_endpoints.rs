//! TLS endpoints fully enumerated at once: 50 real `openssl s_server` processes on 127.0.0.1
//! (OpenSSL's default protocols and suites, an RSA-2048 certificate from a test CA), probed by
//! `collect::tls_probe::probe_all` — every protocol, every accepted suite, the suite order, the
//! chain and the client-certificate check — against one endpoint alone, and against all 50
//! with the default parallelism and with all of them at once.
//!
//! `cargo bench --bench tls_endpoints`; `TLS_ENDPOINTS=50` sets how many servers run. Needs
//! `openssl` on the PATH, as the TLS tests do.

#[path = "../tests/common/s_server.rs"]
mod s_server;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use esaudit::collect::tls_probe::{ProbeOptions, probe_all};
use esaudit::evidence::endpoint::EndpointSpec;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use s_server::{SServer, s_server};
use std::path::PathBuf;
use std::time::Duration;

/// A CA and one leaf for 127.0.0.1 (RSA, so the RSA key-exchange suites exist too), as PEM
/// files: (folder, CA, certificate, key).
fn pki() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "esaudit bench CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.not_before = now - time::Duration::days(1);
    ca.not_after = now + time::Duration::days(30);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    leaf.not_before = now - time::Duration::days(1);
    leaf.not_after = now + time::Duration::days(30);
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("ca.pem"), ca.pem()).unwrap();
    std::fs::write(path("leaf.pem"), cert.pem()).unwrap();
    std::fs::write(path("leaf.key"), key.serialize_pem()).unwrap();
    let (ca, cert, key) = (path("ca.pem"), path("leaf.pem"), path("leaf.key"));
    (dir, ca, cert, key)
}

fn count() -> usize {
    std::env::var("TLS_ENDPOINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

fn tls_endpoints(c: &mut Criterion) {
    let (_dir, ca, cert, key) = pki();
    let n = count();
    let servers: Vec<SServer> = (0..n).map(|_| s_server(&cert, &key, &[])).collect();
    let specs: Vec<EndpointSpec> = servers
        .iter()
        .map(|s| EndpointSpec::parse(&format!("127.0.0.1:{}=http", s.port)).unwrap())
        .collect();
    let options = |parallel: usize| ProbeOptions {
        ca_certs: vec![ca.clone()],
        parallel,
        ..Default::default()
    };
    // Every endpoint must really be enumerated, or the figures mean nothing.
    let reference = probe_all(&specs[..1], &options(1)).remove(0);
    assert!(reference.error.is_none(), "{:?}", reference.error);
    assert!(reference.trusted, "{:?}", reference.trust_error);
    let suites =
        |e: &esaudit::evidence::endpoint::Endpoint| e.suites.values().map(Vec::len).sum::<usize>();
    eprintln!(
        "one endpoint: {:?}, {} suites, server order {:?}",
        reference.protocols,
        suites(&reference),
        reference.server_order
    );
    for e in probe_all(&specs, &options(n)) {
        assert!(e.error.is_none(), "{}: {:?}", e.port, e.error);
        assert_eq!(e.protocols, reference.protocols, "{}", e.port);
        assert_eq!(suites(&e), suites(&reference), "{}", e.port);
    }

    let mut group = c.benchmark_group("tls_endpoints");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("one", 1), |b| {
        b.iter(|| probe_all(&specs[..1], &options(1)))
    });
    group.throughput(Throughput::Elements(n as u64));
    let default_parallel = ProbeOptions::default().parallel;
    for parallel in [default_parallel, n] {
        group.bench_function(
            BenchmarkId::new(format!("all_parallel_{parallel}"), n),
            |b| b.iter(|| probe_all(&specs, &options(parallel))),
        );
    }
    group.finish();
    drop(servers);
}

criterion_group!(benches, tls_endpoints);
criterion_main!(benches);
