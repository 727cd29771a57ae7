//! Clients of Elasticsearch: the applications and shippers that send to a cluster, each
//! connection as its configuration writes it (a Fluent Bit or Fluentd output, a Vector sink, a
//! Grafana data source), and what that amounts to in the same words for every tool: where it
//! connects, whether over TLS and verified, and how it authenticates.

use super::Location;
use super::catalog::is_sample_secret;
use super::derive::is_loopback;
use serde::Serialize;
use std::collections::BTreeMap;

mod code;

/// The tool a client configuration belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    FluentBit,
    Fluentd,
    Vector,
    Grafana,
    Spring,
    /// Application code, one language each (src/collect/code).
    Python,
    JavaScript,
    Go,
    Java,
    CSharp,
    Ruby,
    Php,
    Rust,
    /// curl in shell scripts, Dockerfile `RUN` instructions and Makefile recipes.
    Shell,
    /// A `.env` file of an application: the variables its client reads.
    DotEnv,
    /// The OpenTelemetry Collector's `elasticsearch` exporter.
    Otel,
    /// Confluent's Elasticsearch sink connector for Kafka Connect.
    KafkaConnect,
    /// Jaeger v2's Elasticsearch storage backend.
    Jaeger,
    /// Elasticsearch for Apache Hadoop and Spark (`spark-defaults.conf`).
    EsHadoop,
    /// rsyslog's `omelasticsearch` output.
    Rsyslog,
    /// Elasticsearch Curator's client file.
    Curator,
    /// An Elastic APM agent's connection to APM Server (`elasticapm.properties`; in code and
    /// `.env`, found beside the language's or file's own).
    ApmAgent,
}

impl Tool {
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::FluentBit => "fluent-bit",
            Tool::Fluentd => "fluentd",
            Tool::Vector => "vector",
            Tool::Grafana => "grafana",
            Tool::Spring => "spring",
            Tool::Python => "python",
            Tool::JavaScript => "javascript",
            Tool::Go => "go",
            Tool::Java => "java",
            Tool::CSharp => "csharp",
            Tool::Ruby => "ruby",
            Tool::Php => "php",
            Tool::Rust => "rust",
            Tool::Shell => "shell",
            Tool::DotEnv => "dotenv",
            Tool::Otel => "otel-collector",
            Tool::KafkaConnect => "kafka-connect",
            Tool::Jaeger => "jaeger",
            Tool::EsHadoop => "es-hadoop",
            Tool::ApmAgent => "apm-agent",
            Tool::Rsyslog => "rsyslog",
            Tool::Curator => "curator",
        }
    }

    /// Application code rather than a tool's configuration.
    pub fn is_code(self) -> bool {
        matches!(
            self,
            Tool::Python
                | Tool::JavaScript
                | Tool::Go
                | Tool::Java
                | Tool::CSharp
                | Tool::Ruby
                | Tool::Php
                | Tool::Rust
                | Tool::Shell
        )
    }

    /// How the tool's documentation names it.
    pub fn title(self) -> &'static str {
        match self {
            Tool::FluentBit => "Fluent Bit",
            Tool::Fluentd => "Fluentd",
            Tool::Vector => "Vector",
            Tool::Grafana => "Grafana",
            Tool::Spring => "Spring Boot",
            Tool::Python => "Python client",
            Tool::JavaScript => "JavaScript client",
            Tool::Go => "Go client",
            Tool::Java => "Java client",
            Tool::CSharp => ".NET client",
            Tool::Ruby => "Ruby client",
            Tool::Php => "PHP client",
            Tool::Rust => "Rust client",
            Tool::Shell => "curl",
            Tool::DotEnv => ".env file",
            Tool::Otel => "OpenTelemetry Collector",
            Tool::KafkaConnect => "Kafka Connect",
            Tool::Jaeger => "Jaeger",
            Tool::EsHadoop => "ES-Hadoop",
            Tool::ApmAgent => "Elastic APM agent",
            Tool::Rsyslog => "rsyslog",
            Tool::Curator => "Curator",
        }
    }
}

/// One option of a connection as written: its key in the tool's own spelling (lower-cased
/// where the tool ignores case), its raw text, and where it is.
#[derive(Debug, Clone, Serialize)]
pub struct ClientOption {
    pub key: String,
    pub value: String,
    pub location: Location,
    /// What the value is when the program runs, where the parser of its source code already
    /// told (a literal, an environment lookup with or without fallback, an expression); for
    /// configuration files, [`resolve`] reads `value`.
    #[serde(skip)]
    pub resolved: Option<Value>,
}

impl ClientOption {
    pub fn new(key: impl Into<String>, value: impl Into<String>, location: Location) -> Self {
        ClientOption {
            key: key.into(),
            value: value.into(),
            location,
            resolved: None,
        }
    }
}

/// One connection to Elasticsearch.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// `client:<file>#<name>`, unique in the scan.
    pub id: String,
    pub tool: Tool,
    /// The connection's name in its file: `[OUTPUT] #2`, `sinks.es`, a data source's `name`.
    pub name: String,
    pub path: String,
    /// Where the connection is declared: failures about options left unwritten point here.
    pub declared_at: Location,
    pub options: Vec<ClientOption>,
}

impl Client {
    /// The last occurrence of `key`, as the tool reads it.
    pub fn option(&self, key: &str) -> Option<&ClientOption> {
        self.options.iter().rev().find(|o| o.key == key)
    }

    /// What `key` is when the tool runs (see [`resolve`]).
    fn value(&self, key: &str) -> Value {
        self.option(key).map_or(Value::Absent, |o| self.value_of(o))
    }

    /// What an option is when the tool runs.
    fn value_of(&self, o: &ClientOption) -> Value {
        match &o.resolved {
            Some(v) => v.clone(),
            None => resolve(self.tool, &o.value),
        }
    }
}

/// An option's value when the tool runs, as far as the file tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Not written, or written to mean the tool's default (Fluentd's `use_default`).
    Absent,
    /// Written, or the fallback of a reference to the environment.
    Literal(String),
    /// Written as a literal fallback of a reference: what applies when the variable is unset.
    Fallback(String),
    /// Taken from the environment, a file or a secret store, with no fallback: the reference.
    Unresolved(String),
}

/// The value of `raw` when `tool` runs, with each tool's own way of reading from elsewhere:
/// Fluent Bit `${X}`; Fluentd embedded Ruby (`"#{ENV['X']}"`, evaluated in double quotes only;
/// `$X` is sent as written); Vector `${X}`, `$X`, `${X:-fallback}` and `SECRET[…]`; Grafana
/// `$X`, `${X}`, `$__env{X}`, `$__file{…}` and `$__vault{…}`. A reference with a literal
/// fallback (`${X:-fallback}`, `#{ENV['X'] || 'fallback'}`, `#{ENV.fetch('X', 'fallback')}`)
/// is that fallback when the variable is unset.
pub fn resolve(tool: Tool, raw: &str) -> Value {
    let v = raw.trim();
    if tool == Tool::Fluentd {
        if let Some(inner) = v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            return literal(inner);
        }
        let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
            return literal(v);
        };
        return match inner.strip_prefix("#{").and_then(|r| r.strip_suffix('}')) {
            Some(code) if !code.contains("#{") => ruby_fallback(inner, code),
            _ if inner.contains("#{") => Value::Unresolved(inner.to_string()),
            _ => literal(inner),
        };
    }
    if v.is_empty() {
        return Value::Absent;
    }
    if let Some(inner) = v.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
        && !inner.contains('}')
    {
        let fallback = match tool {
            Tool::Vector | Tool::Shell => inner.split_once(":-").or_else(|| inner.split_once('-')),
            Tool::Spring => inner.split_once(':'),
            // The Collector's `${env:X:-fallback}`.
            Tool::Otel | Tool::Jaeger => inner.split_once(":-"),
            _ => None,
        };
        return match fallback {
            // Spring's `${X:}`: empty when unset, as if not written.
            Some((_, "")) => Value::Absent,
            Some((_, fallback)) => Value::Fallback(fallback.to_string()),
            None => Value::Unresolved(v.to_string()),
        };
    }
    let reference = match tool {
        Tool::Fluentd => false,
        Tool::Vector => v.contains("${") || v.starts_with("SECRET[") || is_variable(v),
        Tool::Grafana => {
            v.contains("${")
                || ["$__env{", "$__file{", "$__vault{"]
                    .iter()
                    .any(|p| v.starts_with(p))
                || is_variable(v)
        }
        // Parts of a literal in code (a URL's user and password): literal unless templated.
        _ if tool.is_code() => v.contains('{') || v.contains('$'),
        // Fluent Bit, Spring and the other configurations: `${X}`.
        _ => v.contains("${"),
    };
    if reference {
        Value::Unresolved(v.to_string())
    } else {
        Value::Literal(v.to_string())
    }
}

