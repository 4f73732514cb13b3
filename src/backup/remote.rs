//! A backup that is not a local file — an object in an off-host store — read as a stream:
//! its manifest, and a way to open its bytes from the start as often as needed (to check its
//! SHA-256, then to load it). Nothing is copied to local disk. The store that provides it lives
//! outside `backup` (this module only knows how to open a stream).

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};

use super::compression::Compression;
use super::manifest::Manifest;
use super::output::hex;

/// Opens the object's raw (possibly compressed) bytes from the start. Called on a blocking
/// thread, never on the async runtime.
pub type Opener = Arc<dyn Fn() -> io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// A stored backup with its manifest.
#[derive(Clone)]
pub struct RemoteBackup {
    /// Where it is (no credentials: destination URLs never carry any).
    pub url: String,
    pub manifest: Manifest,
    opener: Opener,
}

impl fmt::Debug for RemoteBackup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteBackup")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Size and SHA-256 of what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hashed {
    pub bytes: u64,
    pub sha256: String,
}

impl RemoteBackup {
    pub fn new(url: String, manifest: Manifest, opener: Opener) -> Self {
        RemoteBackup {
            url,
            manifest,
            opener,
        }
    }

    /// What errors print where a file would print its path.
    pub fn display_path(&self) -> PathBuf {
        PathBuf::from(&self.url)
    }

    /// The stored bytes as they are.
    pub fn open_raw(&self) -> io::Result<Box<dyn Read + Send>> {
        (self.opener)()
    }

    /// The backup's SQL, decompressed as its manifest says.
    pub fn open(&self) -> io::Result<Box<dyn BufRead + Send>> {
        decompress(self.open_raw()?, self.manifest.file.compression)
    }

    /// Reads the whole object and hashes it (blocking).
    pub fn hash(&self) -> io::Result<Hashed> {
        let mut raw = self.open_raw()?;
        let mut sha = Sha256::new();
        let mut bytes = 0u64;
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = match raw.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            sha.update(&buffer[..n]);
            bytes += n as u64;
        }
        Ok(Hashed {
            bytes,
            sha256: hex(&sha.finalize()),
        })
    }

    /// Whether what was read is what the manifest describes.
    pub fn matches(&self, hashed: &Hashed) -> bool {
        hashed.bytes == self.manifest.file.bytes
            && hashed
                .sha256
                .eq_ignore_ascii_case(&self.manifest.file.sha256)
    }

    /// The decompressed SQL, with the raw bytes hashed as they pass: read it to the end, then
    /// [`HashTap::finish`] says what the stored object held.
    pub fn open_hashed(&self) -> io::Result<(Box<dyn BufRead + Send>, HashTap)> {
        let tap = HashTap::default();
        let raw = TapReader {
            inner: self.open_raw()?,
            tap: tap.clone(),
        };
        Ok((
            decompress(Box::new(raw), self.manifest.file.compression)?,
            tap,
        ))
    }
}

fn decompress(
    raw: Box<dyn Read + Send>,
    compression: Compression,
) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(1 << 20, raw)),
        Compression::Zstd => Box::new(BufReader::with_capacity(1 << 20, zstd::Decoder::new(raw)?)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(raw),
        )),
    })
}

#[derive(Default)]
struct TapState {
    sha: Sha256,
    bytes: u64,
}

/// The hash of the raw bytes a [`RemoteBackup::open_hashed`] reader has read so far.
#[derive(Clone, Default)]
pub struct HashTap(Arc<Mutex<TapState>>);

impl HashTap {
    /// Size and SHA-256 of everything read.
    pub fn finish(&self) -> Hashed {
        let state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Hashed {
            bytes: state.bytes,
            sha256: hex(&state.sha.clone().finalize()),
        }
    }
}

struct TapReader {
    inner: Box<dyn Read + Send>,
    tap: HashTap,
}

impl Read for TapReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.tap.0.lock().unwrap_or_else(|p| p.into_inner());
        state.sha.update(&buf[..n]);
        state.bytes += n as u64;
        Ok(n)
    }
}
