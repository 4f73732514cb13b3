//! Backups of the metadata database.

pub mod space;
