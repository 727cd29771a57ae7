//! Compiles every rule's CEL once and judges each rule on every item of its scope that the
//! evidence sources present (see [`super::sources`]), a subject at a time, in parallel.

use super::item::{Identity, Item, Located, Presented, Source, Subject};
use super::sources;
use super::{LoadedRule, Profile, Rule, RuleError, Scope, Selection, VersionReq, functions, memo};
use crate::evidence::Deployment;
use crate::results::{Detail, Evidence, ResultLocation, RuleResult, Status, Target, fingerprint};
use cel::parser::{Expression, PrattParser};
use cel::{Context, Env, ExecutionError, Value};
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::Arc;

struct Compiled {
    rule: Rule,
    programs: Programs,
    versions: Option<VersionReq>,
    /// What the rule's `when` reads, and what all its CEL reads (see [`memo`]); `None` when
    /// those verdicts are not remembered. A `when` is remembered on its own: most items a rule
    /// does not apply to differ only in what its check would have read.
    /// The paths are numbers into [`Engine::paths`].
    when_reads: Option<Vec<usize>>,
    reads: Option<Vec<usize>>,
    /// The rule reads nothing but its item: it is evaluated without the subject's variables,
    /// which then need not be converted for it.
    item_only: bool,
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

pub struct Engine {
    env: Arc<Env>,
    rules: Vec<Compiled>,
    /// What each rule's `when`, and its `requires` and `check`, said, by the values they read.
    when_memo: memo::Memo<Option<Said>>,
    check_memo: memo::Memo<Said>,
    /// Every path some rule's CEL reads (see [`memo`]), once.
    paths: Vec<memo::Lookup>,
    /// The rules of each scope, by index, in catalog order.
    by_scope: foldhash::HashMap<Scope, Vec<usize>>,
}

impl Engine {
    /// Compiles the `when` and `check` expressions of every rule; a syntax error names the file
    /// and the rule.
    pub fn compile(rules: Vec<LoadedRule>) -> Result<Engine, RuleError> {
        let env = Arc::new(Env::stdlib());
        let mut compiled = Vec::with_capacity(rules.len());
        let mut paths: Vec<memo::Lookup> = Vec::new();
        // Each distinct path gets one number, so its value is spelled once per item.
        let mut numbers: std::collections::HashMap<memo::Path, usize> = Default::default();
        let mut number = |read: Option<Vec<memo::Path>>| {
            read.map(|read| {
                read.into_iter()
                    .map(|path| {
                        *numbers.entry(path).or_insert_with_key(|path| {
                            paths.push(memo::lookup(path.clone()));
                            paths.len() - 1
                        })
                    })
                    .collect::<Vec<usize>>()
            })
        };
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
            let p = &programs;
            let read = memo::reads(
                std::iter::once(&p.check)
                    .chain(p.when.as_ref())
                    .chain(p.requires.as_ref()),
            );
            let variable = rule.scope.variable();
            let item_only = read
                .as_ref()
                .is_some_and(|r| r.iter().all(|path| path[0] == variable));
            let when_reads = number(memo::reads(p.when.iter()));
            let reads = number(read);
            compiled.push(Compiled {
                rule,
                programs,
                versions,
                when_reads,
                reads,
                item_only,
            });
        }
        compiled.sort_by(|a, b| a.rule.id.cmp(&b.rule.id));
        let mut by_scope: foldhash::HashMap<Scope, Vec<usize>> = Default::default();
        for (index, c) in compiled.iter().enumerate() {
            by_scope.entry(c.rule.scope).or_default().push(index);
        }
        Ok(Engine {
            env,
            rules: compiled,
            paths,
            by_scope,
            when_memo: memo::Memo::new(),
            check_memo: memo::Memo::new(),
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

    /// Judges every selected rule on every item of every subject of the deployment;
    /// `progress` counts the subjects judged.
    pub fn run(
        &self,
        deployment: &Deployment,
        selection: &Selection,
        progress: crate::progress::Progress,
    ) -> (Vec<Target>, Vec<RuleResult>) {
        let sources = sources::of(deployment);
        let targets = sources.iter().map(|s| s.target()).collect();
        let bar = progress.bar(sources.len() as u64, "targets");
        // Each subject's results in a list of its own, then all moved once into one list of
        // the right size: collected flat, the growing lists were copied again and again.
        let judged: Vec<Vec<RuleResult>> = sources
            .par_iter()
            .map(|source| {
                let judged = self.judge_source(source.as_ref(), selection);
                bar.inc(1);
                judged
            })
            .collect();
        bar.finish_and_clear();
        let mut results = Vec::with_capacity(judged.iter().map(Vec::len).sum());
        for mut subject in judged {
            results.append(&mut subject);
        }
        (targets, results)
    }

    /// A fresh evaluation context with the catalog's custom functions.
    fn root_context(&self) -> Context<'_, '_> {
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        functions::register(&mut ctx);
        ctx
    }

    /// The results of the rules on one subject: each item judged by the selected rules of its
    /// scope that run on this kind of subject, in its profile (or the FIPS profile, for a
    /// subject in FIPS mode).
    pub(crate) fn judge_source(
        &self,
        source: &dyn Source,
        selection: &Selection,
    ) -> Vec<RuleResult> {
        let Presented {
            subject,
            variables,
            mut items,
            fips,
        } = source.present(selection);
        // Converting a value into a context is a deep copy, so contexts are made only when a
        // rule has to be evaluated: a verdict remembered from an item with the same values
        // needs none. The subject's variables are converted once, its items' once each.
        let root_cell = std::cell::OnceCell::new();
        let root = || {
            root_cell.get_or_init(|| {
                let mut ctx = self.root_context();
                for (name, value) in &variables {
                    ctx.add_variable_from_value(*name, value.clone());
                }
                ctx
            })
        };
        let at_root = |name: &str| variables.iter().any(|(n, _)| *n == name);
        let bare_cell = std::cell::OnceCell::new();
        let bare = || bare_cell.get_or_init(|| self.root_context());
        let mut out = Vec::new();
        // Per check (a rule on this subject, by the rule's index): its passes and its
        // not-applicables, counted instead of listed unless every item is wanted.
        let mut counted: Vec<[u32; 2]> = vec![[0; 2]; self.rules.len()];
        let subject_unresolved = subject
            .settings
            .entries
            .iter()
            .any(|e| !e.unresolved.is_empty());
        // Whether each rule runs on this subject, told on first use.
        let mut active: Vec<Option<bool>> = vec![None; self.rules.len()];
        // The values the rules read, spelled once: from the subject's variables for the whole
        // subject, from an item's own value for that item.
        let subject_spellings = RefCell::new(memo::Spellings::new(self.paths.len()));
        let item_spellings = RefCell::new(memo::Spellings::new(self.paths.len()));
        for item in &mut items {
            item_spellings.borrow_mut().clear();
            let variable = item.scope.variable();
            let own_value = !at_root(variable);
            let value = std::mem::replace(&mut item.value, Value::Null);
            let item_ctx = std::cell::OnceCell::new();
            let ctx = || {
                item_ctx.get_or_init(|| {
                    let mut ctx = root().new_inner_scope();
                    if own_value {
                        ctx.add_variable_from_value(variable, value.clone());
                    }
                    ctx
                })
            };
            // For the rules that read only the item: the item alone, beside the functions.
            let alone_ctx = std::cell::OnceCell::new();
            let alone = || {
                alone_ctx.get_or_init(|| {
                    let mut ctx = bare().new_inner_scope();
                    ctx.add_variable_from_value(variable, value.clone());
                    ctx
                })
            };
            let lookup = |name: &str| {
                if own_value && name == variable {
                    return Some(&value);
                }
                variables.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
            };
            let key = |rule: usize, paths: &[usize], hidden: Option<&str>| {
                let mut key = memo::key_start(rule, hidden);
                for &id in paths {
                    let path = &self.paths[id];
                    let spellings = if own_value && path.variable() == variable {
                        &item_spellings
                    } else {
                        &subject_spellings
                    };
                    spellings.borrow_mut().append(id, path, lookup, &mut key)?;
                }
                Some(key)
            };
            let of_scope = self
                .by_scope
                .get(&item.scope)
                .map_or(&[][..], Vec::as_slice);
            for &index in of_scope {
                let c = &self.rules[index];
                let runs = *active[index].get_or_insert_with(|| {
                    selection.wants(&c.rule)
                        && source.runs(&c.rule)
                        && (c.rule.in_profile(selection.profile)
                            || (fips && c.rule.profiles.contains(&Profile::Fips)))
                });
                if !runs {
                    continue;
                }
                let evaluation = Evaluation {
                    rule: index,
                    subject_unresolved,
                    ctx: if c.item_only && own_value {
                        &alone
                    } else {
                        &ctx
                    },
                    key: &key,
                };
                match self.judge(c, &evaluation, item, &subject, source, selection.detail) {
                    Judged::Nothing => {}
                    Judged::Result(result) => out.push(*result),
                    Judged::Counted(status) => {
                        counted[index][usize::from(status == Status::NotApplicable)] += 1
                    }
                }
            }
        }
        for (c, counts) in self.rules.iter().zip(counted) {
            let statuses = [Status::Pass, Status::NotApplicable];
            for (status, items) in statuses.into_iter().zip(counts) {
                if items > 0 {
                    out.push(check_result(&c.rule, subject.id, status, items));
                }
            }
        }
        out
    }

    /// The result of rule `c` on `item`; none for a per-setting rule aimed at other keys,
    /// which says nothing about this one (the report keeps to the settings a rule judges).
    /// Where the result points is worked out only for a result that is kept: most of a
    /// node's per-setting verdicts are of that kind.
    fn judge(
        &self,
        c: &Compiled,
        evaluation: &Evaluation,
        item: &Item,
        subject: &Subject,
        source: &dyn Source,
        detail: Detail,
    ) -> Judged {
        let rule = &c.rule;
        let located = std::cell::OnceCell::new();
        let locate = || located.get_or_init(|| item.locate_evidence(rule, subject, source));
        let version_mismatch = match (&c.versions, subject.version) {
            (Some(r), Some(v)) => (!r.matches(v)).then_some(v),
            _ => None,
        };
        let (status, words) = if let Some(version) = version_mismatch {
            (Status::NotApplicable, Words::OtherVersion(version))
        } else if let Some(why) = &item.not_applicable {
            (Status::NotApplicable, Words::Text(why))
        } else if let Some(error) = item.error.clone().or_else(|| source.unjudgeable(rule)) {
            // An item that could not be read cannot be judged, unless what its configuration
            // says of it (a partial value) already rules the rule out; an item without that
            // is an error for every rule of its scope.
            match item
                .partial
                .then(|| not_applicable(c, (evaluation.ctx)(), None))
                .flatten()
            {
                Some((Status::NotApplicable, why)) => (Status::NotApplicable, Words::Shared(why)),
                _ => (
                    Status::Error,
                    Words::Owned(format!("cannot judge: {error}")),
                ),
            }
        } else {
            let hidden = item.hidden.as_deref();
            verdict(
                self.cel_verdict(c, evaluation, hidden),
                || {
                    may_be_unresolved(item, evaluation.subject_unresolved)
                        .then(|| unresolved_error(item, locate()))
                        .flatten()
                },
                || fail_message(rule, item, locate()),
            )
        };
        let per_setting = matches!(item.scope, Scope::EsSetting | Scope::ComponentSetting);
        if per_setting && status == Status::NotApplicable {
            return Judged::Nothing;
        }
        if detail == Detail::Checks && matches!(status, Status::Pass | Status::NotApplicable) {
            return Judged::Counted(status);
        }
        let message = words.into_string(rule);
        let located = located
            .into_inner()
            .unwrap_or_else(|| item.locate_evidence(rule, subject, source));
        let fp_occurrence = item.occurrence.to_string();
        let mut identity = vec![rule.id.as_str(), subject.id, located.object.as_str()];
        match &item.identity {
            Identity::Rule => {}
            Identity::Object => identity.push(&fp_occurrence),
            Identity::Also(text) => {
                identity.push(&fp_occurrence);
                identity.push(text);
            }
            Identity::Item => {
                identity.push(&fp_occurrence);
                if item.own.is_none() && item.scope != Scope::EsNode {
                    identity.push(item.name.as_str());
                }
            }
        }
        let location = ResultLocation {
            // Objects read from an API have no file.
            path: (!located.location.path.is_empty()).then(|| located.location.path.clone()),
            line: located.location.line,
            column: located.location.column,
            object: located.object.clone(),
            named_by: item.named_by.clone(),
        };
        Judged::Result(Box::new(result_of(
            rule,
            subject.id,
            (status, message),
            location,
            &identity,
            || located.actual.clone(),
        )))
    }
}

/// How the rules on one item are evaluated: its context, made on first use, and the values of
/// its variables by name, which key the verdicts remembered.
struct Evaluation<'e, 'c> {
    /// The index of the rule in the catalog.
    rule: usize,
    /// Some setting of the subject needs an environment variable with no default.
    subject_unresolved: bool,
    ctx: &'e dyn Fn() -> &'c Context<'c, 'c>,
    /// The key a verdict is remembered under: the rule, the paths it reads (numbers into
    /// [`Engine::paths`]), why the item's facts are hidden.
    key: &'e KeyOf<'e>,
}

/// Spells the key of a rule's verdict: the rule's index, the paths it reads, why the item's
/// facts are hidden.
type KeyOf<'e> = dyn Fn(usize, &[usize], Option<&str>) -> Option<Vec<u8>> + 'e;

/// What a rule's CEL says on an item: why it does not apply (`when`), or else what `requires`
/// and `check` give. A pass and a failure carry no words; the caller words them.
#[derive(Clone)]
struct CelVerdict {
    when: Option<Said>,
    check: Said,
}

/// What a rule's CEL said: a status, and for a not-applicable or an error, why. Shared, as a
/// remembered verdict is handed to every item that gives the same values.
type Said = (Status, Arc<str>);

/// A result's words, made into a `String` only for a result that is kept: most passes and
/// not-applicables are only counted.
enum Words<'r> {
    /// The rule's title (a pass).
    Title,
    Text(&'r str),
    Shared(Arc<str>),
    Owned(String),
    /// The rule is for other versions than the subject's.
    OtherVersion(crate::evidence::EsVersion),
}

impl Words<'_> {
    fn into_string(self, rule: &Rule) -> String {
        match self {
            Words::Title => rule.title.clone(),
            Words::Text(text) => text.to_string(),
            Words::Shared(text) => text.to_string(),
            Words::Owned(text) => text,
            Words::OtherVersion(version) => format!(
                "applies to Elasticsearch {}; this node is {}",
                rule.versions.as_deref().unwrap_or_default(),
                version
            ),
        }
    }
}

impl Engine {
    /// The CEL verdict of rule `c` on an item: its `when`, then its `requires` and `check`,
    /// each remembered from an earlier item that gave them the same values, or evaluated (and
    /// remembered).
    fn cel_verdict(
        &self,
        c: &Compiled,
        evaluation: &Evaluation,
        hidden: Option<&str>,
    ) -> CelVerdict {
        let when = match c.programs.when {
            None => None,
            Some(_) => remembered(
                &self.when_memo,
                c,
                &c.when_reads,
                evaluation,
                hidden,
                |ctx| not_applicable(c, ctx, hidden),
            ),
        };
        let check = match when {
            Some(_) => (Status::NotApplicable, Arc::from("")),
            None => remembered(&self.check_memo, c, &c.reads, evaluation, hidden, |ctx| {
                requires_and_check(c, ctx, hidden)
            }),
        };
        CelVerdict { when, check }
    }
}

/// What `evaluate` gives in the item's context, remembered under the values `paths` read
/// (nothing is remembered without paths). `c` names the rule when a debug build's check fails.
fn remembered<T: Clone + PartialEq>(
    memo: &memo::Memo<T>,
    c: &Compiled,
    paths: &Option<Vec<usize>>,
    evaluation: &Evaluation,
    hidden: Option<&str>,
    evaluate: impl Fn(&Context) -> T,
) -> T {
    let key = paths
        .as_deref()
        .and_then(|paths| (evaluation.key)(evaluation.rule, paths, hidden));
    if let Some(key) = &key
        && let Some(known) = memo.get(key)
    {
        // Debug builds (every test's scans) check each remembered verdict against a fresh
        // evaluation: a path `memo::reads` missed would show here.
        debug_assert!(
            evaluate((evaluation.ctx)()) == known,
            "{}: a remembered verdict differs from a fresh one",
            c.rule.id
        );
        return known;
    }
    let judged = evaluate((evaluation.ctx)());
    if let Some(key) = key {
        memo.insert(key, judged.clone());
    }
    judged
}

/// Whether a place a rule on `item` is located at may need an environment variable with no
/// default (`subject_unresolved`: some setting of its subject does): only then is the place
/// worked out before the rule is judged.
fn may_be_unresolved(item: &Item, subject_unresolved: bool) -> bool {
    subject_unresolved
        || item
            .settings
            .as_ref()
            .is_some_and(|s| s.entries.iter().any(|e| !e.unresolved.is_empty()))
        || item.own.as_ref().is_some_and(|o| !o.unresolved.is_empty())
}

/// What judging one rule on one item gives.
enum Judged {
    /// Nothing to report: a per-setting rule aimed at other keys.
    Nothing,
    /// A pass or a not-applicable, counted into its check's result.
    Counted(Status),
    Result(Box<RuleResult>),
}

/// The result of a check (`rule` on `target`) that stands for `items` passes or
/// not-applicables.
fn check_result(rule: &Rule, target: &str, status: Status, items: u32) -> RuleResult {
    let nowhere = ResultLocation::default();
    result_of(
        rule,
        target,
        (status, String::new()),
        nowhere,
        &[],
        String::new,
    )
    .into_check(items)
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
        items: None,
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

/// The verdict of `rule` from what its CEL said: why it does not apply, else `pre_check`'s
/// stop (an applicable rule that cannot be judged before its check), else the check's
/// outcome; `fail` words a failure.
fn verdict(
    cel: CelVerdict,
    pre_check: impl FnOnce() -> Option<(Status, String)>,
    fail: impl FnOnce() -> String,
) -> (Status, Words<'static>) {
    if let Some((status, why)) = cel.when {
        return (status, Words::Shared(why));
    }
    if let Some((status, why)) = pre_check() {
        return (status, Words::Owned(why));
    }
    match cel.check {
        (Status::Pass, _) => (Status::Pass, Words::Title),
        (Status::Fail, _) => (Status::Fail, Words::Owned(fail())),
        (status, why) => (status, Words::Shared(why)),
    }
}

/// `requires`, then `check`: a pass or a failure (without words), or why the rule cannot be
/// judged.
fn requires_and_check(c: &Compiled, ctx: &Context, hidden: Option<&str>) -> Said {
    let programs = &c.programs;
    let (status, why) = 'said: {
        match programs.requires.as_ref().map(|r| Value::resolve(r, ctx)) {
            None => {}
            Some(Ok(Value::String(why))) if why.is_empty() => {}
            Some(Ok(Value::String(why))) => {
                break 'said (Status::Error, format!("cannot judge: {why}"));
            }
            Some(Ok(other)) => {
                break 'said (
                    Status::Error,
                    format!("the rule's `requires` gave {other:?}, not a string"),
                );
            }
            Some(Err(e)) => break 'said (Status::Error, item_error_message(&e, hidden)),
        }
        match Value::resolve(&programs.check, ctx) {
            Ok(Value::Bool(true)) => (Status::Pass, String::new()),
            Ok(Value::Bool(false)) => (Status::Fail, String::new()),
            Ok(other) => (
                Status::Error,
                format!("the rule's check gave {other:?}, not a boolean"),
            ),
            Err(e) => (Status::Error, item_error_message(&e, hidden)),
        }
    };
    (status, why.into())
}

/// The rule's `when`: `None` when it applies, else why not (or why that cannot be told).
fn not_applicable(c: &Compiled, ctx: &Context, hidden: Option<&str>) -> Option<Said> {
    let rule = &c.rule;
    let said = match c.programs.when.as_ref().map(|w| Value::resolve(w, ctx)) {
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
    };
    said.map(|(status, why)| (status, why.into()))
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
        let c = &engine.rules[0];
        let evaluation = Evaluation {
            rule: 0,
            subject_unresolved: false,
            ctx: &|| &ctx,
            key: &|_, _, _| None,
        };
        let cel = engine.cel_verdict(c, &evaluation, None);
        let (status, words) = verdict(cel, || None, || "failed".into());
        (status, words.into_string(&c.rule))
    }

