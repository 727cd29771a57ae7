//! A Kibana, Logstash, Beats or Elastic Agent instance: the instance, each written setting,
//! each option of its pipelines' plugins, and each Elasticsearch plugin of a Logstash pipeline.

use crate::evidence::component::{self, Component, ComponentKind, Place};
use crate::evidence::{Location, Scope, Setting};
use crate::results::Target;
use crate::rules::Rule;
use crate::rules::Selection;
use crate::rules::item::{Item, Located, Subject, to_cel};
use crate::rules::item::{Presented, Source};
use cel::Value;
use std::collections::BTreeMap;

pub struct ComponentSource<'a> {
    comp: &'a Component,
    /// Named places (`locate: place:<name>`): the ones read with the config and the ones
    /// derived from it.
    places: BTreeMap<String, Place>,
}

impl<'a> ComponentSource<'a> {
    pub fn new(comp: &'a Component) -> ComponentSource<'a> {
        let mut places = comp.places.clone();
        places.extend(component::derived_places(comp));
        ComponentSource { comp, places }
    }
}

impl Source for ComponentSource<'_> {
    fn target(&self) -> Target {
        let c = self.comp;
        Target {
            id: c.id.clone(),
            kind: c.kind.as_str().into(),
            source: c.config_path.clone(),
            version: None,
            version_source: None,
            grade: None,
            tls: None,
        }
    }

    fn present(&self, _selection: &Selection) -> Presented<'_> {
        let comp = self.comp;
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
            items.push(setting_item(kind, setting, None));
        }
        for (i, p) in comp.pipelines.iter().enumerate() {
            let plugin = format!("{}.{}", p.section, p.name);
            for setting in &p.options.entries {
                items.push(setting_item(kind, setting, Some(&plugin)));
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
        Presented {
            subject: Subject {
                id: &comp.id,
                object: format!("{kind}:{}", comp.name),
                config_path: &comp.config_path,
                settings: &comp.settings,
                version: None,
            },
            variables: vec![(Scope::Component.variable(), to_cel(&facts))],
            items,
            fips: facts.fips,
        }
    }

    /// Built-in component rules name their component in the id (`KB-`, `LS-`, `BT-`); other
    /// ids (user rules) run on every component.
    fn runs(&self, rule: &Rule) -> bool {
        use ComponentKind::*;
        let kind = self.comp.kind;
        match rule.id.split('-').next().unwrap_or("") {
            "KB" => kind == Kibana,
            "LS" => kind == Logstash,
            "BT" => matches!(kind, Beat | Agent),
            _ => true,
        }
    }

    /// A named place of the component (`locate: place:plain_network_input`); the item's
    /// declaration, or the config file, when the component has no such place.
    fn locate(&self, rule: &Rule, item: &Item, subject: &Subject) -> Option<Located> {
        let name = rule.locate.keys().first()?.strip_prefix("place:")?;
        let place = self.places.get(name);
        Some(Located {
            key: String::new(),
            object: place
                .map(|p| p.object.clone())
                .unwrap_or_else(|| subject.object.clone()),
            location: place
                .map(|p| p.location.clone())
                .or_else(|| item.anchor.clone())
                .unwrap_or_else(|| Location::file(subject.config_path)),
            actual: String::new(),
            unresolved: vec![],
        })
    }
}

/// A written setting of a component, or an option of a pipeline plugin (`plugin` names it:
/// `output.elasticsearch`), judged on its own and located at its key.
fn setting_item(kind: &str, setting: &Setting, plugin: Option<&str>) -> Item {
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
