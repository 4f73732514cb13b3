//! The names of the files of one backup: the data `NAME`, its manifest `NAME.manifest.json`,
//! and `NAME.partial` for either while it is being written.

use std::path::{Path, PathBuf};

pub const PARTIAL_SUFFIX: &str = ".partial";

pub const MANIFEST_SUFFIX: &str = ".manifest.json";

/// Infix of the temporary name a copy into a folder writes before it is verified
/// (`NAME.omu-upload-PID-TIME`, and the store client's `…#N` part files of it): what a killed
/// copy leaves in a share.
pub const UPLOAD_TEMP_INFIX: &str = ".omu-upload-";

/// `NAME.partial` for `NAME`.
pub fn partial_of(path: &Path) -> PathBuf {
    with_suffix(path, PARTIAL_SUFFIX)
}

/// Where the manifest of a backup file lives.
pub fn manifest_of(backup: &Path) -> PathBuf {
    with_suffix(backup, MANIFEST_SUFFIX)
}

/// The file beside `path` whose name is `path`'s with `suffix` added.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}
