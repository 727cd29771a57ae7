//! `esaudit.toml`: the tool's own settings, so a repository can keep its scan options beside
//! its configs. Read from the working directory, or from `--config FILE`. Every key has a
//! command-line flag of the same name, and a flag given on the command line wins.

use crate::report::Format;
use crate::rules::Profile;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_FILE: &str = "esaudit.toml";

/// The file's keys. Relative paths are relative to the folder holding the file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    pub profile: Option<Profile>,
    /// A severity or `none`; checked like `--fail-on`.
    pub fail_on: Option<String>,
    pub min_score: Option<f64>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub checks: Vec<PathBuf>,
    pub es_version: Option<String>,
    pub waivers: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub format: Option<Format>,
    pub output: Option<PathBuf>,
    pub sarif_category: Option<String>,
    pub sarif_anchor: Option<PathBuf>,
    /// Inventory of live clusters, as `--inventory`.
    pub inventory: Option<PathBuf>,
    /// TLS endpoints to probe, `HOST:PORT[=http|transport]`, as `--tls`.
    #[serde(default)]
    pub tls: Vec<String>,
    /// Seconds one TLS endpoint may take in all, as `--endpoint-timeout`.
    pub endpoint_timeout: Option<f64>,
    /// Where to index the ECS findings, as `--es-output`.
    pub es_output: Option<String>,
    /// `I/N`, as `--shard`: scan only share I of N.
    pub shard: Option<String>,
    /// Extra reports: format = file, as `--report FORMAT=FILE`.
    #[serde(default)]
    pub reports: BTreeMap<Format, PathBuf>,
}

/// Reads and parses a config file; the error names the file.
pub fn load(path: &Path) -> Result<Config, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let config: Config = toml::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
    Ok(config.relative_to(path.parent().unwrap_or(Path::new(""))))
}

impl Config {
    /// Resolves the file's relative paths against `base`, the folder holding it.
    fn relative_to(mut self, base: &Path) -> Config {
        if base.as_os_str().is_empty() || base == Path::new(".") {
            return self;
        }
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        self.paths.iter_mut().for_each(fix);
        self.checks.iter_mut().for_each(fix);
        self.reports.values_mut().for_each(fix);
        for p in [
            &mut self.waivers,
            &mut self.baseline,
            &mut self.output,
            &mut self.sarif_anchor,
            &mut self.inventory,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_relative_paths() {
        let text = r#"
paths = ["deploy"]
profile = "strict"
fail-on = "medium"
min-score = 80
select = ["ES-TLS"]
waivers = "security/waivers.yaml"
sarif-category = "esaudit/prod"
inventory = "clusters.yaml"
tls = ["es01.example.com:9200", "10.0.0.5:9300=transport"]
endpoint-timeout = 30
es-output = "https://es01.example.com:9200/esaudit-findings"

[reports]
sarif = "out/esaudit.sarif"
html = "out/report.html"
"#;
        let config: Config = toml::from_str(text).unwrap();
        let config = config.relative_to(Path::new("ci"));
        assert_eq!(config.profile, Some(Profile::Strict));
        assert_eq!(config.paths, [PathBuf::from("ci/deploy")]);
        assert_eq!(
            config.waivers,
            Some(PathBuf::from("ci/security/waivers.yaml"))
        );
        assert_eq!(
            config.reports[&Format::Sarif],
            PathBuf::from("ci/out/esaudit.sarif")
        );
        assert_eq!(config.min_score, Some(80.0));
        assert_eq!(config.inventory, Some(PathBuf::from("ci/clusters.yaml")));
        assert_eq!(config.tls.len(), 2);
        assert_eq!(config.endpoint_timeout, Some(30.0));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<Config>("colour = \"red\"").is_err());
        assert!(toml::from_str::<Config>("profile = \"paranoid\"").is_err());
        assert!(toml::from_str::<Config>("[reports]\npdf = \"x.pdf\"").is_err());
    }
}
