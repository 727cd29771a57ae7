//! The Logstash pipeline language (`*.conf`): sections, plugins, attributes, strings, numbers,
//! arrays, hashes, comments and `if` / `else if` / `else` branches, with the position of every
//! plugin and attribute. It is not YAML, so it has its own grammar, written with `winnow`.
//!
//! ```text
//! config     = ws { section ws } EOF
//! section    = ("input" | "filter" | "output") ws "{" ws body "}"
//! body       = { (branch | plugin) ws }
//! plugin     = name ws "{" ws { attribute ws } "}"
//! attribute  = name ws "=>" ws value
//! value      = plugin | hash | array | string | number | bareword
//! array      = "[" ws [ value { ws "," ws value } ] ws [","] ws "]"
//! hash       = "{" ws { key ws "=>" ws value ws [","] ws } "}"
//! branch     = "if" condition "{" ws body "}" { ws "else" ws "if" condition "{" ws body "}" }
//!              [ ws "else" ws "{" ws body "}" ]
//! condition  = text up to the "{" that opens the block (strings, regexes and brackets skipped)
//! ws         = { whitespace | "#" comment-to-end-of-line }
//! ```

use winnow::ascii::{multispace1, till_line_ending};
use winnow::combinator::{alt, cut_err, delimited, opt, preceded, repeat};
use winnow::error::{ContextError, ErrMode, ModalResult, StrContext};
use winnow::prelude::*;
use winnow::stream::{LocatingSlice, Location};
use winnow::token::{any, one_of, take_while};

type In<'a> = LocatingSlice<&'a str>;

/// A value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A quoted string, without its quotes, escapes kept as written.
    Str(String),
    Number(String),
    Bare(String),
    Array(Vec<Value>),
    Hash(Vec<(String, Value)>),
    /// `codec => json { … }`.
    Plugin(String, Vec<Attribute>),
}

