//! Rules as data: the YAML catalog in `checks/`, loaded, validated and compiled once.

mod cel_value;
pub mod engine;
mod functions;
pub mod item;
mod memo;
pub mod sources;

pub use crate::evidence::Scope;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in catalog, embedded in the binary (one file per area).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "checks/es-enablement.yaml",
        include_str!("../../checks/es-enablement.yaml"),
    ),
    (
        "checks/es-network.yaml",
        include_str!("../../checks/es-network.yaml"),
    ),
    (
        "checks/es-tls.yaml",
        include_str!("../../checks/es-tls.yaml"),
    ),
    (
        "checks/es-fips.yaml",
        include_str!("../../checks/es-fips.yaml"),
    ),
    (
        "checks/es-ip-filtering.yaml",
        include_str!("../../checks/es-ip-filtering.yaml"),
    ),
    (
        "checks/es-audit.yaml",
        include_str!("../../checks/es-audit.yaml"),
    ),
    (
        "checks/es-authentication.yaml",
        include_str!("../../checks/es-authentication.yaml"),
    ),
    (
        "checks/es-config.yaml",
        include_str!("../../checks/es-config.yaml"),
    ),
    (
        "checks/es-keystore.yaml",
        include_str!("../../checks/es-keystore.yaml"),
    ),
    (
        "checks/certificates.yaml",
        include_str!("../../checks/certificates.yaml"),
    ),
    (
        "checks/tls-endpoints.yaml",
        include_str!("../../checks/tls-endpoints.yaml"),
    ),
    (
        "checks/es-cluster.yaml",
        include_str!("../../checks/es-cluster.yaml"),
    ),
    (
        "checks/kibana.yaml",
        include_str!("../../checks/kibana.yaml"),
    ),
    (
        "checks/logstash.yaml",
        include_str!("../../checks/logstash.yaml"),
    ),
    ("checks/beats.yaml", include_str!("../../checks/beats.yaml")),
    (
        "checks/es-api.yaml",
        include_str!("../../checks/es-api.yaml"),
    ),
    ("checks/rbac.yaml", include_str!("../../checks/rbac.yaml")),
    (
        "checks/clients.yaml",
        include_str!("../../checks/clients.yaml"),
    ),
];

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Enablement,
    Network,
    Tls,
    Certificates,
    Authentication,
    Rbac,
    IpFiltering,
    Audit,
    Fips,
    Secrets,
    Config,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Enablement => "enablement",
            Category::Network => "network",
            Category::Tls => "tls",
            Category::Certificates => "certificates",
            Category::Authentication => "authentication",
            Category::Rbac => "rbac",
            Category::IpFiltering => "ip-filtering",
            Category::Audit => "audit",
            Category::Fips => "fips",
            Category::Secrets => "secrets",
            Category::Config => "config",
        }
    }
}

/// Ordered from least to most severe, so `>=` compares as a gate does.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Baseline,
    Strict,
    Fips,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Baseline => "baseline",
            Profile::Strict => "strict",
            Profile::Fips => "fips",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Restart {
    None,
    Dynamic,
    Rolling,
    Full,
}

/// One or several setting keys a failure points at; the first one written in the config wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum Locate {
    #[default]
    Nothing,
    One(String),
    Many(Vec<String>),
}

impl Locate {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Locate::Nothing => vec![],
            Locate::One(k) => vec![k.as_str()],
            Locate::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

/// A rule as written in a catalog file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub scope: Scope,
    /// CEL: whether the rule applies to the item (false gives `not_applicable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Why the rule does not apply when `when` is false (shown with `not_applicable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unless: Option<String>,
    /// CEL giving why the rule cannot be judged on this item (the API call it needs was
    /// refused, say), or an empty string when it can. A non-empty reason gives `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// CEL: true means the item passes.
    pub check: String,
    #[serde(default, skip_serializing_if = "is_nothing")]
    pub locate: Locate,
    /// The value a passing config has, in words (shown as `evidence.expected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Message of a failure; `{key}`, `{value}` and `{item}` are filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Version constraint such as `>=7.0` or `>=8.0, <9.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    pub profiles: Vec<Profile>,
    pub rationale: String,
    pub remediation: String,
    pub restart: Restart,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub frameworks: BTreeMap<String, Vec<String>>,
}

