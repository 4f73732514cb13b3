//! `restore`: loads a backup into a database. Every guard runs first, before anything is
//! created, dropped or written ([`accept`]); only what passed them — an [`Accepted`] restore —
//! can change a database ([`Accepted::run`]). The load is all or nothing: PostgreSQL loads in
//! one transaction that is committed only after the row counts match, or, with several
//! connections, into a staging schema that one transaction switches in (see `postgres`);
//! MySQL, where DDL cannot be rolled back, loads into a staging database that is switched in
//! with one atomic `RENAME TABLE` only after the row counts match (see `mysql`).
//!
//! The shared types live in `types` and the target's inspection in `target`, leaves the engine
//! files use; this file only runs the guards and hands an accepted restore to its engine.

mod load;
mod mysql;
mod pg_load;
mod pg_native;
mod pg_staged;
mod postgres;
mod stored;
mod target;
mod types;
mod version;

pub use stored::accept_remote;
pub use target::inspect_target;
pub use types::{Accepted, RestoreError, RestoreRequest, Restored, RestoredTable, TargetState};
pub use version::VersionMismatch;

use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::completeness::{self, Proof};
use super::manifest::{self, FileFormat, Manifest, ManifestError};
use super::progress::{ProgressEvent, Reporter};
use super::remote::RemoteBackup;
use super::scan::{self, FileKind};
use crate::config::DbSettings;
use crate::db::{Db, Engine};
use target::denied;
use types::describe_target;

impl Accepted {
    /// Loads the file. Nothing of the target changes unless the whole file loads and every
    /// table holds the rows the backup recorded.
    pub async fn run(
        self,
        events: Option<mpsc::UnboundedSender<ProgressEvent>>,
        cancel: CancellationToken,
    ) -> Result<Restored, RestoreError> {
        let started = Instant::now();
        let result = self.load(events, cancel).await;
        if let Some(db) = &self.db {
            db.close().await;
        }
        let done = result?;
        Ok(Restored {
            database: self.request.settings.database.value.clone(),
            kind: self.kind,
            proof: self.proof,
            statements: done.statements,
            tables: done.tables,
            dropped: self.replaces.clone(),
            notes: self.warnings.iter().cloned().chain(done.notes).collect(),
            duration: started.elapsed(),
            start_server: if self.target.openmetadata_version.is_none() {
                self.manifest
                    .as_ref()
                    .and_then(|m| m.source.openmetadata_version.clone())
            } else {
                None
            },
        })
    }

    async fn load(
        &self,
        events: Option<mpsc::UnboundedSender<ProgressEvent>>,
        cancel: CancellationToken,
    ) -> Result<types::Done, RestoreError> {
        // The operator may have looked at a prompt for a while: the target must still be
        // what was accepted. (A PostgreSQL database that did not exist is checked again when
        // it is created.)
        let now = match (&self.db, self.request.settings.engine.value) {
            (Some(db), _) => Some(target::inspect_on(db).await?),
            (None, Engine::Postgres) => None,
            (None, Engine::Mysql) => Some(inspect_target(&self.request.settings).await?),
        };
        if let Some(now) = now
            && (now.exists != self.target.exists || now.tables != self.target.tables)
        {
            return Err(RestoreError::TargetChanged { what: self.what() });
        }
        let reporter = Reporter::new(events);
        if let Some(m) = &self.manifest {
            reporter.send(ProgressEvent::Started {
                tables: m.tables.len(),
                rows_estimate: m.total_rows(),
                bytes_estimate: m.file.bytes,
            });
        }
        match self.request.settings.engine.value {
            Engine::Postgres => postgres::run(self, &reporter, &cancel).await,
            Engine::Mysql => mysql::run(self, &reporter, &cancel).await,
        }
    }
}

