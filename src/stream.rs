//! Large fleets in bounded memory. A file scan is collected and judged in batches of whole
//! deployment folders ([`collect::collect_batches`]); each batch's results are rendered in each
//! report's format at once (in parallel, per target), appended to a temporary spill file per
//! report and dropped, and only the score's sums, the targets and an index of each spill are
//! kept. Each report is then assembled from its spill in target order: byte for byte the report
//! [`crate::scan`] and [`report::write`] would have written, without the fleet ever being in
//! memory at once. Batch N+1 is collected and judged while batch N is settled, tallied and
//! written, so the serial parts of the latter keep no core idle.
//!
//! Only a scan that can be judged batch by batch goes this way ([`streamable`]): files only
//! (live clusters and TLS endpoints are paired with nodes across the whole scan), with reports
//! that all have a [`Rendering`] (not Markdown or HTML, which rank findings across the whole
//! scan). Waivers are applied batch by batch ([`crate::waivers::Waiving`]); which file waivers
//! matched nothing is settled at the end.

use crate::results::{RuleResult, SCANNER_PRIVILEGES_RULE};
use crate::{ScanError, ScanOptions, collect, progress, report, score};
use foldhash::{HashSet, HashSetExt};
use rayon::prelude::*;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

/// Node folders judged together (at least; a deployment folder is never split), unless
/// `ESAUDIT_NODES_PER_BATCH` says otherwise. Measured on 10,000 generated nodes in folders of
/// 100 (a batch is then one folder; two batches are alive at a time): 75-95 MB peak.
pub const NODES_PER_BATCH: usize = 64;

