//! Configurations of the tools that send to Elasticsearch: Fluent Bit (classic `.conf`),
//! Fluentd, Vector (TOML and YAML), Grafana data sources, Spring Boot, the OpenTelemetry
//! Collector's `elasticsearch` exporter, Kafka Connect's Elasticsearch sink, and an
//! application's `.env`. Each Elasticsearch output, sink, exporter or data source becomes a
//! [`Client`] with its options as written, each where it is.

use crate::evidence::client::{Client, ClientOption, Tool};
use crate::evidence::{InputError, Location};
use crate::yaml::{self, Node, NodeKind};
use std::path::Path;

/// The tool whose configuration `text` is, when it sends to Elasticsearch. Only the content
/// decides, so a Logstash pipeline or `esaudit.toml` is never taken for one.
pub fn sniff(path: &Path, text: &str) -> Option<Tool> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let lines = || text.lines().map(str::trim);
    match ext.as_str() {
        // Fluentd configs are `.conf`, and `.cfg` where an operator writes them.
        "conf" if path.file_name().is_some_and(|n| n == "spark-defaults.conf") => {
            text.contains("spark.es.").then_some(Tool::EsHadoop)
        }
        "conf" if text.contains("omelasticsearch") => Some(Tool::Rsyslog),
        "conf" | "cfg" => {
            if lines().any(|l| l.eq_ignore_ascii_case("[output]")) {
                let es = lines().any(|l| {
                    let mut words = l.split_whitespace();
                    words.next().is_some_and(|k| k.eq_ignore_ascii_case("name"))
                        && words.next().is_some_and(|v| {
                            matches!(v.to_ascii_lowercase().as_str(), "es" | "elasticsearch")
                        })
                });
                return es.then_some(Tool::FluentBit);
            }
            let fluentd = lines().any(|l| l.starts_with("<match") || l.starts_with("<store"))
                && lines().any(|l| fluentd_es_type(l).is_some());
            fluentd.then_some(Tool::Fluentd)
        }
        "toml" => (text.contains("[sinks.")
            && lines().any(|l| l.replace(' ', "") == "type=\"elasticsearch\""))
        .then_some(Tool::Vector),
        "properties" if text.contains(KAFKA_SINK) => Some(Tool::KafkaConnect),
        "properties"
            if path
                .file_name()
                .is_some_and(|n| n == "elasticapm.properties") =>
        {
            Some(Tool::ApmAgent)
        }
        "properties" => {
            (is_spring_name(path) && text.contains("elasticsearch")).then_some(Tool::Spring)
        }
        "json" => text.contains(KAFKA_SINK).then_some(Tool::KafkaConnect),
        "yml" | "yaml" => {
            if is_spring_name(path) {
                return text.contains("elasticsearch").then_some(Tool::Spring);
            }
            let top = |key: &str| text.lines().any(|l| l.starts_with(key));
            // Jaeger v2: a `jaeger_storage` backend on Elasticsearch.
            if top("extensions:")
                && text.contains("jaeger_storage")
                && lines().any(|l| l == "elasticsearch:")
            {
                return Some(Tool::Jaeger);
            }
            // The Collector's `exporters:` with an `elasticsearch` or `elasticsearch/<name>`.
            let otel_exporter = text.lines().any(|l| {
                let t = l.trim();
                l.starts_with("  ")
                    && (t == "elasticsearch:"
                        || (t.starts_with("elasticsearch/") && t.ends_with(':')))
            });
            if top("exporters:") && otel_exporter {
                return Some(Tool::Otel);
            }
            // Curator's client file: `client:` with `hosts` and its TLS or auth options.
            let curator_keys = ["ssl_no_validate:", "use_ssl:", "http_auth:"];
            if top("client:")
                && lines().any(|l| l.starts_with("hosts:"))
                && lines().any(|l| curator_keys.iter().any(|k| l.starts_with(k)))
            {
                return Some(Tool::Curator);
            }
            // Strimzi's KafkaConnector resource.
            if text.contains(KAFKA_SINK) && text.contains("kind: KafkaConnector") {
                return Some(Tool::KafkaConnect);
            }
            // A line that reads `want` once its quotes are dropped (and its case, with
            // `any_case`); compared as it is read, as every YAML file met is sniffed.
            let reads = |line: &str, want: &str, any_case: bool| {
                line.trim_start_matches("- ")
                    .chars()
                    .filter(|c| !matches!(c, '"' | '\''))
                    .map(|c| if any_case { c.to_ascii_lowercase() } else { c })
                    .eq(want.chars())
            };
            let es_type = || lines().any(|l| reads(l, "type: elasticsearch", false));
            let es_name = || {
                lines().any(|l| reads(l, "name: es", true) || reads(l, "name: elasticsearch", true))
            };
            if top("pipeline:") && es_name() {
                Some(Tool::FluentBit)
            } else if !es_type() {
                None
            } else if top("datasources:") {
                Some(Tool::Grafana)
            } else if top("sinks:") {
                Some(Tool::Vector)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The class of Confluent's Elasticsearch sink connector.
const KAFKA_SINK: &str = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector";

/// Whether a file that is not YAML may be a client (read to find out): `.conf`, `.cfg` and
/// `.toml` files, Spring's `application*.properties`, and source code in the languages this
/// build reads.
pub fn may_be_client(path: &Path) -> bool {
    if is_code(path) || is_dotenv_name(path) {
        return true;
    }
    match path.extension().and_then(|e| e.to_str()) {
        // A logging configuration (`log4j2.properties` beside every node's elasticsearch.yml,
        // Kafka Connect's `connect-log4j.properties`) holds no connection, even where it names
        // a connector's classes for their loggers.
        Some("properties") => !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("log4j")),
        Some("conf" | "cfg" | "toml") => true,
        // A Kafka Connect connector's JSON; package manifests and lock files are not.
        Some("json") => !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            n.starts_with("package") || n.ends_with("-lock.json") || n.starts_with("tsconfig")
        }),
        _ => false,
    }
}

