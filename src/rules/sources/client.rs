//! A connection of an application or shipper to Elasticsearch (see
//! [`crate::evidence::client`]): one item, its facts the same for every tool.

use crate::evidence::Scope;
use crate::evidence::client::{Client, ClientFacts, ClientPlace, client_facts, host_of};
use crate::evidence::{Deployment, Settings};
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
    /// `reachable`: the targets of the scan by the host names that reach them (see
    /// [`reachable_targets`]).
    pub fn new(client: &'a Client, reachable: &BTreeMap<String, Vec<String>>) -> ClientSource<'a> {
        let (mut facts, places) = client_facts(client);
        // Name the cluster a connection reaches when it is in the scan too: "this shipper
        // reaches node:prod/es01 without verification".
        for h in &mut facts.hosts {
            if let Some(targets) = reachable.get(&host_of(h).to_ascii_lowercase()) {
                *h = format!("{h} ({} in this scan)", targets.join(", "));
            }
        }
        ClientSource {
            client,
            facts,
            places,
        }
    }
}

/// The nodes and clusters of a deployment by the host names a client would use for them: a
/// node's name (a compose service or pod name usually is) and the hosts it binds or publishes,
/// a cluster's URL host.
pub fn reachable_targets(deployment: &Deployment) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |host: &str, target: &str| {
        let host = host.trim().to_ascii_lowercase();
        // `0.0.0.0`, `::` and `_site_`-style values name no host a client could use.
        if host.is_empty() || host.starts_with('_') || host == "0.0.0.0" || host == "::" {
            return;
        }
        let ids = out.entry(host).or_default();
        if !ids.iter().any(|t| t == target) {
            ids.push(target.to_string());
        }
    };
    for n in deployment.nodes.iter().filter(|n| !n.files_only) {
        add(&n.name, &n.id);
        for key in [
            "network.host",
            "network.publish_host",
            "http.host",
            "http.publish_host",
        ] {
            for h in n
                .settings
                .value(key)
                .map(|v| v.as_list())
                .unwrap_or_default()
            {
                add(&h, &n.id);
            }
        }
    }
    for c in &deployment.clusters {
        add(&host_of(&c.facts.source), &c.id);
    }
    out
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
        if self.facts.local_test {
            item.not_applicable = Some(format!(
                "test code connecting to this machine only ({})",
                self.facts.hosts.join(", ")
            ));
        }
        // Quoted by the rules' messages; the text at each place is the evidence of the rules
        // that point there (`locate: place:<name>`).
        let mut facts = serde_json::json!({
            "tool": c.tool.title(),
            "hosts": self.facts.hosts.join(", "),
            "pin": self.facts.pin.to_uppercase().replace("SHA", "SHA-"),
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
