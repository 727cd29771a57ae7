//! `--es-output URL`: the ECS documents of [`super::ecs`] indexed into Elasticsearch with the
//! bulk API, so scheduled scans land beside Elastic's own posture findings.
//!
//! * The URL is `https://HOST:PORT/INDEX`; without a path the index is [`DEFAULT_INDEX`]. The
//!   last path segment is always the index; segments before it are kept as a prefix (a proxy
//!   that serves Elasticsearch under `/es/`). The name may be an index, an alias or a data
//!   stream.
//! * Each document is sent with a `{"create":{}}` action: data streams accept only `create`, and
//!   on a plain index it adds a document with a generated id just as `index` would. A rerun
//!   therefore adds a new set of documents (`event.id` tells the runs apart); nothing is
//!   overwritten.
//! * Requests are `POST /INDEX/_bulk`, at most [`MAX_DOCS`] documents or [`MAX_BYTES`] bytes
//!   each. A request that fails, an answer that is not a bulk answer, or an answer with
//!   `errors: true` stops the upload with an error that counts the refused documents and quotes
//!   the first reason Elasticsearch gave.
//! * The client is the live collector's ([`crate::collect::api::http_client`]): the same trust,
//!   client certificate, credentials, same-origin redirects and refusal to send credentials
//!   over plain `http://`. Messages never carry a secret.

use crate::Scan;
use crate::collect::api::{self, Auth, Connection, Url};
use serde_json::Value;
use std::time::Duration;

/// The index the findings go to when the URL names none.
pub const DEFAULT_INDEX: &str = "esaudit-findings";
/// Most documents in one bulk request.
pub const MAX_DOCS: usize = 1000;
/// Most bytes (actions and documents) in one bulk request.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest bulk answer read (one for 1000 documents is about 250 KB).
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// Where the findings go and how to authenticate there.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The credentials and TLS settings; `url` is the server's base URL (prefix included,
    /// index excluded).
    pub connection: Connection,
    pub index: String,
    /// Per request.
    pub timeout: Duration,
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub documents: usize,
    pub requests: usize,
}

/// Splits `--es-output URL` into the server's base URL and the index. Refuses a URL holding
/// credentials (the message never repeats it), other schemes, and index names Elasticsearch
/// would refuse.
pub fn parse_url(text: &str) -> Result<(String, String), String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL holds credentials (user:password@); name the user with --user and give the password in ESAUDIT_PASSWORD (or --password-file) instead".into());
    }
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{}: expected https://HOST:PORT/INDEX",
            api::shown_url(text)
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{}: expected https://HOST:PORT/INDEX, without ?query or #fragment",
            api::shown_url(text)
        ));
    }
    let mut segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    // The last segment is the index, trailing slash or not; a proxy prefix needs the index named.
    let index = segments.pop().unwrap_or(DEFAULT_INDEX).to_string();
    check_index(&index)?;
    let mut base = url.clone();
    base.set_path(&segments.join("/"));
    Ok((base.to_string().trim_end_matches('/').to_string(), index))
}

/// Elasticsearch's rules for index names, so a bad one is refused before the scan runs.
fn check_index(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 255
        || name.starts_with(['-', '_', '+'])
        || name
            .chars()
            .any(|c| c.is_ascii_uppercase() || " \"*\\<>|,#:?/%".contains(c) || c.is_control());
    if bad {
        return Err(format!(
            "'{name}' is not a valid index name (lowercase, no spaces or \\/*?\"<>|,#:, not starting with -, _ or +)"
        ));
    }
    Ok(())
}

/// The bulk bodies for `documents` (one JSON document each): a `create` action before each,
/// cut at [`MAX_DOCS`] documents or [`MAX_BYTES`] bytes. Lazy, so that a large scan's
/// documents are never all in memory; the first error ends the bodies.
pub fn bulk_bodies<E>(
    documents: impl Iterator<Item = Result<String, E>>,
) -> impl Iterator<Item = Result<(usize, String), E>> {
    const ACTION: &str = "{\"create\":{}}\n";
    let mut documents = documents.peekable();
    std::iter::from_fn(move || {
        let mut body = String::new();
        let mut count = 0;
        while let Some(next) = documents.peek() {
            let size = next.as_ref().map_or(0, |d| ACTION.len() + d.len() + 1);
            if count > 0 && (count >= MAX_DOCS || body.len() + size > MAX_BYTES) {
                break;
            }
            match documents.next()? {
                Ok(document) => {
                    body.push_str(ACTION);
                    body.push_str(&document);
                    body.push('\n');
                    count += 1;
                }
                Err(e) => return Some(Err(e)),
            }
        }
        (count > 0).then_some(Ok((count, body)))
    })
}

