//! The files that sit beside `elasticsearch.yml`: JVM options, log4j2 configuration, the file
//! realm's users, and the distribution's jar that tells the version.

use super::display;
use super::es_config::read_text_if_file;
use crate::evidence::{
    EsVersion, FileUser, FileUsers, InputError, JvmOption, Location, Log4jConfig,
};
use std::path::Path;

/// `jvm.options` then `jvm.options.d/*.options` in lexicographic order, as the JVM reads them.
pub fn jvm_options(config_dir: &Path, errors: &mut Vec<InputError>) -> Vec<JvmOption> {
    let mut files = vec![config_dir.join("jvm.options")];
    if let Ok(entries) = std::fs::read_dir(config_dir.join("jvm.options.d")) {
        let mut extra: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "options"))
            .collect();
        extra.sort();
        files.extend(extra);
    }
    let mut out = Vec::new();
    for file in &files {
        let path = display(file);
        match read_text_if_file(file) {
            Some(Ok(text)) => out.extend(parse_jvm_options(&text, &path)),
            Some(Err(message)) => errors.push(InputError { path, message }),
            None => {}
        }
    }
    out
}

pub fn parse_jvm_options(text: &str, path: &str) -> Vec<JvmOption> {
    content_lines(text)
        .map(|(line_no, line)| JvmOption {
            arg: strip_jdk_prefix(line.trim()).to_string(),
            location: Location::at(path, line_no, line.len() - line.trim_start().len() + 1),
        })
        .collect()
}

/// Drops a JDK-version prefix such as `17:`, `17-18:` or `17-:`.
fn strip_jdk_prefix(arg: &str) -> &str {
    if let Some((prefix, rest)) = arg.split_once(':')
        && !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return rest;
    }
    arg
}

/// Reads a file that sits beside the config, when present; a read problem is recorded.
fn read_beside(
    config_dir: &Path,
    name: &str,
    errors: &mut Vec<InputError>,
) -> Option<(String, String)> {
    let file = config_dir.join(name);
    let path = display(&file);
    match read_text_if_file(&file)? {
        Ok(text) => Some((path, text)),
        Err(message) => {
            errors.push(InputError { path, message });
            None
        }
    }
}

/// Lines that carry content (not blank, not a `#` comment), with their 1-based numbers.
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let trimmed = line.trim();
        (!trimmed.is_empty() && !trimmed.starts_with('#')).then_some((i + 1, line))
    })
}

pub fn log4j(config_dir: &Path, errors: &mut Vec<InputError>) -> Option<Log4jConfig> {
    read_beside(config_dir, "log4j2.properties", errors)
        .map(|(path, text)| parse_log4j(&text, path))
}

pub fn parse_log4j(text: &str, path: String) -> Log4jConfig {
    let active: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let has = |needle: &str| active.iter().any(|l| l.contains(needle));
    Log4jConfig {
        path,
        audit_appender: has("_audit.json") || has("appender.audit_rolling."),
        audit_logger: has("org.elasticsearch.xpack.security.audit.logfile.LoggingAuditTrail"),
    }
}

pub fn file_users(config_dir: &Path, errors: &mut Vec<InputError>) -> Option<FileUsers> {
    read_beside(config_dir, "users", errors).map(|(path, text)| FileUsers {
        users: parse_users(&text, &path),
        path,
    })
}

/// Reads `name:hash` lines, keeping only the name and the hashing scheme (never the hash).
pub fn parse_users(text: &str, path: &str) -> Vec<FileUser> {
    content_lines(text)
        .filter_map(|(line_no, line)| {
            let (name, hash) = line.trim().split_once(':')?;
            let (scheme, work) = hash_scheme(hash.trim());
            Some(FileUser {
                name: name.trim().to_string(),
                scheme: scheme.to_string(),
                work,
                location: Location::at(path, line_no, 1),
            })
        })
        .collect()
}

/// The scheme of a stored password hash, as Elasticsearch recognises it; anything else is
/// compared as plain text by Elasticsearch.
fn hash_scheme(hash: &str) -> (&'static str, Option<i64>) {
    let number = |s: &str| s.split('$').next().and_then(|n| n.parse().ok());
    if let Some(rest) = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .find_map(|p| hash.strip_prefix(p))
    {
        ("bcrypt", number(rest))
    } else if let Some(rest) = hash.strip_prefix("{PBKDF2_STRETCH}") {
        ("pbkdf2_stretch", number(rest))
    } else if let Some(rest) = hash.strip_prefix("{PBKDF2}") {
        ("pbkdf2", number(rest))
    } else if hash.starts_with("{SSHA256}") {
        ("ssha256", None)
    } else if hash.starts_with("{SHA}") {
        ("sha1", None)
    } else if hash.starts_with("{MD5}") {
        ("md5", None)
    } else {
        ("plaintext", None)
    }
}

/// The version of the distribution the config belongs to, from `lib/elasticsearch-X.Y.Z.jar`
/// beside the config folder (archive layout) or under `/usr/share/elasticsearch` (packages).
pub fn distribution_version(config_dir: &Path) -> Option<(EsVersion, String)> {
    let mut libs = vec![];
    if let Some(home) = config_dir.parent() {
        libs.push(home.join("lib"));
    }
    if std::path::absolute(config_dir).ok()? == Path::new("/etc/elasticsearch") {
        libs.push(Path::new("/usr/share/elasticsearch/lib").to_path_buf());
    }
    for lib in libs {
        let Ok(entries) = std::fs::read_dir(&lib) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(ver) = name
                .strip_prefix("elasticsearch-")
                .and_then(|r| r.strip_suffix(".jar"))
            else {
                continue;
            };
            if ver.chars().next().is_some_and(|c| c.is_ascii_digit())
                && let Some(v) = EsVersion::parse(
                    ver.split(['-', '.'])
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(".")
                        .as_str(),
                )
            {
                return Some((v, display(&entry.path())));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jvm_lines_and_prefixes() {
        let opts = parse_jvm_options("# c\n-Xms1g\n17-:-Djavax.net.debug=all\n\n", "jvm.options");
        assert_eq!(opts.len(), 2);
        assert_eq!(opts[1].arg, "-Djavax.net.debug=all");
        assert_eq!(opts[1].location.line, Some(3));
    }

    #[test]
    fn user_hash_schemes() {
        let users = parse_users(
            "a:$2a$10$abc\nb:{PBKDF2_STRETCH}10000$x$y\nc:{SHA}abc\nd:hunter2\n# x\n",
            "users",
        );
        let schemes: Vec<_> = users.iter().map(|u| (u.scheme.as_str(), u.work)).collect();
        assert_eq!(
            schemes,
            vec![
                ("bcrypt", Some(10)),
                ("pbkdf2_stretch", Some(10000)),
                ("sha1", None),
                ("plaintext", None)
            ]
        );
        assert_eq!(users[3].location.line, Some(4));
    }

    #[test]
    fn log4j_audit_appender() {
        let l = parse_log4j(
            "appender.audit_rolling.type = RollingFile\nappender.audit_rolling.fileName = x_audit.json\nlogger.xpack_security_audit_logfile.name = org.elasticsearch.xpack.security.audit.logfile.LoggingAuditTrail\n",
            "log4j2.properties".into(),
        );
        assert!(l.audit_appender && l.audit_logger);
        let l = parse_log4j("rootLogger.level = info\n", "l".into());
        assert!(!l.audit_appender);
    }
}
