//! JavaScript and TypeScript: option objects (spread included), `process.env` with `||` or
//! `??` fallbacks, template strings.

use super::{Grammar, Lang, Shape, Src, literal, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct JavaScript;

impl Grammar for JavaScript {
    fn tool(&self) -> Tool {
        Tool::JavaScript
    }

    fn language(&self, lang: Lang) -> tree_sitter::Language {
        match lang {
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            _ => tree_sitter_javascript::LANGUAGE.into(),
        }
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/javascript.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            // `new Client(options)`: the options are the first argument.
            "arguments" => match named(n).find(|c| c.kind() != "comment") {
                Some(first) => Shape::Map(vec![(String::new(), first)]),
                None => Shape::Map(vec![]),
            },
            "object" => Shape::Map(
                named(n)
                    .filter_map(|p| match p.kind() {
                        "pair" => Some((
                            key(src, p.child_by_field_name("key")?)?,
                            p.child_by_field_name("value")?,
                        )),
                        "shorthand_property_identifier" => Some((src.of(p).to_string(), p)),
                        "spread_element" => Some((String::new(), p.named_child(0)?)),
                        _ => None,
                    })
                    .collect(),
            ),
            "array" => Shape::List(named(n).filter(|c| c.kind() != "comment").collect()),
            "string" => Shape::Scalar(literal(string(src, n))),
            "template_string" => match template(src, n) {
                Some(s) => Shape::Scalar(literal(s)),
                None => src.expression(n),
            },
            "true" | "false" | "null" | "undefined" | "number" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            // Functions are shown as written (`checkServerIdentity: () => undefined`).
            "arrow_function" | "function_expression" | "function" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "identifier" | "shorthand_property_identifier" => Shape::Name(src.of(n).to_string()),
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion" => self.shape_of(src, n, n.named_child(0)),
            // `process.env.X || 'fallback'`, `process.env.X ?? 'fallback'`
            "binary_expression" => {
                let op = n.child_by_field_name("operator").map(|o| src.of(o));
                let right = n.child_by_field_name("right");
                let fallback = right
                    .filter(|r| r.kind() == "string")
                    .map(|r| string(src, r));
                match (op, fallback) {
                    (Some("||" | "??"), Some(f)) if !f.is_empty() => {
                        Shape::Scalar(Value::Fallback(f))
                    }
                    _ => src.expression(n),
                }
            }
            _ => src.expression(n),
        }
    }
}

fn key(src: &Src, k: Node) -> Option<String> {
    match k.kind() {
        "property_identifier" | "number" => Some(src.of(k).to_string()),
        "string" => Some(string(src, k)),
        _ => None,
    }
}

fn string(src: &Src, n: Node) -> String {
    named(n)
        .filter(|c| matches!(c.kind(), "string_fragment" | "escape_sequence"))
        .map(|c| src.of(c))
        .collect()
}

/// A template string's text, when it has no `${…}`.
fn template(src: &Src, n: Node) -> Option<String> {
    super::string_text(src, n, &["string_fragment", "escape_sequence"], &[])
}