/// Indexes the scan's ECS documents. The error names the destination and never holds a secret.
pub fn send(scan: &Scan, destination: &Destination) -> Result<Sent, String> {
    send_results(scan, scan.results.iter().map(Ok), destination)
}

/// [`send`], for the results that `results` yields (a batched scan reads them back from its
/// spill).
pub fn send_results<R: std::borrow::Borrow<crate::results::RuleResult>>(
    scan: &Scan,
    results: impl Iterator<Item = std::io::Result<R>>,
    destination: &Destination,
) -> Result<Sent, String> {
    let documents = super::ecs::documents(scan, results);
    let shown = format!(
        "{}/{}",
        api::shown_url(&destination.connection.url),
        destination.index
    );
    let secrets = api::secrets_of(&destination.connection);
    send_documents(documents, destination)
        .map_err(|e| api::redact_with(&format!("{shown}: {e}"), &secrets))
}

fn send_documents(
    documents: impl Iterator<Item = std::io::Result<String>>,
    destination: &Destination,
) -> Result<Sent, String> {
    let connection = &destination.connection;
    let url = Url::parse(&connection.url).map_err(|e| format!("not a URL: {e}"))?;
    let auth = Auth::of(connection);
    let has_credentials = !matches!(auth, Auth::None) || connection.client_cert.is_some();
    if url.scheme() == "http" && has_credentials && !connection.allow_http_credentials {
        return Err("not sent: the URL is plain http://, so the credentials would cross the network readable; use https://, or pass --allow-http-credentials to send them anyway".into());
    }
    let client = api::http_client(
        connection,
        &url,
        destination.timeout,
        connection.client_cert.is_some(),
    )?;
    let bodies = bulk_bodies(documents);
    let target = format!(
        "{}/{}/_bulk",
        connection.url.trim_end_matches('/'),
        destination.index
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client runtime: {e}"))?;
    runtime.block_on(async {
        let mut sent = Sent::default();
        for body in bodies {
            let (count, body) = body.map_err(|e| {
                format!(
                    "cannot read the findings back: {e} ({} of the documents were indexed before)",
                    sent.documents
                )
            })?;
            let request = auth.apply(
                client
                    .post(&target)
                    .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
                    .header(reqwest::header::ACCEPT, "application/json")
                    .body(body),
            );
            let response = request.send().await.map_err(|e| {
                format!(
                    "{} ({} of the documents were indexed before)",
                    api::describe_error(&e, destination.timeout),
                    sent.documents
                )
            })?;
            let status = response.status();
            if status.is_redirection() {
                return Err(format!(
                    "the bulk request was redirected ({status}); not followed, so the credentials stay with {}",
                    api::origin(&url)
                ));
            }
            let mut response = response;
            let mut bytes = Vec::new();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        if bytes.len() + chunk.len() > MAX_ANSWER {
                            return Err(format!(
                                "the bulk answer is larger than {MAX_ANSWER} bytes; is this Elasticsearch?"
                            ));
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(format!(
                            "the answer was cut off: {}",
                            api::describe_error(&e, destination.timeout)
                        ));
                    }
                }
            }
            let answer: Option<Value> = serde_json::from_slice(&bytes).ok();
            if !status.is_success() {
                return Err(format!(
                    "the bulk request was refused: HTTP {}{}",
                    status.as_u16(),
                    answer
                        .as_ref()
                        .and_then(|a| a.get("error"))
                        .map(|e| format!(": {}", error_text(e)))
                        .unwrap_or_default()
                ));
            }
            let Some(answer) = answer else {
                return Err(format!(
                    "HTTP {} with an answer that is not JSON; is this Elasticsearch?",
                    status.as_u16()
                ));
            };
            check_items(&answer, count)?;
            sent.documents += count;
            sent.requests += 1;
        }
        Ok(sent)
    })
}

