//! Replays the fuzz targets' committed seeds (`fuzz/corpus/<target>/`) and every input that once
//! crashed or hung a target (`fixtures/fuzz-regressions/<target>/`) through the same harnesses
//! (`esaudit::fuzzing`), so `cargo test` keeps them alive without cargo-fuzz. Each input must
//! come back without a panic, and quickly.

use esaudit::fuzzing;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Far more than any input needs (the slowest, a keystore's key derivation, takes well under a
/// second in a debug build); an input past it is a hang that came back.
const PER_INPUT: Duration = Duration::from_secs(20);

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| !p.file_name().is_some_and(|n| n == "README.md"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_seed_and_regression_input_parses_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = fuzzing::recorded_cluster(root);
    let mut replayed = 0;
    for target in fuzzing::TARGETS {
        let seeds = inputs(&root.join("fuzz/corpus").join(target));
        assert!(!seeds.is_empty(), "fuzz/corpus/{target} has no seeds");
        let regressions = inputs(&root.join("fixtures/fuzz-regressions").join(target));
        for path in seeds.iter().chain(&regressions) {
            let data = std::fs::read(path).unwrap();
            let start = Instant::now();
            let outcome = std::panic::catch_unwind(|| fuzzing::run(target, &base, &data));
            assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
            assert!(
                start.elapsed() < PER_INPUT,
                "{target} took {:?} on {}",
                start.elapsed(),
                path.display()
            );
            replayed += 1;
        }
    }
    // Every regression folder names a real target.
    for dir in inputs_dirs(&root.join("fixtures/fuzz-regressions")) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            fuzzing::TARGETS.contains(&name.as_str()),
            "fixtures/fuzz-regressions/{name} is not a fuzz target"
        );
    }
    assert!(replayed > 0);
}

fn inputs_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}
