//! The CA certificate a verifying TLS mode checks the database server with (`--ssl-ca`, or
//! `sslrootcert` in a url or `DB_PARAMS`), checked before connecting the way the driver will
//! read it: a file that holds no usable PEM certificate would otherwise surface as an
//! "unknown issuer" from the server, long after the mistake.

use std::path::Path;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::small_file::{self, Accept};

/// CA bundles are tens to hundreds of kilobytes.
const MAX_BYTES: usize = 4 << 20;

/// Why a CA file cannot be used. Each message follows the file's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaFileError {
    #[error("{0}")]
    Unreadable(String),
    #[error("holds no PEM certificate (a block starting -----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("holds a certificate that cannot be read ({0})")]
    BadCertificate(String),
}

/// Checks that `path` holds at least one PEM certificate, and that every one can be trusted as
/// a root (what the TLS library does with it when connecting).
pub fn check(path: &Path) -> Result<(), CaFileError> {
    let bytes = small_file::read(path, MAX_BYTES, Accept::Regular)
        .map_err(|error| CaFileError::Unreadable(error.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&bytes) {
        let certificate =
            certificate.map_err(|error| CaFileError::BadCertificate(error.to_string()))?;
        roots
            .add(certificate)
            .map_err(|error| CaFileError::BadCertificate(error.to_string()))?;
    }
    if roots.is_empty() {
        return Err(CaFileError::NoCertificate);
    }
    Ok(())
}

/// A self-signed test CA (P-256, valid to 2126), made with `openssl req -x509`.
#[cfg(test)]
pub(crate) const TEST_CA: &str = include_str!("testdata/ca.pem");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_certificate_passes_and_anything_else_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        assert_eq!(check(&write("ca.pem", TEST_CA)), Ok(()));
        let bundle = format!("# a bundle\n{TEST_CA}\n{TEST_CA}");
        assert_eq!(check(&write("bundle.pem", &bundle)), Ok(()));
        assert_eq!(
            check(&write("notes.txt", "hello\n")),
            Err(CaFileError::NoCertificate)
        );
        let key = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            check(&write("key.pem", key)),
            Err(CaFileError::NoCertificate)
        );
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            check(&write("bad.pem", garbage)),
            Err(CaFileError::BadCertificate(_))
        ));
        assert_eq!(
            check(dir.path()),
            Err(CaFileError::Unreadable("a folder, not a file".into()))
        );
        assert_eq!(
            check(&dir.path().join("absent.pem")),
            Err(CaFileError::Unreadable("no such file".into()))
        );
    }
}
