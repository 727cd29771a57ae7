//! Application source code that builds an Elasticsearch client. Each place a program builds one
//! becomes a [`Client`] whose options are what it passes, flattened into dotted keys in the
//! client library's own spelling (`tls.rejectUnauthorized`, `basic_auth.1`), each where it is
//! written and with what it is when the program runs (a literal, an environment lookup with or
//! without a fallback, an expression).
//!
//! tree-sitter parses; what counts as building a client is data: one query file per language
//! in `checks/clients/`. Its captures:
//! - `@client`: a construction; `@options`: what of it to flatten (arguments, an options
//!   object, a struct literal);
//! - `@opt.<key>`: an option found anywhere (a trust-all strategy in a Java helper method):
//!   it belongs to the construction whose extent holds it, else, when the file builds one
//!   client only, to that one;
//! - `@keyed.key` with `@keyed.value`: an option whose name is a string in the code
//!   (`.option("es.net.ssl", "true")`), the construction's only within its extent;
//! - `@file.<key>`: a process-wide switch (`NODE_TLS_REJECT_UNAUTHORIZED = '0'`): it belongs
//!   to every construction of the file;
//! - `@bind.name` = `@bind.value` and `@field.object`.`@field.name` = `@field.value`: the
//!   variables and the fields set on them that flattening follows (one level of indirection,
//!   three at most);
//! - `@client.library` (the constructor's package or class) and `@import.name` (the names the
//!   file imports the Elasticsearch library under): a construction whose library is not among
//!   the imports is not a client of Elasticsearch (`new Client` of a PostgreSQL driver).
//!
//! Only files that name an Elasticsearch client library are parsed ([`mentions_client`]), so
//! a large repository costs little more than reading it.

#[cfg(feature = "lang-csharp")]
mod csharp;
#[cfg(feature = "lang-go")]
mod go;
#[cfg(feature = "lang-java")]
mod java;
#[cfg(feature = "lang-javascript")]
mod javascript;
#[cfg(feature = "lang-php")]
mod php;
#[cfg(feature = "lang-python")]
mod python;
#[cfg(feature = "lang-ruby")]
mod ruby;
#[cfg(feature = "lang-rust")]
mod rust;
#[cfg(feature = "lang-shell")]
mod shell;

use crate::evidence::client::{ClientOption, Tool, Value};
use crate::evidence::{InputError, Location};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, Query, QueryCursor};

/// How many [`Lang`]s there are.
const LANGS: usize = Lang::CiWorkflow as usize + 1;

/// A language esaudit reads client code in (each behind its cargo feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Java,
    CSharp,
    Ruby,
    Php,
    Rust,
    Shell,
    /// Read as shell: its `RUN` instructions.
    Dockerfile,
    /// Read as shell: its recipes.
    Makefile,
    /// Read as shell: the `run:` steps of a GitHub Actions workflow, the `script:` lines of a
    /// GitLab CI file.
    CiWorkflow,
}

/// The language of a source file, by its extension (or name), when this build reads it.
pub fn language_of(path: &Path) -> Option<Lang> {
    let name = path.file_name()?.to_str()?;
    #[cfg(feature = "lang-shell")]
    {
        let lower = name.to_ascii_lowercase();
        if lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || lower.ends_with(".dockerfile")
            || lower == "containerfile"
        {
            return Some(Lang::Dockerfile);
        }
        if matches!(name, "Makefile" | "makefile" | "GNUmakefile") || lower.ends_with(".mk") {
            return Some(Lang::Makefile);
        }
        let workflow = (lower.ends_with(".yml") || lower.ends_with(".yaml"))
            && path
                .parent()
                .is_some_and(|p| p.ends_with(".github/workflows"));
        if workflow || lower == ".gitlab-ci.yml" {
            return Some(Lang::CiWorkflow);
        }
    }
    let ext = path.extension()?.to_str()?;
    match ext {
        #[cfg(feature = "lang-python")]
        "py" => Some(Lang::Python),
        #[cfg(feature = "lang-javascript")]
        "js" | "mjs" | "cjs" | "jsx" => Some(Lang::JavaScript),
        #[cfg(feature = "lang-javascript")]
        "ts" | "mts" | "cts" => Some(Lang::TypeScript),
        #[cfg(feature = "lang-javascript")]
        "tsx" => Some(Lang::Tsx),
        #[cfg(feature = "lang-go")]
        "go" => Some(Lang::Go),
        #[cfg(feature = "lang-java")]
        "java" => Some(Lang::Java),
        #[cfg(feature = "lang-csharp")]
        "cs" => Some(Lang::CSharp),
        #[cfg(feature = "lang-ruby")]
        "rb" => Some(Lang::Ruby),
        #[cfg(feature = "lang-php")]
        "php" => Some(Lang::Php),
        #[cfg(feature = "lang-rust")]
        "rs" => Some(Lang::Rust),
        #[cfg(feature = "lang-shell")]
        "sh" | "bash" => Some(Lang::Shell),
        _ => None,
    }
}

