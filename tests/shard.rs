//! Large scans. A scan split with `--shard I/N` and put back together with `esaudit merge`:
//! the shares are disjoint, together they are the whole scan, and their merge reports what the
//! whole scan reports, in every format. A file scan judged in batches of deployment folders
//! (the JSON report alone) writes the very bytes a scan held in memory writes.

mod common;

#[allow(dead_code)] // only `write_fleet` is used here
#[path = "../benches/gen_fleet.rs"]
mod gen_fleet;

use assert_cmd::Command;
use common::validate_sarif;
use common::{Outcome as Run, outcome as run};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const SHARES: u32 = 3;

/// The binary, run from `dir`.
fn esaudit_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("esaudit").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

fn read_json(path: impl AsRef<Path>) -> Value {
    let text = std::fs::read_to_string(path.as_ref()).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A working directory with `deploy/`: many deployment folders made of fixtures — single
/// nodes, a two-node cluster, a whole stack (node, Kibana, Logstash, Filebeat), compose and ECK
/// manifests, recorded API snapshots, a generated cluster with PEM files per node, and
/// certificate files outside any node.
fn fleet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let deploy = dir.path().join("deploy");
    for single in [
        "weak-tls",
        "weak-auth",
        "weak-audit",
        "no-tls-8x",
        "default-trust-8x",
        "implicit-security-7x",
        "hardened-node",
        "insecure-node",
        "file-realm-risky",
        "weak-ip-filtering",
        "broken-fips",
    ] {
        copy_tree(&fixtures.join(single), &deploy.join(single).join("node"));
    }
    copy_tree(&fixtures.join("cluster-split"), &deploy.join("split"));
    copy_tree(&fixtures.join("stack-cross"), &deploy.join("stack"));
    copy_tree(
        &fixtures.join("stack-manifests-secure"),
        &deploy.join("manifests"),
    );
    // The hardened node is a machine of its own here: at the address well-run-8x's es01
    // publishes, its files and that snapshot would be paired, and pairing happens only within a
    // batch or share (snapshots beside their node folders are kept with them; these are not).
    let hardened = deploy.join("hardened-node/node/config/elasticsearch.yml");
    let text = std::fs::read_to_string(&hardened).unwrap();
    std::fs::write(&hardened, text.replace("10.0.1.11", "10.0.9.11")).unwrap();
    for snapshot in ["well-run-8x", "risky-8x"] {
        copy_tree(
            &fixtures.join("api").join(snapshot),
            &deploy.join("snapshots").join(snapshot),
        );
    }
    gen_fleet::write_fleet(&deploy.join("generated"), 3).unwrap();
    let loose = deploy.join("loose-certs");
    std::fs::create_dir_all(&loose).unwrap();
    let certs = deploy.join("generated/fleet-000/node-00001/config/certs");
    for file in ["ca.crt", "node.crt"] {
        std::fs::copy(certs.join(file), loose.join(file)).unwrap();
    }
    dir
}

/// `esaudit scan deploy ARGS --format json`: the exit code and the report.
fn scan(dir: &Path, args: &[&str], output: &str) -> (i32, Value) {
    let r = run(esaudit_in(dir)
        .args(["scan", "deploy", "--format", "json", "-o", output])
        .args(args));
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    (r.code, read_json(dir.join(output)))
}

fn identities(report: &Value) -> BTreeSet<(String, String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["target"].as_str().unwrap().to_string(),
                // A check result (passes counted) is told apart by its outcome.
                match r["items"].as_u64() {
                    Some(items) => format!("{} x{items}", r["status"].as_str().unwrap()),
                    None => r["fingerprint"].as_str().unwrap().to_string(),
                },
            )
        })
        .collect()
}

