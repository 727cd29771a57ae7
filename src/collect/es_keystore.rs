//! `elasticsearch.keystore`: the Lucene-framed container, whether it has a password, and (when
//! it has none, so the empty password opens it) the names of its entries. Values are decrypted
//! in memory only to reach the names and are never kept.

pub use crate::evidence::KeystoreFacts;
use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::pbkdf2;
use std::num::NonZeroU32;

const CODEC_MAGIC: u32 = 0x3FD7_6C17;
const FOOTER_MAGIC: u32 = 0xC028_93E8;
const CODEC_NAME: &[u8] = b"elasticsearch.keystore";

/// Store passwords found in an unprotected keystore (`*.secure_password` entries), to open the
/// PKCS#12 files the node uses. Kept in memory for the scan only.
pub type StorePasswords = Vec<(String, String)>;

/// Reads the container. An error names what is wrong (not a keystore, truncated, bad checksum).
pub fn read(data: &[u8]) -> Result<(KeystoreFacts, Option<String>), String> {
    read_with_passwords(data).map(|(facts, problem, _)| (facts, problem))
}

/// Like [`read`], and also returns the values of `*.secure_password` entries.
pub fn read_with_passwords(
    data: &[u8],
) -> Result<(KeystoreFacts, Option<String>, StorePasswords), String> {
    if data.len() < 36 + 16 {
        return Err("too short to be an elasticsearch.keystore".into());
    }
    let be32 = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap());
    if be32(0) != CODEC_MAGIC || data[4] as usize != CODEC_NAME.len() || &data[5..27] != CODEC_NAME
    {
        return Err("not an elasticsearch.keystore (bad header)".into());
    }
    let version = be32(27);
    if !(1..=6).contains(&version) {
        return Err(format!("unknown keystore format version {version}"));
    }
    let footer = data.len() - 16;
    if be32(footer) != FOOTER_MAGIC || be32(footer + 4) != 0 {
        return Err("bad footer (truncated or not a keystore)".into());
    }
    let stored_crc = u64::from_be_bytes(data[footer + 8..].try_into().unwrap());
    if stored_crc != u64::from(crc32(&data[..footer + 8])) {
        return Err("checksum mismatch: the file is corrupt or was altered".into());
    }
    let password_protected = match data[31] {
        0 => false,
        1 => true,
        other => return Err(format!("corrupt password flag {other}")),
    };
    let mut facts = KeystoreFacts {
        version: i64::from(version),
        password_protected,
        entries: None,
    };
    if version < 3 {
        // Versions 1–2 wrap a Java PKCS#12 store and never had a password.
        return Ok((
            facts,
            Some("format older than 3 (ES 6.3): entries not read".into()),
            vec![],
        ));
    }
    if password_protected {
        return Ok((facts, None, vec![]));
    }
    let little = version >= 5;
    let int = |b: &[u8]| -> usize {
        let arr: [u8; 4] = b.try_into().unwrap();
        if little {
            u32::from_le_bytes(arr) as usize
        } else {
            u32::from_be_bytes(arr) as usize
        }
    };
    let block_len = int(&data[32..36]);
    let block = data
        .get(36..36usize.saturating_add(block_len))
        .filter(|_| 36 + block_len <= footer)
        .ok_or("data block runs past the end of the file")?;
    let mut pos = 0;
    let mut field = || -> Result<&[u8], String> {
        let len = int(block.get(pos..pos + 4).ok_or("truncated data block")?);
        let value = block
            .get(pos + 4..pos + 4 + len)
            .ok_or("truncated data block")?;
        pos += 4 + len;
        Ok(value)
    };
    let salt = field()?;
    let iv = field()?;
    let ciphertext = field()?;
    let iterations = if version >= 6 { 210_000 } else { 10_000 };
    match decrypt(salt, iv, ciphertext, iterations) {
        Ok(plain) => {
            let (names, passwords) = entries(&plain, version)?;
            facts.entries = Some(names);
            Ok((facts, None, passwords))
        }
        Err(e) => Ok((facts, Some(e), vec![])),
    }
}

fn decrypt(salt: &[u8], iv: &[u8], ciphertext: &[u8], iterations: u32) -> Result<Vec<u8>, String> {
    let mut key = [0u8; 16];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA512,
        NonZeroU32::new(iterations).unwrap(),
        salt,
        b"",
        &mut key,
    );
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).map_err(|_| "bad key")?);
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| "IV is not 12 bytes")?;
    let mut buf = ciphertext.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(salt), &mut buf)
        .map_err(
            |_| "the empty password does not open it although it is marked unprotected (corrupt?)",
        )?;
    Ok(plain.to_vec())
}

