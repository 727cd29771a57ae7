//! Docker Compose as Compose reads it: the `.env` file beside the compose file, `${VAR}`
//! interpolation with its default and error forms, `env_file:`, and the ports a service
//! publishes on the host.
//!
//! The process environment of the scan is never read: a CI runner's variables say nothing
//! about the deployment, and a variable nobody defined stays unresolved.

use std::collections::BTreeMap;
use std::path::Path;

/// Variables of a `.env` or `env_file:` file: `KEY=VALUE` lines, `export` allowed, `#`
/// comments, values optionally in single or double quotes. A missing or unreadable file is
/// empty.
pub fn read_env_file(path: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    parse_env(&text)
}

pub fn parse_env(text: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = if let Some(inner) = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        {
            inner.to_string()
        } else {
            // An unquoted value ends at an inline comment.
            value
                .split(" #")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        vars.insert(key.trim().to_string(), value);
    }
    vars
}

/// Compose interpolation of `text` with `vars`: `${VAR}`, `$VAR`, `${VAR:-default}` (default
/// when unset or empty), `${VAR-default}` (when unset), `${VAR:?message}` / `${VAR?message}`
/// (required), `$$` for a literal `$`. A variable that is not defined and has no default is left
/// as `${VAR}`, which the settings reader reports as unresolved.
pub fn interpolate(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                out.push_str(&rest[i..]);
                return out;
            };
            out.push_str(&expand(&body[..end], vars));
            rest = &body[end + 1..];
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_len == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(&expand(&after[..name_len], vars));
            rest = &after[name_len..];
        }
    }
    out.push_str(rest);
    out
}

/// One `${…}` expression.
fn expand(expr: &str, vars: &BTreeMap<String, String>) -> String {
    let split = expr.find([':', '-', '?']).unwrap_or(expr.len());
    let (name, op) = expr.split_at(split);
    let value = vars.get(name);
    let unresolved = || format!("${{{name}}}");
    if let Some(default) = op.strip_prefix(":-") {
        return match value {
            Some(v) if !v.is_empty() => v.clone(),
            _ => interpolate(default, vars),
        };
    }
    if let Some(default) = op.strip_prefix('-') {
        return match value {
            Some(v) => v.clone(),
            None => interpolate(default, vars),
        };
    }
    // `:?` and `?` (required) and the plain form: the value, or unresolved.
    match value {
        Some(v) if !(op.starts_with(":?") && v.is_empty()) => v.clone(),
        _ => unresolved(),
    }
}

/// A container port a compose service publishes on the host, and the host address it binds
/// (empty: every interface).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    pub container_port: u16,
    pub host_ip: String,
}

/// The ports of `ports:` entries already interpolated: short syntax (`"9200"`,
/// `"9200:9200"`, `"127.0.0.1:9200:9200"`, `"[::1]:9200:9200"`, ranges, `/tcp`) or long
/// (`target`, `host_ip`). A port given alone is published on a random host port, still on
/// every interface.
pub fn published(entries: &[PortEntry]) -> Vec<Published> {
    let mut out = Vec::new();
    for e in entries {
        match e {
            PortEntry::Short(text) => {
                let text = text.split('/').next().unwrap_or_default().trim();
                let (host_ip, rest) = match text.strip_prefix('[') {
                    Some(v6) => match v6.split_once("]:") {
                        Some((ip, rest)) => (ip.to_string(), rest),
                        None => continue,
                    },
                    None => {
                        let parts: Vec<&str> = text.split(':').collect();
                        match parts.len() {
                            3 => (parts[0].to_string(), &text[parts[0].len() + 1..]),
                            _ => (String::new(), text),
                        }
                    }
                };
                let container = rest.rsplit(':').next().unwrap_or(rest);
                for port in port_range(container) {
                    out.push(Published {
                        container_port: port,
                        host_ip: host_ip.clone(),
                    });
                }
            }
            PortEntry::Long { target, host_ip } => out.push(Published {
                container_port: *target,
                host_ip: host_ip.clone(),
            }),
        }
    }
    out
}

/// One `ports:` entry as written.
pub enum PortEntry {
    Short(String),
    Long { target: u16, host_ip: String },
}

fn port_range(text: &str) -> Vec<u16> {
    match text.split_once('-') {
        Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            (Ok(a), Ok(b)) if a <= b && b - a < 1024 => (a..=b).collect(),
            _ => vec![],
        },
        None => text.trim().parse().ok().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_and_interpolation_as_compose_reads_them() {
        let vars = parse_env(
            "# versions\nSTACK_VERSION=8.15.1\nexport ES_PORT=127.0.0.1:9200\nEMPTY=\n\
             QUOTED=\"a b\"\nKIBANA_PASSWORD=changeme # sample\n",
        );
        assert_eq!(vars["ES_PORT"], "127.0.0.1:9200");
        assert_eq!(vars["QUOTED"], "a b");
        assert_eq!(vars["KIBANA_PASSWORD"], "changeme");
        let cases = [
            ("elasticsearch:${STACK_VERSION}", "elasticsearch:8.15.1"),
            ("elasticsearch:$STACK_VERSION", "elasticsearch:8.15.1"),
            (
                "elasticsearch:${ES_VERSION:-7.10.2}",
                "elasticsearch:7.10.2",
            ),
            ("${EMPTY:-fallback}", "fallback"),
            ("${EMPTY-fallback}", ""),
            ("${UNSET-fallback}", "fallback"),
            ("${UNSET}", "${UNSET}"),
            ("${UNSET:?set it}", "${UNSET}"),
            ("${STACK_VERSION:?set it}", "8.15.1"),
            ("$$HOME", "$HOME"),
            ("${ES_PORT}:9200", "127.0.0.1:9200:9200"),
        ];
        for (text, expected) in cases {
            assert_eq!(interpolate(text, &vars), expected, "{text}");
        }
    }

    #[test]
    fn published_ports() {
        let short = |t: &str| PortEntry::Short(t.to_string());
        let p = published(&[
            short("9200:9200"),
            short("127.0.0.1:5601:5601"),
            short("[::1]:9300:9300/tcp"),
            short("5044"),
            short("9600-9601:9600-9601"),
            PortEntry::Long {
                target: 8220,
                host_ip: "10.0.0.5".into(),
            },
        ]);
        let seen: Vec<(u16, &str)> = p
            .iter()
            .map(|p| (p.container_port, p.host_ip.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (9200, ""),
                (5601, "127.0.0.1"),
                (9300, "::1"),
                (5044, ""),
                (9600, ""),
                (9601, ""),
                (8220, "10.0.0.5")
            ]
        );
    }
}