/// Whether `path` is source code in a language this build reads.
pub fn is_code(path: &Path) -> bool {
    #[cfg(feature = "code")]
    return super::code::language_of(path).is_some();
    #[cfg(not(feature = "code"))]
    return {
        let _ = path;
        false
    };
}

/// An application's `.env` (`.env`, `.env.production`), not a template of one
/// (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`).
fn is_dotenv_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name != ".env" && !name.starts_with(".env.") {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    !["example", "sample", "template", "dist", "tpl", "defaults"]
        .iter()
        .any(|t| lower.contains(t))
}

/// A `.env` that is a client's: it names an Elasticsearch variable, sits beside no compose
/// file (whose stack reads it, see `compose_env`), and no `.gitignore` above it keeps it out
/// of the repository.
fn is_app_dotenv(path: &Path, text: &str) -> bool {
    let names_es = ["ELASTIC", "ES_", "NODE_TLS_REJECT_UNAUTHORIZED"]
        .iter()
        .any(|m| text.contains(m));
    let dir = path.parent().unwrap_or(Path::new("."));
    let compose = std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| super::manifests::is_compose(&e.path()))
    });
    names_es && !compose && !gitignored(path)
}

/// Whether a `.gitignore` in the file's folder or one above names it (by a pattern on its
/// name: `.env`, `.env*`, `*.env`), so it is a local file, not one of the repository's.
fn gitignored(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let mut dir = path.parent();
    for _ in 0..16 {
        let Some(d) = dir else { break };
        if let Ok(text) = std::fs::read_to_string(d.join(".gitignore")) {
            let mut ignored = false;
            for line in text.lines().map(str::trim) {
                let (negated, pattern) = match line.strip_prefix('!') {
                    Some(p) => (true, p),
                    None => (false, line),
                };
                let pattern = pattern.trim_start_matches("**/").trim_start_matches('/');
                if pattern.is_empty() || pattern.starts_with('#') || pattern.contains('/') {
                    continue;
                }
                let matches = globset::Glob::new(pattern)
                    .map(|g| g.compile_matcher().is_match(name))
                    .unwrap_or(false);
                if matches {
                    ignored = !negated;
                }
            }
            if ignored {
                return true;
            }
        }
        if d.join(".git").exists() {
            break;
        }
        dir = d.parent();
    }
    false
}

/// Whether `text`, read from `path`, is a client's configuration or code that may build one.
pub fn is_client(path: &Path, text: &str) -> bool {
    if is_dotenv_name(path) {
        return is_app_dotenv(path, text);
    }
    #[cfg(feature = "code")]
    if let Some(lang) = super::code::language_of(path) {
        return super::code::mentions_client(lang, text);
    }
    sniff(path, text).is_some()
}

/// Spring Boot's configuration files: `application*.{yml,yaml,properties}` (profiles
/// included) and `bootstrap*`.
fn is_spring_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("application") || n.starts_with("bootstrap"))
}

/// The Elasticsearch connections of the client configuration at `path` (shown as `shown`),
/// or none when it is not one.
pub fn load(path: &Path, shown: &str) -> Result<Vec<Client>, InputError> {
    let error = |message: String| InputError {
        path: shown.to_string(),
        message,
    };
    let text = super::es_config::read_text(path).map_err(|e| error(e.to_string()))?;
    parse(path, &text, shown)
}

