//! A YAML document tree that keeps the position of every key and value.
//!
//! Built on the event stream of `saphyr-parser` rather than on `saphyr`'s own tree because an
//! auditor needs what a loader throws away: a repeated key (a config error in Elasticsearch)
//! must keep both occurrences and both positions, and alias expansion must be bounded so a
//! hostile file cannot blow up memory.

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, SpannedEventReceiver};
use std::collections::HashMap;

/// Upper bound on nodes produced by alias expansion (a "billion laughs" file stops here).
const MAX_NODES: usize = 1_000_000;
/// Upper bound on nesting depth.
const MAX_DEPTH: usize = 256;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn from_span(span: &Span) -> Pos {
        Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar as written: its text, and whether it was quoted (quoted text is never a bool or null).
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    /// Entries in file order; repeated keys are kept.
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// True for an unquoted empty or `~`/`null` scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, quoted: false }
            if text.is_empty() || text == "~" || text.eq_ignore_ascii_case("null"))
    }

    /// The value under `key` in a mapping (the last one when the key is repeated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<ScanError> for YamlError {
    fn from(e: ScanError) -> Self {
        YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        }
    }
}

/// Parses every document of a YAML stream. An empty stream gives no documents.
///
/// One leniency of libyaml (and so of PyYAML, go-yaml and kubectl) is kept: a line holding only
/// the closing bracket of a flow collection may sit at the indentation of the key that opens
/// it (`args: [` … `]`). YAML 1.2 wants every line of a flow collection indented deeper than
/// that key, and saphyr-parser follows it ("invalid indentation"); such a line is re-indented
/// by one space and the text parsed again. Only whitespace before the bracket changes, so the
/// values and every other position are the same.
pub fn parse(src: &str) -> Result<Vec<Node>, YamlError> {
    let mut text = std::borrow::Cow::Borrowed(src);
    for _ in 0..MAX_BRACKET_FIXES {
        match parse_strict(&text) {
            Err(e) if e.message == "invalid indentation" => {
                let Some(fixed) = indent_closing_bracket(&text, e.line) else {
                    return Err(e);
                };
                text = std::borrow::Cow::Owned(fixed);
            }
            other => return other,
        }
    }
    parse_strict(&text)
}

/// Bound on the closing-bracket lines [`parse`] re-indents in one text.
const MAX_BRACKET_FIXES: usize = 64;

/// The text with one more space before the closing bracket on `line` (1-based), when that line
/// holds only `]` or `}` (with an optional comma or comment).
fn indent_closing_bracket(text: &str, line: usize) -> Option<String> {
    let target = text.split_inclusive('\n').nth(line.checked_sub(1)?)?;
    let body = target.trim();
    let body = body.split(" #").next().unwrap_or(body).trim_end();
    if !matches!(body, "]" | "}" | "]," | "},") {
        return None;
    }
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let mut out = String::with_capacity(text.len() + 1);
    out.push_str(&text[..start]);
    out.push(' ');
    out.push_str(&text[start..]);
    Some(out)
}

fn parse_strict(src: &str) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(src);
    parser.load(&mut builder, true)?;
    match builder.error {
        Some(e) => Err(e),
        None => Ok(builder.docs),
    }
}

enum Open {
    Seq(Vec<Node>, Pos, usize),
    /// Entries, a pending key, the map's position and anchor.
    Map(Vec<(Node, Node)>, Option<Node>, Pos, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    docs: Vec<Node>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    error: Option<YamlError>,
}

impl Builder {
    fn fail(&mut self, pos: Pos, message: &str) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                line: pos.line,
                column: pos.column,
                message: message.to_string(),
            });
        }
    }

    fn count(node: &Node) -> usize {
        match &node.kind {
            NodeKind::Scalar { .. } => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Self::count).sum::<usize>(),
            NodeKind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| Self::count(k) + Self::count(v))
                    .sum::<usize>()
            }
        }
    }

    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            // Keeping an anchored node copies it, and nested anchors copy the same nodes again:
            // those copies count against the bound too, or a file of anchored maps nested a
            // hundred deep around a few aliases takes minutes.
            self.nodes += Self::count(&node);
            if self.nodes > MAX_NODES {
                return self.fail(node.pos, "anchors and aliases expand past 1,000,000 nodes");
            }
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Open::Seq(items, ..)) => items.push(node),
            Some(Open::Map(entries, pending, ..)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        if self.error.is_some() {
            return;
        }
        let pos = Pos::from_span(&span);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                self.nodes += 1;
                let quoted = !matches!(style, ScalarStyle::Plain);
                let node = Node {
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        quoted,
                    },
                    pos,
                };
                self.push(node, anchor);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.fail(pos, "nesting deeper than 256 levels");
                }
                self.nodes += 1;
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new(), pos, anchor)
                } else {
                    Open::Map(Vec::new(), None, pos, anchor)
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq(items, pos, anchor)) => (
                        Node {
                            kind: NodeKind::Seq(items),
                            pos,
                        },
                        anchor,
                    ),
                    Some(Open::Map(entries, _, pos, anchor)) => (
                        Node {
                            kind: NodeKind::Map(entries),
                            pos,
                        },
                        anchor,
                    ),
                    None => return,
                };
                self.push(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => {
                    self.nodes += Self::count(&node);
                    if self.nodes > MAX_NODES {
                        return self.fail(pos, "alias expansion exceeds 1,000,000 nodes");
                    }
                    self.push(node, 0);
                }
                None => self.fail(pos, "alias to an unknown anchor"),
            },
            Event::DocumentEnd => self.anchors.clear(),
            _ => {}
        }
        if self.nodes > MAX_NODES {
            self.fail(pos, "document exceeds 1,000,000 nodes");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_repeated_keys() {
        let docs = parse("a: 1\nb:\n  c: \"true\"\na: 2\n").unwrap();
        let NodeKind::Map(entries) = &docs[0].kind else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2].0.pos, Pos { line: 4, column: 1 });
        let c = docs[0].get("b").unwrap().get("c").unwrap();
        assert_eq!(c.pos, Pos { line: 3, column: 6 });
        assert_eq!(
            c.kind,
            NodeKind::Scalar {
                text: "true".into(),
                quoted: true
            }
        );
        assert_eq!(docs[0].get("a").unwrap().as_str(), Some("2"));
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.line >= 1, "{err}");
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = parse(&src).unwrap_err();
        assert!(err.message.contains("exceeds"), "{err}");
    }

    #[test]
    fn multi_document_streams() {
        let docs = parse("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].pos.line, 3);
    }

    #[test]
    fn closing_bracket_at_the_key_indentation_is_accepted() {
        let src = "spec:\n  args: [\n    \"-c\", \"/etc/filebeat.yml\",\n    \"-e\",\n  ]\n  env: {\n    a: 1\n  }\n  next: x\n";
        let docs = parse(src).unwrap();
        let spec = docs[0].get("spec").unwrap();
        let NodeKind::Seq(args) = &spec.get("args").unwrap().kind else {
            panic!("not a list");
        };
        assert_eq!(args.len(), 3);
        assert_eq!(spec.get("next").unwrap().pos, Pos { line: 9, column: 9 });
        // Entries (not a lone bracket) indented too little stay an error, as the spec says.
        assert!(parse("flow: [a,\nb,\nc]\n").is_err());
    }
}
