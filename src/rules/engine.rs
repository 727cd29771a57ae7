//! Compiles every rule's CEL once and judges each rule on every item of its scope, in parallel.

use super::{LoadedRule, Profile, Rule, RuleError, Scope, VersionReq};
use crate::evidence::catalog;
use crate::evidence::component::{self, Component};
use crate::evidence::derive::{self, NodeFacts};
use crate::evidence::endpoint::Endpoint;
use crate::evidence::es_cluster::EsCluster;
use crate::evidence::files as file_items;
use crate::evidence::rbac::{self, RbacItem};
use crate::evidence::{
    Deployment, EsNode, EsVersion, Location, SecurityFile, Settings, VersionSource, tls,
};
use crate::results::{Evidence, ResultLocation, RuleResult, Status, Target, fingerprint};
use cel::common::types::CelString;
use cel::common::value::Val;
use cel::objects::Key;
use cel::parser::{Expression, PrattParser};
use cel::{Context, Env, ExecutionError, FunctionContext, ResolveResult, Value};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

struct Compiled {
    rule: Rule,
    programs: Programs,
    versions: Option<VersionReq>,
}

/// A rule's CEL, parsed once when the catalog is loaded.
struct Programs {
    when: Option<Expression>,
    requires: Option<Expression>,
    check: Expression,
}

impl Programs {
    fn parse(env: &Env, rule: &Rule) -> Result<Programs, (&'static str, String)> {
        let cel = |what: &'static str, src: &str| parse_cel(env, src).map_err(|e| (what, e));
        Ok(Programs {
            check: cel("check", &rule.check)?,
            when: rule.when.as_deref().map(|w| cel("when", w)).transpose()?,
            requires: rule
                .requires
                .as_deref()
                .map(|r| cel("requires", r))
                .transpose()?,
        })
    }
}

