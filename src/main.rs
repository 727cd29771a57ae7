//! The command line. All work happens in the library; this file parses flags, picks the
//! output and turns the outcome into an exit code (0 gate held, 1 gate failed, 2 bad input).

use clap::{Parser, Subcommand, ValueEnum};
use esaudit::evidence::EsVersion;
use esaudit::report;
use esaudit::results::Status;
use esaudit::rules::{Profile, Severity};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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
enum ScanFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
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

fn parse_version(s: &str) -> Result<EsVersion, String> {
    EsVersion::parse(s).ok_or_else(|| format!("'{s}' is not a version like 8.15"))
}

fn parse_list(s: &str) -> Result<Vec<String>, String> {
    Ok(s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect())
}

#[derive(Subcommand)]
enum Command {
    /// Scan configuration files and folders.
    Scan {
        /// Files or folders to scan (folders are searched recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Rule set: baseline, strict (baseline plus policy checks) or fips (baseline plus FIPS 140).
        #[arg(long, value_enum, default_value = "baseline")]
        profile: Profile,
        /// Folder of extra rule files (*.yaml); repeatable.
        #[arg(long = "checks", value_name = "DIR")]
        checks: Vec<PathBuf>,
        /// Only these rule ids or id prefixes (comma-separated, repeatable).
        #[arg(long, value_parser = parse_list, value_name = "ID,PREFIX")]
        select: Vec<Vec<String>>,
        /// Skip these rule ids or id prefixes (comma-separated, repeatable).
        #[arg(long, value_parser = parse_list, value_name = "ID,PREFIX")]
        ignore: Vec<Vec<String>>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ScanFormat,
        /// Write the report to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Fail (exit 1) when a finding of this severity or worse fails; `none` never fails.
        #[arg(long, value_parser = parse_fail_on, default_value = "high", value_name = "SEVERITY")]
        fail_on: FailOn,
        /// Fail (exit 1) when the overall score is below this.
        #[arg(long, value_name = "N")]
        min_score: Option<f64>,
        /// Judge against this Elasticsearch version (X.Y) instead of the one found or assumed.
        #[arg(long, value_parser = parse_version, value_name = "X.Y")]
        es_version: Option<EsVersion>,
        /// Certificates expiring within this many days are reported.
        #[arg(long, default_value_t = 30, value_name = "DAYS")]
        expiry_warning_days: i64,
        /// Worker threads (default: one per core).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Never colour the table (also: NO_COLOR in the environment).
        #[arg(long)]
        no_color: bool,
    },
    /// List the rule catalog.
    Rules {
        #[arg(long, value_enum, default_value = "table")]
        format: RulesFormat,
        /// Folder of extra rule files to include; repeatable.
        #[arg(long = "checks", value_name = "DIR")]
        checks: Vec<PathBuf>,
    },
    /// Show a rule's rationale, remediation, restart impact and references.
    Explain {
        rule: String,
        #[arg(long = "checks", value_name = "DIR")]
        checks: Vec<PathBuf>,
    },
}

fn use_color(no_color: bool) -> bool {
    !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Rules { format, checks } => {
            let engine = esaudit::engine(&checks).map_err(|e| e.to_string())?;
            let text = match format {
                RulesFormat::Table => report::table::rules(engine.rules(), use_color(false)),
                RulesFormat::Json => {
                    let rules: Vec<_> = engine.rules().collect();
                    serde_json::to_string_pretty(&rules).map_err(|e| e.to_string())? + "\n"
                }
            };
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule, checks } => {
            let engine = esaudit::engine(&checks).map_err(|e| e.to_string())?;
            let found = engine
                .rule(&rule)
                .ok_or_else(|| format!("no rule {rule}; `esaudit rules` lists them"))?;
            print!("{}", report::table::explain(found));
            Ok(ExitCode::SUCCESS)
        }
        Command::Scan {
            paths,
            profile,
            checks,
            select,
            ignore,
            format,
            output,
            fail_on,
            min_score,
            es_version,
            expiry_warning_days,
            jobs,
            no_color,
        } => {
            if let Some(n) = jobs {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .build_global()
                    .map_err(|e| e.to_string())?;
            }
            let options = esaudit::ScanOptions {
                paths,
                profile,
                checks,
                select: select.into_iter().flatten().collect(),
                ignore: ignore.into_iter().flatten().collect(),
                es_version,
                store_password: std::env::var("ESAUDIT_STORE_PASSWORD").ok(),
                expiry_warning_days,
            };
            let scan = esaudit::scan(&options).map_err(|e| e.to_string())?;
            for e in &scan.input_errors {
                eprintln!("error: {}: {}", e.path, e.message);
            }
            let text = match format {
                ScanFormat::Table => {
                    report::table::render(&scan, output.is_none() && use_color(no_color))
                }
                ScanFormat::Json => report::json::render(&scan),
            };
            match &output {
                Some(path) => report::write_atomically(path, &text)
                    .map_err(|e| format!("{}: cannot write report: {e}", path.display()))?,
                None => print!("{text}"),
            }
            if !scan.input_errors.is_empty() {
                return Ok(ExitCode::from(2));
            }
            let failing = scan.results.iter().any(|r| {
                r.status == Status::Fail
                    && fail_on.0.is_some_and(|threshold| r.severity >= threshold)
            });
            let under = min_score.is_some_and(|min| scan.score.value < min);
            Ok(if failing || under {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
