//! Writing a backup file safely: `NAME.partial` created exclusively with mode 0600 and locked
//! while written, fsynced, then renamed to `NAME` without ever replacing an existing file. A
//! backup that fails, is cancelled or is dropped removes its partial file; one left by a killed
//! process is found (its lock is free) and removed by the next run.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

pub const PARTIAL_SUFFIX: &str = ".partial";

/// Compression of the backup file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain SQL that mysql/psql can load directly
    #[default]
    None,
    /// zstd (fast; load with `zstd -dc FILE | psql`)
    Zstd,
    /// gzip (everywhere; load with `gunzip -c FILE | psql`)
    Gzip,
}

impl Compression {
    pub fn extension(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Zstd => ".zst",
            Compression::Gzip => ".gz",
        }
    }

    /// From a file name's extension.
    pub fn of_path(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some("zst") => Compression::Zstd,
            Some("gz") => Compression::Gzip,
            _ => Compression::None,
        }
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

/// The finished file.
#[derive(Debug, Clone)]
pub struct WrittenFile {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

/// A backup file being written.
pub struct BackupFile {
    partial: PathBuf,
    target: PathBuf,
    encoder: Option<Encoder>,
    committed: bool,
}

/// Creates and locks `dir/name.partial` (mode 0600; `dir` is created 0700 if missing); returns
/// the final path, the partial path and the file. Fails if `dir/name` already exists.
fn open_partial(dir: &Path, name: &str) -> io::Result<(PathBuf, PathBuf, File)> {
    create_private_dir(dir)?;
    let target = dir.join(name);
    if target.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists; choose another --name", target.display()),
        ));
    }
    let partial = dir.join(format!("{name}{PARTIAL_SUFFIX}"));
    let file = private_options().open(&partial)?;
    file.try_lock().map_err(|_| {
        io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("{} is being written by another backup", partial.display()),
        )
    })?;
    Ok((target, partial, file))
}

impl BackupFile {
    /// Creates `dir/name.partial` (mode 0600, exclusive, locked). `dir` is created (0700) if
    /// missing. Fails if `dir/name` already exists.
    pub fn create(dir: &Path, name: &str, compression: Compression) -> io::Result<BackupFile> {
        let (target, partial, file) = open_partial(dir, name)?;
        let hashing = Hashing {
            inner: BufWriter::with_capacity(1 << 20, file),
            sha: Sha256::new(),
            bytes: 0,
        };
        let encoder = match compression {
            Compression::None => Encoder::Plain(hashing),
            Compression::Zstd => Encoder::Zstd(zstd::Encoder::new(hashing, 3)?),
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                hashing,
                flate2::Compression::fast(),
            )),
        };
        Ok(BackupFile {
            partial,
            target,
            encoder: Some(encoder),
            committed: false,
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.encoder {
            Some(e) => e.write_all(bytes),
            None => Err(io::Error::other("backup file already finished")),
        }
    }

    /// Flushes, fsyncs, renames to the final name (never replacing a file) and fsyncs the folder.
    pub fn commit(mut self) -> io::Result<WrittenFile> {
        let encoder = self
            .encoder
            .take()
            .ok_or_else(|| io::Error::other("backup file already finished"))?;
        let mut hashing = encoder.finish()?;
        hashing.flush()?;
        let file = hashing
            .inner
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        file.sync_all()?;
        rename_no_replace(&self.partial, &self.target)?;
        self.committed = true;
        sync_dir(&self.target)?;
        Ok(WrittenFile {
            path: self.target.clone(),
            bytes: hashing.bytes,
            sha256: hex(&hashing.sha.finalize()),
        })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for BackupFile {
    fn drop(&mut self) {
        if !self.committed {
            self.encoder = None;
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// A backup file written by another program (pg_dump, mysqldump, `metadata backup`): the
/// same partial-then-rename discipline, with the SHA-256 read back from disk.
pub struct ExternalFile {
    partial: PathBuf,
    target: PathBuf,
    _lock: File,
    committed: bool,
}

impl ExternalFile {
    pub fn create(dir: &Path, name: &str) -> io::Result<ExternalFile> {
        let (target, partial, lock) = open_partial(dir, name)?;
        Ok(ExternalFile {
            partial,
            target,
            _lock: lock,
            committed: false,
        })
    }

    /// Where the other program writes (or where its file is moved to).
    pub fn partial_path(&self) -> &Path {
        &self.partial
    }

    pub fn commit(mut self) -> io::Result<WrittenFile> {
        File::open(&self.partial)?.sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.partial, std::fs::Permissions::from_mode(0o600))?;
        }
        let (sha256, bytes) = sha256_file(&self.partial)?;
        rename_no_replace(&self.partial, &self.target)?;
        self.committed = true;
        sync_dir(&self.target)?;
        Ok(WrittenFile {
            path: self.target.clone(),
            bytes,
            sha256,
        })
    }
}

impl Drop for ExternalFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
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

fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
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
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} appeared while the backup ran; the backup is kept as {}",
                    to.display(),
                    from.display()
                ),
            )
        } else {
            error
        }
    })
}

fn sync_dir(file: &Path) -> io::Result<()> {
    match file.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a small file (a manifest) atomically: temp file 0600, fsync, rename over.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("manifest");
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = private_options().open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        sync_dir(path)
    })();
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
const WORK_DIR_PREFIX: &str = ".om-upgrade-metadata-cli-";

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

