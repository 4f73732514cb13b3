//! Is a backup file whole? The proof a restore demands before it touches a database, and that
//! verify reports: the manifest when there is one (its SHA-256 is checked by the caller), else
//! the end marker that the file's writer puts last.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::dump::FOOTER_MARK;
use super::scan::{self, FileKind, NotSql};

/// The last comment pg_dump writes (before an optional `\unrestrict` line).
pub const PG_DUMP_END: &str = "PostgreSQL database dump complete";
/// The last comment mysqldump writes (`-- Dump completed on DATE`, or without the date).
pub const MYSQLDUMP_END: &str = "Dump completed";

/// How much of a file's end is read to find its end marker.
const TAIL_BYTES: usize = 64 * 1024;

/// How a file was shown to be whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Proof {
    /// Its manifest matches it, and its end marker (when its kind has one) is last.
    Manifest,
    /// No manifest, but the end marker its writer puts last is there.
    EndMarker,
    /// Nothing proves it whole; the operator chose to load it anyway (`--allow-incomplete`).
    Unproven,
}

#[derive(Debug, thiserror::Error)]
pub enum NotProven {
    #[error("{} is not a SQL backup: {reason}", path.display())]
    NotSql { path: PathBuf, reason: NotSql },
    #[error(
        "{} is incomplete: it does not end with the line '-- {FOOTER_MARK}: …' that every om-upgrade backup ends with; the file was cut short (a truncated copy, a full disk, a killed backup)", path.display()
    )]
    Truncated { path: PathBuf },
    #[error(
        "{} cannot be decompressed to its end ({source}): the file was cut short or damaged", path.display()
    )]
    Undecodable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot prove that {} is complete: {why}", path.display())]
    Unproven { path: PathBuf, why: String },
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl NotProven {
    pub fn remediation(&self) -> Option<String> {
        match self {
            NotProven::NotSql { .. } => Some(
                "Give the backup file itself (.sql, .sql.zst or .sql.gz, as `om-upgrade backup`, \
                 pg_dump, mysqldump or `metadata backup` wrote it)."
                    .into(),
            ),
            NotProven::Truncated { path } | NotProven::Undecodable { path, .. } => Some(format!(
                "Restore another copy of the backup; `om-upgrade verify {}` shows what is missing.",
                path.display()
            )),
            NotProven::Unproven { .. } => Some(
                "If you know the file is whole (you watched the tool that wrote it finish), add \
                 --allow-incomplete to load it anyway; a truncated file then loads partially."
                    .into(),
            ),
            NotProven::Unreadable { .. } => None,
        }
    }
}

/// The comment line that a file of `kind` ends with when its writer finished.
pub fn end_marker(kind: FileKind) -> Option<&'static str> {
    match kind {
        FileKind::OmUpgradeSql => Some(FOOTER_MARK),
        FileKind::PgDump => Some(PG_DUMP_END),
        FileKind::MysqlDump => Some(MYSQLDUMP_END),
        FileKind::Statements => None,
    }
}

/// The first bytes of the file, decompressed.
pub fn read_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(scan::HEAD_BYTES);
    super::open_reader(path)?
        .take(scan::HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// The last bytes of the file, decompressed (a plain file is read from its end; a compressed
/// one has to be decompressed to its end).
pub fn read_tail(path: &Path) -> io::Result<Vec<u8>> {
    if is_plain(path)? {
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES as u64)))?;
        let mut tail = Vec::with_capacity(TAIL_BYTES);
        file.read_to_end(&mut tail)?;
        return Ok(tail);
    }
    let mut reader = super::open_reader(path)?;
    let mut tail: Vec<u8> = Vec::with_capacity(2 * TAIL_BYTES);
    let mut buffer = vec![0u8; TAIL_BYTES];
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buffer[..n]);
        if tail.len() > 2 * TAIL_BYTES {
            tail.drain(..tail.len() - TAIL_BYTES);
        }
    }
    Ok(tail)
}

/// Whether the file is read as it is stored (not decompressed): its first bytes read through
/// [`super::open_reader`] are its first bytes on disk.
pub fn is_plain(path: &Path) -> io::Result<bool> {
    let mut raw = Vec::with_capacity(16);
    std::fs::File::open(path)?.take(16).read_to_end(&mut raw)?;
    let mut decoded = Vec::with_capacity(16);
    match super::open_reader(path)?.take(16).read_to_end(&mut decoded) {
        Ok(_) => Ok(raw == decoded),
        // Not readable through the decompressor: not plain either.
        Err(_) => Ok(false),
    }
}