/// `type: reason` of an Elasticsearch error object (or string).
fn error_text(e: &Value) -> String {
    match e {
        Value::String(s) => s.clone(),
        _ => {
            let kind = e.get("type").and_then(Value::as_str).unwrap_or("error");
            let reason = e.get("reason").and_then(Value::as_str).unwrap_or_default();
            if reason.is_empty() {
                kind.to_string()
            } else {
                format!("{kind}: {reason}")
            }
        }
    }
}

/// A bulk answer: `errors: false` and one item per document, or the failures counted.
fn check_items(answer: &Value, sent: usize) -> Result<(), String> {
    let items = answer
        .get("items")
        .and_then(Value::as_array)
        .ok_or("the answer is not a bulk answer (no `items`)")?;
    let failed: Vec<&Value> = items
        .iter()
        .filter_map(|item| item.as_object().and_then(|o| o.values().next()))
        .filter(|result| {
            result.get("error").is_some()
                || result
                    .get("status")
                    .and_then(Value::as_u64)
                    .is_some_and(|s| s >= 300)
        })
        .collect();
    let flagged = answer.get("errors").and_then(Value::as_bool) == Some(true);
    if failed.is_empty() && !flagged {
        if items.len() != sent {
            return Err(format!(
                "the bulk answer has {} items for {sent} documents",
                items.len()
            ));
        }
        return Ok(());
    }
    let first = failed
        .first()
        .map(|f| {
            let status = f.get("status").and_then(Value::as_u64).unwrap_or(0);
            let why = f.get("error").map(error_text).unwrap_or_default();
            format!("; first: status {status} {why}")
        })
        .unwrap_or_default();
    Err(format!(
        "{} of {sent} documents were not indexed{first}",
        failed.len().max(1)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("https://es01:9200/audit-findings").unwrap(),
            (
                "https://es01:9200".to_string(),
                "audit-findings".to_string()
            )
        );
        assert_eq!(
            parse_url("https://es01:9200").unwrap(),
            ("https://es01:9200".to_string(), DEFAULT_INDEX.to_string())
        );
        assert_eq!(
            parse_url("https://proxy/es/logs-esaudit-default").unwrap(),
            (
                "https://proxy/es".to_string(),
                "logs-esaudit-default".to_string()
            )
        );
        assert_eq!(
            parse_url("https://es01:9200/findings/").unwrap().1,
            "findings".to_string()
        );
        let e = parse_url("https://u:hunter22@es01:9200/x").unwrap_err();
        assert!(!e.contains("hunter22"), "{e}");
        assert!(parse_url("https://es01:9200/Findings").is_err());
        assert!(parse_url("https://es01:9200/_bulk").is_err());
        assert!(parse_url("ftp://es01/x").is_err());
    }

    #[test]
    fn chunks() {
        let bodies = |docs: Vec<String>| {
            bulk_bodies(docs.into_iter().map(Ok::<_, ()>))
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        };
        let small = bodies((0..2500).map(|i| format!("{{\"n\":{i}}}")).collect());
        assert_eq!(
            small.iter().map(|b| b.0).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        assert!(small[0].1.starts_with("{\"create\":{}}\n{\"n\":0}\n"));
        assert_eq!(small[2].1.lines().count(), 1000);
        let big = bodies(vec![
            format!("{{\"x\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
            5
        ]);
        assert!(big.iter().all(|b| b.1.len() <= MAX_BYTES));
        assert_eq!(big.iter().map(|b| b.0).sum::<usize>(), 5);
        // A document that cannot be read ends the bodies with its error.
        let docs = vec![
            Ok("{}".to_string()),
            Err("unreadable"),
            Ok("{}".to_string()),
        ];
        let mut read = bulk_bodies(docs.into_iter());
        assert_eq!(read.next(), Some(Err("unreadable")));
    }

    #[test]
    fn bulk_answers() {
        let ok = json!({"errors": false, "items": [{"create": {"status": 201}}]});
        assert!(check_items(&ok, 1).is_ok());
        let bad = json!({"errors": true, "items": [
            {"create": {"status": 201}},
            {"create": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [rule.id]"}}}]});
        let e = check_items(&bad, 2).unwrap_err();
        assert!(
            e.contains("1 of 2") && e.contains("mapper_parsing_exception"),
            "{e}"
        );
        assert!(check_items(&json!({"acknowledged": true}), 1).is_err());
    }
}
