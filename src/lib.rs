//! esaudit: audits the security of Elastic Stack deployments.
//!
//! Data flow: `collect` turns inputs into `evidence`; `rules` judge the evidence into
//! `results`; `score` rates them; `report` writes them. Each module owns one step.

pub mod baseline;
pub mod clock;
pub mod collect;
pub mod config;
pub mod crypto;
pub mod diff;
pub mod evidence;
#[doc(hidden)]
pub mod fuzzing;
pub mod interrupt;
pub mod merge;
pub mod progress;
pub mod report;
pub mod results;
pub mod rules;
pub mod score;
pub mod shard;
pub mod stream;
pub mod waivers;
pub mod yaml;

use clock::Timestamp;
use evidence::{EsVersion, InputError};
use results::{RuleResult, Target};
use rules::Selection;
use rules::engine::Engine;
use rules::{Profile, Rule, RuleError};
use std::path::PathBuf;
use waivers::WaiverReport;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    pub profile: Profile,
    pub checks: Vec<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub es_version: Option<EsVersion>,
    /// A password to try on PKCS#12 stores (from `ESAUDIT_STORE_PASSWORD`, never a flag).
    pub store_password: Option<String>,
    /// Certificates expiring within this many days fail the expiry-warning rule.
    pub expiry_warning_days: i64,
    /// A waivers file to apply (inline `# esaudit: ignore[...]` comments always apply).
    pub waivers: Option<PathBuf>,
    /// A previous JSON report: failures already in it do not gate.
    pub baseline: Option<PathBuf>,
    /// TLS endpoints to probe (`--tls HOST:PORT[=http|transport]`). The live-API collector
    /// (`--inventory`, `--probe-tls`) will append the nodes' HTTP and transport addresses here.
    pub tls: Vec<evidence::endpoint::EndpointSpec>,
    /// Also probe the HTTP and transport publish addresses of the live clusters' nodes.
    pub probe_tls: bool,
    /// How endpoints are probed: timeout per handshake, parallelism, trusted CAs.
    pub probe: collect::tls_probe::ProbeOptions,
    /// Clusters read live over their REST API (`--url`, `--inventory`).
    pub clusters: Vec<collect::api::Connection>,
    /// Timeout, parallelism and body cap of the live API collector.
    pub api: collect::api::ApiOptions,
    /// `--shard I/N`: scan only this share of the files, clusters and endpoints (see
    /// [`shard`]).
    pub shard: Option<shard::Shard>,
    /// Draw progress bars on standard error (when it is a terminal). This decides for the
    /// whole scan: the `progress` of `api` and `probe` is set from it.
    pub progress: bool,
    /// `--detail`: a check's passes and not-applicables as one result, or one per item.
    pub detail: results::Detail,
}

/// The command line's defaults, with nothing to scan: the baseline profile, certificates
/// warned about 30 days before they expire, no progress bars.
impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            paths: Vec::new(),
            profile: Profile::Baseline,
            checks: Vec::new(),
            select: Vec::new(),
            ignore: Vec::new(),
            es_version: None,
            store_password: None,
            expiry_warning_days: 30,
            waivers: None,
            baseline: None,
            tls: Vec::new(),
            probe_tls: false,
            probe: Default::default(),
            clusters: Vec::new(),
            api: Default::default(),
            shard: None,
            progress: false,
            detail: results::Detail::Checks,
        }
    }
}

/// Everything a report needs: no report recomputes anything.
#[derive(Debug, Clone)]
pub struct Scan {
    pub profile: Profile,
    pub targets: Vec<Target>,
    pub results: Vec<RuleResult>,
    pub score: score::Score,
    pub input_errors: Vec<InputError>,
    /// Files passed over, with why (see `Deployment::skipped`).
    pub skipped: Vec<InputError>,
    /// The catalog entries of the rules that produced results, by id: the reports that
    /// document rules (SARIF, HTML, ECS) read rationale and references from here.
    pub rules: Vec<Rule>,
    /// Waivers that expired, matched nothing, or could not be applied.
    pub waivers: WaiverReport,
    /// When the scan ran.
    pub time: Timestamp,
    /// The `--baseline` report compared against, as named.
    pub baseline: Option<String>,
    /// The share this scan is, when it is one part of a split scan.
    pub shard: Option<shard::Shard>,
    /// Whether passes and not-applicables are one result per check or per item.
    pub detail: results::Detail,
}

impl Scan {
    /// `scan` with what every report says about the run as a whole settled: a scan that judged
    /// nothing is incomplete (an input error says why), and an incomplete scan has no grade.
    pub fn settled(mut scan: Scan) -> Scan {
        let c = &scan.score.coverage;
        // A share of a split scan may hold nothing; `merge` judges the whole.
        let judged = c.passed + c.failed + c.waived;
        if scan.input_errors.is_empty() && judged == 0 && scan.shard.is_none() {
            let message = if c.checks == 0 {
                "nothing was judged: no rule applied to what was found".to_string()
            } else {
                format!(
                    "nothing was judged: of {} checks, {} could not be judged and {} do not apply",
                    c.checks, c.errors, c.not_applicable
                )
            };
            scan.input_errors.push(InputError {
                path: String::new(),
                message,
            });
        }
        if scan.incomplete() {
            scan.score.grade = None;
        }
        scan
    }

