//! A reader for Java KeyStore (JKS) and JCEKS files. No maintained crate reads them, and the
//! format is small: entries in a big-endian stream, certificates stored unencrypted, so the
//! certificates can be listed without the store password.

/// What a JKS file holds, for auditing: the certificates (DER) and how many private keys.
#[derive(Debug, Default)]
pub struct JksContents {
    pub jceks: bool,
    /// (alias, DER certificate, belongs to a private-key entry)
    pub certificates: Vec<(String, Vec<u8>, bool)>,
    pub private_keys: usize,
    pub secret_keys: usize,
}

const JKS_MAGIC: u32 = 0xFEED_FEED;
const JCEKS_MAGIC: u32 = 0xCECE_CECE;

/// True when the bytes start like a JKS or JCEKS store.
pub fn looks_like_jks(data: &[u8]) -> bool {
    data.len() >= 4
        && matches!(
            u32::from_be_bytes([data[0], data[1], data[2], data[3]]),
            JKS_MAGIC | JCEKS_MAGIC
        )
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or("truncated JKS file")?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn utf(&mut self) -> Result<String, String> {
        let len = self.u16()? as usize;
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }
    fn blob(&mut self) -> Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

/// Reads the entries of a JKS / JCEKS store. The integrity digest at the end is not checked
/// (it needs the store password, and the certificates are readable without it).
pub fn read(data: &[u8]) -> Result<JksContents, String> {
    let mut r = Reader { data, pos: 0 };
    let magic = r.u32()?;
    if magic != JKS_MAGIC && magic != JCEKS_MAGIC {
        return Err("not a JKS or JCEKS keystore".into());
    }
    let version = r.u32()?;
    if version != 1 && version != 2 {
        return Err(format!("unsupported JKS version {version}"));
    }
    let count = r.u32()?;
    let mut out = JksContents {
        jceks: magic == JCEKS_MAGIC,
        ..JksContents::default()
    };
    for _ in 0..count {
        let tag = r.u32()?;
        let alias = r.utf()?;
        r.take(8)?; // creation date
        match tag {
            1 => {
                r.blob()?; // encrypted private key
                out.private_keys += 1;
                let chain = r.u32()?;
                for _ in 0..chain {
                    if version == 2 {
                        r.utf()?; // certificate type, "X.509"
                    }
                    out.certificates
                        .push((alias.clone(), r.blob()?.to_vec(), true));
                }
            }
            2 => {
                if version == 2 {
                    r.utf()?;
                }
                out.certificates.push((alias, r.blob()?.to_vec(), false));
            }
            3 => {
                // A JCEKS secret key is a serialized Java object: stop here, keep what was read.
                out.secret_keys += 1;
                break;
            }
            other => return Err(format!("unknown JKS entry type {other}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a version-2 JKS stream (without a valid digest) for tests.
    pub fn build(trusted: &[(&str, &[u8])], key_chain: Option<(&str, &[&[u8]])>) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(JKS_MAGIC.to_be_bytes());
        out.extend(2u32.to_be_bytes());
        let count = trusted.len() + usize::from(key_chain.is_some());
        out.extend((count as u32).to_be_bytes());
        let utf = |out: &mut Vec<u8>, s: &str| {
            out.extend((s.len() as u16).to_be_bytes());
            out.extend(s.as_bytes());
        };
        if let Some((alias, chain)) = key_chain {
            out.extend(1u32.to_be_bytes());
            utf(&mut out, alias);
            out.extend(0u64.to_be_bytes());
            out.extend(3u32.to_be_bytes());
            out.extend([1, 2, 3]);
            out.extend((chain.len() as u32).to_be_bytes());
            for c in chain {
                utf(&mut out, "X.509");
                out.extend((c.len() as u32).to_be_bytes());
                out.extend(*c);
            }
        }
        for (alias, der) in trusted {
            out.extend(2u32.to_be_bytes());
            utf(&mut out, alias);
            out.extend(0u64.to_be_bytes());
            utf(&mut out, "X.509");
            out.extend((der.len() as u32).to_be_bytes());
            out.extend(*der);
        }
        out.extend([0u8; 20]);
        out
    }

    #[test]
    fn reads_entries_and_rejects_truncation() {
        let data = build(&[("ca", b"CA-DER")], Some(("node", &[b"LEAF", b"CA-DER"])));
        assert!(looks_like_jks(&data));
        let c = read(&data).unwrap();
        assert_eq!(c.private_keys, 1);
        assert_eq!(c.certificates.len(), 3);
        assert_eq!(
            c.certificates[0],
            ("node".to_string(), b"LEAF".to_vec(), true)
        );
        assert!(read(&data[..30]).is_err());
        assert!(read(b"nope").is_err());
    }
}
