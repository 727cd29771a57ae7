//! The kinds of thing a rule is judged on. The evidence sources say which of them each item they
//! present is; the catalog names one per rule.

use serde::{Deserialize, Serialize};

/// The kind of item a rule is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A node (variable `node`).
    EsNode,
    /// Each TLS context of a node (variable `tls`).
    EsTlsContext,
    /// Each authentication realm (variable `realm`).
    EsRealm,
    /// Each IP-filtered listener (variable `filter`).
    EsIpFilter,
    /// Each audit ignore policy (variable `policy`).
    EsAuditPolicy,
    /// Each written setting (variable `setting`).
    EsSetting,
    /// Each user of the file realm's `users` file (variable `user`).
    EsFileUser,
    /// Each certificate a node uses or keeps in its folder (variable `cert`).
    Certificate,
    /// Each certificate, key or store file (variable `file`).
    SecurityFile,
    /// The node's `elasticsearch.keystore` (variable `keystore`).
    EsKeystore,
    /// Each TLS endpoint probed with `--tls` (variable `endpoint`).
    TlsEndpoint,
    /// A Kibana, Logstash, Beats or Agent instance (variable `comp`).
    Component,
    /// Each written setting of a component, and each option of a pipeline plugin (`setting`).
    ComponentSetting,
    /// Each Elasticsearch plugin of a Logstash pipeline (variable `plugin`).
    LsPlugin,
    /// A cluster read through its APIs, live or from a snapshot (variable `api`).
    EsCluster,
    /// Each certificate a cluster's nodes loaded, from `_ssl/certificates` (variable `cert`).
    ClusterCertificate,
    /// Each role: from the API, or from `roles.yml` (variable `role`).
    RbacRole,
    /// Each user: native and built-in from the API, file-realm from `users` (variable `user`).
    RbacUser,
    /// Each role mapping: from the API, or from `role_mapping.yml` (variable `mapping`).
    RbacRoleMapping,
    /// Each API key (variable `key`).
    RbacApiKey,
    /// Each service-account token (variable `token`).
    RbacServiceToken,
    /// Each connection of an application or shipper to Elasticsearch (variable `client`).
    Client,
}

impl Scope {
    /// The CEL variable that holds the item (`node` is always there too).
    pub fn variable(self) -> &'static str {
        match self {
            Scope::EsNode => "node",
            Scope::EsTlsContext => "tls",
            Scope::EsRealm => "realm",
            Scope::EsIpFilter => "filter",
            Scope::EsAuditPolicy => "policy",
            Scope::EsSetting => "setting",
            Scope::EsFileUser => "user",
            Scope::Certificate => "cert",
            Scope::SecurityFile => "file",
            Scope::EsKeystore => "keystore",
            Scope::TlsEndpoint => "endpoint",
            Scope::Component => "comp",
            Scope::ComponentSetting => "setting",
            Scope::LsPlugin => "plugin",
            Scope::EsCluster => "api",
            Scope::ClusterCertificate => "cert",
            Scope::RbacRole => "role",
            Scope::RbacUser => "user",
            Scope::RbacRoleMapping => "mapping",
            Scope::RbacApiKey => "key",
            Scope::RbacServiceToken => "token",
            Scope::Client => "client",
        }
    }
}
