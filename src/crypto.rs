//! The cryptography esaudit runs on: AWS-LC through aws-lc-rs, and in a build with the `fips`
//! feature its FIPS module (aws-lc-fips-sys).
//!
//! Every TLS connection takes its rustls provider from [`provider`], and the process-wide default
//! that reqwest picks up is installed by [`install`] before any client is made. A FIPS build
//! refuses to connect at all when the module is not in FIPS mode, so it never falls back to
//! non-validated code. The keystore's KDF and AES-GCM, the certificate hashes and the signature
//! checks call aws-lc-rs directly, which the feature switches to the same module.

use rustls::crypto::CryptoProvider;
use std::sync::{Arc, OnceLock};

/// True in a build with the `fips` feature.
pub const FIPS_BUILD: bool = cfg!(feature = "fips");

/// Said after a failed handshake: in a FIPS build, the server may offer nothing the module may
/// agree to.
pub const HANDSHAKE_NOTE: &str = match FIPS_BUILD {
    true => " (this FIPS build agrees only FIPS-approved versions, suites and groups)",
    false => "",
};

/// The rustls provider for every connection esaudit makes.
///
/// # Errors
/// In a FIPS build, when the module is not in FIPS mode or rustls's provider does not say it is
/// FIPS: the reason, to be reported where the connection would have been made.
pub fn provider() -> Result<Arc<CryptoProvider>, String> {
    static PROVIDER: OnceLock<Result<Arc<CryptoProvider>, String>> = OnceLock::new();
    PROVIDER.get_or_init(make_provider).clone()
}

#[cfg(feature = "fips")]
fn make_provider() -> Result<Arc<CryptoProvider>, String> {
    aws_lc_rs::try_fips_mode().map_err(|e| format!("the AWS-LC FIPS module is not usable: {e}"))?;
    let provider = rustls::crypto::default_fips_provider();
    if !provider.fips() {
        return Err("rustls's FIPS provider does not report FIPS mode".into());
    }
    Ok(Arc::new(provider))
}

#[cfg(not(feature = "fips"))]
fn make_provider() -> Result<Arc<CryptoProvider>, String> {
    Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// Makes [`provider`] the process-wide rustls default, which reqwest uses for the clusters'
/// HTTP clients and `--es-output`. Called before each client is built; only the first call
/// installs.
///
/// # Errors
/// As [`provider`], and in a FIPS build when some other provider that is not FIPS was installed
/// first.
pub fn install() -> Result<(), String> {
    let provider = provider()?;
    // An error only says a default is already installed: ours, or one to check below.
    let _ = CryptoProvider::install_default(Arc::unwrap_or_clone(provider));
    match CryptoProvider::get_default() {
        Some(installed) if FIPS_BUILD && !installed.fips() => {
            Err("a TLS provider that is not FIPS was installed first".into())
        }
        Some(_) => Ok(()),
        None => Err("no TLS provider could be installed".into()),
    }
}

/// What `esaudit --version` says about the cryptography: the module, its version, and whether it
/// is in FIPS mode right now.
pub fn describe() -> String {
    let version = aws_lc_rs::awslc_version();
    match (FIPS_BUILD, provider()) {
        (true, Ok(_)) => format!(
            "crypto: AWS-LC FIPS module {version} (aws-lc-fips-sys), FIPS mode: on\n\
             note: a build of a validated module's source; whether it is the certified one \
             depends on the module version, platform and build"
        ),
        (true, Err(e)) => format!(
            "crypto: AWS-LC FIPS module {version} (aws-lc-fips-sys), FIPS mode: OFF ({e}); \
             no connection will be made"
        ),
        (false, _) => format!(
            "crypto: AWS-LC {version} (aws-lc-sys), FIPS mode: off (build with --features fips \
             for the FIPS module)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_fips_exactly_in_a_fips_build() {
        let provider = provider().expect("the provider");
        assert_eq!(provider.fips(), FIPS_BUILD);
        install().expect("installed");
        assert_eq!(
            CryptoProvider::get_default().expect("a default").fips(),
            FIPS_BUILD
        );
        let text = describe();
        assert!(text.starts_with("crypto: AWS-LC"), "{text}");
        assert_eq!(text.contains("FIPS mode: on"), FIPS_BUILD, "{text}");
    }
}
