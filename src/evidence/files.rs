//! The certificate, key-file and keystore items rules judge, with the facts that need both the
//! node's settings and the files: which layer uses a certificate, whether the names it must
//! carry are there, whether the configured CA really signed it.

use super::certs::{self, CertFacts};
use super::tls::TlsContext;
use super::{EsNode, FileKind, FileRef, SecurityFile};
use serde::Serialize;
use std::collections::BTreeSet;

/// A certificate as the `certificate` rules see it (variable `cert`).
#[derive(Debug, Clone, Serialize)]
pub struct CertItem {
    #[serde(flatten)]
    pub facts: CertFacts,
    pub path: String,
    /// Position of the certificate in its file (0 = first).
    pub index: i64,
    /// `leaf` (a node's own certificate), `chain` (an intermediate sent with it), `ca` (a trust
    /// anchor), or `loose` (a file no setting names).
    pub role: String,
    /// TLS layers that use it: `http`, `transport`, `transport_profile`, `realm`, …
    pub layers: Vec<String>,
    /// Settings that name its file.
    pub settings: Vec<String>,
    pub has_private_key: bool,
    /// `--expiry-warning-days`.
    pub warning_days: i64,
    /// Clients check this certificate's names: an HTTP leaf, or a transport leaf under
    /// `verification_mode: full`.
    pub needs_hostname_match: bool,
    /// Names and addresses the node is reached by, from its settings.
    pub hostnames: Vec<String>,
    /// Hostnames the certificate's SANs do not cover.
    pub unmatched_hostnames: Vec<String>,
    /// For a leaf: a CA is configured for its layer (`certificate_authorities` or a truststore).
    pub ca_configured: bool,
    /// For a leaf with a CA configured: `signed`, `not_signed`, or `unverifiable`.
    pub issuer_check: String,
    /// For a CA: both the HTTP and the transport layer trust it.
    pub trusted_by_http_and_transport: bool,
    /// For a transport leaf: the HTTP layer presents the same certificate.
    pub shared_with_http: bool,
    /// RSA-equivalent key bits the weakest configured suite calls for under FIPS (0 if none).
    pub fips_required_key_bits: i64,
    /// The certificate or its issuer names a public certificate authority.
    pub public_ca: bool,
}

/// Organisations that run public certificate authorities (browser and JDK trust stores).
const PUBLIC_CA_NAMES: &[&str] = &[
    "digicert",
    "let's encrypt",
    "isrg",
    "sectigo",
    "comodo",
    "usertrust",
    "globalsign",
    "entrust",
    "godaddy",
    "go daddy",
    "starfield",
    "amazon",
    "google trust services",
    "microsoft",
    "identrust",
    "baltimore",
    "quovadis",
    "buypass",
    "certum",
    "ssl.com",
    "actalis",
    "harica",
    "telia",
    "d-trust",
    "t-systems",
    "geotrust",
    "thawte",
    "verisign",
    "zerossl",
    "trustwave",
    "secom",
];

/// Whether a distinguished name belongs to a public certificate authority.
pub fn is_public_ca_name(dn: &str) -> bool {
    let lower = dn.to_ascii_lowercase();
    PUBLIC_CA_NAMES.iter().any(|n| lower.contains(n))
}

/// A certificate, key or store file (variable `file`).
#[derive(Debug, Clone, Serialize)]
pub struct FileItem {
    pub path: String,
    pub kind: FileKind,
    pub settings: Vec<String>,
    /// The file holds a private key (PEM key, or a store with a key entry).
    pub private_key: bool,
    /// Every private key in it is encrypted (PEM) or it is a password-protected store.
    pub keys_encrypted: bool,
    /// Permission bits as octal text, e.g. `0640`.
    pub mode: String,
    pub other_readable: bool,
    pub group_readable: bool,
    /// A store that opens with the empty password.
    pub empty_password: bool,
    pub ca_with_private_key: bool,
}