/// The languages this build reads, for `--version` and the docs.
pub fn languages() -> Vec<&'static str> {
    let mut out = Vec::new();
    if cfg!(feature = "lang-python") {
        out.push("python");
    }
    if cfg!(feature = "lang-javascript") {
        out.push("javascript");
        out.push("typescript");
    }
    if cfg!(feature = "lang-go") {
        out.push("go");
    }
    for (on, name) in [
        (cfg!(feature = "lang-java"), "java"),
        (cfg!(feature = "lang-csharp"), "csharp"),
        (cfg!(feature = "lang-ruby"), "ruby"),
        (cfg!(feature = "lang-php"), "php"),
        (cfg!(feature = "lang-rust"), "rust"),
        (cfg!(feature = "lang-shell"), "shell"),
    ] {
        if on {
            out.push(name);
        }
    }
    out
}

/// Whether `text` names an Elasticsearch client library: the cheap test that decides whether
/// a source file is parsed at all.
pub fn mentions_client(lang: Lang, text: &str) -> bool {
    let markers: &[&str] = match lang {
        Lang::Python => &["elasticsearch", "ELASTICSEARCH_DSL", "ELASTIC_APM"],
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => &[
            "@elastic/elasticsearch",
            "'elasticsearch'",
            "\"elasticsearch\"",
            "elastic-apm-node",
        ],
        Lang::Go => &["go-elasticsearch"],
        Lang::Java => &[
            "org.elasticsearch.client",
            "co.elastic.clients",
            "org.springframework.data.elasticsearch",
        ],
        Lang::CSharp => &[
            "Elastic.Clients.Elasticsearch",
            "Elasticsearch.Net",
            "using Nest",
        ],
        Lang::Ruby => &["elasticsearch", "Elasticsearch::Client"],
        Lang::Php => &["Elasticsearch\\ClientBuilder", "Elastic\\Elasticsearch"],
        Lang::Rust => &["elasticsearch::"],
        Lang::Shell | Lang::Dockerfile | Lang::Makefile | Lang::CiWorkflow => {
            return text.contains("curl")
                && ["9200", "elastic", "/_"].iter().any(|m| text.contains(m));
        }
    };
    markers.iter().any(|m| text.contains(m))
}

/// One connection found in code: its name, where it is built, its options.
pub type Connection = (String, Location, Vec<ClientOption>);

/// The Elasticsearch clients that the source file `text` (shown as `shown`) builds, with the
/// tool they are judged as.
pub fn parse(path: &Path, text: &str, shown: &str) -> Result<(Tool, Vec<Connection>), InputError> {
    let Some(lang) = language_of(path) else {
        return Err(InputError {
            path: shown.into(),
            message: "not source code in a language this build of esaudit reads".into(),
        });
    };
    let grammar = grammar(lang);
    if !mentions_client(lang, text) {
        return Ok((grammar.tool(), vec![]));
    }
    let mut parser = Parser::new();
    parser
        .set_language(&grammar.language(lang))
        .expect("grammar and runtime versions match (tested)");
    let prepared = grammar.prepare(lang, text);
    let text = prepared.as_ref();
    let tree = parser.parse(text, None).ok_or_else(|| InputError {
        path: shown.into(),
        message: "the parser gave up on this file".into(),
    })?;
    let src = Src { text, path: shown };
    let found = Captures::run(query(lang), tree.root_node(), &src);
    let flattener = Flattener {
        grammar,
        src: &src,
        found: &found,
    };
    Ok((grammar.tool(), flattener.connections()))
}

/// What one language contributes: its grammar, its queries, and how its values are read.
trait Grammar: Sync {
    fn tool(&self) -> Tool;
    fn language(&self, lang: Lang) -> tree_sitter::Language;
    /// The queries (`checks/clients/<language>.scm`).
    fn query_source(&self) -> &'static str;
    /// What a value node is (see [`Shape`]).
    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t>;

