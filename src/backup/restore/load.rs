//! What both engines' loaders share: reading the file's items on a thread, the account of what
//! was loaded (rows per table, the end marker), and errors that point at the statement.

use std::path::Path;

use tokio::sync::mpsc;

use super::RestoreError;
use crate::backup::lexer::{self, Item, LexError, Lexer};
use crate::backup::progress::Reporter;
use crate::backup::remote::RemoteBackup;
use crate::backup::scan;
use crate::db::{Db, Engine};

/// Reads the backup's items on a thread: the local file, or the stored object streamed from
/// its store.
pub(super) async fn items_of(
    accepted: &super::Accepted,
    engine: Engine,
) -> Result<mpsc::Receiver<Result<Item, LexError>>, RestoreError> {
    match &accepted.remote {
        None => spawn_reader(&accepted.request.file, engine),
        Some(remote) => spawn_remote_reader(remote.clone(), engine).await,
    }
}

/// Opens the stored object on a blocking thread (the store is read through the runtime) and
/// lexes it there.
async fn spawn_remote_reader(
    remote: RemoteBackup,
    engine: Engine,
) -> Result<mpsc::Receiver<Result<Item, LexError>>, RestoreError> {
    let path = remote.display_path();
    let reader = tokio::task::spawn_blocking(move || remote.open())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r)
        .map_err(|source| RestoreError::Unreadable { path, source })?;
    Ok(lex_on_thread(reader, engine))
}

/// Reads the file's items on a thread (decompression and lexing off the runtime).
pub(super) fn spawn_reader(
    path: &Path,
    engine: Engine,
) -> Result<mpsc::Receiver<Result<Item, LexError>>, RestoreError> {
    let reader = crate::backup::open_reader(path).map_err(|source| RestoreError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(lex_on_thread(reader, engine))
}

fn lex_on_thread(
    reader: Box<dyn std::io::BufRead + Send>,
    engine: Engine,
) -> mpsc::Receiver<Result<Item, LexError>> {
    let (tx, rx) = mpsc::channel(32);
    std::thread::spawn(move || {
        let mut lexer = Lexer::new(reader, engine);
        loop {
            let item = lexer.next_item();
            let stop = !matches!(item, Ok(Some(_)));
            let sent = match item {
                Ok(Some(item)) => tx.blocking_send(Ok(item)),
                Ok(None) => break,
                Err(e) => tx.blocking_send(Err(e)),
            };
            if stop || sent.is_err() {
                break;
            }
        }
    });
    rx
}

pub(super) fn statement_error(db: &Db, line: u64, sql: &str, error: sqlx::Error) -> RestoreError {
    let excerpt: String = sql.chars().take(160).collect();
    RestoreError::Statement {
        line,
        table: lexer::statement_table(sql),
        error: db.error(error),
        excerpt: if sql.len() > excerpt.len() {
            format!("{excerpt}…")
        } else {
            excerpt
        },
    }
}

pub(super) fn is_copy_from_stdin(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.starts_with("COPY ") && upper.trim_end().ends_with("FROM STDIN")
}

pub(super) fn is_insert(sql: &str) -> bool {
    sql.get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("INSERT"))
}

/// What a loader sent, per table in the order first seen, with progress reported as it goes
/// (a file may hold a table's data in several blocks).
#[derive(Default)]
pub(super) struct Loaded {
    pub statements: u64,
    /// Tables written to or created, with the rows sent.
    pub tables: Vec<(String, u64)>,
    /// `(tables, rows)` of the om-upgrade end marker, when the loader met it.
    pub footer: Option<(u64, u64)>,
    current: Option<usize>,
}

impl Loaded {
    /// Notes a comment between statements (the end marker is one).
    pub fn comment(&mut self, text: &str) {
        if let Some(totals) = scan::footer_totals(text) {
            self.footer = Some(totals);
        }
    }

    pub fn switch_to(&mut self, table: &str, reporter: &Reporter) {
        if self.current.is_some_and(|i| self.tables[i].0 == table) {
            return;
        }
        self.finish(reporter);
        let index = match self.tables.iter().position(|(t, _)| t == table) {
            Some(i) => i,
            None => {
                self.tables.push((table.to_string(), 0));
                self.tables.len() - 1
            }
        };
        reporter.table_started(index, table, 0);
        self.current = Some(index);
    }

    pub fn add(&mut self, rows: u64, bytes: u64, reporter: &Reporter) {
        let table_rows = match self.current {
            Some(i) => {
                self.tables[i].1 += rows;
                self.tables[i].1
            }
            None => 0,
        };
        reporter.add(table_rows, rows, bytes);
    }

    /// A `TRUNCATE` empties what was sent to the table before.
    pub fn truncated(&mut self) {
        if let Some(i) = self.current {
            self.tables[i].1 = 0;
        }
    }

    pub fn finish(&mut self, reporter: &Reporter) {
        if let Some(i) = self.current.take() {
            reporter.table_done(i, &self.tables[i].0, self.tables[i].1);
        }
    }

    pub fn rows_of(&self, table: &str) -> Option<u64> {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, rows)| *rows)
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|(_, rows)| rows).sum()
    }

    pub fn table_names(&self) -> Vec<String> {
        self.tables.iter().map(|(t, _)| t.clone()).collect()
    }
}
