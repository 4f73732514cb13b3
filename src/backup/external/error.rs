//! Why another program's backup or load failed, with what to do about it.

use crate::backup::coverage;

#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    #[error("{tool} was not found on this host")]
    Missing { tool: String, hint: String },
    #[error("{tool} failed (exit code {code}): {stderr}")]
    Failed {
        tool: String,
        code: String,
        stderr: String,
    },
    #[error(
        "{tool} finished but its output did not say where the backup is (expected \"Backup stored locally under …\")"
    )]
    NoOutputPath { tool: String },
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "{tool} wrote a file that does not hold the whole database, so it was not kept: {}",
        incomplete_text(coverage)
    )]
    Incomplete {
        tool: String,
        coverage: coverage::Coverage,
    },
    #[error("cancelled")]
    Cancelled,
}

fn incomplete_text(coverage: &coverage::Coverage) -> String {
    let mut parts = Vec::new();
    if !coverage.missing.is_empty() {
        parts.push(format!(
            "{} of the database's {} tables are missing ({})",
            coverage.missing.len(),
            coverage.expected,
            coverage::list(&coverage.missing, 8)
        ));
    }
    if !coverage.miscounted.is_empty() {
        let shown: Vec<String> = coverage
            .miscounted
            .iter()
            .map(|(table, file, live)| {
                format!("{table}: {file} in the file, {live} in the database")
            })
            .collect();
        parts.push(format!(
            "{} tables have other row counts than the database ({})",
            coverage.miscounted.len(),
            coverage::list(&shown, 5)
        ));
    }
    parts.join("; ")
}

impl ExternalError {
    pub fn remediation(&self) -> String {
        match self {
            ExternalError::Missing { hint, .. } => hint.clone(),
            ExternalError::Failed { .. } => {
                "Read the tool's message above; the built-in method (--method builtin) needs no external tool.".into()
            }
            ExternalError::Incomplete { .. } => {
                "Use the built-in method (--method builtin), which reads every table in one snapshot and \
                 checks what it wrote; or run the official CLI again with the OpenMetadata server stopped \
                 and read its log for tables it could not read."
                    .into()
            }
            _ => "Try the built-in method (--method builtin).".into(),
        }
    }
}
