//! The backup's file name and folder: the default name, and the checks made before anything
//! is connected to or written, so that a name can never point outside the folder and every
//! refusal says what to do.
//!
//! `--name` is a file name only (the folder is `--output`); its ending must say what the file
//! holds: with `--compress zstd` it ends in `.zst`, with gzip in `.gz`, and a name ending in
//! `.zst`/`.gz` needs that compression. A mismatch is refused rather than corrected, so the
//! file is always exactly where the operator said it would be.

use std::path::Path;

use chrono::Utc;

use super::compression::Compression;
use super::manifest::{FileFormat, MANIFEST_SUFFIX, Method};
use super::output::PARTIAL_SUFFIX;

/// The longest name a file may have on the usual file systems (bytes).
const NAME_MAX: usize = 255;

/// A backup request that cannot be carried out as given (a usage error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error(
        "--name is empty: give a file name such as openmetadata_backup.sql, or leave --name out \
         for openmetadata_YYYYmmddHHMM_backup.sql"
    )]
    EmptyName,
    #[error(
        "--name {name:?} is a path, not a file name: give the folder with --output and the file \
         name with --name (here: --output {folder} --name {file})"
    )]
    NameIsPath {
        name: String,
        folder: String,
        file: String,
    },
    #[error(
        "--name {name:?} starts with a dot: hidden files are not listed by `om-upgrade backups`; \
         choose a name without the leading dot"
    )]
    HiddenName { name: String },
    #[error(
        "--name {name:?} ends in {suffix}, which om-upgrade keeps for its own files; choose another name"
    )]
    ReservedName { name: String, suffix: &'static str },
    #[error(
        "--name {name:?} contains a control character (a line break?); choose a plain file name"
    )]
    ControlCharacter { name: String },
    #[error(
        "--name is {bytes} bytes long; with the {extra} bytes om-upgrade adds for its temporary \
         files it must stay within {NAME_MAX}: choose a shorter name"
    )]
    NameTooLong { bytes: usize, extra: usize },
    #[error(
        "--compress {compression} writes a {compression} file, but --name {name:?} does not end \
         in {extension}: use --name {suggestion}"
    )]
    MissingExtension {
        name: String,
        compression: &'static str,
        extension: &'static str,
        suggestion: String,
    },
    #[error(
        "--name {name:?} ends in {extension}, which says {named}, but the file will be {actual}: \
         {advice}"
    )]
    WrongExtension {
        name: String,
        extension: &'static str,
        named: &'static str,
        actual: &'static str,
        advice: String,
    },
    #[error(
        "{path} already exists{unfinished}; a backup never replaces a file: choose another \
         --name or move the file away",
        unfinished = unfinished.map(|u| format!(" ({})", u.explain())).unwrap_or_default()
    )]
    NameTaken {
        path: String,
        /// The file there is an unfinished backup.
        unfinished: Option<super::leftovers::UnfinishedState>,
    },
    #[error("--format native goes with --method native")]
    NativeFormat,
    #[error(
        "--compress works with --method builtin only; compress the file afterwards if you need to"
    )]
    CompressNeedsBuiltin,
    #[error("--output is empty: give the folder to write the backup into")]
    EmptyFolder,
    #[error(
        "--output {path} is a file, not a folder: give the folder to write into with --output, \
         and the file name with --name"
    )]
    FolderIsFile { path: String },
    #[error(
        "--output {path} cannot be created: {file} is a file, not a folder; give another folder \
         with --output"
    )]
    FolderUnderFile { path: String, file: String },
    #[error(
        "--output {path} is a symbolic link to {target}, which does not exist: create that \
         folder or give another one with --output"
    )]
    DanglingFolder { path: String, target: String },
}

/// `openmetadata_YYYYmmddHHMM_backup.sql`, like the official CLI, made unique in `dir`.
pub fn default_name(dir: &Path, format: FileFormat, compression: Compression) -> String {
    let stamp = Utc::now().format("%Y%m%d%H%M");
    let suffix = match format {
        FileFormat::OmCli => "_om-cli",
        _ => "",
    };
    let ext = compression.extension();
    let taken = |name: &str| {
        let path = dir.join(name);
        path.symlink_metadata().is_ok()
            || super::output::partial_of(&path).symlink_metadata().is_ok()
            || super::manifest::path_for(&path).symlink_metadata().is_ok()
    };
    let first = format!("openmetadata_{stamp}_backup{suffix}.sql{ext}");
    if !taken(&first) {
        return first;
    }
    (2..)
        .map(|n| format!("openmetadata_{stamp}_backup{suffix}_{n}.sql{ext}"))
        .find(|name| !taken(name))
        .unwrap_or(first)
}