    /// The shape of `child`, the part of `n` that holds its value (`(x)`, `&x`, `name: x`);
    /// without one, `n` is computed at run time.
    fn shape_of<'t>(&self, src: &Src<'t>, n: Node<'t>, child: Option<Node<'t>>) -> Shape<'t> {
        match child {
            Some(c) => self.shape(src, c),
            None => src.expression(n),
        }
    }

    /// The part of the file a construction spans, for which `@opt` captures are its own.
    fn extent<'t>(&self, client: Node<'t>) -> Node<'t> {
        client
    }

    /// The text the grammar parses: the file, or the part of it in this language at the
    /// same lines and columns (a Dockerfile's `RUN` instructions).
    fn prepare<'a>(&self, _lang: Lang, text: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(text)
    }

    /// Whether a construction with these options talks to Elasticsearch (a curl command
    /// line may call anything).
    fn keep(&self, _options: &[ClientOption]) -> bool {
        true
    }
}

fn grammar(lang: Lang) -> &'static dyn Grammar {
    match lang {
        #[cfg(feature = "lang-python")]
        Lang::Python => &python::Python,
        #[cfg(feature = "lang-javascript")]
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => &javascript::JavaScript,
        #[cfg(feature = "lang-go")]
        Lang::Go => &go::Go,
        #[cfg(feature = "lang-java")]
        Lang::Java => &java::Java,
        #[cfg(feature = "lang-csharp")]
        Lang::CSharp => &csharp::CSharp,
        #[cfg(feature = "lang-ruby")]
        Lang::Ruby => &ruby::Ruby,
        #[cfg(feature = "lang-php")]
        Lang::Php => &php::Php,
        #[cfg(feature = "lang-rust")]
        Lang::Rust => &rust::Rust,
        #[cfg(feature = "lang-shell")]
        Lang::Shell | Lang::Dockerfile | Lang::Makefile | Lang::CiWorkflow => &shell::Shell,
        #[allow(unreachable_patterns)]
        _ => unreachable!("language_of only gives the languages of this build"),
    }
}

/// The compiled queries of a language, compiled once (each is compiled by a test, so this
/// cannot fail at run time).
fn query(lang: Lang) -> &'static Query {
    static QUERIES: [OnceLock<Query>; LANGS] = [const { OnceLock::new() }; LANGS];
    QUERIES[lang as usize].get_or_init(|| {
        let g = grammar(lang);
        Query::new(&g.language(lang), g.query_source())
            .expect("built-in client query compiles (tested)")
    })
}

/// What a value node is, as far as flattening goes.
pub(super) enum Shape<'t> {
    /// Keyed entries: keyword arguments, a dict, an object or struct literal. An entry with
    /// an empty key is spread in place (`**opts`, `...opts`).
    Map(Vec<(String, Node<'t>)>),
    /// Positional entries: a list, a tuple, an array, the arguments of a call.
    List(Vec<Node<'t>>),
    /// A variable, followed to its binding in the file.
    Name(String),
    /// A value: a literal, or what the program reads at run time.
    Scalar(Value),
}

/// The source being read, for texts and locations.
pub(super) struct Src<'t> {
    text: &'t str,
    path: &'t str,
}

impl<'t> Src<'t> {
    pub(super) fn of(&self, n: Node) -> &'t str {
        &self.text[n.byte_range()]
    }

    fn at(&self, n: Node) -> Location {
        let p = n.start_position();
        Location::at(self.path, p.row + 1, p.column + 1)
    }

    /// A node's text on one line, cut short: what evidence shows of code.
    fn shown(&self, n: Node) -> String {
        let one_line = self.of(n).split_whitespace().collect::<Vec<_>>().join(" ");
        match one_line.char_indices().nth(100) {
            Some((i, _)) => format!("{}…", &one_line[..i]),
            None => one_line,
        }
    }

    /// The text of a node as the program runs it: `Unresolved` naming the expression.
    pub(super) fn expression(&self, n: Node) -> Shape<'t> {
        Shape::Scalar(Value::Unresolved(self.shown(n)))
    }
}