    /// The verdict in words, the same in every report: `Score 85.0 / 100, grade B`, or why
    /// there is no grade.
    pub fn verdict(&self) -> String {
        let c = &self.score.coverage;
        match &self.score.grade {
            Some(grade) => format!("Score {:.1} / 100, grade {grade}", self.score.value),
            None if c.passed + c.failed == 0 => "Incomplete scan: nothing judged, no grade".into(),
            None => format!(
                "Incomplete scan: no grade (score {:.1} / 100 over what was read)",
                self.score.value
            ),
        }
    }

    /// Some input could not be read, or nothing was judged: the reports say so and give no
    /// grade, and the run exits 2.
    pub fn incomplete(&self) -> bool {
        !self.input_errors.is_empty()
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }
}

/// Why a scan could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// A tool input (waivers file, baseline report) that cannot be used; the message names it.
    #[error("{0}")]
    Input(String),
}

/// Loads and compiles the rule catalog (built-in plus `--checks` folders).
pub fn engine(checks: &[PathBuf]) -> Result<Engine, RuleError> {
    Engine::compile(rules::load(checks)?)
}

/// Runs a whole scan. A broken rule catalog, waivers file or baseline stops it (the results
/// would be misleading); bad configs being audited are reported inside.
pub fn scan(options: &ScanOptions) -> Result<Scan, ScanError> {
    let time = Timestamp::now();
    let (waiver_set, baseline) = tool_inputs(options)?;
    let engine = engine(&options.checks)?;
    check_rule_names(&engine, options, &waiver_set)?;
    let mut deployment = collect::collect(
        &options.paths,
        &collect::CollectOptions {
            es_version: options.es_version,
            store_password: options.store_password.clone(),
            shard: options.shard,
        },
    );
    // A share keeps its clusters by name and its endpoints by address; the endpoints
    // `--probe-tls` finds stay with their cluster's share.
    let clusters = shard::keep(options.shard, &options.clusters, |c| c.name.clone());
    let progress = progress::Progress::new(options.progress);
    let api = collect::api::ApiOptions {
        progress,
        ..options.api.clone()
    };
    let snapshots = collect::api::collect_all(&clusters, &api);
    let mut endpoints = shard::keep(options.shard, &options.tls, |e| {
        format!("{}:{}", e.host, e.port)
    });
    for snapshot in &snapshots {
        if let Some(error) = &snapshot.error {
            // A cluster the user named that cannot be read is an input error (exit 2); its
            // rules still report `error`, and the other clusters are judged as usual.
            deployment.input_errors.push(InputError {
                path: snapshot.source.clone(),
                message: error.clone(),
            });
        }
        if options.probe_tls {
            for e in evidence::es_cluster::publish_endpoints(snapshot) {
                e.add_to(&mut endpoints);
            }
        }
    }
    deployment.api_snapshots.extend(snapshots);
    let probe = collect::tls_probe::ProbeOptions {
        progress,
        ..options.probe.clone()
    };
    deployment.endpoints = collect::tls_probe::probe_all(&endpoints, &probe);
    for endpoint in &deployment.endpoints {
        // An endpoint the user named that cannot be reached is an input error, as an
        // unreachable cluster is; the publish addresses `--probe-tls` finds are not named.
        let named = options
            .tls
            .iter()
            .any(|t| t.host == endpoint.host && t.port == endpoint.port);
        if let (true, Some(error)) = (named, &endpoint.error) {
            let path = format!("{}:{}", endpoint.host, endpoint.port);
            let message = error
                .strip_prefix(&format!("{path}: "))
                .unwrap_or(error)
                .to_string();
            deployment.input_errors.push(InputError { path, message });
        }
    }
    let inputs = JudgeInputs::new(options, baseline.as_ref(), time, progress);
    let mut waiving =
        waivers::Waiving::new(&waiver_set, time.date()).judging(&engine, &inputs.selection);
    let (mut targets, results) = judge(&mut deployment, &engine, &inputs, &mut waiving);
    sort_targets(&mut targets);
    let mut waivers = waiving.finish();
    waivers.sort();
    let score = score::score(&results);
    let rules = engine.rules_used_by(&results);
    Ok(Scan::settled(Scan {
        profile: options.profile,
        targets,
        results,
        score,
        input_errors: deployment.input_errors,
        skipped: deployment.skipped,
        rules,
        waivers,
        time,
        baseline: options.baseline.as_ref().map(|p| p.display().to_string()),
        shard: options.shard,
        detail: options.detail,
    }))
}

