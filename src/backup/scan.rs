//! Reads a whole backup file and accounts for it: which tables, how many rows, their content
//! checksums, whether it ends where a complete backup ends. Used by verify, by the manifests of
//! backups made by other tools, and to tell file kinds apart.

use std::io::BufRead;

use serde::Serialize;

use super::checksum::TableChecksum;
use super::dump::{FOOTER_MARK, HEADER_MARK};
use super::lexer::{self, Item, LexError, Lexer};
use super::manifest::TableEntry;
use super::progress::Reporter;
use crate::db::Engine;

/// Who wrote the file, judging by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// om-upgrade's SQL format (schema and data).
    OmUpgradeSql,
    /// One TRUNCATE/INSERT statement per line: `metadata backup`, or om-upgrade `--format om-cli`.
    Statements,
    PgDump,
    MysqlDump,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileScan {
    pub kind: FileKind,
    pub tables: Vec<TableEntry>,
    pub statements: u64,
    /// The om-upgrade footer is there (the file was written to the end).
    pub complete: bool,
    pub largest_statement: u64,
    /// What the om-upgrade header says the engine is.
    pub header_engine: Option<Engine>,
}

impl FileScan {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Guesses the engine of a file from its first lines: the om-upgrade header, or dump-tool
/// banners. `None` when the text does not say.
pub fn sniff_engine(head: &str) -> Option<Engine> {
    for line in head.lines().take(20) {
        if let Some(rest) = line.strip_prefix("-- engine: ") {
            return rest.split_whitespace().next().and_then(|e| match e {
                "mysql" => Some(Engine::Mysql),
                "postgres" => Some(Engine::Postgres),
                _ => None,
            });
        }
        if line.contains("PostgreSQL database dump") {
            return Some(Engine::Postgres);
        }
        if line.contains("MySQL dump") || line.contains("MariaDB dump") {
            return Some(Engine::Mysql);
        }
    }
    None
}

/// Scans the file to its end. A parse error says where.
pub fn scan(
    input: impl BufRead,
    engine: Engine,
    reporter: &Reporter,
) -> Result<FileScan, LexError> {
    let mut lexer = Lexer::new(input, engine);
    let mut tables: Vec<(String, TableChecksum)> = Vec::new();
    let mut kind = None;
    let mut complete = false;
    let mut header_engine = None;
    let mut statements = 0u64;
    let mut largest = 0u64;
    let mut copy_table: Option<usize> = None;
    let mut first = true;
    let index_of = |tables: &mut Vec<(String, TableChecksum)>, name: String| match tables
        .iter()
        .position(|(t, _)| *t == name)
    {
        Some(i) => i,
        None => {
            tables.push((name, TableChecksum::default()));
            tables.len() - 1
        }
    };
    while let Some(item) = lexer.next_item()? {
        match item {
            Item::Comment { text, .. } => {
                if first {
                    kind = Some(if text.starts_with(HEADER_MARK) {
                        FileKind::OmUpgradeSql
                    } else if text.contains("PostgreSQL database dump") {
                        FileKind::PgDump
                    } else if text.contains("MySQL dump") || text.contains("MariaDB dump") {
                        FileKind::MysqlDump
                    } else {
                        FileKind::Statements
                    });
                    first = false;
                }
                if let Some(e) = text.strip_prefix("engine: ") {
                    header_engine = sniff_engine(&format!("-- engine: {e}"));
                }
                if text.starts_with(FOOTER_MARK) {
                    complete = true;
                }
            }
            Item::Statement { sql, .. } => {
                if first {
                    kind = Some(FileKind::Statements);
                    first = false;
                }
                statements += 1;
                largest = largest.max(sql.len() as u64);
                let upper = sql.get(..12).unwrap_or(&sql).to_ascii_uppercase();
                let table = lexer::statement_table(&sql);
                if upper.starts_with("INSERT") {
                    if let Some(name) = table {
                        let i = index_of(&mut tables, name);
                        for tuple in lexer::insert_tuples(&sql, engine) {
                            tables[i].1.add_row(tuple.as_bytes());
                        }
                        reporter.add(0, 0, sql.len() as u64);
                    }
                } else if upper.starts_with("COPY") {
                    copy_table = table.map(|name| index_of(&mut tables, name));
                } else if let Some(name) = table {
                    index_of(&mut tables, name);
                }
            }
            Item::CopyData { data, .. } => {
                if let Some(i) = copy_table {
                    let mut start = 0;
                    for end in memchr::memchr_iter(b'\n', &data) {
                        tables[i].1.add_row(&data[start..=end]);
                        start = end + 1;
                    }
                }
                reporter.add(0, 0, data.len() as u64);
            }
            Item::CopyEnd { .. } => copy_table = None,
            Item::Meta { .. } => {}
        }
    }
    Ok(FileScan {
        kind: kind.unwrap_or(FileKind::Statements),
        tables: tables
            .into_iter()
            .map(|(name, checksum)| TableEntry {
                name,
                rows: checksum.rows,
                checksum: Some(checksum.digest()),
            })
            .collect(),
        statements,
        complete,
        largest_statement: largest,
        header_engine,
    })
}
