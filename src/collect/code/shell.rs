//! Shell: each `curl` command line to Elasticsearch is a client. Its flags are read the way
//! curl reads them (`-k`, `-u user:password`, `-H 'Authorization: ApiKey …'`, `--tlsv1.0`,
//! `--tls-max`, combined short flags like `-sku`), its URLs by their shape; a word with `$`
//! in it is what the shell expands at run time (`${X:-fallback}` falls back).
//!
//! Dockerfiles and Makefiles are read as shell with everything but `RUN` instructions and
//! recipe lines blanked, so lines (and, but for make's `$$`, columns) stay those of the file.

use super::{Grammar, Lang, Shape, Src, named};
use crate::evidence::client::{ClientOption, Tool, Value};
use std::borrow::Cow;
use tree_sitter::Node;

pub(super) struct Shell;

impl Grammar for Shell {
    fn tool(&self) -> Tool {
        Tool::Shell
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_bash::LANGUAGE.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/shell.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "command" => Shape::Map(curl_options(src, n)),
            _ => {
                let text = unquote(src.of(n));
                Shape::Scalar(classify(&text))
            }
        }
    }

    fn prepare<'a>(&self, lang: Lang, text: &'a str) -> Cow<'a, str> {
        match lang {
            Lang::Dockerfile => Cow::Owned(dockerfile_as_shell(text)),
            Lang::Makefile => Cow::Owned(makefile_as_shell(text)),
            Lang::CiWorkflow => {
                Cow::Owned(ci_steps_as_shell(&github_expressions_as_variables(text)))
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// A curl command is a client of Elasticsearch when a URL has its port (9200) or an API
    /// path (`/_cluster/…`), or it logs in as `elastic` or with an API key.
    fn keep(&self, options: &[ClientOption]) -> bool {
        options.iter().any(|o| {
            let text = match &o.resolved {
                Some(Value::Literal(t) | Value::Fallback(t) | Value::Unresolved(t)) => t.as_str(),
                _ => "",
            };
            (o.key.starts_with("url.") && (text.contains(":9200") || api_path(text)))
                || (o.key == "user" && text.starts_with("elastic:"))
                || (o.key.starts_with("header.") && text.contains("ApiKey"))
        })
    }
}

/// Whether a URL's path starts with an Elasticsearch API (`/_cluster/health`).
fn api_path(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split_once('/')
        .is_some_and(|(_, path)| path.starts_with('_'))
}

/// The options of a curl command line, each with the word that holds its value.
fn curl_options<'t>(src: &Src<'t>, n: Node<'t>) -> Vec<(String, Node<'t>)> {
    let args: Vec<Node> = named(n)
        .filter(|a| n.child_by_field_name("name") != Some(*a))
        .filter(|a| {
            !matches!(
                a.kind(),
                "command_name" | "variable_assignment" | "file_redirect" | "herestring_redirect"
            )
        })
        .collect();
    let mut out = Vec::new();
    let (mut urls, mut headers) = (0, 0);
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        let word = unquote(src.of(a));
        let next = args.get(i + 1).copied();
        let mut takes = |key: &str, out: &mut Vec<(String, Node<'t>)>| {
            if let Some(v) = next {
                out.push((key.to_string(), v));
            }
            i += 1;
        };
        match word.as_str() {
            "-k" | "--insecure" => out.push(("insecure".into(), a)),
            "-u" | "--user" => takes("user", &mut out),
            "-H" | "--header" => {
                takes(&format!("header.{headers}"), &mut out);
                headers += 1;
            }
            "--url" => {
                takes(&format!("url.{urls}"), &mut out);
                urls += 1;
            }
            "--cacert" | "--capath" | "--pinnedpubkey" => takes("cacert", &mut out),
            "--tls-max" => takes("tls_max", &mut out),
            "--tlsv1" | "--tlsv1.0" | "--tlsv1.1" | "-1" | "--sslv3" | "-3" => {
                out.push(("tls_min".into(), a))
            }
            w if w.starts_with("--") && takes_value(w) => i += 1,
            w if w.starts_with("--") => {}
            w if w.starts_with('-') && w.len() > 1 => {
                // Short flags, combined (`-sku user:pw`) or with their value attached
                // (`-XPUT`, `-uelastic:pw`): the first flag that takes a value takes the
                // rest of the word, else the next word.
                for (at, flag) in w.char_indices().skip(1) {
                    if flag == 'k' {
                        out.push(("insecure".into(), a));
                        continue;
                    }
                    if !"uHXdoewEAbTmFxrKYyzCc".contains(flag) {
                        continue;
                    }
                    let attached = at + 1 < w.len();
                    let key = match flag {
                        'u' => Some("user".to_string()),
                        'H' => {
                            headers += 1;
                            Some(format!("header.{}", headers - 1))
                        }
                        _ => None,
                    };
                    match (key, attached) {
                        (Some(k), true) => out.push((k, a)),
                        (Some(k), false) => takes(&k, &mut out),
                        (None, false) => i += 1,
                        (None, true) => {}
                    }
                    break;
                }
            }
            w if looks_like_url(w) => {
                out.push((format!("url.{urls}"), a));
                urls += 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Long options whose value is the next word (the ones scripts use; a flag without a value
/// read as taking one would hide a URL).
fn takes_value(flag: &str) -> bool {
    matches!(
        flag,
        "--request"
            | "--data"
            | "--data-raw"
            | "--data-binary"
            | "--data-urlencode"
            | "--json"
            | "--output"
            | "--write-out"
            | "--cert"
            | "--key"
            | "--cert-type"
            | "--key-type"
            | "--cookie"
            | "--cookie-jar"
            | "--user-agent"
            | "--referer"
            | "--upload-file"
            | "--max-time"
            | "--connect-timeout"
            | "--retry"
            | "--retry-delay"
            | "--retry-max-time"
            | "--form"
            | "--proxy"
            | "--resolve"
            | "--connect-to"
            | "--interface"
            | "--ciphers"
            | "--tls13-ciphers"
            | "--config"
            | "--netrc-file"
            | "--oauth2-bearer"
    )
}

/// A word that names a server: a scheme, `host:port` with an optional path, or a variable
/// named for one (`$ES_URL`, `${ELASTICSEARCH_HOST}/_bulk`).
fn looks_like_url(w: &str) -> bool {
    if w.contains("://") {
        return true;
    }
    if let Some(var) = w.strip_prefix('$') {
        let name: String = var
            .trim_start_matches('{')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        return ["URL", "HOST", "ENDPOINT"].iter().any(|k| name.contains(k));
    }
    let head = w.split('/').next().unwrap_or(w);
    head.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !port.is_empty() && port.chars().all(|c| c.is_ascii_digit())
    })
}

/// A shell word without its quotes (`"a"'b'c` is `abc`); escapes in double quotes kept.
fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut quote: Option<char> = None;
    for c in word.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => out.push(c),
        }
    }
    out
}

