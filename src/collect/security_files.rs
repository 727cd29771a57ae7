//! Certificate, key and store files: PEM (chains, PKCS#1 / PKCS#8 / SEC1 keys, encrypted keys),
//! DER, PKCS#12, JKS and `elasticsearch.keystore`, with their owner and mode.

use super::es_keystore;
use super::jks;
use crate::evidence::certs;
use crate::evidence::{FileKind, KeyFacts, SecurityFile};
use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
use std::path::Path;

/// Files larger than this are not certificate material.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A password to try on PKCS#12 stores, and where it came from (never the value in output).
#[derive(Clone)]
pub struct StorePassword {
    pub source: String,
    pub value: String,
}

/// Guesses the kind of a file from its name.
pub fn kind_from_name(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name == "elasticsearch.keystore" {
        return Some(FileKind::EsKeystore);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "pem" | "crt" | "cer" | "key" => FileKind::Pem,
        "der" => FileKind::Der,
        "p12" | "pfx" | "pkcs12" => FileKind::Pkcs12,
        "jks" | "jceks" | "truststore" => FileKind::Jks,
        _ => return None,
    })
}

/// Reads one file. Problems (absent, unreadable, corrupt, wrong password) are recorded in
/// `error`; they never stop the scan.
pub fn read(
    path: &Path,
    display: String,
    hint: Option<FileKind>,
    passwords: &[StorePassword],
) -> SecurityFile {
    read_inner(path, display, hint, passwords, &mut Vec::new())
}

/// Reads an `elasticsearch.keystore`, and returns the store passwords an unprotected one holds
/// (its `*.secure_password` entries) to open the node's PKCS#12 files.
pub fn read_keystore(path: &Path, display: String) -> (SecurityFile, Vec<StorePassword>) {
    let mut found = Vec::new();
    let file = read_inner(path, display, Some(FileKind::EsKeystore), &[], &mut found);
    (file, found)
}

fn read_inner(
    path: &Path,
    display: String,
    hint: Option<FileKind>,
    passwords: &[StorePassword],
    keystore_passwords: &mut Vec<StorePassword>,
) -> SecurityFile {
    let mut file = SecurityFile {
        path: display,
        kind: hint
            .or_else(|| kind_from_name(path))
            .unwrap_or(FileKind::Pem),
        ..SecurityFile::default()
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            file.error = Some(format!("{} does not exist", file.path));
            return file;
        }
        Err(e) => {
            file.error = Some(format!("cannot read {}: {e}", file.path));
            return file;
        }
    };
    file.exists = true;
    {
        use std::os::unix::fs::MetadataExt;
        file.mode = Some(meta.mode() & 0o7777);
        file.uid = Some(meta.uid());
        file.gid = Some(meta.gid());
        file.other_readable = meta.mode() & 0o004 != 0;
        file.group_readable = meta.mode() & 0o040 != 0;
    }
    if meta.len() > MAX_FILE_BYTES {
        file.error = Some(format!(
            "{} is {} bytes, too large for a certificate or key file",
            file.path,
            meta.len()
        ));
        return file;
    }
    if !meta.is_file() && !meta.is_dir() {
        // A pipe would block the scan, and a device has no certificate.
        file.error = Some(format!("{} is not a regular file", file.path));
        return file;
    }
    // The size is known: the open file is not asked again (see `read_open`).
    let read =
        std::fs::File::open(path).and_then(|mut f| super::es_config::read_open(&mut f, meta.len()));
    let data = match read {
        Ok(d) => d,
        Err(e) => {
            file.error = Some(format!("cannot read {}: {e}", file.path));
            return file;
        }
    };
    read_data(&data, file, passwords, keystore_passwords)
}

/// Reads certificate, key or store bytes as if they came from a file named `display` (the file's
/// kind comes from `hint`, else the name, and the content overrides both). Owner and mode are
/// left unknown. The fuzz targets and their regression tests enter here.
pub fn read_bytes(
    data: &[u8],
    display: String,
    hint: Option<FileKind>,
    passwords: &[StorePassword],
) -> SecurityFile {
    let kind = hint
        .or_else(|| kind_from_name(Path::new(&display)))
        .unwrap_or(FileKind::Pem);
    let file = SecurityFile {
        path: display,
        kind,
        exists: true,
        ..SecurityFile::default()
    };
    if data.len() as u64 > MAX_FILE_BYTES {
        let mut file = file;
        file.error = Some(format!(
            "{} is {} bytes, too large for a certificate or key file",
            file.path,
            data.len()
        ));
        return file;
    }
    read_data(data, file, passwords, &mut Vec::new())
}

fn read_data(
    data: &[u8],
    mut file: SecurityFile,
    passwords: &[StorePassword],
    keystore_passwords: &mut Vec<StorePassword>,
) -> SecurityFile {
    // The content decides when the name misleads (a `.p12` that is PEM, a JKS named `.keystore`).
    if data.starts_with(b"-----BEGIN") || data.windows(11).take(4096).any(|w| w == b"-----BEGIN ") {
        file.kind = FileKind::Pem;
    } else if jks::looks_like_jks(data) {
        file.kind = FileKind::Jks;
    } else if data.starts_with(&[0x3F, 0xD7, 0x6C, 0x17]) {
        file.kind = FileKind::EsKeystore;
    } else if file.kind == FileKind::Pem {
        file.kind = FileKind::Der;
    }
    let now = certs::now();
    let result = match file.kind {
        FileKind::Pem => read_pem(data, now, &mut file),
        FileKind::Der => read_der(data, now, &mut file),
        FileKind::Pkcs12 => read_pkcs12(data, now, passwords, &mut file),
        FileKind::Jks => read_jks(data, now, &mut file),
        FileKind::EsKeystore => {
            es_keystore::read_with_passwords(data).map(|(facts, problem, found)| {
                file.keystore = Some(facts);
                if let Some(p) = problem {
                    file.error = Some(format!("{}: {p}", file.path));
                }
                keystore_passwords.extend(found.into_iter().map(|(name, value)| StorePassword {
                    source: format!("the keystore entry {name}"),
                    value,
                }));
            })
        }
    };
    if let Err(e) = result {
        file.error = Some(format!("{}: {e}", file.path));
    }
    file
}

