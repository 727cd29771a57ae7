//! What the engine judges rules on, as every evidence source presents it (see
//! [`super::sources`]): a subject, the variables every rule on it reads, the items each rule
//! of a scope is judged on, and where a result about an item points.

use super::{Rule, Selection};
use crate::evidence::component;
use crate::evidence::{EsVersion, Location, Scope, Settings};
use crate::results::Target;
use cel::Value;
use cel::objects::Key;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a source hands the engine for one subject.
pub struct Presented<'a> {
    pub subject: Subject<'a>,
    /// The variables every rule on the subject sees (`node`, `comp`, `api`…). An item whose
    /// scope's variable is among them is judged on them, not on a value of its own.
    pub variables: Vec<(&'static str, Value)>,
    pub items: Vec<Item>,
    /// The subject runs in FIPS mode: the rules of the FIPS profile run on it whatever the
    /// profile selected.
    pub fips: bool,
}

/// One subject of a scan, as an evidence source presents it.
pub trait Source: Sync {
    /// The subject as the report lists it.
    fn target(&self) -> Target;

    /// The subject, its variables and its items.
    fn present(&self, selection: &Selection) -> Presented<'_>;

    /// Whether `rule` is meant for this kind of subject at all (beyond its scope).
    fn runs(&self, _rule: &Rule) -> bool {
        true
    }

    /// Where a result of `rule` on `item` points, when the source knows better than the
    /// rule's `locate` keys looked up in the subject's settings.
    fn locate(&self, _rule: &Rule, _item: &Item, _subject: &Subject) -> Option<Located> {
        None
    }

    /// Why `rule` cannot be judged on this subject, when only some rules cannot.
    fn unjudgeable(&self, _rule: &Rule) -> Option<String> {
        None
    }
}

/// One thing a rule is judged on.
pub struct Item {
    pub scope: Scope,
    pub value: Value,
    /// Shown as `{item}` in messages.
    pub name: String,
    /// Prefix that relative `locate` keys are joined to.
    pub prefix: Option<String>,
    /// For TLS contexts: the full key each effective sub-setting was read from.
    pub sources: BTreeMap<String, String>,
    /// For settings and users: the item's own object and location.
    pub own: Option<Located>,
    pub occurrence: usize,
    pub suggestion: Option<String>,
    /// Why the item cannot be judged (a file that is absent or unreadable).
    pub error: Option<String>,
    /// With `error`: the value holds only what the configuration tells of the item, enough for
    /// a rule's `when` and nothing more.
    pub partial: bool,
    /// Why no rule of the item's scope applies (RBAC on a cluster with security off).
    pub not_applicable: Option<String>,
    /// Why facts left out of the item's value are unknown (TLS details of a node read from
    /// its API): a rule that reads one cannot be judged.
    pub hidden: Option<String>,
    /// Settings the item's `locate` keys are looked up in, when not the subject's own
    /// (the options of a pipeline plugin).
    pub settings: Option<Settings>,
    /// Where the item is declared, for a key that is not written.
    pub anchor: Option<Location>,
    /// Derived facts an item's messages and evidence quote (`{fact.NAME}`).
    pub facts: Option<serde_json::Value>,
    /// A file item's naming setting (see [`crate::results::ResultLocation::named_by`]).
    pub named_by: Option<crate::results::NamedBy>,
    pub identity: Identity,
}

/// What tells the results of one rule on one subject apart in their fingerprints. Each source
/// keeps the identity its results have always had, so baselines and code-scanning alerts stay
/// matched across versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The object pointed at and the occurrence; and the item's name when the item has no
    /// object of its own, as several items can point at one setting (a transport profile
    /// inherits the transport layer's keys).
    Item,
    /// The object pointed at and the occurrence: the object names the item.
    Object,
    /// The object pointed at only (a probed endpoint).
    Rule,
    /// The object pointed at, the occurrence and this text (the setting that names a file
    /// that could not be read: one file named twice gives two results).
    Also(String),
}

/// What results are about: a node, a cluster, a Kibana / Logstash / Beats / Agent instance, a
/// probed endpoint.
pub struct Subject<'a> {
    pub id: &'a str,
    /// The object named when a failure points at no setting.
    pub object: String,
    pub config_path: &'a str,
    /// The settings `locate` keys are looked up in.
    pub settings: &'a Settings,
    /// Rules with `versions` are not applicable to a subject of another version.
    pub version: Option<EsVersion>,
}

/// Where a result points, and the value found there.
#[derive(Debug, Clone)]
pub struct Located {
    pub key: String,
    pub object: String,
    pub location: Location,
    pub actual: String,
    pub unresolved: Vec<String>,
}

impl Located {
    /// A result about something read from an API: no file, only the object.
    pub fn object(object: &str, actual: String) -> Located {
        Located {
            key: String::new(),
            object: object.to_string(),
            location: Location::default(),
            actual,
            unresolved: vec![],
        }
    }

