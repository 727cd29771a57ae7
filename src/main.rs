//! The command line. All work happens in the library; this file parses flags, merges them with
//! `esaudit.toml`, writes the outputs and turns the outcome into an exit code (0 gate held,
//! 1 gate failed, 2 bad input).

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use esaudit::config::{self, Config};
use esaudit::evidence::EsVersion;
use esaudit::report::{self, Format};
use esaudit::rules::{Profile, Severity};
use esaudit::shard::Shard;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// See Cargo.toml: jemalloc where releases are built, the system's allocator elsewhere.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "esaudit",
    version,
    about = "Audit the security of Elastic Stack deployments"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Table,
    Json,
    Markdown,
}

/// A severity, or `none` to never fail on findings.
#[derive(Clone, Copy)]
struct FailOn(Option<Severity>);

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(FailOn(None));
    }
    Severity::from_str(s, true)
        .map(|s| FailOn(Some(s)))
        .map_err(|_| "expected critical, high, medium, low, info or none".into())
}

/// An Elasticsearch release esaudit can judge against: 5.0 to 5.6, 6.0 to 6.8, 7.0 to 7.17,
/// 8.0 to 8.19, or any 9.x (the current major, whose minors keep coming).
fn parse_version(s: &str) -> Result<EsVersion, String> {
    let v = EsVersion::parse(s).ok_or_else(|| format!("'{s}' is not a version like 8.15"))?;
    let last_minor = match v.major {
        5 => Some(6),
        6 => Some(8),
        7 => Some(17),
        8 => Some(19),
        9 => None,
        _ => Some(0),
    };
    let exists = (5..=9).contains(&v.major) && last_minor.is_none_or(|last| v.minor <= last);
    if !exists {
        return Err(format!(
            "Elasticsearch has no release {v} that esaudit judges (5.0-5.6, 6.0-6.8, 7.0-7.17, 8.0-8.19, 9.x)"
        ));
    }
    Ok(v)
}

/// `--min-score`: a score is 0 to 100.
fn parse_min_score(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if (0.0..=100.0).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a score from 0 to 100")),
    }
}

/// `--jobs`: at least one worker.
fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("'{s}' is not a number of workers (1 or more)")),
    }
}

fn parse_list(s: &str) -> Result<Vec<String>, String> {
    Ok(s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect())
}

/// `FORMAT=FILE` for `--report`.
fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not FORMAT=FILE (e.g. sarif=esaudit.sarif)"))?;
    let format = Format::parse(format).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format '{format}' (one of {})", names.join(", "))
    })?;
    if file.trim().is_empty() {
        return Err(format!("'{s}' names no file"));
    }
    Ok((format, PathBuf::from(file)))
}

