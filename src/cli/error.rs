//! The one error type of the command line, and how it maps to an exit code.

use crate::config::ConfigError;
use crate::knowledge::KnowledgeError;

/// A failure the command line reports and maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Boxed: the catalogue's errors are large, and every command returns this.
    #[error(transparent)]
    Knowledge(Box<KnowledgeError>),
    #[error("{0}")]
    Usage(String),
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
}

impl From<KnowledgeError> for CliError {
    fn from(error: KnowledgeError) -> Self {
        CliError::Knowledge(Box::new(error))
    }
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Knowledge(_) | CliError::Usage(_) => 2,
            CliError::Failed { .. } => 1,
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            CliError::Failed { hint, .. } => hint.as_deref(),
            CliError::Config(_) => Some("see `om-upgrade --help` for where settings come from"),
            CliError::Knowledge(error) => Some(error.hint()),
            CliError::Usage(_) => None,
        }
    }
}