fn literal(v: &str) -> Value {
    if v.is_empty() {
        Value::Absent
    } else {
        Value::Literal(v.to_string())
    }
}

/// `#{ENV['X'] || 'fallback'}`, `#{ENV.fetch('X', 'fallback')}`, or `… || use_default`
/// (Fluentd's way of saying "the plugin's default").
fn ruby_fallback(whole: &str, code: &str) -> Value {
    let fallback = code.split_once("||").map(|(_, f)| f.trim()).or_else(|| {
        let args = code.trim().strip_prefix("ENV.fetch(")?.strip_suffix(')')?;
        args.split_once(',').map(|(_, f)| f.trim())
    });
    match fallback {
        Some("use_default" | "use_nil" | "nil") => Value::Absent,
        Some(f) if f.len() >= 2 && (f.starts_with('\'') || f.starts_with('"')) => {
            Value::Fallback(f[1..f.len() - 1].to_string())
        }
        _ => Value::Unresolved(whole.to_string()),
    }
}

/// `$NAME`: a whole value that names a variable.
fn is_variable(v: &str) -> bool {
    v.len() > 1
        && v.starts_with('$')
        && v[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What a connection amounts to, the same for every tool (the `client` variable of the rules).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientFacts {
    pub tool: String,
    pub name: String,
    /// The hosts or URLs it sends to, as written (defaults filled in).
    pub hosts: Vec<String>,
    /// Every host is this machine: nothing crosses a network.
    pub loopback: bool,
    /// It speaks plain HTTP, written or by the tool's default.
    pub plaintext: bool,
    /// `full`, `none` (any certificate is accepted), `no_hostname` (the chain is checked,
    /// the host name is not) or `pinned` (the chain is not checked, a fingerprint is).
    pub tls_verify: String,
    /// The lowest TLS version it accepts, when written (`TLSv1`, `TLSv1.1`, …).
    pub min_tls: String,
    /// It sends credentials: a password, an API key or credentials in a URL.
    pub credentials: bool,
    /// The user name, when written literally.
    pub username: String,
    /// `literal` (written in the file), `fallback` (the literal fallback of a reference to
    /// the environment), `reference` (taken from the environment or a secret store) or empty
    /// (none).
    pub password: String,
    /// The password (or its fallback) is a published default or sample (`changeme`, …).
    pub password_sample: bool,
    /// Like `password`, for an API key.
    pub api_key: String,
    /// A URL carries `user:password@`.
    pub url_credentials: bool,
    /// A secret is kept where the tool stores it unencrypted (Grafana: outside
    /// `secureJsonData`).
    pub secret_unencrypted: bool,
    /// Test code (a test directory or a test file's name) whose every host is this machine:
    /// a test against a local instance, not a connection to judge.
    pub local_test: bool,
    /// Every call is an administration API (security, licence, cluster settings): a setup
    /// script, which takes a superuser by design.
    pub admin_call: bool,
    /// A node sniffer replaces the https hosts written with the addresses it learns, over
    /// plain http (the Java low-level client's default `ElasticsearchNodesSniffer`).
    pub sniff_downgrade: bool,
    /// The client sniffs the cluster's nodes (on start, at intervals or on failure).
    pub sniffs: bool,
    /// It connects to Elastic Cloud (a Cloud ID, or a `*.cloud.es.io`, `*.elastic-cloud.com`
    /// or `*.found.io` host).
    pub cloud: bool,
    /// What logs request bodies or debug information (`EnableDebugMode()`,
    /// `EnableDebugLogger: true`, `telemetry.log_request_body: true`), when something does.
    pub debug_logging: String,
    /// A switch turns certificate verification off for the whole process
    /// (`NODE_TLS_REJECT_UNAUTHORIZED=0`, Python's default HTTPS context made unverified).
    pub process_verify_off: bool,
    /// The certificate is pinned by fingerprint: the hash it uses (`sha256`, `sha1`, `md5`).
    pub pin: String,
    /// The client's own TLS options do not apply: a JavaScript client given an agent
    /// function makes its own connections.
    pub tls_options_ignored: bool,
    /// Why a fact cannot be told from the file, by place (`tls`, `verify`, `min_tls`,
    /// `hosts`): the option that decides it comes from the environment with no fallback.
    pub unknown: BTreeMap<String, String>,
}

/// A place a client rule points at: the option (or the declaration, for an option left
/// unwritten), the object it names, and what is shown there as evidence.
#[derive(Debug, Clone, Serialize)]
pub struct ClientPlace {
    pub location: Location,
    pub object: String,
    pub shown: String,
}

const SECRET_SHOWN: &str = "(secret, not shown)";

/// The places that point at a secret: what is shown there is [`SECRET_SHOWN`].
const SECRET_PLACES: &[&str] = &["password", "api_key", "secret_unencrypted", "secret"];

/// `key = user:password` (or `user:password`) with the password hidden; with no user
/// before a colon, all of it.
fn hide_after_user(shown: &str) -> String {
    let value_at = shown.find(" = ").map_or(0, |i| i + 3);
    match shown[value_at..].find(':') {
        Some(colon) => format!("{}{SECRET_SHOWN}", &shown[..value_at + colon + 1]),
        None => format!("{}{SECRET_SHOWN}", &shown[..value_at]),
    }
}

/// The facts of a connection, and the places its rules point at (`locate: place:<name>`).
pub fn client_facts(c: &Client) -> (ClientFacts, BTreeMap<String, ClientPlace>) {
    let mut d = Derivation {
        client: c,
        facts: ClientFacts {
            tool: c.tool.as_str().into(),
            name: c.name.clone(),
            tls_verify: "full".into(),
            ..Default::default()
        },
        places: BTreeMap::new(),
    };
    match c.tool {
        Tool::FluentBit => d.fluent_bit(),
        Tool::Fluentd => d.fluentd(),
        Tool::Vector => d.vector(),
        Tool::Grafana => d.grafana(),
        Tool::Spring => d.spring(),
        Tool::Python => d.python(),
        Tool::JavaScript => d.javascript(),
        Tool::Go => d.go(),
        Tool::Java => d.java(),
        Tool::CSharp => d.csharp(),
        Tool::Ruby => d.ruby(),
        Tool::Php => d.php(),
        Tool::Rust => d.rust(),
        Tool::Shell => d.shell(),
        Tool::DotEnv => d.dotenv(),
        Tool::Otel => d.otel(),
        Tool::KafkaConnect => d.kafka_connect(),
        Tool::Jaeger => d.jaeger(),
        Tool::EsHadoop => d.es_hadoop(),
        Tool::ApmAgent => d.apm_agent(),
        Tool::Rsyslog => d.rsyslog(),
        Tool::Curator => d.curator(),
    }
    let f = &mut d.facts;
    f.loopback = !f.unknown.contains_key("hosts")
        && !f.hosts.is_empty()
        && f.hosts.iter().all(|h| is_loopback(&host_of(h)));
    let in_url = f.hosts.iter().find_map(|h| url_userinfo(h));
    f.url_credentials = in_url.is_some();
    if let Some((user, password)) = in_url
        && f.password.is_empty()
    {
        let (user, password) = (user.to_string(), password.to_string());
        if let Value::Literal(u) | Value::Fallback(u) = resolve(c.tool, &user) {
            f.username = u;
        }
        d.secret("password", &resolve(c.tool, &password));
        d.places
            .insert("password".into(), d.places["hosts"].clone());
    }
    // An Elasticsearch API key is known by its shape wherever the connection writes it (a
    // header, an option of another name).
    if d.facts.api_key.is_empty()
        && let Some(o) = c
            .options
            .iter()
            .find(|o| matches!(c.value_of(o), Value::Literal(v) if is_es_api_key(&v)))
    {
        let key = o.key.clone();
        d.secret("api_key", &Value::Literal(String::new()));
        d.place("api_key", &key, "");
    }
    // A place on an option that also holds a secret (`-u user:password`, Curator's
    // `http_auth`, Fluent Bit's `Cloud_Auth`) shows the user at most.
    let secrets: Vec<(String, Location)> = SECRET_PLACES
        .iter()
        .filter_map(|p| d.places.get(*p))
        .filter(|p| p.shown == SECRET_SHOWN)
        .map(|p| (p.object.clone(), p.location.clone()))
        .collect();
    for (name, place) in d.places.iter_mut() {
        let same = secrets
            .iter()
            .any(|(o, l)| *o == place.object && *l == place.location);
        if same && !SECRET_PLACES.contains(&name.as_str()) {
            place.shown = hide_after_user(&place.shown);
        }
    }
    let f = &mut d.facts;
    f.credentials = !f.password.is_empty() || !f.api_key.is_empty() || f.url_credentials;
    f.local_test = c.tool.is_code() && f.loopback && is_test_path(&c.path);
    f.cloud = f.hosts.iter().any(|h| {
        let host = host_of(h).to_ascii_lowercase();
        h.starts_with("cloud:")
            || [".cloud.es.io", ".elastic-cloud.com", ".found.io"]
                .iter()
                .any(|d| host.ends_with(d))
    });
    // The facts are quoted in messages: a password inside a URL is never shown.
    for h in &mut f.hosts {
        *h = hide_url_passwords(h);
    }
    (d.facts, d.places)
}

struct Derivation<'a> {
    client: &'a Client,
    facts: ClientFacts,
    places: BTreeMap<String, ClientPlace>,
}

impl Derivation<'_> {
    /// Records where `place` is: the option `key` when written (shown as written, or hidden
    /// for a secret), else the declaration with `default` as what is shown.
    fn place(&mut self, place: &str, key: &str, default: &str) {
        let written = self.client.option(key);
        let secret = SECRET_PLACES.contains(&place);
        let p = match written {
            Some(o) => ClientPlace {
                location: o.location.clone(),
                object: format!("setting:{key}"),
                shown: if secret {
                    SECRET_SHOWN.into()
                } else if self.is_captured(key) {
                    hide_url_passwords(o.value.trim())
                } else {
                    format!("{key} = {}", hide_url_passwords(o.value.trim()))
                },
            },
            None => ClientPlace {
                location: self.client.declared_at.clone(),
                object: format!("{}:{}", self.client.tool.as_str(), self.client.name),
                shown: default.into(),
            },
        };
        self.places.insert(place.into(), p);
    }

    /// Whether `key` names what a query captured rather than an option the tool spells
    /// (`trust_all.0`, `url.1`): its evidence is the code alone.
    fn is_captured(&self, key: &str) -> bool {
        matches!(
            self.client.tool,
            Tool::Java | Tool::CSharp | Tool::Php | Tool::Rust | Tool::Shell
        ) || key.starts_with("process_verify_off.")
    }

    /// What `key` is when the tool runs; a reference with no fallback makes `place` unknown,
    /// and says why.
    fn lookup(&mut self, place: &str, key: &str) -> Value {
        let value = self.client.value(key);
        if let Value::Unresolved(r) = &value {
            // A shell word's `$X` is an environment variable; elsewhere in code, an expression.
            let why = if self.client.tool.is_code() && self.client.tool != Tool::Shell {
                format!("{key} is `{r}`, computed when the program runs")
            } else {
                format!(
                    "{key} takes its value from {r}, an environment variable or secret the \
                     scan cannot read, with no fallback"
                )
            };
            self.facts.unknown.insert(place.into(), why);
        }
        value
    }

    /// The value `key` has when the tool runs, for deciding `place`: `None` when absent, or
    /// when it comes from the environment with no fallback (see [`Derivation::lookup`]).
    fn get(&mut self, place: &str, key: &str) -> Option<String> {
        match self.lookup(place, key) {
            Value::Literal(v) | Value::Fallback(v) => Some(v),
            Value::Absent | Value::Unresolved(_) => None,
        }
    }

    /// Like [`Derivation::get`], but a reference with no fallback is given as written (a host
    /// shown in messages as `${ES_HOST}` rather than as the default it does not have).
    fn get_or_reference(&mut self, place: &str, key: &str) -> Option<String> {
        match self.lookup(place, key) {
            Value::Literal(v) | Value::Fallback(v) | Value::Unresolved(v) => Some(v),
            Value::Absent => None,
        }
    }

    /// No host written: the one the tool falls back to, said at the declaration.
    fn default_host(&mut self, url: &str, said: &str) {
        self.facts.hosts = vec![url.to_string()];
        self.facts.plaintext = url.starts_with("http://");
        self.place("hosts", "", said);
        self.place("tls", "", said);
    }

    /// The hosts come from somewhere the file does not show.
    fn hosts_unknown(&mut self, why: &str) {
        self.facts.hosts = vec![format!("<{why}>")];
        self.facts.unknown.insert("hosts".into(), why.into());
        self.facts.unknown.insert("tls".into(), why.into());
        self.place("hosts", "", why);
        self.place("tls", "", why);
    }

    /// A Cloud ID written in `key`: the host is the deployment it names, over https.
    fn cloud_id(&mut self, key: &str) -> bool {
        if self.client.option(key).is_none() {
            return false;
        }
        let id = self.get_or_reference("hosts", key).unwrap_or_default();
        self.facts.hosts = vec![format!("cloud:{id}")];
        self.place("hosts", key, "");
        self.place("tls", key, "");
        true
    }

    /// The first of `keys` under which some option is written (`node`, or `node.0.url`).
    fn first_under<'k>(&self, keys: &[&'k str]) -> Option<&'k str> {
        keys.iter().copied().find(|k| {
            let under = format!("{k}.");
            let options = &self.client.options;
            options
                .iter()
                .any(|o| o.key == *k || o.key.starts_with(&under))
        })
    }

    /// `key` switched `off` (as `off` reads it) means any certificate is accepted; the
    /// `verify` place points at `key` either way. Whether it was.
    fn verification_switch(&mut self, key: &str, off: fn(&str) -> bool) -> bool {
        self.place("verify", key, "");
        let switched = self.get("verify", key).is_some_and(|v| off(&v));
        if switched {
            self.facts.tls_verify = "none".into();
        }
        switched
    }

    /// The lowest TLS version `key` allows, when written.
    fn min_tls_from(&mut self, key: &str) {
        if let Some(v) = self.get("min_tls", key) {
            self.facts.min_tls = normal_tls_version(&v);
        }
        self.place("min_tls", key, "");
    }

    /// The first of `keys` that is written.
    fn first_written<'k>(&self, keys: &[&'k str]) -> Option<&'k str> {
        keys.iter()
            .copied()
            .find(|k| self.client.option(k).is_some())
    }

    /// Records a secret's kind (`literal`, `fallback`, `reference`) under `fact`.
    fn secret(&mut self, fact: &str, value: &Value) {
        let (kind, text) = match value {
            Value::Absent => ("", ""),
            Value::Literal(v) => ("literal", v.as_str()),
            Value::Fallback(v) => ("fallback", v.as_str()),
            Value::Unresolved(_) => ("reference", ""),
        };
        if fact == "password" {
            self.facts.password = kind.into();
            self.facts.password_sample = !text.is_empty() && is_sample_secret(text);
        } else {
            self.facts.api_key = kind.into();
        }
    }

    fn password(&mut self, key: &str) {
        let value = self.client.value(key);
        self.secret("password", &value);
        self.place("password", key, "");
    }

    fn api_key(&mut self, key: &str) {
        let value = self.client.value(key);
        self.secret("api_key", &value);
        self.place("api_key", key, "");
    }

    fn username(&mut self, key: &str) {
        if let Value::Literal(v) | Value::Fallback(v) = self.client.value(key) {
            self.facts.username = v;
        }
        self.place("username", key, "");
    }

    /// Hosts or URLs written in `key` (a list), with `place:hosts` and, when the scheme they
    /// carry decides the transport, `place:tls` pointing there.
    fn urls(&mut self, key: &str) {
        if let Some(list) = self.get_or_reference("hosts", key) {
            self.facts.hosts = split_list(&list);
        }
        // A URL from the environment may carry any scheme, unless the scheme is written.
        if let Some(why) = self.facts.unknown.get("hosts").cloned()
            && !self.facts.hosts.iter().all(|h| h.contains("://"))
        {
            self.facts.unknown.insert("tls".into(), why);
        }
        self.facts.plaintext = self
            .facts
            .hosts
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("http://"));
        self.place("hosts", key, "");
        self.place("tls", key, "");
    }

    /// Fluent Bit's `es` output: keys are case-insensitive (read lower-cased); TLS is off by
    /// default, and with it on, the host name is not checked unless `tls.verify_hostname` is
    /// on.
    fn fluent_bit(&mut self) {
        let cloud = self.get_or_reference("hosts", "cloud_id");
        let host = self
            .get_or_reference("hosts", "host")
            .unwrap_or("127.0.0.1".into());
        let port = self
            .get_or_reference("port", "port")
            .unwrap_or("9200".into());
        self.facts.hosts = vec![match cloud {
            Some(id) => format!("cloud:{id}"),
            None => format!("{host}:{port}"),
        }];
        let hosts_key = self.first_written(&["cloud_id", "host"]).unwrap_or("host");
        self.place("hosts", hosts_key, "host not set: 127.0.0.1 by default");
        let tls = self.get("tls", "tls").is_some_and(|v| is_on(&v));
        self.facts.plaintext = !tls;
        self.place("tls", "tls", "tls not set: off by default");
        let verify = self.get("verify", "tls.verify");
        let hostname = self.get("verify", "tls.verify_hostname");
        if verify.as_deref().is_some_and(is_off) {
            self.facts.tls_verify = "none".into();
            self.place("verify", "tls.verify", "");
        } else if !hostname.as_deref().is_some_and(is_on) {
            self.facts.tls_verify = "no_hostname".into();
            self.place(
                "verify",
                "tls.verify_hostname",
                "tls.verify_hostname not set: off by default",
            );
        } else {
            self.place("verify", "tls.verify", "");
        }
        self.min_tls_from("tls.min_version");
        self.username("http_user");
        self.password("http_passwd");
        self.api_key("http_api_key");
        if let Some(auth) = self.client.option("cloud_auth").map(|o| o.value.clone()) {
            if let Some((user, password)) = auth.split_once(':') {
                if let Value::Literal(u) = resolve(Tool::FluentBit, user) {
                    self.facts.username = u;
                }
                self.secret("password", &resolve(Tool::FluentBit, password));
            } else {
                self.secret("password", &resolve(Tool::FluentBit, &auth));
            }
            self.place("username", "cloud_auth", "");
            self.place("password", "cloud_auth", "");
        }
    }

    /// fluent-plugin-elasticsearch: `scheme` is http unless written; `hosts` URLs carry their
    /// own scheme.
    fn fluentd(&mut self) {
        let https = self
            .get("tls", "scheme")
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        if self.client.option("hosts").is_some() {
            if let Some(list) = self.get_or_reference("hosts", "hosts") {
                self.facts.hosts = split_list(&list);
            }
            let hosts = &self.facts.hosts;
            if hosts.iter().all(|h| h.contains("://")) {
                // Every URL names its scheme: `scheme` does not matter.
                self.facts.unknown.remove("tls");
            } else if let Some(why) = self.facts.unknown.get("hosts").cloned() {
                // A URL from the environment may carry any scheme.
                self.facts.unknown.insert("tls".into(), why);
            }
            self.facts.plaintext = self.facts.hosts.iter().any(|h| {
                h.to_ascii_lowercase().starts_with("http://") || (!h.contains("://") && !https)
            });
            self.place("hosts", "hosts", "");
        } else {
            let host = self
                .get_or_reference("hosts", "host")
                .unwrap_or("localhost".into());
            let port = self
                .get_or_reference("port", "port")
                .unwrap_or("9200".into());
            self.facts.hosts = vec![format!("{host}:{port}")];
            self.facts.plaintext = !https;
            self.place("hosts", "host", "host not set: localhost by default");
        }
        if self.client.option("cloud_id").is_some() {
            self.facts.plaintext = false;
            self.facts.unknown.remove("tls");
        }
        if self.facts.unknown.contains_key("tls") {
            self.facts.plaintext = false;
        }
        self.place("tls", "scheme", "scheme not set: http by default");
        if self
            .get("verify", "ssl_verify")
            .as_deref()
            .is_some_and(is_off)
        {
            self.facts.tls_verify = "none".into();
        }
        self.place("verify", "ssl_verify", "");
        let version = self.first_written(&["ssl_min_version", "ssl_version"]);
        if let Some(k) = version {
            if let Some(v) = self.get("min_tls", k) {
                self.facts.min_tls = normal_tls_version(&v);
            }
            self.place("min_tls", k, "");
        }
        self.username("user");
        self.password("password");
        self.api_key("api_key");
    }

    /// A Vector `elasticsearch` sink: `endpoints` (or the older `endpoint`) carry the scheme;
    /// verification is on unless `tls.verify_certificate` or `tls.verify_hostname` is false.
    fn vector(&mut self) {
        let key = self
            .first_written(&["endpoints", "endpoint"])
            .unwrap_or("endpoints");
        self.urls(key);
        let certificate = self.get("verify", "tls.verify_certificate");
        let hostname = self.get("verify", "tls.verify_hostname");
        if certificate.as_deref().is_some_and(is_off) {
            self.facts.tls_verify = "none".into();
            self.place("verify", "tls.verify_certificate", "");
        } else if hostname.as_deref().is_some_and(is_off) {
            self.facts.tls_verify = "no_hostname".into();
            self.place("verify", "tls.verify_hostname", "");
        } else {
            self.place("verify", "tls.verify_certificate", "");
        }
        self.username("auth.user");
        self.password("auth.password");
    }

    /// Spring Boot's `spring.elasticsearch.*` (and the older `spring.elasticsearch.rest.*` and
    /// `spring.data.elasticsearch.client.reactive.*`): `uris` default to
    /// `http://localhost:9200`, and a URI without a scheme is taken as http (the reactive
    /// client's `use-ssl` aside). Verification has no switch of its own.
    fn spring(&mut self) {
        let key = self
            .first_written(&[
                "spring.elasticsearch.uris",
                "spring.elasticsearch.rest.uris",
                "spring.data.elasticsearch.client.reactive.endpoints",
            ])
            .unwrap_or("spring.elasticsearch.uris");
        let reactive_ssl = self
            .get("tls", "spring.data.elasticsearch.client.reactive.use-ssl")
            .is_some_and(|v| is_on(&v));
        if self.client.option(key).is_none() {
            self.facts.hosts = vec!["http://localhost:9200".into()];
            self.place(
                "hosts",
                key,
                "uris not set: http://localhost:9200 by default",
            );
            self.place("tls", key, "uris not set: http://localhost:9200 by default");
            self.facts.plaintext = true;
        } else {
            self.urls(key);
            let bare = self.facts.hosts.iter().any(|h| !h.contains("://"));
            if bare && !reactive_ssl && !self.facts.unknown.contains_key("tls") {
                self.facts.plaintext = true;
            }
        }
        for prefix in [
            "spring.elasticsearch.",
            "spring.elasticsearch.rest.",
            "spring.data.elasticsearch.client.reactive.",
        ] {
            let user = format!("{prefix}username");
            let password = format!("{prefix}password");
            if self.client.option(&user).is_some() || self.client.option(&password).is_some() {
                self.username(&user);
                self.password(&password);
                break;
            }
        }
        self.api_key("spring.elasticsearch.api-key");
    }

    /// The OpenTelemetry Collector's `elasticsearch` exporter: `endpoint` or `endpoints` (else
    /// `cloudid`, else `$ELASTICSEARCH_URL`), `user`/`password` or a basic-auth extension,
    /// `api_key`, `tls.insecure_skip_verify`, `tls.min_version`.
    fn otel(&mut self) {
        if let Some(k) = self.first_written(&["endpoints", "endpoint"]) {
            self.urls(k);
        } else if !self.cloud_id("cloudid") {
            self.hosts_unknown("no endpoint written: the exporter reads $ELASTICSEARCH_URL");
        }
        self.verification_switch("tls.insecure_skip_verify", is_on);
        self.min_tls_from("tls.min_version");
        let extension = self
            .client
            .option("authenticator.client_auth.username")
            .is_some();
        let (user, password) = if extension {
            (
                "authenticator.client_auth.username",
                "authenticator.client_auth.password",
            )
        } else {
            ("user", "password")
        };
        self.username(user);
        self.password(password);
        self.api_key("api_key");
        if self
            .get("debug", "telemetry.log_request_body")
            .is_some_and(|v| is_on(&v))
        {
            self.facts.debug_logging = "telemetry.log_request_body: true".into();
            self.place("debug", "telemetry.log_request_body", "");
        }
    }

    /// The key of the ES-Hadoop setting `name` (`es.net.ssl`) as written: bare, with Spark's
    /// `spark.` prefix, or from a dict given to `.options(**…)` (`options.0.es.net.ssl`).
    fn es_hadoop_key(&self, name: &str) -> Option<String> {
        self.client.options.iter().rev().find_map(|o| {
            let key = o.key.as_str();
            let key = match key.strip_prefix("options.") {
                Some(rest) => rest.split_once('.').map_or(rest, |(_, k)| k),
                None => key,
            };
            let key = key.strip_prefix("spark.").unwrap_or(key);
            (key == name).then(|| o.key.clone())
        })
    }

    /// Elasticsearch for Apache Hadoop and Spark (`es.*` settings): `es.nodes` and
    /// `es.port` (localhost:9200), `es.net.ssl` (off by default: http),
    /// `es.net.http.auth.user`/`pass`, `es.net.ssl.cert.allow.self.signed` (any self-signed
    /// certificate trusted), `es.net.ssl.protocol`.
    fn es_hadoop(&mut self) {
        let key = |d: &Self, name: &str| d.es_hadoop_key(name).unwrap_or_default();
        let ssl_key = key(self, "es.net.ssl");
        let https = self.get("tls", &ssl_key).is_some_and(|v| is_on(&v));
        let scheme = if https { "https" } else { "http" };
        let nodes_key = key(self, "es.nodes");
        let port = self
            .get("hosts", &key(self, "es.port"))
            .unwrap_or("9200".into());
        let nodes = match self.lookup("hosts", &nodes_key) {
            Value::Literal(n) | Value::Fallback(n) => n,
            Value::Unresolved(r) => format!("<{r}>"),
            Value::Absent => "localhost".into(),
        };
        self.facts.hosts = split_list(&nodes)
            .into_iter()
            .map(|n| {
                let n = n
                    .split_once("://")
                    .map_or(n.as_str(), |(_, h)| h)
                    .to_string();
                if n.contains(':') {
                    format!("{scheme}://{n}")
                } else {
                    format!("{scheme}://{n}:{port}")
                }
            })
            .collect();
        self.facts.plaintext = !https && !self.facts.unknown.contains_key("tls");
        self.place(
            "hosts",
            &nodes_key,
            "es.nodes not set: localhost by default",
        );
        self.place("tls", &ssl_key, "es.net.ssl not set: off by default");
        let self_signed = key(self, "es.net.ssl.cert.allow.self.signed");
        self.verification_switch(&self_signed, is_on);
        let protocol = key(self, "es.net.ssl.protocol");
        if let Some(v) = self.get("min_tls", &protocol) {
            self.facts.min_tls = match v.as_str() {
                "SSL" | "SSLv3" => "SSLv3".into(),
                "TLS" => String::new(),
                other => normal_tls_version(other),
            };
        }
        self.place("min_tls", &protocol, "");
        let user = key(self, "es.net.http.auth.user");
        let pass = key(self, "es.net.http.auth.pass");
        self.username(&user);
        self.password(&pass);
    }

    /// The key an Elastic APM agent option is written under, whatever the agent's spelling:
    /// `server_url` (Java properties), `SERVER_URL` (Python), `serverUrl` (Node.js),
    /// `ELASTIC_APM_SERVER_URL` (environment).
    fn apm_key(&self, name: &str) -> Option<String> {
        let canonical = |k: &str| {
            let k = k.to_ascii_lowercase().replace('_', "");
            k.strip_prefix("elasticapm").map(String::from).unwrap_or(k)
        };
        let want = canonical(name);
        self.client
            .options
            .iter()
            .rev()
            .find(|o| canonical(&o.key) == want)
            .map(|o| o.key.clone())
    }

    /// An Elastic APM agent, a client of APM Server: `server_url` (http://localhost:8200 by
    /// default), `verify_server_cert`, `secret_token` or `api_key`.
    fn apm_agent(&mut self) {
        match self
            .apm_key("server_url")
            .or_else(|| self.apm_key("server_urls"))
        {
            Some(k) => self.urls(&k),
            None => self.default_host(
                "http://localhost:8200",
                "server_url not set: http://localhost:8200 by default",
            ),
        }
        let verify = self.apm_key("verify_server_cert").unwrap_or_default();
        self.verification_switch(&verify, is_off);
        let secret = self
            .apm_key("secret_token")
            .or_else(|| self.apm_key("api_key"));
        if let Some(k) = secret {
            self.api_key(&k);
        }
    }

    /// Hosts from the list in `key` (`default` when unwritten; spaces or commas between),
    /// each given the port in `port_key` (9200) and, where it names no scheme, the one the
    /// switch `tls_key` says (http unless on).
    fn switched_hosts(&mut self, key: &str, default: &str, port_key: &str, tls_key: &str) {
        let https = self.get("tls", tls_key).is_some_and(|v| is_on(&v));
        let scheme = if https { "https" } else { "http" };
        let port = self.get("hosts", port_key).unwrap_or("9200".into());
        let list = self
            .get_or_reference("hosts", key)
            .unwrap_or(default.into());
        self.facts.hosts = split_list(&list.replace(' ', ","))
            .into_iter()
            .map(|h| match (h.contains("://"), h.contains(':')) {
                (true, _) => h,
                (false, true) => format!("{scheme}://{h}"),
                (false, false) => format!("{scheme}://{h}:{port}"),
            })
            .collect();
        self.facts.plaintext = self.facts.hosts.iter().any(|h| h.starts_with("http://"));
        self.place(
            "hosts",
            key,
            &format!("{key} not set: {default} by default"),
        );
        let at = self.first_written(&[tls_key]).unwrap_or(key);
        self.place("tls", at, &format!("{tls_key} not set: off by default"));
    }

    /// rsyslog's `omelasticsearch`: `server` (a list, with or without scheme), `serverport`
    /// (9200), `usehttps` (off: http), `allowunsignedcerts` (on: any certificate),
    /// `skipverifyhost` (on: no host-name check), `uid`/`pwd`, `apikey`.
    fn rsyslog(&mut self) {
        self.switched_hosts("server", "localhost", "serverport", "usehttps");
        if self
            .get("verify", "allowunsignedcerts")
            .is_some_and(|v| is_on(&v))
        {
            self.facts.tls_verify = "none".into();
            self.place("verify", "allowunsignedcerts", "");
        } else if self
            .get("verify", "skipverifyhost")
            .is_some_and(|v| is_on(&v))
        {
            self.facts.tls_verify = "no_hostname".into();
            self.place("verify", "skipverifyhost", "");
        } else {
            self.place("verify", "allowunsignedcerts", "");
        }
        self.username("uid");
        self.password("pwd");
        self.api_key("apikey");
    }

    /// Curator's `client:`: `hosts` and `port`, `use_ssl` (off: http), `ssl_no_validate`,
    /// `http_auth` (`user:password`) or `username`/`password`, `api_key.key`.
    fn curator(&mut self) {
        self.switched_hosts("hosts", "127.0.0.1", "port", "use_ssl");
        self.verification_switch("ssl_no_validate", is_on);
        if let Some(auth) = self.client.option("http_auth").map(|o| o.value.clone()) {
            if let Some((user, _)) = auth.split_once(':')
                && let Value::Literal(u) = resolve(Tool::Curator, user)
            {
                self.facts.username = u;
            }
            self.password("http_auth");
            self.place("username", "http_auth", "");
        } else {
            self.username("username");
            self.password("password");
        }
        self.api_key("api_key.key");
    }

    /// Jaeger v2's Elasticsearch backend: `server_urls`, `auth.basic`, the Collector's TLS
    /// options (`tls.insecure_skip_verify`, `tls.min_version`).
    fn jaeger(&mut self) {
        self.urls("server_urls");
        self.verification_switch("tls.insecure_skip_verify", is_on);
        self.min_tls_from("tls.min_version");
        self.username("auth.basic.username");
        self.password("auth.basic.password");
        self.api_key("auth.api_key.key");
    }

    /// Confluent's Elasticsearch sink: `connection.url` carries the scheme; verification has
    /// no switch, but an empty `elastic.https.ssl.endpoint.identification.algorithm` turns the
    /// host-name check off.
    fn kafka_connect(&mut self) {
        self.urls("connection.url");
        let algorithm = "elastic.https.ssl.endpoint.identification.algorithm";
        let empty = self
            .client
            .option(algorithm)
            .is_some_and(|o| o.value.trim().trim_matches('"').is_empty());
        if empty {
            self.facts.tls_verify = "no_hostname".into();
        }
        self.place("verify", algorithm, "");
        for k in [
            "elastic.https.ssl.protocol",
            "elastic.https.ssl.enabled.protocols",
        ] {
            let Some(v) = self.get("min_tls", k) else {
                continue;
            };
            let rank = |p: &String| match p.as_str() {
                "SSLv3" => 0,
                "TLSv1" => 1,
                "TLSv1.1" => 2,
                _ => 3,
            };
            let lowest = split_list(&v)
                .iter()
                .map(|p| normal_tls_version(p))
                .min_by_key(rank);
            if let Some(p) = lowest {
                self.facts.min_tls = p;
                self.place("min_tls", k, "");
                break;
            }
        }
        self.username("connection.username");
        self.password("connection.password");
    }

    /// A Grafana data source of type `elasticsearch`: secrets belong in `secureJsonData`,
    /// which Grafana encrypts; `basicAuthPassword` and `password` at the top level, or
    /// anything in `jsonData`, are stored as they are.
    fn grafana(&mut self) {
        self.urls("url");
        if self
            .get("verify", "jsondata.tlsskipverify")
            .is_some_and(|v| is_on(&v))
        {
            self.facts.tls_verify = "none".into();
        }
        self.place("verify", "jsondata.tlsskipverify", "");
        self.username("basicauthuser");
        let password = self.first_written(&[
            "securejsondata.basicauthpassword",
            "basicauthpassword",
            "securejsondata.password",
            "password",
        ]);
        if let Some(k) = password {
            self.password(k);
        }
        let c = self.client;
        let unencrypted = ["basicauthpassword", "password"]
            .iter()
            .copied()
            .chain(
                c.options
                    .iter()
                    .map(|o| o.key.as_str())
                    .filter(|k| k.starts_with("jsondata.") && k.contains("password")),
            )
            .find(|k| c.value(k) != Value::Absent);
        if let Some(k) = unencrypted {
            self.facts.secret_unencrypted = true;
            self.place("secret_unencrypted", k, "");
        }
    }
}