/// What `scan` and `merge` share: the config file, the rule folders, the reports and the gate.
#[derive(clap::Args)]
struct ReportArgs {
    /// Tool config file (default: esaudit.toml in the working directory, if present).
    #[arg(help_heading = "Rules", long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Folder of extra rule files (*.yaml); repeatable.
    #[arg(help_heading = "Rules", long = "checks", value_name = "DIR")]
    checks: Vec<PathBuf>,
    /// Format of the main output (default: table).
    #[arg(help_heading = "Output", long, short = 'f', value_enum)]
    format: Option<Format>,
    /// Write the main output to this file instead of standard output.
    #[arg(help_heading = "Output", long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a report in FORMAT to FILE; repeatable (e.g. --report sarif=esaudit.sarif).
    #[arg(help_heading = "Output", long = "report", value_parser = parse_report, value_name = "FORMAT=FILE")]
    reports: Vec<(Format, PathBuf)>,
    /// Fail (exit 1) when a finding of this severity or worse fails (default high); `none` never fails.
    #[arg(help_heading = "Gate", long, value_parser = parse_fail_on, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// Fail (exit 1) when the overall score is below this (0-100).
    #[arg(help_heading = "Gate", long, value_parser = parse_min_score, value_name = "N")]
    min_score: Option<f64>,
    /// SARIF category (automationDetails.id), so several scans of one commit do not replace
    /// each other on GitHub (default: esaudit/<profile>).
    #[arg(help_heading = "Output", long, value_name = "CATEGORY")]
    sarif_category: Option<String>,
    /// Repository file that SARIF results without a file of their own are attached to (line 1).
    #[arg(help_heading = "Output", long, value_name = "FILE")]
    sarif_anchor: Option<PathBuf>,
    /// When to colour the table: auto (on a terminal, unless NO_COLOR is set), always (CI
    /// logs), never.
    #[arg(
        help_heading = "Output",
        long,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    color: ColorWhen,
    /// Never colour the table (the same as --color never).
    #[arg(long, hide = true)]
    no_color: bool,
    /// Print no notes or warnings on standard error, only errors and the verdict.
    #[arg(help_heading = "Output", long, short = 'q')]
    quiet: bool,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files or folders to scan (folders are searched recursively); default: `paths` of the
    /// config file.
    paths: Vec<PathBuf>,
    /// Rule set: baseline (default), strict (baseline plus policy checks) or fips (baseline plus FIPS 140).
    #[arg(help_heading = "Rules", long, value_enum)]
    profile: Option<Profile>,
    /// Only these rule ids or id prefixes (comma-separated, repeatable).
    #[arg(help_heading = "Rules", long, value_parser = parse_list, value_name = "ID,PREFIX")]
    select: Vec<Vec<String>>,
    /// Skip these rule ids or id prefixes (comma-separated, repeatable).
    #[arg(help_heading = "Rules", long, value_parser = parse_list, value_name = "ID,PREFIX")]
    ignore: Vec<Vec<String>>,
    #[command(flatten)]
    report: ReportArgs,
    /// Scan only share I of N (1 ≤ I ≤ N) of the files, clusters and endpoints, so that N
    /// machines can split a scan; `esaudit merge` joins their JSON reports.
    #[arg(help_heading = "Large scans", long, value_parser = Shard::parse, value_name = "I/N")]
    shard: Option<Shard>,
    /// Waivers file (default: esaudit-waivers.yaml in the working directory, if present).
    #[arg(help_heading = "Rules", long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// A previous JSON report: failures already in it are shown but do not fail the run.
    #[arg(help_heading = "Gate", long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Judge against this Elasticsearch version (X.Y) instead of the one found or assumed.
    #[arg(help_heading = "Rules", long, value_parser = parse_version, value_name = "X.Y")]
    es_version: Option<EsVersion>,
    /// Certificates expiring within this many days are reported.
    #[arg(
        help_heading = "Rules",
        long,
        default_value_t = 30,
        value_name = "DAYS"
    )]
    expiry_warning_days: i64,
    /// Passes and not-applicables: one result per check, a rule on a target (default), or
    /// one per item judged (every setting, context, role…), as JSON report version 1 had.
    #[arg(
        help_heading = "Output",
        long,
        value_enum,
        default_value = "checks",
        value_name = "LEVEL"
    )]
    detail: esaudit::results::Detail,
    /// Worker threads (default: one per core); also the number of TLS endpoints probed at once
    /// (default 8).
    #[arg(help_heading = "Large scans", long, value_parser = parse_jobs, value_name = "N")]
    jobs: Option<usize>,
    /// Probe a TLS endpoint: protocols, cipher suites, chain, client certificates; repeatable.
    /// `=transport` or `=http` sets its role (default: transport for ports 9300-9400).
    #[arg(help_heading = "TLS endpoints", long = "tls", value_parser = esaudit::evidence::endpoint::EndpointSpec::parse, value_name = "HOST:PORT[=ROLE]")]
    tls: Vec<esaudit::evidence::endpoint::EndpointSpec>,
    /// Also probe the TLS endpoints of the nodes a live scan finds (their HTTP and transport
    /// publish addresses).
    #[arg(help_heading = "TLS endpoints", long)]
    probe_tls: bool,
    /// Seconds one live cluster may take in all, however its calls are paced (default 120).
    #[arg(
        help_heading = "Live clusters",
        long,
        default_value_t = 120.0,
        value_name = "SECS"
    )]
    cluster_timeout: f64,
    /// Seconds to wait for each TLS connection (connect and handshake).
    #[arg(
        help_heading = "TLS endpoints",
        long,
        default_value_t = 5.0,
        value_name = "SECS"
    )]
    timeout: f64,
    /// PEM file of the CA(s) that TLS endpoints' chains must lead to (default: public roots);
    /// repeatable.
    #[arg(help_heading = "TLS endpoints", long = "ca-cert", value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
    /// Draw no progress bars (they are drawn on standard error only when it is a terminal).
    #[arg(help_heading = "Output", long)]
    no_progress: bool,
    /// Also index the ECS findings into Elasticsearch: https://HOST:PORT/INDEX (default index
    /// esaudit-findings), with the same credentials and --ca-cert as --url.
    #[arg(help_heading = "Output", long, value_name = "URL")]
    es_output: Option<String>,
    /// Stop probing a TLS endpoint after this many seconds in all; what was left is reported
    /// as an error.
    #[arg(help_heading = "TLS endpoints", long, value_name = "SECS")]
    endpoint_timeout: Option<f64>,
    #[command(flatten)]
    api: ApiArgs,
}

/// Live clusters and how to authenticate to them. Secrets never come from a flag: the
/// password from `ESAUDIT_PASSWORD` or `--password-file`, an API key from `ESAUDIT_API_KEY`.
#[derive(clap::Args)]
struct ApiArgs {
    /// Read a live Elasticsearch cluster over its REST API (https://host:9200); repeatable.
    #[arg(help_heading = "Live clusters", long = "url", value_name = "URL")]
    urls: Vec<String>,
    /// YAML file of clusters (name, url, user, password_env, ca_cert...) and TLS endpoints.
    #[arg(help_heading = "Live clusters", long, value_name = "FILE")]
    inventory: Option<PathBuf>,
    /// User to authenticate as; the password comes from ESAUDIT_PASSWORD or --password-file.
    #[arg(help_heading = "Live clusters", long, value_name = "NAME")]
    user: Option<String>,
    /// File holding the password of --user (one line).
    #[arg(help_heading = "Live clusters", long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// PEM client certificate for clusters that authenticate clients by certificate.
    #[arg(help_heading = "Live clusters", long, value_name = "FILE")]
    client_cert: Option<PathBuf>,
    /// PEM private key of --client-cert.
    #[arg(help_heading = "Live clusters", long, value_name = "FILE")]
    client_key: Option<PathBuf>,
    /// Do not verify the clusters' certificates and host names (stated in the report).
    #[arg(help_heading = "Live clusters", long)]
    insecure: bool,
    /// Send credentials over plain http:// (they cross the network readable).
    #[arg(help_heading = "Live clusters", long)]
    allow_http_credentials: bool,
}