/// [`load`] on text already read.
pub fn parse(path: &Path, text: &str, shown: &str) -> Result<Vec<Client>, InputError> {
    let error = |message: String| InputError {
        path: shown.to_string(),
        message,
    };
    #[cfg(feature = "code")]
    if super::code::language_of(path).is_some() {
        let (tool, found) = super::code::parse(path, text, shown)?;
        return Ok(named(tool, shown, found));
    }
    if is_dotenv_name(path) {
        let found = dotenv(path, text, shown);
        return Ok(found
            .into_iter()
            .map(|(name, at, options)| {
                let apm = name.ends_with("APM agent");
                let tool = if apm { Tool::ApmAgent } else { Tool::DotEnv };
                named(tool, shown, vec![(name, at, options)]).remove(0)
            })
            .collect());
    }
    let Some(tool) = sniff(path, text) else {
        return Ok(vec![]);
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let found = match tool {
        Tool::FluentBit if ext == "yaml" || ext == "yml" => {
            from_yaml(text, shown, tool).map_err(error)?
        }
        Tool::FluentBit => fluent_bit(text, shown),
        Tool::Fluentd => fluentd(text, shown),
        Tool::Vector if ext == "toml" => vector_toml(text, shown).map_err(error)?,
        Tool::Vector | Tool::Grafana => from_yaml(text, shown, tool).map_err(error)?,
        Tool::Spring if ext == "properties" => spring(properties(text, shown)),
        Tool::KafkaConnect if ext == "properties" => kafka_connect(properties(text, shown)),
        Tool::KafkaConnect if ext == "json" => kafka_connect_json(text, shown).map_err(error)?,
        Tool::EsHadoop => spark_defaults(text, shown),
        Tool::Rsyslog => rsyslog(text, shown),
        Tool::ApmAgent => {
            let (at, options) = properties(text, shown).remove(0);
            vec![("elasticapm.properties".into(), at, options)]
        }
        Tool::Otel | Tool::KafkaConnect | Tool::Jaeger | Tool::Curator => {
            from_yaml(text, shown, tool).map_err(error)?
        }
        Tool::Spring => spring(spring_yaml(text, shown).map_err(error)?),
        _ => unreachable!("sniff gives configuration tools only"),
    };
    Ok(named(tool, shown, found))
}

/// Clients of `tool` from the connections found in the file shown as `shown`, each with an
/// id unique in the file.
fn named(tool: Tool, shown: &str, found: Vec<Connection>) -> Vec<Client> {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    found
        .into_iter()
        .map(|(name, declared_at, options)| {
            let word = name.split_whitespace().collect::<Vec<_>>().join("-");
            let count = seen.entry(word.clone()).or_default();
            *count += 1;
            let word = match *count {
                1 => word,
                n => format!("{word}-{n}"),
            };
            (name, word, declared_at, options)
        })
        .map(|(name, word, declared_at, options)| Client {
            // One word, unique in the file (data sources are named freely): ids are words
            // in waivers, baselines and reviews.
            id: format!("client:{shown}#{word}"),
            tool,
            name,
            path: shown.to_string(),
            declared_at,
            options,
        })
        .collect()
}

type Connection = (String, Location, Vec<ClientOption>);

/// A `.env` file: `KEY=value` lines (`export` allowed, values quoted or not, `#` comments),
/// one connection named by the file.
fn dotenv(path: &Path, text: &str, shown: &str) -> Vec<Connection> {
    let mut options = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        let indent = line.len() - l.len();
        let l = l.strip_prefix("export ").unwrap_or(l);
        if l.starts_with('#') {
            continue;
        }
        let Some((key, value)) = l.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default(),
            _ => value.split(" #").next().unwrap_or(value).trim(),
        };
        let column = indent + 1 + line.trim_start().len() - l.len() + key.len() + 1;
        options.push(ClientOption {
            key: key.trim().to_string(),
            value: value.to_string(),
            location: Location::at(shown, i + 1, column),
            resolved: None,
        });
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(".env")
        .to_string();
    // The APM agent's variables are a connection of their own, to APM Server.
    let (apm, es): (Vec<ClientOption>, Vec<ClientOption>) = options
        .into_iter()
        .partition(|o| o.key.starts_with("ELASTIC_APM_"));
    let mut out = Vec::new();
    let names_es = es.iter().any(|o| {
        o.key.starts_with("ELASTIC")
            || o.key.starts_with("ES_")
            || o.key == "NODE_TLS_REJECT_UNAUTHORIZED"
    });
    if names_es {
        out.push((name.clone(), Location::at(shown, 1, 1), es));
    }
    if !apm.is_empty() {
        let at = apm[0].location.clone();
        out.push((format!("{name} APM agent"), at, apm));
    }
    out
}

/// rsyslog's `action(type="omelasticsearch" …)` (RainerScript): each action is a connection,
/// its `name="value"` parameters (names case-insensitive) its options.
fn rsyslog(text: &str, path: &str) -> Vec<Connection> {
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(found) = text[search..].find("action(") {
        let start = search + found;
        let end = text[start..].find(')').map_or(text.len(), |e| start + e);
        let body = &text[start + "action(".len()..end];
        search = end.max(start + 1);
        if !body.to_ascii_lowercase().contains("omelasticsearch") {
            continue;
        }
        let line_col = |offset: usize| {
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let column = offset - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            Location::at(path, line, column)
        };
        let mut options = Vec::new();
        let mut rest = body;
        let mut at = start + "action(".len();
        while let Some(eq) = rest.find('=') {
            let name_start = rest[..eq]
                .rfind(|c: char| c.is_whitespace() || c == '(')
                .map_or(0, |i| i + 1);
            let name = rest[name_start..eq].trim();
            let after = rest[eq + 1..].trim_start();
            let skipped = rest.len() - eq - 1 - after.len();
            let (value, used) = match after.strip_prefix('"') {
                Some(q) => {
                    let close = q.find('"').unwrap_or(q.len());
                    (&q[..close], close + 2)
                }
                None => {
                    let word = after.split_whitespace().next().unwrap_or("");
                    (word, word.len())
                }
            };
            if !name.is_empty() {
                options.push(ClientOption {
                    key: name.to_ascii_lowercase(),
                    value: value.to_string(),
                    location: line_col(at + name_start),
                    resolved: None,
                });
            }
            let consumed = eq + 1 + skipped + used.min(after.len());
            at += consumed;
            rest = &rest[consumed.min(rest.len())..];
        }
        let name = options
            .iter()
            .find(|o| o.key == "name")
            .map_or_else(|| format!("action #{}", out.len() + 1), |o| o.value.clone());
        out.push((name, line_col(start), options));
    }
    out
}