fn push_cert(file: &mut SecurityFile, der: &[u8], now: i64, with_key: bool) -> Result<(), String> {
    let mut cert = certs::parse_certificate(der, now)?;
    if with_key && cert.is_ca {
        file.ca_with_private_key = true;
    }
    cert.der.shrink_to_fit();
    file.certificates.push(cert);
    file.certificate_has_key.push(with_key);
    Ok(())
}

fn read_pem(data: &[u8], now: i64, file: &mut SecurityFile) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let mut blocks = 0;
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----").ok_or("PEM header is not closed")?;
        let label = after[..label_end].to_string();
        let body_start = label_end + 5;
        let end_marker = format!("-----END {label}-----");
        let body_len = after[body_start..]
            .find(&end_marker)
            .ok_or_else(|| format!("PEM block {label} has no END line (truncated?)"))?;
        let body = &after[body_start..body_start + body_len];
        rest = &after[body_start + body_len + end_marker.len()..];
        blocks += 1;
        let legacy_encrypted = body.contains("Proc-Type:") && body.contains("ENCRYPTED");
        let b64: String = body
            .lines()
            .filter(|l| !l.contains(':'))
            .flat_map(|l| l.trim().chars())
            .collect();
        let der = data_encoding::BASE64
            .decode(b64.as_bytes())
            .map_err(|_| format!("PEM block {label} is not valid base64"))?;
        match label.as_str() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                push_cert(file, &der, now, false)?
            }
            "PRIVATE KEY" => file.private_keys.push(KeyFacts::new("pkcs8", false)),
            "ENCRYPTED PRIVATE KEY" => file.private_keys.push(KeyFacts::new("pkcs8", true)),
            "RSA PRIVATE KEY" => file
                .private_keys
                .push(KeyFacts::new("rsa", legacy_encrypted)),
            "EC PRIVATE KEY" => file
                .private_keys
                .push(KeyFacts::new("ec", legacy_encrypted)),
            "DSA PRIVATE KEY" => file
                .private_keys
                .push(KeyFacts::new("dsa", legacy_encrypted)),
            _ => {}
        }
    }
    if blocks == 0 {
        return Err("no PEM blocks found".into());
    }
    Ok(())
}

fn read_der(data: &[u8], now: i64, file: &mut SecurityFile) -> Result<(), String> {
    push_cert(file, data, now, false)
}

fn read_jks(data: &[u8], now: i64, file: &mut SecurityFile) -> Result<(), String> {
    file.kind = FileKind::Jks;
    let contents = jks::read(data)?;
    for (_, der, in_key_entry) in &contents.certificates {
        push_cert(file, der, now, *in_key_entry)?;
    }
    // Only the first certificate of a key entry's chain goes with the key.
    file.ca_with_private_key = false;
    let mut seen_key_leaf = std::collections::BTreeSet::new();
    for ((alias, _, in_key), cert) in contents.certificates.iter().zip(&file.certificates) {
        if *in_key && seen_key_leaf.insert(alias.clone()) && cert.is_ca {
            file.ca_with_private_key = true;
        }
    }
    file.private_keys
        .extend((0..contents.private_keys).map(|_| KeyFacts::new("jks", true)));
    Ok(())
}

fn read_pkcs12(
    data: &[u8],
    now: i64,
    passwords: &[StorePassword],
    file: &mut SecurityFile,
) -> Result<(), String> {
    // A FIPS build does not open PKCS#12 stores: their key derivation and ciphers would run in
    // p12-keystore's own code, outside the FIPS module. The store is still listed, and the FIPS
    // rules still judge that it is PKCS#12.
    if crate::crypto::FIPS_BUILD {
        return Err(
            "not opened: this FIPS build does not decrypt PKCS#12 stores, whose key \
             derivation and ciphers are outside the FIPS module (convert the store to PEM \
             files, or scan it with the standard build)"
                .into(),
        );
    }
    let mut last_error = String::new();
    for candidate in passwords {
        match KeyStore::from_pkcs12(data, &candidate.value, Pkcs12ImportPolicy::Relaxed) {
            Ok(store) => {
                file.opened_with = Some(candidate.source.clone());
                file.empty_password = candidate.value.is_empty();
                let raw =
                    KeyStore::from_pkcs12(data, &candidate.value, Pkcs12ImportPolicy::Raw).ok();
                for (_, entry) in store.entries() {
                    if let KeyStoreEntry::PrivateKeyChain(chain) = entry {
                        file.private_keys.push(KeyFacts::new("pkcs8", true));
                        for (n, cert) in chain.certs().iter().enumerate() {
                            push_cert(file, cert.as_der(), now, n == 0)?;
                        }
                    }
                }
                // Trust-only entries (Raw keeps the ones Relaxed drops).
                for (_, entry) in raw.iter().flat_map(|s| s.entries()) {
                    if let KeyStoreEntry::Certificate(cert) = entry
                        && !file.certificates.iter().any(|c| c.der == cert.as_der())
                    {
                        push_cert(file, cert.as_der(), now, false)?;
                    }
                }
                return Ok(());
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(format!(
        "cannot open the PKCS#12 store with {} ({last_error})",
        passwords
            .iter()
            .map(|p| p.source.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