#[derive(clap::Args)]
struct CollectArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// Folder to write the snapshot to (one folder per cluster under it when there are several).
    #[arg(long, short, value_name = "DIR")]
    output: PathBuf,
    /// PEM file of the CA(s) the clusters' HTTP certificates must lead to (default: system
    /// roots); repeatable.
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
    /// Seconds to wait for each request.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    timeout: f64,
    /// Seconds one cluster may take in all, however its calls are paced.
    #[arg(long, default_value_t = 120.0, value_name = "SECS")]
    cluster_timeout: f64,
    /// Draw no progress bar (it is drawn on standard error only when it is a terminal).
    #[arg(long)]
    no_progress: bool,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// JSON reports to merge (`scan --format json`), typically one per share of `scan --shard`.
    #[arg(required = true, value_name = "REPORT.json")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Scan configuration files and folders, live clusters and TLS endpoints.
    Scan(Box<ScanArgs>),
    /// Snapshot live clusters' security APIs into a folder, for a later offline scan.
    Collect(Box<CollectArgs>),
    /// Merge the JSON reports of a split scan (`scan --shard I/N`) into one report, scored and
    /// gated like a scan.
    Merge(Box<MergeArgs>),
    /// List the rule catalog, or the rules that match a prefix and filters.
    Rules {
        /// Only rules whose id starts with this (any case), e.g. ES-TLS.
        prefix: Option<String>,
        /// Only rules of this category.
        #[arg(long, value_enum)]
        category: Option<esaudit::rules::Category>,
        /// Only rules of this severity.
        #[arg(long, value_enum)]
        severity: Option<Severity>,
        /// Only rules that this profile runs.
        #[arg(long, value_enum)]
        profile: Option<Profile>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value = "table")]
        format: RulesFormat,
        /// Folder of extra rule files to include; repeatable.
        #[arg(long = "checks", value_name = "DIR")]
        checks: Vec<PathBuf>,
    },
    /// Show a rule's rationale, remediation, restart impact and references.
    Explain {
        /// The rule id, in any case (e.g. ES-TLS-001).
        rule: String,
        /// Folder of extra rule files to look in; repeatable.
        #[arg(long = "checks", value_name = "DIR")]
        checks: Vec<PathBuf>,
    },
    /// Compare two JSON reports: new, fixed and changed findings, and the score change.
    /// Exits 1 when something fails in NEW that did not fail in OLD (at or above --fail-on).
    Diff {
        /// The earlier JSON report (e.g. of the target branch).
        old: PathBuf,
        /// The later JSON report (e.g. of the pull request).
        new: PathBuf,
        /// Output format; markdown makes a pull-request comment.
        #[arg(long, short = 'f', value_enum, default_value = "table")]
        format: DiffFormat,
        /// Exit 1 only for new findings of this severity or worse; `none` never exits 1.
        #[arg(long, value_parser = parse_fail_on, value_name = "SEVERITY", default_value = "info")]
        fail_on: FailOn,
    },
    /// Print a shell completion script (e.g. `esaudit completions bash > /etc/bash_completion.d/esaudit`).
    Completions { shell: clap_complete::Shell },
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

fn use_color(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
}