/// The entry names of a decrypted payload, for the fuzz target `es_keystore` (the container's
/// checksum and key derivation keep a fuzzer from reaching the payload through [`read`]).
#[doc(hidden)]
pub fn payload_entries(plain: &[u8], version: u32) -> Result<Vec<String>, String> {
    entries(plain, version).map(|(names, _)| names)
}

/// Entry names from the decrypted payload (Java `DataOutput`, big-endian), and the values of
/// store-password entries; every other value is skipped.
fn entries(plain: &[u8], version: u32) -> Result<(Vec<String>, StorePasswords), String> {
    let mut pos = 0usize;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let s = plain
            .get(pos..pos + n)
            .ok_or("truncated keystore payload")?;
        pos += n;
        Ok(s)
    };
    let count = u32::from_be_bytes(take(4)?.try_into().unwrap());
    let mut names = Vec::new();
    let mut passwords = Vec::new();
    for _ in 0..count {
        let len = u16::from_be_bytes(take(2)?.try_into().unwrap()) as usize;
        let name = String::from_utf8_lossy(take(len)?).into_owned();
        if version == 3 {
            let len = u16::from_be_bytes(take(2)?.try_into().unwrap()) as usize;
            take(len)?;
        }
        let len = u32::from_be_bytes(take(4)?.try_into().unwrap()) as usize;
        let value = take(len)?;
        if name.ends_with("secure_password") {
            passwords.push((name.clone(), String::from_utf8_lossy(value).into_owned()));
        }
        names.push(name);
    }
    names.sort();
    Ok((names, passwords))
}

/// CRC-32 (IEEE), as Lucene's codec footer uses.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Writes a keystore in the documented layout. Tests use it to make fixtures; it is public so
/// integration tests and the fleet generator can use it too.
pub fn write_for_tests(entries: &[(&str, &[u8])], password: Option<&str>, version: u32) -> Vec<u8> {
    let mut plain = Vec::new();
    plain.extend((entries.len() as u32).to_be_bytes());
    for (name, value) in entries {
        plain.extend((name.len() as u16).to_be_bytes());
        plain.extend(name.as_bytes());
        if version == 3 {
            plain.extend(6u16.to_be_bytes());
            plain.extend(b"STRING");
        }
        plain.extend((value.len() as u32).to_be_bytes());
        plain.extend(*value);
    }
    let salt = [7u8; 64];
    let iv = [9u8; 12];
    let mut key = [0u8; 16];
    let iterations = if version >= 6 { 210_000 } else { 10_000 };
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA512,
        NonZeroU32::new(iterations).unwrap(),
        &salt,
        password.unwrap_or("").as_bytes(),
        &mut key,
    );
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(iv),
        Aad::from(&salt[..]),
        &mut plain,
    )
    .unwrap();
    let int = |n: usize| -> [u8; 4] {
        if version >= 5 {
            (n as u32).to_le_bytes()
        } else {
            (n as u32).to_be_bytes()
        }
    };
    let mut block = Vec::new();
    for part in [&salt[..], &iv[..], &plain[..]] {
        block.extend(int(part.len()));
        block.extend(part);
    }
    let mut out = Vec::new();
    out.extend(CODEC_MAGIC.to_be_bytes());
    out.push(CODEC_NAME.len() as u8);
    out.extend(CODEC_NAME);
    out.extend(version.to_be_bytes());
    out.push(u8::from(password.is_some()));
    out.extend(int(block.len()));
    out.extend(block);
    out.extend(FOOTER_MAGIC.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    let crc = crc32(&out);
    out.extend(u64::from(crc).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn unprotected_keystore_lists_names_only() {
        for version in [3, 4, 5, 6] {
            let data = write_for_tests(
                &[
                    ("keystore.seed", b"seedseed"),
                    ("bootstrap.password", b"s3cret-canary"),
                ],
                None,
                version,
            );
            let (facts, problem) = read(&data).unwrap();
            assert_eq!(problem, None);
            assert!(!facts.password_protected);
            assert_eq!(
                facts.entries.unwrap(),
                vec![
                    "bootstrap.password".to_string(),
                    "keystore.seed".to_string()
                ],
                "v{version}"
            );
        }
    }

    #[test]
    fn protected_keystore_is_not_opened() {
        let data = write_for_tests(&[("keystore.seed", b"x")], Some("a long passphrase"), 6);
        let (facts, _) = read(&data).unwrap();
        assert!(facts.password_protected);
        assert_eq!(facts.entries, None);
    }

    #[test]
    fn corruption_is_named() {
        let mut data = write_for_tests(&[("keystore.seed", b"x")], None, 6);
        let mid = data.len() / 2;
        data[mid] ^= 0xFF;
        assert!(read(&data).unwrap_err().contains("checksum"));
        assert!(read(&data[..40]).is_err());
        assert!(
            read(b"not a keystore at all, just some text here............")
                .unwrap_err()
                .contains("header")
        );
    }
}
