//! Writing a report to disk: to a temporary file beside the target (mode 0600), fsynced, then
//! moved under its name in one step, so a reader sees no file or the whole one. An existing
//! file is never replaced unless the caller asks.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("{} already exists", path.display())]
    Exists { path: PathBuf },
    #[error("{} is a folder, not a file name", path.display())]
    IsFolder { path: PathBuf },
    #[error("the folder {} does not exist", dir.display())]
    NoFolder { dir: PathBuf },
    #[error("cannot write {}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
}

impl WriteError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            WriteError::Exists { .. } => {
                "choose another file name, or replace it on purpose (--force on the command line)"
            }
            WriteError::IsFolder { .. } => "add a file name to the folder",
            WriteError::NoFolder { .. } => "create the folder first, or choose one that exists",
            WriteError::Io { .. } => "choose a folder you can write to",
        }
    }
}

/// Checks, before any work, that `path` can be written: not a folder, its folder exists, and
/// (unless `replace`) nothing is there yet.
pub fn check_target(path: &Path, replace: bool) -> Result<(), WriteError> {
    if path.is_dir() {
        return Err(WriteError::IsFolder {
            path: path.to_path_buf(),
        });
    }
    let dir = folder_of(path);
    if !dir.is_dir() {
        return Err(WriteError::NoFolder {
            dir: dir.to_path_buf(),
        });
    }
    if !replace && fs::symlink_metadata(path).is_ok() {
        return Err(WriteError::Exists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes `contents` to `path` atomically, owner-only. With `replace` false, an existing file
/// is an error, also when one appears while writing.
pub fn write(path: &Path, contents: &[u8], replace: bool) -> Result<(), WriteError> {
    check_target(path, replace)?;
    let io = |error: io::Error| WriteError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    let dir = folder_of(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = write_private(&temp, contents)
        .map_err(io)
        .and_then(|()| put_in_place(&temp, path, replace));
    // After a hard link the temporary name is left over; after a rename it is gone.
    let _ = fs::remove_file(&temp);
    result?;
    if let Ok(folder) = fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Moves the finished temporary file under its name. Without `replace`, a hard link does it
/// (it fails when the name is taken, with no window between looking and writing); where links
/// are not supported, a look then a rename.
fn put_in_place(temp: &Path, path: &Path, replace: bool) -> Result<(), WriteError> {
    let io = |error: io::Error| WriteError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    if replace {
        return fs::rename(temp, path).map_err(io);
    }
    match fs::hard_link(temp, path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(WriteError::Exists {
            path: path.to_path_buf(),
        }),
        Err(_) if fs::symlink_metadata(path).is_ok() => Err(WriteError::Exists {
            path: path.to_path_buf(),
        }),
        Err(_) => fs::rename(temp, path).map_err(io),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_owner_only_and_never_replaces_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        write(&path, b"one", false).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = write(&path, b"two", false).unwrap_err();
        assert_eq!(err, WriteError::Exists { path: path.clone() });
        assert_eq!(fs::read_to_string(&path).unwrap(), "one");
        write(&path, b"two", true).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.md")]);
    }

    #[test]
    fn bad_targets_are_said_in_words() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            write(dir.path(), b"x", false),
            Err(WriteError::IsFolder { .. })
        ));
        let missing = dir.path().join("no/such/report.md");
        let err = write(&missing, b"x", false).unwrap_err();
        assert!(matches!(err, WriteError::NoFolder { .. }), "{err}");
        // Root ignores permission bits; /proc refuses new files to everyone.
        let err = write(Path::new("/proc/om-upgrade-report.md"), b"x", false).unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }), "{err}");
        assert!(err.to_string().starts_with("cannot write /proc/"), "{err}");
    }
}
