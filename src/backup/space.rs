//! Free space where a backup will go, and how big the backup will be.
//!
//! A SQL backup is not the size of the table data the server reports: JSON becomes text with
//! escapes, and Postgres keeps large documents compressed (TOAST) that the file holds in full.
//! Measured ratios of the file to the table data (Postgres `pg_table_size`, MySQL
//! `DATA_LENGTH`), uncompressed files:
//!
//! - `om-upgrade demo`, scales 1, 5 and 20 (2,195 to 41,126 rows), built-in method:
//!   Postgres 1.19–1.32 (sql) and 1.39–1.41 (om-cli); MariaDB 0.53–1.41 (sql) and 0.56–1.62
//!   (om-cli); MariaDB's figure is rounded up to whole pages for small tables, hence below 1.
//! - the same Postgres demo with one 4.3 MB JSON document added: 2.7.
//! - a fault-injection pass on databases with large TOASTed JSON documents: 2.1–5.4.
//!
//! So the estimate uses this database's own ratio when earlier backups of it in the folder
//! recorded their table data size; otherwise it says "likely" with the typical ratio and
//! "possibly" with the largest one.

use std::io;
use std::path::{Path, PathBuf};

use super::compression::Compression;
use super::locate::FoundBackup;

pub struct FreeSpace {
    /// Bytes an unprivileged user may still write.
    pub available: u64,
    /// The existing folder that was measured (the backup folder may not exist yet).
    pub measured_at: PathBuf,
}

/// Free space for `folder`, measured at its nearest existing ancestor.
pub fn available_bytes(folder: &Path) -> io::Result<FreeSpace> {
    let absolute = std::path::absolute(folder)?;
    let existing = absolute
        .ancestors()
        .find(|p| p.exists())
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no existing parent folder"))?;
    let stats = rustix::fs::statvfs(existing).map_err(io::Error::from)?;
    Ok(FreeSpace {
        available: stats.f_bavail.saturating_mul(stats.f_frsize),
        measured_at: existing.to_path_buf(),
    })
}

/// File size per byte of table data on sample OpenMetadata databases (module docs).
pub const TYPICAL_RATIO: f64 = 1.6;
/// The largest ratio measured (module docs).
pub const LARGEST_RATIO: f64 = 5.4;
/// Headroom over an estimate: the database grows, the file system needs some.
pub const MARGIN: f64 = 1.2;
/// Earlier backups looked at, newest first.
const EARLIER_LOOKED_AT: usize = 5;

/// How big the next uncompressed backup of a database will be.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeEstimate {
    /// The size to expect.
    pub likely: u64,
    /// The size it may reach (equal to `likely` when this database's own ratio is known).
    pub possible: u64,
    pub basis: Basis,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Basis {
    /// The ratio of earlier backups of this database: the largest of `backups` of them.
    Earlier {
        ratio: f64,
        backups: usize,
        newest: PathBuf,
    },
    /// No earlier backup of this database recorded its table data size.
    Known,
}

impl SizeEstimate {
    /// How the estimate was made, in words.
    pub fn explain(&self, data_bytes: u64) -> String {
        let data = crate::humanize::bytes(data_bytes);
        match &self.basis {
            Basis::Earlier {
                ratio,
                backups,
                newest,
            } => format!(
                "table data {data} × {ratio:.2}, the file-to-data ratio of {} of this database \
                 (newest {}), and never less than the newest one",
                crate::humanize::plural(*backups, "earlier backup", "earlier backups"),
                newest.display()
            ),
            Basis::Known => format!(
                "no earlier backup of this database with a recorded size here: table data {data} \
                 × {TYPICAL_RATIO} (typical of OpenMetadata databases) to × {LARGEST_RATIO} (the \
                 largest ratio measured, with large JSON documents)"
            ),
        }
    }
}

