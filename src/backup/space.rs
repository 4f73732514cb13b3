//! Free space where a backup will go.

use std::io;
use std::path::{Path, PathBuf};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_missing_folder_at_its_existing_parent() {
        let dir = tempfile::tempdir().unwrap();
        let free = available_bytes(&dir.path().join("not/yet/there")).unwrap();
        assert_eq!(free.measured_at, dir.path());
        assert!(free.available > 0);
    }
}