/// Removes `*.partial` files in `dir` that no process is writing (left by a killed backup),
/// and the work folders of killed `metadata backup` runs.
/// The folder may be shared, so a file is only removed when it is a backup's: it holds SQL
/// (after decompression), or nothing at all under a `.sql` name. Others are left alone.
pub fn remove_stale_partials(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(WORK_DIR_PREFIX)
        {
            let unlocked = File::open(&path).is_ok_and(|dir| dir.try_lock().is_ok());
            if unlocked && std::fs::remove_dir_all(&path).is_ok() {
                removed.push(path);
            }
            continue;
        }
        if !path.to_string_lossy().ends_with(PARTIAL_SUFFIX) {
            continue;
        }
        let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
            continue;
        };
        if file.try_lock().is_ok()
            && is_backup_partial(&path, &file)
            && std::fs::remove_file(&path).is_ok()
        {
            removed.push(path);
        }
    }
    removed
}

/// Does this `NAME.partial` hold the start of a backup: ours, pg_dump's, mysqldump's or the
/// statements of the om-cli format?
fn is_backup_partial(partial: &Path, file: &File) -> bool {
    use std::io::Read as _;
    let name = partial.to_string_lossy();
    let base = Path::new(name.trim_end_matches(PARTIAL_SUFFIX));
    let Ok(reader) = file
        .try_clone()
        .and_then(|file| super::decoder(file, Compression::of_path(base)))
    else {
        return false;
    };
    let mut head = Vec::with_capacity(64);
    let read = reader.take(64).read_to_end(&mut head);
    if read.is_err() && head.is_empty() {
        return false;
    }
    if head.is_empty() {
        return base.to_string_lossy().contains(".sql");
    }
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start();
    ["--", "SET ", "CREATE ", "TRUNCATE ", "INSERT ", "/*!"]
        .iter()
        .any(|start| text.starts_with(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_hashes_what_is_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::None).unwrap();
        assert!(dir.path().join("b.sql.partial").exists());
        assert!(!dir.path().join("b.sql").exists());
        file.write_all(b"hello\n").unwrap();
        let written = file.commit().unwrap();
        assert_eq!(std::fs::read(&written.path).unwrap(), b"hello\n");
        assert_eq!(written.sha256, sha256_file(&written.path).unwrap().0);
        assert!(!dir.path().join("b.sql.partial").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&written.path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn dropping_an_unfinished_file_removes_the_partial() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = BackupFile::create(dir.path(), "b.sql", Compression::Zstd).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn never_replaces_an_existing_backup() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.sql"), b"precious").unwrap();
        assert!(BackupFile::create(dir.path(), "b.sql", Compression::None).is_err());
        assert_eq!(
            std::fs::read(dir.path().join("b.sql")).unwrap(),
            b"precious"
        );
    }

    #[test]
    fn stale_partials_are_removed_but_not_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old.sql.partial"), b"-- om-upgrade backup").unwrap();
        let live = BackupFile::create(dir.path(), "live.sql", Compression::None).unwrap();
        let removed = remove_stale_partials(dir.path());
        assert_eq!(removed, vec![dir.path().join("old.sql.partial")]);
        assert!(dir.path().join("live.sql.partial").exists());
        drop(live);
    }

    #[test]
    fn work_dirs_are_private_and_removed_only_when_left_behind() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let live = WorkDir::create(dir.path()).unwrap();
        let mode = std::fs::metadata(live.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let left = dir.path().join(format!("{WORK_DIR_PREFIX}killed"));
        std::fs::create_dir(&left).unwrap();
        std::fs::write(left.join("openmetadata_202601010101_backup.sql"), b"x").unwrap();
        assert_eq!(remove_stale_partials(dir.path()), vec![left.clone()]);
        assert!(live.path().exists() && !left.exists());
    }

    #[test]
    fn partials_that_are_not_backups_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let keep = [
            ("video.mkv.partial", &b"\x1aE\xdf\xa3 matroska"[..]),
            ("notes.partial", b"call the DBA before the upgrade"),
            ("empty.mkv.partial", b""),
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
        std::fs::write(dir.path().join("e.sql.gz.partial"), gz.finish().unwrap()).unwrap();

        let mut removed = remove_stale_partials(dir.path());
        removed.sort();
        let expected: Vec<PathBuf> = [
            "a.sql.partial",
            "b.sql.partial",
            "c.sql.partial",
            "d.sql.zst.partial",
            "e.sql.gz.partial",
        ]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
        assert_eq!(removed, expected);
        for (name, _) in keep {
            assert!(dir.path().join(name).exists(), "{name} was removed");
        }
    }

    #[test]
    fn compressed_files_decompress_to_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        for compression in [Compression::Zstd, Compression::Gzip] {
            let name = format!("b.sql{}", compression.extension());
            let mut file = BackupFile::create(dir.path(), &name, compression).unwrap();
            file.write_all(b"SELECT 1;\n").unwrap();
            let written = file.commit().unwrap();
            assert_eq!(Compression::of_path(&written.path), compression);
            let mut text = String::new();
            io::Read::read_to_string(
                &mut super::super::open_reader(&written.path).unwrap(),
                &mut text,
            )
            .unwrap();
            assert_eq!(text, "SELECT 1;\n");
        }
    }
}
