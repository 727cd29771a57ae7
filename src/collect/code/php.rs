//! PHP: arguments and arrays of the calls the query finds, `getenv('X')`, `$_ENV['X']`,
//! Laravel's `env('X', 'fallback')` and `?:`/`??` fallbacks.

use super::{Grammar, Lang, Shape, Src, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct Php;

impl Grammar for Php {
    fn tool(&self) -> Tool {
        Tool::Php
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_php::LANGUAGE_PHP.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/php.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "arguments" => {
                let args: Vec<Node> = named(n).filter(|c| c.kind() == "argument").collect();
                super::arguments(args)
            }
            "argument" => self.shape_of(src, n, named(n).last()),
            "array_creation_expression" => Shape::List(
                named(n)
                    .filter(|e| e.kind() == "array_element_initializer")
                    .filter_map(|e| named(e).last())
                    .collect(),
            ),
            "string" | "encapsed_string" => match string(src, n) {
                Some(s) if s.is_empty() => Shape::Scalar(Value::Absent),
                Some(s) => Shape::Scalar(Value::Literal(s)),
                None => src.expression(n),
            },
            "boolean" | "integer" | "null" => Shape::Scalar(Value::Literal(src.of(n).to_string())),
            "variable_name" => Shape::Name(src.of(n).to_string()),
            "parenthesized_expression" => self.shape_of(src, n, n.named_child(0)),
            // `getenv('X') ?: 'fallback'`, `$_ENV['X'] ?? 'fallback'`
            "binary_expression" | "conditional_expression" => {
                let text = src.of(n);
                let last = named(n).last().filter(|r| r.kind() == "string");
                match last.and_then(|r| string(src, r)) {
                    Some(f) if !f.is_empty() && (text.contains("??") || text.contains("?:")) => {
                        Shape::Scalar(Value::Fallback(f))
                    }
                    _ => src.expression(n),
                }
            }
            // Laravel's `env('X', 'fallback')`
            "function_call_expression" if src.of(n).starts_with("env(") => {
                let default = n
                    .child_by_field_name("arguments")
                    .and_then(|a| named(a).nth(1))
                    .and_then(|d| named(d).last())
                    .and_then(|d| string(src, d));
                match default {
                    Some(f) if !f.is_empty() => Shape::Scalar(Value::Fallback(f)),
                    _ => src.expression(n),
                }
            }
            _ => src.expression(n),
        }
    }

    /// A fluent chain is one statement: its options are the statement's.
    fn extent<'t>(&self, client: Node<'t>) -> Node<'t> {
        super::enclosing_statement(client, &["expression_statement", "return_statement"])
    }
}

/// A string's text, when it interpolates nothing.
fn string(src: &Src, n: Node) -> Option<String> {
    let parts = ["string_content", "string_value", "escape_sequence"];
    super::string_text(src, n, &parts, &[])
}