/// What a word is when the shell runs it: literal without `$`; `${X:-fallback}` whole falls
/// back; anything else with `$` is expanded at run time.
fn classify(text: &str) -> Value {
    if text.is_empty() {
        return Value::Absent;
    }
    if !text.contains('$') && !text.contains('`') {
        return Value::Literal(text.to_string());
    }
    match crate::evidence::client::resolve(Tool::Shell, text) {
        Value::Fallback(f) => Value::Fallback(f),
        _ => Value::Unresolved(text.to_string()),
    }
}

/// A Dockerfile with only its `RUN` instructions (continuations included) left, the keyword
/// blanked: the rest of each line is shell at the same columns.
fn dockerfile_as_shell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let starts_run = trimmed
            .get(..4)
            .is_some_and(|k| k.eq_ignore_ascii_case("RUN "));
        let keep = in_run || starts_run;
        if starts_run {
            let indent = line.len() - trimmed.len();
            out.push_str(&line[..indent]);
            out.push_str("   ");
            out.push_str(&trimmed[3..]);
        } else if keep && !trimmed.starts_with('#') {
            out.push_str(line);
        } else {
            out.push_str(&blank(line));
        }
        let body = line.trim_end();
        in_run = keep && body.ends_with('\\');
    }
    out
}

/// A Makefile with only its recipe lines (tab-indented) left; make's `$$` is the shell's `$`
/// (the columns after one on its line are one less than the file's).
fn makefile_as_shell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if let Some(recipe) = line.strip_prefix('\t') {
            let recipe = recipe.replacen(
                ['@', '-', '+'],
                " ",
                usize::from(recipe.starts_with(['@', '-', '+'])),
            );
            out.push(' ');
            out.push_str(&recipe.replace("$$", "$"));
        } else {
            out.push_str(&blank(line));
        }
    }
    out
}

/// GitHub's `${{ … }}` expressions as shell variables of the same length (`$GHA_____`): the
/// runner fills them in before the shell sees the line.
fn github_expressions_as_variables(text: &str) -> Cow<'_, str> {
    if !text.contains("${{") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let Some(len) = rest[start..].find("}}").map(|e| e + 2) else {
            break;
        };
        out.push_str(&rest[..start]);
        let span = &rest[start..start + len];
        if span.contains('\n') {
            out.push_str(span);
        } else {
            out.push_str("$GHA");
            out.push_str(&"_".repeat(span.len().saturating_sub(4)));
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A CI file with only its shell left: GitHub's `run:` (inline or as a block) and GitLab's
/// `script:`, `before_script:` and `after_script:` list items; the rest blanked.
fn ci_steps_as_shell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The indentation a block's lines are deeper than, while in one.
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let trimmed = body.trim_start();
        if let Some(parent) = block {
            if trimmed.is_empty() || indent > parent {
                // GitLab list items: the `- ` is YAML's, the rest the shell's.
                let item = trimmed.strip_prefix("- ").map(|_| indent + 2);
                match item {
                    Some(at) if !body[at..].trim_start().starts_with(['|', '>']) => {
                        out.push_str(&" ".repeat(at));
                        out.push_str(&line[at..]);
                    }
                    Some(_) => out.push_str(&blank(line)),
                    None => out.push_str(line),
                }
                continue;
            }
            block = None;
        }
        let step = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        let key = ["run:", "script:", "before_script:", "after_script:"]
            .into_iter()
            .find(|k| step.starts_with(k));
        match key {
            Some(k) => {
                let at = body.len() - step.len() + k.len();
                let rest = body[at..].trim();
                if rest.is_empty() || rest.starts_with(['|', '>']) {
                    block = Some(indent);
                    out.push_str(&blank(line));
                } else {
                    out.push_str(&" ".repeat(at));
                    out.push_str(&line[at..]);
                }
            }
            None => out.push_str(&blank(line)),
        }
    }
    out
}

/// A line of the same length made of spaces (its line end kept).
fn blank(line: &str) -> String {
    let body = line.trim_end_matches(['\n', '\r']);
    let end = &line[body.len()..];
    format!("{}{end}", " ".repeat(body.len()))
}
