//! The functions the catalog's CEL calls beyond the standard library: reading a setting of an
//! item (with what its source hides or leaves unresolved), and the catalog's vocabulary of
//! legacy protocols and weak suites.

use crate::evidence::{catalog, component, derive};
use cel::common::types::CelString;
use cel::common::value::Val;
use cel::objects::Key;
use cel::{Context, ExecutionError, FunctionContext, ResolveResult, Value};
use std::sync::Arc;

/// The value at `map.key` inside `this`, copied out without copying the rest of `this`
/// (converting a whole node map into a `Value` on every call was the engine's main cost).
fn field_value(this: &dyn Val, map: &str, key: &str) -> Option<Value> {
    let outer = this.as_indexer()?.get(&CelString::from(map)).ok()?;
    let leaf = outer.as_indexer()?.get(&CelString::from(key)).ok()?;
    Value::try_from(&*leaf).ok()
}

fn target<'a, 'c, 'v>(ftx: &'a FunctionContext<'c, 'v>) -> Result<&'a dyn Val, ExecutionError> {
    ftx.this
        .as_deref()
        .ok_or_else(|| ftx.error("call it on node, tls or realm, e.g. node.setting(\"key\")"))
}

/// `x.setting(key)`: the effective value of a setting, or null. A value that depends on an
/// environment variable with no default is an evaluation error, so the rule reports `error`
/// rather than guessing.
fn setting(ftx: &FunctionContext, key: Arc<String>) -> ResolveResult {
    let this = target(ftx)?;
    if let Some(Value::List(vars)) = field_value(this, "unresolved", &key) {
        let names: Vec<String> = vars
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("${{{s}}}"),
                other => format!("{other:?}"),
            })
            .collect();
        return Err(ftx.error(format!(
            "{key} takes its value from environment variable {}, which has no default",
            names.join(", ")
        )));
    }
    match field_value(this, "settings", &key) {
        Some(v) => Ok(v),
        None => match hidden(this, &key) {
            Some((full, why)) => Err(ftx.error(format!("{full} is unknown: {why}"))),
            None => Ok(Value::Null),
        },
    }
}

fn is_set(ftx: &FunctionContext, key: Arc<String>) -> Result<bool, ExecutionError> {
    let this = target(ftx)?;
    if field_value(this, "explicit", &key).is_some() {
        return Ok(true);
    }
    match hidden(this, &key) {
        Some((full, why)) => Err(ftx.error(format!("{full} is unknown: {why}"))),
        None => Ok(false),
    }
}

/// A top-level field of an item's value.
fn top_field(this: &dyn Val, name: &str) -> Option<Value> {
    let v = this.as_indexer()?.get(&CelString::from(name)).ok()?;
    Value::try_from(&*v).ok()
}

/// The full name of `key` (relative to the item's `prefix`, if it has one) and why it cannot be
/// read from the item's source, when the source holds it back; see [`derive::Hidden`].
fn hidden(this: &dyn Val, key: &str) -> Option<(String, String)> {
    let Some(Value::String(reason)) = top_field(this, "hidden_reason") else {
        return None;
    };
    if reason.is_empty() {
        return None;
    }
    let full = match top_field(this, "prefix") {
        Some(Value::String(p)) if !p.is_empty() => format!("{p}.{key}"),
        _ => key.to_string(),
    };
    let patterns = match top_field(this, "hidden_patterns") {
        Some(Value::List(l)) => l
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    crate::evidence::settings::hides(&full, &patterns).then(|| (full, reason.to_string()))
}

fn any_set(ftx: &FunctionContext, prefix: Arc<String>) -> Result<bool, ExecutionError> {
    let this = target(ftx)?;
    let explicit = this
        .as_indexer()
        .and_then(|i| i.get(&CelString::from("explicit")).ok())
        .and_then(|v| Value::try_from(&*v).ok());
    let found = match explicit {
        Some(Value::Map(m)) => m.map.keys().any(|k| match k {
            Key::String(s) => s.starts_with(prefix.as_str()),
            _ => false,
        }),
        _ => false,
    };
    // Nothing shown under the prefix: the source may hide what is there.
    if !found && let Some((_, why)) = hidden(this, &format!("{prefix}x")) {
        return Err(ftx.error(format!("settings under {prefix} are unknown: {why}")));
    }
    Ok(found)
}

fn list(ftx: &FunctionContext, key: Arc<String>) -> ResolveResult {
    Ok(match setting(ftx, key)? {
        Value::List(l) => Value::List(l),
        Value::String(s) => Value::List(Arc::new(
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(Arc::new(p.to_string())))
                .collect(),
        )),
        Value::Null => Value::List(Arc::new(vec![])),
        other => Value::List(Arc::new(vec![other])),
    })
}

/// Adds the catalog's functions to a root context.
pub fn register(ctx: &mut Context) {
    // The names are not part of CEL's standard library, so registration cannot conflict.
    let _ = ctx.add_function("setting", setting);
    let _ = ctx.add_function("is_set", is_set);
    let _ = ctx.add_function("any_set", any_set);
    let _ = ctx.add_function("list", list);
    let _ = ctx.add_function("legacy_protocol", |p: Arc<String>| {
        catalog::is_legacy_protocol(&p)
    });
    let _ = ctx.add_function("broken_suite", |s: Arc<String>| {
        catalog::is_broken_suite(&s)
    });
    let _ = ctx.add_function("weak_suite", |s: Arc<String>| catalog::is_weak_suite(&s));
    let _ = ctx.add_function("loopback", |h: Arc<String>| derive::is_loopback(&h));
    let _ = ctx.add_function("weak_cipher", |s: Arc<String>| component::weak_cipher(&s));
}