/// Parses one CEL expression with the cel crate's Pratt parser: it reads the whole catalog in
/// about a millisecond, where the ANTLR-generated parser behind `Env::compile` takes ~17 ms, most
/// of a one-node scan. A unit test proves both give the same syntax tree for every built-in
/// expression; when the fast parser refuses one, the reference parser has the last word (its
/// tree, or its error message).
fn parse_cel(env: &Env, source: &str) -> Result<Expression, String> {
    match PrattParser::new().parse(source) {
        Ok(expression) => Ok(expression),
        Err(_) => env
            .compile(source)
            .map(|program| program.expression().clone())
            .map_err(|e| e.to_string()),
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
}

impl Selection {
    fn matches(patterns: &[String], id: &str) -> bool {
        patterns.iter().any(|p| super::id_matches(p, id))
    }

    pub fn wants(&self, rule: &Rule) -> bool {
        (self.select.is_empty() || Self::matches(&self.select, &rule.id))
            && !Self::matches(&self.ignore, &rule.id)
    }
}

pub struct Engine {
    env: Arc<Env>,
    rules: Vec<Compiled>,
}

impl Engine {
    /// Compiles the `when` and `check` expressions of every rule; a syntax error names the file
    /// and the rule.
    pub fn compile(rules: Vec<LoadedRule>) -> Result<Engine, RuleError> {
        let env = Arc::new(Env::stdlib());
        let mut compiled = Vec::with_capacity(rules.len());
        for LoadedRule { rule, file } in rules {
            let invalid = |message: String| RuleError::Invalid {
                file: file.clone(),
                id: rule.id.clone(),
                message,
            };
            let programs = Programs::parse(&env, &rule)
                .map_err(|(what, e)| invalid(format!("{what} is not valid CEL: {e}")))?;
            let versions = rule
                .versions
                .as_deref()
                .map(VersionReq::parse)
                .transpose()
                .map_err(invalid)?;
            compiled.push(Compiled {
                rule,
                programs,
                versions,
            });
        }
        compiled.sort_by(|a, b| a.rule.id.cmp(&b.rule.id));
        Ok(Engine {
            env,
            rules: compiled,
        })
    }

    /// The catalog entries of the rules that produced `results`, sorted by id (what the reports
    /// that document rules read).
    pub fn rules_used_by(&self, results: &[RuleResult]) -> Vec<Rule> {
        self.rules_named(results.iter().map(|r| r.rule.as_str()))
    }

    /// The catalog entries of the rules with these ids, sorted by id.
    pub fn rules_named<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Vec<Rule> {
        let used: std::collections::BTreeSet<&str> = ids.collect();
        let mut rules: Vec<Rule> = self
            .rules()
            .filter(|r| used.contains(r.id.as_str()))
            .cloned()
            .collect();
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        rules
    }

    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|c| &c.rule)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// Why `pattern` (a rule id or id prefix) is unusable: it names no rule of the catalog.
    /// The message suggests the nearest id or prefix, as a typo usually is one.
    pub fn unknown_rule(&self, pattern: &str) -> Option<String> {
        if self.rules().any(|r| super::id_matches(pattern, &r.id)) {
            return None;
        }
        Some(match self.nearest_rule(pattern) {
            Some(near) => format!("'{pattern}' names no rule; did you mean {near}?"),
            None => format!("'{pattern}' names no rule (`esaudit rules` lists them)"),
        })
    }

    /// The rule id or id prefix (`ES-NET`, `ES-NET-001`) closest to `pattern`, if close.
    pub fn nearest_rule(&self, pattern: &str) -> Option<String> {
        let want = pattern.to_ascii_uppercase();
        let mut candidates: Vec<String> = Vec::new();
        for r in self.rules() {
            let mut prefix = String::new();
            for segment in r.id.split('-') {
                if !prefix.is_empty() {
                    prefix.push('-');
                }
                prefix.push_str(segment);
                candidates.push(prefix.to_ascii_uppercase());
            }
        }
        candidates.sort();
        candidates.dedup();
        let limit = (want.len() / 3).max(1);
        candidates
            .into_iter()
            .map(|c| (strsim::osa_distance(&want, &c), c))
            .filter(|(d, _)| *d <= limit)
            .min()
            .map(|(_, c)| c)
    }

    /// How many rules of the catalog `selection` may run (a FIPS rule of another profile runs
    /// on a node in FIPS mode, so it counts).
    pub fn selectable(&self, selection: &Selection) -> usize {
        self.selected_ids(selection).len()
    }

    /// The ids of the rules a run with `selection` judges.
    pub fn selected_ids(&self, selection: &Selection) -> Vec<String> {
        self.rules()
            .filter(|r| {
                selection.wants(r)
                    && (r.in_profile(selection.profile) || r.profiles.contains(&Profile::Fips))
            })
            .map(|r| r.id.clone())
            .collect()
    }

    /// Judges every selected rule on every item of the deployment; `progress` counts the
    /// node folders judged (the bulk of a large fleet).
    pub fn run(
        &self,
        deployment: &Deployment,
        selection: &Selection,
        progress: crate::progress::Progress,
    ) -> (Vec<Target>, Vec<RuleResult>) {
        let targets = deployment
            .nodes
            .iter()
            .map(|n| Target {
                id: n.id.clone(),
                kind: if n.files_only {
                    "certificate_files"
                } else {
                    "es_node"
                }
                .into(),
                source: match (&n.api_source, &n.paired_with) {
                    (Some(source), _) => format!("{source} (_nodes/settings)"),
                    (None, Some(api)) => format!("{} + {api} (_nodes/settings)", n.config_path),
                    (None, None) => n.config_path.clone(),
                },
                version: Some(n.version.to_string()),
                version_source: Some(match &n.version_source {
                    VersionSource::CommandLine => "--es-version".to_string(),
                    VersionSource::Distribution(jar) => jar.clone(),
                    VersionSource::Api(source) => format!("reported by {source}"),
                    VersionSource::Assumed => "assumed: newest supported major line".to_string(),
                }),
                grade: None,
                tls: None,
            })
            .chain(deployment.endpoints.iter().map(endpoint_target))
            .chain(deployment.clusters.iter().map(|c| Target {
                id: c.id.clone(),
                kind: "es_cluster".into(),
                source: c.facts.source.clone(),
                version: (!c.facts.version.is_empty()).then(|| c.facts.version.clone()),
                version_source: (!c.facts.version.is_empty()).then(|| "GET /".to_string()),
                grade: None,
                tls: None,
            }))
            .collect();
        let clusters = crate::evidence::cluster::cluster_facts(&deployment.nodes);
        let bar = progress.bar(deployment.nodes.len() as u64, "nodes");
        let mut results: Vec<RuleResult> = deployment
            .nodes
            .par_iter()
            .zip(clusters.par_iter())
            .flat_map_iter(|(node, cluster)| {
                let judged = self.judge_node(node, &deployment.files, selection, cluster);
                bar.inc(1);
                judged
            })
            .collect();
        bar.finish_and_clear();
        results.extend(
            deployment
                .endpoints
                .iter()
                .flat_map(|e| self.judge_endpoint(e, selection)),
        );
        results.par_extend(
            deployment
                .clusters
                .par_iter()
                .flat_map_iter(|c| self.judge_cluster(c, selection)),
        );
        let mut targets: Vec<Target> = targets;
        targets.extend(deployment.components.iter().map(|c| Target {
            id: c.id.clone(),
            kind: c.kind.as_str().into(),
            source: c.config_path.clone(),
            version: None,
            version_source: None,
            grade: None,
            tls: None,
        }));
        results.par_extend(
            deployment
                .components
                .par_iter()
                .flat_map_iter(|c| self.judge_component(c, selection)),
        );
        (targets, results)
    }

    /// A fresh evaluation context with the catalog's custom functions.
    fn root_context(&self) -> Context<'_, '_> {
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        register_functions(&mut ctx);
        ctx
    }

    /// Judges the `tls_endpoint` rules on one probed endpoint. An endpoint that could not be
    /// probed makes every rule an error; a chain that could not be fetched makes the
    /// certificate rules errors.
    fn judge_endpoint(&self, endpoint: &Endpoint, selection: &Selection) -> Vec<RuleResult> {
        let mut ctx = self.root_context();
        ctx.add_variable_from_value(Scope::TlsEndpoint.variable(), to_cel(endpoint));
        let object = endpoint.id.clone();
        self.rules
            .iter()
            .filter(|c| c.rule.scope == Scope::TlsEndpoint)
            .filter(|c| selection.wants(&c.rule) && c.rule.in_profile(selection.profile))
            .map(|c| {
                let rule = &c.rule;
                let chain_rule = rule.category == super::Category::Certificates;
                let cannot = endpoint.error.clone().or_else(|| {
                    chain_rule
                        .then(|| endpoint.chain_error.clone())
                        .flatten()
                        .map(|e| format!("the certificate chain could not be fetched: {e}"))
                });
                let (status, message) = if let Some(why) = cannot {
                    (Status::Error, format!("cannot judge: {why}"))
                } else {
                    verdict(
                        c,
                        &ctx,
                        None,
                        || None,
                        || {
                            rule.message
                                .as_deref()
                                .unwrap_or(&rule.title)
                                .replace("{item}", &endpoint.id)
                                .replace("{key}", &endpoint.id)
                                .replace("{value}", &endpoint_actual(rule, endpoint))
                        },
                    )
                };
                let location = ResultLocation {
                    path: None,
                    line: None,
                    column: None,
                    object: object.clone(),
                    named_by: None,
                };
                let identity = [rule.id.as_str(), endpoint.id.as_str(), object.as_str()];
                result_of(
                    rule,
                    &endpoint.id,
                    (status, message),
                    location,
                    &identity,
                    || endpoint_actual(rule, endpoint),
                )
            })
            .collect()
    }

    /// Judges the rules of the component scopes on a Kibana, Logstash, Beats or Agent instance.
    fn judge_component(&self, comp: &Component, selection: &Selection) -> Vec<RuleResult> {
        let facts = component::component_facts(comp);
        let mut root_item = Item::new(Scope::Component, Value::Null, comp.name.clone());
        root_item.anchor = comp
            .declared_at
            .clone()
            .or_else(|| comp.pipelines.first().map(|p| p.location.clone()));
        // Quoted by the messages of LS-NET-002 and LS-TLS-009/010.
        root_item.facts = Some(serde_json::json!({
            "plain_network_inputs": facts.plain_network_inputs.join("; "),
            "all_es_urls": facts.all_es_urls.join(", "),
        }));
        let mut items = vec![root_item];
        let kind = comp.kind.as_str();
        for setting in &comp.settings.entries {
            items.push(component_setting_item(kind, setting, None));
        }
        for (i, p) in comp.pipelines.iter().enumerate() {
            let plugin = format!("{}.{}", p.section, p.name);
            for setting in &p.options.entries {
                items.push(component_setting_item(kind, setting, Some(&plugin)));
            }
            if p.name != "elasticsearch" {
                continue;
            }
            let mut item = Item::new(
                Scope::LsPlugin,
                to_cel(&component::plugin_facts(p)),
                format!("{plugin} #{}", i + 1),
            );
            item.settings = Some(p.options.clone());
            item.anchor = Some(p.location.clone());
            item.occurrence = i + 1;
            items.push(item);
        }
        let mut root = self.root_context();
        root.add_variable_from_value("comp", to_cel(&facts));
        let mut places = comp.places.clone();
        places.extend(component::derived_places(comp));
        let subject = Subject {
            id: &comp.id,
            object: format!("{kind}:{}", comp.name),
            config_path: &comp.config_path,
            settings: &comp.settings,
            node: None,
            version: None,
            places: Some(&places),
        };
        let mut out = Vec::new();
        for item in &items {
            let mut ctx = root.new_inner_scope();
            if item.scope != Scope::Component {
                ctx.add_variable_from_value(item.scope.variable(), item.value.clone());
            }
            for c in self.rules.iter().filter(|c| c.rule.scope == item.scope) {
                let active = selection.wants(&c.rule)
                    && for_kind(&c.rule.id, comp.kind)
                    && (c.rule.in_profile(selection.profile)
                        || (facts.fips && c.rule.profiles.contains(&Profile::Fips)));
                if !active {
                    continue;
                }
                out.extend(self.judge(c, &ctx, item, &subject));
            }
        }
        out
    }

    /// Judges the rules of the cluster scopes on a cluster read through its APIs. When the
    /// cluster could not be reached, or a call a scope needs was refused, that scope's rules
    /// are errors that say why.
    fn judge_cluster(&self, cluster: &EsCluster, selection: &Selection) -> Vec<RuleResult> {
        let unreachable = cluster.snapshot.error.as_ref();
        let mut items = vec![];
        match unreachable.or(cluster.certificates_missing.as_ref()) {
            Some(why) => {
                let mut item = Item::new(
                    Scope::ClusterCertificate,
                    Value::Null,
                    "certificates".into(),
                );
                item.error = Some(why.clone());
                item.own = Some(api_located("certificates", String::new()));
                items.push(item);
            }
            None => {
                for cert in &cluster.certificates {
                    let mut item =
                        Item::new(Scope::ClusterCertificate, to_cel(cert), cert.path.clone());
                    item.own = Some(api_located(
                        &cert.object,
                        format!("{} (expires {})", cert.subject_dn, cert.expiry),
                    ));
                    // Quoted by CERT-API-005's message.
                    item.facts = Some(serde_json::json!({ "format": cert.format }));
                    items.push(item);
                }
            }
        }
        let first_rbac = items.len();
        items.extend(rbac_items(cluster.rbac_items.clone(), &cluster.rbac));
        if let Some(why) = &cluster.rbac_not_applicable {
            for item in &mut items[first_rbac..] {
                item.not_applicable = Some(why.clone());
            }
        }
        let mut root = self.root_context();
        root.add_variable_from_value(Scope::EsCluster.variable(), to_cel(&cluster.facts));
        root.add_variable_from_value("warning_days", Value::Int(selection.expiry_warning_days));
        let empty = Settings::default();
        let subject = Subject {
            id: &cluster.id,
            object: cluster.id.clone(),
            config_path: "",
            settings: &empty,
            node: None,
            version: EsVersion::parse(&cluster.facts.version),
            places: None,
        };
        // A cluster rule points at the field of the facts its `locate` names, so each rule
        // gets its own item.
        let facts_json = serde_json::to_value(&cluster.facts).unwrap_or_default();
        let mut out: Vec<RuleResult> = self
            .selected(Scope::EsCluster, selection)
            .filter_map(|c| {
                let mut item = Item::new(Scope::EsCluster, Value::Null, cluster.name.clone());
                item.error = unreachable.cloned();
                item.own = Some(cluster_located(&c.rule, &facts_json, &cluster.id));
                self.judge(c, &root, &item, &subject)
            })
            .collect();
        out.extend(self.judge_items(&root, &items, &subject, selection));
        out
    }

    fn judge_node(
        &self,
        node: &EsNode,
        files: &[SecurityFile],
        selection: &Selection,
        cluster: &crate::evidence::cluster::ClusterFacts,
    ) -> Vec<RuleResult> {
        let facts = derive::node_facts(node);
        let mut items = items(node, &facts, files, selection.expiry_warning_days);
        // The node's own item quotes which settings its cluster's nodes disagree on.
        if let Some(first) = items.iter_mut().find(|i| i.scope == Scope::EsNode)
            && !cluster.disagreeing.is_empty()
        {
            first.facts = Some(serde_json::json!({ "disagreeing": cluster.disagreeing }));
        }
        let mut root = self.root_context();
        // Converting a value into the context is a deep copy: do the node's once, at the root.
        root.add_variable_from_value("node", to_cel(&facts));
        root.add_variable_from_value("cluster", to_cel(cluster));
        let subject = Subject::node(node);
        let mut out = Vec::new();
        for item in &mut items {
            let mut ctx = root.new_inner_scope();
            if item.scope != Scope::EsNode {
                // Moved, not cloned: nothing reads an item's value after its context has it.
                let value = std::mem::replace(&mut item.value, Value::Null);
                ctx.add_variable_from_value(item.scope.variable(), value);
            }
            for c in self.rules.iter().filter(|c| c.rule.scope == item.scope) {
                let active = selection.wants(&c.rule)
                    && (c.rule.in_profile(selection.profile)
                        || (facts.fips && c.rule.profiles.contains(&Profile::Fips)));
                if !active {
                    continue;
                }
                out.extend(self.judge(c, &ctx, item, &subject));
            }
        }
        out
    }

    /// Judges the rbac rules on rbac items (from [`rbac_items`]) of any subject. The rules read
    /// only their scope's variable, so no `node` is needed: this serves a cluster read through
    /// its APIs as well as a node's file realm.
    /// The rules of each item's scope, judged on the item in a scope of `root`.
    fn judge_items(
        &self,
        root: &Context,
        items: &[Item],
        subject: &Subject,
        selection: &Selection,
    ) -> Vec<RuleResult> {
        let mut out = Vec::new();
        for item in items {
            let mut ctx = root.new_inner_scope();
            ctx.add_variable_from_value(item.scope.variable(), item.value.clone());
            for c in self.selected(item.scope, selection) {
                out.extend(self.judge(c, &ctx, item, subject));
            }
        }
        out
    }

    /// The rules of `scope` that the selection and profile run.
    fn selected<'s>(
        &'s self,
        scope: Scope,
        selection: &'s Selection,
    ) -> impl Iterator<Item = &'s Compiled> + 's {
        self.rules.iter().filter(move |c| {
            c.rule.scope == scope
                && selection.wants(&c.rule)
                && c.rule.in_profile(selection.profile)
        })
    }

    /// The result of rule `c` on `item`; none for a per-setting rule aimed at other keys,
    /// which says nothing about this one (the report keeps to the settings a rule judges).
    /// Where the result points is worked out only for a result that is kept: most of a
    /// node's per-setting verdicts are of that kind.
    fn judge(
        &self,
        c: &Compiled,
        ctx: &Context,
        item: &Item,
        subject: &Subject,
    ) -> Option<RuleResult> {
        let rule = &c.rule;
        let located = std::cell::OnceCell::new();
        let locate = || located.get_or_init(|| item.locate_evidence(rule, subject));
        let version_mismatch = match (&c.versions, subject.version) {
            (Some(r), Some(v)) => (!r.matches(v)).then_some(v),
            _ => None,
        };
        let (status, message) = if let Some(version) = version_mismatch {
            (
                Status::NotApplicable,
                format!(
                    "applies to Elasticsearch {}; this node is {}",
                    rule.versions.as_deref().unwrap_or_default(),
                    version
                ),
            )
        } else if let Some(why) = &item.not_applicable {
            (Status::NotApplicable, why.clone())
        } else if let Some(error) = &item.error {
            // An item that could not be read cannot be judged, unless what its configuration
            // says of it (a partial value) already rules the rule out; an item without that
            // is an error for every rule of its scope.
            match item.partial.then(|| not_applicable(c, ctx, None)).flatten() {
                Some((Status::NotApplicable, why)) => (Status::NotApplicable, why),
                _ => (Status::Error, format!("cannot judge: {error}")),
            }
        } else {
            verdict(
                c,
                ctx,
                item.hidden.as_deref(),
                || unresolved_error(item, locate()),
                || fail_message(rule, item, locate()),
            )
        };
        let per_setting = matches!(item.scope, Scope::EsSetting | Scope::ComponentSetting);
        if per_setting && status == Status::NotApplicable {
            return None;
        }
        let located = located
            .into_inner()
            .unwrap_or_else(|| item.locate_evidence(rule, subject));
        let fp_occurrence = item.occurrence.to_string();
        let mut identity = vec![
            rule.id.as_str(),
            subject.id,
            located.object.as_str(),
            fp_occurrence.as_str(),
        ];
        // Several items can point at one setting (a transport profile inherits the transport
        // layer's keys): the item's name keeps their fingerprints apart. Settings and users
        // are their own object already, and a node-scoped rule has one item per node.
        if item.own.is_none() && item.scope != Scope::EsNode {
            identity.push(item.name.as_str());
        }
        let location = ResultLocation {
            // Objects read from an API have no file.
            path: (!located.location.path.is_empty()).then(|| located.location.path.clone()),
            line: located.location.line,
            column: located.location.column,
            object: located.object.clone(),
            named_by: item.named_by.clone(),
        };
        Some(result_of(
            rule,
            subject.id,
            (status, message),
            location,
            &identity,
            || located.actual.clone(),
        ))
    }
}