/// Every guard of a restore, in one place and before anything is written: the file (manifest
/// and SHA-256, kind, completeness, engine, schema), then the target (empty, or replace asked;
/// the schema a data-only file needs; the server's packet size).
pub async fn accept(request: RestoreRequest) -> Result<Accepted, RestoreError> {
    let path = &request.file;
    let settings = &request.settings;
    let unreadable = |source| RestoreError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let manifest = match manifest::read(path) {
        Ok(m) => Some(m),
        Err(ManifestError::Missing { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let head = completeness::read_head(path).map_err(unreadable)?;
    let kind = match manifest.as_ref().map(|m| m.format) {
        Some(FileFormat::Sql) => FileKind::OmUpgradeSql,
        Some(FileFormat::OmCli) => FileKind::Statements,
        Some(FileFormat::Native) | None => completeness::kind_of(path, &head)?,
    };
    // PostgreSQL's own loader hashes the file as it loads it and checks before committing;
    // everything else is checked here, before the load (one more read of the file).
    let hash_on_load = manifest.is_some() && hashes_on_load(settings.engine.value, kind);
    if let Some(m) = &manifest {
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if !hash_on_load || size != m.file.bytes {
            check_sha256(path, m)?;
        }
    }
    let head_text = String::from_utf8_lossy(&head);
    let target_engine = settings.engine.value;
    let file_engine = manifest
        .as_ref()
        .map(|m| m.source.engine)
        .or_else(|| scan::sniff_engine(&head_text));
    check_engine(file_engine, target_engine)?;
    let proof = completeness::prove(path, kind, manifest.is_some(), request.allow_incomplete)?;
    if matches!(kind, FileKind::MysqlDump | FileKind::PgDump) && names_a_database(&head_text) {
        return Err(RestoreError::NamesDatabase {
            target: settings.database.value.clone(),
        });
    }
    let mut accepted = accept_target(request, manifest, kind, proof, None).await?;
    accepted.hash_on_load = hash_on_load;
    Ok(accepted)
}

/// Whether the load of a `kind` file into `engine` checks the file's SHA-256 itself.
fn hashes_on_load(engine: Engine, kind: FileKind) -> bool {
    engine == Engine::Postgres && matches!(kind, FileKind::OmUpgradeSql | FileKind::Statements)
}

/// The file's size and SHA-256 are those of its manifest.
fn check_sha256(path: &std::path::Path, m: &Manifest) -> Result<(), RestoreError> {
    let (found, bytes) =
        super::output::sha256_file(path).map_err(|source| RestoreError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
    if found != m.file.sha256 || bytes != m.file.bytes {
        return Err(RestoreError::Damaged {
            path: path.to_path_buf(),
            expected: m.file.sha256.clone(),
            found,
        });
    }
    Ok(())
}

/// The guards on the target, for a local or a stored backup: the schema, the same-version
/// guard, empty or replace asked, the schema a data-only file needs, the server's packet size.
/// The connection that inspected the target is kept for the load.
async fn accept_target(
    request: RestoreRequest,
    manifest: Option<Manifest>,
    kind: FileKind,
    proof: Proof,
    remote: Option<RemoteBackup>,
) -> Result<Accepted, RestoreError> {
    let settings = &request.settings;
    if settings.engine.value == Engine::Postgres
        && kind == FileKind::OmUpgradeSql
        && let Some(file_schema) = manifest.as_ref().and_then(|m| m.source.schema.clone())
        && file_schema != settings.schema.value
    {
        return Err(RestoreError::SchemaMismatch {
            file: file_schema,
            target: settings.schema.value.clone(),
        });
    }
    let (target, db) = target::inspect_kept(settings)
        .await
        .map_err(|e| denied(settings, e))?;
    let judged = match judge_target(&request, manifest.as_ref(), kind, &target) {
        Ok(judged) => check_packet(settings, manifest.as_ref(), kind)
            .await
            .map(|()| judged),
        Err(e) => Err(e),
    };
    let (warnings, replaces) = match judged {
        Ok(judged) => judged,
        Err(e) => {
            if let Some(db) = db {
                db.close().await;
            }
            return Err(e);
        }
    };
    Ok(Accepted {
        request,
        manifest,
        kind,
        proof,
        target,
        replaces,
        remote,
        warnings,
        db,
        jobs: 1,
        hash_on_load: false,
    })
}

/// The guards on what the target holds: the same-version guard, empty or replace asked, the
/// schema a data-only file needs. Gives the version guard's warnings and the tables the
/// restore replaces.
fn judge_target(
    request: &RestoreRequest,
    manifest: Option<&Manifest>,
    kind: FileKind,
    target: &TargetState,
) -> Result<(Vec<String>, Vec<String>), RestoreError> {
    let what = describe_target(&request.settings);
    let warnings = version::guard(
        manifest,
        target.openmetadata_version.as_deref(),
        request.replace_existing,
        &what,
    )
    .map_err(RestoreError::VersionMismatch)?;
    let not_empty = || RestoreError::NotEmpty {
        what: what.clone(),
        tables: target.tables.len(),
        om_version: target.openmetadata_version.clone(),
    };
    let replaces = match kind {
        FileKind::Statements => {
            if target.openmetadata_version.is_none() {
                return Err(RestoreError::NeedsSchema { what });
            }
            if target.rows > 0 && !request.replace_existing {
                return Err(not_empty());
            }
            Vec::new()
        }
        _ => {
            if !target.is_empty() && !request.replace_existing {
                return Err(not_empty());
            }
            target.tables.clone()
        }
    };
    Ok((warnings, replaces))
}

/// MySQL: the file's largest statement fits the server's `max_allowed_packet`.
async fn check_packet(
    settings: &DbSettings,
    manifest: Option<&Manifest>,
    kind: FileKind,
) -> Result<(), RestoreError> {
    if settings.engine.value == Engine::Mysql
        && !matches!(kind, FileKind::MysqlDump)
        && let Some(needed) = manifest.and_then(|m| m.largest_statement_bytes)
    {
        let server = Db::connect_server(settings).await?;
        let allowed = server
            .fetch_i64("SELECT CAST(@@max_allowed_packet AS SIGNED)", &[])
            .await;
        server.close().await;
        let allowed = allowed?.max(0) as u64;
        if needed + 1024 > allowed {
            return Err(RestoreError::PacketTooSmall { needed, allowed });
        }
    }
    Ok(())
}

/// Accepts and runs a restore (for callers that ask the operator nothing in between).
pub async fn restore(
    request: RestoreRequest,
    events: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
) -> Result<Restored, RestoreError> {
    accept(request).await?.run(events, cancel).await
}

/// A backup loads only into the engine it was taken from.
fn check_engine(file: Option<Engine>, target: Engine) -> Result<(), RestoreError> {
    match file {
        Some(file) if file != target => Err(RestoreError::EngineMismatch { file, target }),
        _ => Ok(()),
    }
}

/// A dump of `mysqldump --databases` or `pg_dump --create` switches databases itself.
fn names_a_database(head: &str) -> bool {
    head.lines().any(|line| {
        let line = line.trim_start();
        let upper = line.to_ascii_uppercase();
        upper.starts_with("USE ")
            || upper.starts_with("CREATE DATABASE")
            || line.starts_with("\\connect ")
            || line.starts_with("\\c ")
    })
}