/// Everything a file's query matched.
#[derive(Default)]
struct Captures<'t> {
    /// Constructions: the node, what to flatten, the library it names.
    clients: Vec<(Node<'t>, Option<Node<'t>>, Option<String>)>,
    /// `@opt.<key>` captures.
    opts: Vec<(String, Node<'t>)>,
    /// `@file.<key>` captures.
    file_opts: Vec<(String, Node<'t>)>,
    /// `@keyed.key`/`@keyed.value` pairs: the key's text and the value.
    keyed: Vec<(String, Node<'t>)>,
    binds: Vec<(String, Node<'t>)>,
    fields: Vec<(String, String, Node<'t>)>,
    imports: Vec<String>,
}

impl<'t> Captures<'t> {
    fn run(query: &Query, root: Node<'t>, src: &Src<'t>) -> Captures<'t> {
        let names = query.capture_names();
        let mut out = Captures::default();
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(query, root, src.text.as_bytes());
        while let Some(m) = matches.next() {
            let get = |name: &str| {
                m.captures
                    .iter()
                    .find(|c| names[c.index as usize] == name)
                    .map(|c| c.node)
            };
            if let Some(client) = get("client") {
                let library = get("client.library").map(|n| src.of(n).to_string());
                out.clients.push((client, get("options"), library));
            }
            if let (Some(name), Some(value)) = (get("bind.name"), get("bind.value")) {
                out.binds.push((src.of(name).to_string(), value));
            }
            if let (Some(object), Some(field), Some(value)) =
                (get("field.object"), get("field.name"), get("field.value"))
            {
                let (object, field) = (src.of(object).to_string(), src.of(field).to_string());
                out.fields.push((object, field, value));
            }
            if let (Some(k), Some(v)) = (get("keyed.key"), get("keyed.value")) {
                let key = src.of(k).trim_matches(['"', '\'']).to_string();
                out.keyed.push((key, v));
            }
            if let Some(name) = get("import.name") {
                out.imports.push(package_name(src.of(name)));
            }
            for c in m.captures {
                let name = names[c.index as usize];
                if let Some(key) = name.strip_prefix("opt.") {
                    out.opts.push((key.to_string(), c.node));
                } else if let Some(key) = name.strip_prefix("file.") {
                    out.file_opts.push((key.to_string(), c.node));
                }
            }
        }
        // A construction is matched once per pattern that fits it.
        out.clients
            .sort_by_key(|(n, ..)| (n.start_byte(), n.end_byte()));
        out.clients.dedup_by_key(|(n, ..)| n.id());
        if !out.imports.is_empty() {
            let imports = &out.imports;
            out.clients.retain(|(_, _, library)| {
                library.as_deref().is_none_or(|l| {
                    let head = l.split('.').next().unwrap_or(l);
                    imports.iter().any(|i| i == head)
                })
            });
        }
        out
    }
}

/// The name an import is used under: its own, or for a Go import path the package's
/// (`github.com/elastic/go-elasticsearch/v8` is `elasticsearch`).
fn package_name(import: &str) -> String {
    let Some(segments) = import.contains('/').then(|| import.rsplit('/')) else {
        return import.to_string();
    };
    let mut segments = segments.skip_while(|s| {
        s.len() > 1 && s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit())
    });
    let last = segments.next().unwrap_or(import);
    last.strip_prefix("go-").unwrap_or(last).to_string()
}

/// The named children of `n`.
pub(super) fn named<'t>(n: Node<'t>) -> impl Iterator<Item = Node<'t>> + Clone {
    (0..n.named_child_count()).filter_map(move |i| n.named_child(i as u32))
}

/// The text of a string literal made of the named children `parts` (escapes included), the
/// children `skip` aside; any other child is an interpolation, and the text is not known.
pub(super) fn string_text(src: &Src, n: Node, parts: &[&str], skip: &[&str]) -> Option<String> {
    let mut out = String::new();
    for c in named(n) {
        if parts.contains(&c.kind()) {
            out.push_str(src.of(c));
        } else if !skip.contains(&c.kind()) {
            return None;
        }
    }
    Some(out)
}

/// The arguments of a call the query captured: each a positional entry; none at all is still
/// written (`usingSsl()`), as `()`.
pub(super) fn arguments(args: Vec<Node>) -> Shape {
    if args.is_empty() {
        Shape::Scalar(Value::Literal("()".into()))
    } else {
        Shape::List(args)
    }
}

/// A literal as a value: an empty one is as if not written.
pub(super) fn literal(s: String) -> Value {
    if s.is_empty() {
        Value::Absent
    } else {
        Value::Literal(s)
    }
}

/// The statement `n` is part of (one of `kinds`), within its block; `n` itself when none.
pub(super) fn enclosing_statement<'t>(n: Node<'t>, kinds: &[&str]) -> Node<'t> {
    let mut at = n;
    while let Some(p) = at.parent() {
        if kinds.contains(&p.kind()) {
            return p;
        }
        if p.kind().ends_with("_body") || p.kind() == "block" || p.kind() == "compound_statement" {
            break;
        }
        at = p;
    }
    at
}

