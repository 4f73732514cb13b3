//! Putting a backup on disk safely. A backup is one unit of two files, `NAME` (the data) and
//! `NAME.manifest.json`, and neither appears under its final name before both are complete:
//!
//! 1. the data is written to `NAME.partial` (created exclusively, mode 0600, locked while the
//!    backup runs), flushed and fsynced;
//! 2. the manifest is written to `NAME.manifest.json.partial` the same way;
//! 3. `NAME.partial` is renamed to `NAME`, never replacing a file;
//! 4. `NAME.manifest.json.partial` is renamed to `NAME.manifest.json`, never replacing a file,
//!    and the folder is fsynced.
//!
//! A failure at any step removes what this backup wrote and reports what is still on disk. A
//! process killed before step 3 leaves only `.partial` files, which the next backup into the
//! folder removes; one killed between steps 3 and 4 leaves `NAME` beside its complete manifest
//! under the temporary name, which the listing shows as unfinished and the next backup puts in
//! place after checking the data's SHA-256 (see `leftovers`). The lock on the data file is held
//! until step 4 is done, so a running backup is never taken for a killed one.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

pub use super::compression::Compression;
use super::paths;
pub use super::paths::{PARTIAL_SUFFIX, partial_of};
use super::steps::{self, Step};

/// What a failed write left on disk, after removing what it could.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Left(pub Vec<PathBuf>);

impl Left {
    /// Those of `paths` that still exist (a dangling symlink counts).
    pub fn of(paths: &[&Path]) -> Left {
        Left(
            paths
                .iter()
                .filter(|p| p.symlink_metadata().is_ok())
                .map(|p| p.to_path_buf())
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Left {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "nothing was left on disk");
        }
        let paths: Vec<String> = self.0.iter().map(|p| p.display().to_string()).collect();
        write!(
            f,
            "left on disk, and not a usable backup: {} (remove it)",
            paths.join(", ")
        )
    }
}

/// A write that failed, and what it left behind.
#[derive(Debug)]
pub struct WriteFailure {
    pub source: io::Error,
    pub left: Left,
}

impl WriteFailure {
    fn new(source: io::Error, left: Left) -> WriteFailure {
        WriteFailure { source, left }
    }
}

/// Counts and hashes what goes to disk.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Encoder {
    Plain(Hashing<BufWriter<File>>),
    Zstd(zstd::Encoder<'static, Hashing<BufWriter<File>>>),
    Gzip(flate2::write::GzEncoder<Hashing<BufWriter<File>>>),
}

impl Encoder {
    fn finish(self) -> io::Result<Hashing<BufWriter<File>>> {
        match self {
            Encoder::Plain(h) => Ok(h),
            Encoder::Zstd(e) => e.finish(),
            Encoder::Gzip(e) => e.finish(),
        }
    }
}

impl Write for Encoder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Zstd(w) => w.write(buf),
            Encoder::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Zstd(w) => w.flush(),
            Encoder::Gzip(w) => w.flush(),
        }
    }
}

/// Where a backup was put: its data file and its manifest.
#[derive(Debug, Clone)]
pub struct Published {
    pub path: PathBuf,
    pub manifest_path: PathBuf,
}

/// A backup file being written by om-upgrade.
pub struct BackupFile {
    partial: PathBuf,
    target: PathBuf,
    encoder: Option<Encoder>,
}

fn already_exists(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::AlreadyExists, message)
}

