//! Verdicts remembered by what a rule reads. A rule's CEL is a pure function of the values its
//! expressions read: when two items (a fleet's nodes sharing a config template, say) give a
//! rule the same values, the rule says the same thing, so it is evaluated once and the other
//! items get its verdict without their facts being converted into CEL at all.
//!
//! [`reads`] finds what a rule reads from its syntax tree: paths into the variables
//! (`node.security_enabled`, `node.settings["http.port"]`, what `tls.setting("key")` looks at).
//! A rule that reads something no path names (a whole map handed to a function it does not
//! know, a computed index) is not remembered. [`Spellings`] spells the values at those paths
//! exactly (each path once per item, as many rules read the same ones), so two items share a
//! verdict only when they give the rule equal values.

use cel::Value;
use cel::common::ast::{Expr, IdedExpr};
use cel::objects::Key;
use std::collections::HashMap;
use std::sync::Mutex;

/// A path into a variable: its name, then map keys (`["node", "settings", "http.port"]`).
pub type Path = Vec<String>;

/// The paths the expressions read, or `None` when something is read that no path names.
pub fn reads<'a>(expressions: impl Iterator<Item = &'a IdedExpr>) -> Option<Vec<Path>> {
    let mut walk = Walk::default();
    for expression in expressions {
        walk.expr(expression)?;
    }
    walk.paths.sort();
    walk.paths.dedup();
    Some(walk.paths)
}

/// The catalog's functions called on an item (`x.setting(key)`, see `functions.rs`): the
/// fields of `x` each one reads, beyond the ones every one of them reads to tell whether the
/// source hides the key (`hidden_reason`, `prefix`, `hidden_patterns`). Each field comes
/// with whether only the entry the call's argument names is read.
fn catalog_function_reads(name: &str) -> Option<&'static [(&'static str, bool)]> {
    match name {
        "setting" | "list" => Some(&[("settings", true), ("unresolved", true)]),
        "is_set" => Some(&[("explicit", true)]),
        "any_set" => Some(&[("explicit", false)]),
        _ => None,
    }
}

const HIDDEN_FIELDS: [&str; 3] = ["hidden_reason", "prefix", "hidden_patterns"];

#[derive(Default)]
struct Walk {
    paths: Vec<Path>,
    /// Comprehension variables in scope: locals, not variables of the context.
    locals: Vec<String>,
}

impl Walk {
    /// The path `e` spells (`a.b["c"]`), if it spells one rooted in a context variable.
    fn path_of(&self, e: &IdedExpr) -> Option<Path> {
        match &e.expr {
            Expr::Ident(name) if !self.locals.contains(name) => Some(vec![name.clone()]),
            Expr::Select(select) if !select.test => {
                let mut path = self.path_of(&select.operand)?;
                path.push(select.field.clone());
                Some(path)
            }
            Expr::Call(call) if call.func_name == "_[_]" && call.target.is_none() => {
                let [operand, index] = call.args.as_slice() else {
                    return None;
                };
                let mut path = self.path_of(operand)?;
                path.push(string_literal(index)?.to_string());
                Some(path)
            }
            _ => None,
        }
    }

