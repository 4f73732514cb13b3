//! What interrupted backups leave in a folder (see `output` for the order of the steps), how
//! the listing shows it, and how the next backup into the folder tidies it:
//!
//! - `NAME.partial` (with `NAME.manifest.json.partial` when the data was complete): a backup
//!   killed before its data had its final name. Removed when no process holds its lock.
//! - `NAME` with `NAME.manifest.json.partial` beside it: a backup killed between its two final
//!   renames. Both files are complete; the manifest is put in place when the data's size and
//!   SHA-256 match what it records.
//! - an om-upgrade SQL file without a manifest (left by versions that wrote the manifest after
//!   renaming the data): shown as unfinished; never touched.
//! - `.om-upgrade-metadata-cli-*` work folders of killed `metadata backup` runs: removed when
//!   unlocked.
//!
//! The folder may be shared, so a file is only removed when it is recognisably a backup's.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::dump::HEADER_MARK;
use super::manifest::{self, MANIFEST_SUFFIX, Manifest};
use super::output::{self, PARTIAL_SUFFIX, WORK_DIR_PREFIX};

/// `.manifest.json.partial`: a manifest written, not yet in place.
fn manifest_partial_suffix() -> String {
    format!("{MANIFEST_SUFFIX}{PARTIAL_SUFFIX}")
}

/// What the next backup into a folder did with what killed runs left there.
#[derive(Debug, Clone, Default)]
pub struct Tidied {
    /// Partial files and work folders removed.
    pub removed: Vec<PathBuf>,
    /// Backups whose manifest was put in place (data checked against it).
    pub completed: Vec<PathBuf>,
}

/// A backup that is not complete, as the listing shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Unfinished {
    pub path: PathBuf,
    pub bytes: u64,
    pub modified: DateTime<Utc>,
    pub state: UnfinishedState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnfinishedState {
    /// A running backup is writing it.
    BeingWritten,
    /// `NAME.partial` of a killed backup.
    Partial,
    /// `NAME` is there, its manifest still under its temporary name: the backup was killed at
    /// its last step.
    ManifestNotInPlace,
    /// An om-upgrade backup without a manifest.
    NoManifest,
    /// The temporary file of a copy into this folder (a share) that was killed.
    CopyTemporary,
}

impl UnfinishedState {
    /// What it means and what to do, in words.
    pub fn explain(self) -> &'static str {
        match self {
            UnfinishedState::BeingWritten => "a backup is writing it right now",
            UnfinishedState::Partial => {
                "left by a backup that was killed; the next backup into this folder removes it"
            }
            UnfinishedState::ManifestNotInPlace => {
                "the backup was killed before its manifest was put in place: not usable yet; the \
                 next backup into this folder checks it and completes it"
            }
            UnfinishedState::NoManifest => {
                "an om-upgrade backup without its manifest: it cannot be checked; take a new backup"
            }
            UnfinishedState::CopyTemporary => {
                "the temporary file of a copy into this folder that was killed (or runs now): not \
                 a backup; remove it, then copy the backup again"
            }
        }
    }
}

/// Is the file at `path` locked by a running backup?
fn is_locked(path: &Path) -> bool {
    File::open(path).is_ok_and(|file| file.try_lock().is_err())
}

fn is_regular(path: &Path) -> bool {
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_file())
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `NAME` for `NAME.manifest.json.partial`.
fn data_of_manifest_partial(path: &Path) -> Option<PathBuf> {
    let name = name_of(path);
    let base = name.strip_suffix(&manifest_partial_suffix())?;
    (!base.is_empty()).then(|| path.with_file_name(base))
}

/// A manifest om-upgrade wrote, read from `path`.
fn our_manifest(path: &Path) -> Option<Manifest> {
    let text = crate::small_file::read(
        path,
        super::manifest::MAX_MANIFEST_BYTES,
        crate::small_file::Accept::Regular,
    )
    .ok()?;
    let manifest: Manifest = serde_json::from_slice(&text).ok()?;
    (manifest.tool == "om-upgrade").then_some(manifest)
}

