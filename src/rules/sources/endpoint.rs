//! A TLS endpoint probed on the network (`--tls HOST:PORT`).

use crate::evidence::endpoint::Endpoint;
use crate::evidence::{Scope, Settings};
use crate::results::Target;
use crate::rules::Selection;
use crate::rules::item::{Identity, Item, Located, Subject, to_cel};
use crate::rules::item::{Presented, Source};
use crate::rules::{Category, Rule};

pub struct EndpointSource<'a> {
    pub endpoint: &'a Endpoint,
}

/// An endpoint has no settings of its own.
static NO_SETTINGS: std::sync::LazyLock<Settings> = std::sync::LazyLock::new(Settings::default);

impl Source for EndpointSource<'_> {
    fn target(&self) -> Target {
        let e = self.endpoint;
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

    /// One item, the endpoint. One that could not be probed makes every rule an error.
    fn present(&self, _selection: &Selection) -> Presented<'_> {
        let e = self.endpoint;
        let mut item = Item::new(Scope::TlsEndpoint, to_cel(e), e.id.clone());
        item.error = e.error.clone();
        item.identity = Identity::Rule;
        Presented {
            subject: Subject {
                id: &e.id,
                object: e.id.clone(),
                config_path: "",
                settings: &NO_SETTINGS,
                version: None,
            },
            variables: vec![],
            items: vec![item],
            fips: false,
        }
    }

    /// The endpoint, with what the rule saw there as the evidence.
    fn locate(&self, rule: &Rule, _item: &Item, _subject: &Subject) -> Option<Located> {
        let e = self.endpoint;
        let mut located = Located::object(&e.id, actual(rule, e));
        located.key = e.id.clone();
        Some(located)
    }

    /// A chain that could not be fetched makes the certificate rules errors.
    fn unjudgeable(&self, rule: &Rule) -> Option<String> {
        let why = self.endpoint.chain_error.as_ref()?;
        (rule.category == Category::Certificates)
            .then(|| format!("the certificate chain could not be fetched: {why}"))
    }
}

/// What a failing endpoint rule saw, named by the rule's `locate` (a field of the endpoint).
fn actual(rule: &Rule, e: &Endpoint) -> String {
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
