//! Ruby: hashes (symbol and string keys), `**opts`, `ENV['X']`, `ENV.fetch('X', 'fallback')`
//! and `ENV['X'] || 'fallback'`.

use super::{Grammar, Lang, Shape, Src, named};
use crate::evidence::client::{Tool, Value};
use tree_sitter::Node;

pub(super) struct Ruby;

impl Grammar for Ruby {
    fn tool(&self) -> Tool {
        Tool::Ruby
    }

    fn language(&self, _: Lang) -> tree_sitter::Language {
        tree_sitter_ruby::LANGUAGE.into()
    }

    fn query_source(&self) -> &'static str {
        include_str!("../../../checks/clients/ruby.scm")
    }

    fn shape<'t>(&self, src: &Src<'t>, n: Node<'t>) -> Shape<'t> {
        match n.kind() {
            "argument_list" | "hash" => Shape::Map(
                named(n)
                    .filter_map(|p| match p.kind() {
                        "pair" => Some((
                            key(src, p.child_by_field_name("key")?)?,
                            p.child_by_field_name("value")?,
                        )),
                        "hash_splat_argument" => Some((String::new(), p.named_child(0)?)),
                        // `Client.new(options)`: a hash given whole.
                        "identifier" | "hash" if n.kind() == "argument_list" => {
                            Some((String::new(), p))
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            "array" => Shape::List(named(n).filter(|c| c.kind() != "comment").collect()),
            "string" => match string(src, n) {
                Some(s) if s.is_empty() => Shape::Scalar(Value::Absent),
                Some(s) => Shape::Scalar(Value::Literal(s)),
                // `"http://elastic:#{pw}@host"`: the URL's parts stay readable (`${pw}`).
                None => Shape::Scalar(Value::Unresolved(
                    src.of(n).trim_matches(['"', '\'']).replace("#{", "${"),
                )),
            },
            "true" | "false" | "nil" | "integer" => {
                Shape::Scalar(Value::Literal(src.of(n).to_string()))
            }
            "simple_symbol" => Shape::Scalar(Value::Literal(src.of(n).to_string())),
            // `OpenSSL::SSL::VERIFY_NONE`: a constant.
            "scope_resolution" => Shape::Scalar(Value::Literal(src.of(n).to_string())),
            "identifier" | "constant" => Shape::Name(src.of(n).to_string()),
            "parenthesized_statements" => self.shape_of(src, n, n.named_child(0)),
            // `ENV['X'] || 'fallback'`
            "binary" => {
                let op = n.child_by_field_name("operator").map(|o| src.of(o));
                let right = n
                    .child_by_field_name("right")
                    .filter(|r| r.kind() == "string");
                match (op, right.and_then(|r| string(src, r))) {
                    (Some("||"), Some(f)) if !f.is_empty() => Shape::Scalar(Value::Fallback(f)),
                    _ => src.expression(n),
                }
            }
            // `"…".freeze`, `x.to_s`: the value itself.
            "call"
                if n.child_by_field_name("method")
                    .is_some_and(|m| matches!(src.of(m), "freeze" | "to_s" | "dup")) =>
            {
                self.shape_of(src, n, n.child_by_field_name("receiver"))
            }
            // `ENV.fetch('X', 'fallback')`
            "call" if src.of(n).starts_with("ENV.fetch") => {
                let default = n
                    .child_by_field_name("arguments")
                    .and_then(|a| named(a).nth(1))
                    .and_then(|d| string(src, d));
                match default {
                    Some(f) if !f.is_empty() => Shape::Scalar(Value::Fallback(f)),
                    _ => src.expression(n),
                }
            }
            _ => src.expression(n),
        }
    }
}

fn key(src: &Src, k: Node) -> Option<String> {
    match k.kind() {
        "hash_key_symbol" | "identifier" | "constant" => Some(src.of(k).to_string()),
        "simple_symbol" => Some(src.of(k).trim_start_matches(':').to_string()),
        "string" => string(src, k),
        _ => None,
    }
}

/// A string's text, when it has no `#{…}`.
fn string(src: &Src, n: Node) -> Option<String> {
    super::string_text(src, n, &["string_content", "escape_sequence"], &[])
}
