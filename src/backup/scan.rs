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
    /// The om-upgrade end marker is the file's last line and counts the tables and rows
    /// before it (the file was written to the end and not altered since).
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

/// Why a file is not a SQL backup at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSql {
    #[error("the file is empty")]
    Empty,
    #[error("it holds binary data, not SQL text (a compressed, encrypted or unrelated file?)")]
    Binary,
    #[error("it does not start like SQL (first line: {first_line:?})")]
    NotSqlText { first_line: String },
}

/// How much of a file's beginning [`classify`] needs.
pub const HEAD_BYTES: usize = 8192;

/// Who wrote the file, judging by its first bytes (decompressed): the om-upgrade header on the
/// first line, the pg_dump or mysqldump banner in the first lines, or else one SQL statement
/// after another (`metadata backup`, `--format om-cli`). Anything else is not a SQL backup.
pub fn classify(head: &[u8]) -> Result<FileKind, NotSql> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.clone().next() else {
        return Err(NotSql::Empty);
    };
    if comment_text(first).is_some_and(|c| c.starts_with(HEADER_MARK)) {
        return Ok(FileKind::OmUpgradeSql);
    }
    for line in lines.clone().take(6) {
        if let Some(kind) = comment_text(line).and_then(banner_kind) {
            return Ok(kind);
        }
    }
    if head.contains(&0) || first_line_is_not_text(head) {
        return Err(NotSql::Binary);
    }
    let statement = lines
        .find(|l| comment_text(l).is_none() && !l.starts_with('#'))
        .unwrap_or(first);
    let word: String = statement
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    const SQL_STARTS: [&str; 17] = [
        "INSERT", "TRUNCATE", "SET", "CREATE", "DROP", "ALTER", "DELETE", "UPDATE", "REPLACE",
        "LOCK", "UNLOCK", "START", "BEGIN", "COMMIT", "COPY", "SELECT", "USE",
    ];
    if SQL_STARTS.contains(&word.as_str()) || statement.starts_with("/*") {
        Ok(FileKind::Statements)
    } else {
        Err(NotSql::NotSqlText {
            first_line: first.chars().take(60).collect(),
        })
    }
}

/// The text of a `-- …` comment line.
fn comment_text(line: &str) -> Option<&str> {
    line.strip_prefix("--").map(str::trim)
}

/// The kind a dump tool's banner comment names.
fn banner_kind(comment: &str) -> Option<FileKind> {
    if comment.starts_with("PostgreSQL database dump") {
        Some(FileKind::PgDump)
    } else if comment.starts_with("MySQL dump") || comment.starts_with("MariaDB dump") {
        Some(FileKind::MysqlDump)
    } else {
        None
    }
}

/// The first line is not UTF-8 (a cut at the end of `head` is not held against it).
fn first_line_is_not_text(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    match std::str::from_utf8(line) {
        Ok(text) => text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\u{0c}')),
        Err(e) => e.error_len().is_some(),
    }
}

/// What an om-upgrade end marker (`-- om-upgrade backup complete: N tables, M rows`) says.
pub fn footer_totals(comment: &str) -> Option<(u64, u64)> {
    let rest = comment.strip_prefix(FOOTER_MARK)?.strip_prefix(':')?;
    let mut numbers = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().ok());
    Some((numbers.next()??, numbers.next()??))
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
    mut input: impl BufRead,
    engine: Engine,
    reporter: &Reporter,
) -> Result<FileScan, LexError> {
    let head = input.fill_buf().map_err(|e| LexError::Io(e.to_string()))?;
    let kind = classify(&head[..head.len().min(HEAD_BYTES)]).unwrap_or(FileKind::Statements);
    let mut lexer = Lexer::new(input, engine);
    // mysqldump without --hex-blob writes binary values raw; the mysql client loads them.
    lexer.allow_binary(kind == FileKind::MysqlDump);
    let mut tally = Tally::default();
    while let Some(item) = lexer.next_item()? {
        match &item {
            Item::Comment { text, .. } => tally.comment(text),
            Item::Statement { sql, .. } => tally.statement(sql.as_bytes(), engine, reporter),
            Item::BinaryStatement { bytes, .. } => tally.statement(bytes, engine, reporter),
            Item::CopyData { data, .. } => tally.copy_data(data, reporter),
            Item::CopyEnd { .. } => tally.copy_table = None,
            Item::Meta { .. } => {}
        }
    }
    Ok(tally.finish(kind))
}

/// What the scan has counted so far.
#[derive(Default)]
struct Tally {
    tables: Vec<(String, TableChecksum)>,
    /// The footer's table and row totals (`u64::MAX` when it has none).
    footer: Option<(u64, u64)>,
    /// Data or a statement came after the footer.
    after_footer: bool,
    header_engine: Option<Engine>,
    statements: u64,
    largest: u64,
    /// The table a COPY block is loading.
    copy_table: Option<usize>,
}

