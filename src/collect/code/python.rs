//! Python: keyword arguments, dicts spread with `**`, and the usual ways of reading the
//! environment (`os.getenv`, `os.environ.get`, `os.environ[...]`, python-decouple's `config`,
//! django-environ's `env`), with their literal defaults.

use super::{Grammar, Lang, Shape, Src, literal, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct Python;

impl Grammar for Python {
    fn tool(&self) -> Tool {
        Tool::Python
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_python::LANGUAGE.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/python.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "argument_list" => Shape::Map(arguments(src, n)),
            "keyword_argument" => match (
                n.child_by_field_name("name"),
                n.child_by_field_name("value"),
            ) {
                (Some(k), Some(v)) => Shape::Map(vec![(src.of(k).to_string(), v)]),
                _ => src.expression(n),
            },
            "dictionary" => Shape::Map(
                named(n)
                    .filter_map(|p| match p.kind() {
                        "pair" => {
                            let key = string(src, p.child_by_field_name("key")?)?;
                            Some((key, p.child_by_field_name("value")?))
                        }
                        "dictionary_splat" => Some((String::new(), p.named_child(0)?)),
                        _ => None,
                    })
                    .collect(),
            ),
            "list" | "tuple" => Shape::List(named(n).filter(|c| c.kind() != "comment").collect()),
            "parenthesized_expression" => self.shape_of(src, n, n.named_child(0)),
            "string" | "concatenated_string" => match string(src, n) {
                Some(s) => Shape::Scalar(literal(s)),
                None => src.expression(n),
            },
            "true" | "false" | "none" | "integer" | "float" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "identifier" => Shape::Name(src.of(n).to_string()),
            // `ssl.PROTOCOL_TLSv1`, `ssl.CERT_NONE`, `ssl.TLSVersion.TLSv1_1`: constants.
            "attribute" if src.of(n).starts_with("ssl.") => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "call" => call(src, n),
            "subscript" if src.of(n).starts_with("os.environ") => src.expression(n),
            // `os.getenv("X") or "fallback"`
            "boolean_operator" => {
                let right = n.child_by_field_name("right");
                let fallback = right.and_then(|r| string(src, r));
                let op = n.child_by_field_name("operator").map(|o| src.of(o));
                match (op, fallback) {
                    (Some("or"), Some(f)) => Shape::Scalar(Value::Fallback(f)),
                    _ => src.expression(n),
                }
            }
            _ => src.expression(n),
        }
    }

    /// A Spark reader or writer is one chained statement: its `.option(…)` calls are its own.
    fn extent<'t>(&self, client: Node<'t>) -> Node<'t> {
        super::enclosing_statement(client, &["expression_statement"])
    }
}

/// The arguments of a call: keyword arguments by name, `**x` spread, and the first positional
/// argument of `Elasticsearch(...)`, which is its hosts.
fn arguments<'t>(src: &Src<'t>, n: Node<'t>) -> Vec<(String, Node<'t>)> {
    let callee = n
        .parent()
        .and_then(|c| c.child_by_field_name("function"))
        .map(|f| src.of(f))
        .unwrap_or_default();
    let hosts_first = callee.ends_with("Elasticsearch");
    let mut out = Vec::new();
    let mut position = 0;
    for a in named(n) {
        match a.kind() {
            "keyword_argument" => {
                if let (Some(k), Some(v)) = (
                    a.child_by_field_name("name"),
                    a.child_by_field_name("value"),
                ) {
                    out.push((src.of(k).to_string(), v));
                }
            }
            "dictionary_splat" => {
                if let Some(v) = a.named_child(0) {
                    out.push((String::new(), v));
                }
            }
            "comment" | "list_splat" => {}
            _ => {
                if position == 0 && hosts_first {
                    out.push(("hosts".to_string(), a));
                }
                position += 1;
            }
        }
    }
    out
}

/// A string literal's text, when it has no interpolation (`f"{x}"`).
fn string(src: &Src, n: Node) -> Option<String> {
    match n.kind() {
        "string" => super::string_text(
            src,
            n,
            &["string_content", "escape_sequence"],
            &["string_start", "string_end"],
        ),
        "concatenated_string" => named(n).map(|c| string(src, c)).collect(),
        _ => None,
    }
}

/// Calls: `dict(k=v)` is a map; environment lookups are references, with their literal
/// default as fallback; any other call is computed at run time.
fn call<'t>(src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
    let function = n
        .child_by_field_name("function")
        .map(|f| src.of(f))
        .unwrap_or_default();
    let Some(args) = n.child_by_field_name("arguments") else {
        return src.expression(n);
    };
    if function == "dict" {
        return Shape::Map(
            named(args)
                .filter(|a| a.kind() == "keyword_argument")
                .filter_map(|a| {
                    Some((
                        src.of(a.child_by_field_name("name")?).to_string(),
                        a.child_by_field_name("value")?,
                    ))
                })
                .collect(),
        );
    }
    let lookup = matches!(
        function,
        "os.getenv"
            | "getenv"
            | "os.environ.get"
            | "environ.get"
            | "config"
            | "env"
            | "env.str"
            | "os.environ.setdefault"
    );
    if !lookup {
        return src.expression(n);
    }
    let positional: Vec<Node> = named(args)
        .filter(|a| a.kind() != "keyword_argument")
        .collect();
    let keyword_default = named(args)
        .filter(|a| a.kind() == "keyword_argument")
        .find(|a| {
            a.child_by_field_name("name")
                .is_some_and(|k| src.of(k) == "default")
        })
        .and_then(|a| a.child_by_field_name("value"));
    let default = positional.get(1).copied().or(keyword_default);
    match default.and_then(|d| string(src, d)) {
        Some(f) if !f.is_empty() => Shape::Scalar(Value::Fallback(f)),
        _ => src.expression(n),
    }
}
