//! Why a compose file could not be read.

use std::path::PathBuf;

use super::interpolate::InterpolateError;
use crate::yaml::YamlError;

/// The most the values read from a compose file may hold once interpolated: each reference
/// may repeat a long variable.
pub(super) const VALUES_MAX: usize = 8 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{} does not exist: give the docker-compose.yml the installation was started with", path.display())]
    Missing { path: PathBuf },
    #[error("{}: {error}; fix the file or give the settings with flags", path.display())]
    Yaml { path: PathBuf, error: YamlError },
    #[error("{} is not a docker compose file: {reason}", path.display())]
    NotCompose { path: PathBuf, reason: String },
    #[error(
        "{} has no OpenMetadata server service (one whose image is openmetadata/server); its services: {}",
        path.display(),
        if services.is_empty() { "none".to_string() } else { services.join(", ") }
    )]
    NoServer {
        path: PathBuf,
        services: Vec<String>,
    },
    #[error("cannot read the env file {}: {reason}", path.display())]
    EnvFile { path: PathBuf, reason: String },
    #[error("{} line {line}: {reason}; fix the file or give the settings with flags", path.display())]
    EnvLine {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "the values of {} grow past {} once their ${{VAR}}s are replaced (are variables repeated on purpose?)",
        path.display(),
        crate::humanize::bytes(VALUES_MAX as u64)
    )]
    Overgrown { path: PathBuf },
    #[error("{} line {line}: {error}", path.display())]
    Interpolate {
        path: PathBuf,
        line: usize,
        error: InterpolateError,
    },
    #[error(
        "{} line {line} uses ${{{variable}}}, which is not set and has no default: set it in {} or export it",
        path.display(),
        dotenv.display()
    )]
    Unresolved {
        path: PathBuf,
        line: usize,
        variable: String,
        dotenv: PathBuf,
    },
}