/// `elasticsearch.keystore` (variable `keystore`).
#[derive(Debug, Clone, Serialize)]
pub struct KeystoreItem {
    pub path: String,
    pub version: i64,
    pub password_protected: bool,
    /// The entry names could be read (the keystore has no password).
    pub entries_known: bool,
    pub entries: Vec<String>,
    pub bootstrap_password: bool,
    /// Settings given both in the keystore and in `elasticsearch.yml` (directly or as the
    /// plain twin of a `secure_` setting).
    pub in_both: Vec<String>,
    pub mode: String,
    pub other_readable: bool,
    pub group_readable: bool,
}

/// An item together with what it needs beyond its CEL value: an error that stops it being
/// judged, and the setting that names it (for locating failures).
pub struct Located<T> {
    pub item: T,
    pub error: Option<String>,
    pub naming_setting: Option<String>,
    /// For an item whose file could not be read: the facts its configuration gives all the
    /// same (the role and layer of the naming setting, the kind of store), so a rule that
    /// cannot apply to such a file says so rather than "cannot judge".
    pub known: Option<serde_json::Value>,
}

fn mode_text(file: &SecurityFile) -> String {
    file.mode.map(|m| format!("{m:04o}")).unwrap_or_default()
}

/// Names the node is reached by: its name and every concrete host or publish address.
fn hostnames(node: &EsNode) -> Vec<String> {
    let mut out = BTreeSet::new();
    let s = &node.settings;
    if let Some(name) = s.get("node.name").filter(|x| x.unresolved.is_empty()) {
        out.insert(name.value.to_string());
    }
    for key in [
        "network.host",
        "network.publish_host",
        "http.host",
        "http.publish_host",
        "transport.host",
        "transport.publish_host",
    ] {
        if let Some(v) = s.get(key).filter(|x| x.unresolved.is_empty()) {
            for h in v.value.as_list() {
                let concrete = !h.starts_with('_')
                    && !super::derive::is_all_interfaces(&h)
                    && !super::derive::is_loopback(&h);
                if concrete {
                    out.insert(h);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// RSA-equivalent bits for the weakest cipher among the suites (NIST SP 800-57 comparable
/// strengths, as Elastic's FIPS guide lists them): 3DES 2048, AES-128 3072, AES-256 15360.
fn fips_required_bits(ctx: &TlsContext) -> i64 {
    let suites: Vec<String> = if ctx.ciphers.is_empty() {
        vec!["TLS_AES_128_GCM_SHA256".into()]
    } else {
        ctx.ciphers.clone()
    };
    suites
        .iter()
        .map(|s| {
            let u = s.to_ascii_uppercase();
            if u.contains("3DES") || u.contains("DES_EDE") {
                2048
            } else if u.contains("AES_128") || u.contains("CHACHA20") {
                3072
            } else if u.contains("AES_256") {
                15360
            } else {
                0
            }
        })
        .filter(|b| *b > 0)
        .min()
        .unwrap_or(0)
}

pub fn certificate_items(
    node: &EsNode,
    contexts: &[TlsContext],
    files: &[SecurityFile],
    warning_days: i64,
) -> Vec<Located<CertItem>> {
    let names = hostnames(node);
    let ctx_of = |prefix: &str| contexts.iter().find(|c| c.prefix == prefix);
    // CA certificates configured per context prefix.
    let cas_of = |prefix: &str| -> Vec<&CertFacts> {
        node.file_refs
            .iter()
            .filter(|r| {
                r.context == prefix
                    && (r.role == "certificate_authorities" || r.role == "truststore")
            })
            .flat_map(|r| files[r.file].certificates.iter())
            .collect()
    };
    let anchors = |layer_prefix: &str| -> BTreeSet<String> {
        cas_of(layer_prefix)
            .iter()
            .map(|c| c.sha256.clone())
            .collect()
    };
    let http_anchors = anchors("xpack.security.http.ssl");
    let transport_anchors = anchors("xpack.security.transport.ssl");
    let http_leaves: BTreeSet<String> = node
        .file_refs
        .iter()
        .filter(|r| {
            r.context == "xpack.security.http.ssl"
                && (r.role == "certificate" || r.role == "keystore")
        })
        .flat_map(|r| files[r.file].certificates.first())
        .map(|c| c.sha256.clone())
        .collect();

    let mut out: Vec<Located<CertItem>> = Vec::new();
    let mut seen_files = BTreeSet::new();
    for r in &node.file_refs {
        if r.role == "key" {
            continue;
        }
        let file = &files[r.file];
        let Some(ctx) = ctx_of(&r.context) else {
            continue;
        };
        if !seen_files.insert((r.file, r.context.clone(), r.role.clone())) {
            continue;
        }
        if file.certificates.is_empty() {
            let error = file
                .error
                .clone()
                .unwrap_or_else(|| format!("{} holds no certificate", file.path));
            out.push(Located {
                item: empty_item(file, warning_days),
                error: Some(format!("{error} (named by {})", r.key)),
                naming_setting: Some(r.key.clone()),
                known: Some(known_certificate_facts(
                    node,
                    &file.path,
                    r,
                    ctx,
                    &names,
                    warning_days,
                    &cas_of(&r.context),
                )),
            });
            continue;
        }
        let cas = cas_of(&r.context);
        for (index, cert) in file.certificates.iter().enumerate() {
            let has_key = file
                .certificate_has_key
                .get(index)
                .copied()
                .unwrap_or(false);
            let first_without_keys = index == 0 && !file.certificate_has_key.contains(&true);
            let role = match r.role.as_str() {
                "certificate_authorities" | "truststore" => "ca",
                "keystore" if cert.is_ca => "ca",
                "keystore" if has_key || first_without_keys => "leaf",
                "certificate" if index == 0 => "leaf",
                _ => "chain",
            };
            let needs_hostname_match = role == "leaf"
                && (ctx.layer == "http"
                    || (matches!(ctx.layer.as_str(), "transport" | "transport_profile")
                        && ctx.verification_mode == "full"));
            let unmatched: Vec<String> = names
                .iter()
                .filter(|h| !certs::name_matches(cert, h))
                .cloned()
                .collect();
            let issuer_check = if role != "leaf" || cas.is_empty() {
                String::new()
            } else {
                let verdicts: Vec<Option<bool>> =
                    cas.iter().map(|ca| certs::signed_by(cert, ca)).collect();
                // The leaf may come with its chain: an intermediate in the same file that the CA signed.
                let via_chain = file.certificates.iter().skip(1).any(|inter| {
                    certs::signed_by(cert, inter) == Some(true)
                        && cas
                            .iter()
                            .any(|ca| certs::signed_by(inter, ca) == Some(true))
                });
                if verdicts.contains(&Some(true))
                    || via_chain
                    || cas.iter().any(|ca| ca.sha256 == cert.sha256)
                {
                    "signed".into()
                } else if verdicts.iter().all(|v| *v == Some(false)) {
                    "not_signed".into()
                } else {
                    "unverifiable".into()
                }
            };
            let mut item = CertItem {
                facts: cert.clone(),
                path: file.path.clone(),
                index: index as i64,
                role: role.into(),
                layers: vec![ctx.layer.clone()],
                settings: vec![r.key.clone()],
                has_private_key: has_key,
                warning_days,
                needs_hostname_match,
                hostnames: names.clone(),
                unmatched_hostnames: if names.iter().any(|h| certs::name_matches(cert, h)) {
                    vec![]
                } else {
                    unmatched
                },
                ca_configured: !cas.is_empty(),
                issuer_check,
                trusted_by_http_and_transport: role == "ca"
                    && http_anchors.contains(&cert.sha256)
                    && transport_anchors.contains(&cert.sha256),
                shared_with_http: role == "leaf"
                    && ctx.layer == "transport"
                    && http_leaves.contains(&cert.sha256),
                fips_required_key_bits: if role == "leaf" {
                    fips_required_bits(ctx)
                } else {
                    0
                },
                public_ca: is_public_ca_name(&cert.issuer) || is_public_ca_name(&cert.subject),
            };
            item.facts.der = Vec::new();
            // The same certificate used by several contexts is one item with several layers.
            if let Some(existing) = out.iter_mut().find(|e| {
                e.error.is_none()
                    && e.item.path == item.path
                    && e.item.index == item.index
                    && e.item.role == item.role
            }) {
                existing.item.layers.push(ctx.layer.clone());
                existing.item.settings.push(r.key.clone());
                existing.item.needs_hostname_match |= item.needs_hostname_match;
                existing.item.trusted_by_http_and_transport |= item.trusted_by_http_and_transport;
                existing.item.shared_with_http |= item.shared_with_http;
                continue;
            }
            out.push(Located {
                item,
                error: None,
                naming_setting: Some(r.key.clone()),
                known: None,
            });
        }
    }
    for &i in &node.loose_files {
        let file = &files[i];
        for (index, cert) in file.certificates.iter().enumerate() {
            let mut facts = cert.clone();
            facts.der = Vec::new();
            out.push(Located {
                item: CertItem {
                    role: "loose".into(),
                    index: index as i64,
                    has_private_key: file
                        .certificate_has_key
                        .get(index)
                        .copied()
                        .unwrap_or(false),
                    ..empty_item_with(file, facts, warning_days)
                },
                error: None,
                naming_setting: None,
                known: None,
            });
        }
    }
    out
}

/// What the configuration says of a certificate file that could not be read: the role its
/// setting gives it (a keystore may hold either), its layer, and what follows from those.
fn known_certificate_facts(
    node: &EsNode,
    path: &str,
    r: &FileRef,
    ctx: &TlsContext,
    hostnames: &[String],
    warning_days: i64,
    cas: &[&CertFacts],
) -> serde_json::Value {
    let mut known = serde_json::json!({
        "path": path,
        "layers": [ctx.layer],
        "settings": [r.key],
        "warning_days": warning_days,
        "hostnames": hostnames,
    });
    let role = match r.role.as_str() {
        "certificate_authorities" | "truststore" => Some("ca"),
        "certificate" => Some("leaf"),
        _ => None,
    };
    if let Some(role) = role {
        known["role"] = role.into();
        known["needs_hostname_match"] = (role == "leaf"
            && (ctx.layer == "http"
                || (matches!(ctx.layer.as_str(), "transport" | "transport_profile")
                    && ctx.verification_mode == "full")))
            .into();
        known["fips_required_key_bits"] = if role == "leaf" {
            fips_required_bits(ctx)
        } else {
            0
        }
        .into();
    }
    // No CA named for the layer at all is known; CA files named but unreadable are not.
    let ca_named = node.file_refs.iter().any(|c| {
        c.context == r.context
            && matches!(c.role.as_str(), "certificate_authorities" | "truststore")
    });
    if !ca_named || !cas.is_empty() {
        known["ca_configured"] = ca_named.into();
    }
    known
}

fn empty_item(file: &SecurityFile, warning_days: i64) -> CertItem {
    let facts = CertFacts {
        subject: String::new(),
        issuer: String::new(),
        serial: String::new(),
        not_before: 0,
        not_after: 0,
        expires: String::new(),
        days_left: 0,
        expired: false,
        validity_days: 0,
        key_type: String::new(),
        key_bits: 0,
        curve: String::new(),
        signature_algorithm: String::new(),
        signature_hash: String::new(),
        is_ca: false,
        self_issued: false,
        dns_names: vec![],
        ip_addresses: vec![],
        eku_present: false,
        eku_server_auth: false,
        eku_client_auth: false,
        sha256: String::new(),
        der: vec![],
    };
    empty_item_with(file, facts, warning_days)
}

fn empty_item_with(file: &SecurityFile, facts: CertFacts, warning_days: i64) -> CertItem {
    CertItem {
        facts,
        path: file.path.clone(),
        index: 0,
        role: String::new(),
        layers: vec![],
        settings: vec![],
        has_private_key: false,
        warning_days,
        needs_hostname_match: false,
        hostnames: vec![],
        unmatched_hostnames: vec![],
        ca_configured: false,
        issuer_check: String::new(),
        trusted_by_http_and_transport: false,
        shared_with_http: false,
        fips_required_key_bits: 0,
        public_ca: false,
    }
}

/// Key and store files of the node (named by settings, or loose in its folder).
pub fn file_items(node: &EsNode, files: &[SecurityFile]) -> Vec<Located<FileItem>> {
    let mut order: Vec<usize> = Vec::new();
    for i in node
        .file_refs
        .iter()
        .map(|r| r.file)
        .chain(node.loose_files.iter().copied())
    {
        // The keystore has rules of its own.
        if !order.contains(&i) && files[i].kind != FileKind::EsKeystore {
            order.push(i);
        }
    }
    order
        .into_iter()
        .map(|i| {
            let file = &files[i];
            let settings: Vec<String> = node
                .file_refs
                .iter()
                .filter(|r| r.file == i)
                .map(|r| r.key.clone())
                .collect();
            let store = matches!(file.kind, FileKind::Pkcs12 | FileKind::Jks);
            let unreadable =
                !file.exists || (file.certificates.is_empty() && file.private_keys.is_empty());
            let error = unreadable.then(|| {
                let cause = file
                    .error
                    .clone()
                    .unwrap_or_else(|| format!("{} holds no certificate or key", file.path));
                match settings.first() {
                    Some(key) => format!("{cause} (named by {key})"),
                    None => cause,
                }
            });
            let known = error.as_ref().map(
                |_| serde_json::json!({"path": file.path, "kind": file.kind, "settings": settings}),
            );
            Located {
                error,
                known,
                naming_setting: settings.first().cloned(),
                item: FileItem {
                    path: file.path.clone(),
                    kind: file.kind,
                    private_key: !file.private_keys.is_empty(),
                    keys_encrypted: if store {
                        !file.empty_password
                    } else {
                        !file.private_keys.is_empty()
                            && file.private_keys.iter().all(|k| k.encrypted)
                    },
                    mode: mode_text(file),
                    other_readable: file.other_readable,
                    group_readable: file.group_readable,
                    empty_password: file.empty_password,
                    ca_with_private_key: file.ca_with_private_key,
                    settings,
                },
            }
        })
        .collect()
}

pub fn keystore_item(node: &EsNode, files: &[SecurityFile]) -> Option<Located<KeystoreItem>> {
    // A node's own keystore, or one found among loose files (a folder scanned without its
    // elasticsearch.yml).
    let index = node.keystore.or_else(|| {
        node.loose_files
            .iter()
            .copied()
            .find(|&i| files[i].kind == FileKind::EsKeystore)
    })?;
    let file = &files[index];
    let facts = file.keystore.clone();
    let entries = facts
        .as_ref()
        .and_then(|f| f.entries.clone())
        .unwrap_or_default();
    let in_both = entries
        .iter()
        .filter(|name| {
            let plain_twin = name.rsplit_once('.').and_then(|(head, last)| {
                last.strip_prefix("secure_")
                    .map(|rest| format!("{head}.{rest}"))
            });
            node.settings.get(name).is_some()
                || plain_twin.is_some_and(|t| node.settings.get(&t).is_some())
        })
        .cloned()
        .collect();
    Some(Located {
        error: match (&facts, &file.error) {
            (None, e) => Some(
                e.clone()
                    .unwrap_or_else(|| format!("{} could not be read", file.path)),
            ),
            _ => None,
        },
        known: None,
        naming_setting: None,
        item: KeystoreItem {
            path: file.path.clone(),
            version: facts.as_ref().map_or(0, |f| f.version),
            password_protected: facts.as_ref().is_some_and(|f| f.password_protected),
            entries_known: facts.as_ref().is_some_and(|f| f.entries.is_some()),
            bootstrap_password: entries.iter().any(|e| e == "bootstrap.password"),
            entries,
            in_both,
            mode: mode_text(file),
            other_readable: file.other_readable,
            group_readable: file.group_readable,
        },
    })
}