/// Tidies `dir` before a backup: removes what killed backups left and completes a backup
/// killed between its final renames. Never touches a file a running backup holds.
pub fn tidy(dir: &Path) -> Tidied {
    let mut tidied = Tidied::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return tidied;
    };
    let mut manifest_partials = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = name_of(&path);
        let Ok(meta) = path.symlink_metadata() else {
            continue;
        };
        if name.starts_with(WORK_DIR_PREFIX) {
            if meta.is_dir() {
                let unlocked = File::open(&path).is_ok_and(|dir| dir.try_lock().is_ok());
                if unlocked && std::fs::remove_dir_all(&path).is_ok() {
                    tidied.removed.push(path);
                }
            }
            continue;
        }
        if !meta.file_type().is_file() || !name.ends_with(PARTIAL_SUFFIX) {
            continue;
        }
        if name.ends_with(&manifest_partial_suffix()) {
            manifest_partials.push(path);
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok()
            && is_backup_partial(&path, &file)
            && std::fs::remove_file(&path).is_ok()
        {
            tidied.removed.push(path);
        }
    }
    for manifest_partial in manifest_partials {
        tidy_manifest_partial(&manifest_partial, &mut tidied);
    }
    tidied
}

fn tidy_manifest_partial(manifest_partial: &Path, tidied: &mut Tidied) {
    let Some(data) = data_of_manifest_partial(manifest_partial) else {
        return;
    };
    // Its data partial was a killed backup's, removed above: whatever this holds (a killed
    // backup may have left it half-written), it is that backup's.
    if tidied.removed.contains(&output::partial_of(&data)) {
        if std::fs::remove_file(manifest_partial).is_ok() {
            tidied.removed.push(manifest_partial.to_path_buf());
        }
        return;
    }
    let Some(recorded) = our_manifest(manifest_partial) else {
        return;
    };
    // Its data is still being written, or is a partial file that was not ours to remove.
    if output::partial_of(&data).symlink_metadata().is_ok() {
        return;
    }
    if !is_regular(&data) {
        // The data is gone (removed above, or never renamed): the manifest describes nothing.
        if data.symlink_metadata().is_err() && std::fs::remove_file(manifest_partial).is_ok() {
            tidied.removed.push(manifest_partial.to_path_buf());
        }
        return;
    }
    let Ok(file) = File::open(&data) else { return };
    if file.try_lock().is_err() {
        return;
    }
    let manifest_path = manifest::path_for(&data);
    if manifest_path.symlink_metadata().is_ok() {
        return;
    }
    match output::sha256_file(&data) {
        Ok((sha256, bytes)) if sha256 == recorded.file.sha256 && bytes == recorded.file.bytes => {
            if output::rename_no_replace(manifest_partial, &manifest_path).is_ok()
                && output::sync_dir(&manifest_path).is_ok()
            {
                tidied.completed.push(data);
            }
        }
        // Another file took the name: the manifest describes nothing that exists.
        Ok(_) => {
            if std::fs::remove_file(manifest_partial).is_ok() {
                tidied.removed.push(manifest_partial.to_path_buf());
            }
        }
        Err(_) => {}
    }
}

/// Does this `NAME.partial` hold the start of a backup: ours, pg_dump's, mysqldump's or the
/// statements of the om-cli format (compressed or not)? An empty one counts under a `.sql` name.
fn is_backup_partial(partial: &Path, file: &File) -> bool {
    let Ok(reader) = file.try_clone().and_then(super::compression::reader_of) else {
        return false;
    };
    let mut head = Vec::with_capacity(64);
    let read = reader.take(64).read_to_end(&mut head);
    if read.is_err() && head.is_empty() {
        return false;
    }
    if head.is_empty() {
        return name_of(partial).contains(".sql");
    }
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start();
    ["--", "SET ", "CREATE ", "TRUNCATE ", "INSERT ", "/*!"]
        .iter()
        .any(|start| text.starts_with(start))
}