fn is_nothing(l: &Locate) -> bool {
    *l == Locate::Nothing
}

impl Rule {
    /// Whether the rule runs under `profile`. FIPS rules also run on any node in FIPS mode
    /// (decided per item by the engine).
    pub fn in_profile(&self, profile: Profile) -> bool {
        self.profiles.contains(&profile)
    }

    pub fn fips_only(&self) -> bool {
        self.profiles == [Profile::Fips]
    }
}

/// Whether rule `id` is `pattern` or starts with it, ignoring case: `--select es-net`,
/// a waiver and an inline comment name rules the way `esaudit explain` finds them.
pub fn id_matches(pattern: &str, id: &str) -> bool {
    id.len() >= pattern.len()
        && id.as_bytes()[..pattern.len()].eq_ignore_ascii_case(pattern.as_bytes())
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule {id}: {message}")]
    Invalid {
        file: String,
        id: String,
        message: String,
    },
    #[error("{file}: cannot read rule files: {message}")]
    Io { file: String, message: String },
}

/// A rule and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    pub file: String,
}

/// The catalog of [`BUILTIN`], as the build script converted it to JSON (file name → rules).
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/builtin_rules.json"));

/// The built-in rules, read from their JSON form.
pub fn builtin() -> Vec<LoadedRule> {
    let files: BTreeMap<String, Vec<Rule>> =
        serde_json::from_str(BUILTIN_JSON).expect("the build script wrote the catalog");
    files
        .into_iter()
        .flat_map(|(file, rules)| {
            rules.into_iter().map(move |rule| LoadedRule {
                rule,
                file: file.clone(),
            })
        })
        .collect()
}

/// Parses one catalog file.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<LoadedRule>, RuleError> {
    let rules: Vec<Rule> = serde_saphyr::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    Ok(rules
        .into_iter()
        .map(|rule| LoadedRule {
            rule,
            file: file.to_string(),
        })
        .collect())
}

/// The built-in catalog plus every `*.yaml` / `*.yml` file of the given folders.
pub fn load(extra_dirs: &[impl AsRef<Path>]) -> Result<Vec<LoadedRule>, RuleError> {
    let mut all = builtin();
    for dir in extra_dirs {
        let dir = dir.as_ref();
        let io = |e: std::io::Error| RuleError::Io {
            file: dir.display().to_string(),
            message: e.to_string(),
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            all.extend(parse_file(&path.display().to_string(), &text)?);
        }
    }
    validate(&all)?;
    Ok(all)
}

/// Checks what serde cannot: unique ids, id shape, and the version constraint syntax.
/// CEL syntax is checked when the engine compiles the rules.
pub fn validate(rules: &[LoadedRule]) -> Result<(), RuleError> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for r in rules {
        let invalid = |message: String| RuleError::Invalid {
            file: r.file.clone(),
            id: r.rule.id.clone(),
            message,
        };
        if let Some(first) = seen.insert(&r.rule.id, &r.file) {
            return Err(invalid(format!(
                "duplicate rule id (first defined in {first})"
            )));
        }
        let parts: Vec<&str> = r.rule.id.split('-').collect();
        let shaped = parts.len() == 3
            && parts[..2]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase()))
            && parts[2].len() == 3
            && parts[2].chars().all(|c| c.is_ascii_digit());
        if !shaped {
            return Err(invalid(
                "id must look like <COMPONENT>-<AREA>-<NNN>, e.g. ES-TLS-002".into(),
            ));
        }
        if r.rule.profiles.is_empty() {
            return Err(invalid("profiles must name at least one profile".into()));
        }
        if let Some(v) = &r.rule.versions {
            VersionReq::parse(v).map_err(invalid)?;
        }
    }
    Ok(())
}

/// A version constraint: comma-separated comparisons, all of which must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionReq(Vec<(String, crate::evidence::EsVersion)>);