    /// A failure's words: the rule's message with its placeholders, else the title with the
    /// located key and value (or the title alone when no key is located), then a suggestion.
    #[test]
    fn failure_messages() {
        let text = "- id: ES-TST-001\n  title: t\n  category: config\n  severity: low\n  \
                    scope: es_node\n  check: 'false'\n  profiles: [baseline]\n  rationale: r\n  \
                    remediation: m\n  restart: none\n  references: [https://example.org]\n";
        let engine = Engine::compile(super::super::parse_file("t.yaml", text).unwrap()).unwrap();
        let mut rule = engine.rules[0].rule.clone();
        let mut item = Item::new(Scope::EsNode, Value::Null, "n1".into());
        item.facts = Some(serde_json::json!({"why": ["a", "b"]}));
        let mut located = Located::object("node:n1", "0.0.0.0".into());
        assert_eq!(fail_message(&rule, &item, &located), "t");
        located.key = "network.host".into();
        assert_eq!(
            fail_message(&rule, &item, &located),
            "t: network.host = 0.0.0.0"
        );
        rule.message = Some("{item}: {key} is {value}, {fact.why}".into());
        item.suggestion = Some("network.host".into());
        assert_eq!(
            fail_message(&rule, &item, &located),
            "n1: network.host is 0.0.0.0, a, b (did you mean network.host?)"
        );
    }

    /// An expression that stops: the catalog's functions explain themselves, a field the
    /// item's source hides is named by why it is hidden, anything else is the rule's fault.
    #[test]
    fn evaluation_errors_say_why() {
        let function = ExecutionError::function_error("setting", "x is unknown: hidden");
        assert_eq!(
            item_error_message(&function, None),
            "cannot judge: x is unknown: hidden"
        );
        let missing = ExecutionError::NoSuchKey(std::sync::Arc::new("ciphers".into()));
        assert_eq!(
            item_error_message(&missing, Some("the nodes info API hides it")),
            "cannot judge: the nodes info API hides it"
        );
        assert!(item_error_message(&missing, None).starts_with("could not evaluate the rule: "));
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
