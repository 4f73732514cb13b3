#![forbid(unsafe_code)]
//! om-upgrade: get an OpenMetadata installation ready for a server upgrade.

pub mod backup;
pub mod checks;
pub mod cli;
pub mod clients;
pub mod config;
pub mod db;
pub mod demo;
pub mod humanize;
pub mod knowledge;
pub mod report;
pub mod store;
pub mod tui;
pub mod version;
pub mod yaml;