impl VersionReq {
    pub fn parse(text: &str) -> Result<VersionReq, String> {
        let mut parts = Vec::new();
        for raw in text.split(',') {
            let raw = raw.trim();
            let op_len = raw
                .find(|c: char| c.is_ascii_digit())
                .ok_or_else(|| format!("bad version constraint '{text}'"))?;
            let (op, ver) = raw.split_at(op_len);
            let op = op.trim();
            if !matches!(op, ">=" | ">" | "<=" | "<" | "=" | "") {
                return Err(format!(
                    "bad operator '{op}' in version constraint '{text}'"
                ));
            }
            let ver = crate::evidence::EsVersion::parse(ver)
                .ok_or_else(|| format!("bad version in constraint '{text}'"))?;
            parts.push((op.to_string(), ver));
        }
        Ok(VersionReq(parts))
    }

    pub fn matches(&self, v: crate::evidence::EsVersion) -> bool {
        self.0.iter().all(|(op, want)| match op.as_str() {
            ">=" => v >= *want,
            ">" => v > *want,
            "<=" => v <= *want,
            "<" => v < *want,
            _ => v == *want,
        })
    }
}

/// Which rules run: the profile, and `--select` / `--ignore` ids or prefixes.
#[derive(Debug, Clone)]
pub struct Selection {
    pub profile: Profile,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `--expiry-warning-days`, handed to certificate rules as `cert.warning_days`.
    pub expiry_warning_days: i64,
    /// Whether passes and not-applicables are counted per check or listed per item.
    pub detail: crate::results::Detail,
}

impl Selection {
    fn matches(patterns: &[String], id: &str) -> bool {
        patterns.iter().any(|p| id_matches(p, id))
    }

    pub fn wants(&self, rule: &Rule) -> bool {
        (self.select.is_empty() || Self::matches(&self.select, &rule.id))
            && !Self::matches(&self.ignore, &rule.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::EsVersion;

    #[test]
    fn the_json_catalog_reads_as_the_yaml_does() {
        let from_yaml: Vec<(String, serde_json::Value)> = BUILTIN
            .iter()
            .flat_map(|(file, text)| parse_file(file, text).unwrap())
            .map(|r| (r.file, serde_json::to_value(r.rule).unwrap()))
            .collect();
        let mut from_json: Vec<(String, serde_json::Value)> = builtin()
            .into_iter()
            .map(|r| (r.file, serde_json::to_value(r.rule).unwrap()))
            .collect();
        let mut from_yaml = from_yaml;
        from_yaml.sort_by(|a, b| a.0.cmp(&b.0));
        from_json.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            from_yaml.len(),
            from_json.len(),
            "a checks/*.yaml file missing from BUILTIN"
        );
        assert_eq!(from_yaml, from_json);
    }

    #[test]
    fn every_built_in_rule_compiles() {
        crate::engine(&Vec::<std::path::PathBuf>::new()).unwrap();
    }

    #[test]
    fn version_constraints() {
        let r = VersionReq::parse(">=7.0, <9.0").unwrap();
        assert!(r.matches(EsVersion { major: 8, minor: 4 }));
        assert!(!r.matches(EsVersion { major: 9, minor: 0 }));
        assert!(!r.matches(EsVersion { major: 6, minor: 8 }));
        assert!(VersionReq::parse("~7").is_err());
    }

    #[test]
    fn unknown_field_is_named() {
        let err = parse_file(
            "x.yaml",
            "- id: ES-X-001\n  title: t\n  category: tls\n  severity: low\n  scope: es_node\n  check: 'true'\n  profiles: [baseline]\n  rationale: r\n  remediation: m\n  restart: none\n  colour: red\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("x.yaml") && text.contains("colour"), "{text}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let one = "- id: ES-X-001\n  title: t\n  category: tls\n  severity: low\n  scope: es_node\n  check: 'true'\n  profiles: [baseline]\n  rationale: r\n  remediation: m\n  restart: none\n";
        let mut rules = parse_file("a.yaml", one).unwrap();
        rules.extend(parse_file("b.yaml", one).unwrap());
        let err = validate(&rules).unwrap_err().to_string();
        assert!(
            err.contains("duplicate rule id") && err.contains("a.yaml"),
            "{err}"
        );
    }
}
