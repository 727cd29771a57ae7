//! Helpers the integration tests share: run the binary from the crate root and read its JSON.
#![allow(dead_code)] // each test file uses its own subset

pub mod es_server;
pub mod s_server;

use assert_cmd::Command;
use serde_json::Value;

/// The binary, run from the crate root (so fixture paths print as `fixtures/…`), no colour.
pub fn esaudit() -> Command {
    let mut cmd = Command::cargo_bin("esaudit").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

/// What a finished command gave: its exit code and its two outputs.
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to the end.
pub fn outcome(cmd: &mut Command) -> Outcome {
    let out = cmd.output().unwrap();
    Outcome {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Progress bars are drawn only on a terminal: the captured standard error of a run (a pipe,
/// as in CI) holds no bar, no carriage return and no cursor movement.
pub fn assert_no_progress(stderr: &str) {
    for drawn in ["clusters [", "TLS endpoints [", "\r", "\u{1b}["] {
        assert!(
            !stderr.contains(drawn),
            "progress output ({drawn:?}) in a captured standard error:\n{stderr}"
        );
    }
}

/// Runs `esaudit scan ARGS --format json`: the exit code and the report.
pub fn scan_json(args: &[&str]) -> (i32, Value) {
    let out = esaudit()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

/// The results of a report that have `status`.
pub fn with_status<'a>(report: &'a Value, status: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == status)
        .collect()
}

/// `rule target object` of every result with `status`: a report's whole verdict, to pin.
pub fn verdicts(report: &Value, status: &str) -> std::collections::BTreeSet<String> {
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

/// Copies the folder `from` (recursively) to `to`.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs a helper program in `dir` (openssl, keytool); the test needs it to succeed.
pub fn run(dir: &std::path::Path, program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed by this test: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The project's fuller SARIF validator (schema, SARIF Multitool and GitHub's ingestion rules),
/// when CI names it in ESAUDIT_SARIF_VALIDATOR; `skip` or unset leaves it out.
pub fn validator() -> Option<std::path::PathBuf> {
    match std::env::var("ESAUDIT_SARIF_VALIDATOR") {
        Ok(v) if v != "skip" && !v.is_empty() => Some(std::path::PathBuf::from(v)),
        _ => None,
    }
}

/// Validates SARIF files against the OASIS SARIF 2.1.0 schema vendored in `tests/data`, and,
/// when [`validator`] names one, with that validator in `--strict` mode; panics on any problem.
pub fn validate_sarif(files: &[&std::path::Path]) {
    let schema_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = "https://esaudit.test/sarif-schema-2.1.0.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    for file in files {
        let log: Value = serde_json::from_slice(&std::fs::read(file).unwrap())
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
        if let Err(e) = schemas.validate(&log, index) {
            panic!("{} is not valid SARIF 2.1.0: {e:#}", file.display());
        }
    }
    let Some(tool) = validator() else { return };
    // Through bash, so a copy of the script without its executable bit still runs.
    let out = std::process::Command::new("bash")
        .arg(&tool)
        .arg("--strict")
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "validate-sarif failed:\n{text}");
}

/// The ids of the report's targets, in report order.
pub fn target_ids(report: &Value) -> Vec<&str> {
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["id"].as_str().expect("target id"))
        .collect()
}

/// The rules found not applicable on `target` (any target when `None`) for a reason that
/// starts with `reason`.
pub fn not_applicable_because<'a>(
    report: &'a Value,
    target: Option<&str>,
    reason: &str,
) -> std::collections::BTreeSet<&'a str> {
    with_status(report, "not_applicable")
        .into_iter()
        .filter(|r| target.is_none_or(|t| r["target"] == t))
        .filter(|r| r["message"].as_str().is_some_and(|m| m.starts_with(reason)))
        .map(|r| r["rule"].as_str().expect("rule id"))
        .collect()
}