/// Does the file start with the om-upgrade SQL header (after decompression)?
fn has_our_header(path: &Path) -> bool {
    let Ok(reader) = super::open_reader(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(64);
    let _ = reader.take(64).read_to_end(&mut head);
    String::from_utf8_lossy(&head).starts_with(&format!("-- {HEADER_MARK}"))
}

/// Is `path` (a regular file without a manifest) an unfinished backup, and which kind?
pub(super) fn unfinished_state(path: &Path) -> Option<UnfinishedState> {
    let name = name_of(path);
    if name.ends_with(&manifest_partial_suffix()) || name.starts_with('.') {
        return None;
    }
    if name.contains(super::paths::UPLOAD_TEMP_INFIX) {
        return Some(UnfinishedState::CopyTemporary);
    }
    if let Some(base) = name.strip_suffix(PARTIAL_SUFFIX) {
        let file = File::open(path).ok()?;
        if base.is_empty() || !is_backup_partial(path, &file) {
            return None;
        }
        return Some(if file.try_lock().is_err() {
            UnfinishedState::BeingWritten
        } else {
            UnfinishedState::Partial
        });
    }
    if name.ends_with(MANIFEST_SUFFIX) || manifest::path_for(path).symlink_metadata().is_ok() {
        return None;
    }
    let manifest_partial = output::partial_of(&manifest::path_for(path));
    if manifest_partial.symlink_metadata().is_ok() {
        return Some(if is_locked(path) {
            UnfinishedState::BeingWritten
        } else {
            UnfinishedState::ManifestNotInPlace
        });
    }
    let sql_named = [".sql", ".sql.gz", ".sql.zst"]
        .iter()
        .any(|ext| name.ends_with(ext));
    (sql_named && has_our_header(path)).then_some(UnfinishedState::NoManifest)
}

/// The unfinished backups in `dirs` (not recursive), newest first.
pub fn unfinished(dirs: &[PathBuf]) -> Vec<Unfinished> {
    let mut found: Vec<Unfinished> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = path.symlink_metadata() else {
                continue;
            };
            if !meta.file_type().is_file() {
                continue;
            }
            let Some(state) = unfinished_state(&path) else {
                continue;
            };
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            if found.iter().any(|f| f.path == path) {
                continue;
            }
            found.push(Unfinished {
                path,
                bytes: meta.len(),
                modified: meta
                    .modified()
                    .map(DateTime::from)
                    .unwrap_or_else(|_| Utc::now()),
                state,
            });
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.modified));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::output::{BackupFile, Compression};
    use std::io::Write;

    #[test]
    fn a_killed_copys_temporary_file_is_listed_and_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let left = dir.path().join("b.sql.omu-upload-4242-18ef128fc82da35f#1");
        std::fs::write(&left, b"part of a copy").unwrap();
        let found = unfinished(&[dir.path().to_path_buf()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].state, UnfinishedState::CopyTemporary);
        // Another tool's file in a share: a backup's tidy-up leaves it alone.
        tidy(dir.path());
        assert!(left.is_file());
    }

    #[test]
    fn stale_partials_are_removed_but_not_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old.sql.partial"), b"-- om-upgrade backup").unwrap();
        let live = BackupFile::create(dir.path(), "live.sql", Compression::None).unwrap();
        let tidied = tidy(dir.path());
        assert_eq!(tidied.removed, vec![dir.path().join("old.sql.partial")]);
        assert!(dir.path().join("live.sql.partial").exists());
        let listed = unfinished(&[dir.path().to_path_buf()]);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].state, UnfinishedState::BeingWritten);
        drop(live);
    }

    #[test]
    fn a_half_written_manifest_goes_with_its_data_partial() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.sql.partial"), b"-- om-upgrade backup").unwrap();
        std::fs::write(
            dir.path().join("k.sql.manifest.json.partial"),
            b"{\n  \"manif",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("z.sql.manifest.json.partial"),
            b"{\n  \"manif",
        )
        .unwrap();
        let mut removed = tidy(dir.path()).removed;
        removed.sort();
        assert_eq!(
            removed,
            [
                dir.path().join("k.sql.manifest.json.partial"),
                dir.path().join("k.sql.partial")
            ]
        );
        // Not known to be a backup's: left alone.
        assert!(dir.path().join("z.sql.manifest.json.partial").exists());
    }

    #[test]
    fn a_backup_killed_between_its_renames_is_completed_only_when_its_data_matches() {
        let dir = tempfile::tempdir().unwrap();
        let killed = |name: &str, data: &[u8], recorded: &[u8]| {
            let (sha256, bytes) = {
                let path = dir.path().join(format!("{name}.tmp"));
                std::fs::write(&path, recorded).unwrap();
                let result = output::sha256_file(&path).unwrap();
                std::fs::remove_file(path).unwrap();
                result
            };
            std::fs::write(dir.path().join(name), data).unwrap();
            let manifest = serde_json::json!({
                "manifest_version": 1, "tool": "om-upgrade", "tool_version": "0",
                "method": "builtin", "format": "sql",
                "source": {"engine": "postgres", "product": "PostgreSQL", "server_version": "15",
                           "host": "h", "port": 5432, "database": "d", "openmetadata_version": null},
                "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
                "consistency": "", "tables": [],
                "file": {"name": name, "bytes": bytes, "sha256": sha256, "compression": "none"}
            });
            std::fs::write(
                dir.path().join(format!("{name}.manifest.json.partial")),
                manifest.to_string(),
            )
            .unwrap();
        };
        killed(
            "good.sql",
            b"-- om-upgrade backup whole",
            b"-- om-upgrade backup whole",
        );
        killed(
            "other.sql",
            b"someone else's file",
            b"-- om-upgrade backup whole",
        );
        let listed = unfinished(&[dir.path().to_path_buf()]);
        assert_eq!(listed.len(), 2);
        assert!(
            listed
                .iter()
                .all(|u| u.state == UnfinishedState::ManifestNotInPlace)
        );
        let tidied = tidy(dir.path());
        assert_eq!(tidied.completed, [dir.path().join("good.sql")]);
        assert_eq!(
            tidied.removed,
            [dir.path().join("other.sql.manifest.json.partial")]
        );
        assert!(dir.path().join("good.sql.manifest.json").exists());
        assert_eq!(
            std::fs::read(dir.path().join("other.sql")).unwrap(),
            b"someone else's file"
        );
        assert!(unfinished(&[dir.path().to_path_buf()]).is_empty());
    }

    #[test]
    fn work_dirs_are_removed_only_when_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let live = output::WorkDir::create(dir.path()).unwrap();
        let left = dir.path().join(format!("{WORK_DIR_PREFIX}killed"));
        std::fs::create_dir(&left).unwrap();
        std::fs::write(left.join("openmetadata_202601010101_backup.sql"), b"x").unwrap();
        assert_eq!(tidy(dir.path()).removed, vec![left.clone()]);
        assert!(live.path().exists() && !left.exists());
    }

    #[test]
    fn symlinks_are_never_followed_or_removed() {
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join("victim.sql");
        std::fs::write(&target, b"-- om-upgrade backup: someone else's").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("x.sql.partial")).unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path(),
            dir.path().join(format!("{WORK_DIR_PREFIX}x")),
        )
        .unwrap();
        assert!(tidy(dir.path()).removed.is_empty());
        assert!(target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn partials_that_are_not_backups_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let keep = [
            ("video.mkv.partial", &b"\x1aE\xdf\xa3 matroska"[..]),
            ("notes.partial", b"call the DBA before the upgrade"),
            ("empty.mkv.partial", b""),
            (
                "other.manifest.json.partial",
                b"{\"tool\": \"someone else\"}",
            ),
        ];
        for (name, bytes) in keep {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let ours = [
            ("a.sql.partial", &b"-- om-upgrade backup: OpenMetadata"[..]),
            ("b.sql.partial", b"TRUNCATE TABLE bot_entity;\n"),
            ("c.sql.partial", b""),
        ];
        for (name, bytes) in ours {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let dump = b"-- PostgreSQL database dump\n".repeat(100);
        let zst = zstd::encode_all(&dump[..], 3).unwrap();
        std::fs::write(dir.path().join("d.sql.zst.partial"), zst).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&dump).unwrap();
        // Compression is recognised by the bytes, whatever the name says.
        std::fs::write(dir.path().join("e.sql.partial"), gz.finish().unwrap()).unwrap();

        let mut removed = tidy(dir.path()).removed;
        removed.sort();
        let expected: Vec<PathBuf> = [
            "a.sql.partial",
            "b.sql.partial",
            "c.sql.partial",
            "d.sql.zst.partial",
            "e.sql.partial",
        ]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
        assert_eq!(removed, expected);
        for (name, _) in keep {
            assert!(dir.path().join(name).exists(), "{name} was removed");
        }
    }
}