/// Spark's `spark-defaults.conf`: `key value` (or `key=value`) lines; the `spark.es.*` ones
/// are ES-Hadoop's, one connection for the file.
fn spark_defaults(text: &str, path: &str) -> Vec<Connection> {
    let mut options = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let split = l
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(l.len());
        let (key, value) = (&l[..split], l[split..].trim_start_matches(['=', ' ', '\t']));
        if key.starts_with("spark.es.") {
            let column = line.len() - l.len() + 1;
            options.push(ClientOption {
                key: key.to_string(),
                value: value.trim().to_string(),
                location: Location::at(path, i + 1, column),
                resolved: None,
            });
        }
    }
    // Declared where its first `spark.es.*` setting is.
    let at = options
        .first()
        .map_or(Location::at(path, 1, 1), |o| o.location.clone());
    vec![("spark-defaults".into(), at, options)]
}

/// A Kafka Connect connector from its `.properties`: the Elasticsearch sink's options.
fn kafka_connect(docs: Vec<Document>) -> Vec<Connection> {
    docs.into_iter()
        .filter(|(_, options)| {
            options
                .iter()
                .any(|o| o.key == "connector.class" && o.value == KAFKA_SINK)
        })
        .map(|(at, options)| {
            let name = options
                .iter()
                .find(|o| o.key == "name")
                .map_or("connector".to_string(), |o| o.value.clone());
            (name, at, options)
        })
        .collect()
}

/// A Kafka Connect connector as JSON (the REST API's body: `{"name", "config": {…}}`, or
/// the config alone); each option located at the first line that names it.
fn kafka_connect_json(text: &str, path: &str) -> Result<Vec<Connection>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let config = doc.get("config").unwrap_or(&doc);
    let Some(map) = config.as_object() else {
        return Ok(vec![]);
    };
    if map.get("connector.class").and_then(|c| c.as_str()) != Some(KAFKA_SINK) {
        return Ok(vec![]);
    }
    let line_of = |key: &str| {
        let quoted = format!("\"{key}\"");
        text.lines()
            .position(|l| l.contains(&quoted))
            .map_or(Location::file(path), |i| {
                let column = text
                    .lines()
                    .nth(i)
                    .and_then(|l| l.find(&quoted))
                    .unwrap_or(0);
                Location::at(path, i + 1, column + 1)
            })
    };
    let options = map
        .iter()
        .map(|(k, v)| ClientOption {
            key: k.clone(),
            value: v.as_str().map_or_else(|| v.to_string(), String::from),
            location: line_of(k),
            resolved: None,
        })
        .collect();
    let name = doc
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("connector")
        .to_string();
    Ok(vec![(name, line_of("connector.class"), options)])
}

/// Fluent Bit's classic format: `[SECTION]` headers and `Key Value` lines; keys are
/// case-insensitive. Each `[OUTPUT]` whose `Name` is `es` is a connection.
fn fluent_bit(text: &str, path: &str) -> Vec<Connection> {
    let mut sections: Vec<(String, Location, Vec<ClientOption>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('@') {
            continue;
        }
        let at = Location::at(path, i + 1, indent + 1);
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            sections.push((name.trim().to_ascii_uppercase(), at, vec![]));
            continue;
        }
        let Some((_, _, options)) = sections.last_mut() else {
            continue;
        };
        let (key, value) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        options.push(ClientOption {
            key: key.to_ascii_lowercase(),
            value: value.trim().to_string(),
            location: at,
            resolved: None,
        });
    }
    let mut out = Vec::new();
    for (n, (_, at, options)) in sections
        .into_iter()
        .filter(|(s, _, _)| s == "OUTPUT")
        .enumerate()
    {
        let value = |k: &str| {
            options
                .iter()
                .rev()
                .find(|o| o.key == k)
                .map(|o| o.value.clone())
        };
        let plugin = value("name").unwrap_or_default().to_ascii_lowercase();
        if plugin != "es" && plugin != "elasticsearch" {
            continue;
        }
        let name = value("alias").unwrap_or_else(|| format!("output #{}", n + 1));
        out.push((name, at, options));
    }
    out
}

/// The Elasticsearch output type a Fluentd directive line names, if it names one.
fn fluentd_es_type(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("@type")
        .or_else(|| line.strip_prefix("type"))?;
    let t = rest.trim().trim_matches('"');
    matches!(
        t,
        "elasticsearch" | "elasticsearch_data_stream" | "elasticsearch_dynamic"
    )
    .then_some(t)
}

/// Fluentd's format: `<section arg>` … `</section>` blocks holding `key value` lines and
/// further blocks. Each `<match>` or `<store>` block whose `@type` is an Elasticsearch output
/// is a connection, with its own lines (not those of nested `<buffer>` blocks).
fn fluentd(text: &str, path: &str) -> Vec<Connection> {
    struct Open {
        tag: String,
        arg: String,
        at: Location,
        options: Vec<ClientOption>,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut out = Vec::new();
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let at = Location::at(path, i + 1, indent + 1);
        if let Some(inner) = l.strip_prefix("</") {
            let tag = inner.trim_end_matches('>').trim();
            let Some(pos) = stack.iter().rposition(|o| o.tag == tag) else {
                continue;
            };
            let closed = stack.remove(pos);
            stack.truncate(pos);
            // The last `@type` is the one Fluentd uses.
            let es = closed
                .options
                .iter()
                .rev()
                .find(|o| o.key == "@type" || o.key == "type")
                .is_some_and(|o| fluentd_es_type(&format!("@type {}", o.value)).is_some());
            if es && matches!(closed.tag.as_str(), "match" | "store") {
                count += 1;
                let name = match closed.arg.as_str() {
                    "" => format!("<{}> #{count}", closed.tag),
                    arg => format!("<{} {arg}> #{count}", closed.tag),
                };
                out.push((name, closed.at, closed.options));
            }
            continue;
        }
        if let Some(inner) = l.strip_prefix('<') {
            let inner = inner.trim_end_matches('>').trim();
            let (tag, arg) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
            stack.push(Open {
                tag: tag.to_string(),
                arg: arg.trim().to_string(),
                at,
                options: vec![],
            });
            continue;
        }
        let Some(open) = stack.last_mut() else {
            continue;
        };
        let (key, value) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        open.options.push(ClientOption {
            key: key.to_string(),
            // Quotes kept: Fluentd runs `#{…}` in double-quoted values only.
            value: value.trim().to_string(),
            location: at,
            resolved: None,
        });
    }
    out
}