fn target_ids(report: &Value) -> BTreeSet<String> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shares_are_disjoint_and_together_the_whole_scan() {
    let dir = fleet();
    let (code, whole) = scan(dir.path(), &[], "whole.json");
    assert_eq!(code, 1, "the fleet has failures");
    assert!(whole.get("shard").is_none());
    let all = identities(&whole);
    let mut union = BTreeSet::new();
    let mut targets = BTreeSet::new();
    let mut busy = 0;
    for index in 1..=SHARES {
        let shard = format!("{index}/{SHARES}");
        let (_, share) = scan(
            dir.path(),
            &["--shard", &shard],
            &format!("share-{index}.json"),
        );
        assert_eq!(
            share["shard"],
            serde_json::json!({"index": index, "count": SHARES})
        );
        assert_eq!(share["version"], 2);
        let mine = identities(&share);
        assert!(union.is_disjoint(&mine), "share {shard} repeats results");
        let ids = target_ids(&share);
        assert!(targets.is_disjoint(&ids), "share {shard} repeats targets");
        busy += usize::from(!mine.is_empty());
        union.extend(mine);
        targets.extend(ids);
    }
    assert!(busy > 1, "the fleet was not split at all");
    assert_eq!(union, all);
    assert_eq!(targets, target_ids(&whole));
}

