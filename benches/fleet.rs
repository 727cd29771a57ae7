//! Scans a synthetic fleet of node folders, and measures the parse floor beside it: the time
//! to merely read and parse the same YAML and X.509 inputs, with the same parallelism (rayon
//! over the files). The scan's time over the floor's is the ratio docs/performance.md reports. `scan`
//! is the library's scan held in memory; `scan_json_batched`, `scan_table_batched` and
//! `scan_sarif_batched` are what the command line does for those reports (batches, the report
//! written to a sink).
//! `FLEET_SIZES=1000,10000 cargo bench --bench fleet` picks the sizes (default 1000); the fleet
//! generator is `benches/gen_fleet.rs`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;

#[path = "gen_fleet.rs"]
mod gen_fleet;
#[path = "parse_floor.rs"]
mod parse_floor;
use parse_floor::parse_floor;

/// The allocator the binary runs on (src/main.rs), so the scan and the floor are measured as
/// shipped.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
            paths: vec![PathBuf::from(dir.path())],
            ..Default::default()
        };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("parse_floor", n), dir.path(), |b, root| {
            b.iter(|| parse_floor(root))
        });
        group.bench_with_input(BenchmarkId::new("scan", n), &options, |b, o| {
            b.iter(|| {
                let scan = esaudit::scan(o).unwrap();
                assert_eq!(scan.targets.len(), n);
                scan
            })
        });
        // What `scan --format json|sarif` and the terminal table do: batches of deployment
        // folders, the report written (here into a sink).
        let reports = [
            ("scan_json_batched", esaudit::stream::Rendering::Json),
            (
                "scan_table_batched",
                esaudit::stream::Rendering::Table { color: false },
            ),
            (
                "scan_sarif_batched",
                esaudit::stream::Rendering::Sarif(Default::default()),
            ),
        ];
        for (name, rendering) in reports {
            group.bench_with_input(BenchmarkId::new(name, n), &options, |b, o| {
                b.iter(|| {
                    let mut streamed = esaudit::stream::scan(
                        o,
                        esaudit::stream::NODES_PER_BATCH,
                        vec![rendering.clone()],
                    )
                    .unwrap();
                    assert_eq!(streamed.scan.targets.len(), n);
                    streamed.write(0, &mut std::io::sink()).unwrap();
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, scan_fleet);
criterion_main!(benches);
