#![forbid(unsafe_code)]
//! om-upgrade: get an OpenMetadata installation ready for a server upgrade.

pub mod backup;
pub mod checks;
pub mod cli;
pub mod clients;
pub mod config;
pub mod db;
pub mod demo;
pub mod engine;
pub mod http;
pub mod humanize;
pub mod knowledge;
pub mod report;
pub mod search;
pub mod secret;
pub mod secrets;
pub mod server;
pub mod session;
pub mod shell;
pub mod small_file;
pub mod status;
pub mod store;
pub mod tui;
pub mod version;
pub mod yaml;

#[cfg(test)]
mod report_views_tests;