/// What `--compress` the method writes (the external methods write plain files).
fn written_compression(method: Method, compression: Compression) -> Compression {
    match method {
        Method::Builtin => compression,
        Method::MetadataCli | Method::Native => Compression::None,
    }
}

fn describe(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "plain text",
        Compression::Zstd => "zstd",
        Compression::Gzip => "gzip",
    }
}

fn flag(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "none",
        Compression::Zstd => "zstd",
        Compression::Gzip => "gzip",
    }
}

/// `a/b/../c` as `a/c`, without asking the file system.
fn normalize(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Checks a `--name` for a backup written into `folder` by `method` with `compression`.
pub fn check_name(
    name: &str,
    folder: &Path,
    method: Method,
    compression: Compression,
) -> Result<(), RequestError> {
    let owned = || name.to_string();
    if name.trim().is_empty() {
        return Err(RequestError::EmptyName);
    }
    if name.contains('/') || name == "." || name == ".." {
        return Err(name_is_path(name, folder));
    }
    if name.chars().any(char::is_control) {
        return Err(RequestError::ControlCharacter { name: owned() });
    }
    if name.starts_with('.') {
        return Err(RequestError::HiddenName { name: owned() });
    }
    for suffix in [PARTIAL_SUFFIX, MANIFEST_SUFFIX] {
        if name.ends_with(suffix) {
            return Err(RequestError::ReservedName {
                name: owned(),
                suffix,
            });
        }
    }
    let extra = MANIFEST_SUFFIX.len() + PARTIAL_SUFFIX.len();
    if name.len() + extra > NAME_MAX {
        return Err(RequestError::NameTooLong {
            bytes: name.len(),
            extra,
        });
    }
    check_extension(name, method, compression)
}

/// A `--name` with a folder in it: the error says which `--output` and `--name` were meant.
fn name_is_path(name: &str, folder: &Path) -> RequestError {
    let path = Path::new(name);
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .filter(|f| f != "..")
        .unwrap_or_else(|| "openmetadata_backup.sql".into());
    let parent = match path.file_name() {
        Some(_) => path.parent().unwrap_or(Path::new("")),
        None => path,
    };
    let folder = normalize(&folder.join(parent)).display().to_string();
    RequestError::NameIsPath {
        name: name.to_string(),
        folder: crate::shell::quote(&folder),
        file: crate::shell::quote(&file),
    }
}

/// The name's extension must say the compression the file will have.
fn check_extension(
    name: &str,
    method: Method,
    compression: Compression,
) -> Result<(), RequestError> {
    let owned = || name.to_string();
    let actual = written_compression(method, compression);
    let named = Compression::named_by(name);
    if named == actual {
        return Ok(());
    }
    if named == Compression::None {
        return Err(RequestError::MissingExtension {
            name: owned(),
            compression: flag(actual),
            extension: actual.extension(),
            suggestion: crate::shell::quote(&format!("{name}{}", actual.extension())),
        });
    }
    let stripped = &name[..name.len() - named.extension().len()];
    let advice = if method == Method::Builtin {
        format!(
            "add --compress {} or use --name {}",
            flag(named),
            crate::shell::quote(&format!("{stripped}{}", actual.extension()))
        )
    } else {
        format!(
            "--method {} writes plain files: use --name {}",
            match method {
                Method::Native => "native",
                _ => "metadata-cli",
            },
            crate::shell::quote(stripped)
        )
    };
    Err(RequestError::WrongExtension {
        name: owned(),
        extension: named.extension(),
        named: describe(named),
        actual: describe(actual),
        advice,
    })
}

/// Checks the `--output` folder: a folder, or a path where one can be created.
pub fn check_folder(folder: &Path) -> Result<(), RequestError> {
    if folder.as_os_str().is_empty() {
        return Err(RequestError::EmptyFolder);
    }
    let shown = || folder.display().to_string();
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => return Err(RequestError::FolderIsFile { path: shown() }),
        Err(_) => {}
    }
    if let Ok(target) = std::fs::read_link(folder) {
        return Err(RequestError::DanglingFolder {
            path: shown(),
            target: target.display().to_string(),
        });
    }
    let absolute = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    if let Some(existing) = absolute.ancestors().skip(1).find(|p| p.exists())
        && !existing.is_dir()
    {
        return Err(RequestError::FolderUnderFile {
            path: shown(),
            file: existing.display().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin(name: &str, compression: Compression) -> Result<(), RequestError> {
        check_name(
            name,
            Path::new("/srv/backups"),
            Method::Builtin,
            compression,
        )
    }

    #[test]
    fn names_that_leave_the_folder_are_refused_with_the_flags_to_use() {
        for name in ["../x.sql", "/tmp/x.sql", "sub/x.sql", "..", ".", "x/"] {
            let error = builtin(name, Compression::None).unwrap_err();
            assert!(
                matches!(error, RequestError::NameIsPath { .. }),
                "{name}: {error}"
            );
        }
        assert_eq!(
            builtin("/tmp/x.sql", Compression::None)
                .unwrap_err()
                .to_string(),
            "--name \"/tmp/x.sql\" is a path, not a file name: give the folder with --output and \
             the file name with --name (here: --output /tmp --name x.sql)"
        );
        assert!(
            builtin("../x.sql", Compression::None)
                .unwrap_err()
                .to_string()
                .ends_with("(here: --output /srv --name x.sql)")
        );
    }

    #[test]
    fn empty_hidden_reserved_and_odd_names_are_refused() {
        assert_eq!(builtin("", Compression::None), Err(RequestError::EmptyName));
        assert_eq!(
            builtin("  ", Compression::None),
            Err(RequestError::EmptyName)
        );
        assert!(matches!(
            builtin(".x.sql", Compression::None),
            Err(RequestError::HiddenName { .. })
        ));
        for name in ["x.sql.partial", "x.sql.manifest.json"] {
            assert!(matches!(
                builtin(name, Compression::None),
                Err(RequestError::ReservedName { .. })
            ));
        }
        assert!(matches!(
            builtin("x\n.sql", Compression::None),
            Err(RequestError::ControlCharacter { .. })
        ));
        assert!(matches!(
            builtin(&"x".repeat(240), Compression::None),
            Err(RequestError::NameTooLong { .. })
        ));
        assert_eq!(builtin(&"x".repeat(233), Compression::None), Ok(()));
        assert_eq!(builtin("backup of prod.sql", Compression::None), Ok(()));
    }

    #[test]
    fn the_name_must_end_as_the_compression_writes() {
        assert_eq!(builtin("z.sql.zst", Compression::Zstd), Ok(()));
        assert_eq!(builtin("z.sql.gz", Compression::Gzip), Ok(()));
        assert_eq!(
            builtin("z.sql", Compression::Zstd).unwrap_err().to_string(),
            "--compress zstd writes a zstd file, but --name \"z.sql\" does not end in .zst: use \
             --name z.sql.zst"
        );
        assert_eq!(
            builtin("z.sql.gz", Compression::None)
                .unwrap_err()
                .to_string(),
            "--name \"z.sql.gz\" ends in .gz, which says gzip, but the file will be plain text: \
             add --compress gzip or use --name z.sql"
        );
        assert!(matches!(
            builtin("z.sql.zst", Compression::Gzip),
            Err(RequestError::WrongExtension { .. })
        ));
        assert_eq!(
            check_name(
                "n.sql.gz",
                Path::new("/b"),
                Method::Native,
                Compression::None
            )
            .unwrap_err()
            .to_string(),
            "--name \"n.sql.gz\" ends in .gz, which says gzip, but the file will be plain text: \
             --method native writes plain files: use --name n.sql"
        );
    }

    #[test]
    fn the_folder_must_be_a_folder_or_creatable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(check_folder(dir.path()), Ok(()));
        assert_eq!(check_folder(&dir.path().join("new/deeper")), Ok(()));
        assert!(matches!(
            check_folder(&file),
            Err(RequestError::FolderIsFile { .. })
        ));
        assert!(matches!(
            check_folder(&file.join("sub")),
            Err(RequestError::FolderUnderFile { .. })
        ));
        assert_eq!(check_folder(Path::new("")), Err(RequestError::EmptyFolder));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("gone"), &link).unwrap();
        assert!(matches!(
            check_folder(&link),
            Err(RequestError::DanglingFolder { .. })
        ));
    }
}