/// Creates and locks `dir/name.partial` (mode 0600; `dir` is created 0700 if missing); returns
/// the final path, the partial path and the file. Fails if `dir/name` or its manifest already
/// exists (also as a symlink): a backup never replaces a file.
fn open_partial(dir: &Path, name: &str) -> io::Result<(PathBuf, PathBuf, File)> {
    create_private_dir(dir)?;
    let target = dir.join(name);
    if target.symlink_metadata().is_ok() {
        return Err(already_exists(format!(
            "{} already exists; a backup never replaces a file: choose another --name",
            target.display()
        )));
    }
    let manifest = paths::manifest_of(&target);
    if manifest.symlink_metadata().is_ok() {
        return Err(already_exists(format!(
            "{} already exists (a manifest without its backup?); a backup never replaces a file: \
             choose another --name or remove it",
            manifest.display()
        )));
    }
    let manifest_partial = partial_of(&manifest);
    if manifest_partial.symlink_metadata().is_ok() {
        return Err(already_exists(format!(
            "{} already exists and is not left by a backup this one can tidy: remove it or \
             choose another --name",
            manifest_partial.display()
        )));
    }
    let partial = partial_of(&target);
    let file = private_options().open(&partial).map_err(|e| {
        if e.kind() != io::ErrorKind::AlreadyExists {
            e
        } else if File::open(&partial).is_ok_and(|f| f.try_lock().is_err()) {
            already_exists(format!(
                "{} is being written by another backup: wait for it, or choose another --name",
                partial.display()
            ))
        } else {
            already_exists(format!(
                "{} already exists and is not a partial backup left by a killed run: remove it \
                 or choose another --name",
                partial.display()
            ))
        }
    })?;
    if file.try_lock().is_err() {
        drop(file);
        let _ = std::fs::remove_file(&partial);
        return Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("{} was locked by another process", partial.display()),
        ));
    }
    Ok((target, partial, file))
}

