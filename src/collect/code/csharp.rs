//! C#: arguments of the calls the query finds, string constants, `??` fallbacks and
//! `Environment.GetEnvironmentVariable`.

use super::{Grammar, Lang, Shape, Src, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct CSharp;

impl Grammar for CSharp {
    fn tool(&self) -> Tool {
        Tool::CSharp
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_c_sharp::LANGUAGE.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/csharp.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "argument_list" => {
                let args: Vec<Node> = named(n).filter(|c| c.kind() == "argument").collect();
                super::arguments(args)
            }
            // `name: value`: the value.
            "argument" => self.shape_of(src, n, named(n).last()),
            "string_literal" | "verbatim_string_literal" | "raw_string_literal" => {
                let s: String = named(n)
                    .filter(|c| c.kind().ends_with("_content"))
                    .map(|c| src.of(c))
                    .collect();
                let interpolated = named(n).any(|c| c.kind() == "interpolation");
                match (interpolated, s.is_empty()) {
                    (true, _) => src.expression(n),
                    (false, true) => Shape::Scalar(Value::Absent),
                    (false, false) => Shape::Scalar(Value::Literal(s)),
                }
            }
            "interpolated_string_expression" => src.expression(n),
            "boolean_literal" | "integer_literal" | "null_literal" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "lambda_expression" => Shape::Scalar(Value::Literal(src.of(n).to_string())),
            "identifier" => Shape::Name(src.of(n).to_string()),
            "parenthesized_expression" => self.shape_of(src, n, n.named_child(0)),
            // `Environment.GetEnvironmentVariable("X") ?? "fallback"`
            "binary_expression" => {
                let op = n.child_by_field_name("operator").map(|o| src.of(o));
                let right = n
                    .child_by_field_name("right")
                    .filter(|r| r.kind() == "string_literal");
                match (op, right) {
                    (Some("??"), Some(r)) => match self.shape(src, r) {
                        Shape::Scalar(Value::Literal(f)) => Shape::Scalar(Value::Fallback(f)),
                        _ => src.expression(n),
                    },
                    _ => src.expression(n),
                }
            }
            _ => src.expression(n),
        }
    }

    /// A fluent chain is one statement: its options are the statement's.
    fn extent<'t>(&self, client: Node<'t>) -> Node<'t> {
        super::enclosing_statement(
            client,
            &[
                "local_declaration_statement",
                "expression_statement",
                "return_statement",
                "field_declaration",
                "global_statement",
            ],
        )
    }
}