/// Test code by its place or name: a `test`, `tests`, `spec`, `__tests__`, `testdata` or `e2e`
/// directory, a test file's name in Python, JavaScript, Go or Java conventions, or a CI
/// workflow (its services run beside the job).
fn is_test_path(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let mut segments = path.split('/');
    let file = segments.next_back().unwrap_or_default();
    let in_test_dir = segments.any(|s| {
        matches!(
            s.to_ascii_lowercase().as_str(),
            "test" | "tests" | "spec" | "__tests__" | "testdata" | "e2e" | "it"
        )
    });
    let stem = file.split('.').next().unwrap_or_default();
    let ci = path.contains(".github/workflows/") || file == ".gitlab-ci.yml";
    in_test_dir
        || ci
        || file.starts_with("test_")
        || file == "conftest.py"
        || stem.ends_with("_test")
        || stem.ends_with("Test")
        || stem.ends_with("Tests")
        || stem.ends_with("IT")
        || file.contains(".test.")
        || file.contains(".spec.")
}

/// An Elasticsearch API key as the security API encodes it: base64 of `id:key`, a 20-character
/// id and a 22-character key (both URL-safe base64), alone or after `ApiKey `.
fn is_es_api_key(text: &str) -> bool {
    let t = text.trim().trim_matches(['"', '\'']);
    let t = t.strip_prefix("ApiKey ").unwrap_or(t).trim();
    if t.len() != 60 {
        return false;
    }
    let Ok(decoded) = data_encoding::BASE64.decode(t.as_bytes()) else {
        return false;
    };
    let part = |s: &[u8], n: usize| {
        s.len() == n
            && s.iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    };
    match decoded.iter().position(|b| *b == b':') {
        Some(i) => part(&decoded[..i], 20) && part(&decoded[i + 1..], 22),
        None => false,
    }
}