#[test]
fn merged_shares_report_what_the_whole_scan_reports() {
    let dir = fleet();
    let (whole_code, whole) = scan(dir.path(), &[], "whole.json");
    let mut shares = vec![];
    for index in 1..=SHARES {
        let name = format!("share-{index}.json");
        scan(
            dir.path(),
            &["--shard", &format!("{index}/{SHARES}")],
            &name,
        );
        shares.push(name);
    }
    let r = run(esaudit_in(dir.path())
        .arg("merge")
        .args(&shares)
        .args(["--format", "json", "-o", "merged.json"])
        .args(["--report", "sarif=merged.sarif"]));
    assert_eq!(r.code, whole_code, "{}", r.stderr);
    assert!(!r.stderr.contains("missing"), "{}", r.stderr);
    let merged = read_json(dir.path().join("merged.json"));
    assert!(merged.get("shard").is_none());
    assert_eq!(identities(&merged), identities(&whole));
    // Same order, same fields: the results are the whole scan's, byte for byte.
    assert_eq!(merged["results"], whole["results"]);
    assert_eq!(merged["score"], whole["score"]);
    assert_eq!(target_ids(&merged), target_ids(&whole));
    validate_sarif(&[&dir.path().join("merged.sarif")]);
    let sarif = read_json(dir.path().join("merged.sarif"));
    let run0 = &sarif["runs"][0];
    assert!(!run0["results"].as_array().unwrap().is_empty());
    assert!(
        !run0["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(run0["properties"]["score"], whole["score"]["value"]);

    // The gate works as in `scan`.
    let gate = |args: &[&str]| {
        run(esaudit_in(dir.path())
            .arg("merge")
            .args(&shares)
            .args(["--format", "markdown", "-o", "merged.md"])
            .args(args))
        .code
    };
    assert_eq!(gate(&["--fail-on", "none"]), 0);
    assert_eq!(gate(&["--fail-on", "none", "--min-score", "100"]), 1);
    assert_eq!(gate(&["--fail-on", "critical"]), 1);
}

#[test]
fn a_missing_or_repeated_share_is_warned_about() {
    let dir = fleet();
    for index in [1, 3] {
        scan(
            dir.path(),
            &["--shard", &format!("{index}/3"), "--fail-on", "none"],
            &format!("share-{index}.json"),
        );
    }
    let r = run(esaudit_in(dir.path()).args([
        "merge",
        "share-1.json",
        "share-3.json",
        "share-3.json",
        "--fail-on",
        "none",
        "-o",
        "merged.txt",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: share 2/3 missing"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("share 3/3 given more than once"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_share_with_nothing_to_scan_is_an_empty_passing_report() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/insecure-node"),
        &dir.path().join("deploy/only/node"),
    );
    let mut codes = vec![];
    let mut sizes = vec![];
    for index in 1..=2 {
        let (code, report) = scan(
            dir.path(),
            &["--shard", &format!("{index}/2")],
            &format!("share-{index}.json"),
        );
        codes.push(code);
        sizes.push(report["targets"].as_array().unwrap().len());
        if report["targets"].as_array().unwrap().is_empty() {
            assert_eq!(code, 0);
            assert_eq!(report["score"]["value"], 100.0);
            assert_eq!(report["errors"], serde_json::json!([]));
            assert!(report["results"].as_array().unwrap().is_empty());
        }
    }
    sizes.sort();
    assert_eq!(sizes, [0, 1], "one deployment folder: one share has it all");
    assert!(codes.contains(&1), "the insecure node fails in its share");
}

#[test]
fn endpoints_and_clusters_are_shared_out_too() {
    // Closed local ports: every endpoint and every cluster is an input error (their rules
    // report `error`), at once.
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec![];
    for port in 1..=6 {
        args.extend(["--tls".into(), format!("127.0.0.1:{port}")]);
    }
    for port in 7..=12 {
        args.extend(["--url".into(), format!("https://127.0.0.1:{port}")]);
    }
    let scan_net = |extra: &[&str], output: &str| {
        let r = run(esaudit_in(dir.path())
            .arg("scan")
            .args(&args)
            .args(["--timeout", "5", "--format", "json", "-o", output])
            .args(extra));
        (r.code, read_json(dir.path().join(output)))
    };
    let errors = |report: &Value| -> BTreeSet<String> {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_string())
            .collect()
    };
    let (code, whole) = scan_net(&[], "whole.json");
    assert_eq!(code, 2, "unreachable clusters are input errors");
    let (mut targets, mut failed) = (BTreeSet::new(), BTreeSet::new());
    let mut shares = vec![];
    for index in 1..=SHARES {
        let name = format!("share-{index}.json");
        let (_, share) = scan_net(&["--shard", &format!("{index}/{SHARES}")], &name);
        let ids = target_ids(&share);
        assert!(targets.is_disjoint(&ids));
        targets.extend(ids);
        let mine = errors(&share);
        assert!(failed.is_disjoint(&mine));
        failed.extend(mine);
        shares.push(name);
    }
    assert_eq!(targets, target_ids(&whole));
    assert_eq!(failed, errors(&whole));
    assert_eq!(failed.len(), 12);
    // A share's input errors make the merge exit 2, as they made the share's scan.
    let r = run(esaudit_in(dir.path()).arg("merge").args(&shares).args([
        "--fail-on",
        "none",
        "--format",
        "json",
        "-o",
        "merged.json",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(errors(&read_json(dir.path().join("merged.json"))), failed);
}

#[test]
fn bad_shard_specs_are_refused_naming_the_flag() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"] {
        let r = run(esaudit_in(root)
            .args(["scan", "fixtures/hardened-node"])
            .arg(format!("--shard={bad}")));
        assert_eq!(r.code, 2, "--shard {bad}");
        assert!(r.stderr.contains("--shard"), "{bad}: {}", r.stderr);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("esaudit.toml"), "shard = \"5/2\"\n").unwrap();
    let r = run(esaudit_in(dir.path())
        .args(["scan"])
        .arg(root.join("fixtures/hardened-node")));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("esaudit.toml: shard: '5/2'"),
        "{}",
        r.stderr
    );
    std::fs::write(dir.path().join("esaudit.toml"), "shard = \"2/2\"\n").unwrap();
    let (code, report) = {
        let r = run(esaudit_in(dir.path())
            .arg("scan")
            .arg(root.join("fixtures/hardened-node"))
            .args(["--format", "json", "-o", "r.json"]));
        (r.code, read_json(dir.path().join("r.json")))
    };
    assert_ne!(code, 2);
    assert_eq!(report["shard"], serde_json::json!({"index": 2, "count": 2}));
}

#[test]
fn merge_refuses_what_is_not_a_report_of_this_version() {
    let dir = fleet();
    scan(dir.path(), &["--shard", "1/2"], "share-1.json");
    let mut share = read_json(dir.path().join("share-1.json"));
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("notes.txt", "not JSON at all\n");
    write("other.json", r#"{"version": 1, "items": []}"#);
    write(
        "tool.sarif",
        r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "other"}}}]}"#,
    );
    share["version"] = 3.into();
    write("future.json", &share.to_string());
    share["version"] = 2.into();
    share["profile"] = "strict".into();
    write("strict.json", &share.to_string());
    share["profile"] = "baseline".into();
    share["tool"]["name"] = "other".into();
    write("impostor.json", &share.to_string());
    for (file, says) in [
        ("absent.json", "cannot read"),
        ("notes.txt", "not an esaudit JSON report"),
        ("other.json", "not an esaudit JSON report"),
        ("tool.sarif", "not an esaudit JSON report"),
        ("future.json", "version 3"),
        ("strict.json", "profile"),
        ("impostor.json", "not an esaudit JSON report"),
    ] {
        let r = run(esaudit_in(dir.path()).args(["merge", "share-1.json", file]));
        assert_eq!(r.code, 2, "{file}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("error: {file}")) && r.stderr.contains(says),
            "{file}: {}",
            r.stderr
        );
    }
    // Different tool versions are merged, with a warning.
    share["tool"]["name"] = "esaudit".into();
    share["tool"]["version"] = "0.0.1".into();
    write("old.json", &share.to_string());
    let r = run(esaudit_in(dir.path()).args([
        "merge",
        "share-1.json",
        "old.json",
        "--fail-on",
        "none",
        "-o",
        "merged.txt",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("different esaudit versions"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("share 1/2 given more than once"),
        "{}",
        r.stderr
    );
}

/// `report` with the time of the scan taken out of ECS documents (`@timestamp`,
/// `event.created`, `event.id`), which two runs cannot share; other reports as they are.
fn without_scan_time(report: &str) -> String {
    if !report.starts_with("{\"@timestamp\"") {
        return report.to_string();
    }
    let mut lines = String::new();
    for line in report.lines() {
        let mut doc: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(doc["@timestamp"].is_string(), "{line}");
        doc.as_object_mut().unwrap().remove("@timestamp");
        let event = doc["event"].as_object_mut().unwrap();
        event.remove("created").unwrap();
        event.remove("id").unwrap();
        lines.push_str(&doc.to_string());
        lines.push('\n');
    }
    lines
}

/// `scan deploy` with a report in `format` (json, table, sarif, ecs or junit) and a JSON
/// `--report`, in batches of `nodes` node folders (the batched path), and with a Markdown
/// report asked for too (which keeps the scan in one piece). The reports are
/// `batched.FORMAT`, `batched-also.json`, `whole.FORMAT` and `whole-also.json`.
fn batched_and_whole(dir: &Path, nodes: &str, format: &str, args: &[&str]) -> (Run, Run) {
    let batched = run(esaudit_in(dir)
        .env("ESAUDIT_NODES_PER_BATCH", nodes)
        .args(["scan", "deploy", "--format", format])
        .args(["-o", &format!("batched.{format}")])
        .args(["--report", "json=batched-also.json"])
        .args(args));
    let whole = run(esaudit_in(dir)
        .args(["scan", "deploy", "--format", format])
        .args(["-o", &format!("whole.{format}")])
        .args(["--report", "json=whole-also.json"])
        .args(["--report", "markdown=whole.md"])
        .args(args));
    (batched, whole)
}

#[test]
fn a_scan_in_batches_writes_the_bytes_a_scan_in_one_piece_writes() {
    let dir = fleet();
    // A baseline that knows some failures, so batches also mark them.
    let (_, first) = scan(dir.path(), &["--select", "ES-TLS"], "baseline.json");
    assert!(!first["results"].as_array().unwrap().is_empty());
    // Waivers that match in several batches, one that matches nothing, one expired.
    std::fs::write(
        dir.path().join("waivers.yaml"),
        "waivers:\n\
         \x20 - rule: ES-TLS\n    target: \"node:fleet-*\"\n    reason: generated lab fleet\n\
         \x20 - rule: ES-AUD\n    reason: audit comes later\n\
         \x20 - rule: KB-TLS\n    target: \"kibana:nowhere\"\n    reason: matches nothing\n\
         \x20 - rule: ES-NET\n    reason: long gone\n    expires: 2020-01-31\n",
    )
    .unwrap();
    let with_waivers = ["--waivers", "waivers.yaml"];
    let with_baseline = ["--baseline", "baseline.json", "--fail-on", "low"];
    for (nodes, format) in [
        ("1", "json"),
        ("3", "json"),
        ("100000", "json"),
        ("3", "table"),
        ("3", "sarif"),
        ("3", "ecs"),
        ("3", "junit"),
    ] {
        for args in [&[][..], &with_baseline[..], &with_waivers[..]] {
            let (batched, whole) = batched_and_whole(dir.path(), nodes, format, args);
            assert!(!batched.stderr.contains("panicked"), "{}", batched.stderr);
            assert!(
                !batched.stderr.contains("held in memory whole"),
                "the fleet's ids are distinct: {}",
                batched.stderr
            );
            assert_eq!(batched.code, whole.code, "{nodes} {format} {args:?}");
            assert_eq!(batched.stderr, whole.stderr, "{nodes} {format} {args:?}");
            let read = |name: String| {
                let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
                without_scan_time(&text)
            };
            for (batched, whole) in [
                (format!("batched.{format}"), format!("whole.{format}")),
                ("batched-also.json".into(), "whole-also.json".into()),
            ] {
                assert!(
                    read(batched) == read(whole),
                    "batches of {nodes} {format} {args:?}: the reports differ"
                );
            }
        }
    }
    let report = read_json(dir.path().join("batched.json"));
    assert!(report["results"].as_array().unwrap().len() > 500);
    assert!(report["targets"].as_array().unwrap().len() > 20);
    // The last run had the waivers: some failures waived, the unused and expired ones listed.
    let waived = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "waived")
        .count();
    assert!(waived > 3, "{waived}");
    assert_eq!(report["waivers"]["unused"].as_array().unwrap().len(), 1);
    assert_eq!(report["waivers"]["expired"].as_array().unwrap().len(), 1);
    // SARIF lists failures, with the rules they need and none else, waived ones left out.
    let sarif = read_json(dir.path().join("batched.sarif"));
    let run = &sarif["runs"][0];
    let failures: Vec<&serde_json::Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail" && r["location"]["path"].is_string())
        .collect();
    assert_eq!(run["results"].as_array().unwrap().len(), failures.len());
    assert!(failures.len() > 20, "{}", failures.len());
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), report["score"]["coverage"]["rules"]);
    // The table compared was a whole one: every target, findings, waived rows, the summary.
    let table = std::fs::read_to_string(dir.path().join("batched.table")).unwrap();
    for target in report["targets"].as_array().unwrap() {
        let heading = format!("{} — ", target["id"].as_str().unwrap());
        assert!(
            table.lines().any(|l| l.starts_with(&heading)),
            "{heading}: {table}"
        );
    }
    for part in [
        "┆ fail ",
        "waived: generated lab fleet",
        "Waivers to review:",
        "Score ",
    ] {
        assert!(table.contains(part), "{part}: {table}");
    }
}

#[test]
fn an_id_repeated_across_folders_keeps_the_scan_in_one_piece() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // Two deployment folders with the same node (`node:<cluster>/<name>`).
    for copy in ["a", "b"] {
        copy_tree(
            &fixtures.join("weak-tls"),
            &dir.path().join("deploy").join(copy).join("node"),
        );
    }
    // Only the batched path warns: this also proves each format (with a JSON `--report`)
    // takes it.
    for format in ["json", "table", "sarif", "ecs", "junit"] {
        let (batched, whole) = batched_and_whole(dir.path(), "1", format, &[]);
        assert!(
            batched.stderr.contains("held in memory whole"),
            "{format}: {}",
            batched.stderr
        );
        assert!(!whole.stderr.contains("held in memory whole"));
        assert_eq!(batched.code, whole.code);
        let read = |name: String| {
            without_scan_time(&std::fs::read_to_string(dir.path().join(name)).unwrap())
        };
        assert!(
            read(format!("batched.{format}")) == read(format!("whole.{format}")),
            "{format}: the reports differ"
        );
    }
    // Both copies are told apart by their path, as a scan in one piece does.
    let ids = target_ids(&read_json(dir.path().join("batched.json")));
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.iter().all(|id| id.contains('@')), "{ids:?}");
}
