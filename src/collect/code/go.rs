//! Go: struct literals (nested `&http.Transport{TLSClientConfig: &tls.Config{…}}` included),
//! `os.Getenv`, and the `crypto/tls` constants.

use super::{Grammar, Lang, Shape, Src, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct Go;

impl Grammar for Go {
    fn tool(&self) -> Tool {
        Tool::Go
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_go::LANGUAGE.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/go.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "literal_value" => {
                let elements: Vec<Node> = named(n).filter(|c| c.kind() != "comment").collect();
                if elements.iter().any(|e| e.kind() == "keyed_element") {
                    Shape::Map(
                        elements
                            .into_iter()
                            .filter_map(|e| {
                                let k =
                                    e.child_by_field_name("key").or_else(|| e.named_child(0))?;
                                let v = e
                                    .child_by_field_name("value")
                                    .or_else(|| e.named_child(1))?;
                                Some((src.of(k).trim().to_string(), v))
                            })
                            .collect(),
                    )
                } else {
                    Shape::List(elements)
                }
            }
            "literal_element" | "parenthesized_expression" => {
                self.shape_of(src, n, n.named_child(0))
            }
            "composite_literal" => self.shape_of(src, n, n.child_by_field_name("body")),
            "unary_expression" if src.of(n).starts_with('&') => {
                self.shape_of(src, n, n.child_by_field_name("operand"))
            }
            "interpreted_string_literal" | "raw_string_literal" => {
                let s: String = named(n)
                    .filter(|c| c.kind().ends_with("_content") || c.kind() == "escape_sequence")
                    .map(|c| src.of(c))
                    .collect();
                Shape::Scalar(if s.is_empty() {
                    Value::Absent
                } else {
                    Value::Literal(s)
                })
            }
            "true" | "false" | "nil" | "int_literal" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "identifier" => Shape::Name(src.of(n).to_string()),
            // `tls.VersionTLS10`: a constant.
            "selector_expression" if src.of(n).starts_with("tls.") => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            _ => src.expression(n),
        }
    }
}