/// Fluent Bit, Fluentd, Vector and Grafana spell booleans in several ways.
fn is_on(v: &str) -> bool {
    matches!(
        v.trim().trim_matches('"').to_ascii_lowercase().as_str(),
        "on" | "true" | "yes" | "1"
    )
}

fn is_off(v: &str) -> bool {
    matches!(
        v.trim().trim_matches('"').to_ascii_lowercase().as_str(),
        "off" | "false" | "no" | "0"
    )
}

/// A list written as one string (`a, b`) or as an array turned into one (`["a", "b"]`).
fn split_list(v: &str) -> Vec<String> {
    v.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|h| h.trim().trim_matches('"').trim_matches('\'').to_string())
        .filter(|h| !h.is_empty())
        .collect()
}

/// `user:password` of a URL, if it carries them.
fn url_userinfo(url: &str) -> Option<(&str, &str)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':')
}

/// `text` with the password of every `scheme://user:password@` in it replaced.
fn hide_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(['/', '?', '#', ',', ' ', '"'])
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or_default();
                out.push_str(&format!("{user}:{SECRET_SHOWN}@{host}"));
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The host of a URL or `host:port`.
pub fn host_of(h: &str) -> String {
    let authority = match h.split_once("://") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or(rest),
        None => h,
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6).to_string();
    }
    host_port.split(':').next().unwrap_or(host_port).to_string()
}