impl Value {
    /// The value as setting text: scalars as they are, arrays as items, hashes and plugins empty.
    pub fn texts(&self) -> Option<Vec<String>> {
        match self {
            Value::Str(s) | Value::Number(s) | Value::Bare(s) => Some(vec![s.clone()]),
            Value::Array(items) => Some(items.iter().filter_map(|i| i.texts()).flatten().collect()),
            Value::Hash(_) | Value::Plugin(..) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub value: Value,
    /// Byte offset of the attribute's name.
    pub offset: usize,
}

/// A plugin block, wherever it sits (conditionals included).
#[derive(Debug, Clone, PartialEq)]
pub struct Plugin {
    /// `input`, `filter` or `output`.
    pub section: String,
    pub name: String,
    pub attributes: Vec<Attribute>,
    /// Byte offset of the plugin's name.
    pub offset: usize,
    /// Inside an `if` / `else` branch.
    pub conditional: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct PipelineError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

/// Line and column of many offsets of one text, in linear time when they come in increasing
/// order (a plugin's attributes do): [`line_col`] for each would rescan the text every time.
pub struct Positions<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    column: usize,
}

impl<'a> Positions<'a> {
    pub fn new(text: &'a str) -> Self {
        Positions {
            text,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// 1-based line and column of a byte offset (a char boundary).
    pub fn at(&mut self, offset: usize) -> (usize, usize) {
        if offset < self.offset {
            *self = Positions::new(self.text);
        }
        for c in self.text[self.offset..offset].chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset = offset;
        (self.line, self.column)
    }
}

/// Deepest nesting of arrays, hashes, plugin values and `if` blocks. The parser recurses once
/// per level, so without a bound a hostile file of a few kilobytes of `[` overflows the stack.
pub const MAX_NESTING: usize = 64;

thread_local! {
    static NESTING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static TOO_DEEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One level deeper while it lives.
struct Nested;

impl Nested {
    fn enter() -> ModalResult<Nested> {
        let depth = NESTING.with(|d| d.get());
        if depth >= MAX_NESTING {
            TOO_DEEP.with(|t| t.set(true));
            return Err(ErrMode::Cut(ContextError::new()));
        }
        NESTING.with(|d| d.set(depth + 1));
        Ok(Nested)
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        NESTING.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Parses a whole pipeline file into its plugins, in file order.
pub fn parse(text: &str) -> Result<Vec<Plugin>, PipelineError> {
    let mut input = LocatingSlice::new(text);
    NESTING.with(|d| d.set(0));
    TOO_DEEP.with(|t| t.set(false));
    match config.parse_next(&mut input) {
        Ok(plugins) => Ok(plugins),
        Err(_) if TOO_DEEP.with(|t| t.get()) => {
            let (line, column) = line_col(text, input.current_token_start());
            Err(PipelineError {
                line,
                column,
                message: format!("nesting deeper than {MAX_NESTING} levels"),
            })
        }
        Err(e) => {
            let offset = input.current_token_start();
            let (line, column) = line_col(text, offset);
            let expected = match &e {
                ErrMode::Backtrack(c) | ErrMode::Cut(c) => context_text(c),
                ErrMode::Incomplete(_) => String::new(),
            };
            Err(PipelineError {
                line,
                column,
                message: if expected.is_empty() {
                    "invalid pipeline syntax".into()
                } else {
                    format!("invalid pipeline syntax: expected {expected}")
                },
            })
        }
    }
}

fn context_text(c: &ContextError) -> String {
    c.context()
        .filter_map(|c| match c {
            StrContext::Label(l) => Some(l.to_string()),
            StrContext::Expected(e) => Some(e.to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn config(i: &mut In) -> ModalResult<Vec<Plugin>> {
    ws(i)?;
    let mut plugins = Vec::new();
    while !i.is_empty() {
        let section = alt(("input", "filter", "output"))
            .context(StrContext::Label("input, filter or output"))
            .parse_next(i)?
            .to_string();
        ws(i)?;
        braced_body(i, &section, false, &mut plugins)?;
        ws(i)?;
    }
    Ok(plugins)
}

/// Comments and whitespace.
fn ws(i: &mut In) -> ModalResult<()> {
    repeat(
        0..,
        alt((multispace1.void(), preceded('#', till_line_ending).void())),
    )
    .parse_next(i)
}

/// `{ … }` around a section or branch body.
fn braced_body(
    i: &mut In,
    section: &str,
    conditional: bool,
    out: &mut Vec<Plugin>,
) -> ModalResult<()> {
    cut_err('{')
        .context(StrContext::Label("'{'"))
        .parse_next(i)?;
    body(i, section, conditional, out)?;
    cut_err('}')
        .context(StrContext::Label("'}'"))
        .parse_next(i)?;
    Ok(())
}

fn body(i: &mut In, section: &str, conditional: bool, out: &mut Vec<Plugin>) -> ModalResult<()> {
    let _nested = Nested::enter()?;
    ws(i)?;
    while !i.is_empty() && !i.starts_with('}') {
        if keyword(i, "if")? {
            branch(i, section, out)?;
        } else {
            let p = plugin(i)?;
            out.push(Plugin {
                section: section.to_string(),
                name: p.0,
                attributes: p.1,
                offset: p.2,
                conditional,
            });
        }
        ws(i)?;
    }
    Ok(())
}

/// Consumes `word` when it stands alone (followed by a non-name character).
fn keyword(i: &mut In, word: &str) -> ModalResult<bool> {
    let rest: &str = i;
    let alone = rest.starts_with(word)
        && rest[word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_name_char(c));
    if alone {
        let _ = winnow::token::literal(word).parse_next(i)?;
    }
    Ok(alone)
}

fn branch(i: &mut In, section: &str, out: &mut Vec<Plugin>) -> ModalResult<()> {
    loop {
        condition(i)?;
        braced_body(i, section, true, out)?;
        let checkpoint = i.checkpoint();
        ws(i)?;
        if !keyword(i, "else")? {
            i.reset(&checkpoint);
            return Ok(());
        }
        ws(i)?;
        if keyword(i, "if")? {
            continue;
        }
        braced_body(i, section, true, out)?;
        return Ok(());
    }
}

/// The text of a condition, up to the `{` of its block.
fn condition(i: &mut In) -> ModalResult<()> {
    let mut depth = 0usize;
    loop {
        let rest: &str = i;
        match rest.chars().next() {
            None => {
                return cut_err(winnow::combinator::fail)
                    .context(StrContext::Label("'{' after the condition"))
                    .parse_next(i);
            }
            Some('{') if depth == 0 => return Ok(()),
            Some('"') | Some('\'') => {
                string(i)?;
            }
            Some('/') => {
                // A regular expression literal after =~ / !~.
                let _ = any.parse_next(i)?;
                let _: () = repeat(
                    0..,
                    alt((preceded('\\', any).void(), one_of(|c| c != '/').void())),
                )
                .parse_next(i)?;
                let _ = opt('/').parse_next(i)?;
            }
            Some('[') | Some('(') => {
                depth += 1;
                let _ = any.parse_next(i)?;
            }
            Some(']') | Some(')') => {
                depth = depth.saturating_sub(1);
                let _ = any.parse_next(i)?;
            }
            Some(_) => {
                let _ = any.parse_next(i)?;
            }
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn name(i: &mut In) -> ModalResult<String> {
    alt((take_while(1.., is_name_char).map(str::to_string), string))
        .context(StrContext::Label("a name"))
        .parse_next(i)
}

fn plugin(i: &mut In) -> ModalResult<(String, Vec<Attribute>, usize)> {
    let offset = i.current_token_start();
    let n = name(i)?;
    ws(i)?;
    cut_err('{')
        .context(StrContext::Label("'{' after the plugin name"))
        .parse_next(i)?;
    let attrs = attributes(i)?;
    cut_err('}')
        .context(StrContext::Label("'}' closing the plugin"))
        .parse_next(i)?;
    Ok((n, attrs, offset))
}

fn attributes(i: &mut In) -> ModalResult<Vec<Attribute>> {
    let mut out = Vec::new();
    ws(i)?;
    while !i.is_empty() && !i.starts_with('}') {
        let offset = i.current_token_start();
        let n = name(i)?;
        ws(i)?;
        cut_err("=>")
            .context(StrContext::Label("'=>'"))
            .parse_next(i)?;
        ws(i)?;
        let v = cut_err(value).parse_next(i)?;
        out.push(Attribute {
            name: n,
            value: v,
            offset,
        });
        ws(i)?;
    }
    Ok(out)
}

fn value(i: &mut In) -> ModalResult<Value> {
    let _nested = Nested::enter()?;
    alt((
        string.map(Value::Str),
        array,
        hash,
        number.map(Value::Number),
        bare_or_plugin,
    ))
    .context(StrContext::Label("a value"))
    .parse_next(i)
}

fn string(i: &mut In) -> ModalResult<String> {
    alt((quoted('"'), quoted('\''))).parse_next(i)
}

fn quoted<'a>(q: char) -> impl Parser<In<'a>, String, ErrMode<ContextError>> {
    move |i: &mut In<'a>| {
        delimited(
            q,
            repeat(
                0..,
                alt((
                    ('\\', any).take(),
                    take_while(1.., move |c: char| c != q && c != '\\'),
                )),
            )
            .fold(String::new, |mut acc, s: &str| {
                acc.push_str(s);
                acc
            }),
            cut_err(q).context(StrContext::Label("closing quote")),
        )
        .parse_next(i)
    }
}

fn number(i: &mut In) -> ModalResult<String> {
    (
        opt('-'),
        take_while(1.., |c: char| c.is_ascii_digit()),
        opt(('.', take_while(1.., |c: char| c.is_ascii_digit()))),
    )
        .take()
        .map(str::to_string)
        .parse_next(i)
        .and_then(|n| {
            // "5044abc" or "10.0.0.1" is a bareword, not a number.
            let rest: &str = i;
            match rest.chars().next() {
                Some(c) if is_name_char(c) || c == '.' || c == ':' => {
                    Err(ErrMode::Backtrack(ContextError::new()))
                }
                _ => Ok(n),
            }
        })
}

fn bare_or_plugin(i: &mut In) -> ModalResult<Value> {
    let word = take_while(1.., |c: char| {
        is_name_char(c) || c == '.' || c == ':' || c == '/'
    })
    .parse_next(i)?
    .to_string();
    let checkpoint = i.checkpoint();
    ws(i)?;
    if i.starts_with('{') {
        let _ = '{'.parse_next(i)?;
        let attrs = attributes(i)?;
        cut_err('}')
            .context(StrContext::Label("'}'"))
            .parse_next(i)?;
        return Ok(Value::Plugin(word, attrs));
    }
    i.reset(&checkpoint);
    Ok(Value::Bare(word))
}

fn array(i: &mut In) -> ModalResult<Value> {
    let _ = '['.parse_next(i)?;
    let mut items = Vec::new();
    ws(i)?;
    while !i.starts_with(']') {
        items.push(cut_err(value).parse_next(i)?);
        ws(i)?;
        if opt(',').parse_next(i)?.is_none() {
            break;
        }
        ws(i)?;
    }
    cut_err(']')
        .context(StrContext::Label("']'"))
        .parse_next(i)?;
    Ok(Value::Array(items))
}

fn hash(i: &mut In) -> ModalResult<Value> {
    let _ = '{'.parse_next(i)?;
    let mut entries = Vec::new();
    ws(i)?;
    while !i.is_empty() && !i.starts_with('}') {
        let key = alt((
            string,
            number,
            take_while(1.., is_name_char).map(str::to_string),
        ))
        .context(StrContext::Label("a hash key"))
        .parse_next(i)?;
        ws(i)?;
        cut_err("=>")
            .context(StrContext::Label("'=>'"))
            .parse_next(i)?;
        ws(i)?;
        let v = cut_err(value).parse_next(i)?;
        entries.push((key, v));
        ws(i)?;
        let _ = opt(',').parse_next(i)?;
        ws(i)?;
    }
    cut_err('}')
        .context(StrContext::Label("'}'"))
        .parse_next(i)?;
    Ok(Value::Hash(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"# a comment
input {
  beats { port => 5044 }   # trailing comment
}
filter {
  if [type] == "x" and [msg] =~ /a{2}/ {
    mutate { add_field => { "a" => "b" "c" => 1 } }
  } else if "tag" in [tags] {
    drop { }
  } else {
    grok { match => { "message" => "%{WORD:w}" } }
  }
}
output {
  elasticsearch {
    hosts => ["https://es:9200", 'http://b:9200']
    user => elastic
    password => "${ES_PW}"
    ssl_verification_mode => "none"
    codec => json { charset => "UTF-8" }
    retry => -1.5
  }
}
"#;

    #[test]
    fn parses_sections_plugins_branches_and_values() {
        let plugins = parse(SAMPLE).unwrap();
        let names: Vec<_> = plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["beats", "mutate", "drop", "grok", "elasticsearch"]);
        assert!(plugins[1].conditional && plugins[3].conditional && !plugins[4].conditional);
        let es = &plugins[4];
        assert_eq!(es.section, "output");
        assert_eq!(line_col(SAMPLE, es.offset), (15, 3));
        let hosts = &es.attributes[0];
        assert_eq!(line_col(SAMPLE, hosts.offset), (16, 5));
        assert_eq!(
            hosts.value.texts().unwrap(),
            vec!["https://es:9200", "http://b:9200"]
        );
        assert_eq!(es.attributes[1].value, Value::Bare("elastic".into()));
        assert!(matches!(es.attributes[4].value, Value::Plugin(ref n, _) if n == "json"));
        assert_eq!(es.attributes[5].value, Value::Number("-1.5".into()));
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("output {\n  elasticsearch {\n    hosts => \n").unwrap_err();
        assert!(err.line >= 3, "{err}");
        let err = parse("output {\n  elasticsearch { hosts => \"x\" }\n").unwrap_err();
        assert!(err.message.contains("'}'"), "{err}");
        assert!(parse("nonsense").is_err());
        assert!(parse("").unwrap().is_empty());
    }
}