    fn expr(&mut self, e: &IdedExpr) -> Option<()> {
        if let Some(path) = self.path_of(e) {
            self.paths.push(path);
            return Some(());
        }
        match &e.expr {
            Expr::Unspecified | Expr::Literal(_) => {}
            // A local, or a name shadowed by one.
            Expr::Ident(_) => {}
            Expr::Select(select) => {
                // `has(a.b)` reads whether `a.b` is there: the path itself.
                match (select.test, self.path_of(&select.operand)) {
                    (true, Some(mut path)) => {
                        path.push(select.field.clone());
                        self.paths.push(path);
                    }
                    _ => self.expr(&select.operand)?,
                }
            }
            Expr::Call(call) => {
                let target = call.target.as_deref();
                let function = catalog_function_reads(&call.func_name);
                match (target.and_then(|t| self.path_of(t)), target) {
                    (Some(path), _) if let Some(fields) = function => {
                        let argument = call.args.first().and_then(string_literal);
                        for (field, entry_only) in fields {
                            let mut read = path.clone();
                            read.push(field.to_string());
                            if *entry_only {
                                // A key computed at run time: the whole field.
                                if let Some(key) = argument {
                                    read.push(key.to_string());
                                }
                            }
                            self.paths.push(read);
                        }
                        for field in HIDDEN_FIELDS {
                            let mut read = path.clone();
                            read.push(field.to_string());
                            self.paths.push(read);
                        }
                    }
                    // Any other method reads the value it is called on, whole.
                    (Some(path), _) => self.paths.push(path),
                    (None, Some(t)) => self.expr(t)?,
                    (None, None) => {}
                }
                for argument in &call.args {
                    self.expr(argument)?;
                }
            }
            Expr::Comprehension(c) => {
                self.expr(&c.iter_range)?;
                self.expr(&c.accu_init)?;
                let locals = [Some(&c.iter_var), c.iter_var2.as_ref(), Some(&c.accu_var)];
                let before = self.locals.len();
                self.locals
                    .extend(locals.into_iter().flatten().map(String::clone));
                for part in [&c.loop_cond, &c.loop_step, &c.result] {
                    self.expr(part)?;
                }
                self.locals.truncate(before);
            }
            Expr::List(list) => {
                for element in &list.elements {
                    self.expr(element)?;
                }
            }
            // Literal maps and messages are not part of the catalog's vocabulary.
            Expr::Map(_) | Expr::Struct(_) => return None,
        }
        Some(())
    }
}

fn string_literal(e: &IdedExpr) -> Option<&str> {
    match &e.expr {
        Expr::Literal(cel::common::ast::LiteralValue::String(s)) => Some(s.inner()),
        _ => None,
    }
}

/// A [`Path`] ready for lookups: the variable's name, then the map keys.
pub struct Lookup {
    variable: String,
    keys: Vec<Key>,
}

impl Lookup {
    /// The variable the path starts at.
    pub fn variable(&self) -> &str {
        &self.variable
    }
}

/// A path as a lookup.
pub fn lookup(mut path: Path) -> Lookup {
    let variable = path.remove(0);
    let keys = path.into_iter().map(|k| Key::String(k.into())).collect();
    Lookup { variable, keys }
}

/// The start of a verdict's key: the rule (its index in the catalog) and why the item's
/// facts are hidden, if they are. [`Spellings::append`] adds the values the rule reads.
pub fn key_start(rule: usize, hidden: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&(rule as u32).to_le_bytes());
    spell_str(hidden.unwrap_or(""), &mut out);
    out
}

/// The exact spelling of the value at each path (by its index among the catalog's paths) on
/// one item or one subject, made on first use: the rules on an item read many of the same
/// paths (`node.security_enabled`, `setting.key`), and each lookup hashes map keys.
pub struct Spellings {
    /// Where each path's spelling is in `spelled`; `Some(None)`: a value that is not spelled.
    at: Vec<Option<Option<std::ops::Range<usize>>>>,
    spelled: Vec<u8>,
    /// The paths spelled since the last [`Spellings::clear`].
    known: Vec<usize>,
}

impl Spellings {
    /// Room for `paths` paths.
    pub fn new(paths: usize) -> Spellings {
        Spellings {
            at: vec![None; paths],
            spelled: Vec::new(),
            known: Vec::new(),
        }
    }

    /// Forgets every spelling, for the next item.
    pub fn clear(&mut self) {
        for id in self.known.drain(..) {
            self.at[id] = None;
        }
        self.spelled.clear();
    }

    /// Appends to `key` the spelling of the value at path number `id` (`path`, its variable
    /// looked up by name with `variable`). `None` when the value is of a kind that is not
    /// spelled (none of the evidence's kinds).
    pub fn append<'v>(
        &mut self,
        id: usize,
        path: &Lookup,
        variable: impl Fn(&str) -> Option<&'v Value>,
        key: &mut Vec<u8>,
    ) -> Option<()> {
        let range = match &self.at[id] {
            Some(known) => known.clone(),
            None => {
                let start = self.spelled.len();
                let range =
                    spell_at(path, variable, &mut self.spelled).map(|()| start..self.spelled.len());
                if range.is_none() {
                    self.spelled.truncate(start);
                }
                self.at[id] = Some(range.clone());
                self.known.push(id);
                range
            }
        }?;
        key.extend_from_slice(&self.spelled[range]);
        Some(())
    }
}

