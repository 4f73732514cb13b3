//! `verify`: is this backup file whole, and does it hold what its manifest says?

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use super::completeness::{self, NotProven};
use super::manifest::{self, Manifest, ManifestError, Verification};
use super::output::sha256_file;
use super::progress::Reporter;
use super::remote::RemoteBackup;
use super::scan::{self, FileKind, FileScan};
use crate::db::Engine;
use crate::humanize;
use crate::status::Status;

/// One thing verify found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub status: Status,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub engine: Engine,
    pub kind: Option<FileKind>,
    pub manifest: Option<Manifest>,
    pub scan: Option<FileScan>,
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    /// The worst finding.
    pub fn status(&self) -> Status {
        self.findings
            .iter()
            .map(|f| f.status)
            .max_by_key(|s| match s {
                Status::Fail => 3,
                Status::Warn => 2,
                Status::Pass => 1,
                Status::Skip => 0,
            })
            .unwrap_or(Status::Pass)
    }

    pub fn ok(&self) -> bool {
        self.status() != Status::Fail
    }

    fn add(&mut self, status: Status, text: impl Into<String>) {
        self.findings.push(Finding {
            status,
            text: text.into(),
        });
    }

    /// A one-line summary.
    pub fn summary(&self) -> String {
        match (&self.scan, self.ok()) {
            (Some(scan), true) => format!(
                "{}, {}, {}",
                humanize::plural(scan.tables.len(), "table", "tables"),
                humanize::plural(scan.total_rows() as usize, "row", "rows"),
                humanize::bytes(self.bytes)
            ),
            _ => self
                .findings
                .iter()
                .find(|f| f.status == Status::Fail)
                .map(|f| f.text.clone())
                .unwrap_or_else(|| "not verified".into()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Checks the file: SHA-256 and size against the manifest, every statement parsed, rows and
/// content checksums per table, the end marker. `engine` overrides what the file says.
pub fn verify(
    path: &Path,
    engine: Option<Engine>,
    reporter: &Reporter,
) -> Result<VerifyReport, VerifyError> {
    let unreadable = |source| VerifyError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let (sha256, bytes) = sha256_file(path).map_err(unreadable)?;
    let manifest = manifest::read(path);
    let head = completeness::read_head(path).map_err(unreadable)?;
    let engine_known = engine
        .or_else(|| manifest.as_ref().ok().map(|m| m.source.engine))
        .or_else(|| scan::sniff_engine(&String::from_utf8_lossy(&head)));
    let mut report = VerifyReport {
        path: path.to_path_buf(),
        bytes,
        sha256,
        engine: engine_known.unwrap_or(Engine::Mysql),
        kind: None,
        manifest: None,
        scan: None,
        findings: Vec::new(),
    };
    let kind = match completeness::kind_of(path, &head) {
        Ok(kind) => kind,
        Err(not_sql) => {
            report.add(Status::Fail, not_sql.to_string());
            report.manifest = manifest.ok();
            return Ok(report);
        }
    };
    if engine_known.is_none() {
        report.add(
            Status::Warn,
            "the file does not say which engine it is for; assumed MySQL quoting (use --engine postgres for a Postgres backup)",
        );
    }
    let manifest_matches = check_manifest(&mut report, &manifest, kind);
    check_complete(&mut report, path, kind, manifest_matches);
    let reader = super::open_reader(path).map_err(unreadable)?;
    check_content(&mut report, reader, manifest.as_ref().ok(), reporter);
    report.manifest = manifest.ok();
    Ok(report)
}

/// Size and SHA-256 against the manifest; a missing manifest fails for a file of ours (or one
/// a backup left behind) and warns for another tool's. Returns whether they match.
fn check_manifest(
    report: &mut VerifyReport,
    manifest: &Result<Manifest, ManifestError>,
    kind: FileKind,
) -> bool {
    let (sha256, bytes) = (report.sha256.clone(), report.bytes);
    match manifest {
        Ok(m) => {
            if m.file.sha256 == sha256 && m.file.bytes == bytes {
                report.add(
                    Status::Pass,
                    format!("SHA-256 matches the manifest ({})", &sha256[..16]),
                );
                true
            } else if bytes < m.file.bytes {
                report.add(
                    Status::Fail,
                    format!(
                        "the file is {} but the manifest says {}: it was truncated after the backup",
                        humanize::bytes(bytes),
                        humanize::bytes(m.file.bytes)
                    ),
                );
                false
            } else {
                report.add(
                    Status::Fail,
                    format!(
                        "SHA-256 differs from the manifest ({} expected, {} found): the file changed after the backup",
                        &m.file.sha256[..16.min(m.file.sha256.len())],
                        &sha256[..16]
                    ),
                );
                false
            }
        }
        Err(error @ ManifestError::Missing { .. }) => {
            // Files of `metadata backup` never have one; ours always do.
            let ours = kind == FileKind::OmUpgradeSql || error.is_interrupted_backup();
            report.add(
                if ours { Status::Fail } else { Status::Warn },
                error.to_string(),
            );
            false
        }
        Err(error) => {
            report.add(Status::Fail, error.to_string());
            false
        }
    }
}

/// The rule a restore applies (the om-upgrade end marker is checked with the content, with
/// its counts).
fn check_complete(report: &mut VerifyReport, path: &Path, kind: FileKind, manifest_matches: bool) {
    if kind != FileKind::OmUpgradeSql
        && let Err(not_proven) = completeness::prove(path, kind, manifest_matches, false)
    {
        let status = match &not_proven {
            // One statement per line carries no marker: nothing is wrong, nothing is proven.
            NotProven::Unproven { .. } if completeness::end_marker(kind).is_none() => Status::Warn,
            _ => Status::Fail,
        };
        let hint = match status {
            Status::Warn => " (restore needs --allow-incomplete)",
            _ => "",
        };
        report.add(status, format!("{not_proven}{hint}"));
    }
}

/// Every statement parsed: the file's kind, its end marker, and its tables against the
/// manifest's (or their counts, without one).
fn check_content(
    report: &mut VerifyReport,
    reader: impl std::io::BufRead,
    manifest: Option<&Manifest>,
    reporter: &Reporter,
) {
    match scan::scan(reader, report.engine, reporter) {
        Err(error) => report.add(Status::Fail, format!("the file does not parse: {error}")),
        Ok(scanned) => check_scanned(
            report,
            scanned,
            manifest,
            "the file stops before the end of the backup (truncated?)",
        ),
    }
}

/// What a parsed file says: a backup at all, whole up to its end marker (`cut` says what a
/// missing one means), and its tables against the manifest's (or their counts, without one).
fn check_scanned(
    report: &mut VerifyReport,
    scanned: FileScan,
    manifest: Option<&Manifest>,
    cut: &str,
) {
    report.kind = Some(scanned.kind);
    if scanned.statements == 0 {
        report.add(
            Status::Fail,
            "the file holds no SQL statement: it is not a backup",
        );
    }
    if scanned.kind == FileKind::OmUpgradeSql && !scanned.complete {
        report.add(
            Status::Fail,
            format!(
                "the end marker is missing, not last, or does not count the rows before it: \
                 {cut} or was altered"
            ),
        );
    }
    if let Some(m) = manifest {
        compare_tables(report, m, &scanned);
    } else {
        report.add(
            Status::Pass,
            format!(
                "parsed {}: {}, {}",
                humanize::plural(scanned.statements as usize, "statement", "statements"),
                humanize::plural(scanned.tables.len(), "table", "tables"),
                humanize::plural(scanned.total_rows() as usize, "row", "rows")
            ),
        );
    }
    report.scan = Some(scanned);
}

fn compare_tables(report: &mut VerifyReport, manifest: &Manifest, scanned: &FileScan) {
    let mut problems = Vec::new();
    for expected in &manifest.tables {
        match scanned.tables.iter().find(|t| t.name == expected.name) {
            None if expected.rows > 0 => problems.push(format!(
                "table {} ({} rows in the manifest) is not in the file",
                expected.name, expected.rows
            )),
            None => {}
            Some(found) if found.rows != expected.rows => problems.push(format!(
                "table {}: {} rows in the file, {} in the manifest",
                expected.name, found.rows, expected.rows
            )),
            Some(found) => {
                if let (Some(a), Some(b)) = (&expected.checksum, &found.checksum)
                    && a != b
                {
                    problems.push(format!(
                        "table {}: the rows differ from what was backed up (content checksum {} expected, {} found)",
                        expected.name, a, b
                    ));
                }
            }
        }
    }
    for found in &scanned.tables {
        if found.rows > 0 && !manifest.tables.iter().any(|t| t.name == found.name) {
            problems.push(format!(
                "table {} is in the file but not in the manifest",
                found.name
            ));
        }
    }
    if problems.is_empty() {
        report.add(
            Status::Pass,
            format!(
                "every table matches the manifest: {}, {}",
                humanize::plural(manifest.tables.len(), "table", "tables"),
                humanize::plural(manifest.total_rows() as usize, "row", "rows")
            ),
        );
    } else {
        for problem in problems {
            report.add(Status::Fail, problem);
        }
    }
}

/// Records the result in the manifest, so `backups` can show which backups were verified.
pub fn record(report: &VerifyReport, restored: bool) -> std::io::Result<()> {
    let Some(mut manifest) = report.manifest.clone() else {
        return Ok(());
    };
    manifest.verification = Some(Verification {
        at: Utc::now(),
        ok: report.ok(),
        summary: report.summary(),
        restored,
    });
    manifest::write(&report.path, &manifest).map(drop)
}

/// [`verify`] for a backup in an off-host store, in one streaming pass and without a local
/// copy: the stored bytes are hashed as they are parsed, then size and SHA-256 are compared with
/// the stored manifest, and every table with it. Blocking (reads the store through `remote`).
pub fn verify_remote(
    remote: &RemoteBackup,
    reporter: &Reporter,
) -> Result<VerifyReport, VerifyError> {
    let path = remote.display_path();
    let unreadable = |source| VerifyError::Unreadable {
        path: path.clone(),
        source,
    };
    let manifest = &remote.manifest;
    let mut report = VerifyReport {
        path: path.clone(),
        bytes: 0,
        sha256: String::new(),
        engine: manifest.source.engine,
        kind: None,
        manifest: Some(manifest.clone()),
        scan: None,
        findings: Vec::new(),
    };
    let (reader, tap) = remote.open_hashed().map_err(unreadable)?;
    let scanned = scan::scan(reader, report.engine, reporter);
    let hashed = tap.finish();
    report.bytes = hashed.bytes;
    report.sha256 = hashed.sha256.clone();
    let scanned = match scanned {
        Ok(scanned) => scanned,
        Err(error) if !remote.matches(&hashed) => {
            // A cut or damaged object usually shows as a parse error: say what is wrong first.
            report.add(
                Status::Fail,
                format!(
                    "the stored object is not what its manifest describes ({} read of {}): \
                     {error}",
                    humanize::bytes(hashed.bytes),
                    humanize::bytes(manifest.file.bytes)
                ),
            );
            return Ok(report);
        }
        Err(error) => {
            report.add(Status::Fail, format!("the file does not parse: {error}"));
            return Ok(report);
        }
    };
    if remote.matches(&hashed) {
        report.add(
            Status::Pass,
            format!(
                "size and SHA-256 of the stored object match the manifest ({})",
                &hashed.sha256[..16.min(hashed.sha256.len())]
            ),
        );
    } else {
        report.add(
            Status::Fail,
            format!(
                "the stored object ({}, SHA-256 {}) differs from its manifest ({}, SHA-256 {}): \
                 do not rely on this copy",
                humanize::bytes(hashed.bytes),
                &hashed.sha256[..16.min(hashed.sha256.len())],
                humanize::bytes(manifest.file.bytes),
                &manifest.file.sha256[..16.min(manifest.file.sha256.len())]
            ),
        );
    }
    check_scanned(
        &mut report,
        scanned,
        Some(manifest),
        "the stored object stops before the end of the backup",
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::TableEntry;
    use crate::backup::scan::FileKind;

    #[test]
    fn one_row_is_a_row() {
        let entry = |name: &str, rows: u64| TableEntry {
            name: name.into(),
            rows,
            checksum: None,
        };
        let report = VerifyReport {
            path: "/b/x.sql".into(),
            bytes: 2048,
            sha256: "00".repeat(32),
            engine: Engine::Postgres,
            kind: Some(FileKind::OmUpgradeSql),
            manifest: None,
            scan: Some(FileScan {
                kind: FileKind::OmUpgradeSql,
                tables: vec![entry("one", 1)],
                statements: 1,
                complete: true,
                largest_statement: 10,
                header_engine: Some(Engine::Postgres),
            }),
            findings: Vec::new(),
        };
        assert_eq!(report.summary(), "1 table, 1 row, 2.0 KiB");
    }
}