/// A Vector TOML config: each `[sinks.<name>]` of type `elasticsearch`.
fn vector_toml(text: &str, path: &str) -> Result<Vec<Connection>, String> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).map_err(|e| format!("not valid TOML: {}", e.message()))?;
    let position = |offset: usize| {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location::at(path, line, column)
    };
    let mut out = Vec::new();
    let Some(DeValue::Table(sinks)) = root.get_ref().get("sinks").map(|v| v.get_ref()) else {
        return Ok(out);
    };
    for (name, sink) in sinks {
        let DeValue::Table(table) = sink.get_ref() else {
            continue;
        };
        let is_es = matches!(table.get("type").map(|t| t.get_ref()), Some(DeValue::String(t)) if t == "elasticsearch");
        if !is_es {
            continue;
        }
        let mut options = Vec::new();
        let mut pending: Vec<(String, &toml::Spanned<DeValue>)> = table
            .iter()
            .map(|(k, v)| (k.get_ref().to_string(), v))
            .collect();
        while let Some((key, value)) = pending.pop() {
            let at = position(value.span().start);
            match value.get_ref() {
                DeValue::Table(t) => {
                    pending.extend(t.iter().map(|(k, v)| (format!("{key}.{}", k.get_ref()), v)))
                }
                DeValue::Array(items) => {
                    let texts: Vec<String> = items.iter().map(|i| toml_text(i.get_ref())).collect();
                    options.push(ClientOption {
                        key,
                        value: texts.join(", "),
                        location: at,
                        resolved: None,
                    });
                }
                other => options.push(ClientOption {
                    key,
                    value: toml_text(other),
                    location: at,
                    resolved: None,
                }),
            }
        }
        options.sort_by(|a, b| {
            (a.location.line, a.location.column).cmp(&(b.location.line, b.location.column))
        });
        out.push((
            format!("sinks.{}", name.get_ref()),
            position(name.span().start),
            options,
        ));
    }
    Ok(out)
}

fn toml_text(v: &toml::de::DeValue) -> String {
    use toml::de::DeValue;
    match v {
        DeValue::String(s) => s.to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        _ => String::new(),
    }
}

/// A Fluent Bit YAML config (`pipeline.outputs` named `es`), a Vector YAML config (`sinks:` of
/// type `elasticsearch`) or a Grafana provisioning file (`datasources:` of type
/// `elasticsearch`). Fluent Bit's and Grafana's keys are read lower-cased
/// (`tls.verify`, `jsondata.tlsskipverify`), as their loaders match them.
fn from_yaml(text: &str, path: &str, tool: Tool) -> Result<Vec<Connection>, String> {
    let docs = yaml::parse(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut out = Vec::new();
    for doc in &docs {
        let entries: Vec<(String, &Node)> = match tool {
            // Fluent Bit's YAML format: outputs under `pipeline`; an `elasticsearch` input
            // (Fluent Bit serving the bulk API) is not a client.
            Tool::FluentBit => match doc
                .get("pipeline")
                .and_then(|p| p.get("outputs"))
                .map(|o| &o.kind)
            {
                Some(NodeKind::Seq(list)) => list
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| {
                        o.get("name").and_then(Node::as_str).is_some_and(|n| {
                            n.eq_ignore_ascii_case("es") || n.eq_ignore_ascii_case("elasticsearch")
                        })
                    })
                    .map(|(i, o)| {
                        let alias = o.get("alias").and_then(Node::as_str).map(String::from);
                        (alias.unwrap_or_else(|| format!("output #{}", i + 1)), o)
                    })
                    .collect(),
                _ => vec![],
            },
            Tool::Grafana => match doc.get("datasources").map(|d| &d.kind) {
                Some(NodeKind::Seq(list)) => list
                    .iter()
                    .enumerate()
                    .map(|(i, ds)| {
                        let name = ds.get("name").and_then(Node::as_str).map(String::from);
                        (name.unwrap_or_else(|| format!("datasource #{}", i + 1)), ds)
                    })
                    .collect(),
                _ => vec![],
            },
            Tool::Otel => match doc.get("exporters").map(|d| &d.kind) {
                Some(NodeKind::Map(exporters)) => exporters
                    .iter()
                    .filter_map(|(k, v)| {
                        let k = k.as_str()?;
                        (k == "elasticsearch" || k.starts_with("elasticsearch/"))
                            .then(|| (format!("exporters.{k}"), v))
                    })
                    .collect(),
                _ => vec![],
            },
            Tool::Jaeger => match doc
                .get("extensions")
                .and_then(|e| e.get("jaeger_storage"))
                .and_then(|s| s.get("backends"))
                .map(|b| &b.kind)
            {
                Some(NodeKind::Map(backends)) => backends
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((format!("backends.{}", k.as_str()?), v.get("elasticsearch")?))
                    })
                    .collect(),
                _ => vec![],
            },
            Tool::Curator => match doc.get("client") {
                Some(client) => vec![("client".to_string(), client)],
                None => vec![],
            },
            Tool::KafkaConnect => match doc.get("spec") {
                Some(spec) if doc.get("kind").and_then(Node::as_str) == Some("KafkaConnector") => {
                    let name = doc
                        .get("metadata")
                        .and_then(|m| m.get("name"))
                        .and_then(Node::as_str)
                        .unwrap_or("connector");
                    vec![(name.to_string(), spec)]
                }
                _ => vec![],
            },
            _ => match doc.get("sinks").map(|d| &d.kind) {
                Some(NodeKind::Map(sinks)) => sinks
                    .iter()
                    .filter_map(|(k, v)| Some((format!("sinks.{}", k.as_str()?), v)))
                    .collect(),
                _ => vec![],
            },
        };
        for (name, node) in entries {
            let typed = matches!(tool, Tool::Vector | Tool::Grafana);
            if typed && node.get("type").and_then(Node::as_str) != Some("elasticsearch") {
                continue;
            }
            let mut options = Vec::new();
            if tool == Tool::KafkaConnect {
                // The connector's class and its `config` map, as the properties spell them.
                if node.get("class").and_then(Node::as_str) != Some(KAFKA_SINK) {
                    continue;
                }
                if let Some(config) = node.get("config") {
                    flatten(config, "", false, path, &mut options);
                }
            } else {
                flatten(
                    node,
                    "",
                    !matches!(tool, Tool::Vector | Tool::Otel),
                    path,
                    &mut options,
                );
            }
            // The Collector's basic-auth extension the exporter names.
            if tool == Tool::Otel
                && let Some(ext) = options
                    .iter()
                    .find(|o| o.key == "auth.authenticator")
                    .map(|o| o.value.clone())
                && let Some(node) = doc.get("extensions").and_then(|e| e.get(&ext))
            {
                flatten(node, "authenticator", false, path, &mut options);
            }
            out.push((
                name,
                Location::at(path, node.pos.line, node.pos.column),
                options,
            ));
        }
    }
    Ok(out)
}

