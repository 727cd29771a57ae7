//! A result is one rule judged on one item. Scoring and every report read the same list.

use crate::rules::{Category, Severity};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Error,
    Waived,
    Pass,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Waived => "waived",
            Status::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub kind: String,
    pub source: String,
    /// The Elasticsearch version the target was judged against, and where it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_source: Option<String>,
    /// For TLS endpoints: the SSL-Labs-like grade (A, A-, B, C, F, T).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// For TLS endpoints: what the probe found (protocols, suites, order, client certificates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::evidence::endpoint::TlsSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What was judged: `setting:<key>`, `user:<name>`, …
    pub object: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub actual: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub status: Status,
    pub target: String,
    pub location: ResultLocation,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// What to change; only on failures (and on waived ones), to keep large reports lean.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    pub fingerprint: String,
    /// Why a failure is accepted, when a waiver or an inline suppression matched it
    /// (`status` is then `waived`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
    /// The failure was already in the `--baseline` report: it is shown but does not gate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baseline: bool,
}

impl RuleResult {
    /// A failure that fails the gate: not waived (waived results are not `fail`) and not
    /// already known from the baseline.
    pub fn gates(&self) -> bool {
        self.status == Status::Fail && !self.baseline
    }
}

/// The accepted-risk record attached to a waived result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Where the waiver was written: `FILE:LINE` of the waivers file or of the inline comment.
    pub source: String,
}

/// A stable, dependency-free fingerprint of a result's identity: [`stable_hash`] in hex.
pub fn fingerprint(parts: &[&str]) -> String {
    format!("{:016x}", stable_hash(parts))
}

/// FNV-1a, 64 bits, over each part's bytes followed by a 0x1f separator. Unlike Rust's
/// randomised SipHash it is the same on every machine and in every release, which is what
/// fingerprints and `--shard` keys need: changing it changes every fingerprint and every share.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Orders results for output: by target, then worst status and severity first, then rule id.
pub fn sort(results: &mut [RuleResult]) {
    results.sort_by(|a, b| {
        (
            &a.target,
            a.status,
            std::cmp::Reverse(a.severity),
            &a.rule,
            &a.location.object,
            &a.fingerprint,
        )
            .cmp(&(
                &b.target,
                b.status,
                std::cmp::Reverse(b.severity),
                &b.rule,
                &b.location.object,
                &b.fingerprint,
            ))
    });
}