/// A TLS version as the catalog spells it: Fluentd's `TLSv1_1`, Fluent Bit's `TLSv1.1` and
/// a bare `1.1` are one version; `TLSv1.0` is `TLSv1`. Ruby's `SSLv23` negotiates anything
/// from SSL 3 up.
fn normal_tls_version(v: &str) -> String {
    let t = v
        .trim()
        .trim_matches('"')
        .replace('_', ".")
        .to_ascii_lowercase();
    let bare = t.trim_start_matches("tlsv").trim_start_matches("tls");
    match bare {
        "1" | "1.0" => "TLSv1".into(),
        "1.1" => "TLSv1.1".into(),
        "1.2" => "TLSv1.2".into(),
        "1.3" => "TLSv1.3".into(),
        _ if t == "sslv3" || t == "sslv23" => "SSLv3".into(),
        _ => v.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_is_known_by_its_shape() {
        // Elastic's documented example key: base64 of a 20-character id, `:`, a 22-character key.
        let key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
        assert!(is_es_api_key(key));
        assert!(is_es_api_key(&format!("ApiKey {key}")));
        assert!(
            !is_es_api_key(&key.replace('V', "W")),
            "decodes to something else"
        );
        assert!(!is_es_api_key("changeme"));
        assert!(!is_es_api_key(&"A".repeat(60)), "no colon inside");
    }

    fn client(tool: Tool, options: &[(&str, &str)]) -> Client {
        Client {
            id: "client:t#1".into(),
            tool,
            name: "1".into(),
            path: "t".into(),
            declared_at: Location::at("t", 1, 1),
            options: options
                .iter()
                .enumerate()
                .map(|(i, (k, v))| ClientOption::new(*k, *v, Location::at("t", i + 2, 1)))
                .collect(),
        }
    }

    fn facts(tool: Tool, options: &[(&str, &str)]) -> ClientFacts {
        client_facts(&client(tool, options)).0
    }

    #[test]
    fn references_resolve_to_their_fallback_or_stay_unknown() {
        let lit = |v: &str| Value::Literal(v.into());
        let fallback = |v: &str| Value::Fallback(v.into());
        use Tool::*;
        assert_eq!(resolve(Vector, "changeme"), lit("changeme"));
        assert_eq!(resolve(Grafana, ""), Value::Absent);
        assert_eq!(
            resolve(FluentBit, "${ES_PW}"),
            Value::Unresolved("${ES_PW}".into())
        );
        assert_eq!(resolve(Vector, "${ES_PW:-changeme}"), fallback("changeme"));
        assert!(matches!(
            resolve(FluentBit, "${ES_PW:-changeme}"),
            Value::Unresolved(_)
        ));
        // Fluentd: Ruby runs in double quotes only; `$X` is sent as written.
        assert_eq!(
            resolve(Fluentd, "\"#{ENV['X'] || 'http'}\""),
            fallback("http")
        );
        assert_eq!(
            resolve(Fluentd, "\"#{ENV['X'] || use_default}\""),
            Value::Absent
        );
        assert_eq!(
            resolve(Fluentd, "\"#{ENV.fetch('X', 'TLSv1')}\""),
            fallback("TLSv1")
        );
        assert!(matches!(
            resolve(Fluentd, "\"#{ENV['X']}\""),
            Value::Unresolved(_)
        ));
        assert!(matches!(
            resolve(Fluentd, "\"https://#{ENV['H']}:9200\""),
            Value::Unresolved(_)
        ));
        assert_eq!(resolve(Fluentd, "'#{ENV['X']}'"), lit("#{ENV['X']}"));
        assert_eq!(
            resolve(Fluentd, "$ELASTIC_PASSWORD"),
            lit("$ELASTIC_PASSWORD")
        );
        assert_eq!(resolve(Fluentd, "\"pa$$\""), lit("pa$$"));
        for (tool, r) in [
            (Grafana, "$__env{X}"),
            (Grafana, "$__file{/run/pw}"),
            (Vector, "SECRET[vault.pw]"),
            (Grafana, "$ES_PW"),
            (Vector, "$ES_PW"),
        ] {
            assert!(matches!(resolve(tool, r), Value::Unresolved(_)), "{r}");
        }
        assert_eq!(resolve(Grafana, "$ecret!"), lit("$ecret!"));
        assert_eq!(resolve(FluentBit, "$ES_PW"), lit("$ES_PW"));
    }

    #[test]
    fn fluent_bit_defaults_are_plaintext_and_no_hostname_check() {
        let (f, places) = client_facts(&client(Tool::FluentBit, &[("host", "es01")]));
        assert!(f.plaintext);
        assert!(!f.loopback);
        assert_eq!(places["tls"].shown, "tls not set: off by default");
        let f = facts(Tool::FluentBit, &[("tls", "On")]);
        assert!(f.loopback, "127.0.0.1 by default");
        assert_eq!(f.tls_verify, "no_hostname");
        let f = facts(
            Tool::FluentBit,
            &[("tls", "on"), ("tls.verify_hostname", "on")],
        );
        assert_eq!((f.plaintext, f.tls_verify.as_str()), (false, "full"));
        let (f, places) = client_facts(&client(
            Tool::FluentBit,
            &[
                ("tls", "On"),
                ("tls.verify", "Off"),
                ("http_user", "elastic"),
                ("http_passwd", "changeme"),
            ],
        ));
        assert_eq!(f.tls_verify, "none");
        assert_eq!(f.username, "elastic");
        assert_eq!((f.password.as_str(), f.password_sample), ("literal", true));
        assert_eq!(places["password"].shown, SECRET_SHOWN);
        let f = facts(
            Tool::FluentBit,
            &[
                ("host", "${ES_HOST}"),
                ("http_user", "${ES_USER}"),
                ("http_passwd", "${ES_PASSWORD}"),
            ],
        );
        assert_eq!(
            (f.username.as_str(), f.password.as_str()),
            ("", "reference")
        );
        assert!(!f.loopback && f.unknown.contains_key("hosts"));
        assert!(
            f.credentials && f.plaintext,
            "tls decides, whatever the host"
        );
        let f = facts(Tool::FluentBit, &[("cloud_auth", "elastic:s3cret")]);
        assert_eq!(
            (f.username.as_str(), f.password.as_str(), f.password_sample),
            ("elastic", "literal", false)
        );
        let f = facts(
            Tool::FluentBit,
            &[("tls", "on"), ("tls.min_version", "TLSv1.1")],
        );
        assert_eq!(f.min_tls, "TLSv1.1");
    }

    #[test]
    fn fluentd_scheme_hosts_fallbacks_and_env_references() {
        let f = facts(
            Tool::Fluentd,
            &[
                ("host", "es"),
                ("user", "elastic"),
                ("password", "\"#{ENV['ES_PW']}\""),
            ],
        );
        assert!(f.plaintext && f.credentials);
        assert_eq!(f.password, "reference");
        let f = facts(
            Tool::Fluentd,
            &[
                ("hosts", "https://a:9200,https://b:9200"),
                ("ssl_verify", "false"),
                ("ssl_version", "TLSv1_1"),
            ],
        );
        assert!(!f.plaintext);
        assert_eq!(
            (f.tls_verify.as_str(), f.min_tls.as_str()),
            ("none", "TLSv1.1")
        );
        let (f, places) = client_facts(&client(
            Tool::Fluentd,
            &[("hosts", "https://elastic:pw@es:9200")],
        ));
        assert!(f.url_credentials && f.credentials);
        assert_eq!(
            (f.username.as_str(), f.password.as_str()),
            ("elastic", "literal")
        );
        assert_eq!(places["password"].object, "setting:hosts");
        // fluentd-kubernetes-daemonset: everything from the environment, with fallbacks.
        let f = facts(
            Tool::Fluentd,
            &[
                ("host", "\"#{ENV['FLUENT_ELASTICSEARCH_HOST']}\""),
                (
                    "scheme",
                    "\"#{ENV['FLUENT_ELASTICSEARCH_SCHEME'] || 'http'}\"",
                ),
                (
                    "ssl_version",
                    "\"#{ENV['FLUENT_ELASTICSEARCH_SSL_VERSION'] || 'TLSv1'}\"",
                ),
                (
                    "user",
                    "\"#{ENV['FLUENT_ELASTICSEARCH_USER'] || use_default}\"",
                ),
                (
                    "password",
                    "\"#{ENV['FLUENT_ELASTICSEARCH_PASSWORD'] || use_default}\"",
                ),
            ],
        );
        assert!(f.plaintext && !f.loopback && !f.credentials);
        assert_eq!(f.min_tls, "TLSv1");
        let f = facts(
            Tool::Fluentd,
            &[("scheme", "\"#{ENV['SCHEME']}\""), ("password", "x")],
        );
        assert!(!f.plaintext);
        assert!(
            f.unknown["tls"].contains("ENV['SCHEME']"),
            "{:?}",
            f.unknown
        );
        // strongdm/log-export-container: the whole URL, scheme included, from the environment.
        let f = facts(
            Tool::Fluentd,
            &[("hosts", "\"#{ENV['ELASTICSEARCH_HOSTS']}\"")],
        );
        assert!(!f.plaintext && f.unknown.contains_key("tls"));
        let f = facts(
            Tool::Fluentd,
            &[
                ("hosts", "\"http://#{ENV['H']}:9200\""),
                ("scheme", "\"#{ENV['S']}\""),
            ],
        );
        assert!(f.plaintext && !f.unknown.contains_key("tls"));
    }

    #[test]
    fn vector_and_grafana() {
        let f = facts(
            Tool::Vector,
            &[
                ("endpoints", "[\"http://es:9200\"]"),
                ("auth.user", "elastic"),
                ("auth.password", "SECRET[vault.es]"),
            ],
        );
        assert!(f.plaintext);
        assert_eq!(f.hosts, ["http://es:9200"]);
        assert_eq!(f.password, "reference");
        let f = facts(
            Tool::Vector,
            &[
                ("endpoints", "https://es:9200"),
                ("tls.verify_hostname", "false"),
            ],
        );
        assert_eq!(f.tls_verify, "no_hostname");
        let f = facts(
            Tool::Vector,
            &[
                ("endpoints", "${ES_URL}"),
                ("auth.password", "${PW:-changeme}"),
            ],
        );
        assert!(f.unknown.contains_key("tls") && !f.plaintext);
        assert_eq!((f.password.as_str(), f.password_sample), ("fallback", true));
        let f = facts(
            Tool::Grafana,
            &[
                ("url", "https://es:9200"),
                ("jsondata.tlsskipverify", "true"),
                ("basicauthuser", "admin"),
                ("basicauthpassword", "pw"),
            ],
        );
        assert_eq!(f.tls_verify, "none");
        assert!(f.secret_unencrypted);
        assert_eq!(f.password, "literal");
        let f = facts(
            Tool::Grafana,
            &[
                ("url", "https://es:9200"),
                ("securejsondata.basicauthpassword", "$__env{ES_PW}"),
            ],
        );
        assert!(!f.secret_unencrypted);
        assert_eq!(f.password, "reference");
    }

    #[test]
    fn spring_uris_default_to_http_and_placeholders_fall_back() {
        let f = facts(
            Tool::Spring,
            &[
                ("spring.elasticsearch.password", "elasticadmin"),
                ("spring.elasticsearch.username", "admin"),
            ],
        );
        assert!(f.plaintext && f.loopback && f.credentials);
        let f = facts(
            Tool::Spring,
            &[
                ("spring.elasticsearch.uris", "localhost:9200"),
                ("spring.elasticsearch.password", "x"),
            ],
        );
        assert!(f.plaintext);
        let f = facts(
            Tool::Spring,
            &[
                (
                    "spring.elasticsearch.uris",
                    "${ELASTICSEARCH_URIS:http://127.0.0.1:9200}",
                ),
                (
                    "spring.elasticsearch.username",
                    "${ELASTICSEARCH_USERNAME:}",
                ),
                (
                    "spring.elasticsearch.password",
                    "${ELASTICSEARCH_PASSWORD:}",
                ),
            ],
        );
        assert!(f.plaintext && f.loopback && !f.credentials);
        let f = facts(
            Tool::Spring,
            &[
                ("spring.elasticsearch.uris", "https://es:9200"),
                ("spring.elasticsearch.password", "${ES_PW:s3cret}"),
            ],
        );
        assert!(!f.plaintext);
        assert_eq!(f.password, "fallback");
        let f = facts(
            Tool::Spring,
            &[(
                "spring.elasticsearch.uris",
                "http://${bpdm.elastic.host}:9200",
            )],
        );
        assert!(f.plaintext && !f.unknown.contains_key("tls"));
    }

    #[test]
    fn hosts_and_versions() {
        assert_eq!(host_of("https://u:p@[::1]:9200/x"), "::1");
        assert_eq!(host_of("localhost:9200"), "localhost");
        assert_eq!(host_of("#{ENV['H']}:9200"), "#{ENV['H']}");
        assert_eq!(url_userinfo("https://u:p@h:9200"), Some(("u", "p")));
        assert_eq!(url_userinfo("https://h:9200/a@b"), None);
        assert_eq!(
            hide_url_passwords("hosts = https://a:9200,https://u:p@b:9200/x"),
            "hosts = https://a:9200,https://u:(secret, not shown)@b:9200/x"
        );
        for (v, n) in [
            ("TLSv1_1", "TLSv1.1"),
            ("1.0", "TLSv1"),
            ("TLSv1.2", "TLSv1.2"),
            ("SSLv23", "SSLv3"),
        ] {
            assert_eq!(normal_tls_version(v), n);
        }
    }
}