/// Spells the value at `path`: `=` and the value, or `-` when there is none.
fn spell_at<'v>(
    path: &Lookup,
    variable: impl Fn(&str) -> Option<&'v Value>,
    out: &mut Vec<u8>,
) -> Option<()> {
    let mut value = variable(&path.variable);
    for key in &path.keys {
        value = match value {
            Some(Value::Map(map)) => map.map.get(key),
            _ => None,
        };
    }
    match value {
        Some(v) => {
            out.push(b'=');
            spell(v, out)
        }
        None => {
            out.push(b'-');
            Some(())
        }
    }
}

fn spell_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A self-delimiting spelling of `v`; a map's entries in the order of their spellings, as
/// its own order is not stable.
fn spell(v: &Value, out: &mut Vec<u8>) -> Option<()> {
    match v {
        Value::Null => out.push(b'n'),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Int(i) => {
            out.push(b'i');
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::UInt(u) => {
            out.push(b'u');
            out.extend_from_slice(&u.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(b'd');
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::String(s) => {
            out.push(b's');
            spell_str(s, out);
        }
        Value::List(items) => {
            out.push(b'l');
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for item in items.iter() {
                spell(item, out)?;
            }
        }
        Value::Map(map) => {
            let mut entries = Vec::with_capacity(map.map.len());
            for (k, v) in map.map.iter() {
                let mut entry = Vec::new();
                match k {
                    Key::String(s) => spell_str(s, &mut entry),
                    Key::Int(i) => entry.extend_from_slice(&i.to_le_bytes()),
                    Key::Uint(u) => entry.extend_from_slice(&u.to_le_bytes()),
                    Key::Bool(b) => entry.push(u8::from(*b)),
                }
                spell(v, &mut entry)?;
                entries.push(entry);
            }
            entries.sort_unstable();
            out.push(b'm');
            out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
            for entry in entries {
                out.extend_from_slice(&entry);
            }
        }
        _ => return None,
    }
    Some(())
}

/// Verdicts by key, shared by the threads that judge; each shard is emptied when it grows past
/// its bound, so a fleet whose nodes all differ costs bounded memory.
pub struct Memo<T> {
    shards: Vec<Mutex<Shard<T>>>,
}

/// Keys are spelled values, hashed with a fast hasher: nothing outside the scan chooses them.
type Shard<T> = HashMap<Vec<u8>, T, foldhash::fast::RandomState>;

const SHARDS: usize = 16;
const ENTRIES_PER_SHARD: usize = 8192;

impl<T: Clone> Memo<T> {
    pub fn new() -> Memo<T> {
        Memo {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    fn shard(&self, key: &[u8]) -> &Mutex<Shard<T>> {
        // The last bytes vary most (the values); the first are the rule.
        let spread = key.iter().rev().take(16).fold(key.len(), |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(*b))
        });
        &self.shards[spread % SHARDS]
    }

    pub fn get(&self, key: &[u8]) -> Option<T> {
        let shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        shard.get(key).cloned()
    }

    pub fn insert(&self, key: Vec<u8>, value: T) {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        if shard.len() >= ENTRIES_PER_SHARD {
            shard.clear();
        }
        shard.insert(key, value);
    }
}

impl<T: Clone> Default for Memo<T> {
    fn default() -> Memo<T> {
        Memo::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(source: &str) -> Option<Vec<String>> {
        let e = cel::parser::PrattParser::new().parse(source).unwrap();
        reads(std::iter::once(&e)).map(|paths| paths.into_iter().map(|p| p.join(".")).collect())
    }

    #[test]
    fn paths_are_what_the_expression_reads() {
        assert_eq!(
            read(r#"node.security_enabled && node.settings["http.port"] != 9200"#).unwrap(),
            ["node.security_enabled", "node.settings.http.port"]
        );
        assert_eq!(
            read(r#"tls.setting("verification_mode") == "none""#).unwrap(),
            [
                "tls.hidden_patterns",
                "tls.hidden_reason",
                "tls.prefix",
                "tls.settings.verification_mode",
                "tls.unresolved.verification_mode"
            ]
        );
        // A comprehension's variable is local; its range is read whole.
        assert_eq!(
            read("node.http_hosts.exists(h, !loopback(h))").unwrap(),
            ["node.http_hosts"]
        );
        assert_eq!(read("has(node.jvm.args)").unwrap(), ["node.jvm.args"]);
        // A method reads the value it is called on.
        assert_eq!(read("node.name.startsWith('x')").unwrap(), ["node.name"]);
        // A computed index reads the whole map.
        assert_eq!(
            read("node.settings[node.name] == 1").unwrap(),
            ["node.name", "node.settings"]
        );
        assert!(read("{'a': node.x}.a").is_none());
    }

    #[test]
    fn keys_tell_apart_exactly_the_values_read() {
        let path = lookup(vec!["node".into(), "a".into()]);
        let node = |a: Value, b: i64| {
            Value::Map(cel::objects::Map {
                map: std::sync::Arc::new(HashMap::from([
                    (Key::String("a".to_string().into()), a),
                    (Key::String("b".to_string().into()), Value::Int(b)),
                ])),
            })
        };
        let key = |rule: usize, v: &Value, hidden: Option<&str>| {
            let mut key = key_start(rule, hidden);
            Spellings::new(1).append(0, &path, |_| Some(v), &mut key)?;
            Some(key)
        };
        let of = |v: &Value| key(0, v, None).unwrap();
        let one = node(Value::Int(1), 1);
        // What the rule does not read does not matter; what it reads does, with its kind.
        assert_eq!(of(&one), of(&node(Value::Int(1), 2)));
        assert_ne!(of(&one), of(&node(Value::Int(2), 1)));
        assert_ne!(of(&one), of(&node(Value::UInt(1), 1)));
        assert_ne!(of(&one), of(&Value::Null));
        // The rule and why facts are hidden are part of it.
        assert_ne!(of(&one), key(1, &one, None).unwrap());
        assert_ne!(of(&one), key(0, &one, Some("x")).unwrap());
        // Maps are spelled in a stable order.
        let both = |first: &str, second: &str| {
            let mut m = HashMap::new();
            m.insert(Key::String(first.to_string().into()), Value::Int(1));
            m.insert(Key::String(second.to_string().into()), Value::Int(2));
            let mut out = Vec::new();
            spell(&Value::Map(cel::objects::Map { map: m.into() }), &mut out).unwrap();
            out
        };
        assert_ne!(both("x", "y"), both("y", "x"));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let m1: HashMap<Key, Value> = (0..50)
            .map(|i| (Key::String(format!("k{i}").into()), Value::Int(i)))
            .collect();
        let m2: HashMap<Key, Value> = (0..50)
            .rev()
            .map(|i| (Key::String(format!("k{i}").into()), Value::Int(i)))
            .collect();
        spell(&Value::Map(cel::objects::Map { map: m1.into() }), &mut a).unwrap();
        spell(&Value::Map(cel::objects::Map { map: m2.into() }), &mut b).unwrap();
        assert_eq!(a, b);
    }

    /// A spelling made once is the one appended again; `clear` forgets it, so the next item's
    /// value is spelled afresh.
    #[test]
    fn spellings_are_made_once_per_item() {
        let paths = [
            lookup(vec!["x".into()]),
            lookup(vec!["x".into(), "missing".into()]),
        ];
        let mut spellings = Spellings::new(paths.len());
        let one = Value::Int(1);
        let two = Value::Int(2);
        let spelled = |spellings: &mut Spellings, v: &Value| {
            let mut key = Vec::new();
            for (id, path) in paths.iter().enumerate() {
                spellings.append(id, path, |_| Some(v), &mut key).unwrap();
            }
            key
        };
        let first = spelled(&mut spellings, &one);
        // Remembered: the value handed over is not read again until the spellings are cleared.
        assert_eq!(spelled(&mut spellings, &two), first);
        spellings.clear();
        let fresh = spelled(&mut spellings, &two);
        assert_ne!(fresh, first);
        assert_eq!(fresh, spelled(&mut Spellings::new(paths.len()), &two));
        // A kind that is not spelled stays unspelled, and spoils no other path's spelling.
        let mut spellings = Spellings::new(paths.len());
        let unspelled = Value::Bytes(vec![1].into());
        let mut key = Vec::new();
        assert!(
            spellings
                .append(0, &paths[0], |_| Some(&unspelled), &mut key)
                .is_none()
        );
        assert!(
            spellings
                .append(0, &paths[0], |_| Some(&one), &mut key)
                .is_none()
        );
        assert!(
            spellings
                .append(1, &paths[1], |_| Some(&one), &mut key)
                .is_some()
        );
        assert_eq!(key, b"-");
    }
}