impl Tally {
    fn index_of(&mut self, name: String) -> usize {
        match self.tables.iter().position(|(t, _)| *t == name) {
            Some(i) => i,
            None => {
                self.tables.push((name, TableChecksum::default()));
                self.tables.len() - 1
            }
        }
    }

    /// A comment line: the header's engine, or the footer.
    fn comment(&mut self, text: &str) {
        if let Some(e) = text.strip_prefix("engine: ") {
            self.header_engine = sniff_engine(&format!("-- engine: {e}"));
        }
        if text.starts_with(FOOTER_MARK) {
            self.footer = footer_totals(text).or(Some((u64::MAX, u64::MAX)));
            self.after_footer = false;
        }
    }

    /// Rows of a COPY block, each added to its table's checksum.
    fn copy_data(&mut self, data: &[u8], reporter: &Reporter) {
        self.after_footer |= self.footer.is_some();
        if let Some(i) = self.copy_table {
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', data) {
                self.tables[i].1.add_row(&data[start..=end]);
                start = end + 1;
            }
        }
        reporter.add(0, 0, data.len() as u64);
    }

    /// A statement: an INSERT's tuples are rows of its table, a COPY starts a block, any other
    /// statement naming a table makes it known.
    fn statement(&mut self, sql: &[u8], engine: Engine, reporter: &Reporter) {
        self.after_footer |= self.footer.is_some();
        self.statements += 1;
        self.largest = self.largest.max(sql.len() as u64);
        let upper = sql.get(..12).unwrap_or(sql).to_ascii_uppercase();
        let table = lexer::statement_table_bytes(sql);
        if upper.starts_with(b"INSERT") {
            if let Some(name) = table {
                let i = self.index_of(name);
                for tuple in lexer::insert_tuples(sql, engine) {
                    self.tables[i].1.add_row(tuple);
                }
                reporter.add(0, 0, sql.len() as u64);
            }
        } else if upper.starts_with(b"COPY") {
            let index = table.map(|name| self.index_of(name));
            self.copy_table = index;
        } else if let Some(name) = table {
            self.index_of(name);
        }
    }

    fn finish(self, kind: FileKind) -> FileScan {
        let tables: Vec<TableEntry> = self
            .tables
            .into_iter()
            .map(|(name, checksum)| TableEntry {
                name,
                rows: checksum.rows,
                checksum: Some(checksum.digest()),
            })
            .collect();
        let rows: u64 = tables.iter().map(|t| t.rows).sum();
        // Whole: the marker is the last thing in the file and counts what came before it.
        let complete = !self.after_footer && self.footer == Some((tables.len() as u64, rows));
        FileScan {
            kind,
            tables,
            statements: self.statements,
            complete,
            largest_statement: self.largest,
            header_engine: self.header_engine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_apart_by_their_first_lines() {
        assert_eq!(
            classify(b"-- om-upgrade backup: OpenMetadata metadata database\n"),
            Ok(FileKind::OmUpgradeSql)
        );
        assert_eq!(
            classify(b"--\n-- PostgreSQL database dump\n--\n\n\\restrict x\n"),
            Ok(FileKind::PgDump)
        );
        assert_eq!(
            classify(b"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n"),
            Ok(FileKind::MysqlDump)
        );
        assert_eq!(
            classify(b"-- MySQL dump 10.13  Distrib 8.0.36\n"),
            Ok(FileKind::MysqlDump)
        );
        assert_eq!(
            classify(b"TRUNCATE TABLE bot_entity;\nINSERT INTO bot_entity VALUES (1);\n"),
            Ok(FileKind::Statements)
        );
    }

    #[test]
    fn what_is_not_sql_says_why() {
        assert_eq!(classify(b""), Err(NotSql::Empty));
        assert_eq!(classify(b"\n  \n"), Err(NotSql::Empty));
        assert_eq!(classify(b"\x28\xb5\x2f\xfd\x00\x58"), Err(NotSql::Binary));
        assert_eq!(classify(b"\xff\xfe\xfa garbage"), Err(NotSql::Binary));
        assert!(matches!(
            classify(b"server:\n  port: 8585\n"),
            Err(NotSql::NotSqlText { .. })
        ));
    }

    #[test]
    fn the_end_marker_counts_tables_and_rows() {
        assert_eq!(
            footer_totals("om-upgrade backup complete: 55 tables, 2195 rows"),
            Some((55, 2195))
        );
        assert_eq!(footer_totals("om-upgrade backup complete"), None);
        assert_eq!(footer_totals("something else: 1 tables, 2 rows"), None);
    }
}
