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
                .filter(|p| p.file_name().is_none_or(|n| n != "README.md"))
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

fn regression(target: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fuzz-regressions")
        .join(target)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `f` on a thread with a small stack (what a rayon worker or test thread has), so a
/// parser that recurses once per nesting level would overflow and abort the test binary.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deeply_nested_pipelines_are_an_error_not_a_stack_overflow() {
    use esaudit::collect::components::{Embed, pipeline_plugins};
    for name in [
        "deep-arrays.conf",
        "deep-hashes.conf",
        "deep-conditionals.conf",
    ] {
        let text = regression("pipeline", name);
        let err = on_small_stack(move || {
            pipeline_plugins(&text, &Embed::file("pipeline/main.conf")).unwrap_err()
        });
        // The caller's input error names the file; the message gives the place.
        assert!(
            err.starts_with("invalid pipeline at line "),
            "{name}: {err}"
        );
        assert!(
            err.contains("nesting deeper than 64 levels"),
            "{name}: {err}"
        );
    }
    // Nesting a real pipeline uses is fine.
    let text = format!(
        "filter {{ {} mutate {{ add_field => {}1{} }} {} }}",
        "if [a] { ".repeat(10),
        "{ a => [".repeat(10),
        "] }".repeat(10),
        "}".repeat(10)
    );
    assert!(esaudit::collect::pipeline::parse(&text).is_ok());
}

/// Positions were found by rescanning the file for every attribute, and a repeated key by
/// scanning every earlier setting: a 140 KB pipeline took 40 s, a 470 KB one ten minutes.
#[test]
fn many_attributes_or_keys_take_linear_time() {
    use esaudit::collect::components::{Embed, pipeline_plugins};
    let text = regression("pipeline", "many-attributes.conf");
    let start = Instant::now();
    let plugins = pipeline_plugins(&text, &Embed::file("main.conf")).unwrap();
    assert_eq!(plugins[0].options.entries.len(), 10_000);
    let last = &plugins[0].options.entries[9_999];
    assert_eq!(
        (last.location.line, last.location.column),
        (Some(10_001), Some(1))
    );
    let yaml = regression("yaml_config", "many-keys.yml");
    let settings = esaudit::collect::es_config::parse_settings(&yaml, "elasticsearch.yml").unwrap();
    assert_eq!(settings.entries.len(), 10_000);
    // Quadratic took tens of seconds in a debug build; linear takes well under one.
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_repeated_key_still_counts_its_occurrences() {
    let settings =
        esaudit::collect::es_config::parse_settings("a: 1\nb: 2\na: 3\na: 4\n", "e.yml").unwrap();
    let occurrences: Vec<usize> = settings.entries.iter().map(|s| s.occurrence).collect();
    assert_eq!(occurrences, [1, 1, 2, 3]);
}

/// Anchored maps nested a hundred deep around a few hundred aliases: each anchor copied every
/// node below it, uncounted, and the 40 KB file took half a minute (a 400 KB one, minutes).
#[test]
fn nested_anchors_stop_at_the_node_bound() {
    let text = regression("yaml_config", "nested-anchors.yml");
    let start = Instant::now();
    let err = esaudit::yaml::parse(&text).unwrap_err();
    assert!(err.message.contains("1,000,000 nodes"), "{err}");
    let err = esaudit::collect::es_config::parse_settings(&text, "elasticsearch.yml").unwrap_err();
    assert!(err.contains("1,000,000 nodes"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}
