//! The same-version guard: a backup fits only a database (and a server) of the OpenMetadata
//! version it was taken from. The backup's version is in its manifest; the target's is what
//! its migration history says.

use crate::backup::manifest::Manifest;

/// A backup of one OpenMetadata version over a database whose history says another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMismatch {
    pub backup: String,
    pub target: String,
    pub what: String,
}

impl std::fmt::Display for VersionMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the backup is of OpenMetadata {}, but the migration history of {} says {}: a \
             restore only fits a database and server of the version the backup was taken from",
            self.backup, self.what, self.target
        )
    }
}

/// Refuses a version mismatch unless `forced`; returns the warnings for what it cannot check
/// (no manifest, no version in it) or what the operator forced. `target_version` is what the
/// target's migration history says.
pub(super) fn guard(
    manifest: Option<&Manifest>,
    target_version: Option<&str>,
    forced: bool,
    what: &str,
) -> Result<Vec<String>, VersionMismatch> {
    let Some(manifest) = manifest else {
        return Ok(vec![format!(
            "the backup has no manifest, so its OpenMetadata version is unknown: make sure it \
             was taken from the version {} and the server you will start run{}",
            what,
            target_version
                .map(|v| format!(" (its migration history says {v})"))
                .unwrap_or_default()
        )]);
    };
    let Some(backup) = manifest.source.openmetadata_version.as_deref() else {
        return Ok(vec![
            "the manifest records no OpenMetadata version (the database had no migration \
             history when it was backed up): the same-version guard cannot check this restore"
                .to_string(),
        ]);
    };
    match target_version {
        Some(existing) if !same_version(backup, existing) => {
            let mismatch = VersionMismatch {
                backup: backup.to_string(),
                target: existing.to_string(),
                what: what.to_string(),
            };
            if forced {
                Ok(vec![format!(
                    "{mismatch}; going on because --force was given"
                )])
            } else {
                Err(mismatch)
            }
        }
        _ => Ok(Vec::new()),
    }
}

/// Versions are equal as versions (`1.1.5` and `1.1.5.0` name the same server release).
fn same_version(a: &str, b: &str) -> bool {
    let parts = |v: &str| {
        let mut parts: Vec<String> = v
            .trim()
            .trim_start_matches('v')
            .split(['.', '-', '+'])
            .map(|p| p.trim_start_matches('0').to_string())
            .collect();
        while parts.last().is_some_and(String::is_empty) && parts.len() > 3 {
            parts.pop();
        }
        parts
    };
    parts(a) == parts(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_versions() {
        assert!(same_version("1.1.5", "1.1.5"));
        assert!(same_version("1.1.5", "1.1.5.0"));
        assert!(!same_version("1.1.5", "1.2.0"));
        assert!(!same_version("1.1.5", "1.1.50"));
    }
}