/// Each rule id and prefix the user wrote (`--select`, `--ignore`, the waivers file) must name
/// a rule, and the selection must leave a rule to run: a typo would otherwise give a clean
/// report of nothing.
pub(crate) fn check_rule_names(
    engine: &Engine,
    options: &ScanOptions,
    waivers: &waivers::WaiverSet,
) -> Result<(), ScanError> {
    for (flag, patterns) in [("--select", &options.select), ("--ignore", &options.ignore)] {
        if let Some(why) = patterns.iter().find_map(|p| engine.unknown_rule(p)) {
            return Err(ScanError::Input(format!("{flag}: {why}")));
        }
    }
    for (rule, source) in waivers.rules() {
        if let Some(why) = engine.unknown_rule(rule) {
            return Err(ScanError::Input(format!("{source}: waiver: {why}")));
        }
    }
    if engine.selectable(&selection(options)) == 0 {
        return Err(ScanError::Input(format!(
            "no rule left to run: --select {} --ignore {} leave none of the {} profile",
            or_none(&options.select),
            or_none(&options.ignore),
            options.profile.as_str()
        )));
    }
    Ok(())
}

/// Which rules `options` runs.
pub(crate) fn selection(options: &ScanOptions) -> Selection {
    Selection {
        profile: options.profile,
        select: options.select.clone(),
        ignore: options.ignore.clone(),
        expiry_warning_days: options.expiry_warning_days,
        detail: options.detail,
    }
}

fn or_none(patterns: &[String]) -> String {
    if patterns.is_empty() {
        "(none)".into()
    } else {
        patterns.join(",")
    }
}

/// The waivers file and the baseline report named in `options`; either one unusable stops the
/// scan (its results would be misleading).
pub(crate) fn tool_inputs(
    options: &ScanOptions,
) -> Result<(waivers::WaiverSet, Option<baseline::Baseline>), ScanError> {
    let waiver_set = match &options.waivers {
        Some(path) => waivers::load(path).map_err(ScanError::Input)?,
        None => waivers::WaiverSet::default(),
    };
    let baseline = options
        .baseline
        .as_deref()
        .map(baseline::Baseline::load)
        .transpose()
        .map_err(ScanError::Input)?;
    Ok((waiver_set, baseline))
}

/// Targets in the order of their results: by id.
pub(crate) fn sort_targets(targets: &mut [Target]) {
    targets.sort_by(|a, b| a.id.cmp(&b.id));
}

/// What judging a collected deployment needs beyond the deployment.
pub(crate) struct JudgeInputs<'a> {
    selection: Selection,
    baseline: Option<&'a baseline::Baseline>,
    time: Timestamp,
    progress: progress::Progress,
}

impl<'a> JudgeInputs<'a> {
    pub(crate) fn new(
        options: &ScanOptions,
        baseline: Option<&'a baseline::Baseline>,
        time: Timestamp,
        progress: progress::Progress,
    ) -> JudgeInputs<'a> {
        JudgeInputs {
            selection: selection(options),
            baseline,
            time,
            progress,
        }
    }
}

/// Judges a collected deployment: its API snapshots become clusters (and nodes), probed
/// endpoints are paired with the nodes that declare them, every selected rule runs, waivers,
/// inline suppressions and the baseline mark the failures, and the results are sorted.
pub(crate) fn judge(
    deployment: &mut evidence::Deployment,
    engine: &Engine,
    inputs: &JudgeInputs,
    waiving: &mut waivers::Waiving,
) -> (Vec<Target>, Vec<RuleResult>) {
    let (targets, mut results) = run_rules(deployment, engine, inputs);
    settle(deployment, &mut results, inputs, waiving);
    (targets, results)
}

/// The first half of [`judge`], the one that works in parallel: links the deployment's
/// evidence and runs every selected rule.
pub(crate) fn run_rules(
    deployment: &mut evidence::Deployment,
    engine: &Engine,
    inputs: &JudgeInputs,
) -> (Vec<Target>, Vec<RuleResult>) {
    let mut addresses: Vec<_> = deployment
        .nodes
        .iter()
        .filter(|n| n.api_source.is_none() && !n.files_only)
        .flat_map(evidence::endpoint::declared_addresses)
        .collect();
    addresses.extend(evidence::es_cluster::add_all(deployment, inputs.time.0));
    evidence::endpoint::pair(deployment, &addresses);
    engine.run(deployment, &inputs.selection, inputs.progress)
}

/// The second half of [`judge`]: waivers, inline suppressions and the baseline mark the
/// failures of `deployment`, and the results are sorted.
pub(crate) fn settle(
    deployment: &evidence::Deployment,
    results: &mut Vec<RuleResult>,
    inputs: &JudgeInputs,
    waiving: &mut waivers::Waiving,
) {
    let inline: Vec<_> = deployment
        .nodes
        .iter()
        .flat_map(|n| n.suppressions.iter().cloned())
        .chain(
            deployment
                .components
                .iter()
                .flat_map(|c| c.suppressions.iter().cloned()),
        )
        .collect();
    waiving.apply(results, &inline);
    if let Some(baseline) = inputs.baseline {
        baseline.mark(results);
    }
    results::sort(results);
}