/// Estimates the next uncompressed backup of a database with `data_bytes` of table data from
/// `earlier` backups of the same database (newest first).
pub fn estimate(data_bytes: u64, earlier: &[&FoundBackup]) -> SizeEstimate {
    let uncompressed: Vec<(&FoundBackup, u64, Option<u64>)> = earlier
        .iter()
        .filter_map(|b| {
            let m = b.manifest.as_ref()?;
            (m.file.compression == Compression::None).then_some((
                *b,
                m.file.bytes,
                m.source.data_bytes.filter(|d| *d > 0),
            ))
        })
        .take(EARLIER_LOOKED_AT)
        .collect();
    let floor = uncompressed.first().map_or(0, |(_, bytes, _)| *bytes);
    let measured: Vec<f64> = uncompressed
        .iter()
        .filter_map(|(_, bytes, data)| data.map(|d| *bytes as f64 / d as f64))
        .collect();
    let scaled = |ratio: f64| ((data_bytes as f64 * ratio).ceil() as u64).max(floor);
    match measured.iter().copied().reduce(f64::max) {
        Some(ratio) => {
            let likely = scaled(ratio);
            SizeEstimate {
                likely,
                possible: likely,
                basis: Basis::Earlier {
                    ratio,
                    backups: measured.len(),
                    newest: uncompressed[0].0.path.clone(),
                },
            }
        }
        None => SizeEstimate {
            likely: scaled(TYPICAL_RATIO),
            possible: scaled(LARGEST_RATIO),
            basis: Basis::Known,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::{FileFormat, FileInfo, Manifest, Method, Source};

    #[test]
    fn measures_a_missing_folder_at_its_existing_parent() {
        let dir = tempfile::tempdir().unwrap();
        let free = available_bytes(&dir.path().join("not/yet/there")).unwrap();
        assert_eq!(free.measured_at, dir.path());
        assert!(free.available > 0);
    }

    fn earlier(bytes: u64, data_bytes: Option<u64>, compression: Compression) -> FoundBackup {
        let at = chrono::Utc::now();
        FoundBackup {
            path: format!("/b/{bytes}.sql").into(),
            bytes,
            taken_at: at,
            manifest: Some(Manifest {
                manifest_version: 1,
                tool: "om-upgrade".into(),
                tool_version: "0".into(),
                method: Method::Builtin,
                format: FileFormat::Sql,
                source: Source {
                    engine: crate::db::Engine::Postgres,
                    product: "PostgreSQL".into(),
                    server_version: "15".into(),
                    host: "h".into(),
                    port: 5432,
                    database: "d".into(),
                    schema: None,
                    openmetadata_version: None,
                    data_bytes,
                },
                started_at: at,
                finished_at: at,
                consistency: String::new(),
                tables: Vec::new(),
                file: FileInfo {
                    name: String::new(),
                    bytes,
                    sha256: String::new(),
                    compression,
                },
                largest_statement_bytes: None,
                notes: Vec::new(),
                verification: None,
                copies: Vec::new(),
                secrets: None,
            }),
        }
    }

    #[test]
    fn without_earlier_backups_the_estimate_spans_the_known_ratios() {
        let estimate = estimate(1000, &[]);
        assert_eq!(estimate.likely, 1600);
        assert_eq!(estimate.possible, 5400);
        assert_eq!(estimate.basis, Basis::Known);
    }

    #[test]
    fn earlier_backups_give_this_databases_ratio_and_a_floor() {
        let a = earlier(3_000, Some(1_000), Compression::None);
        let b = earlier(2_500, Some(1_000), Compression::None);
        let zst = earlier(300, Some(1_000), Compression::Zstd);
        let estimate = estimate(2_000, &[&zst, &a, &b]);
        assert_eq!(estimate.likely, 6_000);
        assert_eq!(estimate.possible, 6_000);
        assert!(matches!(estimate.basis, Basis::Earlier { backups: 2, .. }));
        // An older manifest without the data size: its file size is a floor.
        let old = earlier(9_000, None, Compression::None);
        let floor = super::estimate(2_000, &[&old]);
        assert_eq!(floor.likely, 9_000);
        assert_eq!(floor.possible, 10_800);
        assert_eq!(floor.basis, Basis::Known);
    }
}