    /// A written setting: its key, place and value (a secret's value is never shown).
    fn setting(s: &crate::evidence::Setting) -> Located {
        Located {
            key: s.key.clone(),
            object: format!("setting:{}", s.key),
            location: s.location.clone(),
            // Elasticsearch's secrets and the components' (which include them).
            actual: if component::is_component_secret(&s.key) {
                "(secret, not shown)".into()
            } else {
                s.value.to_string()
            },
            unresolved: s.unresolved.clone(),
        }
    }
}

impl Item {
    pub fn new(scope: Scope, value: Value, name: String) -> Item {
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
            identity: Identity::Item,
        }
    }

    /// [`Item::locate`], with the evidence the rule quotes: the fact it locates, else the
    /// first fact its message quotes.
    pub fn locate_evidence(&self, rule: &Rule, subject: &Subject, source: &dyn Source) -> Located {
        let mut located = self.locate(rule, subject, source);
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

    /// A fact of the item as text: strings as they are, lists joined, null as empty.
    pub fn fact(&self, name: &str) -> Option<String> {
        Some(json_text(self.facts.as_ref()?.get(name)?, ", "))
    }

    /// Where a result of `rule` on this item points: the item's own place, else where its
    /// source says, else the setting the rule's `locate` keys name (written, or where it
    /// would be written).
    fn locate(&self, rule: &Rule, subject: &Subject, source: &dyn Source) -> Located {
        if let Some(own) = &self.own {
            return own.clone();
        }
        if let Some(found) = source.locate(rule, self, subject) {
            return found;
        }
        let keys = rule.locate.keys();
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
        if let Some(s) = own.or_else(|| candidates.iter().find_map(|k| settings.get(k))) {
            return Located::setting(s);
        }
        // A locate key may name a group of settings (`…providers.anonymous`): point at the
        // first one written under it.
        if let Some(s) = candidates.iter().find_map(|k| {
            settings
                .keys_with_prefix(&format!("{k}."))
                .filter_map(|k| settings.get(k))
                .min_by_key(|s| (s.location.line, s.location.column))
        }) {
            return Located::setting(s);
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

/// Evidence as a CEL value.
pub fn to_cel<T: Serialize>(value: &T) -> Value {
    // The evidence types only hold strings, booleans, i64 and collections of them, which always
    // convert; a failure here is a programming error caught by the tests.
    let value_of = super::cel_value::to_value(value).expect("evidence converts to CEL");
    // Every test's scans check the conversion against cel's own.
    debug_assert!(
        cel::to_value(value).is_ok_and(|theirs| theirs == value_of),
        "evidence converts to CEL as cel::to_value converts it"
    );
    value_of
}

/// JSON facts as a CEL value. Whole numbers become `int` (serde's route makes positive ones
/// `uint`, which rules comparing with `365` would trip over).
pub fn json_to_cel(v: &serde_json::Value) -> Value {
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

/// A fact as text: strings as they are, lists joined with `separator`, null as empty.
pub fn json_text(value: &serde_json::Value, separator: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Setting, SettingValue};

    /// A located setting shows its value, never a secret's: Elasticsearch's secure settings
    /// and passwords, and the components' keys (Kibana's encryption keys, API keys).
    #[test]
    fn a_located_secret_is_never_shown() {
        let setting = |key: &str| Setting {
            key: key.into(),
            value: SettingValue::from_text("s3cret-value-of-32-characters!!!"),
            unresolved: vec![],
            from_placeholder: false,
            location: Location::at("kibana.yml", 1, 1),
            occurrence: 1,
        };
        for key in [
            "xpack.security.encryptionKey",
            "elasticsearch.password",
            "xpack.security.http.ssl.keystore.secure_password",
            "api_key",
        ] {
            assert_eq!(
                Located::setting(&setting(key)).actual,
                "(secret, not shown)",
                "{key}"
            );
        }
        assert_eq!(
            Located::setting(&setting("server.host")).actual,
            "s3cret-value-of-32-characters!!!"
        );
    }

    /// An unwritten key of an item points at the item's declaration: the first key written
    /// under its prefix or a parent of three segments or more (a transport profile with no
    /// filter rules points at the profile), never at a two-segment parent such as
    /// `transport.port`'s.
    #[test]
    fn an_unwritten_key_points_at_the_item_declaration() {
        let mut settings = Settings::default();
        let mut put = |key: &str, line: usize| {
            settings.push(Setting {
                key: key.into(),
                value: SettingValue::from_text("x"),
                unresolved: vec![],
                from_placeholder: false,
                location: Location::at("elasticsearch.yml", line, 1),
                occurrence: 1,
            })
        };
        put("transport.port", 2);
        put("transport.profiles.client.port", 7);
        let mut item = Item::new(Scope::EsIpFilter, Value::Null, "profile client".into());
        item.prefix = Some("transport.profiles.client.xpack.security.filter".into());
        assert_eq!(item.declaration(&settings).unwrap().line, Some(7));
        item.prefix = Some("transport.profiles.other.xpack.security.filter".into());
        assert_eq!(item.declaration(&settings), None);
    }
}
