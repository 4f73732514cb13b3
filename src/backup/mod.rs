//! Backups of the metadata database: take (built-in, `metadata backup`, native tools), verify,
//! restore, find.

pub mod checksum;
pub mod completeness;
pub mod compression;
pub mod coverage;
pub mod dump;
pub mod external;
pub mod leftovers;
pub mod lexer;
pub mod locate;
pub mod manifest;
pub mod naming;
pub mod output;
pub mod paths;
pub mod progress;
pub mod rehearse;
pub mod remote;
pub mod request;
pub mod restore;
pub mod scan;
pub mod schema;
pub mod source;
pub mod space;
pub mod sql;
pub mod steps;
pub mod take;
pub mod verify;

pub use compression::open_reader;
