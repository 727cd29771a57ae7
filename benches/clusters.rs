//! A fleet of live clusters read at once: 100 recorded clusters (`fixtures/api/*`, taken in
//! turn), each served by its own local HTTPS server (`tests/common/es_server.rs`) with its own
//! CA, so every cluster is a distinct origin with its own trust, as in a real inventory.
//! Measures a whole `esaudit::scan` over the 100 `--url`-style connections (the target is
//! under 2 s), and the live collection (`collect::api::collect_all`) alone.
//!
//! Also what one cluster's HTTP client costs to set up, and what compiling the rule catalog
//! (once per scan) costs, so the scan's figure can be taken apart.
//!
//! `cargo bench --bench clusters`; `CLUSTERS=20,100` picks the fleet sizes (default 100),
//! `CLUSTERS_PARALLEL=16` the clusters read at once and `CLUSTERS_LANES=1` the requests in
//! flight per cluster (default: the collector's defaults).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use esaudit::collect::api::{ApiOptions, Connection, collect_all};
use std::time::Duration;

#[path = "../tests/common/es_server.rs"]
mod es_server;

use es_server::{EsServer, PASSWORD};

/// `es_server::EsServer::as_scanner` builds an `esaudit` command line from its parent module's
/// `esaudit()`; the bench never runs the binary, it calls the library.
#[allow(dead_code)]
fn esaudit() -> assert_cmd::Command {
    assert_cmd::Command::new("esaudit")
}

/// The recorded clusters a server can answer from (the diagnostics bundle is not served).
const FIXTURES: &[&str] = &[
    "well-run-8x",
    "risky-8x",
    "denied-8x",
    "security-off",
    "legacy-7x",
];

fn sizes() -> Vec<usize> {
    std::env::var("CLUSTERS")
        .unwrap_or_else(|_| "100".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn api_options() -> ApiOptions {
    let mut options = ApiOptions::default();
    if let Some(n) = env_number("CLUSTERS_PARALLEL") {
        options.parallel_clusters = n;
    }
    if let Some(n) = env_number("CLUSTERS_LANES") {
        options.connections_per_cluster = n;
    }
    options
}

/// `n` servers and a connection to each, as `--url URL --user scanner --ca-cert CA` makes it.
fn fleet(n: usize) -> (Vec<EsServer>, Vec<Connection>) {
    let servers: Vec<EsServer> = (0..n)
        .map(|i| EsServer::start(FIXTURES[i % FIXTURES.len()]))
        .collect();
    let connections = servers
        .iter()
        .enumerate()
        .map(|(i, server)| Connection {
            name: format!("cluster-{i:03}"),
            url: server.url.clone(),
            user: Some("scanner".into()),
            password: Some(PASSWORD.into()),
            ca_certs: vec![server.ca().to_path_buf()],
            ..Default::default()
        })
        .collect();
    (servers, connections)
}

fn scan_options(connections: Vec<Connection>) -> esaudit::ScanOptions {
    esaudit::ScanOptions {
        clusters: connections,
        api: api_options(),
        ..Default::default()
    }
}

fn live_clusters(c: &mut Criterion) {
    let mut group = c.benchmark_group("live_clusters");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    for n in sizes() {
        let (servers, connections) = fleet(n);
        // Every cluster must really be read, or the figure means nothing.
        let first = collect_all(&connections, &api_options());
        for s in &first {
            assert!(s.error.is_none(), "{}: {:?}", s.name, s.error);
            assert!(s.calls.len() > 10, "{}: {} calls", s.name, s.calls.len());
        }
        group.throughput(Throughput::Elements(n as u64));
        let options = scan_options(connections.clone());
        group.bench_with_input(BenchmarkId::new("scan", n), &options, |b, o| {
            b.iter(|| {
                let scan = esaudit::scan(o).unwrap();
                assert!(scan.input_errors.is_empty(), "{:?}", scan.input_errors);
                scan
            })
        });
        group.bench_with_input(BenchmarkId::new("collect", n), &connections, |b, c| {
            let options = api_options();
            b.iter(|| collect_all(c, &options))
        });
        drop(servers);
    }
    group.finish();
}

/// What setting up one cluster's HTTP client costs: with its CA file (`--ca-cert`), and with
/// the system's roots (no `--ca-cert`).
fn client_setup(c: &mut Criterion) {
    let server = EsServer::start("well-run-8x");
    let url = esaudit::collect::api::Url::parse(&server.url).unwrap();
    let with_ca = Connection {
        url: server.url.clone(),
        ca_certs: vec![server.ca().to_path_buf()],
        ..Default::default()
    };
    let system = Connection {
        url: server.url.clone(),
        ..Default::default()
    };
    let mut group = c.benchmark_group("client_setup");
    for (name, connection) in [("ca_file", &with_ca), ("system_roots", &system)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                esaudit::collect::api::http_client(connection, &url, Duration::from_secs(5), false)
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// The rule catalog, loaded and compiled as every scan does first.
fn rule_catalog(c: &mut Criterion) {
    c.bench_function("rule_catalog_compile", |b| {
        b.iter(|| esaudit::engine(&[]).unwrap())
    });
}

criterion_group!(benches, live_clusters, client_setup, rule_catalog);
criterion_main!(benches);