impl BackupFile {
    /// Creates `dir/name.partial` (mode 0600, exclusive, locked). `dir` is created (0700) if
    /// missing. Fails if `dir/name` or its manifest already exists.
    pub fn create(dir: &Path, name: &str, compression: Compression) -> io::Result<BackupFile> {
        let (target, partial, file) = open_partial(dir, name)?;
        let hashing = Hashing {
            inner: BufWriter::with_capacity(1 << 20, file),
            sha: Sha256::new(),
            bytes: 0,
        };
        let encoder = match compression {
            Compression::None => Encoder::Plain(hashing),
            Compression::Zstd => match zstd::Encoder::new(hashing, 3) {
                Ok(encoder) => Encoder::Zstd(encoder),
                Err(error) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(error);
                }
            },
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                hashing,
                flate2::Compression::fast(),
            )),
        };
        Ok(BackupFile {
            partial,
            target,
            encoder: Some(encoder),
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.encoder {
            Some(e) => e.write_all(bytes),
            None => Err(io::Error::other("backup file already finished")),
        }
    }

    /// Ends the compression, flushes and fsyncs the partial file; it keeps its temporary name
    /// until [`Finished::publish`].
    pub fn finish(mut self) -> Result<Finished, WriteFailure> {
        let Some(encoder) = self.encoder.take() else {
            return Err(self.abandon(io::Error::other("backup file already finished")));
        };
        let finished = (|| {
            let mut hashing = encoder.finish()?;
            hashing.flush()?;
            let file = hashing
                .inner
                .into_inner()
                .map_err(|e| io::Error::other(e.to_string()))?;
            file.sync_all()?;
            Ok::<_, io::Error>((file, hashing.bytes, hex(&hashing.sha.finalize())))
        })();
        match finished {
            Ok((file, bytes, sha256)) => Ok(Finished {
                partial: std::mem::take(&mut self.partial),
                target: self.target.clone(),
                file,
                bytes,
                sha256,
                published: false,
            }),
            Err(source) => Err(self.abandon(source)),
        }
    }

    /// Gives up: removes the partial file and says what is left.
    pub fn abandon(mut self, source: io::Error) -> WriteFailure {
        self.encoder = None;
        let _ = std::fs::remove_file(&self.partial);
        let left = Left::of(&[&self.partial]);
        self.partial = PathBuf::new();
        WriteFailure::new(source, left)
    }

    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for BackupFile {
    fn drop(&mut self) {
        if !self.partial.as_os_str().is_empty() {
            self.encoder = None;
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// A backup file written by another program (pg_dump, mysqldump, `metadata backup`): the
/// same discipline, with the SHA-256 read back from disk.
pub struct ExternalFile {
    partial: PathBuf,
    target: PathBuf,
    lock: File,
    finished: bool,
}

impl ExternalFile {
    pub fn create(dir: &Path, name: &str) -> io::Result<ExternalFile> {
        let (target, partial, lock) = open_partial(dir, name)?;
        Ok(ExternalFile {
            partial,
            target,
            lock,
            finished: false,
        })
    }

    /// Where the other program writes (or where its file is moved to).
    pub fn partial_path(&self) -> &Path {
        &self.partial
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves a file the other program wrote elsewhere on the same file system into the
    /// partial file's place, and locks it there.
    pub fn adopt(&mut self, produced: &Path) -> io::Result<()> {
        std::fs::rename(produced, &self.partial)?;
        let file = OpenOptions::new().read(true).open(&self.partial)?;
        file.try_lock().map_err(|_| {
            io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is locked by another process", self.partial.display()),
            )
        })?;
        self.lock = file;
        Ok(())
    }

    /// Fsyncs the file, makes it private (0600) and hashes it; it keeps its temporary name
    /// until [`Finished::publish`].
    pub fn finish(mut self) -> Result<Finished, WriteFailure> {
        let finished = (|| {
            self.lock.sync_all()?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&self.partial, std::fs::Permissions::from_mode(0o600))?;
            }
            sha256_file(&self.partial)
        })();
        match finished {
            Ok((sha256, bytes)) => {
                self.finished = true;
                let lock = self.lock.try_clone().map_err(|e| self.fail(e))?;
                Ok(Finished {
                    partial: self.partial.clone(),
                    target: self.target.clone(),
                    file: lock,
                    bytes,
                    sha256,
                    published: false,
                })
            }
            Err(source) => Err(self.fail(source)),
        }
    }

    fn fail(&mut self, source: io::Error) -> WriteFailure {
        self.finished = true;
        let _ = std::fs::remove_file(&self.partial);
        WriteFailure::new(source, Left::of(&[&self.partial]))
    }
}

impl Drop for ExternalFile {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// A complete, fsynced data file under its temporary name, still locked, waiting for its
/// manifest. Dropped without being published, it is removed.
pub struct Finished {
    partial: PathBuf,
    target: PathBuf,
    /// Holds the lock until the backup is in place.
    file: File,
    pub bytes: u64,
    pub sha256: String,
    published: bool,
}

impl Finished {
    /// The name the data file will have.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Where the data file is until it is published.
    pub fn partial_path(&self) -> &Path {
        &self.partial
    }

    /// Gives up: removes the partial file and says what is left.
    pub fn discard(mut self, source: io::Error) -> WriteFailure {
        self.published = true;
        let _ = std::fs::remove_file(&self.partial);
        WriteFailure::new(source, Left::of(&[&self.partial]))
    }

    /// Writes the manifest beside the data and gives both their final names (module docs).
    pub fn publish(mut self, manifest: &[u8]) -> Result<Published, WriteFailure> {
        let manifest_path = paths::manifest_of(&self.target);
        let manifest_partial = partial_of(&manifest_path);
        steps::reached(Step::DataWritten, &self.target);
        if let Err(source) = write_new(&manifest_partial, manifest) {
            // Not ours to remove when it was there before (write_new removes what it created).
            return Err(self.undo(source, None, false));
        }
        steps::reached(Step::ManifestWritten, &self.target);
        if let Err(source) = rename_no_replace(&self.partial, &self.target) {
            return Err(self.undo(source, Some(&manifest_partial), false));
        }
        steps::reached(Step::DataRenamed, &self.target);
        if let Err(source) = rename_no_replace(&manifest_partial, &manifest_path) {
            return Err(self.undo(source, Some(&manifest_partial), true));
        }
        self.published = true;
        if let Err(source) = sync_dir(&self.target) {
            return Err(WriteFailure::new(
                source,
                Left::of(&[&self.target, &manifest_path]),
            ));
        }
        steps::reached(Step::Published, &self.target);
        Ok(Published {
            path: self.target.clone(),
            manifest_path,
        })
    }

    /// Removes this backup's files after a failed step: the partial files, and the data file
    /// under its final name when it was already renamed (only if it is still the file this
    /// backup wrote).
    fn undo(
        &mut self,
        source: io::Error,
        manifest_partial: Option<&Path>,
        renamed: bool,
    ) -> WriteFailure {
        self.published = true;
        let _ = std::fs::remove_file(&self.partial);
        let mut ours = vec![self.partial.as_path()];
        if let Some(manifest_partial) = manifest_partial {
            let _ = std::fs::remove_file(manifest_partial);
            ours.push(manifest_partial);
        }
        if renamed {
            if same_file(&self.file, &self.target) {
                let _ = std::fs::remove_file(&self.target);
            }
            ours.push(&self.target);
        }
        WriteFailure::new(source, Left::of(&ours))
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), path.symlink_metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, _path: &Path) -> bool {
    false
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Writes a new file (never an existing one, never through a symlink), mode 0600, fsynced. A
/// failure removes what it created.
fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = private_options().open(path)?;
    let result = file.write_all(contents).and_then(|()| file.sync_all());
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Creates a folder (and parents) readable only by its owner when it is new.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

pub(super) fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        from,
        rustix::fs::CWD,
        to,
        rustix::fs::RenameFlags::NOREPLACE,
    )
    .map_err(|e| {
        let error = io::Error::from(e);
        if error.kind() == io::ErrorKind::AlreadyExists {
            already_exists(format!(
                "{} appeared while the backup ran; a backup never replaces a file",
                to.display()
            ))
        } else {
            error
        }
    })
}

pub(super) fn sync_dir(file: &Path) -> io::Result<()> {
    match file.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Replaces a small file (a manifest recording a verification) atomically: temp file 0600,
/// fsync, rename over.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    // A bare file name has the empty path as its parent: that folder is the current one.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("manifest");
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    write_new(&temp, contents)?;
    let result = std::fs::rename(&temp, path).and_then(|()| sync_dir(path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut sha = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = io::Read::read(&mut file, &mut buffer)?;
        if n == 0 {
            break;
        }
        sha.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((hex(&sha.finalize()), total))
}

/// Name prefix of the folder where `metadata backup` writes before its file is moved into place.
pub(super) const WORK_DIR_PREFIX: &str = ".om-upgrade-metadata-cli-";

/// A private (0700) work folder in the backup folder, locked while it exists and removed on drop.
pub struct WorkDir {
    dir: tempfile::TempDir,
    _lock: File,
}

impl WorkDir {
    pub fn create(parent: &Path) -> io::Result<WorkDir> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(WORK_DIR_PREFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir_in(parent)?;
        let lock = File::open(dir.path())?;
        lock.lock()?;
        Ok(WorkDir { dir, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn publish_puts_data_and_manifest_in_place_and_hashes_what_is_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::None).unwrap();
        assert_eq!(names(dir.path()), ["b.sql.partial"]);
        file.write_all(b"hello\n").unwrap();
        let finished = file.finish().unwrap();
        assert_eq!(
            finished.sha256,
            sha256_file(finished.partial_path()).unwrap().0
        );
        assert_eq!(finished.bytes, 6);
        let published = finished.publish(b"{}\n").unwrap();
        assert_eq!(names(dir.path()), ["b.sql", "b.sql.manifest.json"]);
        assert_eq!(std::fs::read(&published.path).unwrap(), b"hello\n");
        assert_eq!(std::fs::read(&published.manifest_path).unwrap(), b"{}\n");
        #[cfg(unix)]
        for path in [&published.path, &published.manifest_path] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn dropping_an_unfinished_or_unpublished_file_removes_the_partial() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::Zstd).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert!(names(dir.path()).is_empty());
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::None).unwrap();
        file.write_all(b"whole").unwrap();
        drop(file.finish().unwrap());
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn never_replaces_an_existing_backup_manifest_or_symlink() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.sql"), b"precious").unwrap();
        std::fs::write(dir.path().join("m.sql.manifest.json"), b"precious").unwrap();
        std::os::unix::fs::symlink("/nonexistent/elsewhere", dir.path().join("l.sql")).unwrap();
        for name in ["b.sql", "m.sql", "l.sql"] {
            let error = BackupFile::create(dir.path(), name, Compression::None)
                .err()
                .unwrap_or_else(|| panic!("{name} was accepted"));
            assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{name}");
            assert!(error.to_string().contains("never replaces"), "{error}");
        }
        assert_eq!(names(dir.path()), ["b.sql", "l.sql", "m.sql.manifest.json"]);
        assert_eq!(
            std::fs::read(dir.path().join("b.sql")).unwrap(),
            b"precious"
        );
    }

    #[test]
    fn a_name_taken_while_the_backup_ran_is_not_replaced_and_nothing_of_ours_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::None).unwrap();
        file.write_all(b"ours").unwrap();
        let finished = file.finish().unwrap();
        std::fs::write(dir.path().join("b.sql"), b"theirs").unwrap();
        let failure = finished.publish(b"{}").err().unwrap();
        assert_eq!(failure.source.kind(), io::ErrorKind::AlreadyExists);
        assert!(failure.left.is_empty(), "{}", failure.left);
        assert_eq!(names(dir.path()), ["b.sql"]);
        assert_eq!(std::fs::read(dir.path().join("b.sql")).unwrap(), b"theirs");
    }

    #[test]
    fn a_manifest_taken_between_the_renames_undoes_the_data_rename() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("b.sql.manifest.json");
        let _hook = steps::on_steps_in(dir.path(), move |step| {
            if step == Step::DataRenamed {
                std::fs::write(&manifest, b"theirs").unwrap();
            }
        });
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::None).unwrap();
        file.write_all(b"ours").unwrap();
        let failure = file.finish().unwrap().publish(b"{}").err().unwrap();
        assert!(failure.left.is_empty(), "{}", failure.left);
        assert_eq!(names(dir.path()), ["b.sql.manifest.json"]);
    }

    #[test]
    fn a_file_planted_under_the_manifests_temporary_name_is_neither_followed_nor_removed() {
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = elsewhere.path().join("victim");
        std::fs::write(&victim, b"theirs").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let planted = dir.path().join("b.sql.manifest.json.partial");
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::None).unwrap();
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        file.write_all(b"ours").unwrap();
        let failure = file.finish().unwrap().publish(b"{}").err().unwrap();
        assert_eq!(failure.source.kind(), io::ErrorKind::AlreadyExists);
        assert!(failure.left.is_empty(), "{}", failure.left);
        assert_eq!(names(dir.path()), ["b.sql.manifest.json.partial"]);
        assert_eq!(std::fs::read(&victim).unwrap(), b"theirs");
        // Planted before the backup starts, it is refused before any work.
        let error = BackupFile::create(dir.path(), "b.sql", Compression::None)
            .err()
            .unwrap();
        assert!(error.to_string().contains("remove it"), "{error}");
        assert_eq!(names(dir.path()), ["b.sql.manifest.json.partial"]);
    }

    #[test]
    fn a_second_backup_of_the_same_name_is_told_the_first_is_running() {
        let dir = tempfile::tempdir().unwrap();
        let _first = BackupFile::create(dir.path(), "b.sql", Compression::None).unwrap();
        let error = BackupFile::create(dir.path(), "b.sql", Compression::None)
            .err()
            .unwrap();
        assert!(
            error
                .to_string()
                .contains("is being written by another backup"),
            "{error}"
        );
        assert_eq!(names(dir.path()), ["b.sql.partial"]);
    }

    #[test]
    fn work_dirs_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let live = WorkDir::create(dir.path()).unwrap();
        let mode = std::fs::metadata(live.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn compressed_files_decompress_to_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        for compression in [Compression::Zstd, Compression::Gzip] {
            let name = format!("b.sql{}", compression.extension());
            let mut file = BackupFile::create(dir.path(), &name, compression).unwrap();
            file.write_all(b"SELECT 1;\n").unwrap();
            let published = file.finish().unwrap().publish(b"{}").unwrap();
            assert_eq!(Compression::of_path(&published.path).unwrap(), compression);
            let mut text = String::new();
            io::Read::read_to_string(
                &mut super::super::open_reader(&published.path).unwrap(),
                &mut text,
            )
            .unwrap();
            assert_eq!(text, "SELECT 1;\n");
        }
    }
}