/// Spring Boot's documents (`---` in YAML, `#---` in properties), each as dotted keys; a
/// list (`uris: [a, b]`, `uris[0]=a`) becomes one comma-separated value.
type Document = (Location, Vec<ClientOption>);

/// The documents of a Spring YAML file, flattened.
fn spring_yaml(text: &str, path: &str) -> Result<Vec<Document>, String> {
    let docs = yaml::parse(text).map_err(|e| format!("not valid YAML: {e}"))?;
    Ok(docs
        .iter()
        .map(|doc| {
            let mut options = Vec::new();
            flatten(doc, "", false, path, &mut options);
            (Location::at(path, doc.pos.line, doc.pos.column), options)
        })
        .collect())
}

/// A `.properties` file: `key=value`, `key: value` or `key value` lines, `#` and `!` comments,
/// `\` continuations, `#---` between documents.
fn properties(text: &str, path: &str) -> Vec<Document> {
    let mut docs: Vec<Document> = vec![(Location::at(path, 1, 1), vec![])];
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let l = line.trim_start();
        if l == "#---" || l == "!---" {
            docs.push((Location::at(path, i + 2, 1), vec![]));
            continue;
        }
        if l.is_empty() || l.starts_with('#') || l.starts_with('!') {
            continue;
        }
        let mut logical = l.to_string();
        while logical.ends_with('\\') {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let split = logical
            .find(['=', ':'])
            .or_else(|| logical.find(char::is_whitespace))
            .unwrap_or(logical.len());
        let key = logical[..split].trim();
        let value = logical.get(split + 1..).unwrap_or_default().trim();
        let at = Location::at(path, i + 1, line.len() - l.len() + 1);
        let options = &mut docs.last_mut().expect("one document at least").1;
        // `uris[0]=a`, `uris[1]=b`: one list.
        let (key, indexed) = match key.split_once('[') {
            Some((k, rest)) if rest.ends_with(']') => (k, true),
            _ => (key, false),
        };
        match options.iter_mut().find(|o| indexed && o.key == key) {
            Some(o) => o.value = format!("{}, {value}", o.value),
            None => options.push(ClientOption {
                key: key.to_string(),
                value: value.to_string(),
                location: at,
                resolved: None,
            }),
        }
    }
    docs
}

/// The Spring documents that configure an Elasticsearch client, one connection each, named by
/// the profile they activate on.
fn spring(docs: Vec<Document>) -> Vec<Connection> {
    const KEYS: &[&str] = &[
        "spring.elasticsearch.uris",
        "spring.elasticsearch.username",
        "spring.elasticsearch.password",
        "spring.elasticsearch.api-key",
        "spring.elasticsearch.rest.uris",
        "spring.elasticsearch.rest.username",
        "spring.elasticsearch.rest.password",
        "spring.data.elasticsearch.client.reactive.endpoints",
        "spring.data.elasticsearch.client.reactive.username",
        "spring.data.elasticsearch.client.reactive.password",
    ];
    docs.into_iter()
        .filter(|(_, options)| options.iter().any(|o| KEYS.contains(&o.key.as_str())))
        .map(|(at, options)| {
            let profile = options
                .iter()
                .find(|o| {
                    o.key == "spring.config.activate.on-profile" || o.key == "spring.profiles"
                })
                .map(|o| o.value.clone());
            let name = match profile {
                Some(p) => format!("spring.elasticsearch (profile {p})"),
                None => "spring.elasticsearch".to_string(),
            };
            let at = options
                .iter()
                .find(|o| o.key.contains("elasticsearch"))
                .map_or(at, |o| o.location.clone());
            (name, at, options)
        })
        .collect()
}

