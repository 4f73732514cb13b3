//! What both engines' loaders share: reading the file's items on a thread (hashing its bytes as
//! they pass, when the restore checks the SHA-256 during the load), the account of what was
//! loaded (rows per table, the end marker), judging it, and errors that point at the statement.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::types::{Accepted, RestoreError, RestoredTable};
use crate::backup::compression::{self, Compression};
use crate::backup::lexer::{self, Item, LexError, Lexer};
use crate::backup::manifest::Manifest;
use crate::backup::output::hex;
use crate::backup::progress::Reporter;
use crate::backup::scan;
use crate::db::{Db, Engine};

/// The items of the backup being loaded, read on a thread, with the SHA-256 of its bytes when
/// the restore checks it during the load ([`Items::check_whole`]).
pub(super) struct Items {
    /// Items read ahead and given back ([`Items::put_back`]).
    ahead: VecDeque<Result<Item, LexError>>,
    rx: mpsc::Receiver<Result<Item, LexError>>,
    /// Size and SHA-256 of the file's bytes, sent when the reader reached the end.
    hashed: Option<oneshot::Receiver<std::io::Result<(u64, String)>>>,
}

impl Items {
    pub async fn recv(&mut self) -> Option<Result<Item, LexError>> {
        match self.ahead.pop_front() {
            Some(item) => Some(item),
            None => self.rx.recv().await,
        }
    }

    /// Gives items back, to be received again first, in this order.
    pub fn put_back(&mut self, items: Vec<Result<Item, LexError>>) {
        for item in items.into_iter().rev() {
            self.ahead.push_front(item);
        }
    }

    /// After the last item: the file read is the one its manifest describes (size and
    /// SHA-256), when the restore did not check that before loading.
    pub async fn check_whole(&mut self, accepted: &Accepted) -> Result<(), RestoreError> {
        let (Some(hashed), Some(manifest)) = (self.hashed.take(), accepted.manifest.as_ref())
        else {
            return Ok(());
        };
        let path = accepted.request.file.clone();
        let (bytes, found) = match hashed.await {
            Ok(Ok(hashed)) => hashed,
            Ok(Err(source)) => return Err(RestoreError::Unreadable { path, source }),
            Err(_) => {
                let source = std::io::Error::other("the reader stopped before the end");
                return Err(RestoreError::Unreadable { path, source });
            }
        };
        if bytes != manifest.file.bytes || !found.eq_ignore_ascii_case(&manifest.file.sha256) {
            return Err(RestoreError::Damaged {
                path,
                expected: manifest.file.sha256.clone(),
                found,
            });
        }
        Ok(())
    }
}

/// Reads the backup's items on a thread: the local file, or the stored object streamed from
/// its store; its bytes hashed on the way when `accepted.hash_on_load`.
pub(super) async fn items_of(accepted: &Accepted, engine: Engine) -> Result<Items, RestoreError> {
    let path = accepted.request.file.clone();
    let unreadable = |source| RestoreError::Unreadable {
        path: path.clone(),
        source,
    };
    let (raw, compression): (Box<dyn Read + Send>, Compression) = match &accepted.remote {
        None => {
            let mut file = std::fs::File::open(&path).map_err(unreadable)?;
            let compression = Compression::of_file(&mut file).map_err(unreadable)?;
            (Box::new(file), compression)
        }
        Some(remote) => {
            let opening = remote.clone();
            let raw = tokio::task::spawn_blocking(move || opening.open_raw())
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|r| r)
                .map_err(unreadable)?;
            (raw, remote.manifest.file.compression)
        }
    };
    if !accepted.hash_on_load {
        let reader = compression::decoded(raw, compression).map_err(unreadable)?;
        return Ok(lex_on_thread(reader, engine, None));
    }
    let tap = Tap {
        raw: Arc::new(Mutex::new(raw)),
        state: Arc::new(Mutex::new((Sha256::new(), 0))),
    };
    let reader = compression::decoded(Box::new(tap.clone()), compression).map_err(unreadable)?;
    Ok(lex_on_thread(reader, engine, Some(tap)))
}

/// The raw bytes of the backup, hashed as the decompressor reads them.
#[derive(Clone)]
struct Tap {
    raw: Arc<Mutex<Box<dyn Read + Send>>>,
    state: Arc<Mutex<(Sha256, u64)>>,
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self
            .raw
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .read(buf)?;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0.update(&buf[..n]);
        state.1 += n as u64;
        Ok(n)
    }
}

