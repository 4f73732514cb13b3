//! Value parsers of the flags that take a number or a path: a value that cannot be right is a
//! usage error (exit 2) before anything runs, naming the flag and saying what to give instead.
//! What a file holds is checked where it is read (YAML limits, a PEM certificate).

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clients::ClientsError;
use crate::config;
use crate::config::installation::check_flag_url;

/// `--port`: 1-65535.
pub fn port(text: &str) -> Result<u16, String> {
    config::parse_port(text).map_err(|error| error.to_string())
}

/// `--search-url`: an http(s) url.
pub fn search_url(text: &str) -> Result<String, String> {
    check_flag_url("--search-url", text)
        .map(|_| text.to_string())
        .map_err(|e| e.to_string())
}

/// `--server-url`: an http(s) url.
pub fn server_url(text: &str) -> Result<String, String> {
    check_flag_url("--server-url", text)
        .map(|_| text.to_string())
        .map_err(|e| e.to_string())
}

/// The shortest `--connect-timeout`: less cannot even finish a TLS handshake.
const MIN_SECONDS: f64 = 0.1;
const MAX_SECONDS: f64 = 3600.0;

/// `--connect-timeout`, `--http-timeout`: seconds, `5` or `2.5` (a trailing `s` is allowed).
pub fn seconds(text: &str) -> Result<Duration, String> {
    let number = text.trim().trim_end_matches('s');
    match number.parse::<f64>() {
        Ok(secs) if (MIN_SECONDS..=MAX_SECONDS).contains(&secs) => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(format!(
            "'{text}' is not a number of seconds from {MIN_SECONDS} to {MAX_SECONDS}: give e.g. 5 \
             or 30"
        )),
    }
}

/// What a path flag must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// An existing regular file.
    File,
    /// An existing regular file, or a pipe (`--password-file <(pass show db)`).
    FileOrPipe,
    /// An existing folder.
    Folder,
    /// An existing file or folder.
    FileOrFolder,
    /// A folder, or a path where one can be created (not an existing file).
    FolderToBe,
}

fn path(text: &str, want: Want, what_to_give: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if text.is_empty() {
        return Err(format!("the path is empty: {what_to_give}"));
    }
    let problem = match (std::fs::metadata(&path), want) {
        (Err(_), Want::FolderToBe) => None,
        (Err(error), _) if error.kind() == std::io::ErrorKind::NotFound => {
            Some("does not exist".to_string())
        }
        (Err(error), _) => Some(format!("cannot be looked at ({error})")),
        (Ok(meta), Want::File | Want::FileOrPipe) if meta.is_dir() => {
            Some("is a folder, not a file".into())
        }
        (Ok(meta), Want::File | Want::FileOrFolder) if !meta.is_file() && !meta.is_dir() => {
            Some(format!("is {}, not a file", special(&meta)))
        }
        (Ok(meta), Want::FileOrPipe) if !meta.is_file() && !meta.file_type().is_fifo() => {
            Some(format!("is {}, not a file", special(&meta)))
        }
        (Ok(meta), Want::Folder | Want::FolderToBe) if !meta.is_dir() => {
            Some("is a file, not a folder".into())
        }
        (Ok(_), _) => None,
    };
    match problem {
        None => Ok(path),
        Some(problem) => Err(format!("{text} {problem}: {what_to_give}")),
    }
}

