//! esaudit: audits the security of Elastic Stack deployments.
//!
//! Data flow: `collect` turns inputs into `evidence`; `rules` judge the evidence into
//! `results`; `score` rates them; `report` writes them. Each module owns one step.

pub mod collect;
pub mod evidence;
pub mod report;
pub mod results;
pub mod rules;
pub mod score;
pub mod yaml;

use evidence::{EsVersion, InputError};
use results::{RuleResult, Target};
use rules::engine::{Engine, Selection};
use rules::{Profile, RuleError};
use std::path::PathBuf;

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
}

/// Everything a report needs: no report recomputes anything.
#[derive(Debug, Clone)]
pub struct Scan {
    pub profile: Profile,
    pub targets: Vec<Target>,
    pub results: Vec<RuleResult>,
    pub score: score::Score,
    pub input_errors: Vec<InputError>,
}

/// Loads and compiles the rule catalog (built-in plus `--checks` folders).
pub fn engine(checks: &[PathBuf]) -> Result<Engine, RuleError> {
    Engine::compile(rules::load(checks)?)
}

/// Runs a whole scan. Only a broken rule catalog stops it; bad inputs are reported inside.
pub fn scan(options: &ScanOptions) -> Result<Scan, RuleError> {
    let engine = engine(&options.checks)?;
    let deployment = collect::collect(
        &options.paths,
        &collect::CollectOptions {
            es_version: options.es_version,
            store_password: options.store_password.clone(),
        },
    );
    let selection = Selection {
        profile: options.profile,
        select: options.select.clone(),
        ignore: options.ignore.clone(),
        expiry_warning_days: options.expiry_warning_days,
    };
    let (targets, mut results) = engine.run(&deployment, &selection);
    results::sort(&mut results);
    let score = score::score(&results);
    Ok(Scan {
        profile: options.profile,
        targets,
        results,
        score,
        input_errors: deployment.input_errors,
    })
}