impl Tap {
    /// Reads what the decompressor left (bytes after the last frame) and says what was read.
    fn finish(mut self) -> std::io::Result<(u64, String)> {
        let mut rest = vec![0u8; 1 << 16];
        loop {
            match self.read(&mut rest) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Ok((state.1, hex(&state.0.clone().finalize())))
    }
}

fn lex_on_thread(
    reader: Box<dyn std::io::BufRead + Send>,
    engine: Engine,
    tap: Option<Tap>,
) -> Items {
    let (tx, rx) = mpsc::channel(32);
    let (hashed_tx, hashed_rx) = oneshot::channel();
    let hashing = tap.is_some();
    std::thread::spawn(move || {
        let mut lexer = Lexer::new(reader, engine);
        loop {
            let item = lexer.next_item();
            let stop = !matches!(item, Ok(Some(_)));
            let sent = match item {
                Ok(Some(item)) => tx.blocking_send(Ok(item)),
                Ok(None) => {
                    // The end: the hash goes out before the channel closes.
                    if let Some(tap) = tap {
                        let _ = hashed_tx.send(tap.finish());
                    }
                    break;
                }
                Err(e) => tx.blocking_send(Err(e)),
            };
            if stop || sent.is_err() {
                break;
            }
        }
    });
    Items {
        ahead: VecDeque::new(),
        rx,
        hashed: hashing.then_some(hashed_rx),
    }
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
    /// The statement an item of the file carries, counted; `None` for an item a loader
    /// passes over: a comment (noted) or COPY data that travels with its statement.
    pub fn statement(
        &mut self,
        item: Result<Item, LexError>,
    ) -> Result<Option<(String, u64)>, RestoreError> {
        match item? {
            Item::Statement { sql, line } => {
                self.statements += 1;
                Ok(Some((sql, line)))
            }
            Item::Comment { text, .. } => {
                self.comment(&text);
                Ok(None)
            }
            Item::BinaryStatement { line, .. } => Err(LexError::NotUtf8 { line }.into()),
            Item::Meta { .. } | Item::CopyData { .. } | Item::CopyEnd { .. } => Ok(None),
        }
    }

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
/// Compares the rows counted in the loaded tables with what the backup holds (its manifest,
/// else what the loader sent), and the loader's total with the file's end marker. `Err` means
/// the load must not be kept.
pub(super) fn judge(
    counted: Vec<(String, u64)>,
    manifest: Option<&Manifest>,
    loaded: &Loaded,
) -> Result<Vec<RestoredTable>, RestoreError> {
    if manifest.is_none()
        && let Some((marked_tables, marked)) = loaded.footer
        && (marked != loaded.total_rows() || marked_tables != loaded.tables.len() as u64)
    {
        return Err(RestoreError::FooterMismatch {
            marked_tables,
            marked,
            loaded_tables: loaded.tables.len() as u64,
            loaded: loaded.total_rows(),
        });
    }
    let expected_of = |name: &str| match manifest {
        Some(m) => m.tables.iter().find(|t| t.name == name).map(|t| t.rows),
        None => loaded.rows_of(name),
    };
    let mut tables: Vec<RestoredTable> = counted
        .into_iter()
        .map(|(name, rows)| RestoredTable {
            expected: expected_of(&name),
            name,
            rows,
        })
        .collect();
    let mut missing = Vec::new();
    if let Some(m) = manifest {
        for entry in &m.tables {
            if entry.rows > 0 && !tables.iter().any(|t| t.name == entry.name) {
                tables.push(RestoredTable {
                    name: entry.name.clone(),
                    rows: 0,
                    expected: Some(entry.rows),
                });
            }
        }
    } else {
        // Every table the file made or filled must be there after it: a statement of the file
        // may have dropped one (an altered file).
        for (name, rows) in &loaded.tables {
            if !tables.iter().any(|t| t.name == *name) {
                missing.push(format!("{name} missing, {rows} rows expected"));
            }
        }
    }
    let wrong: Vec<String> = tables
        .iter()
        .filter_map(|t| match t.expected {
            Some(e) if e != t.rows => Some(format!("{} {} rows, {e} expected", t.name, t.rows)),
            _ => None,
        })
        .chain(missing)
        .collect();
    if wrong.is_empty() {
        Ok(tables)
    } else {
        Err(RestoreError::CountMismatch {
            tables: wrong,
            against_manifest: manifest.is_some(),
        })
    }
}
