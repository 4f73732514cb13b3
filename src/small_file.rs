//! Reading the small files an operator names (YAML, a password file, a CA certificate): never
//! more than a limit, never a folder or a device, and never waiting forever on a FIFO.
//!
//! `std::fs::read_to_string` would block in `open` on a FIFO nobody writes to, read `/dev/zero`
//! until memory runs out, and load a 10 GB file whole before anyone could say it is too big.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::OFlags;

use crate::humanize;

/// What kind of file may be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Regular files only (files that are scanned, or parsed as a whole).
    Regular,
    /// Regular files, and pipes such as `--password-file <(pass show db)`: a pipe is read until
    /// its writer closes it, for at most [`PIPE_WAIT`].
    RegularOrPipe,
}

/// The longest a pipe is waited for.
pub const PIPE_WAIT: Duration = Duration::from_secs(10);

/// Why a file was not read. Each message follows the file's name: "`x.yaml`: a folder, …".
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    NotFound,
    #[error("a folder, not a file")]
    Folder,
    #[error("{what}, not a regular file")]
    NotAFile { what: &'static str },
    #[error("larger than {}, the most read from such a file", humanize::bytes(*limit as u64))]
    TooLarge { limit: usize },
    #[error("a pipe that did not reach its end within {}s", PIPE_WAIT.as_secs())]
    PipeTimeout,
    #[error("cannot be read: {0}")]
    Io(#[source] std::io::Error),
}

/// Reads at most `limit` bytes of `path`; more is [`ReadError::TooLarge`].
pub fn read(path: &Path, limit: usize, accept: Accept) -> Result<Vec<u8>, ReadError> {
    read_waiting(path, limit, accept, PIPE_WAIT)
}

fn read_waiting(
    path: &Path,
    limit: usize,
    accept: Accept,
    pipe_wait: Duration,
) -> Result<Vec<u8>, ReadError> {
    // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting for one.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|error| match error.kind() {
            ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Io(error),
        })?;
    let file_type = file.metadata().map_err(ReadError::Io)?.file_type();
    let pipe = file_type.is_fifo();
    if file_type.is_dir() {
        return Err(ReadError::Folder);
    }
    if !(file_type.is_file() || pipe && accept == Accept::RegularOrPipe) {
        let what = if pipe {
            "a pipe (FIFO)"
        } else if file_type.is_char_device() || file_type.is_block_device() {
            "a device"
        } else if file_type.is_socket() {
            "a socket"
        } else {
            "something else"
        };
        return Err(ReadError::NotAFile { what });
    }
    let mut bytes = Vec::new();
    if pipe {
        read_pipe(&mut file, limit, pipe_wait, &mut bytes)?;
    } else {
        (&mut file)
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
    }
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Reads a non-blocking pipe until its end, `limit + 1` bytes, or `wait`.
fn read_pipe(
    file: &mut File,
    limit: usize,
    wait: Duration,
    bytes: &mut Vec<u8>,
) -> Result<(), ReadError> {
    let deadline = Instant::now() + wait;
    let mut chunk = [0u8; 8192];
    while bytes.len() <= limit {
        match file.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(ReadError::PipeTimeout);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(ReadError::Io(error)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read(&path, 5, Accept::Regular).unwrap(), b"12345");
        assert!(matches!(
            read(&path, 4, Accept::Regular),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert!(matches!(
            read(&dir.path().join("absent"), 4, Accept::Regular),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(
            read(dir.path(), 4, Accept::Regular),
            Err(ReadError::Folder)
        ));
    }

    #[test]
    fn devices_are_refused_and_fifos_never_wait() {
        assert!(matches!(
            read(Path::new("/dev/zero"), 1024, Accept::RegularOrPipe),
            Err(ReadError::NotAFile { what: "a device" })
        ));
        let dir = tempfile::tempdir().unwrap();
        let fifo = fifo(dir.path());
        // Nobody writes to it: refused at once, or read as empty when pipes are accepted.
        assert!(matches!(
            read(&fifo, 1024, Accept::Regular),
            Err(ReadError::NotAFile { .. })
        ));
        assert_eq!(read(&fifo, 1024, Accept::RegularOrPipe).unwrap(), b"");
    }

    fn fifo(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &path,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        path
    }

    /// Opens the FIFO's write end without waiting for a reader (read-write does not block).
    fn writer(fifo: &Path) -> File {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(fifo)
            .unwrap()
    }

    #[test]
    fn a_pipe_is_read_to_its_end_and_a_silent_one_gives_up() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let fifo = fifo(dir.path());
        let mut w = writer(&fifo);
        w.write_all(b"s3cret\n").unwrap();
        let closer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(w);
        });
        let read_back = read(&fifo, 1024, Accept::RegularOrPipe).unwrap();
        closer.join().unwrap();
        assert_eq!(read_back, b"s3cret\n");

        // A writer that never writes nor closes: given up on, not waited for forever.
        let _silent = writer(&fifo);
        assert!(matches!(
            read_waiting(
                &fifo,
                1024,
                Accept::RegularOrPipe,
                Duration::from_millis(50)
            ),
            Err(ReadError::PipeTimeout)
        ));
    }
}
