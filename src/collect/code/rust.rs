//! Rust: arguments of the calls the query finds, string literals through `.into()`,
//! `.to_string()`, `String::from` and `?`, `env::var("X")` and its `unwrap_or` fallbacks.

use super::{Grammar, Lang, Shape, Src, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct Rust;

impl Grammar for Rust {
    fn tool(&self) -> Tool {
        Tool::Rust
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_rust::LANGUAGE.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/rust.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "arguments" => {
                let args: Vec<Node> = named(n)
                    .filter(|c| !c.kind().ends_with("comment"))
                    .collect();
                super::arguments(args)
            }
            "string_literal" | "raw_string_literal" => {
                let s: String = named(n)
                    .filter(|c| matches!(c.kind(), "string_content" | "escape_sequence"))
                    .map(|c| src.of(c))
                    .collect();
                Shape::Scalar(if s.is_empty() {
                    Value::Absent
                } else {
                    Value::Literal(s)
                })
            }
            "boolean_literal" | "integer_literal" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "identifier" => Shape::Name(src.of(n).to_string()),
            "try_expression" | "parenthesized_expression" | "reference_expression" => {
                self.shape_of(src, n, named(n).last())
            }
            "call_expression" => call(self, src, n),
            _ => src.expression(n),
        }
    }

    /// A builder chain is one statement: its options are the statement's.
    fn extent<'t>(&self, client: Node<'t>) -> Node<'t> {
        super::enclosing_statement(client, &["let_declaration", "expression_statement"])
    }
}

/// `"x".into()`, `"x".to_string()`, `String::from("x")` are the string;
/// `env::var("X").unwrap_or("fallback".into())` falls back; other calls are computed.
fn call<'t>(g: &Rust, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
    let function = n.child_by_field_name("function");
    let args: Vec<Node> = n
        .child_by_field_name("arguments")
        .map(|a| named(a).collect())
        .unwrap_or_default();
    let Some(f) = function else {
        return src.expression(n);
    };
    if f.kind() == "field_expression" {
        let method = f
            .child_by_field_name("field")
            .map(|m| src.of(m))
            .unwrap_or_default();
        let receiver = f.child_by_field_name("value");
        match (method, receiver) {
            ("into" | "to_string" | "to_owned", Some(r)) if r.kind() == "string_literal" => {
                return g.shape(src, r);
            }
            ("unwrap_or" | "unwrap_or_else", Some(r)) if src.of(r).contains("var(") => {
                let fallback = args
                    .first()
                    .map(|a| match a.kind() {
                        "closure_expression" => a.child_by_field_name("body").unwrap_or(*a),
                        _ => *a,
                    })
                    .map(|a| g.shape(src, a));
                return match fallback {
                    Some(Shape::Scalar(Value::Literal(f))) => Shape::Scalar(Value::Fallback(f)),
                    _ => src.expression(n),
                };
            }
            _ => {}
        }
    }
    if src.of(f) == "String::from"
        && let Some(a) = args.first()
    {
        return g.shape(src, *a);
    }
    src.expression(n)
}