/// A fact as text: strings as they are, lists joined with `separator`, null as empty.
fn json_text(value: &serde_json::Value, separator: &str) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| json_text(i, separator))
            .collect::<Vec<_>>()
            .join(separator),
        other => other.to_string(),
    }
}

/// A result about something read from an API: no file, only the object.
fn api_located(object: &str, actual: String) -> Located {
    Located {
        key: String::new(),
        object: object.to_string(),
        location: Location::default(),
        actual,
        unresolved: vec![],
    }
}

/// Where a cluster rule points: its `locate` names a field of the cluster facts, whose value is
/// the evidence. A list of runtime overrides (`key = value (scope)`) points at the first
/// setting; anything else at the cluster.
fn cluster_located(rule: &Rule, facts: &serde_json::Value, cluster_id: &str) -> Located {
    let field = rule.locate.keys().first().copied().unwrap_or_default();
    let value = field
        .split('.')
        .try_fold(facts, |v, part| v.get(part))
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let actual = match &value {
        serde_json::Value::Array(items) if items.is_empty() => "none".to_string(),
        _ => json_text(&value, "; "),
    };
    let object = match value
        .as_array()
        .and_then(|a| a.first())
        .and_then(|f| f.as_str())
    {
        Some(first) if first.contains(" = ") && first.starts_with("xpack.") => {
            format!("setting:{}", first.split(" = ").next().unwrap_or_default())
        }
        _ => cluster_id.to_string(),
    };
    api_located(&object, actual)
}

fn endpoint_target(e: &Endpoint) -> Target {
    Target {
        id: e.id.clone(),
        kind: "tls_endpoint".into(),
        source: format!("{}:{} ({})", e.host, e.port, e.role.as_str()),
        version: None,
        version_source: None,
        grade: (!e.grade.is_empty()).then(|| e.grade.clone()),
        tls: Some(e.summary()),
    }
}

/// What a failing endpoint rule saw, named by the rule's `locate` (a field of the endpoint).
fn endpoint_actual(rule: &Rule, e: &Endpoint) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    match rule.locate.keys().first().copied().unwrap_or_default() {
        "legacy_protocols" => list(&e.legacy_protocols),
        "protocols" => list(&e.protocols),
        "broken_suites" => list(&e.broken_suites),
        "non_pfs_suites" => list(&e.non_pfs_suites),
        "cbc_sha1_suites" => list(&e.cbc_sha1_suites),
        "trust_error" => format!("{}: {}", e.leaf_summary, e.trust_error),
        "declared" => format!(
            "{} (node {}, {}.*)",
            e.declared.differences.join("; "),
            e.declared.node,
            e.declared.prefix
        ),
        "client_cert_required" => format!(
            "client certificate {}",
            if e.client_cert_requested {
                "requested but optional"
            } else {
                "not requested"
            }
        ),
        _ => e.leaf_summary.clone(),
    }
}