fn main() -> ExitCode {
    let cli = parse_command_line();
    // Every connection's TLS runs on this provider; a FIPS build stops here rather than fall back
    // to cryptography outside the module.
    if let Err(e) = esaudit::crypto::install() {
        eprintln!("esaudit: error: {e}");
        return ExitCode::from(2);
    }
    esaudit::interrupt::install();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("esaudit: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The command line, with `--version` saying which cryptographic module esaudit runs on (known
/// only at run time: whether the module is in FIPS mode).
fn parse_command_line() -> Cli {
    let long_version = format!(
        "{}\n{}",
        env!("CARGO_PKG_VERSION"),
        esaudit::crypto::describe()
    );
    let matches = Cli::command()
        .long_version(&*Box::leak(long_version.into_boxed_str()))
        .get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Rules {
            prefix,
            category,
            severity,
            profile,
            format,
            checks,
        } => {
            let engine = esaudit::engine(&checks).map_err(|e| e.to_string())?;
            if let Some(why) = prefix.as_deref().and_then(|p| engine.unknown_rule(p)) {
                return Err(why);
            }
            let chosen = || {
                engine.rules().filter(|r| {
                    prefix
                        .as_deref()
                        .is_none_or(|p| esaudit::rules::id_matches(p, &r.id))
                        && category.is_none_or(|c| r.category == c)
                        && severity.is_none_or(|s| r.severity == s)
                        && profile.is_none_or(|p| r.in_profile(p))
                })
            };
            if chosen().next().is_none() {
                eprintln!("esaudit: note: no rule matches these filters");
            }
            let text = match format {
                RulesFormat::Table => report::table::rules(chosen(), use_color(ColorWhen::Auto)),
                RulesFormat::Json => {
                    let rules: Vec<_> = chosen().collect();
                    serde_json::to_string_pretty(&rules).map_err(|e| e.to_string())? + "\n"
                }
                RulesFormat::Markdown => report::markdown::catalog(chosen()),
            };
            print_text(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule, checks } => {
            let engine = esaudit::engine(&checks).map_err(|e| e.to_string())?;
            let found = engine.rule(&rule).ok_or_else(|| {
                match engine
                    .nearest_rule(&rule)
                    .filter(|near| engine.rule(near).is_some())
                {
                    Some(near) => format!("no rule {rule}; did you mean {near}?"),
                    None => format!("no rule {rule}; `esaudit rules` lists them"),
                }
            })?;
            print_text(&report::table::explain(found))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            old,
            new,
            format,
            fail_on,
        } => {
            let old = report::json::read(&old)?;
            let new = report::json::read(&new)?;
            let diff = esaudit::diff::compare(old, new);
            print_text(&match format {
                DiffFormat::Table => diff.to_table(),
                DiffFormat::Json => diff.to_json(),
                DiffFormat::Markdown => diff.to_markdown(),
            })?;
            Ok(if fail_on.0.is_some_and(|s| diff.has_new_at_or_above(s)) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "esaudit",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Scan(args) => scan(*args),
        Command::Collect(args) => collect(*args),
        Command::Merge(args) => merge(*args),
    }
}

/// The clusters named by `--url` and `--inventory`, and the inventory's TLS endpoints.
fn connections(
    api: &ApiArgs,
    inventory: Option<&Path>,
    ca_certs: &[PathBuf],
) -> Result<
    (
        Vec<esaudit::collect::api::Connection>,
        Vec<esaudit::evidence::endpoint::EndpointSpec>,
    ),
    String,
> {
    use esaudit::collect::{api::Connection, inventory};
    let (cli_password, api_key) = credentials(api)?;
    let from_cli = |url: String, name: String| Connection {
        name,
        url,
        user: api.user.clone(),
        password: cli_password.clone(),
        api_key: api_key.clone(),
        client_cert: api.client_cert.clone(),
        client_key: api.client_key.clone(),
        ca_certs: ca_certs.to_vec(),
        insecure: api.insecure,
        allow_http_credentials: api.allow_http_credentials,
        anchor: None,
    };
    let mut clusters = Vec::new();
    for url in &api.urls {
        let parsed = reqwest_url(url)?;
        let mut name = inventory::default_name(&parsed);
        if clusters.iter().any(|c: &Connection| c.name == name) {
            name = format!("{name}-{}", clusters.len() + 1);
        }
        clusters.push(from_cli(url.trim().to_string(), name));
    }
    let mut tls = Vec::new();
    if let Some(file) = inventory {
        let declared = inventory::load(file)?;
        for mut c in declared.clusters {
            if c.user.is_none() && c.api_key.is_none() {
                // No credentials in the inventory entry: the command line's, if any.
                c.user = api.user.clone();
                c.password = cli_password.clone();
                c.api_key = api_key.clone();
            }
            if c.ca_certs.is_empty() {
                c.ca_certs = ca_certs.to_vec();
            }
            if c.client_cert.is_none() {
                c.client_cert = api.client_cert.clone();
                c.client_key = api.client_key.clone();
            }
            c.insecure |= api.insecure;
            c.allow_http_credentials |= api.allow_http_credentials;
            if clusters.iter().any(|o: &Connection| o.name == c.name) {
                return Err(format!(
                    "{}: cluster {} is also named by --url",
                    file.display(),
                    c.name
                ));
            }
            clusters.push(c);
        }
        tls = declared.tls;
    }
    Ok((clusters, tls))
}

/// The `--es-output` destination, authenticated like a `--url` cluster.
fn es_output(
    url: &str,
    api: &ApiArgs,
    ca_certs: &[PathBuf],
    timeout: std::time::Duration,
) -> Result<report::es_output::Destination, String> {
    let (base, index) =
        report::es_output::parse_url(url).map_err(|e| format!("--es-output: {e}"))?;
    let (password, api_key) = credentials(api)?;
    Ok(report::es_output::Destination {
        connection: esaudit::collect::api::Connection {
            name: "es-output".into(),
            url: base,
            user: api.user.clone(),
            password,
            api_key,
            client_cert: api.client_cert.clone(),
            client_key: api.client_key.clone(),
            ca_certs: ca_certs.to_vec(),
            insecure: api.insecure,
            allow_http_credentials: api.allow_http_credentials,
            anchor: None,
        },
        index,
        // A bulk request of 1000 documents takes longer than a GET.
        timeout: timeout.max(std::time::Duration::from_secs(30)),
    })
}

/// The password (for `--user`) and API key the command line and environment give, checked.
fn credentials(api: &ApiArgs) -> Result<(Option<String>, Option<String>), String> {
    let password = match &api.password_file {
        Some(file) => {
            if api.user.is_none() {
                return Err("--password-file needs --user".into());
            }
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("--password-file {}: cannot read: {e}", file.display()))?;
            Some(text.trim_end_matches(['\r', '\n']).to_string())
        }
        None => std::env::var("ESAUDIT_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
    };
    let api_key = std::env::var("ESAUDIT_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    let cli_password = api.user.as_ref().and(password);
    if api.user.is_some() && cli_password.is_none() && api_key.is_none() {
        return Err("--user needs a password: set ESAUDIT_PASSWORD or use --password-file".into());
    }
    for (flag, file) in [
        ("--client-cert", &api.client_cert),
        ("--client-key", &api.client_key),
    ] {
        if let Some(file) = file
            && !file.is_file()
        {
            return Err(format!("{flag} {}: no such file", file.display()));
        }
    }
    if api.client_key.is_some() && api.client_cert.is_none() {
        return Err("--client-key needs --client-cert".into());
    }
    Ok((cli_password, api_key))
}

/// A `--url`, checked; the error never repeats a URL that holds credentials.
fn reqwest_url(url: &str) -> Result<esaudit::collect::api::Url, String> {
    let parsed = esaudit::collect::api::Url::parse(url.trim())
        .map_err(|e| format!("--url: not a URL: {e}"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("--url: the URL holds credentials (user:password@); name the user with --user and give the password in ESAUDIT_PASSWORD (or --password-file) instead".into());
    }
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(format!("--url {url}: expected https://HOST:PORT"));
    }
    Ok(parsed)
}

fn check_timeout(flag: &str, timeout: f64) -> Result<std::time::Duration, String> {
    if !(timeout > 0.0 && timeout <= 3600.0) {
        return Err(format!(
            "{flag} must be more than 0 and at most 3600 seconds"
        ));
    }
    Ok(std::time::Duration::from_secs_f64(timeout))
}

fn check_ca_certs(ca_certs: &[PathBuf]) -> Result<(), String> {
    for ca in ca_certs {
        if !ca.is_file() {
            return Err(format!("--ca-cert {}: no such file", ca.display()));
        }
    }
    Ok(())
}

/// `esaudit collect`: one snapshot folder per cluster; exit 2 when a cluster gave nothing.
fn collect(args: CollectArgs) -> Result<ExitCode, String> {
    use esaudit::collect::{api, snapshot};
    if args.api.urls.is_empty() && args.api.inventory.is_none() {
        return Err("nothing to collect: name a cluster with --url or --inventory".into());
    }
    let timeout = check_timeout("--timeout", args.timeout)?;
    check_ca_certs(&args.ca_cert)?;
    let (clusters, _) = connections(&args.api, args.api.inventory.as_deref(), &args.ca_cert)?;
    if clusters.is_empty() {
        return Err("nothing to collect: the inventory declares no clusters".into());
    }
    let options = api::ApiOptions {
        timeout,
        cluster_budget: check_timeout("--cluster-timeout", args.cluster_timeout)?,
        progress: esaudit::progress::Progress::new(!args.no_progress),
        ..Default::default()
    };
    let snapshots = api::collect_all(&clusters, &options);
    let time = esaudit::clock::Timestamp::now().rfc3339();
    let one_folder = snapshots.len() == 1 && args.api.inventory.is_none();
    let mut unreachable = false;
    for s in &snapshots {
        let dir = if one_folder {
            args.output.clone()
        } else {
            args.output.join(folder_name(&s.name))
        };
        if let Some(e) = &s.error {
            eprintln!("esaudit: error: {}: {e}", s.name);
            unreachable = true;
            continue;
        }
        let no_answer = s
            .calls
            .get("version")
            .is_some_and(|a| a.status == 0 && a.body.is_none());
        if let Some(why) = s
            .calls
            .get("version")
            .and_then(|a| a.error.as_deref())
            .filter(|_| no_answer)
        {
            eprintln!("esaudit: error: {}: {why}", s.name);
            unreachable = true;
        }
        snapshot::write(s, &dir, &time)
            .map_err(|e| format!("{}: cannot write the snapshot: {e}", dir.display()))?;
        let ok = s.calls.values().filter(|a| a.body.is_some()).count();
        let refused = s
            .calls
            .values()
            .filter(|a| a.body.is_none() && matches!(a.status, 401 | 403))
            .count();
        let failed = s.calls.len() - ok - refused;
        eprintln!(
            "{}: {ok} calls ok, {refused} refused, {failed} failed{}{} -> {}",
            s.name,
            match s.service_credentials.len() {
                0 => String::new(),
                n => format!(", {n} service accounts"),
            },
            if s.insecure {
                " (certificate not verified: --insecure)"
            } else {
                ""
            },
            dir.display()
        );
        if s.anonymous
            .as_ref()
            .is_some_and(|a| (200..300).contains(&a.root.status))
        {
            eprintln!(
                "esaudit: warning: {}: answers requests without credentials",
                s.name
            );
        }
    }
    Ok(if unreachable {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// A cluster name as a folder name.
fn folder_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.trim_matches('.') {
        "" => "cluster".into(),
        c => c.to_string(),
    }
}

/// The config file: `--config FILE` (must exist), else `esaudit.toml` here if present.
fn load_config(explicit: Option<&Path>) -> Result<Config, String> {
    match explicit {
        Some(path) => config::load(path),
        None if Path::new(config::DEFAULT_FILE).is_file() => {
            config::load(Path::new(config::DEFAULT_FILE))
        }
        None => Ok(Config::default()),
    }
}

/// `FILE: key: problem`, for a bad value in the config file.
fn in_file(config_name: &str, key: &str, e: String) -> String {
    format!("{config_name}: {key}: {e}")
}

/// The config file's name as the user knows it, for messages.
fn config_name(explicit: Option<&Path>) -> String {
    explicit
        .unwrap_or(Path::new(config::DEFAULT_FILE))
        .display()
        .to_string()
}

/// Where the reports go and what fails the run: the end of a run that `scan` and `merge`
/// share.
struct Finish {
    format: Format,
    output: Option<PathBuf>,
    reports: Vec<(Format, PathBuf)>,
    /// Colour the table when it goes to standard output.
    color: bool,
    /// No notes or warnings on standard error.
    quiet: bool,
    sarif: report::sarif::Options,
    fail_on: FailOn,
    min_score: Option<f64>,
}

impl Finish {
    /// The flags, else the config file's keys. `inventory` anchors SARIF findings that have no
    /// file when no `--sarif-anchor` is given.
    fn new(
        args: ReportArgs,
        file: &Config,
        config_name: &str,
        inventory: Option<&Path>,
    ) -> Result<Finish, String> {
        let fail_on = match (args.fail_on, &file.fail_on) {
            (Some(f), _) => f,
            (None, Some(text)) => {
                parse_fail_on(text).map_err(|e| in_file(config_name, "fail-on", e))?
            }
            (None, None) => FailOn(Some(Severity::High)),
        };
        let root = std::env::current_dir().map_err(|e| format!("working directory: {e}"))?;
        let sarif_anchor = args.sarif_anchor.or(file.sarif_anchor.clone());
        // Findings about live clusters have no file: the inventory that declares them is the
        // natural place to show them on, when it is inside the repository.
        let inventory_anchor = inventory
            .filter(|p| p.is_file())
            .and_then(|p| report::sarif::repo_path(&p.display().to_string(), &root));
        let anchor = match &sarif_anchor {
            Some(path) => Some(
                report::sarif::repo_path(&path.display().to_string(), &root)
                    .filter(|_| path.is_file())
                    .ok_or_else(|| {
                        format!(
                            "--sarif-anchor {}: must be an existing file inside the working directory (the repository)",
                            path.display()
                        )
                    })?,
            ),
            None => inventory_anchor,
        };
        let category = args.sarif_category.or(file.sarif_category.clone());
        if category
            .as_deref()
            .is_some_and(|c| c.trim_matches('/').trim().is_empty())
        {
            return Err("--sarif-category must not be empty".into());
        }
        let min_score = args.min_score.or(file.min_score);
        if let Some(min) = min_score.filter(|m| !(0.0..=100.0).contains(m)) {
            return Err(in_file(
                config_name,
                "min-score",
                format!("{min} is not a score from 0 to 100"),
            ));
        }
        let output = args.output.or(file.output.clone());
        let reports: Vec<(Format, PathBuf)> = if args.reports.is_empty() {
            file.reports.clone().into_iter().collect()
        } else {
            args.reports
        };
        // Two reports into one file: the last written would silently replace the other.
        let mut destinations: Vec<PathBuf> = Vec::new();
        for path in output.iter().chain(reports.iter().map(|(_, p)| p)) {
            let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            if destinations.contains(&absolute) {
                return Err(format!(
                    "{}: named twice as a report destination (-o and --report, or two --report)",
                    path.display()
                ));
            }
            destinations.push(absolute);
        }
        Ok(Finish {
            format: args.format.or(file.format).unwrap_or(Format::Table),
            color: use_color(if args.no_color {
                ColorWhen::Never
            } else {
                args.color
            }),
            quiet: args.quiet,
            output,
            reports,
            sarif: report::sarif::Options {
                category,
                anchor,
                root,
            },
            fail_on,
            min_score,
        })
    }

    /// The reports asked for, the main output first, each with what its format needs (only
    /// the main output is coloured, and only on a terminal).
    fn planned(&self) -> Vec<(Format, report::Options)> {
        let options = |color: bool| report::Options {
            color,
            sarif: self.sarif.clone(),
        };
        std::iter::once((self.format, options(self.output.is_none() && self.color)))
            .chain(
                self.reports
                    .iter()
                    .map(|(format, _)| (*format, options(false))),
            )
            .collect()
    }

    /// Writes the main output and every `--report`, then prints what the formats warn about.
    fn write(&self, scan: &esaudit::Scan) -> Result<(), String> {
        self.write_with(|_, format, options, out| report::write(format, scan, options, out))
    }

    /// [`Finish::write`], with report `n` of [`Finish::planned`] written by `write`.
    fn write_with(
        &self,
        mut write: impl FnMut(
            usize,
            Format,
            &report::Options,
            &mut dyn std::io::Write,
        ) -> std::io::Result<Vec<String>>,
    ) -> Result<(), String> {
        let paths = std::iter::once(self.output.as_deref())
            .chain(self.reports.iter().map(|(_, path)| Some(path.as_path())));
        let mut warnings = Vec::new();
        for (n, ((format, options), path)) in self.planned().into_iter().zip(paths).enumerate() {
            let fill = |out: &mut dyn std::io::Write| write(n, format, &options, out);
            warnings.extend(match path {
                Some(path) => write_report(path, fill)?,
                None => print_report(fill)?,
            });
        }
        warnings.dedup();
        if self.quiet {
            warnings.clear();
        }
        for w in warnings {
            eprintln!("esaudit: warning: {w}");
        }
        Ok(())
    }

    /// Whether the gate fails: a failure at or above `--fail-on` (waived and baseline ones do
    /// not count), or the score under `--min-score`.
    fn gate_fails(&self, scan: &esaudit::Scan) -> bool {
        self.gate_failure(scan).is_some()
    }

    /// Why the gate fails, in words (`31 findings at or above high (4 critical, 27 high);
    /// score 46.5 < 90`); none when it holds.
    fn gate_failure(&self, scan: &esaudit::Scan) -> Option<String> {
        use esaudit::score::Coverage;
        let mut reasons = Vec::new();
        if let Some(threshold) = self.fail_on.0 {
            let failing: std::collections::BTreeMap<Severity, usize> = scan
                .score
                .coverage
                .gating
                .iter()
                .filter(|(severity, n)| **severity >= threshold && **n > 0)
                .map(|(severity, n)| (*severity, *n))
                .collect();
            let total: usize = failing.values().sum();
            if total > 0 {
                reasons.push(format!(
                    "{total} finding{} at or above {} ({})",
                    if total == 1 { "" } else { "s" },
                    threshold.as_str(),
                    Coverage::by_severity(&failing)
                ));
            }
        }
        if let Some(min) = self.min_score.filter(|min| scan.score.value < *min) {
            reasons.push(format!("score {:.1} < {min}", scan.score.value));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// How a batched scan writes the reports, when it can write every one of them.
    fn streamed_renderings(&self) -> Option<Vec<esaudit::stream::Rendering>> {
        self.planned()
            .iter()
            .map(|(format, options)| esaudit::stream::Rendering::of(*format, options))
            .collect()
    }
}

/// Input errors, waivers that need attention and a too powerful scanner, on standard error
/// (the first two only when the main output does not list them already). `results`: the
/// scan's, or those a batched scan kept for this (its scanner-privilege failures).
fn print_notices(scan: &esaudit::Scan, results: &[esaudit::results::RuleResult], finish: &Finish) {
    let on_stdout = finish.output.is_none();
    if !(on_stdout && matches!(finish.format, Format::Table | Format::Concise)) {
        for e in &scan.input_errors {
            eprintln!("esaudit: error: {e}");
        }
    }
    if finish.quiet {
        return;
    }
    if !(on_stdout && finish.format == Format::Table) {
        for w in scan.waivers.all() {
            eprintln!(
                "esaudit: warning: waiver {} ({}): {}",
                w.source, w.rule, w.problem
            );
        }
    }
    for s in &scan.skipped {
        eprintln!("esaudit: note: {}: skipped: {}", s.path, s.message);
    }
    for r in results
        .iter()
        .filter(|r| r.rule == SCANNER_PRIVILEGES_RULE && r.status == esaudit::results::Status::Fail)
    {
        eprintln!(
            "esaudit: warning: {}: {}; scan with a user holding only monitor and read_security",
            r.target, r.message
        );
    }
}

/// The verdict on standard error, whatever the reports' destination: why the gate failed,
/// and that the scan is incomplete.
fn print_verdict(scan: &esaudit::Scan, finish: &Finish) {
    if let Some(why) = finish.gate_failure(scan) {
        eprintln!("esaudit: failed: {why}");
    }
    if scan.incomplete() {
        let n = scan.input_errors.len();
        eprintln!(
            "esaudit: incomplete scan: {n} input error{} (exit 2); no grade",
            if n == 1 { "" } else { "s" }
        );
    }
}

/// 2 when an input could not be read or the findings were not delivered, else 1 when the
/// gate failed, else 0.
fn exit_code(scan: &esaudit::Scan, gate_fails: bool, output_failed: bool) -> ExitCode {
    if scan.incomplete() || output_failed {
        ExitCode::from(2)
    } else if gate_fails {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode, String> {
    let file = load_config(args.report.config.as_deref())?;
    let config_name = config_name(args.report.config.as_deref());
    let in_file = |key: &str, e: String| in_file(&config_name, key, e);
    let paths = if args.paths.is_empty() {
        file.paths.clone()
    } else {
        args.paths
    };
    let inventory = args.api.inventory.clone().or(file.inventory.clone());
    if paths.is_empty()
        && args.tls.is_empty()
        && file.tls.is_empty()
        && args.api.urls.is_empty()
        && inventory.is_none()
    {
        return Err(format!(
            "nothing to scan: name files or folders, --url clusters, an --inventory or --tls endpoints, or set `paths` in {}",
            config::DEFAULT_FILE
        ));
    }
    let shard = match (args.shard, &file.shard) {
        (Some(s), _) => Some(s),
        (None, Some(text)) => Some(Shard::parse(text).map_err(|e| in_file("shard", e))?),
        (None, None) => None,
    };
    let es_version = match (args.es_version, &file.es_version) {
        (Some(v), _) => Some(v),
        (None, Some(text)) => Some(parse_version(text).map_err(|e| in_file("es-version", e))?),
        (None, None) => None,
    };
    let or_file = |cli: Vec<Vec<String>>, from_file: Vec<String>| {
        let cli: Vec<String> = cli.into_iter().flatten().collect();
        if cli.is_empty() { from_file } else { cli }
    };
    // Waivers: the flag, else the config file, else the default file when it exists.
    let waivers = args.waivers.or(file.waivers.clone()).or_else(|| {
        let default = PathBuf::from(esaudit::waivers::DEFAULT_FILE);
        default.is_file().then_some(default)
    });
    let checks = if args.report.checks.is_empty() {
        file.checks.clone()
    } else {
        args.report.checks.clone()
    };
    let finish = Finish::new(args.report, &file, &config_name, inventory.as_deref())?;
    if let Some(n) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .map_err(|e| e.to_string())?;
    }
    let timeout = check_timeout("--timeout", args.timeout)?;
    check_ca_certs(&args.ca_cert)?;
    let (clusters, inventory_tls) = connections(&args.api, inventory.as_deref(), &args.ca_cert)?;
    if args.probe_tls && clusters.is_empty() {
        return Err(
            "--probe-tls probes the nodes that live clusters report: name them with --url or --inventory"
                .into(),
        );
    }
    // Endpoints: the command line's, else the config file's; the inventory's are added.
    let mut tls = if args.tls.is_empty() {
        file.tls
            .iter()
            .map(|t| {
                esaudit::evidence::endpoint::EndpointSpec::parse(t).map_err(|e| in_file("tls", e))
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        args.tls.clone()
    };
    tls.extend(inventory_tls);
    let es_output = args
        .es_output
        .as_deref()
        .or(file.es_output.as_deref())
        .map(|url| es_output(url, &args.api, &args.ca_cert, timeout))
        .transpose()?;
    let endpoint_timeout = match args.endpoint_timeout.or(file.endpoint_timeout) {
        Some(secs) if !(secs > 0.0 && secs <= 86_400.0) => {
            return Err("--endpoint-timeout must be more than 0 and at most 86400 seconds".into());
        }
        Some(secs) => std::time::Duration::from_secs_f64(secs),
        None => esaudit::collect::tls_probe::ProbeOptions::default().endpoint_timeout,
    };
    let probe = esaudit::collect::tls_probe::ProbeOptions {
        timeout,
        parallel: args.jobs.unwrap_or(8).max(1),
        ca_certs: args.ca_cert.clone(),
        endpoint_timeout,
        ..Default::default()
    };
    let options = esaudit::ScanOptions {
        tls,
        probe_tls: args.probe_tls,
        probe,
        clusters,
        api: esaudit::collect::api::ApiOptions {
            timeout,
            cluster_budget: check_timeout("--cluster-timeout", args.cluster_timeout)?,
            ..Default::default()
        },
        paths,
        profile: args.profile.or(file.profile).unwrap_or(Profile::Baseline),
        checks,
        select: or_file(args.select, file.select),
        ignore: or_file(args.ignore, file.ignore),
        es_version,
        waivers,
        baseline: args.baseline.or(file.baseline),
        store_password: std::env::var("ESAUDIT_STORE_PASSWORD").ok(),
        expiry_warning_days: args.expiry_warning_days,
        detail: args.detail,
        shard,
        progress: !args.no_progress && !finish.quiet,
    };
    if let Some(renderings) = finish.streamed_renderings()
        && esaudit::stream::streamable(&options)
    {
        return scan_streamed(&options, &finish, renderings, es_output.as_ref());
    }
    let scan = esaudit::scan(&options).map_err(|e| e.to_string())?;
    print_notices(&scan, &scan.results, &finish);
    finish.write(&scan)?;
    print_verdict(&scan, &finish);
    let gate_fails = finish.gate_fails(&scan);
    let output_failed = es_output.as_ref().is_some_and(|destination| {
        !uploaded(destination, gate_fails, || {
            report::es_output::send(&scan, destination)
        })
    });
    Ok(exit_code(&scan, gate_fails, output_failed))
}

/// Runs `send`, the `--es-output` upload, and says how it went; false when it failed. The
/// upload comes last, after every report is on disk. When it fails the run exits 2 (the
/// findings did not arrive where they were asked for), and the gate's own verdict is still
/// printed so a CI log shows both.
fn uploaded(
    destination: &report::es_output::Destination,
    gate_fails: bool,
    send: impl FnOnce() -> Result<report::es_output::Sent, String>,
) -> bool {
    match send() {
        Ok(sent) => {
            eprintln!(
                "esaudit: indexed {} documents into {} ({} results and the run's; {} bulk requests)",
                sent.documents,
                destination.index,
                sent.documents.saturating_sub(1),
                sent.requests
            );
            true
        }
        Err(e) => {
            eprintln!("esaudit: error: --es-output: {e}");
            eprintln!(
                "esaudit: error: the findings were not all indexed; the reports were written, and the gate {}",
                if gate_fails {
                    "FAILED (exit 1 without this error)"
                } else {
                    "held (exit 0 without this error)"
                }
            );
            false
        }
    }
}

/// A file scan judged in batches so that a large fleet is never held in memory whole (see
/// `esaudit::stream`); its reports are the ones `esaudit::scan` would give.
fn scan_streamed(
    options: &esaudit::ScanOptions,
    finish: &Finish,
    mut renderings: Vec<esaudit::stream::Rendering>,
    es_output: Option<&report::es_output::Destination>,
) -> Result<ExitCode, String> {
    // What `--es-output` uploads is kept in a spill of its own, after the reports'.
    let upload = es_output.map(|destination| {
        renderings.push(esaudit::stream::Rendering::Ecs);
        (destination, renderings.len() - 1)
    });
    let mut streamed =
        esaudit::stream::scan(options, esaudit::stream::nodes_per_batch(), renderings)
            .map_err(|e| e.to_string())?;
    if let Some(id) = streamed.repeated_id().filter(|_| !finish.quiet) {
        eprintln!(
            "esaudit: warning: more than one deployment folder has {id}; the scan was held in memory whole to tell them apart (give the clusters or nodes distinct names to keep large scans small)"
        );
    }
    print_notices(&streamed.scan, &streamed.scanner_privileges, finish);
    finish.write_with(|n, _, _, out| streamed.write(n, out))?;
    print_verdict(&streamed.scan, finish);
    let gate_fails = finish.gate_fails(&streamed.scan);
    let output_failed = upload.is_some_and(|(destination, n)| {
        !uploaded(destination, gate_fails, || {
            let (scan, results) = streamed.scan_and_results(n);
            report::es_output::send_results(scan, results, destination)
        })
    });
    Ok(exit_code(&streamed.scan, gate_fails, output_failed))
}

/// `esaudit merge`: the JSON reports of a split scan as one, written and gated like `scan`'s.
fn merge(args: MergeArgs) -> Result<ExitCode, String> {
    let file = load_config(args.report.config.as_deref())?;
    let config_name = config_name(args.report.config.as_deref());
    let checks = if args.report.checks.is_empty() {
        file.checks.clone()
    } else {
        args.report.checks.clone()
    };
    let finish = Finish::new(args.report, &file, &config_name, file.inventory.as_deref())?;
    let reports = args
        .inputs
        .iter()
        .map(|path| Ok((path.display().to_string(), report::json::read(path)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let merged = esaudit::merge::merge(reports, &checks)?;
    for w in merged.warnings.iter().filter(|_| !finish.quiet) {
        eprintln!("esaudit: warning: {w}");
    }
    print_notices(&merged.scan, &merged.scan.results, &finish);
    finish.write(&merged.scan)?;
    print_verdict(&merged.scan, &finish);
    Ok(exit_code(
        &merged.scan,
        finish.gate_fails(&merged.scan),
        false,
    ))
}

use esaudit::results::SCANNER_PRIVILEGES_RULE;

fn write_report<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<T>,
) -> Result<T, String> {
    report::write_atomically_with(path, fill)
        .map_err(|e| format!("{}: cannot write report: {e}", path.display()))
}

/// Prints `text` on standard output; see [`print_report`] for a reader that stops early.
fn print_text(text: &str) -> Result<(), String> {
    print_report(|out| out.write_all(text.as_bytes()).map(|()| Vec::new())).map(drop)
}

/// Writes a report on standard output. A reader that stops early (`esaudit scan … | head`)
/// is not an error: the rest of the report is dropped quietly, as other command-line tools do,
/// and the exit code still says what the gate decided.
fn print_report(
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<Vec<String>>,
) -> Result<Vec<String>, String> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match fill(&mut out).and_then(|warnings| out.flush().map(|()| warnings)) {
        Ok(warnings) => Ok(warnings),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            // What is still buffered cannot be written either: drop it without a last flush.
            drop(out.into_parts());
            Ok(Vec::new())
        }
        Err(e) => Err(format!("standard output: cannot write report: {e}")),
    }
}
