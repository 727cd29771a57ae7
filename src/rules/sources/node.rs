//! A node's configuration (`elasticsearch.yml` and the files beside it), or its settings as
//! the nodes info API shows them: the node, its TLS contexts, realms, IP filters, audit
//! policies, settings, file-realm users, roles, certificates, key and store files, keystore.

use super::rbac::rbac_items;
use crate::evidence::cluster::ClusterFacts;
use crate::evidence::derive::{self, NodeFacts};
use crate::evidence::files as file_items;
use crate::evidence::{EsNode, Location, Scope, SecurityFile, VersionSource, rbac, tls};
use crate::results::Target;
use crate::rules::Rule;
use crate::rules::Selection;
use crate::rules::item::{Identity, Item, Located, Subject, json_to_cel, to_cel};
use crate::rules::item::{Presented, Source};
use cel::Value;

pub struct NodeSource<'a> {
    pub node: &'a EsNode,
    /// The certificate, key and store files of the whole scan, read once.
    pub files: &'a [SecurityFile],
    /// What the node's cluster (its nodes in this scan) looks like.
    pub cluster: ClusterFacts,
}

impl Source for NodeSource<'_> {
    fn target(&self) -> Target {
        let n = self.node;
        Target {
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
        }
    }

    fn present(&self, selection: &Selection) -> Presented<'_> {
        let node = self.node;
        let facts = derive::node_facts(node);
        let mut items = items(node, &facts, self.files, selection.expiry_warning_days);
        // The node's own item quotes which settings its cluster's nodes disagree on.
        if let Some(first) = items.iter_mut().find(|i| i.scope == Scope::EsNode)
            && !self.cluster.disagreeing.is_empty()
        {
            first.facts = Some(serde_json::json!({ "disagreeing": self.cluster.disagreeing }));
        }
        Presented {
            subject: Subject {
                id: &node.id,
                object: format!("node:{}", node.name),
                config_path: &node.config_path,
                settings: &node.settings,
                version: Some(node.version),
            },
            variables: vec![("node", to_cel(&facts)), ("cluster", to_cel(&self.cluster))],
            items,
            fips: facts.fips,
        }
    }

    /// JVM options (`locate: -Dname`) and the node's other files (`locate: file:users`).
    fn locate(&self, rule: &Rule, _item: &Item, _subject: &Subject) -> Option<Located> {
        let node = self.node;
        let key = rule.locate.keys().first().copied()?;
        if key.starts_with("-D") || key.starts_with("-X") {
            return Some(locate_jvm(node, key));
        }
        let file = key.strip_prefix("file:")?;
        let path = match file {
            "log4j2.properties" => node.log4j.as_ref().map(|l| l.path.clone()),
            "users" => node.file_users.as_ref().map(|u| u.path.clone()),
            _ => None,
        };
        Some(Located {
            key: String::new(),
            object: format!("file:{file}"),
            location: Location::file(&path.unwrap_or_else(|| node.config_path.clone())),
            actual: String::new(),
            unresolved: vec![],
        })
    }
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
            None => tls_value(&ctx),
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
        let mut item = Item::new(Scope::EsSetting, setting_value(facts), setting.key.clone());
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

/// A setting's facts as a CEL value. The nodes of a fleet mostly write the same settings, so
/// the values are remembered (per thread, a bounded number) instead of converted again.
fn setting_value(facts: &derive::SettingFacts) -> Value {
    thread_local! {
        static REMEMBERED: Remembered<derive::SettingFacts> = Default::default();
    }
    remembered_cel(&REMEMBERED, facts)
}

/// A TLS context's facts as a CEL value, remembered as settings are: the nodes of a cluster
/// mostly configure their contexts alike.
fn tls_value(ctx: &tls::TlsContext) -> Value {
    thread_local! {
        static REMEMBERED: Remembered<tls::TlsContext> = Default::default();
    }
    remembered_cel(&REMEMBERED, ctx)
}

type Remembered<T> =
    std::cell::RefCell<std::collections::HashMap<T, Value, foldhash::fast::RandomState>>;

/// `facts` as a CEL value: the one converted from equal facts earlier on this thread, if any.
fn remembered_cel<T>(remembered: &'static std::thread::LocalKey<Remembered<T>>, facts: &T) -> Value
where
    T: std::hash::Hash + Eq + Clone + serde::Serialize,
{
    remembered.with_borrow_mut(|remembered| {
        if let Some(value) = remembered.get(facts) {
            return value.clone();
        }
        if remembered.len() >= 4096 {
            remembered.clear();
        }
        let value = to_cel(facts);
        remembered.insert(facts.clone(), value.clone());
        value
    })
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
    // What follows from whether a file could be read: a readable file's results name the
    // setting that names it; an unreadable one is judged on what the configuration tells of it
    // (a partial value, when there is one), and where two settings name it, each setting keeps
    // its results apart.
    let settle = |item: &mut Item,
                  error: Option<String>,
                  known: Option<Value>,
                  naming_setting: &Option<String>| {
        if error.is_none() {
            item.named_by = named_by(naming_setting);
        } else {
            if let Some(known) = known {
                item.value = known;
                item.partial = true;
            }
            if let Some(key) = naming_setting {
                item.identity = Identity::Also(key.clone());
            }
        }
        item.error = error;
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
        settle(
            &mut item,
            c.error,
            c.known.as_ref().map(to_cel),
            &c.naming_setting,
        );
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
        settle(
            &mut item,
            f.error,
            f.known.as_ref().map(to_cel),
            &f.naming_setting,
        );
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
