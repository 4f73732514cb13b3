//! Finding backups on disk: ours (with a manifest) and the official CLI's
//! (`openmetadata_YYYYmmddHHMM_backup.sql`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::manifest::{self, MANIFEST_SUFFIX, Manifest};
use super::output::PARTIAL_SUFFIX;

#[derive(Debug, Clone, Serialize)]
pub struct FoundBackup {
    pub path: PathBuf,
    pub bytes: u64,
    /// When the backup finished (manifest), else the file's modification time.
    pub taken_at: DateTime<Utc>,
    pub manifest: Option<Manifest>,
}

impl FoundBackup {
    pub fn openmetadata_version(&self) -> Option<&str> {
        self.manifest
            .as_ref()
            .and_then(|m| m.source.openmetadata_version.as_deref())
    }

    /// `Some(true)` when a verification recorded in the manifest passed.
    pub fn verified(&self) -> Option<bool> {
        self.manifest
            .as_ref()
            .and_then(|m| m.verification.as_ref())
            .map(|v| v.ok)
    }
}

fn looks_like_backup(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.ends_with(PARTIAL_SUFFIX) || name.ends_with(MANIFEST_SUFFIX) || name.starts_with('.') {
        return false;
    }
    let sql = [".sql", ".sql.gz", ".sql.zst"]
        .iter()
        .any(|ext| name.ends_with(ext));
    sql && (manifest::path_for(path).exists()
        || (name.starts_with("openmetadata_") && name.contains("_backup")))
}

/// Backups in `dirs` (not recursive), newest first; folders that do not exist are skipped.
/// Unfinished ones are left out (`leftovers::unfinished` lists them).
pub fn find(dirs: &[PathBuf]) -> Vec<FoundBackup> {
    let mut found: Vec<FoundBackup> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_file()
                || !looks_like_backup(&path)
                || super::leftovers::unfinished_state(&path).is_some()
            {
                continue;
            }
            let Ok(backup) = at(&path) else { continue };
            if found.iter().any(|f| f.path == backup.path) {
                continue;
            }
            found.push(backup);
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.taken_at));
    found
}

/// The backup file at `path` (canonical), with its manifest when it has one.
pub fn at(path: &Path) -> std::io::Result<FoundBackup> {
    let meta = std::fs::metadata(path)?;
    let manifest = manifest::read(path).ok();
    let modified: DateTime<Utc> = meta
        .modified()
        .map(DateTime::from)
        .unwrap_or_else(|_| Utc::now());
    Ok(FoundBackup {
        path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        bytes: meta.len(),
        taken_at: manifest.as_ref().map_or(modified, |m| m.finished_at),
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_official_and_manifested_backups_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("openmetadata_202301010101_backup.sql"), "x").unwrap();
        std::fs::write(p.join("notes.sql"), "x").unwrap();
        std::fs::write(p.join("mine.sql.zst"), "x").unwrap();
        std::fs::write(p.join("mine.sql.zst.manifest.json"), "{}").unwrap();
        std::fs::write(p.join("openmetadata_202301010102_backup.sql.partial"), "x").unwrap();
        let names: Vec<String> = find(&[p.to_path_buf(), p.join("missing")])
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"openmetadata_202301010101_backup.sql".to_string()));
        assert!(names.contains(&"mine.sql.zst".to_string()));
    }
}