/// What a path that is neither a file nor a folder is.
fn special(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_fifo() {
        "a pipe (FIFO)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "a socket"
    }
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `--config`: the server's openmetadata.yaml.
pub fn server_config(text: &str) -> Result<PathBuf, String> {
    path(
        text,
        Want::File,
        "give the OpenMetadata server's openmetadata.yaml (often conf/openmetadata.yaml in the \
         server folder)",
    )
}

/// `--password-file`: a file (or a pipe) whose first line is the password.
pub fn password_file(text: &str) -> Result<PathBuf, String> {
    path(
        text,
        Want::FileOrPipe,
        "give a file whose first line is the password, or use DB_USER_PASSWORD",
    )
}

/// `--ssl-ca`: a PEM certificate (what it holds is checked with the other TLS settings).
pub fn ca_file(text: &str) -> Result<PathBuf, String> {
    path(
        text,
        Want::File,
        "give the PEM file of the CA that signed the database server's certificate",
    )
}

/// `--workflows`: a folder of ingestion workflow YAMLs, or one.
pub fn workflows(text: &str) -> Result<PathBuf, String> {
    path(
        text,
        Want::FileOrFolder,
        "give a folder of ingestion workflow YAMLs (searched recursively), or one such file",
    )
}

/// `--releases-dir`: a folder of release files.
pub fn releases_dir(text: &str) -> Result<PathBuf, String> {
    path(
        text,
        Want::Folder,
        "give a folder of release files like assets/releases (1.2.yaml, 1.3.yaml, ...)",
    )
}

/// `--search`: a folder to look for virtual environments under (said as `clients` says it).
pub fn search_folder(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.is_dir() {
        true => Ok(path),
        false => Err(ClientsError::SearchFolder { path }.to_string()),
    }
}

/// `--python`: an interpreter or a virtual environment's folder. A link to a Python that is
/// gone (a venv whose base was removed) is the clients check's to explain, not refused here.
pub fn python(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.exists() || is_symlink(&path) {
        true => Ok(path),
        false => Err(ClientsError::MissingInterpreter { path }.to_string()),
    }
}

/// `--backup-dir`: the folder backups go to (created by the backup when missing).
pub fn backup_dir(text: &str) -> Result<PathBuf, String> {
    path(
        text,
        Want::FolderToBe,
        "give the folder backups are written to",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_1_to_65535() {
        assert_eq!(port("5432"), Ok(5432));
        assert_eq!(port(" 3306 "), Ok(3306));
        for bad in ["0", "65536", "-1", "x", ""] {
            let err = port(bad).unwrap_err();
            assert!(err.contains("not a port number (1-65535)"), "{bad}: {err}");
        }
    }

    #[test]
    fn seconds_are_a_usable_timeout() {
        assert_eq!(seconds("5"), Ok(Duration::from_secs(5)));
        assert_eq!(seconds("2.5s"), Ok(Duration::from_millis(2500)));
        for bad in ["0", "1e-9", "0.05", "3601", "inf", "NaN", "-1", "five"] {
            let err = seconds(bad).unwrap_err();
            assert!(err.contains("from 0.1 to 3600"), "{bad}: {err}");
        }
    }

    #[test]
    fn path_flags_name_what_is_wrong_and_what_to_give() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("openmetadata.yaml");
        std::fs::write(&file, "database: {}\n").unwrap();
        let (dir_s, file_s) = (dir.path().to_str().unwrap(), file.to_str().unwrap());
        let absent = dir.path().join("absent");
        let absent_s = absent.to_str().unwrap();

        assert_eq!(server_config(file_s), Ok(file.clone()));
        let err = server_config(dir_s).unwrap_err();
        assert!(
            err.ends_with(
                "is a folder, not a file: give the OpenMetadata server's openmetadata.yaml \
                 (often conf/openmetadata.yaml in the server folder)"
            ),
            "{err}"
        );
        assert!(
            workflows(absent_s)
                .unwrap_err()
                .contains("does not exist: give a folder of")
        );
        assert!(workflows(dir_s).is_ok() && workflows(file_s).is_ok());
        assert!(
            releases_dir(file_s)
                .unwrap_err()
                .contains("is a file, not a folder")
        );
        assert!(
            search_folder(absent_s)
                .unwrap_err()
                .contains("it is not a folder")
        );
        assert!(
            password_file("")
                .unwrap_err()
                .starts_with("the path is empty")
        );
        assert!(ca_file(dir_s).unwrap_err().contains("is a folder"));
        assert!(
            server_config("/dev/zero")
                .unwrap_err()
                .contains("is a device, not a file")
        );
        assert!(workflows("/dev/null").unwrap_err().contains("is a device"));
        assert!(
            password_file("/dev/zero")
                .unwrap_err()
                .contains("is a device")
        );
        // A backup folder may not exist yet, but it cannot be a file.
        assert!(backup_dir(absent_s).is_ok());
        assert!(
            backup_dir(file_s)
                .unwrap_err()
                .contains("is a file, not a folder")
        );
        // A python link whose target is gone is the clients check's to explain.
        let link = dir.path().join("python");
        std::os::unix::fs::symlink(dir.path().join("gone/python3"), &link).unwrap();
        assert!(python(link.to_str().unwrap()).is_ok());
        assert!(
            python(absent_s)
                .unwrap_err()
                .contains("no Python interpreter at")
        );
    }
}
