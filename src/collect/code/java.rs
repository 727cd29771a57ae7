//! Java: arguments of the calls the query finds, string constants, `System.getenv` and
//! Spring's `Environment.getProperty(key, default)`.

use super::{Grammar, Lang, Shape, Src, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct Java;

impl Grammar for Java {
    fn tool(&self) -> Tool {
        Tool::Java
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_java::LANGUAGE.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/java.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "argument_list" => {
                let args: Vec<Node> = named(n)
                    .filter(|c| !matches!(c.kind(), "line_comment" | "block_comment"))
                    .collect();
                if args.is_empty() {
                    // `usingSsl()`: written, with nothing to flatten.
                    Shape::Scalar(Value::Literal("()".into()))
                } else {
                    Shape::List(args)
                }
            }
            "string_literal" => Shape::Scalar(match string(src, n) {
                Some(s) if !s.is_empty() => Value::Literal(s),
                Some(_) => Value::Absent,
                None => Value::Unresolved(src.of(n).to_string()),
            }),
            "true" | "false" | "null_literal" | "decimal_integer_literal" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "lambda_expression" | "block" => Shape::Scalar(Value::Literal(src.of(n).to_string())),
            "identifier" => Shape::Name(src.of(n).to_string()),
            "parenthesized_expression" => self.shape_of(src, n, n.named_child(0)),
            // "a" + "b"
            "binary_expression" => {
                let parts = [
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ];
                let texts: Option<Vec<String>> = parts
                    .iter()
                    .map(|p| {
                        p.filter(|p| p.kind() == "string_literal")
                            .and_then(|p| string(src, p))
                    })
                    .collect();
                match texts {
                    Some(t) => Shape::Scalar(Value::Literal(t.concat())),
                    None => src.expression(n),
                }
            }
            "method_invocation" => invocation(self, src, n),
            _ => src.expression(n),
        }
    }

    /// A builder chain is one statement: `ClientConfiguration.builder().connectedTo(…)
    /// .withBasicAuth(…).build()`; its options are the statement's.
    fn extent<'t>(&self, client: Node<'t>) -> Node<'t> {
        super::enclosing_statement(
            client,
            &[
                "local_variable_declaration",
                "expression_statement",
                "return_statement",
                "field_declaration",
            ],
        )
    }
}

fn string(src: &Src, n: Node) -> Option<String> {
    super::string_text(src, n, &["string_fragment", "escape_sequence"], &[])
}

/// `"secret".toCharArray()` is the string; `getProperty(key, "default")` falls back to its
/// default; any other call is computed at run time.
fn invocation<'t>(g: &Java, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
    let name = n
        .child_by_field_name("name")
        .map(|m| src.of(m))
        .unwrap_or_default();
    let object = n.child_by_field_name("object");
    if name == "toCharArray"
        && let Some(o) = object
    {
        return g.shape(src, o);
    }
    let args: Vec<Node> = n
        .child_by_field_name("arguments")
        .map(|a| named(a).collect())
        .unwrap_or_default();
    if matches!(name, "getProperty" | "getenv" | "getOrDefault")
        && let Some(default) = args.get(1).filter(|d| d.kind() == "string_literal")
        && let Some(f) = string(src, *default).filter(|f| !f.is_empty())
    {
        return Shape::Scalar(Value::Fallback(f));
    }
    src.expression(n)
}