/// Whether the last line of `tail` that says something is the `marker` comment. pg_dump's
/// closing `--` lines and `\unrestrict` meta-command may follow it.
pub fn ends_with_marker(tail: &[u8], marker: &str) -> bool {
    last_comment(tail).is_some_and(|comment| comment.starts_with(marker))
}

/// The text of the last line of `tail` that says something, when it is a `--` comment.
fn last_comment(tail: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(tail);
    text.lines()
        .rev()
        .map(str::trim)
        .find(|line| {
            !line.is_empty()
                && !line.trim_start_matches('-').trim().is_empty()
                && !line.starts_with('\\')
        })
        .and_then(|line| line.strip_prefix("--"))
        .map(|comment| comment.trim().to_string())
}

/// Whether the om-upgrade end marker is last and whole: cut inside it, its counts are gone.
fn ends_with_whole_footer(tail: &[u8]) -> bool {
    last_comment(tail).is_some_and(|comment| scan::footer_totals(&comment).is_some())
}

/// What makes a restore of `path` acceptable, or why it is refused. `manifest_matches` says
/// that a manifest exists and its SHA-256 and size match the file (checked by the caller).
pub fn prove(
    path: &Path,
    kind: FileKind,
    manifest_matches: bool,
    allow_incomplete: bool,
) -> Result<Proof, NotProven> {
    let unreadable = |source| NotProven::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let marked = match end_marker(kind) {
        Some(marker) => {
            let tail = read_tail(path).map_err(|source| {
                // The start decompressed (the kind was read from it): the rest is damaged.
                match is_plain(path) {
                    Ok(false) => NotProven::Undecodable {
                        path: path.to_path_buf(),
                        source,
                    },
                    _ => unreadable(source),
                }
            })?;
            let whole = match kind {
                FileKind::OmUpgradeSql => ends_with_whole_footer(&tail),
                _ => ends_with_marker(&tail, marker),
            };
            Some((marker, whole))
        }
        None => None,
    };
    match (kind, marked) {
        (_, Some((_, true))) if manifest_matches => Ok(Proof::Manifest),
        (_, None) if manifest_matches => Ok(Proof::Manifest),
        (_, Some((_, true))) => Ok(Proof::EndMarker),
        // Every om-upgrade backup ends with its marker: without it the file is cut short.
        (FileKind::OmUpgradeSql, _) => Err(NotProven::Truncated {
            path: path.to_path_buf(),
        }),
        _ if allow_incomplete => Ok(Proof::Unproven),
        (_, Some((marker, false))) => Err(NotProven::Unproven {
            path: path.to_path_buf(),
            why: format!(
                "it does not end with the line '-- {marker}' that {} writes last, so it was probably cut short",
                match kind {
                    FileKind::PgDump => "pg_dump",
                    _ => "mysqldump",
                }
            ),
        }),
        (_, None) => Err(NotProven::Unproven {
            path: path.to_path_buf(),
            why: "it has no manifest beside it, and files of one statement per line (`metadata \
                  backup`, --format om-cli) carry no end marker"
                .into(),
        }),
    }
}

/// The kind of the file, or why it is not a SQL backup.
pub fn kind_of(path: &Path, head: &[u8]) -> Result<FileKind, NotProven> {
    scan::classify(head).map_err(|reason| NotProven::NotSql {
        path: path.to_path_buf(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_marker_must_be_the_last_line_that_says_something() {
        let ours = b"INSERT INTO t VALUES (1);\n-- om-upgrade backup complete: 1 tables, 1 rows\n";
        assert!(ends_with_marker(ours, FOOTER_MARK));
        let forged_early =
            b"-- om-upgrade backup complete: 1 tables, 1 rows\nINSERT INTO t VALUES (1);\n";
        assert!(!ends_with_marker(forged_early, FOOTER_MARK));
        let pg =
            b"SELECT 1;\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n";
        assert!(ends_with_marker(pg, PG_DUMP_END));
        let my = b"/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n-- Dump completed on 2026-12-07 13:49:21\n";
        assert!(ends_with_marker(my, MYSQLDUMP_END));
        assert!(!ends_with_marker(
            b"INSERT INTO t VALUES (1);\n",
            MYSQLDUMP_END
        ));
        assert!(!ends_with_marker(b"", MYSQLDUMP_END));
        assert!(ends_with_whole_footer(ours));
        let cut = b"INSERT INTO t VALUES (1);\n-- om-upgrade backup complete: 1 tab";
        assert!(ends_with_marker(cut, FOOTER_MARK));
        assert!(!ends_with_whole_footer(cut));
    }
}
