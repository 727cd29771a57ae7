//! `esaudit merge`: the JSON reports of a split scan (`scan --shard I/N` on N machines) made
//! into one [`Scan`], which every report format then renders as if one machine had scanned it
//! all. The score is computed again over the merged results; nothing else is recomputed.

use crate::clock::Timestamp;
use crate::report::json::FullReport;
use crate::results::{Detail, RuleResult, Target};
use crate::rules::Profile;
use crate::shard::Shard;
use crate::waivers::{WaiverNote, WaiverReport};
use crate::{Scan, score};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

/// The merged scan, and what the user should be told about the inputs (on standard error).
#[derive(Debug)]
pub struct Merged {
    pub scan: Scan,
    pub warnings: Vec<String>,
}

/// Merges `reports` (each with the name it was read from, for messages). Reports of different
/// profiles judge different rules and are refused; the rule catalog entries (for SARIF, HTML
/// and ECS) come from the built-in rules plus the `checks` folders, as in `scan`.
pub fn merge(reports: Vec<(String, FullReport)>, checks: &[PathBuf]) -> Result<Merged, String> {
    let Some((first_name, first)) = reports.first() else {
        return Err("nothing to merge: name the JSON reports".into());
    };
    if let Some((name, other)) = reports.iter().find(|(_, r)| r.profile != first.profile) {
        return Err(format!(
            "{name}: profile {}, but {first_name}: profile {}; reports of different profiles cannot be merged",
            other.profile, first.profile
        ));
    }
    let profile = <Profile as clap::ValueEnum>::from_str(&first.profile, true)
        .map_err(|_| format!("{first_name}: unknown profile '{}'", first.profile))?;
    let mut warnings = Vec::new();
    let versions: BTreeSet<&str> = reports
        .iter()
        .map(|(_, r)| r.tool.version.as_str())
        .collect();
    if versions.len() > 1 {
        warnings.push(format!(
            "the reports were made by different esaudit versions ({}); their rules and results may differ",
            reports
                .iter()
                .map(|(name, r)| format!("{name}: {}", r.tool.version))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    warnings.extend(share_warnings(&reports));
    let baselines: BTreeSet<&str> = reports
        .iter()
        .filter_map(|(_, r)| r.baseline.as_deref())
        .collect();
    if baselines.len() > 1 {
        warnings.push(format!(
            "the reports were compared with different baselines ({})",
            baselines.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let baseline = reports.iter().find_map(|(_, r)| r.baseline.clone());

    let mut targets: Vec<Target> = Vec::new();
    let mut sources: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut seen_results = HashSet::new();
    let mut results: Vec<RuleResult> = Vec::new();
    let mut input_errors = Vec::new();
    let mut skipped = Vec::new();
    let mut waivers = WaiverReport::default();
    // Reports listing every item merged with reports counting checks: the merged report
    // counts checks, so the former's passes are counted first.
    let detail = reports
        .iter()
        .map(|(_, r)| r.detail)
        .min()
        .unwrap_or_default();
    for (name, report) in reports {
        for t in report.targets {
            match sources.get(&t.id) {
                Some((source, _)) if *source == t.source => continue,
                Some((source, other)) => warnings.push(format!(
                    "target {} is in {other} ({source}) and in {name} ({}): ids are made unique \
                     only within one scan, so both are kept and their findings share fingerprints",
                    t.id, t.source
                )),
                None => {
                    sources.insert(t.id.clone(), (t.source.clone(), name.clone()));
                }
            }
            targets.push(t);
        }
        // The path is part of the identity so that two different targets that met with the
        // same id in different shares (see above) both keep their findings.
        let report_results = match (report.detail, detail) {
            (Detail::Items, Detail::Checks) => crate::results::collapse_checks(report.results),
            _ => report.results,
        };
        for r in report_results {
            // A check result has no fingerprint: its rule and status say which it is.
            let identity = match r.is_check() {
                true => format!("{} {}", r.rule, r.status.as_str()),
                false => r.fingerprint.clone(),
            };
            if seen_results.insert((r.target.clone(), identity, r.location.path.clone())) {
                results.push(r);
            }
        }
        input_errors.extend(report.errors);
        skipped.extend(report.skipped);
        for (all, notes) in [
            (&mut waivers.expired, report.waivers.expired),
            (&mut waivers.unused, report.waivers.unused),
            (&mut waivers.invalid, report.waivers.invalid),
        ] {
            add_notes(all, notes);
        }
    }
    // A waiver is unused in one share when what it waives is in another: it is unused only
    // when no share applied it.
    let applied: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r.waiver.as_ref().map(|w| w.source.as_str()))
        .collect();
    waivers
        .unused
        .retain(|w| !applied.contains(w.source.as_str()));
    input_errors.sort();
    input_errors.dedup();
    skipped.sort();
    skipped.dedup();
    crate::results::sort(&mut results);

    let engine = crate::engine(checks).map_err(|e| e.to_string())?;
    let used: BTreeSet<&str> = results.iter().map(|r| r.rule.as_str()).collect();
    let rules = engine.rules_used_by(&results);
    let known: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let unknown: Vec<&str> = used.difference(&known).copied().collect();
    if !unknown.is_empty() {
        warnings.push(format!(
            "rule(s) {} are not in the catalog: give merge the --checks folders the scans used \
             (SARIF leaves their findings out without them)",
            unknown.join(", ")
        ));
    }
    let score = score::score(&results);
    Ok(Merged {
        scan: Scan::settled(Scan {
            profile,
            targets,
            results,
            score,
            input_errors,
            skipped,
            rules,
            waivers,
            time: Timestamp::now(),
            baseline,
            shard: None,
            detail,
        }),
        warnings,
    })
}

fn add_notes(all: &mut Vec<WaiverNote>, notes: Vec<WaiverNote>) {
    for note in notes {
        if !all.contains(&note) {
            all.push(note);
        }
    }
}

/// Shares missing from, or given twice to, a merge of shares. Reports that are not shares
/// (no `shard`) are merged as they are, and only mentioned when shares are merged too.
fn share_warnings(reports: &[(String, FullReport)]) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut by_share: BTreeMap<Shard, Vec<&str>> = BTreeMap::new();
    let mut whole = Vec::new();
    for (name, report) in reports {
        match report.shard {
            Some(shard) => by_share.entry(shard).or_default().push(name),
            None => whole.push(name.as_str()),
        }
    }
    if by_share.is_empty() {
        return warnings;
    }
    let counts: BTreeSet<u32> = by_share.keys().map(|s| s.count).collect();
    if counts.len() > 1 {
        warnings.push(format!(
            "the reports come from scans split in different ways ({}); a split scan's shares \
             all use the same N",
            counts
                .iter()
                .map(|n| format!("…/{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for (shard, names) in by_share.iter().filter(|(_, names)| names.len() > 1) {
        warnings.push(format!(
            "share {shard} given more than once ({}); its findings are counted once",
            names.join(", ")
        ));
    }
    for count in counts {
        for index in 1..=count {
            let shard = Shard { index, count };
            if !by_share.contains_key(&shard) {
                warnings.push(format!(
                    "share {shard} missing: what it scans is not in the merged report"
                ));
            }
        }
    }
    if !whole.is_empty() {
        let verb = if whole.len() == 1 { "is" } else { "are" };
        warnings.push(format!(
            "{} {verb} not the report of a share (no `shard`); merged as it is",
            whole.join(", ")
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::StoredTool;
    use crate::results::Status;

    fn report(shard: Option<(u32, u32)>) -> FullReport {
        FullReport {
            version: 2,
            detail: Detail::Checks,
            score: crate::report::json::StoredScore {
                value: 100.0,
                grade: None,
            },
            tool: StoredTool {
                name: "esaudit".into(),
                version: "0.1.0".into(),
            },
            profile: "baseline".into(),
            shard: shard.map(|(index, count)| Shard { index, count }),
            baseline: None,
            targets: vec![],
            errors: vec![],
            skipped: vec![],
            waivers: WaiverReport::default(),
            results: vec![],
        }
    }

    #[test]
    fn missing_and_repeated_shares_are_named() {
        let reports = vec![
            ("a.json".to_string(), report(Some((1, 4)))),
            ("b.json".to_string(), report(Some((2, 4)))),
            ("c.json".to_string(), report(Some((2, 4)))),
            ("d.json".to_string(), report(Some((4, 4)))),
        ];
        let warnings = share_warnings(&reports);
        assert_eq!(
            warnings,
            [
                "share 2/4 given more than once (b.json, c.json); its findings are counted once",
                "share 3/4 missing: what it scans is not in the merged report",
            ]
        );
        let whole = vec![
            ("a.json".to_string(), report(None)),
            ("b.json".to_string(), report(None)),
        ];
        assert!(share_warnings(&whole).is_empty());
    }

    #[test]
    fn different_profiles_are_refused() {
        let mut strict = report(None);
        strict.profile = "strict".into();
        let err = merge(
            vec![("a.json".into(), report(None)), ("b.json".into(), strict)],
            &[],
        )
        .unwrap_err();
        assert!(err.starts_with("b.json: profile strict"), "{err}");
    }

    #[test]
    fn a_waiver_used_in_any_share_is_not_unused() {
        let note = |source: &str| WaiverNote {
            source: source.into(),
            rule: "ES-NET-005".into(),
            target: None,
            path: None,
            reason: "r".into(),
            expires: None,
            ticket: None,
            problem: "matched no failing result".into(),
        };
        let mut one = report(Some((1, 2)));
        one.waivers.unused = vec![note("w.yaml:3"), note("w.yaml:9")];
        let mut two = report(Some((2, 2)));
        two.waivers.unused = vec![note("w.yaml:9")];
        let mut waived = crate::results::sample("ES-NET-005", "node:a/b", Status::Waived);
        waived.category = crate::rules::Category::Network;
        waived.severity = crate::rules::Severity::Medium;
        waived.location.object = "setting:x".into();
        waived.fingerprint = "f".into();
        waived.waiver = Some(crate::results::Waiver {
            reason: "r".into(),
            expires: None,
            ticket: None,
            source: "w.yaml:3".into(),
        });
        two.results = vec![waived];
        let merged = merge(vec![("1".into(), one), ("2".into(), two)], &[]).unwrap();
        let unused: Vec<&str> = merged
            .scan
            .waivers
            .unused
            .iter()
            .map(|w| w.source.as_str())
            .collect();
        assert_eq!(unused, ["w.yaml:9"]);
        assert_eq!(merged.scan.results.len(), 1);
    }
}
