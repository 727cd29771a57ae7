//! Honest verdicts, end to end on the binary: a scan that judged nothing or could not read an
//! input never says "grade A" and never exits 0, every report says it is incomplete, rule ids
//! the user wrote must name rules, and the gate says why it failed on standard error.

mod common;

use common::esaudit;
use serde_json::Value;

fn run(args: &[&str]) -> common::Outcome {
    common::outcome(esaudit().args(args))
}

/// A selection that names no rule, or leaves none to run, is a usage error with a
/// suggestion, before anything is scanned: never an empty grade-A report.
#[test]
fn a_selection_that_names_no_rule_is_an_error_with_a_suggestion() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--select", "NOPE-999"],
            "--select: 'NOPE-999' names no rule (`esaudit rules` lists them)",
        ),
        (
            &["--select", "ES-NTE"],
            "--select: 'ES-NTE' names no rule; did you mean ES-NET?",
        ),
        (
            &["--ignore", "ES-TLS-0001"],
            "--ignore: 'ES-TLS-0001' names no rule; did you mean ES-TLS-001?",
        ),
        (
            &["--select", "ES-NET", "--ignore", "es-net"],
            "no rule left to run: --select ES-NET --ignore es-net leave none of the baseline profile",
        ),
        (
            &["--select", "ES-NET,NOPE"],
            "--select: 'NOPE' names no rule (`esaudit rules` lists them)",
        ),
    ];
    for (args, message) in cases {
        let r = run(&[&["scan", "fixtures/insecure-node"], args].concat());
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}: no report is written");
        assert_eq!(
            r.stderr.trim_end(),
            format!("esaudit: error: {message}"),
            "{args:?}"
        );
    }
}

/// Rule ids are matched whatever their case, as `esaudit explain` finds them.
#[test]
fn rule_ids_are_matched_whatever_their_case() {
    let (code, lower) = common::scan_json(&["fixtures/insecure-node", "--select", "es-net-001"]);
    let (_, upper) = common::scan_json(&["fixtures/insecure-node", "--select", "ES-NET-001"]);
    assert_eq!(code, 1);
    assert_eq!(lower["results"], upper["results"]);
    let rules: Vec<&str> = lower["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.is_empty() && rules.iter().all(|r| *r == "ES-NET-001"),
        "{rules:?}"
    );
}

/// A waiver naming no rule stops the scan (its author meant to accept a real risk).
#[test]
fn a_waiver_naming_no_rule_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("waivers.yaml");
    std::fs::write(
        &waivers,
        "waivers:\n- rule: ES-TLS-001\n  reason: lab\n- rule: ES-TSL-002\n  reason: lab\n",
    )
    .unwrap();
    let r = run(&[
        "scan",
        "fixtures/insecure-node",
        "--waivers",
        waivers.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "esaudit: error: {}:4: waiver: 'ES-TSL-002' names no rule; did you mean ES-TLS-002?",
            waivers.display()
        )
    );
}

/// An inline comment is a config line, not a command: an id in it that names no rule is listed
/// with the nearest one (a warning, as Ruff does for `# noqa`), and the comment's other ids
/// still waive.
#[test]
fn an_inline_comment_naming_no_rule_is_listed_and_its_other_ids_apply() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node");
    std::fs::create_dir_all(&node).unwrap();
    std::fs::write(
        node.join("elasticsearch.yml"),
        "cluster.name: lab\nnode.name: es-1\nxpack.security.enabled: true\n\
         xpack.security.http.ssl.enabled: false   # esaudit: ignore[ES-TSL-001, ES-TLS-001] lab behind a VPN\n",
    )
    .unwrap();
    let r = run(&["scan", node.to_str().unwrap(), "-f", "json"]);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    let source = format!("{}:4", node.join("elasticsearch.yml").display());
    assert_eq!(
        json["waivers"]["invalid"],
        serde_json::json!([{
            "source": source, "rule": "ES-TSL-001", "reason": "lab behind a VPN",
            "problem": "'ES-TSL-001' names no rule; did you mean ES-TLS-001? (this id waives nothing)"
        }])
    );
    let waived: Vec<_> = common::with_status(&json, "waived")
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(waived, ["ES-TLS-001"]);
    assert!(
        r.stderr.contains(&format!(
            "esaudit: warning: waiver {source} (ES-TSL-001): 'ES-TSL-001' names no rule; did you mean ES-TLS-001?"
        )),
        "{}",
        r.stderr
    );
}

