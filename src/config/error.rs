//! Why the settings could not be read.

use std::path::PathBuf;

use super::db_url::UrlError;
use super::{compose, helm, substitute, tls_ca};
use crate::yaml::YamlError;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{} does not exist: give the server's openmetadata.yaml with --config (often conf/openmetadata.yaml in the server folder)", path.display())]
    ConfigFileMissing { path: PathBuf },
    #[error("{}: {error}; fix the file or give the settings with flags", path.display())]
    ConfigYaml { path: PathBuf, error: YamlError },
    #[error("{}: {error}; fix the file or give the settings with flags", path.display())]
    ConfigOvergrown {
        path: PathBuf,
        error: substitute::Overgrown,
    },
    #[error("{} has no `database:` section: is it the OpenMetadata server's openmetadata.yaml?", path.display())]
    ConfigNoDatabase { path: PathBuf },
    #[error("{} line {line} uses ${{{variable}}}, which is not set and has no default: export {variable} or give the value with a flag", path.display())]
    UnresolvedVariable {
        path: PathBuf,
        variable: String,
        line: usize,
    },
    #[error(transparent)]
    Compose(#[from] compose::ComposeError),
    #[error(transparent)]
    Helm(#[from] helm::HelmError),
    #[error("bad database url in {origin}: {error}")]
    BadUrl { origin: String, error: UrlError },
    #[error("{origin} is '{value}', expected {expected}")]
    BadValue {
        origin: String,
        value: String,
        expected: &'static str,
    },
    #[error("cannot read the password file {}: {reason}", path.display())]
    PasswordFile { path: PathBuf, reason: String },
    #[error(
        "the CA certificate {} ({origin}): {error}; give the PEM file of the CA that signed the \
         database server's certificate, or --ssl-mode require to encrypt without verifying",
        path.display()
    )]
    CaFile {
        path: PathBuf,
        origin: String,
        error: tls_ca::CaFileError,
    },
}
