//! Which database a backup is of: its manifest names the engine, host, port and database it was
//! taken from (never a secret). A backup without a manifest (the official CLI's) has an unknown
//! source: it cannot be told apart from another database's backup.

use std::fmt;

use serde::Serialize;

use super::locate::FoundBackup;
use super::manifest::Manifest;
use crate::config::DbSettings;
use crate::db::Engine;

/// The database a backup was taken from, or is wanted for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceKey {
    pub engine: Engine,
    pub host: String,
    pub port: u16,
    pub database: String,
}

impl SourceKey {
    pub fn of_settings(settings: &DbSettings) -> SourceKey {
        SourceKey {
            engine: settings.engine.value,
            host: settings.host.value.clone(),
            port: settings.port.value,
            database: settings.database.value.clone(),
        }
    }

    pub fn of_manifest(manifest: &Manifest) -> SourceKey {
        let s = &manifest.source;
        SourceKey {
            engine: s.engine,
            host: s.host.clone(),
            port: s.port,
            database: s.database.clone(),
        }
    }

    pub fn of_backup(backup: &FoundBackup) -> Option<SourceKey> {
        backup.manifest.as_ref().map(SourceKey::of_manifest)
    }
}

impl fmt::Display for SourceKey {
    /// `postgres db.internal:5432/openmetadata_db`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}:{}/{}",
            self.engine, self.host, self.port, self.database
        )
    }
}

/// What the list says when a backup has no manifest to name its source.
pub const UNKNOWN: &str = "source unknown";

/// The source of a backup as a label: `postgres host:5432/db`, or "source unknown".
pub fn label(backup: &FoundBackup) -> String {
    SourceKey::of_backup(backup).map_or_else(|| UNKNOWN.to_string(), |k| k.to_string())
}

/// How a backup's source compares with the database it is wanted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceMatch {
    /// A backup of this database.
    Same,
    /// A backup of another database (engine, host, port or name differ).
    Other(SourceKey),
    /// No manifest: it cannot be told which database it is of.
    Unknown,
}

impl SourceMatch {
    pub fn of(backup: &FoundBackup, wanted: &SourceKey) -> SourceMatch {
        match SourceKey::of_backup(backup) {
            Some(key) if key == *wanted => SourceMatch::Same,
            Some(key) => SourceMatch::Other(key),
            None => SourceMatch::Unknown,
        }
    }

    pub fn is_same(&self) -> bool {
        matches!(self, SourceMatch::Same)
    }

    /// Why this backup is not one of `wanted`, in words; `None` when it is.
    pub fn mismatch(&self, wanted: &SourceKey) -> Option<String> {
        match self {
            SourceMatch::Same => None,
            SourceMatch::Other(key) => Some(format!(
                "this backup is of {key}, not of this database ({wanted})"
            )),
            SourceMatch::Unknown => Some(format!(
                "this backup has no manifest: it cannot be told whether it is of this database \
                 ({wanted})"
            )),
        }
    }
}

impl FoundBackup {
    /// Whether this backup is of the database of `settings` (engine, host, port and name, as
    /// its manifest names them; a backup without a manifest is of no known database).
    pub fn is_of(&self, settings: &DbSettings) -> bool {
        SourceMatch::of(self, &SourceKey::of_settings(settings)).is_same()
    }
}

/// The newest of `found` (newest first, as [`super::locate::find`] returns them) that is a
/// backup of this database.
pub fn newest_of<'a>(found: &'a [FoundBackup], settings: &DbSettings) -> Option<&'a FoundBackup> {
    found.iter().find(|b| b.is_of(settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DbInputs, Env, resolve};

    fn settings(url: &str) -> DbSettings {
        resolve(
            &DbInputs {
                db_url: Some(url.into()),
                ..Default::default()
            },
            &Env::default(),
        )
        .unwrap()
        .settings
    }

    fn found(manifest: Option<SourceKey>) -> FoundBackup {
        let manifest = manifest.map(|key| {
            let mut m: Manifest = serde_json::from_value(serde_json::json!({
                "manifest_version": 1, "tool": "om-upgrade", "tool_version": "0",
                "method": "builtin", "format": "sql",
                "source": {"engine": "postgres", "product": "PostgreSQL", "server_version": "15",
                           "host": "h", "port": 1, "database": "d",
                           "openmetadata_version": null},
                "started_at": "2026-12-01T10:00:00Z", "finished_at": "2026-12-01T10:00:01Z",
                "consistency": "snapshot", "tables": [],
                "file": {"name": "x.sql", "bytes": 1, "sha256": "00", "compression": "none"}
            }))
            .unwrap();
            m.source.engine = key.engine;
            m.source.host = key.host;
            m.source.port = key.port;
            m.source.database = key.database;
            m
        });
        FoundBackup {
            path: "/b/x.sql".into(),
            bytes: 1,
            taken_at: chrono::Utc::now(),
            manifest,
        }
    }

    #[test]
    fn a_backup_matches_only_the_database_it_was_taken_from() {
        let pg = SourceKey::of_settings(&settings("postgres://u@db:5432/om"));
        assert_eq!(pg.to_string(), "postgres db:5432/om");
        assert_eq!(
            SourceMatch::of(&found(Some(pg.clone())), &pg),
            SourceMatch::Same
        );
        let maria = SourceKey::of_settings(&settings("mysql://u@db:5432/om"));
        let other = SourceMatch::of(&found(Some(maria.clone())), &pg);
        assert_eq!(other, SourceMatch::Other(maria));
        let why = other.mismatch(&pg).unwrap();
        assert!(why.contains("mysql db:5432/om"), "{why}");
        assert!(
            why.contains("not of this database (postgres db:5432/om)"),
            "{why}"
        );
        assert_eq!(SourceMatch::of(&found(None), &pg), SourceMatch::Unknown);
        assert_eq!(label(&found(None)), "source unknown");
    }
}
