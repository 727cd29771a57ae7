//! The command line itself: `rules` filters, `explain` in the catalog's words with
//! suggestions, and `scan --help` grouped under headings.

mod common;

use common::esaudit;

/// `esaudit ARGS`: the exit code, standard output and standard error.
fn run(args: &[&str]) -> (i32, String, String) {
    let o = common::outcome(esaudit().args(args));
    (o.code, o.stdout, o.stderr)
}

/// The ids `esaudit rules ARGS -f json` lists.
fn listed(args: &[&str]) -> Vec<String> {
    let (code, stdout, stderr) = run(&[&["rules", "-f", "json"], args].concat());
    assert_eq!(code, 0, "{stderr}");
    let rules: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn rules_are_filtered_by_prefix_category_severity_and_profile() {
    let all = listed(&[]);
    let rules: serde_json::Value = serde_json::from_str(&run(&["rules", "-f", "json"]).1).unwrap();
    let expected = |keep: &dyn Fn(&serde_json::Value) -> bool| -> Vec<String> {
        rules
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| keep(r))
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let tls = listed(&["es-tls"]);
    assert!(!tls.is_empty() && tls.len() < all.len());
    assert_eq!(
        tls,
        expected(&|r| r["id"].as_str().unwrap().starts_with("ES-TLS"))
    );
    assert_eq!(
        listed(&["--category", "ip-filtering"]),
        expected(&|r| r["category"] == "ip-filtering")
    );
    assert_eq!(
        listed(&["ES", "--severity", "critical"]),
        expected(&|r| r["id"].as_str().unwrap().starts_with("ES") && r["severity"] == "critical")
    );
    let fips_only = listed(&["--profile", "fips"]);
    let baseline = listed(&["--profile", "baseline"]);
    assert!(fips_only.len() > baseline.len(), "fips adds FIPS 140 rules");
    assert_eq!(
        baseline,
        expected(&|r| r["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "baseline"))
    );
    // A prefix that names no rule is an error with a suggestion.
    let (code, stdout, stderr) = run(&["rules", "ES-TSL"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "esaudit: error: 'ES-TSL' names no rule; did you mean ES-TLS?\n"
    );
    // Filters that leave nothing: an empty list and a note.
    let (code, _, stderr) = run(&["rules", "ES-FIPS", "--profile", "baseline"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, "esaudit: note: no rule matches these filters\n");
}

#[test]
fn explain_speaks_the_catalogs_words_and_suggests_near_ids() {
    let (code, stdout, _) = run(&["explain", "es-net-001"]);
    assert_eq!(code, 0);
    let mut lines = stdout.lines();
    assert!(lines.next().unwrap().starts_with("ES-NET-001 — "));
    assert_eq!(
        lines.next().unwrap(),
        "severity: critical   category: network   scope: es_node   restart: full"
    );
    assert_eq!(lines.next().unwrap(), "profiles: baseline, strict, fips");
    let (code, _, stderr) = run(&["explain", "ES-NET-01"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "esaudit: error: no rule ES-NET-01; did you mean ES-NET-001?\n"
    );
}

#[test]
fn scan_help_is_grouped_under_headings() {
    let (code, stdout, _) = run(&["scan", "--help"]);
    assert_eq!(code, 0);
    let headings: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    assert_eq!(
        headings,
        [
            "Arguments:",
            "Options:",
            "Rules:",
            "Output:",
            "Gate:",
            "Large scans:",
            "TLS endpoints:",
            "Live clusters:"
        ]
    );
    // Each flag is described (clap's long help puts the text on the next line).
    // A flag's line is indented 2 (`  -f, --format`) or 6 (`      --select`) columns; the
    // possible values under a flag are indented more.
    let is_flag = |l: &str| {
        let t = l.trim_start();
        t.starts_with('-') && l.len() - t.len() <= 6
    };
    let flags = stdout.lines().filter(|l| is_flag(l)).count();
    assert!(flags > 30, "{stdout}");
    let described = stdout
        .lines()
        .zip(stdout.lines().skip(1))
        .filter(|(flag, help)| is_flag(flag) && !help.trim().is_empty())
        .count();
    assert_eq!(flags, described, "a flag without help text:\n{stdout}");
}

/// `-f concise`: one line per finding in file order, `path:line:col: RULE severity message`,
/// then the verdict; the whole of it pinned for the insecure node.
#[test]
fn concise_lists_one_finding_per_line() {
    let (code, stdout, stderr) = run(&["scan", "fixtures/insecure-node", "-f", "concise"]);
    assert_eq!(code, 1);
    let file = "fixtures/insecure-node/config/elasticsearch.yml";
    assert_eq!(
        stdout,
        format!(
            "{file}:4:1: ES-NET-001 critical HTTP binds beyond loopback (network.host = 0.0.0.0) while security is off\n\
             {file}:4:1: ES-NET-002 low HTTP binds every interface: network.host = 0.0.0.0\n\
             {file}:4:1: ES-NET-003 critical The transport layer is bound beyond loopback but is not protected by TLS\n\
             {file}:7:1: ES-NET-006 critical CORS accepts any origin (http.cors.allow-origin = *) and lets browsers send credentials\n\
             {file}:9:1: ES-SEC-001 critical Security is off on this node: xpack.security.enabled = false (written, or implied by the version or the image)\n\
             Score 34.9 / 100, grade F. Findings: 5 (4 critical, 1 low).\n"
        )
    );
    assert_eq!(
        stderr,
        "esaudit: failed: 4 findings at or above high (4 critical)\n"
    );
}

/// `--quiet` drops notes and warnings, never errors or the verdict; `--color always` colours
/// the table in a pipe (a CI log), `--color never` and NO_COLOR do not.
#[test]
fn quiet_and_color() {
    // A waiver that matches nothing is a warning; the gate still fails.
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("w.yaml");
    std::fs::write(
        &waivers,
        "waivers:\n- rule: ES-FIPS-001\n  reason: never used\n",
    )
    .unwrap();
    let args = [
        "scan",
        "fixtures/insecure-node",
        "-f",
        "json",
        "--waivers",
        waivers.to_str().unwrap(),
    ];
    let (_, _, loud) = run(&args);
    let (code, _, quiet) = run(&[&args[..], &["-q"]].concat());
    assert_eq!(code, 1);
    assert!(loud.contains("esaudit: warning: waiver"), "{loud}");
    assert_eq!(
        quiet,
        "esaudit: failed: 4 findings at or above high (4 critical)\n"
    );

    let colored = esaudit()
        .env_remove("NO_COLOR")
        .args(["scan", "fixtures/insecure-node", "--color", "always"])
        .output()
        .unwrap();
    let colored = String::from_utf8_lossy(&colored.stdout);
    assert!(colored.contains("\u{1b}["), "colour codes in a pipe");
    assert!(
        colored.lines().all(|l| l.chars().count() < 400),
        "wrapped at a fixed width"
    );
    let (_, plain, _) = run(&["scan", "fixtures/insecure-node", "--color", "never"]);
    assert!(!plain.contains("\u{1b}["));
}

/// `--version` names the cryptographic module and whether it is in FIPS mode; `-V` stays one
/// line for scripts.
#[test]
fn version_names_the_crypto_module() {
    let (code, stdout, _) = run(&["--version"]);
    assert_eq!(code, 0);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some(concat!("esaudit ", env!("CARGO_PKG_VERSION")))
    );
    let crypto = lines.next().unwrap_or_default();
    match esaudit::crypto::FIPS_BUILD {
        true => assert!(
            crypto.starts_with("crypto: AWS-LC FIPS module ") && crypto.ends_with("FIPS mode: on"),
            "{crypto}"
        ),
        false => assert!(
            crypto.starts_with("crypto: AWS-LC ") && crypto.contains("FIPS mode: off"),
            "{crypto}"
        ),
    }
    let (code, stdout, _) = run(&["-V"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim_end(),
        concat!("esaudit ", env!("CARGO_PKG_VERSION"))
    );
}
