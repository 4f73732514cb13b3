//! Compression of backup files: chosen when writing, recognised by the file's first bytes when
//! reading (never by its name, which the operator may have chosen freely).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

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

/// A zstd frame starts with 28 B5 2F FD; skippable frames with 50..5F 2A 4D 18.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// A gzip member starts with 1F 8B.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl Compression {
    /// The file name ending of a file in this compression.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Zstd => ".zst",
            Compression::Gzip => ".gz",
        }
    }

    /// The compression a file name's ending announces (`.zst`, `.gz`), if any.
    pub fn named_by(name: &str) -> Compression {
        [Compression::Zstd, Compression::Gzip]
            .into_iter()
            .find(|c| name.ends_with(c.extension()))
            .unwrap_or(Compression::None)
    }

    /// What the first bytes of a file say it is.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&ZSTD_MAGIC) || is_zstd_skippable(head) {
            Compression::Zstd
        } else if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else {
            Compression::None
        }
    }

    /// The compression of an open file, read from its first bytes; the file is rewound.
    pub fn of_file(file: &mut File) -> io::Result<Compression> {
        let mut head = [0u8; 4];
        let mut filled = 0;
        file.seek(SeekFrom::Start(0))?;
        while filled < head.len() {
            match file.read(&mut head[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        file.seek(SeekFrom::Start(0))?;
        Ok(Compression::sniff(&head[..filled]))
    }

    /// The compression of the file at `path`, read from its first bytes.
    pub fn of_path(path: &Path) -> io::Result<Compression> {
        Compression::of_file(&mut File::open(path)?)
    }
}

fn is_zstd_skippable(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18]
}

/// Opens a backup file for reading, decompressing what its first bytes say is compressed. Every
/// reader of backup files (verify, restore, scan, the listing, the clean-up of partial files)
/// opens them here.
pub fn open_reader(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    reader_of(File::open(path)?)
}

/// As [`open_reader`], for a file already open (read from its start).
pub fn reader_of(mut file: File) -> io::Result<Box<dyn BufRead + Send>> {
    let compression = Compression::of_file(&mut file)?;
    decoded(Box::new(file), compression)
}

/// The decompressed bytes of `raw` (read from its start), compressed as `compression` says.
pub fn decoded(
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path) -> String {
        let mut text = String::new();
        open_reader(path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn files_are_read_by_their_bytes_whatever_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let sql = b"SELECT 1;\n";
        let zst = zstd::encode_all(&sql[..], 3).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(sql).unwrap();
        let gz = gz.finish().unwrap();
        for (name, bytes, compression) in [
            ("zstd-named.sql", &zst[..], Compression::Zstd),
            ("gzip-named.sql.zst", &gz[..], Compression::Gzip),
            ("plain-named.sql.gz", &sql[..], Compression::None),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(Compression::of_path(&path).unwrap(), compression, "{name}");
            assert_eq!(read_all(&path), "SELECT 1;\n", "{name}");
        }
    }

    #[test]
    fn short_and_empty_files_are_plain() {
        assert_eq!(Compression::sniff(b""), Compression::None);
        assert_eq!(Compression::sniff(b"\x1f"), Compression::None);
        assert_eq!(Compression::sniff(b"\x28\xb5\x2f"), Compression::None);
        assert_eq!(Compression::sniff(b"\x5a\x2a\x4d\x18"), Compression::Zstd);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.sql.zst");
        std::fs::write(&path, b"").unwrap();
        assert_eq!(read_all(&path), "");
    }

    #[test]
    fn names_announce_a_compression_by_their_ending() {
        assert_eq!(Compression::named_by("a.sql.zst"), Compression::Zstd);
        assert_eq!(Compression::named_by("a.sql.gz"), Compression::Gzip);
        assert_eq!(Compression::named_by("a.sql"), Compression::None);
        assert_eq!(Compression::named_by("a.zstd"), Compression::None);
    }
}