fn flatten(node: &Node, prefix: &str, lower: bool, path: &str, out: &mut Vec<ClientOption>) {
    let NodeKind::Map(entries) = &node.kind else {
        return;
    };
    for (k, v) in entries {
        let Some(key) = k.as_str() else { continue };
        let key = if lower {
            key.to_ascii_lowercase()
        } else {
            key.to_string()
        };
        let full = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        match &v.kind {
            NodeKind::Map(_) => flatten(v, &full, lower, path, out),
            NodeKind::Seq(items) => out.push(ClientOption {
                key: full,
                value: items
                    .iter()
                    .filter_map(Node::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                location: Location::at(path, k.pos.line, k.pos.column),
                resolved: None,
            }),
            NodeKind::Scalar { text, .. } => out.push(ClientOption {
                key: full,
                value: text.clone(),
                location: Location::at(path, k.pos.line, k.pos.column),
                resolved: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_tool() {
        let p = |n: &str| Path::new(n).to_path_buf();
        assert_eq!(
            sniff(&p("fluent-bit.conf"), "[OUTPUT]\n    Name  es\n"),
            Some(Tool::FluentBit)
        );
        assert_eq!(
            sniff(&p("fluent-bit.conf"), "[OUTPUT]\n    Name  stdout\n"),
            None
        );
        assert_eq!(
            sniff(
                &p("td.conf"),
                "<match **>\n  @type elasticsearch\n</match>\n"
            ),
            Some(Tool::Fluentd)
        );
        assert_eq!(
            sniff(
                &p("pipeline.conf"),
                "input { beats {} }\noutput { elasticsearch {} }\n"
            ),
            None
        );
        assert_eq!(
            sniff(&p("vector.toml"), "[sinks.es]\ntype = \"elasticsearch\"\n"),
            Some(Tool::Vector)
        );
        assert_eq!(sniff(&p("esaudit.toml"), "profile = \"strict\"\n"), None);
        assert_eq!(
            sniff(
                &p("ds.yaml"),
                "datasources:\n  - name: x\n    type: elasticsearch\n"
            ),
            Some(Tool::Grafana)
        );
        assert_eq!(
            sniff(
                &p("ds.yaml"),
                "datasources:\n  - name: x\n    type: prometheus\n"
            ),
            None
        );
        assert_eq!(
            sniff(
                &p("fluent-bit.yaml"),
                "pipeline:\n  outputs:\n    - name: es\n"
            ),
            Some(Tool::FluentBit)
        );
    }

    #[test]
    fn spring_properties_and_yaml_documents() {
        let text = "#Handle configuration\nspring.elasticsearch.uris=http://a:9200\nspring.elasticsearch.password : s3cret\n#---\nspring.config.activate.on-profile=dev\nspring.elasticsearch.uris[0]=https://b:9200\nspring.elasticsearch.uris[1]=https://c:9200\nother.key=x\n#---\nserver.port=8080\n";
        let found = spring(properties(text, "application.properties"));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "spring.elasticsearch");
        assert_eq!(found[0].1.line, Some(2));
        let pw = found[0]
            .2
            .iter()
            .find(|o| o.key == "spring.elasticsearch.password")
            .unwrap();
        assert_eq!((pw.value.as_str(), pw.location.line), ("s3cret", Some(3)));
        assert_eq!(found[1].0, "spring.elasticsearch (profile dev)");
        let uris = found[1]
            .2
            .iter()
            .find(|o| o.key == "spring.elasticsearch.uris")
            .unwrap();
        assert_eq!(uris.value, "https://b:9200, https://c:9200");
        let yaml = "spring:\n  elasticsearch:\n    uris: http://es:9200\n    password: pw\n";
        let found = spring(spring_yaml(yaml, "application.yml").unwrap());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.line, Some(3), "at the first elasticsearch key");
        assert_eq!(
            sniff(Path::new("application-prod.yml"), yaml),
            Some(Tool::Spring)
        );
        assert_eq!(sniff(Path::new("config.yml"), yaml), None);
    }

    #[test]
    fn fluent_bit_outputs() {
        let text = "[SERVICE]\n    Flush 1\n\n[OUTPUT]\n    Name  es\n    Match *\n    HTTP_User elastic\n    tls   On\n[OUTPUT]\n    Name stdout\n";
        let found = fluent_bit(text, "f.conf");
        assert_eq!(found.len(), 1);
        let (name, at, options) = &found[0];
        assert_eq!(name, "output #1");
        assert_eq!(at.line, Some(4));
        let user = options.iter().find(|o| o.key == "http_user").unwrap();
        assert_eq!(
            (user.value.as_str(), user.location.line),
            ("elastic", Some(7))
        );
    }

    #[test]
    fn fluentd_blocks() {
        let text = "<match app.**>\n  @type copy\n  <store>\n    @type elasticsearch\n    host es\n    password \"#{ENV['PW']}\"\n    <buffer>\n      flush_interval 5s\n    </buffer>\n  </store>\n  <store>\n    @type stdout\n  </store>\n</match>\n";
        let found = fluentd(text, "td.conf");
        assert_eq!(found.len(), 1);
        let (name, at, options) = &found[0];
        assert_eq!(name, "<store> #1");
        assert_eq!(at.line, Some(3));
        let keys: Vec<&str> = options.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["@type", "host", "password"]);
        assert_eq!(options[2].value, "\"#{ENV['PW']}\"");
    }

    #[test]
    fn fluent_bit_yaml_outputs_not_inputs() {
        let yaml = "pipeline:\n  inputs:\n    - name: elasticsearch\n      tls: on\n  outputs:\n    - name: es\n      Host: es01\n      tls: on\n      tls.verify: off\n";
        let found = from_yaml(yaml, "fb.yaml", Tool::FluentBit).unwrap();
        assert_eq!(found.len(), 1);
        let (name, at, options) = &found[0];
        assert_eq!((name.as_str(), at.line), ("output #1", Some(6)));
        let verify = options.iter().find(|o| o.key == "tls.verify").unwrap();
        assert_eq!(
            (verify.value.as_str(), verify.location.line),
            ("off", Some(9))
        );
        assert!(options.iter().any(|o| o.key == "host"));
    }

    #[test]
    fn vector_toml_and_yaml() {
        let toml = "[sinks.out]\ntype = \"elasticsearch\"\ninputs = [\"in\"]\nendpoints = [\"http://es:9200\"]\n[sinks.out.tls]\nverify_certificate = false\n";
        let found = vector_toml(toml, "v.toml").unwrap();
        assert_eq!(found.len(), 1);
        let (name, at, options) = &found[0];
        assert_eq!(name, "sinks.out");
        assert_eq!(at.line, Some(1));
        let o = |k: &str| options.iter().find(|o| o.key == k).unwrap();
        assert_eq!(o("endpoints").value, "http://es:9200");
        assert_eq!(o("tls.verify_certificate").value, "false");
        assert_eq!(o("tls.verify_certificate").location.line, Some(6));
        let yaml = "sinks:\n  es:\n    type: elasticsearch\n    endpoints:\n      - https://es:9200\n    auth:\n      strategy: basic\n      password: pw\n";
        let found = from_yaml(yaml, "v.yaml", Tool::Vector).unwrap();
        let (name, _, options) = &found[0];
        assert_eq!(name, "sinks.es");
        let pw = options.iter().find(|o| o.key == "auth.password").unwrap();
        assert_eq!(pw.location.line, Some(8));
    }

    #[test]
    fn otel_exporters_and_their_basic_auth_extension() {
        let yaml = "extensions:\n  basicauth/es:\n    client_auth:\n      username: app\n      password: pw\n\
                    exporters:\n  otlp:\n    endpoint: x\n  elasticsearch/logs:\n    endpoints: [https://es:9200]\n\
                    \x20   auth:\n      authenticator: basicauth/es\n";
        assert_eq!(sniff(Path::new("otel.yaml"), yaml), Some(Tool::Otel));
        let found = from_yaml(yaml, "otel.yaml", Tool::Otel).unwrap();
        assert_eq!(found.len(), 1, "only the elasticsearch exporter");
        let (name, _, options) = &found[0];
        assert_eq!(name, "exporters.elasticsearch/logs");
        let pw = options
            .iter()
            .find(|o| o.key == "authenticator.client_auth.password")
            .unwrap();
        assert_eq!(pw.location.line, Some(5), "where the extension writes it");
    }

    #[test]
    fn logging_configurations_are_never_clients() {
        // Kafka Connect's own logging config names the sink's classes for their loggers.
        let path = Path::new("config/connect-log4j.properties");
        let text =
            "log4j.logger.io.confluent.connect.elasticsearch.ElasticsearchSinkConnector=DEBUG\n";
        assert!(text.contains(KAFKA_SINK));
        assert!(!may_be_client(path));
        assert!(!may_be_client(Path::new("config/log4j2.properties")));
        assert!(may_be_client(Path::new("config/sink.properties")));
    }

    #[test]
    fn kafka_connect_sinks_in_properties_json_and_strimzi() {
        let props = "name=s\nconnector.class=io.confluent.connect.elasticsearch.ElasticsearchSinkConnector\nconnection.url=http://es:9200\n";
        assert_eq!(
            sniff(Path::new("s.properties"), props),
            Some(Tool::KafkaConnect)
        );
        assert_eq!(kafka_connect(properties(props, "s.properties"))[0].0, "s");
        let json = "{\"name\": \"j\", \"config\": {\n  \"connector.class\": \"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector\",\n  \"connection.url\": \"http://es:9200\"\n}}";
        let found = kafka_connect_json(json, "s.json").unwrap();
        let url = found[0]
            .2
            .iter()
            .find(|o| o.key == "connection.url")
            .unwrap();
        assert_eq!(url.location.line, Some(3));
        let jdbc = json.replace(
            "elasticsearch.ElasticsearchSinkConnector",
            "jdbc.JdbcSinkConnector",
        );
        assert_eq!(sniff(Path::new("s.json"), &jdbc), None);
        let strimzi = "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata:\n  name: es\nspec:\n  class: io.confluent.connect.elasticsearch.ElasticsearchSinkConnector\n  config:\n    connection.url: https://es:9200\n";
        assert_eq!(
            sniff(Path::new("c.yaml"), strimzi),
            Some(Tool::KafkaConnect)
        );
        let found = from_yaml(strimzi, "c.yaml", Tool::KafkaConnect).unwrap();
        assert_eq!(found[0].0, "es");
        assert!(found[0].2.iter().any(|o| o.key == "connection.url"));
    }
}
