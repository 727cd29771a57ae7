//! What a YAML file is, from its content: a name is a hint, never the answer. An ECK manifest
//! saved as `elasticsearch.yaml` is a Kubernetes manifest, a compose file can have any name,
//! a Helm or Jinja template is not a config, and a Grafana data source named
//! `elasticsearch.yaml` is a client of Elasticsearch, not a node.

use std::path::Path;

/// What the content says a file is.
#[derive(Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// Kubernetes resources (`apiVersion` and `kind` at the top level).
    Manifest,
    /// A compose file running an Elastic image.
    Compose,
    /// A client of Elasticsearch: a Grafana data source or a Vector sink of that type.
    Client,
    /// Passed over, with why.
    Skip(&'static str),
    /// Nothing in the content overrides what the name says.
    AsNamed,
}

/// Templates: Helm charts' `templates/*.yaml`, Jinja (`*.j2`, Ansible roles), Go templates.
const TEMPLATE_SUFFIXES: &[&str] = &[".j2", ".jinja", ".jinja2", ".tpl", ".tmpl", ".gotmpl"];

/// Names an Elastic Stack config template would carry.
const ELASTIC_NAMES: &[&str] = &[
    "elasticsearch",
    "kibana",
    "logstash",
    "filebeat",
    "metricbeat",
    "heartbeat",
    "auditbeat",
    "packetbeat",
    "elastic-agent",
    "apm-server",
    "compose",
];

/// Whether a file name looks like an Elastic config template worth a notice when skipped.
pub fn elastic_template_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    TEMPLATE_SUFFIXES.iter().any(|s| lower.ends_with(s))
        && ELASTIC_NAMES.iter().any(|n| lower.contains(n))
}

/// Decides from `text` (the file's content) what `path` is.
pub fn sniff(path: &Path, text: &str) -> Sniffed {
    let lower = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let in_templates = path.components().any(|c| c.as_os_str() == "templates");
    if TEMPLATE_SUFFIXES.iter().any(|s| lower.ends_with(s))
        || is_template(text)
        || (in_templates && text.contains("{{"))
    {
        return Sniffed::Skip(
            "a template (Helm, Jinja or Go), not a config: scan what it renders to, or the \
             values and variables it is rendered from",
        );
    }
    if super::clients::sniff(path, text).is_some() {
        return Sniffed::Client;
    }
    let top = |key: &str| text.lines().any(|l| l.starts_with(key));
    if top("apiVersion:") && top("kind:") {
        return Sniffed::Manifest;
    }
    if top("datasources:") || top("deleteDatasources:") {
        return Sniffed::Skip("a Grafana data-source file with no Elasticsearch data source");
    }
    if top("services:") && runs_elastic_image(text) {
        return Sniffed::Compose;
    }
    Sniffed::AsNamed
}

/// Template syntax where YAML expects a value or a line: Jinja's `{% … %}`, a line that
/// starts with `{{`, or an unquoted `key: {{ … }}`. A quoted `"{{ .Release.Name }}"` in Helm
/// values is a plain string and does not count.
fn is_template(text: &str) -> bool {
    text.contains("{%")
        || text.contains(": {{")
        || text.lines().any(|line| {
            let l = line.trim();
            // `{{ … }}` where a line should be, or a bare `${…}` line at the margin that a build
            // step expands (Elasticsearch's own distribution template). An indented `${…}` line
            // is the body of a block scalar (`hosts: >-`), a plain value.
            l.starts_with("{{") || (line.starts_with("${") && l.ends_with('}') && !l.contains(": "))
        })
}

/// A compose service running one of Elastic's images.
fn runs_elastic_image(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("image:")
            && ELASTIC_NAMES
                .iter()
                .filter(|n| **n != "compose")
                .any(|n| l.contains(n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides() {
        let p = Path::new("deploy/elasticsearch.yaml");
        assert_eq!(
            sniff(
                p,
                "apiVersion: elasticsearch.k8s.elastic.co/v1\nkind: Elasticsearch\n"
            ),
            Sniffed::Manifest
        );
        assert_eq!(
            sniff(p, "cluster.name: x\nnetwork.host: 0.0.0.0\n"),
            Sniffed::AsNamed
        );
        assert!(matches!(
            sniff(
                Path::new("provisioning/datasources/elasticsearch.yaml"),
                "apiVersion: 1\ndatasources:\n  - name: es\n"
            ),
            Sniffed::Skip(_)
        ));
        assert_eq!(
            sniff(
                Path::new("provisioning/datasources/elasticsearch.yaml"),
                "apiVersion: 1\ndatasources:\n  - name: es\n    type: elasticsearch\n"
            ),
            Sniffed::Client
        );
        assert_eq!(
            sniff(
                Path::new("helk-kibana-analysis-basic.yml"),
                "version: '3.5'\nservices:\n  helk-elasticsearch:\n    image: docker.elastic.co/elasticsearch/elasticsearch:7.6.2\n"
            ),
            Sniffed::Compose
        );
        assert_eq!(
            sniff(
                Path::new("other.yml"),
                "services:\n  db:\n    image: postgres:16\n"
            ),
            Sniffed::AsNamed
        );
        assert!(matches!(
            sniff(
                Path::new("charts/es/templates/configmap.yaml"),
                "apiVersion: v1\nkind: ConfigMap\ndata:\n  elasticsearch.yml: |\n{{ toYaml .Values.esConfig | indent 4 }}\n"
            ),
            Sniffed::Skip(_)
        ));
        assert!(matches!(
            sniff(
                Path::new("roles/es/templates/elasticsearch.yml.j2"),
                "cluster.name: {{ es_cluster }}\n"
            ),
            Sniffed::Skip(_)
        ));
        // A build-time `${…}` line at the margin is a template; the same inside a folded
        // scalar (Elastic Agent's standalone manifest) is a value.
        assert!(matches!(
            sniff(
                Path::new("distribution/src/config/elasticsearch.yml"),
                "cluster.name: x\n${path.data}\n"
            ),
            Sniffed::Skip(_)
        ));
        assert_eq!(
            sniff(
                Path::new("elastic-agent-standalone-kubernetes.yaml"),
                "apiVersion: v1\nkind: ConfigMap\ndata:\n  agent.yml: |-\n    outputs:\n      default:\n        hosts:\n          - >-\n            ${ES_HOST}\n"
            ),
            Sniffed::Manifest
        );
        assert!(elastic_template_name(Path::new("elasticsearch.yml.j2")));
        assert!(!elastic_template_name(Path::new("nginx.conf.j2")));
    }
}