/// How deep flattening follows variables: a variable bound to a variable bound to a value.
const MAX_INDIRECTION: u8 = 3;

struct Flattener<'a, 't> {
    grammar: &'static dyn Grammar,
    src: &'a Src<'t>,
    found: &'a Captures<'t>,
}

impl<'t> Flattener<'_, 't> {
    fn connections(&self) -> Vec<Connection> {
        let clients = &self.found.clients;
        let extents: Vec<Node> = clients
            .iter()
            .map(|(n, ..)| self.grammar.extent(*n))
            .collect();
        let contains = |outer: Node, inner: Node| {
            outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
        };
        let mut out = Vec::new();
        for (i, &(node, options, _)) in clients.iter().enumerate() {
            let mut flat = Vec::new();
            if let Some(options) = options {
                self.flatten("", options, 0, &mut flat);
            }
            // An option outside every construction belongs to the file's only one.
            let mut seen = BTreeMap::<&str, usize>::new();
            for (key, n) in &self.found.opts {
                let owner = extents.iter().rposition(|c| contains(*c, *n));
                let own = match owner {
                    Some(o) => o == i,
                    None => clients.len() == 1,
                };
                if !own {
                    continue;
                }
                let count = seen.entry(key).or_default();
                self.flatten(&format!("{key}.{count}"), *n, 0, &mut flat);
                *count += 1;
            }
            // A keyed option is its statement's only: another statement's `.option(…)` may
            // configure anything.
            for (key, n) in &self.found.keyed {
                let owner = extents.iter().rposition(|c| contains(*c, *n));
                if owner == Some(i) {
                    self.flatten(key, *n, 0, &mut flat);
                }
            }
            for (n, (key, node)) in self.found.file_opts.iter().enumerate() {
                self.flatten(&format!("{key}.{n}"), *node, 0, &mut flat);
            }
            if self.grammar.keep(&flat) {
                out.push((self.name(node), self.src.at(node), flat));
            }
        }
        out
    }

    /// The name a construction is known by: the variable or field it is assigned to, else
    /// what it calls.
    fn name(&self, n: Node) -> String {
        // An entry of a settings dict (`ELASTICSEARCH_DSL = {"default": {…}}`) is its key.
        if let Some(k) = n
            .child_by_field_name("key")
            .or_else(|| n.child_by_field_name("name"))
            .filter(|_| matches!(n.kind(), "pair" | "keyword_argument"))
        {
            return self.src.of(k).trim_matches(['"', '\'']).to_string();
        }
        // Up through the call chain it is part of, to the statement that names it.
        let mut up = n.parent();
        for _ in 0..8 {
            let Some(p) = up else { break };
            if p.kind().ends_with("block") || p.kind().ends_with("_body") || p.kind() == "program" {
                break;
            }
            let target = p
                .child_by_field_name("left")
                .or_else(|| p.child_by_field_name("name"));
            if let Some(t) = target.filter(|t| t.end_byte() <= n.start_byte()) {
                // `client, err := …`: the first name.
                let shown = self.src.shown(t);
                return shown.split(',').next().unwrap_or(&shown).trim().to_string();
            }
            up = p.parent();
        }
        let callee = n
            .child_by_field_name("function")
            .or_else(|| n.child_by_field_name("constructor"))
            .or_else(|| n.child_by_field_name("type"))
            .or_else(|| n.child_by_field_name("name"))
            .unwrap_or(n);
        let text = self.src.shown(callee);
        text.chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_'))
            .collect::<String>()
            .rsplit('.')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("client")
            .to_string()
    }

    fn flatten(&self, key: &str, n: Node<'t>, depth: u8, out: &mut Vec<ClientOption>) {
        let join = |k: &str| match (key.is_empty(), k.is_empty()) {
            (true, _) => k.to_string(),
            (false, true) => key.to_string(),
            (false, false) => format!("{key}.{k}"),
        };
        match self.grammar.shape(self.src, n) {
            Shape::Map(entries) => {
                for (k, v) in entries {
                    self.flatten(&join(&k), v, depth, out);
                }
            }
            Shape::List(items) => {
                for (i, v) in items.into_iter().enumerate() {
                    self.flatten(&join(&i.to_string()), v, depth, out);
                }
            }
            Shape::Name(name) => {
                let bound = (depth < MAX_INDIRECTION)
                    .then(|| self.binding(&name, n))
                    .flatten();
                match bound {
                    Some(v) => self.flatten(key, v, depth + 1, out),
                    None => self.push(key, n, Value::Unresolved(self.src.shown(n)), out),
                }
                if depth < MAX_INDIRECTION {
                    for (object, field, v) in &self.found.fields {
                        if *object == name {
                            self.flatten(&join(field), *v, depth + 1, out);
                        }
                    }
                }
            }
            Shape::Scalar(value) => self.push(key, n, value, out),
        }
    }

    fn push(&self, key: &str, n: Node, value: Value, out: &mut Vec<ClientOption>) {
        // A spread of what cannot be seen: `*` says options may come from elsewhere.
        let key = if key.is_empty() { "*" } else { key };
        out.push(ClientOption {
            key: key.to_string(),
            value: self.src.shown(n),
            location: self.src.at(n),
            resolved: Some(value),
        });
    }

    /// The value `name` is bound to where `at` uses it: the last binding before it, else
    /// the first after (a function defined further down, a module constant).
    fn binding(&self, name: &str, at: Node) -> Option<Node<'t>> {
        let binds = self
            .found
            .binds
            .iter()
            .filter(|(n, v)| n == name && v.id() != at.id());
        let before = binds
            .clone()
            .rfind(|(_, v)| v.start_byte() < at.start_byte());
        before
            .or_else(|| binds.clone().next())
            .map(|(_, v)| *v)
            // `x = x` and other loops stop here.
            .filter(|v| !(v.start_byte() <= at.start_byte() && at.end_byte() <= v.end_byte()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::client::{Client, ClientFacts, client_facts};

    fn clients(path: &str, text: &str) -> Vec<Client> {
        crate::collect::clients::parse(Path::new(path), text, path).unwrap()
    }

    fn facts(path: &str, text: &str) -> Vec<ClientFacts> {
        clients(path, text)
            .iter()
            .map(|c| client_facts(c).0)
            .collect()
    }

    #[test]
    fn every_built_in_query_compiles_for_its_grammar() {
        #[allow(unused_mut)]
        let mut langs: Vec<Lang> = Vec::new();
        #[cfg(feature = "lang-python")]
        langs.push(Lang::Python);
        #[cfg(feature = "lang-javascript")]
        langs.extend([Lang::JavaScript, Lang::TypeScript, Lang::Tsx]);
        #[cfg(feature = "lang-go")]
        langs.push(Lang::Go);
        #[cfg(feature = "lang-java")]
        langs.push(Lang::Java);
        #[cfg(feature = "lang-csharp")]
        langs.push(Lang::CSharp);
        #[cfg(feature = "lang-ruby")]
        langs.push(Lang::Ruby);
        #[cfg(feature = "lang-php")]
        langs.push(Lang::Php);
        #[cfg(feature = "lang-rust")]
        langs.push(Lang::Rust);
        #[cfg(feature = "lang-shell")]
        langs.push(Lang::Shell);
        for lang in langs {
            assert!(query(lang).capture_names().contains(&"client"), "{lang:?}");
        }
    }

    #[test]
    fn a_file_that_names_no_client_library_is_not_parsed() {
        assert!(!mentions_client(Lang::Python, "Client(verify_certs=False)"));
        assert!(clients("app.py", "Elasticsearch(verify_certs=False)\n").is_empty());
        assert!(mentions_client(
            Lang::Go,
            "import \"github.com/elastic/go-elasticsearch/v8\""
        ));
    }

    #[cfg(feature = "lang-python")]
    #[test]
    fn python_hosts_are_the_first_argument_of_the_client_only() {
        let f = facts(
            "app.py",
            "from elasticsearch import Elasticsearch\n\
             from elasticsearch.dsl import connections\n\
             a = Elasticsearch('http://es.example.com:9200', api_key=KEY)\n\
             connections.create_connection('default', hosts=['https://es2.example.com:9200'])\n",
        );
        assert_eq!(f[0].hosts, ["http://es.example.com:9200"]);
        assert!(f[0].plaintext);
        assert_eq!(
            f[1].hosts,
            ["https://es2.example.com:9200"],
            "the alias is no host"
        );
    }

    #[cfg(feature = "lang-python")]
    #[test]
    fn python_bindings_are_followed_to_the_last_one_before_use() {
        let f = facts(
            "app.py",
            "import elasticsearch, os\n\
             pw = 'first-value'\n\
             pw = os.environ['ES_PASSWORD']\n\
             es = elasticsearch.Elasticsearch('https://h:9200', basic_auth=('app', pw))\n\
             pw = 'later-value'\n",
        );
        assert_eq!(f[0].password, "reference");
    }

    #[cfg(feature = "lang-python")]
    #[test]
    fn python_options_spread_from_an_unseen_dict_leave_verification_unknown() {
        let f = facts(
            "app.py",
            "from elasticsearch import Elasticsearch\n\
             es = Elasticsearch('https://h:9200', **settings.ES_OPTIONS)\n",
        );
        assert!(f[0].unknown.contains_key("verify"), "{:?}", f[0].unknown);
        let seen = facts(
            "app.py",
            "from elasticsearch import Elasticsearch\n\
             es = Elasticsearch('https://h:9200', verify_certs=True, **settings.ES_OPTIONS)\n",
        );
        assert!(!seen[0].unknown.contains_key("verify"));
    }

    #[cfg(feature = "lang-python")]
    #[test]
    fn python_ssl_context_fields_set_after_count() {
        let f = facts(
            "app.py",
            "import ssl\nfrom elasticsearch import Elasticsearch\n\
             ctx = ssl.create_default_context()\n\
             ctx.check_hostname = False\n\
             es = Elasticsearch('https://h:9200', ssl_context=ctx)\n\
             un = Elasticsearch('https://h:9200', ssl_context=ssl._create_unverified_context())\n",
        );
        assert_eq!(f[0].tls_verify, "no_hostname");
        assert_eq!(f[1].tls_verify, "none");
    }

    #[cfg(feature = "lang-javascript")]
    #[test]
    fn javascript_constructors_of_other_libraries_are_not_clients() {
        let c = clients(
            "app.ts",
            "import { Client as ES } from '@elastic/elasticsearch'\n\
             import { Client } from 'pg'\n\
             const db = new Client({ password: 'x' })\n\
             const es = new ES({ node: 'https://h:9200' } as ClientOptions)\n",
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "es");
        assert_eq!(client_facts(&c[0]).0.hosts, ["https://h:9200"]);
    }

    #[cfg(feature = "lang-go")]
    #[test]
    fn go_configs_are_those_of_the_imported_package() {
        let text = |import: &str| {
            format!(
                "package p\nimport (\n{import}\n\"github.com/IBM/sarama\"\n)\n\
                 var a = sarama.Config{{Net: x}}\n\
                 var b = elasticsearch.Config{{Addresses: []string{{\"http://h:9200\"}}}}\n\
                 var c = es9.Config{{CloudID: \"id\"}}\n"
            )
        };
        let plain = clients("a.go", &text("\"github.com/elastic/go-elasticsearch/v8\""));
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].name, "b");
        let aliased = clients(
            "a.go",
            &text("es9 \"github.com/elastic/go-elasticsearch/v9\""),
        );
        assert_eq!(aliased.len(), 1);
        assert_eq!(aliased[0].name, "c");
    }

    #[cfg(feature = "lang-java")]
    #[test]
    fn java_options_outside_a_builder_belong_to_a_files_only_client() {
        let one = "import org.elasticsearch.client.RestClient;\n\
                   class A {\n\
                   SSLContext ctx() { return SSLContexts.custom().loadTrustMaterial(null, TrustAllStrategy.INSTANCE).build(); }\n\
                   RestClient c() { return RestClient.builder(new HttpHost(\"h\", 9200, \"https\")).build(); }\n\
                   }\n";
        let f = facts("A.java", one);
        assert_eq!(f[0].tls_verify, "none");
        assert_eq!(f[0].hosts, ["https://h:9200"]);
        let two = one.replace(
            "RestClient c()",
            "RestClient d() { return RestClient.builder(new HttpHost(\"g\", 9200)).build(); }\nRestClient c()",
        );
        let f = facts("A.java", &two);
        assert_eq!(f.len(), 2);
        assert!(
            f.iter().all(|f| f.tls_verify == "full"),
            "shared with nobody"
        );
        assert_eq!(
            f[0].hosts,
            ["http://g:9200"],
            "HttpHost's scheme is http by default"
        );
    }

    #[cfg(feature = "lang-python")]
    #[test]
    fn test_code_against_this_machine_only_is_marked() {
        let text = "from elasticsearch import Elasticsearch\n\
                    es = Elasticsearch('http://localhost:9200', basic_auth=('elastic', 'changeme'))\n";
        assert!(facts("tests/test_search.py", text)[0].local_test);
        assert!(facts("pkg/test_search.py", text)[0].local_test);
        assert!(!facts("pkg/search.py", text)[0].local_test);
        let remote = text.replace("localhost", "es.example.com");
        assert!(!facts("tests/test_search.py", &remote)[0].local_test);
    }

    #[cfg(feature = "lang-shell")]
    #[test]
    fn curl_flags_are_read_as_curl_reads_them() {
        let f = facts(
            "setup.sh",
            "curl -sku elastic:changeme https://es:9200/_cat/health\n\
             curl -XPUT -uapp:$APP_PW http://es.example.com:9200/_bulk\n\
             curl -H 'Authorization: ApiKey abc123' --tlsv1.1 https://es:9200/_search\n\
             curl https://example.com/download.tar.gz -o x\n",
        );
        assert_eq!(f.len(), 3, "the download is not Elasticsearch");
        assert_eq!(f[0].tls_verify, "none");
        assert_eq!(
            (f[0].username.as_str(), f[0].password.as_str()),
            ("elastic", "literal")
        );
        assert!(f[0].password_sample);
        assert_eq!(
            f[1].username, "app",
            "-XPUT takes its value attached, -u is read"
        );
        assert_eq!(f[1].password, "reference");
        assert!(f[1].plaintext);
        assert_eq!(f[2].api_key, "literal");
        assert_eq!(f[2].min_tls, "TLSv1.1");
    }

    #[cfg(feature = "lang-shell")]
    #[test]
    fn dockerfiles_and_makefiles_keep_their_lines_and_columns() {
        let docker = clients(
            "Dockerfile",
            "FROM x\nRUN echo hi && \\\n    curl -k https://es:9200/_cluster/health\nENV A=b\n",
        );
        assert_eq!(docker.len(), 1);
        assert_eq!(docker[0].declared_at.line, Some(3));
        assert_eq!(docker[0].declared_at.column, Some(5));
        let make = clients(
            "Makefile",
            "ES_URL := https://es:9200\nhealth:\n\t@curl -u elastic:$$ES_PW https://es:9200/_cluster/health\n",
        );
        assert_eq!(make.len(), 1);
        assert_eq!(make[0].declared_at.line, Some(3));
        let f = client_facts(&make[0]).0;
        assert_eq!(f.password, "reference", "make's $$ is the shell's $");
    }

    #[cfg(feature = "lang-ruby")]
    #[test]
    fn ruby_options_given_as_a_hash_variable_are_followed() {
        let f = facts(
            "es.rb",
            "require 'elasticsearch'\n\
             opts = { url: 'https://es:9200', transport_options: { ssl: { verify: false } } }\n\
             C = Elasticsearch::Client.new(opts)\n",
        );
        assert_eq!(f[0].tls_verify, "none");
        assert_eq!(f[0].hosts, ["https://es:9200"]);
    }

    #[cfg(feature = "lang-php")]
    #[test]
    fn php_verification_is_off_only_when_false_is_written() {
        let text = |v: &str| {
            format!(
                "<?php\nuse Elastic\\Elasticsearch\\ClientBuilder;\n\
                 $c = ClientBuilder::create()->setHosts(['https://es:9200'])->setSSLVerification({v})->build();\n"
            )
        };
        assert_eq!(facts("a.php", &text("false"))[0].tls_verify, "none");
        assert_eq!(facts("a.php", &text("'/etc/ca.pem'"))[0].tls_verify, "full");
    }

    #[cfg(feature = "lang-python")]
    #[test]
    fn pyspark_writers_are_es_hadoop_clients_and_apm_settings_apm_ones() {
        let f = facts(
            "job.py",
            "conf = {\"es.net.ssl\": \"true\"}\n\
             (df.write.format(\"org.elasticsearch.spark.sql\")\n\
                .option(\"es.nodes\", \"es1,es2:9201\")\n\
                .option(\"es.net.http.auth.pass\", \"pw\")\n\
                .options(**conf).save(\"i\"))\n\
             df.write.format(\"parquet\").option(\"es.nodes\", \"x\").save(\"p\")\n",
        );
        assert_eq!(f.len(), 1, "the parquet writer is no client");
        assert_eq!(f[0].hosts, ["https://es1:9200", "https://es2:9201"]);
        assert_eq!(f[0].password, "literal");
        let apm = facts(
            "settings.py",
            "ELASTIC_APM = {\"SERVER_URL\": \"http://apm:8200\", \"VERIFY_SERVER_CERT\": False}\n",
        );
        assert_eq!(apm[0].hosts, ["http://apm:8200"]);
        assert_eq!(apm[0].tls_verify, "none");
    }
}
