//! Scans a generated application repository for Elasticsearch clients, beside the read floor:
//! the time to walk the same tree and read every file. `CLIENT_FILES=20000 cargo bench --bench
//! clients` picks the number of source files (default 20,000): one in twenty builds a client
//! (copies of the bundled fixtures under `fixtures/clients/code`, with their values varied),
//! the rest are ordinary code in the same ten languages, which the prefilter skips unparsed.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn size() -> usize {
    std::env::var("CLIENT_FILES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(20_000)
}

/// The client fixtures, one per language and shape: the templates of the client files.
const CLIENTS: &[(&str, &str)] = &[
    (
        "py",
        include_str!("../fixtures/clients/code/python/insecure_search.py"),
    ),
    (
        "py",
        include_str!("../fixtures/clients/code/python/near_misses.py"),
    ),
    (
        "js",
        include_str!("../fixtures/clients/code/javascript/insecure-app.js"),
    ),
    (
        "ts",
        include_str!("../fixtures/clients/code/javascript/search.ts"),
    ),
    ("go", include_str!("../fixtures/clients/code/go/indexer.go")),
    (
        "java",
        include_str!("../fixtures/clients/code/java/ElasticIndexWriter.java"),
    ),
    (
        "cs",
        include_str!("../fixtures/clients/code/csharp/Program.cs"),
    ),
    (
        "rb",
        include_str!("../fixtures/clients/code/ruby/search_client.rb"),
    ),
    (
        "php",
        include_str!("../fixtures/clients/code/php/config.php"),
    ),
    (
        "rs",
        include_str!("../fixtures/clients/code/rust/cat_indices.rs"),
    ),
    (
        "sh",
        include_str!("../fixtures/clients/code/shell/configure-stack.sh"),
    ),
];

/// Ordinary code of about the size of a real source file, with no client in it.
fn ordinary(ext: &str, i: usize) -> String {
    let mut out = String::new();
    for f in 0..40 {
        let line = match ext {
            "py" => format!(
                "def handler_{i}_{f}(request, limit=10):\n    items = [x * 2 for x in range(limit)]\n    return {{'id': {i}, 'items': items}}\n\n"
            ),
            "js" | "ts" => format!(
                "export function handler{i}_{f}(req, limit = 10) {{\n  const items = Array.from({{ length: limit }}, (_, x) => x * 2)\n  return {{ id: {i}, items }}\n}}\n\n"
            ),
            "go" => format!(
                "func Handler{i}_{f}(limit int) map[string]int {{\n\tout := map[string]int{{\"id\": {i}}}\n\tfor x := 0; x < limit; x++ {{ out[\"x\"] += x }}\n\treturn out\n}}\n\n"
            ),
            "sh" => format!(
                "handler_{i}_{f}() {{\n  for x in $(seq 1 10); do echo \"$x\"; done\n}}\n\n"
            ),
            "rb" => format!(
                "def handler_{i}_{f}(limit = 10)\n  (1..limit).map {{ |x| x * 2 }}\nend\n\n"
            ),
            "php" => format!(
                "function handler_{i}_{f}($limit = 10) {{\n    return array_map(fn($x) => $x * 2, range(1, $limit));\n}}\n\n"
            ),
            _ => format!(
                "    static int handler{i}_{f}(int limit) {{\n        int sum = 0;\n        for (int x = 0; x < limit; x++) {{ sum += x * 2; }}\n        return sum;\n    }}\n\n"
            ),
        };
        out.push_str(&line);
    }
    out
}

/// Writes `n` source files under `root`, in folders of 100; returns the client files' count.
fn write_repository(root: &Path, n: usize) -> usize {
    const EXTS: &[&str] = &[
        "py", "js", "ts", "go", "java", "cs", "rb", "php", "rs", "sh",
    ];
    let mut clients = 0;
    for i in 0..n {
        let dir = root.join(format!("src/module{}", i / 100));
        std::fs::create_dir_all(&dir).unwrap();
        let (ext, text) = if i % 20 == 0 {
            clients += 1;
            let (ext, template) = CLIENTS[(i / 20) % CLIENTS.len()];
            (ext, template.replace("example", &format!("example{i}")))
        } else {
            let ext = EXTS[i % EXTS.len()];
            (ext, ordinary(ext, i))
        };
        std::fs::write(dir.join(format!("file{i}.{ext}")), text).unwrap();
    }
    clients
}

/// Walks `root` and reads every file, with the scan's parallelism: the least a scan of the
/// tree can cost.
fn read_floor(root: &Path) -> usize {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files
        .par_iter()
        .map(|p| std::fs::read_to_string(p).unwrap().len())
        .sum()
}

fn scan_repository(c: &mut Criterion) {
    let mut group = c.benchmark_group("scan_clients");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    let n = size();
    let dir = tempfile::tempdir().unwrap();
    let clients = write_repository(dir.path(), n);
    let options = esaudit::ScanOptions {
        paths: vec![PathBuf::from(dir.path())],
        ..Default::default()
    };
    group.throughput(Throughput::Elements(n as u64));
    group.bench_with_input(BenchmarkId::new("read_floor", n), dir.path(), |b, root| {
        b.iter(|| read_floor(root))
    });
    group.bench_with_input(BenchmarkId::new("scan", n), &options, |b, o| {
        b.iter(|| {
            let scan = esaudit::scan(o).unwrap();
            assert!(scan.targets.len() >= clients, "every client file is judged");
            scan
        })
    });
    group.finish();
}

criterion_group!(benches, scan_repository);
criterion_main!(benches);