/// A result of `rule` on `target`. Evidence and remediation go with failures only.
fn result_of(
    rule: &Rule,
    target: &str,
    (status, message): (Status, String),
    location: ResultLocation,
    identity: &[&str],
    actual: impl FnOnce() -> String,
) -> RuleResult {
    let failed = status == Status::Fail;
    RuleResult {
        rule: rule.id.clone(),
        title: rule.title.clone(),
        category: rule.category,
        severity: rule.severity,
        status,
        target: target.to_string(),
        fingerprint: fingerprint(identity),
        evidence: failed.then(|| Evidence {
            actual: actual(),
            expected: rule.expected.clone(),
        }),
        location,
        message,
        remediation: if failed {
            rule.remediation.clone()
        } else {
            String::new()
        },
        waiver: None,
        baseline: false,
    }
}

/// `when`, then `requires` and `check`: the verdict of a rule in a context. `pre_check` may
/// stop an applicable rule with an error before its check runs; `fail` words a failure.
fn verdict(
    c: &Compiled,
    ctx: &Context,
    hidden: Option<&str>,
    pre_check: impl FnOnce() -> Option<(Status, String)>,
    fail: impl FnOnce() -> String,
) -> (Status, String) {
    let rule = &c.rule;
    let programs = &c.programs;
    if let Some(stop) = not_applicable(c, ctx, hidden) {
        return stop;
    }
    if let Some(stop) = pre_check() {
        return stop;
    }
    match programs.requires.as_ref().map(|r| Value::resolve(r, ctx)) {
        None => {}
        Some(Ok(Value::String(why))) if why.is_empty() => {}
        Some(Ok(Value::String(why))) => {
            return (Status::Error, format!("cannot judge: {why}"));
        }
        Some(Ok(other)) => {
            return (
                Status::Error,
                format!("the rule's `requires` gave {other:?}, not a string"),
            );
        }
        Some(Err(e)) => return (Status::Error, item_error_message(&e, hidden)),
    }
    match Value::resolve(&programs.check, ctx) {
        Ok(Value::Bool(true)) => (Status::Pass, rule.title.clone()),
        Ok(Value::Bool(false)) => (Status::Fail, fail()),
        Ok(other) => (
            Status::Error,
            format!("the rule's check gave {other:?}, not a boolean"),
        ),
        Err(e) => (Status::Error, item_error_message(&e, hidden)),
    }
}

/// The rule's `when`: `None` when it applies, else why not (or why that cannot be told).
fn not_applicable(c: &Compiled, ctx: &Context, hidden: Option<&str>) -> Option<(Status, String)> {
    let rule = &c.rule;
    match c.programs.when.as_ref().map(|w| Value::resolve(w, ctx)) {
        Some(Ok(Value::Bool(false))) => Some((
            Status::NotApplicable,
            rule.unless.clone().unwrap_or_else(|| {
                format!(
                    "does not apply: {}",
                    rule.when.as_deref().unwrap_or_default()
                )
            }),
        )),
        // A `when` may give the reason itself: a non-empty string is why the rule does not
        // apply here, an empty one that it does.
        Some(Ok(Value::String(why))) if !why.is_empty() => {
            Some((Status::NotApplicable, why.to_string()))
        }
        Some(Ok(Value::Bool(true) | Value::String(_))) | None => None,
        Some(Ok(other)) => Some((
            Status::Error,
            format!("the rule's `when` gave {other:?}, not a boolean or a reason"),
        )),
        Some(Err(e)) => Some((Status::Error, item_error_message(&e, hidden))),
    }
}

