//! Backups of the metadata database: take (built-in, `metadata backup`, native tools), verify,
//! restore, find.

pub mod checksum;
pub mod completeness;
pub mod dump;
pub mod external;
pub mod lexer;
pub mod locate;
pub mod manifest;
pub mod output;
pub mod progress;
pub mod rehearse;
pub mod restore;
pub mod scan;
pub mod schema;
pub mod space;
pub mod sql;
pub mod take;
pub mod verify;

use std::io::{self, BufRead, BufReader};
use std::path::Path;

use output::Compression;

/// Opens a backup file for reading, decompressing by its extension.
pub fn open_reader(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    decoder(std::fs::File::open(path)?, Compression::of_path(path))
}

/// Reads `file` through the decompressor of `compression`.
pub fn decoder(
    file: std::fs::File,
    compression: Compression,
) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(1 << 20, file)),
        Compression::Zstd => Box::new(BufReader::with_capacity(1 << 20, zstd::Decoder::new(file)?)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(file),
        )),
    })
}
