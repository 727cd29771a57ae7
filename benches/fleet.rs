//! Scans a synthetic fleet of node folders. `FLEET_SIZES=1000,10000 cargo bench --bench fleet`
//! picks the sizes (default 1000); the fleet generator is `benches/gen_fleet.rs`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;

#[path = "gen_fleet.rs"]
mod gen_fleet;

fn sizes() -> Vec<usize> {
    std::env::var("FLEET_SIZES")
        .unwrap_or_else(|_| "1000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn scan_fleet(c: &mut Criterion) {
    let mut group = c.benchmark_group("scan_fleet");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for n in sizes() {
        let dir = tempfile::tempdir().unwrap();
        gen_fleet::write_fleet(dir.path(), n).unwrap();
        let options = esaudit::ScanOptions {
            probe_tls: false,
            paths: vec![PathBuf::from(dir.path())],
            profile: esaudit::rules::Profile::Baseline,
            checks: vec![],
            select: vec![],
            ignore: vec![],
            es_version: None,
            store_password: None,
            expiry_warning_days: 30,
            waivers: None,
            baseline: None,
            tls: vec![],
            probe: Default::default(),
            clusters: vec![],
            api: Default::default(),
            progress: false,
        };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &options, |b, o| {
            b.iter(|| {
                let scan = esaudit::scan(o).unwrap();
                assert_eq!(scan.targets.len(), n);
                scan
            })
        });
    }
    group.finish();
}

criterion_group!(benches, scan_fleet);
criterion_main!(benches);