/// [`NODES_PER_BATCH`], or the positive number in `ESAUDIT_NODES_PER_BATCH`.
pub fn nodes_per_batch() -> usize {
    std::env::var("ESAUDIT_NODES_PER_BATCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(NODES_PER_BATCH)
}

/// Whether `options` can be scanned in batches (see the module documentation); every report
/// must also have a [`Rendering`].
pub fn streamable(options: &ScanOptions) -> bool {
    options.clusters.is_empty() && options.tls.is_empty() && !options.probe_tls
}

/// A report a batched scan writes, and so the form its results take in the report's spill.
#[derive(Debug, Clone)]
pub enum Rendering {
    /// The JSON report: each result as an element of its `results` array.
    Json,
    /// The terminal table: each target's findings as its table.
    Table { color: bool },
    /// SARIF, which lists failures only: they are kept as compact JSON, one per line, and the
    /// log is written from them once the rules they need are known.
    Sarif(report::sarif::Options),
    /// JUnit XML: each target's suite.
    Junit,
    /// ECS documents, which embed the scan's score: every result is kept as compact JSON, one
    /// per line, and the documents are written from them at the end.
    Ecs,
}

impl Rendering {
    /// How a batched scan writes `format`, if it can.
    pub fn of(format: report::Format, options: &report::Options) -> Option<Rendering> {
        match format {
            report::Format::Json => Some(Rendering::Json),
            report::Format::Table => Some(Rendering::Table {
                color: options.color,
            }),
            report::Format::Sarif => Some(Rendering::Sarif(options.sarif.clone())),
            report::Format::Ecs => Some(Rendering::Ecs),
            report::Format::Junit => Some(Rendering::Junit),
            _ => None,
        }
    }
}

/// A scan whose results wait in spill files, one per report: [`StreamedScan::write`] writes
/// each report.
pub struct StreamedScan {
    /// Everything but the results (`scan.results` is empty).
    pub scan: crate::Scan,
    /// The results of [`SCANNER_PRIVILEGES_RULE`], which the command line also warns about.
    pub scanner_privileges: Vec<RuleResult>,
    /// The reports, in the order their renderings were given.
    reports: Vec<SpilledReport>,
    repeated: Option<String>,
}

/// A report whose results wait in a spill file.
struct SpilledReport {
    rendering: Rendering,
    /// Results rendered as `rendering` says, one run per target.
    spill: File,
    /// Sorted by target.
    index: Index,
}

/// Scans `options` (which must be [`streamable`]) in batches of at least `nodes_per_batch`
/// node folders, for reports in `renderings`.
pub fn scan(
    options: &ScanOptions,
    nodes_per_batch: usize,
    renderings: Vec<Rendering>,
) -> Result<StreamedScan, ScanError> {
    debug_assert!(streamable(options));
    let time = crate::clock::Timestamp::now();
    let (waiver_set, baseline) = crate::tool_inputs(options)?;
    let engine = crate::engine(&options.checks)?;
    crate::check_rule_names(&engine, options, &waiver_set)?;
    let mut waiving = crate::waivers::Waiving::new(&waiver_set, time.date())
        .judging(&engine, &crate::selection(options));
    // One bar for the whole fleet, ticked per batch; the batches draw none of their own.
    let progress = progress::Progress::new(options.progress);
    let mut bar: Option<progress::Bar> = None;
    let inputs =
        crate::JudgeInputs::new(options, baseline.as_ref(), time, progress::Progress::off());
    let collect_options = collect::CollectOptions {
        es_version: options.es_version,
        store_password: options.store_password.clone(),
        shard: options.shard,
    };
    // Two stages overlap: this thread collects a batch and runs the rules (both in parallel),
    // while a second settles the batch before (waivers, baseline, order), tallies it and
    // writes it to the spill. The hand-over is a rendezvous: a judged batch waits for the
    // settler rather than in a queue, so two batches are alive at most. The settler is the
    // faster stage, so the wait is short; with a one-batch queue the 10,000-node scan took
    // as long and peaked ~12 MB higher.
    let mut gathered = Gathered::new(&renderings)?;
    let abandoned = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Judged>(0);
        let settler = scope.spawn(|| {
            for batch in receive {
                if gathered.repeated.is_none() {
                    gathered.add(batch, &inputs, &mut waiving);
                    if gathered.repeated.is_some() {
                        abandoned.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        });
        collect::collect_batches(
            &options.paths,
            &collect_options,
            nodes_per_batch,
            |mut deployment, total| {
                let bar = bar.get_or_insert_with(|| progress.bar(total as u64, "nodes"));
                let nodes = deployment.nodes.len() as u64;
                if !abandoned.load(std::sync::atomic::Ordering::Relaxed) {
                    let (targets, results) = crate::run_rules(&mut deployment, &engine, &inputs);
                    let judged = Judged {
                        deployment,
                        targets,
                        results,
                    };
                    // The settler ends early only by panicking, which the join below
                    // reports; the batches left are not worth judging.
                    if send.send(judged).is_err() {
                        abandoned.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                bar.inc(nodes);
            },
        );
        drop(send);
        if let Err(panic) = settler.join() {
            std::panic::resume_unwind(panic);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let Gathered {
        spills,
        mut targets,
        mut input_errors,
        mut skipped,
        tally,
        scanner_privileges,
        repeated,
        ..
    } = gathered;
    if let Some(id) = repeated {
        return in_one_piece(options, id, &renderings);
    }
    let rules = engine.rules_named(tally.rule_ids());
    let reports = finish_spills(spills)?;
    crate::sort_targets(&mut targets);
    input_errors.sort();
    skipped.sort();
    let mut waivers = waiving.finish();
    waivers.sort();
    Ok(StreamedScan {
        scan: crate::Scan::settled(crate::Scan {
            profile: options.profile,
            targets,
            results: Vec::new(),
            score: tally.finish(),
            input_errors,
            skipped,
            rules,
            waivers,
            time,
            baseline: options.baseline.as_ref().map(|p| p.display().to_string()),
            shard: options.shard,
            detail: options.detail,
        }),
        scanner_privileges,
        reports,
        repeated: None,
    })
}

/// A batch whose rules have run, on its way to the settling stage (which also drops it).
struct Judged {
    deployment: crate::evidence::Deployment,
    targets: Vec<crate::results::Target>,
    results: Vec<RuleResult>,
}

/// What the batches leave behind: everything the report needs but the results themselves,
/// which are in the spill.
struct Gathered {
    /// One per report.
    spills: Vec<Spill>,
    targets: Vec<crate::results::Target>,
    input_errors: Vec<crate::evidence::InputError>,
    skipped: Vec<crate::evidence::InputError>,
    tally: score::Tally,
    scanner_privileges: Vec<RuleResult>,
    seen_ids: HashSet<String>,
    /// A target id that an earlier batch used too (see [`in_one_piece`]); later batches are
    /// ignored.
    repeated: Option<String>,
}

impl Gathered {
    fn new(renderings: &[Rendering]) -> Result<Gathered, ScanError> {
        Ok(Gathered {
            spills: renderings
                .iter()
                .map(|r| Spill::new(r.clone()))
                .collect::<Result<_, _>>()?,
            targets: Vec::new(),
            input_errors: Vec::new(),
            skipped: Vec::new(),
            tally: score::Tally::default(),
            scanner_privileges: Vec::new(),
            seen_ids: HashSet::new(),
            repeated: None,
        })
    }

    /// Settles a judged batch and keeps what the report needs of it.
    fn add(
        &mut self,
        batch: Judged,
        inputs: &crate::JudgeInputs,
        waiving: &mut crate::waivers::Waiving,
    ) {
        let Judged {
            mut deployment,
            targets,
            mut results,
        } = batch;
        crate::settle(&deployment, &mut results, inputs, waiving);
        self.input_errors.append(&mut deployment.input_errors);
        self.skipped.append(&mut deployment.skipped);
        drop(deployment);
        self.tally.add(&results);
        // An id used by an earlier batch: a scan in one piece would have given both a
        // `@path` suffix, which batches cannot; the scan is redone in one piece.
        self.repeated = targets
            .iter()
            .find(|t| !self.seen_ids.insert(t.id.clone()))
            .map(|t| t.id.clone());
        self.scanner_privileges
            .extend(scanner_privilege_results(&results));
        for spill in &mut self.spills {
            spill.add(&results, &targets);
        }
        self.targets.extend(targets);
    }
}

/// The scan redone by [`crate::scan`], for a fleet whose deployment folders repeat an id.
fn in_one_piece(
    options: &ScanOptions,
    repeated: String,
    renderings: &[Rendering],
) -> Result<StreamedScan, ScanError> {
    let mut scan = crate::scan(options)?;
    let results = std::mem::take(&mut scan.results);
    let scanner_privileges = scanner_privilege_results(&results);
    let mut spills = Vec::new();
    for rendering in renderings {
        let mut spill = Spill::new(rendering.clone())?;
        spill.add(&results, &scan.targets);
        spills.push(spill);
    }
    Ok(StreamedScan {
        scan,
        scanner_privileges,
        reports: finish_spills(spills)?,
        repeated: Some(repeated),
    })
}

impl StreamedScan {
    /// When the scan had to be held in memory whole: the id that more than one deployment
    /// folder uses (two `node:elasticsearch/es01`, say), which only a scan in one piece can
    /// tell apart.
    pub fn repeated_id(&self) -> Option<&str> {
        self.repeated.as_deref()
    }

    /// Writes report `n` (in the order of the renderings given to [`scan`]): the same bytes
    /// [`report::write`] writes for the same scan. Returns the warnings for the user.
    pub fn write(&mut self, n: usize, out: &mut dyn Write) -> std::io::Result<Vec<String>> {
        let SpilledReport {
            rendering,
            spill,
            index,
        } = &mut self.reports[n];
        let index = &*index;
        match rendering {
            Rendering::Json => {
                write_json(&self.scan, spill, index, out)?;
                Ok(Vec::new())
            }
            Rendering::Table { color } => {
                report::table::write(&self.scan, *color, out, |target| {
                    run_of(spill, index, target)
                })?;
                Ok(Vec::new())
            }
            Rendering::Junit => {
                report::junit::write(&self.scan, out, |target| run_of(spill, index, &target.id))?;
                Ok(Vec::new())
            }
            Rendering::Sarif(options) => {
                report::sarif::write(&self.scan, options, spilled_results(spill, index), out)
            }
            Rendering::Ecs => {
                report::ecs::write(&self.scan, spilled_results(spill, index), out)?;
                Ok(Vec::new())
            }
        }
    }

    /// The scan, and the results kept for report `n`, read back from its spill: every result
    /// for [`Rendering::Ecs`], the failures for [`Rendering::Sarif`]. (What `--es-output`
    /// uploads is read this way.)
    pub fn scan_and_results(
        &mut self,
        n: usize,
    ) -> (
        &crate::Scan,
        impl Iterator<Item = std::io::Result<RuleResult>> + '_,
    ) {
        let report = &mut self.reports[n];
        assert!(
            matches!(report.rendering, Rendering::Ecs | Rendering::Sarif(_)),
            "a spill of rendered text has no results to read back"
        );
        (
            &self.scan,
            spilled_results(&mut report.spill, &report.index),
        )
    }
}

/// The results kept as compact JSON lines in `spill`, read back one target's run at a time.
fn spilled_results<'a>(
    spill: &'a mut File,
    index: &'a Index,
) -> impl Iterator<Item = std::io::Result<RuleResult>> + 'a {
    let mut runs = index.iter();
    let mut run = Vec::new().into_iter();
    std::iter::from_fn(move || {
        loop {
            if let Some(result) = run.next() {
                return Some(Ok(result));
            }
            match read_run(spill, runs.next()?).and_then(|text| parse_lines(&text)) {
                Ok(results) => run = results.into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    })
}

/// Writes the JSON report of `scan` with the results in `spill`.
fn write_json(
    scan: &crate::Scan,
    spill: &mut File,
    index: &Index,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    report::json::write_with(scan, index.iter().map(|run| read_run(spill, run)), out)
}

/// Where each target's run of results is in the spill: target id, offset, length.
type Index = Vec<(String, u64, u64)>;

/// The spills' reports, or the first write that failed.
fn finish_spills(spills: Vec<Spill>) -> Result<Vec<SpilledReport>, ScanError> {
    spills.into_iter().map(Spill::finish).collect()
}

/// Results written one per line as compact JSON.
fn parse_lines(text: &[u8]) -> std::io::Result<Vec<RuleResult>> {
    serde_json::Deserializer::from_slice(text)
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(std::io::Error::from)
}

/// The run of target `id`, if it has one.
fn run_of(spill: &mut File, index: &Index, id: &str) -> std::io::Result<Option<Vec<u8>>> {
    match index.binary_search_by(|(run, ..)| run.as_str().cmp(id)) {
        Ok(at) => read_run(spill, &index[at]).map(Some),
        Err(_) => Ok(None),
    }
}

/// One target's run of rendered results, read back from the spill.
fn read_run(spill: &mut File, (_, offset, len): &(String, u64, u64)) -> std::io::Result<Vec<u8>> {
    let mut run = vec![0; *len as usize];
    spill.seek(SeekFrom::Start(*offset))?;
    spill.read_exact(&mut run)?;
    Ok(run)
}

/// The spill file being written, and where each target's results are in it.
struct Spill {
    file: File,
    rendering: Rendering,
    written: u64,
    index: Index,
    /// The first write that failed; later batches are not written.
    failure: Option<std::io::Error>,
}

impl Spill {
    fn new(rendering: Rendering) -> Result<Spill, ScanError> {
        Ok(Spill {
            file: spill_file().map_err(|e| ScanError::Input(format!("spill file: {e}")))?,
            rendering,
            written: 0,
            index: Vec::new(),
            failure: None,
        })
    }

    /// Appends `results` (sorted) of `targets`, rendered, one run per target.
    fn add(&mut self, results: &[RuleResult], targets: &[crate::results::Target]) {
        if self.failure.is_some() {
            return;
        }
        for (target, text) in render_runs(results, targets, &self.rendering) {
            if let Err(e) = self.file.write_all(&text) {
                self.failure = Some(e);
                return;
            }
            self.index.push((target, self.written, text.len() as u64));
            self.written += text.len() as u64;
        }
    }

    /// The report with its index in target order, or the write that failed.
    fn finish(mut self) -> Result<SpilledReport, ScanError> {
        if let Some(e) = self.failure {
            return Err(ScanError::Input(format!("spill file: {e}")));
        }
        self.index.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(SpilledReport {
            rendering: self.rendering,
            spill: self.file,
            index: self.index,
        })
    }
}

/// Renders each target's results (they are sorted, so a target's are consecutive), in
/// parallel; `targets` has the batch's targets. A target with nothing to show has no run.
fn render_runs(
    results: &[RuleResult],
    targets: &[crate::results::Target],
    rendering: &Rendering,
) -> Vec<(String, Vec<u8>)> {
    let targets: foldhash::HashMap<&str, &crate::results::Target> =
        targets.iter().map(|t| (t.id.as_str(), t)).collect();
    results
        .chunk_by(|a, b| a.target == b.target)
        .collect::<Vec<_>>()
        .into_par_iter()
        .filter_map(|run| {
            let text = render_run(run, &targets, rendering)?;
            Some((run[0].target.clone(), text))
        })
        .collect()
}

/// One target's results: as elements of the JSON report's `results` array, separated as
/// serde_json separates them; as its table of findings or JUnit suite; or as compact JSON, one
/// per line, for SARIF (its failures) and ECS. None when there is nothing to show.
fn render_run(
    run: &[RuleResult],
    targets: &foldhash::HashMap<&str, &crate::results::Target>,
    rendering: &Rendering,
) -> Option<Vec<u8>> {
    let text = match rendering {
        Rendering::Json => report::json::run_elements(run),
        Rendering::Table { color } => {
            let findings: Vec<&RuleResult> =
                run.iter().filter(|r| report::table::shown(r)).collect();
            if findings.is_empty() {
                return None;
            }
            report::table::findings(findings, *color).into_bytes()
        }
        Rendering::Junit => {
            let target = targets.get(run[0].target.as_str())?;
            report::junit::suite(target, &run.iter().collect::<Vec<_>>()).into_bytes()
        }
        Rendering::Sarif(_) | Rendering::Ecs => {
            // SARIF needs only the failures; ECS has a document per result.
            let sarif = matches!(rendering, Rendering::Sarif(_));
            let mut text = Vec::new();
            for r in run
                .iter()
                .filter(|r| !sarif || r.status == crate::results::Status::Fail)
            {
                serde_json::to_writer(&mut text, r).expect("a result serialises");
                text.push(b'\n');
            }
            text
        }
    };
    (!text.is_empty()).then_some(text)
}

fn scanner_privilege_results(results: &[RuleResult]) -> Vec<RuleResult> {
    results
        .iter()
        .filter(|r| r.rule == SCANNER_PRIVILEGES_RULE)
        .cloned()
        .collect()
}

/// A temporary file that is already unlinked: it goes away with the process, however the
/// process ends.
fn spill_file() -> std::io::Result<File> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(".esaudit-spill-{}-{n}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}