/// A rule located at a value that needs an environment variable with no default cannot be
/// judged from the file.
fn unresolved_error(item: &Item, located: &Located) -> Option<(Status, String)> {
    // Component rules read values through `setting()`, which reports an unresolved one itself;
    // a rule that only asks whether a key is written can judge it.
    let exempt = matches!(
        item.scope,
        Scope::EsSetting | Scope::ComponentSetting | Scope::Component | Scope::LsPlugin
    );
    (!exempt && !located.unresolved.is_empty()).then(|| {
        (
            Status::Error,
            format!(
                "cannot judge: {} takes its value from environment variable {}, which has no default",
                located.key,
                located
                    .unresolved
                    .iter()
                    .map(|v| format!("${{{v}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

fn fail_message(rule: &Rule, item: &Item, located: &Located) -> String {
    let mut message = match &rule.message {
        Some(m) => m
            .replace("{key}", &located.key)
            .replace("{value}", &located.actual)
            .replace("{item}", &item.name),
        None if located.key.is_empty() => rule.title.clone(),
        None => format!("{}: {} = {}", rule.title, located.key, located.actual),
    };
    // `{fact.NAME}`: a derived fact of the item (the path to superuser power of an rbac item).
    while let Some(start) = message.find("{fact.") {
        let Some(len) = message[start..].find('}') else {
            break;
        };
        let name = &message[start + 6..start + len];
        let value = item.fact(name).unwrap_or_default();
        message.replace_range(start..=start + len, &value);
    }
    if let Some(s) = &item.suggestion {
        message.push_str(&format!(" (did you mean {s}?)"));
    }
    message
}

/// Why a rule could not be judged when its expression stopped with an error: the catalog's
/// functions say so in words (a hidden or unresolved setting); anything else is a fault of the
/// rule, reported as such.
fn cel_error_message(e: &ExecutionError) -> String {
    match e {
        ExecutionError::FunctionError { message, .. } => format!("cannot judge: {message}"),
        other => format!("could not evaluate the rule: {other}"),
    }
}

/// [`cel_error_message`] for an item whose value leaves out the facts its source cannot show:
/// a rule that reads one of them cannot be judged, for that reason.
fn item_error_message(e: &ExecutionError, hidden: Option<&str>) -> String {
    match (e, hidden) {
        (ExecutionError::NoSuchKey(_), Some(why)) => format!("cannot judge: {why}"),
        _ => cel_error_message(e),
    }
}

/// One thing a rule is judged on.
struct Item {
    scope: Scope,
    value: Value,
    /// Shown as `{item}` in messages.
    name: String,
    /// Prefix that relative `locate` keys are joined to.
    prefix: Option<String>,
    /// For TLS contexts: the full key each effective sub-setting was read from.
    sources: BTreeMap<String, String>,
    /// For settings and users: the item's own object and location.
    own: Option<Located>,
    occurrence: usize,
    suggestion: Option<String>,
    /// Why the item cannot be judged (a file that is absent or unreadable).
    error: Option<String>,
    /// With `error`: the value holds only what the configuration tells of the item, enough for
    /// a rule's `when` and nothing more.
    partial: bool,
    /// Why no rule of the item's scope applies (RBAC on a cluster with security off).
    not_applicable: Option<String>,
    /// Why facts left out of the item's value are unknown (TLS details of a node read from
    /// its API): a rule that reads one cannot be judged.
    hidden: Option<String>,
    /// Settings the item's `locate` keys are looked up in, when not the subject's own
    /// (the options of a pipeline plugin).
    settings: Option<Settings>,
    /// Where the item is declared, for a key that is not written.
    anchor: Option<Location>,
    /// Derived facts an rbac item's messages and evidence quote (`{fact.NAME}`).
    facts: Option<serde_json::Value>,
    /// A file item's naming setting (see [`ResultLocation::named_by`]).
    named_by: Option<crate::results::NamedBy>,
}

/// What a result is about: a node, or a Kibana / Logstash / Beats / Agent instance.
struct Subject<'a> {
    id: &'a str,
    /// The object named when a failure points at no setting.
    object: String,
    config_path: &'a str,
    settings: &'a Settings,
    node: Option<&'a EsNode>,
    version: Option<EsVersion>,
    /// Named places of a component (`locate: place:<name>`).
    places: Option<&'a std::collections::BTreeMap<String, component::Place>>,
}

impl<'a> Subject<'a> {
    fn node(node: &'a EsNode) -> Subject<'a> {
        Subject {
            id: &node.id,
            object: format!("node:{}", node.name),
            config_path: &node.config_path,
            settings: &node.settings,
            node: Some(node),
            version: Some(node.version),
            places: None,
        }
    }
}

/// Where a result points, and the value found there.
#[derive(Debug, Clone)]
struct Located {
    key: String,
    object: String,
    location: Location,
    actual: String,
    unresolved: Vec<String>,
}

impl Item {
    fn new(scope: Scope, value: Value, name: String) -> Item {
        Item {
            scope,
            value,
            name,
            prefix: None,
            sources: BTreeMap::new(),
            own: None,
            occurrence: 1,
            suggestion: None,
            error: None,
            partial: false,
            not_applicable: None,
            hidden: None,
            settings: None,
            anchor: None,
            facts: None,
            named_by: None,
        }
    }

    /// [`Item::locate`], with the evidence the rule quotes: the fact it locates, else the
    /// first fact its message quotes.
    fn locate_evidence(&self, rule: &Rule, subject: &Subject) -> Located {
        let mut located = self.locate(rule, subject);
        let quoted = rule
            .message
            .as_deref()
            .and_then(|m| m.split("{fact.").nth(1))
            .and_then(|rest| rest.split('}').next());
        if let Some(fact) = self
            .fact(rule.locate.keys().first().copied().unwrap_or_default())
            .or_else(|| quoted.and_then(|q| self.fact(q)))
        {
            located.actual = fact;
        }
        located
    }

    /// A fact of an rbac item as text: strings as they are, lists joined, null as empty.
    fn fact(&self, name: &str) -> Option<String> {
        Some(json_text(self.facts.as_ref()?.get(name)?, ", "))
    }

    fn locate(&self, rule: &Rule, subject: &Subject) -> Located {
        if let Some(own) = &self.own {
            return own.clone();
        }
        let keys = rule.locate.keys();
        if let Some(node) = subject.node
            && let Some(arg) = keys
                .first()
                .filter(|k| k.starts_with("-D") || k.starts_with("-X"))
        {
            return locate_jvm(node, arg);
        }
        if let Some(node) = subject.node
            && let Some(file) = keys.first().and_then(|k| k.strip_prefix("file:"))
        {
            let path = match file {
                "log4j2.properties" => node.log4j.as_ref().map(|l| l.path.clone()),
                "users" => node.file_users.as_ref().map(|u| u.path.clone()),
                _ => None,
            };
            return Located {
                key: String::new(),
                object: format!("file:{file}"),
                location: Location::file(&path.unwrap_or_else(|| node.config_path.clone())),
                actual: String::new(),
                unresolved: vec![],
            };
        }
        if let Some(name) = keys.first().and_then(|k| k.strip_prefix("place:")) {
            let place = subject.places.and_then(|p| p.get(name));
            return Located {
                key: String::new(),
                object: place
                    .map(|p| p.object.clone())
                    .unwrap_or_else(|| subject.object.clone()),
                location: place
                    .map(|p| p.location.clone())
                    .or_else(|| self.anchor.clone())
                    .unwrap_or_else(|| Location::file(subject.config_path)),
                actual: String::new(),
                unresolved: vec![],
            };
        }
        let full = |k: &str| match &self.prefix {
            Some(p) => self
                .sources
                .get(k)
                .cloned()
                .unwrap_or_else(|| format!("{p}.{k}")),
            None => k.to_string(),
        };
        let candidates: Vec<String> = keys.iter().map(|k| full(k)).collect();
        let settings = self.settings.as_ref().unwrap_or(subject.settings);
        // A key written under the item's own prefix says more than one it inherits.
        let own = self
            .prefix
            .as_ref()
            .and_then(|p| keys.iter().find_map(|k| settings.get(&format!("{p}.{k}"))));
        let written = own.or_else(|| candidates.iter().find_map(|k| settings.get(k)));
        match written {
            Some(s) => Located {
                key: s.key.clone(),
                object: format!("setting:{}", s.key),
                location: s.location.clone(),
                actual: if catalog::is_secret(&s.key) || component::is_component_secret(&s.key) {
                    "(secret, not shown)".into()
                } else {
                    s.value.to_string()
                },
                unresolved: s.unresolved.clone(),
            },
            None => {
                // A locate key may name a group of settings (`…providers.anonymous`): point at
                // the first one written under it.
                if let Some(s) = candidates.iter().find_map(|k| {
                    settings
                        .keys_with_prefix(&format!("{k}."))
                        .filter_map(|k| settings.get(k))
                        .min_by_key(|s| (s.location.line, s.location.column))
                }) {
                    return Located {
                        key: s.key.clone(),
                        object: format!("setting:{}", s.key),
                        location: s.location.clone(),
                        actual: if catalog::is_secret(&s.key)
                            || component::is_component_secret(&s.key)
                        {
                            "(secret, not shown)".into()
                        } else {
                            s.value.to_string()
                        },
                        unresolved: s.unresolved.clone(),
                    };
                }
                let key = candidates
                    .first()
                    .cloned()
                    .or_else(|| self.prefix.clone())
                    .unwrap_or_default();
                let object = if key.is_empty() {
                    subject.object.clone()
                } else {
                    format!("setting:{key}")
                };
                Located {
                    actual: if key.is_empty() {
                        String::new()
                    } else {
                        "not set".into()
                    },
                    key,
                    object,
                    location: self
                        .anchor
                        .clone()
                        .or_else(|| self.declaration(settings))
                        .unwrap_or_else(|| Location::file(subject.config_path)),
                    unresolved: vec![],
                }
            }
        }
    }
}

impl Item {
    /// Where the item itself is declared, for a failure caused by a key that is not written:
    /// the first key written under the item's prefix, or under its parent prefixes down to three
    /// segments (a transport profile with no filter rules points at the profile).
    fn declaration(&self, settings: &Settings) -> Option<Location> {
        let mut prefix = self.prefix.clone()?;
        loop {
            let probe = format!("{prefix}.");
            let first_written = settings
                .keys_with_prefix(&probe)
                .filter_map(|k| settings.get(k))
                .map(|s| &s.location)
                .min_by_key(|l| (l.line, l.column));
            if let Some(location) = first_written {
                return Some(location.clone());
            }
            let (parent, _) = prefix.rsplit_once('.')?;
            if parent.split('.').count() < 3 {
                return None;
            }
            prefix = parent.to_string();
        }
    }
}

fn locate_jvm(node: &EsNode, arg: &str) -> Located {
    let found = node.jvm_options.iter().find(|o| o.arg.starts_with(arg));
    let location = match found {
        Some(o) => o.location.clone(),
        None => node
            .jvm_options
            .first()
            .map(|o| Location::file(&o.location.path))
            .unwrap_or_else(|| Location::file(&node.config_path)),
    };
    Located {
        key: arg.to_string(),
        object: format!("jvm:{arg}"),
        location,
        actual: found
            .map(|o| o.arg.clone())
            .unwrap_or_else(|| "not set".into()),
        unresolved: vec![],
    }
}

/// Built-in component rules name their component in the id (`KB-`, `LS-`, `BT-`); other ids
/// (user rules) run on every component.
fn for_kind(id: &str, kind: component::ComponentKind) -> bool {
    use component::ComponentKind::*;
    match id.split('-').next().unwrap_or("") {
        "KB" => kind == Kibana,
        "LS" => kind == Logstash,
        "BT" => matches!(kind, Beat | Agent),
        _ => true,
    }
}

/// A written setting of a component, or an option of a pipeline plugin (`plugin` names it:
/// `output.elasticsearch`), judged on its own and located at its key.
fn component_setting_item(
    kind: &str,
    setting: &crate::evidence::Setting,
    plugin: Option<&str>,
) -> Item {
    let key = match plugin {
        Some(p) => format!("{p}.{}", setting.key),
        None => setting.key.clone(),
    };
    let mut named = setting.clone();
    named.key = key.clone();
    let facts = component::setting_facts(kind, &named);
    let mut item = Item::new(Scope::ComponentSetting, to_cel(&facts), key.clone());
    item.occurrence = setting.occurrence;
    item.own = Some(Located {
        key: key.clone(),
        object: format!("setting:{key}"),
        location: setting.location.clone(),
        actual: if facts.secret {
            "(secret, not shown)".into()
        } else {
            facts.value.clone()
        },
        unresolved: setting.unresolved.clone(),
    });
    item
}

fn to_cel<T: Serialize>(value: &T) -> Value {
    // The evidence types only hold strings, booleans, i64 and collections of them, which always
    // convert; a failure here is a programming error caught by the tests.
    cel::to_value(value).expect("evidence converts to CEL")
}

fn items(node: &EsNode, facts: &NodeFacts, files: &[SecurityFile], warning_days: i64) -> Vec<Item> {
    let contexts = tls::contexts(node);
    let mut items = file_based_items(node, &contexts, files, warning_days);
    if node.files_only {
        return items;
    }
    let mut node_item = Item::new(Scope::EsNode, Value::Null, node.name.clone());
    node_item.anchor = node.declared_at.clone();
    items.push(node_item);
    for ctx in contexts {
        let value = match &node.hidden {
            Some(hidden) => shown_tls_facts(&ctx, hidden),
            None => to_cel(&ctx),
        };
        let mut item = Item::new(Scope::EsTlsContext, value, ctx.name.clone());
        item.prefix = Some(ctx.prefix.clone());
        item.sources = ctx.sources.clone();
        item.hidden = node.hidden.as_ref().map(|h| {
            format!(
                "{}.* (all but enabled) is unknown: {}",
                ctx.prefix, h.reason
            )
        });
        items.push(item);
    }
    for realm in derive::realms(node) {
        let mut item = Item::new(
            Scope::EsRealm,
            to_cel(&realm),
            format!("{}.{}", realm.realm_type, realm.name),
        );
        item.prefix = Some(realm.prefix.clone());
        items.push(item);
    }
    for filter in derive::ip_filters(node, facts) {
        // A transport profile's own lists are among the settings the nodes info API hides.
        let hidden = node.hidden.as_ref().filter(|_| filter.layer == "profile");
        let value = match hidden {
            Some(_) => {
                let mut v = serde_json::to_value(&filter).unwrap_or_default();
                if let Some(map) = v.as_object_mut() {
                    for unknown in ["allow", "deny", "shadowed", "allow_everything"] {
                        map.remove(unknown);
                    }
                }
                json_to_cel(&v)
            }
            None => to_cel(&filter),
        };
        let mut item = Item::new(Scope::EsIpFilter, value, filter.name.clone());
        item.hidden = hidden.map(|h| {
            format!(
                "{}.allow and .deny are unknown: {}",
                filter.prefix, h.reason
            )
        });
        item.prefix = Some(filter.prefix.clone());
        // Rules a listener takes by fallback are located where they are written.
        if !filter.inherited_from.is_empty() {
            for list in ["allow", "deny"] {
                item.sources
                    .insert(list.into(), format!("{}.{list}", filter.inherited_from));
            }
        }
        items.push(item);
    }
    for policy in derive::audit_policies(node) {
        let mut item = Item::new(Scope::EsAuditPolicy, to_cel(&policy), policy.name.clone());
        item.prefix = Some(policy.prefix.clone());
        items.push(item);
    }
    for (facts, setting) in derive::setting_facts(node)
        .iter()
        .zip(&node.settings.entries)
    {
        let mut item = Item::new(Scope::EsSetting, to_cel(facts), setting.key.clone());
        item.occurrence = setting.occurrence;
        if !facts.running.is_empty() {
            let file = if facts.secret {
                "(secret, not shown)"
            } else {
                facts.value.as_str()
            };
            item.facts = Some(serde_json::json!({ "running": facts.running, "file": file }));
        }
        item.suggestion =
            (!facts.suggestion.is_empty() && !facts.known).then(|| facts.suggestion.clone());
        item.own = Some(Located {
            key: setting.key.clone(),
            object: format!("setting:{}", setting.key),
            location: setting.location.clone(),
            actual: if facts.secret {
                "(secret, not shown)".into()
            } else {
                facts.value.clone()
            },
            unresolved: setting.unresolved.clone(),
        });
        items.push(item);
    }
    if let Some(rbac) = &node.rbac {
        items.extend(rbac_items(
            rbac::analyse(rbac, crate::clock::Timestamp::now().0),
            rbac,
        ));
    }
    if let Some(users) = &node.file_users {
        for user in &users.users {
            let mut item = Item::new(Scope::EsFileUser, to_cel(user), user.name.clone());
            item.own = Some(Located {
                key: user.name.clone(),
                object: format!("user:{}", user.name),
                location: user.location.clone(),
                actual: format!("password stored as {}", user.scheme),
                unresolved: vec![],
            });
            items.push(item);
        }
    }
    items
}

/// The facts of a TLS context that a source hiding its TLS sub-settings still shows: where it
/// applies and whether it is enabled. A rule reading any other fact cannot be judged.
fn shown_tls_facts(
    ctx: &tls::TlsContext,
    hidden: &crate::evidence::settings::HiddenSettings,
) -> Value {
    let serde_json::Value::Object(mut all) = serde_json::to_value(ctx).unwrap_or_default() else {
        return Value::Null;
    };
    all.retain(|k, _| {
        matches!(
            k.as_str(),
            "name" | "layer" | "prefix" | "server" | "enabled"
        )
    });
    let shown = ctx
        .settings
        .get("enabled")
        .map(|v| serde_json::json!({ "enabled": v }));
    all.insert(
        "settings".into(),
        shown.unwrap_or_else(|| serde_json::json!({})),
    );
    all.insert("explicit".into(), serde_json::json!({}));
    all.insert("hidden_reason".into(), hidden.reason.clone().into());
    all.insert("hidden_patterns".into(), serde_json::json!(hidden.patterns));
    json_to_cel(&serde_json::Value::Object(all))
}

/// The items of the rbac scopes, for any subject: a node's file realm, or a cluster's security
/// APIs. A file-defined object points at its file, line and column; an API object has no path
/// (its `location.object` names it). Each part that could not be read (`missing`) becomes an
/// item in error, so every rule of that scope reports `error` with the reason — but for the
/// rules about anonymous access when no anonymous role is set: those do not apply.
fn rbac_items(analysed: Vec<RbacItem>, rbac: &rbac::Rbac) -> Vec<Item> {
    let mut items: Vec<Item> = analysed
        .into_iter()
        .map(|a| {
            let mut item = Item::new(a.scope, json_to_cel(&a.facts), a.name);
            item.hidden = a.hidden;
            let mut own = api_located(&a.object, String::new());
            own.location = a.location.unwrap_or_default();
            item.own = Some(own);
            item.facts = Some(a.facts);
            item
        })
        .collect();
    let no_anonymous = rbac.anonymous_known && rbac.anonymous_roles.is_empty();
    for (scope, why) in &rbac.missing {
        let mut item = Item::new(*scope, Value::Null, format!("{}s", scope.variable()));
        item.own = Some(api_located(
            &format!("{}:*", rbac_object_kind(*scope)),
            String::new(),
        ));
        item.error = Some(why.clone());
        if *scope == Scope::RbacRole && no_anonymous {
            item.value = json_to_cel(&serde_json::json!({ "anonymous": false }));
            item.partial = true;
        }
        items.push(item);
    }
    items
}

fn rbac_object_kind(scope: Scope) -> &'static str {
    match scope {
        Scope::RbacRole => "role",
        Scope::RbacUser => "user",
        Scope::RbacRoleMapping => "role_mapping",
        Scope::RbacApiKey => "api_key",
        Scope::RbacServiceToken => "service_token",
        _ => scope.variable(),
    }
}

/// JSON facts as a CEL value. Whole numbers become `int` (serde's route makes positive ones
/// `uint`, which rules comparing with `365` would trip over).
fn json_to_cel(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        J::String(s) => Value::String(Arc::new(s.clone())),
        J::Array(items) => Value::List(Arc::new(items.iter().map(json_to_cel).collect())),
        J::Object(map) => Value::Map(cel::objects::Map {
            map: Arc::new(
                map.iter()
                    .map(|(k, v)| (Key::String(Arc::new(k.clone())), json_to_cel(v)))
                    .collect(),
            ),
        }),
    }
}

/// Certificates, key and store files, and the keystore. A file that could not be read becomes
/// an item in error, located at the setting that names it.
fn file_based_items(
    node: &EsNode,
    contexts: &[tls::TlsContext],
    files: &[SecurityFile],
    warning_days: i64,
) -> Vec<Item> {
    let naming = |key: &Option<String>, fallback: &str| -> Location {
        key.as_ref()
            .and_then(|k| node.settings.get(k))
            .map(|s| s.location.clone())
            .unwrap_or_else(|| Location::file(fallback))
    };
    let named_by = |key: &Option<String>| {
        let key = key.as_ref()?;
        let at = &node.settings.get(key)?.location;
        Some(crate::results::NamedBy {
            setting: key.clone(),
            path: at.path.clone(),
            line: at.line,
        })
    };
    let mut items = Vec::new();
    for c in file_items::certificate_items(node, contexts, files, warning_days) {
        let cert = &c.item;
        let mut item = Item::new(Scope::Certificate, to_cel(cert), cert.path.clone());
        item.occurrence = cert.index as usize + 1;
        item.own = Some(match &c.error {
            Some(_) => Located {
                key: c.naming_setting.clone().unwrap_or_default(),
                object: format!("certificate:{}", cert.path),
                location: naming(&c.naming_setting, &cert.path),
                actual: String::new(),
                unresolved: vec![],
            },
            None => Located {
                key: cert.path.clone(),
                object: format!("certificate:{}#{}", cert.path, cert.facts.subject),
                location: Location::file(&cert.path),
                actual: format!(
                    "{} {} bits, {}, expires {}, SANs [{}]",
                    cert.facts.key_type.to_uppercase(),
                    cert.facts.key_bits,
                    cert.facts.signature_algorithm,
                    cert.facts.expires,
                    cert.facts
                        .dns_names
                        .iter()
                        .chain(&cert.facts.ip_addresses)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                unresolved: vec![],
            },
        });
        if c.error.is_none() {
            item.named_by = named_by(&c.naming_setting);
        }
        if let (Some(_), Some(known)) = (&c.error, &c.known) {
            item.value = to_cel(known);
            item.partial = true;
        }
        item.error = c.error;
        items.push(item);
    }
    for f in file_items::file_items(node, files) {
        let mut item = Item::new(Scope::SecurityFile, to_cel(&f.item), f.item.path.clone());
        item.own = Some(Located {
            key: f.item.path.clone(),
            object: format!("file:{}", f.item.path),
            location: if f.error.is_some() {
                naming(&f.naming_setting, &f.item.path)
            } else {
                Location::file(&f.item.path)
            },
            actual: format!("mode {}", f.item.mode),
            unresolved: vec![],
        });
        if f.error.is_none() {
            item.named_by = named_by(&f.naming_setting);
        }
        if let (Some(_), Some(known)) = (&f.error, &f.known) {
            item.value = to_cel(known);
            item.partial = true;
        }
        item.error = f.error;
        items.push(item);
    }
    if let Some(k) = file_items::keystore_item(node, files) {
        let mut item = Item::new(Scope::EsKeystore, to_cel(&k.item), k.item.path.clone());
        item.own = Some(Located {
            key: k.item.path.clone(),
            object: format!("file:{}", k.item.path),
            location: Location::file(&k.item.path),
            actual: format!(
                "format version {}, {}, mode {}",
                k.item.version,
                if k.item.password_protected {
                    "password protected"
                } else {
                    "no password"
                },
                k.item.mode
            ),
            unresolved: vec![],
        });
        item.error = k.error;
        items.push(item);
    }
    items
}

/// The value at `map.key` inside `this`, copied out without copying the rest of `this`
/// (converting a whole node map into a `Value` on every call was the engine's main cost).
fn field_value(this: &dyn Val, map: &str, key: &str) -> Option<Value> {
    let outer = this.as_indexer()?.get(&CelString::from(map)).ok()?;
    let leaf = outer.as_indexer()?.get(&CelString::from(key)).ok()?;
    Value::try_from(&*leaf).ok()
}

fn target<'a, 'c, 'v>(ftx: &'a FunctionContext<'c, 'v>) -> Result<&'a dyn Val, ExecutionError> {
    ftx.this
        .as_deref()
        .ok_or_else(|| ftx.error("call it on node, tls or realm, e.g. node.setting(\"key\")"))
}

/// `x.setting(key)`: the effective value of a setting, or null. A value that depends on an
/// environment variable with no default is an evaluation error, so the rule reports `error`
/// rather than guessing.
fn setting(ftx: &FunctionContext, key: Arc<String>) -> ResolveResult {
    let this = target(ftx)?;
    if let Some(Value::List(vars)) = field_value(this, "unresolved", &key) {
        let names: Vec<String> = vars
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("${{{s}}}"),
                other => format!("{other:?}"),
            })
            .collect();
        return Err(ftx.error(format!(
            "{key} takes its value from environment variable {}, which has no default",
            names.join(", ")
        )));
    }
    match field_value(this, "settings", &key) {
        Some(v) => Ok(v),
        None => match hidden(this, &key) {
            Some((full, why)) => Err(ftx.error(format!("{full} is unknown: {why}"))),
            None => Ok(Value::Null),
        },
    }
}

fn is_set(ftx: &FunctionContext, key: Arc<String>) -> Result<bool, ExecutionError> {
    let this = target(ftx)?;
    if field_value(this, "explicit", &key).is_some() {
        return Ok(true);
    }
    match hidden(this, &key) {
        Some((full, why)) => Err(ftx.error(format!("{full} is unknown: {why}"))),
        None => Ok(false),
    }
}

/// A top-level field of an item's value.
fn top_field(this: &dyn Val, name: &str) -> Option<Value> {
    let v = this.as_indexer()?.get(&CelString::from(name)).ok()?;
    Value::try_from(&*v).ok()
}

/// The full name of `key` (relative to the item's `prefix`, if it has one) and why it cannot be
/// read from the item's source, when the source holds it back; see [`derive::Hidden`].
fn hidden(this: &dyn Val, key: &str) -> Option<(String, String)> {
    let Some(Value::String(reason)) = top_field(this, "hidden_reason") else {
        return None;
    };
    if reason.is_empty() {
        return None;
    }
    let full = match top_field(this, "prefix") {
        Some(Value::String(p)) if !p.is_empty() => format!("{p}.{key}"),
        _ => key.to_string(),
    };
    let patterns = match top_field(this, "hidden_patterns") {
        Some(Value::List(l)) => l
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    crate::evidence::settings::hides(&full, &patterns).then(|| (full, reason.to_string()))
}

fn any_set(ftx: &FunctionContext, prefix: Arc<String>) -> Result<bool, ExecutionError> {
    let this = target(ftx)?;
    let explicit = this
        .as_indexer()
        .and_then(|i| i.get(&CelString::from("explicit")).ok())
        .and_then(|v| Value::try_from(&*v).ok());
    let found = match explicit {
        Some(Value::Map(m)) => m.map.keys().any(|k| match k {
            Key::String(s) => s.starts_with(prefix.as_str()),
            _ => false,
        }),
        _ => false,
    };
    // Nothing shown under the prefix: the source may hide what is there.
    if !found && let Some((_, why)) = hidden(this, &format!("{prefix}x")) {
        return Err(ftx.error(format!("settings under {prefix} are unknown: {why}")));
    }
    Ok(found)
}

fn list(ftx: &FunctionContext, key: Arc<String>) -> ResolveResult {
    Ok(match setting(ftx, key)? {
        Value::List(l) => Value::List(l),
        Value::String(s) => Value::List(Arc::new(
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(Arc::new(p.to_string())))
                .collect(),
        )),
        Value::Null => Value::List(Arc::new(vec![])),
        other => Value::List(Arc::new(vec![other])),
    })
}

fn register_functions(ctx: &mut Context) {
    // The names are not part of CEL's standard library, so registration cannot conflict.
    let _ = ctx.add_function("setting", setting);
    let _ = ctx.add_function("is_set", is_set);
    let _ = ctx.add_function("any_set", any_set);
    let _ = ctx.add_function("list", list);
    let _ = ctx.add_function("legacy_protocol", |p: Arc<String>| {
        catalog::is_legacy_protocol(&p)
    });
    let _ = ctx.add_function("broken_suite", |s: Arc<String>| {
        catalog::is_broken_suite(&s)
    });
    let _ = ctx.add_function("weak_suite", |s: Arc<String>| catalog::is_weak_suite(&s));
    let _ = ctx.add_function("loopback", |h: Arc<String>| derive::is_loopback(&h));
    let _ = ctx.add_function("weak_cipher", |s: Arc<String>| component::weak_cipher(&s));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;

    /// The rbac rules on API data: the API-only rules fire, built-ins and the least-privilege
    /// scanner role are not flagged, results carry no path, and nothing errors.
    #[test]
    fn rbac_rules_judge_api_items() {
        let engine = Engine::compile(super::super::load(&[] as &[&str]).unwrap()).unwrap();
        let data = rbac::from_api(&rbac::tests::spec_like());
        let items = rbac_items(rbac::analyse(&data, rbac::tests::NOW), &data);
        let settings = Settings::default();
        let subject = Subject {
            id: "cluster:test",
            object: "cluster:test".into(),
            config_path: "",
            settings: &settings,
            node: None,
            version: None,
            places: None,
        };
        let selection = Selection {
            profile: Profile::Strict,
            select: vec![],
            ignore: vec![],
            expiry_warning_days: 30,
        };
        let results = engine.judge_items(&engine.root_context(), &items, &subject, &selection);
        let fails = |object: &str| -> Vec<&str> {
            results
                .iter()
                .filter(|r| r.location.object == object && r.status == Status::Fail)
                .map(|r| r.rule.as_str())
                .collect()
        };
        // Only what the roles that were not read decide is left unjudged: whether jacknich is a
        // superuser, and whether mapping1 (which matches everyone) maps an admin-level role.
        let errors: Vec<(&str, &str)> = results
            .iter()
            .filter(|r| r.status == Status::Error)
            .map(|r| (r.rule.as_str(), r.location.object.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                ("RBAC-USER-001", "user:jacknich"),
                ("RBAC-MAP-001", "role_mapping:mapping1")
            ]
        );
        assert!(results.iter().all(|r| r.location.path.is_none()));
        assert_eq!(
            fails("role:my_admin_role"),
            ["RBAC-ROLE-001", "RBAC-ROLE-005"]
        );
        assert!(fails("role:superuser").is_empty());
        assert!(fails("role:security_posture_scanner").is_empty());
        assert!(fails("user:scanner").is_empty());
        assert_eq!(fails("user:ops"), ["RBAC-USER-001"]);
        assert_eq!(fails("user:kibana"), ["RBAC-USER-003"]);
        assert_eq!(fails("user:elastic"), ["RBAC-USER-004"]);
        assert_eq!(fails("role_mapping:mapping1"), ["RBAC-MAP-002"]);
        assert_eq!(fails("role_mapping:admins_all"), ["RBAC-MAP-001"]);
        assert_eq!(fails("role_mapping:helpers_pattern"), ["RBAC-MAP-003"]);
        assert_eq!(fails("role_mapping:from_groups"), ["RBAC-MAP-004"]);
        assert!(fails("role_mapping:off").is_empty());
        assert!(fails("api_key:my-api-key").is_empty(), "expired");
        assert_eq!(
            fails("api_key:hadoop_myuser_key"),
            ["RBAC-KEY-001", "RBAC-KEY-002"]
        );
        assert_eq!(fails("api_key:ci-key"), ["RBAC-KEY-003", "RBAC-KEY-004"]);
        assert_eq!(fails("api_key:remote-search"), ["RBAC-KEY-005"]);
        assert_eq!(
            fails("service_token:elastic/fleet-server/token1"),
            ["RBAC-SVC-002"]
        );
        assert_eq!(
            fails("service_token:elastic/fleet-server/my-token"),
            ["RBAC-SVC-001"]
        );
        let m = results
            .iter()
            .find(|r| r.rule == "RBAC-USER-001" && r.location.object == "user:ops")
            .unwrap();
        assert_eq!(
            m.message,
            "User ops reaches superuser power: user:ops → role:my_admin_role → cluster privilege all"
        );
    }

    /// A refused call makes every rule of its scope an error naming the privilege.
    #[test]
    fn missing_rbac_data_is_an_error() {
        let engine = Engine::compile(super::super::load(&[] as &[&str]).unwrap()).unwrap();
        let data = rbac::Rbac {
            missing: vec![(Scope::RbacUser, "GET /_security/user was refused (HTTP 403): the scanner needs the read_security privilege".into())],
            ..Default::default()
        };
        let items = rbac_items(vec![], &data);
        let settings = Settings::default();
        let subject = Subject {
            id: "cluster:test",
            object: "cluster:test".into(),
            config_path: "",
            settings: &settings,
            node: None,
            version: None,
            places: None,
        };
        let selection = Selection {
            profile: Profile::Baseline,
            select: vec![],
            ignore: vec![],
            expiry_warning_days: 30,
        };
        let results = engine.judge_items(&engine.root_context(), &items, &subject, &selection);
        assert!(!results.is_empty());
        for r in &results {
            assert!(r.rule.starts_with("RBAC-USER-"));
            assert_eq!(r.status, Status::Error);
            assert!(r.message.contains("read_security"), "{}", r.message);
            assert_eq!(r.location.object, "user:*");
        }
    }

    /// Refused roles: the rule about anonymous roles does not apply when no anonymous role is
    /// set (and the setting was read); otherwise it cannot be judged, like the other role rules.
    #[test]
    fn refused_roles_leave_anonymous_access_judged_by_the_setting() {
        let engine = Engine::compile(super::super::load(&[] as &[&str]).unwrap()).unwrap();
        let settings = Settings::default();
        let subject = Subject {
            id: "cluster:test",
            object: "cluster:test".into(),
            config_path: "",
            settings: &settings,
            node: None,
            version: None,
            places: None,
        };
        let selection = Selection {
            profile: Profile::Strict,
            select: vec![],
            ignore: vec![],
            expiry_warning_days: 30,
        };
        let verdicts = |anonymous_known: bool, anonymous_roles: &[&str]| {
            let data = rbac::Rbac {
                anonymous_known,
                anonymous_roles: anonymous_roles.iter().map(|r| r.to_string()).collect(),
                missing: vec![(Scope::RbacRole, "GET /_security/role was refused".into())],
                ..Default::default()
            };
            let items = rbac_items(vec![], &data);
            let results = engine.judge_items(&engine.root_context(), &items, &subject, &selection);
            let anon = results
                .iter()
                .find(|r| r.rule == "RBAC-ANON-001")
                .unwrap()
                .status;
            let others: std::collections::BTreeSet<Status> = results
                .iter()
                .filter(|r| r.rule != "RBAC-ANON-001")
                .map(|r| r.status)
                .collect();
            (anon, others)
        };
        let errors = std::collections::BTreeSet::from([Status::Error]);
        assert_eq!(verdicts(true, &[]), (Status::NotApplicable, errors.clone()));
        assert_eq!(verdicts(false, &[]), (Status::Error, errors.clone()));
        assert_eq!(verdicts(true, &["viewer"]), (Status::Error, errors));
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;
    use crate::results::Status;

    /// Judges one rule (`when` and `check` as given) on a context where `x` is 1.
    fn judged(when: Option<&str>, check: &str) -> (Status, String) {
        let when = when.map_or(String::new(), |w| format!("  when: '{w}'\n"));
        let text = format!(
            "- id: ES-TST-001\n  title: t\n  category: config\n  severity: low\n  \
             scope: es_node\n{when}  unless: no x\n  check: '{check}'\n  expected: e\n  \
             profiles: [baseline]\n  rationale: r\n  remediation: m\n  \
             restart: none\n  references: [https://example.org]\n"
        );
        let engine = Engine::compile(super::super::parse_file("t.yaml", &text).unwrap()).unwrap();
        let mut ctx = engine.root_context();
        ctx.add_variable_from_value("x", 1);
        verdict(&engine.rules[0], &ctx, None, || None, || "failed".into())
    }

    /// A `when` that cannot be evaluated is an error, never a silent "not applicable"; one
    /// that gives neither a boolean nor a reason is an error too.
    #[test]
    fn a_when_that_fails_is_an_error() {
        let (status, message) = judged(Some("no_such_variable == 1"), "true");
        assert_eq!(status, Status::Error, "{message}");
        assert_eq!(judged(Some("x + 1"), "true").0, Status::Error);
        assert_eq!(judged(Some("x"), "x == 1").0, Status::Error);
    }

    #[test]
    fn a_when_gives_a_boolean_or_its_reason() {
        assert_eq!(judged(Some("x == 1"), "x == 1").0, Status::Pass);
        assert_eq!(judged(Some("x == 1"), "x == 2").0, Status::Fail);
        assert_eq!(
            judged(Some("x == 2"), "x == 1"),
            (Status::NotApplicable, "no x".to_string())
        );
        assert_eq!(
            judged(Some(r#"x == 1 ? "one is moot" : """#), "x == 1"),
            (Status::NotApplicable, "one is moot".to_string())
        );
        assert_eq!(judged(Some(r#""""#), "x == 2").0, Status::Fail);
        assert_eq!(judged(None, "x == 1").0, Status::Pass);
        assert_eq!(judged(None, "x").0, Status::Error);
    }
}

#[cfg(test)]
mod parser_tests {
    /// The fast parser must read every built-in expression exactly as the reference parser
    /// does (node ids included), or `parse_cel` would change what the catalog means.
    #[test]
    fn the_pratt_parser_reads_the_catalog_as_the_reference_parser_does() {
        let env = cel::Env::stdlib();
        let mut sources = 0;
        for loaded in crate::rules::builtin() {
            let r = &loaded.rule;
            for source in [Some(&r.check), r.when.as_ref(), r.requires.as_ref()]
                .into_iter()
                .flatten()
            {
                let reference = env.compile(source).unwrap();
                let fast = cel::parser::PrattParser::new().parse(source).unwrap();
                assert_eq!(&fast, reference.expression(), "{}: {source}", r.id);
                sources += 1;
            }
        }
        assert!(sources > 300, "the catalog has hundreds of expressions");
    }

    #[test]
    fn what_the_fast_parser_refuses_gets_the_reference_parsers_error() {
        let env = cel::Env::stdlib();
        assert!(super::parse_cel(&env, "node.security_enabled == true").is_ok());
        let error = super::parse_cel(&env, "node.security_enabled ==").unwrap_err();
        assert_eq!(
            error,
            env.compile("node.security_enabled ==")
                .unwrap_err()
                .to_string()
        );
    }
}
