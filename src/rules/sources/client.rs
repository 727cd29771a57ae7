//! A connection of an application or shipper to Elasticsearch (see
//! [`crate::evidence::client`]): one item, its facts the same for every tool.

use crate::evidence::Scope;
use crate::evidence::Settings;
use crate::evidence::client::{Client, ClientFacts, ClientPlace, client_facts};
use crate::results::Target;
use crate::rules::item::{Item, Located, Presented, Source, Subject, to_cel};
use crate::rules::{Rule, Selection};
use std::collections::BTreeMap;

pub struct ClientSource<'a> {
    client: &'a Client,
    facts: ClientFacts,
    places: BTreeMap<String, ClientPlace>,
}

/// A client's options are its own; nothing is looked up in a settings file.
static NO_SETTINGS: std::sync::LazyLock<Settings> = std::sync::LazyLock::new(Settings::default);

impl<'a> ClientSource<'a> {
    pub fn new(client: &'a Client) -> ClientSource<'a> {
        let (facts, places) = client_facts(client);
        ClientSource {
            client,
            facts,
            places,
        }
    }
}

impl Source for ClientSource<'_> {
    fn target(&self) -> Target {
        let c = self.client;
        Target {
            id: c.id.clone(),
            kind: "client".into(),
            source: format!("{} ({})", c.path, c.tool.title()),
            version: None,
            version_source: None,
            grade: None,
            tls: None,
        }
    }

    fn present(&self, _selection: &Selection) -> Presented<'_> {
        let c = self.client;
        let mut item = Item::new(Scope::Client, to_cel(&self.facts), c.name.clone());
        item.anchor = Some(c.declared_at.clone());
        // Quoted by the rules' messages; the text at each place is the evidence of the rules
        // that point there (`locate: place:<name>`).
        let mut facts = serde_json::json!({
            "tool": c.tool.title(),
            "hosts": self.facts.hosts.join(", "),
        });
        for (name, place) in &self.places {
            facts[format!("place:{name}")] = place.shown.clone().into();
        }
        item.facts = Some(facts);
        Presented {
            subject: Subject {
                id: &c.id,
                object: format!("{}:{}", c.tool.as_str(), c.name),
                config_path: &c.path,
                settings: &NO_SETTINGS,
                version: None,
            },
            variables: vec![],
            items: vec![item],
            fips: false,
        }
    }

    /// `locate: place:<name>`: the option that decides (`verify`, `password`, …), or the
    /// connection's declaration when it is left unwritten.
    fn locate(&self, rule: &Rule, item: &Item, subject: &Subject) -> Option<Located> {
        let name = rule.locate.keys().first()?.strip_prefix("place:")?;
        let place = self.places.get(name);
        Some(Located {
            key: String::new(),
            object: place.map_or_else(|| subject.object.clone(), |p| p.object.clone()),
            location: place
                .map(|p| p.location.clone())
                .or_else(|| item.anchor.clone())
                .unwrap_or_default(),
            actual: String::new(),
            unresolved: vec![],
        })
    }
}