/// An endpoint nobody answers on is an input error, as an unreachable cluster is: exit 2,
/// no grade, and each report says the scan is incomplete.
#[test]
fn an_unreachable_endpoint_makes_every_report_say_incomplete() {
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let r = run(&[
        "scan",
        "--tls",
        &endpoint,
        "--timeout",
        "2",
        "--report",
        &format!("json={}", file("r.json")),
        "--report",
        &format!("sarif={}", file("r.sarif")),
        "--report",
        &format!("markdown={}", file("r.md")),
        "--report",
        &format!("html={}", file("r.html")),
        "--report",
        &format!("ecs={}", file("r.ndjson")),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let why = format!("{endpoint}: cannot connect");
    // The table: the cause once, no grade; standard error: the verdict only (the table on
    // standard output already lists the input error).
    assert!(r.stdout.contains(&format!("Incomplete scan: what follows covers only what could be read; fix these and scan again:\n  {why}")), "{}", r.stdout);
    assert!(
        r.stdout.contains("Incomplete scan: nothing judged, no grade. Findings: 0. 12 checks of 12 rules on 1 target: 0 passed, 0 failed, 12 could not be judged"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("grade A"), "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "esaudit: incomplete scan: 1 input error (exit 2); no grade\n"
    );

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(file("r.json")).unwrap()).unwrap();
    assert_eq!(json["score"]["grade"], Value::Null);
    assert_eq!(json["errors"][0]["path"], endpoint);
    assert!(
        json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot connect")
    );

    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(file("r.sarif")).unwrap()).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(&why)
    );
    assert!(sarif["runs"][0]["properties"].get("grade").is_none());
    common::validate_sarif(&[std::path::Path::new(&file("r.sarif"))]);

    let markdown = std::fs::read_to_string(file("r.md")).unwrap();
    assert!(markdown.starts_with("## esaudit: Incomplete scan: nothing judged, no grade\n\n> [!WARNING]\n> **Incomplete scan.**"), "{markdown}");
    assert!(markdown.contains(&format!("> - {why}")), "{markdown}");
    assert!(!markdown.contains("No failing findings.\n"), "{markdown}");

    let html = std::fs::read_to_string(file("r.html")).unwrap();
    assert!(
        html.contains("<div class=\"banner\" role=\"alert\"><strong>Incomplete scan.</strong>")
    );
    assert!(
        html.contains(&format!("<li>{why}")),
        "input error in the banner"
    );
    assert!(!html.contains("grade A"));

    let ecs = std::fs::read_to_string(file("r.ndjson")).unwrap();
    let last: Value = serde_json::from_str(ecs.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"]["kind"], "event");
    assert_eq!(last["event"]["dataset"], "esaudit.scans");
    assert_eq!(last["event"]["outcome"], "failure");
    assert_eq!(last["esaudit"]["complete"], false);
    assert_eq!(last["esaudit"]["errors"][0]["path"], endpoint);
    // One document per result before it.
    assert_eq!(
        ecs.lines().count(),
        json["results"].as_array().unwrap().len() + 1
    );
}

/// A scan where every rule that ran did not apply judged nothing: exit 2, no grade.
#[test]
fn a_scan_that_judged_nothing_exits_2_without_a_grade() {
    // FIPS rules on a node that is not in FIPS mode: none applies.
    let r = run(&[
        "scan",
        "fixtures/hardened-node",
        "--select",
        "ES-FIPS-00",
        "-f",
        "json",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["score"]["grade"], Value::Null);
    assert_eq!(
        json["errors"],
        serde_json::json!([{"path": "", "message": "nothing was judged: no rule applied to what was found"}])
    );
    assert_eq!(
        r.stderr,
        "esaudit: error: nothing was judged: no rule applied to what was found\n\
         esaudit: incomplete scan: 1 input error (exit 2); no grade\n"
    );
}

/// A file that cannot be read makes the run incomplete even when the rest is clean.
#[test]
fn an_unreadable_input_beside_a_clean_one_gives_no_grade() {
    let r = run(&[
        "scan",
        "fixtures/hardened-node",
        "fixtures/no-such-folder",
        "-f",
        "markdown",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.starts_with(
            "## esaudit: Incomplete scan: no grade (score 100.0 / 100 over what was read)\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("> - fixtures/no-such-folder: cannot read"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("No failing findings in what could be read.")
    );
    // Markdown on standard output does not list the error for a terminal: standard error does.
    assert!(
        r.stderr
            .starts_with("esaudit: error: fixtures/no-such-folder: cannot read"),
        "{}",
        r.stderr
    );
}

/// The gate says why it failed on standard error, also when the reports go to files, with
/// counts per severity; the summary line counts findings per severity too.
#[test]
fn the_gate_says_why_it_failed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let r = run(&[
        "scan",
        "fixtures/insecure-node",
        "-o",
        out.to_str().unwrap(),
        "-f",
        "json",
        "--min-score",
        "90",
    ]);
    assert_eq!(r.code, 1);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let gating = json["score"]["coverage"]["gating"].as_object().unwrap();
    let count = |s: &str| gating.get(s).and_then(Value::as_u64).unwrap_or(0);
    let (critical, low) = (count("critical"), count("low"));
    assert_eq!(
        gating.len(),
        2,
        "insecure-node fails critical and low rules: {gating:?}"
    );
    // The counts are the failing results of the report.
    let failing = common::with_status(&json, "fail");
    assert_eq!(failing.len() as u64, critical + low);
    assert_eq!(
        failing
            .iter()
            .filter(|r| r["severity"] == "critical")
            .count() as u64,
        critical
    );
    assert_eq!(
        r.stderr,
        format!(
            "esaudit: failed: {critical} findings at or above high ({critical} critical); score {:.1} < 90\n",
            json["score"]["value"].as_f64().unwrap()
        )
    );

    let table = run(&["scan", "fixtures/insecure-node", "--fail-on", "low"]);
    assert_eq!(table.code, 1);
    let summary = table.stdout.lines().last().unwrap();
    assert!(
        summary.contains(&format!(
            "Findings: {} ({critical} critical, {low} low).",
            critical + low
        )),
        "{summary}"
    );
    assert!(
        table.stderr.ends_with(&format!(
            "esaudit: failed: {} findings at or above low ({critical} critical, {low} low)\n",
            critical + low
        )),
        "{}",
        table.stderr
    );

    // A gate that holds prints nothing on standard error.
    let held = run(&[
        "scan",
        "fixtures/insecure-node",
        "--fail-on",
        "none",
        "-f",
        "json",
    ]);
    assert_eq!(held.code, 0);
    assert_eq!(held.stderr, "");
}

/// `-f` is `--format`; a complete scan's SARIF says its execution succeeded.
#[test]
fn short_format_flag_and_a_complete_sarif_run() {
    let r = run(&["scan", "fixtures/insecure-node", "-f", "sarif"]);
    assert_eq!(r.code, 1);
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    assert!(invocation.get("toolExecutionNotifications").is_none());
}

/// Flag values that cannot be meant are usage errors, exit 2, with a message that names the
/// flag and says what it takes, before anything is scanned.
#[test]
fn impossible_flag_values_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("r.json");
    let same = same.to_str().unwrap();
    let report = format!("json={same}");
    let cases: [(&[&str], &str); 9] = [
        (
            &["--min-score", "200"],
            "'200' is not a score from 0 to 100",
        ),
        (&["--min-score=-1"], "'-1' is not a score from 0 to 100"),
        (
            &["--jobs", "0"],
            "'0' is not a number of workers (1 or more)",
        ),
        (
            &["--es-version", "99.1"],
            "Elasticsearch has no release 99.1",
        ),
        (
            &["--es-version", "7.18"],
            "Elasticsearch has no release 7.18",
        ),
        (&["--es-version", "4.0"], "Elasticsearch has no release 4.0"),
        (
            &["--timeout", "0"],
            "esaudit: error: --timeout must be more than 0 and at most 3600 seconds",
        ),
        (
            &["--probe-tls"],
            "esaudit: error: --probe-tls probes the nodes that live clusters report",
        ),
        (
            &["-o", same, "--report", &report],
            "named twice as a report destination",
        ),
    ];
    for (args, message) in cases {
        let r = run(&[&["scan", "fixtures/insecure-node"], args].concat());
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
        assert!(r.stderr.contains(message), "{args:?}: {}", r.stderr);
    }
    assert!(!std::path::Path::new(same).exists(), "nothing was written");
    // A version that exists is taken, a 9.x minor that is still to come too.
    for version in ["5.6", "7.17", "8.19", "9.7"] {
        let r = run(&["scan", "fixtures/insecure-node", "--es-version", version]);
        assert_eq!(r.code, 1, "{version}: {}", r.stderr);
    }
}

/// An Active Directory realm without `url` reaches its domain on `ldap://DOMAIN:389`, in clear
/// text: ES-AUTH-006 fails there as for a written `ldap://` URL, and passes with `ldaps://`.
#[test]
fn an_active_directory_realm_without_a_url_is_plain_ldap() {
    let verdict = |url: &str| {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir(&config).unwrap();
        std::fs::write(
            config.join("elasticsearch.yml"),
            format!(
                "cluster.name: ad\nnode.name: ad-1\nxpack.security.enabled: true\n\
                 xpack.security.authc.realms.active_directory.corp:\n  order: 0\n  \
                 domain_name: corp.example.com\n{url}"
            ),
        )
        .unwrap();
        let (_, report) = common::scan_json(&[
            dir.path().to_str().unwrap(),
            "--select",
            "ES-AUTH-006",
            "--detail",
            "items",
        ]);
        let results = report["results"].as_array().unwrap().clone();
        assert_eq!(results.len(), 1, "{results:?}");
        (
            results[0]["status"].as_str().unwrap().to_string(),
            results[0]["message"].as_str().unwrap().to_string(),
        )
    };
    let (status, message) = verdict("");
    assert_eq!(status, "fail");
    assert!(message.contains("active_directory.corp"), "{message}");
    assert_eq!(
        verdict("  url: ldaps://dc1.corp.example.com:636\n").0,
        "pass"
    );
    assert_eq!(
        verdict("  url: ldap://dc1.corp.example.com:389\n").0,
        "fail"
    );
}
