//! `# esaudit: ignore[RULE,...] reason` comments in YAML configs.
//!
//! The YAML parser drops comments, so they are found by reading the lines again. A comment after
//! a setting covers that line; a comment on a line of its own covers the next line that holds
//! something other than a comment. Whether a suppression matches a result is decided later,
//! with the waivers; here they are only recorded as evidence.

use crate::evidence::InlineSuppression;

const MARKER: &str = "esaudit:";

pub fn parse(text: &str, path: &str) -> Vec<InlineSuppression> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((before, comment)) = split_comment(line) else {
            continue;
        };
        let Some((rules, reason)) = directive(comment) else {
            continue;
        };
        let covers = if before.trim().is_empty() {
            // The next line holding a setting (or anything that is not a comment).
            lines
                .iter()
                .enumerate()
                .skip(index + 1)
                .find(|(_, l)| {
                    let t = l.trim_start();
                    !t.is_empty() && !t.starts_with('#')
                })
                .map(|(i, _)| i + 1)
        } else {
            Some(index + 1)
        };
        let Some(covers) = covers else { continue };
        found.push(InlineSuppression {
            path: path.to_string(),
            line: index + 1,
            covers,
            rules,
            reason,
        });
    }
    found
}

/// Splits a line at the `#` that starts a comment, skipping `#` inside quoted scalars.
fn split_comment(line: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            // YAML only starts a comment at `#` after whitespace (or at the start of the line).
            (None, '#') if previous.is_whitespace() => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
        previous = c;
    }
    None
}

/// `esaudit: ignore[ID, PREFIX] reason` → the rule ids or prefixes and the reason.
fn directive(comment: &str) -> Option<(Vec<String>, String)> {
    let rest = comment.trim_start().strip_prefix(MARKER)?.trim_start();
    let rest = rest.strip_prefix("ignore[")?;
    let (ids, reason) = rest.split_once(']')?;
    let rules: Vec<String> = ids
        .split(',')
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .collect();
    if rules.is_empty() {
        return None;
    }
    Some((rules, reason.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_and_preceding_comments() {
        let text = "\
a: 1 # esaudit: ignore[ES-TLS-004] lab cluster, see SEC-12
# esaudit: ignore[ES-NET-001, ES-TLS] behind the VPN

# another comment
b: 2
c: '# esaudit: ignore[ES-X-001] inside a string'
d: 3 # not for us
";
        let found = parse(text, "elasticsearch.yml");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].line, found[0].covers), (1, 1));
        assert_eq!(found[0].rules, ["ES-TLS-004"]);
        assert_eq!(found[0].reason, "lab cluster, see SEC-12");
        assert_eq!((found[1].line, found[1].covers), (2, 5));
        assert_eq!(found[1].rules, ["ES-NET-001", "ES-TLS"]);
    }

    #[test]
    fn reason_may_be_missing_but_ids_may_not() {
        let found = parse(
            "a: 1 # esaudit: ignore[ES-TLS-004]\nb: 2 # esaudit: ignore[]\n",
            "x",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].reason, "");
    }
}
