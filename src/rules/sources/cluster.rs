//! A cluster read through its APIs, live or from a snapshot or support-diagnostics bundle: the
//! cluster's own facts, the certificates its nodes loaded, and its RBAC objects.

use super::rbac::rbac_items;
use crate::evidence::es_cluster::EsCluster;
use crate::evidence::{EsVersion, Scope, Settings};
use crate::results::Target;
use crate::rules::Rule;
use crate::rules::Selection;
use crate::rules::item::{Identity, Item, Located, Subject, json_text, to_cel};
use crate::rules::item::{Presented, Source};
use cel::Value;

pub struct ClusterSource<'a> {
    cluster: &'a EsCluster,
    /// The cluster facts as JSON, where a rule's `locate` field is looked up.
    facts: serde_json::Value,
    /// A cluster has no settings file: `locate` keys are fields of its facts.
    no_settings: Settings,
}

impl<'a> ClusterSource<'a> {
    pub fn new(cluster: &'a EsCluster) -> ClusterSource<'a> {
        ClusterSource {
            cluster,
            facts: serde_json::to_value(&cluster.facts).unwrap_or_default(),
            no_settings: Settings::default(),
        }
    }
}

impl Source for ClusterSource<'_> {
    fn target(&self) -> Target {
        let c = self.cluster;
        Target {
            id: c.id.clone(),
            kind: "es_cluster".into(),
            source: c.facts.source.clone(),
            version: (!c.facts.version.is_empty()).then(|| c.facts.version.clone()),
            version_source: (!c.facts.version.is_empty()).then(|| "GET /".to_string()),
            grade: None,
            tls: None,
        }
    }

    /// When the cluster could not be reached, or a call a scope needs was refused, that
    /// scope's items are in error and say why.
    fn present(&self, selection: &Selection) -> Presented<'_> {
        let cluster = self.cluster;
        let unreachable = cluster.snapshot.error.as_ref();
        let mut own = Item::new(Scope::EsCluster, Value::Null, cluster.name.clone());
        own.error = unreachable.cloned();
        own.identity = Identity::Object;
        let mut items = vec![own];
        match unreachable.or(cluster.certificates_missing.as_ref()) {
            Some(why) => {
                let mut item = Item::new(
                    Scope::ClusterCertificate,
                    Value::Null,
                    "certificates".into(),
                );
                item.error = Some(why.clone());
                item.own = Some(Located::object("certificates", String::new()));
                items.push(item);
            }
            None => {
                for cert in &cluster.certificates {
                    let mut item =
                        Item::new(Scope::ClusterCertificate, to_cel(cert), cert.path.clone());
                    item.own = Some(Located::object(
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
        Presented {
            subject: Subject {
                id: &cluster.id,
                object: cluster.id.clone(),
                config_path: "",
                settings: &self.no_settings,
                version: EsVersion::parse(&cluster.facts.version),
            },
            variables: vec![
                (Scope::EsCluster.variable(), to_cel(&cluster.facts)),
                ("warning_days", Value::Int(selection.expiry_warning_days)),
            ],
            items,
            fips: false,
        }
    }

    /// A cluster rule points at the field of the facts its `locate` names, whose value is the
    /// evidence. A list of runtime overrides (`key = value (scope)`) points at the first
    /// setting; anything else at the cluster.
    fn locate(&self, rule: &Rule, item: &Item, _subject: &Subject) -> Option<Located> {
        if item.scope != Scope::EsCluster {
            return None;
        }
        let field = rule.locate.keys().first().copied().unwrap_or_default();
        let value = field
            .split('.')
            .try_fold(&self.facts, |v, part| v.get(part))
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
            _ => self.cluster.id.clone(),
        };
        Some(Located::object(&object, actual))
    }
}
