//! Reads SQL dump files statement by statement, without holding the file in memory: our own
//! backups, the official `metadata backup` files (one statement per line, sometimes with raw
//! newlines inside strings) and Postgres `COPY … FROM stdin` blocks.

use std::io::{BufRead, Read};

use crate::db::Engine;

/// Something read from a dump file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A `-- …` line between statements (without the dashes).
    Comment { text: String, line: u64 },
    /// A psql meta-command line between statements (`\restrict …` in newer pg_dump output).
    Meta { text: String, line: u64 },
    /// A statement without its terminating `;`.
    Statement { sql: String, line: u64 },
    /// A statement that is not valid UTF-8 (raw binary in a mysqldump file written without
    /// `--hex-blob`); only handed out when [`Lexer::allow_binary`] asked for it.
    BinaryStatement { bytes: Vec<u8>, line: u64 },
    /// Complete data lines of the current COPY block (each ends with `\n`).
    CopyData { data: Vec<u8>, rows: u64 },
    /// The `\.` line that ends a COPY block.
    CopyEnd { line: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexError {
    #[error(
        "line {line}: the statement starting here has no terminating ';' — the file ends inside it (truncated?)"
    )]
    UnterminatedStatement { line: u64 },
    #[error(
        "line {line}: the COPY data starting here has no '\\.' end line — the file ends inside it (truncated?)"
    )]
    UnterminatedCopy { line: u64 },
    #[error("line {line}: the statement is not valid UTF-8 text (corrupted file?)")]
    NotUtf8 { line: u64 },
    #[error(
        "line {line}: a statement or data row longer than {} without its end, more than a database server accepts in one (a damaged or hostile file?)",
        crate::humanize::bytes(*limit as u64)
    )]
    TooLong { line: u64, limit: usize },
    #[error("cannot read the file: {0}")]
    Io(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Normal,
    /// In a quoted string or identifier ended by `quote`; `escapes` when backslash escapes.
    Quoted {
        quote: u8,
        escapes: bool,
    },
    LineComment,
    BlockComment {
        depth: u32,
    },
    Dollar {
        tag: Vec<u8>,
    },
}

/// Flush COPY data in pieces of about this size.
const COPY_CHUNK: usize = 1 << 20;

/// The longest statement or COPY data row read: what PostgreSQL (1 GB per query string and COPY
/// line) and MySQL (`max_allowed_packet` at most 1 GB) accept in one. A longer one cannot load
/// anyway; reading it whole would let a small compressed file (one endless line) take all memory.
pub const MAX_STATEMENT_BYTES: usize = 1 << 30;

pub struct Lexer<R> {
    input: R,
    engine: Engine,
    /// 1-based number of the next line to read.
    line: u64,
    state: State,
    statement: Vec<u8>,
    statement_line: u64,
    /// Bytes left over on a line after a statement ended mid-line.
    carry: Vec<u8>,
    copy: Option<u64>,
    /// The `\.` line of a COPY block whose last rows were just handed out.
    pending_end: Option<u64>,
    finished: bool,
    binary: bool,
    /// [`MAX_STATEMENT_BYTES`], lower in tests.
    max_statement: usize,
}

impl<R: BufRead> Lexer<R> {
    pub fn new(input: R, engine: Engine) -> Self {
        Lexer {
            input,
            engine,
            line: 1,
            state: State::Normal,
            statement: Vec::new(),
            statement_line: 1,
            carry: Vec::new(),
            copy: None,
            pending_end: None,
            finished: false,
            binary: false,
            max_statement: MAX_STATEMENT_BYTES,
        }
    }

    /// Reads up to the next newline into `buf`, refusing a line that would take a statement
    /// of `already` bytes past [`MAX_STATEMENT_BYTES`] (without reading more than that).
    fn read_line(
        &mut self,
        buf: &mut Vec<u8>,
        already: usize,
        line: u64,
    ) -> Result<usize, LexError> {
        let start = buf.len();
        let allowance = self.max_statement.saturating_sub(already) as u64 + 1;
        let read = (&mut self.input)
            .take(allowance)
            .read_until(b'\n', buf)
            .map_err(|e| LexError::Io(e.to_string()))?;
        if already + (buf.len() - start) > self.max_statement {
            self.finished = true;
            return Err(LexError::TooLong {
                line,
                limit: self.max_statement,
            });
        }
        Ok(read)
    }

    /// Hands out statements that are not valid UTF-8 as [`Item::BinaryStatement`] instead of
    /// failing: for reading files whose loader takes raw bytes (the mysql client).
    pub fn allow_binary(&mut self, allow: bool) {
        self.binary = allow;
    }

    /// The next item, `Ok(None)` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<Item>, LexError> {
        if let Some(line) = self.pending_end.take() {
            return Ok(Some(Item::CopyEnd { line }));
        }
        if self.finished {
            return Ok(None);
        }
        if let Some(start) = self.copy {
            return self.copy_data(start).map(Some);
        }
        loop {
            let mut line = std::mem::take(&mut self.carry);
            let from_carry = !line.is_empty();
            if !from_carry {
                let already = self.statement.len();
                let first = if already == 0 {
                    self.line
                } else {
                    self.statement_line
                };
                let read = self.read_line(&mut line, already, first)?;
                if read == 0 {
                    self.finished = true;
                    if self.statement.iter().any(|b| !b.is_ascii_whitespace()) {
                        return Err(LexError::UnterminatedStatement {
                            line: self.statement_line,
                        });
                    }
                    return Ok(None);
                }
                self.line += 1;
            }
            let line_no = self.line - 1;
            // A comment line between statements is an item of its own (headers, footers).
            if self.state == State::Normal && self.statement.iter().all(u8::is_ascii_whitespace) {
                let trimmed = trim_ascii(&line);
                if let Some(text) = trimmed.strip_prefix(b"--") {
                    self.statement.clear();
                    let text = String::from_utf8_lossy(text).trim().to_string();
                    return Ok(Some(Item::Comment {
                        text,
                        line: line_no,
                    }));
                }
                if trimmed.is_empty() {
                    continue;
                }
                if self.engine == Engine::Postgres && trimmed.starts_with(b"\\") {
                    self.statement.clear();
                    let text = String::from_utf8_lossy(trimmed).into_owned();
                    return Ok(Some(Item::Meta {
                        text,
                        line: line_no,
                    }));
                }
                if self.statement.is_empty() {
                    self.statement_line = line_no;
                }
            }
            match self.scan(&line) {
                Some(end) => {
                    if let Some(item) = self.end_statement(&line, end)? {
                        return Ok(Some(item));
                    }
                }
                None => self.statement.extend_from_slice(&line),
            }
        }
    }

    /// The statement ends at `line[end]` (its `;`): the item it makes, `None` for an empty
    /// statement. What follows the `;` on the line is carried to the next call.
    fn end_statement(&mut self, line: &[u8], end: usize) -> Result<Option<Item>, LexError> {
        self.statement.extend_from_slice(&line[..end]);
        let rest = &line[end + 1..];
        if rest.iter().any(|b| !b.is_ascii_whitespace()) {
            self.carry = rest.to_vec();
            // The carried bytes are still on this line.
        }
        let raw = std::mem::take(&mut self.statement);
        let line = self.statement_line;
        let sql = match String::from_utf8(raw) {
            Ok(sql) => sql.trim().to_string(),
            Err(e) if self.binary => {
                let bytes = trim_ascii(e.as_bytes()).to_vec();
                return Ok(Some(Item::BinaryStatement { bytes, line }));
            }
            Err(_) => return Err(LexError::NotUtf8 { line }),
        };
        if sql.is_empty() {
            return Ok(None);
        }
        if is_copy_from_stdin(&sql) {
            self.copy = Some(self.line);
        }
        Ok(Some(Item::Statement { sql, line }))
    }

    fn copy_data(&mut self, start: u64) -> Result<Item, LexError> {
        let mut data = Vec::new();
        let mut rows = 0;
        loop {
            let before = data.len();
            let line = self.line;
            let read = self.read_line(&mut data, 0, line)?;
            if read == 0 {
                self.finished = true;
                return Err(LexError::UnterminatedCopy { line: start });
            }
            self.line += 1;
            let row = &data[before..];
            if row == b"\\.\n" || row == b"\\.\r\n" || row == b"\\." {
                data.truncate(before);
                if data.is_empty() {
                    self.copy = None;
                    return Ok(Item::CopyEnd {
                        line: self.line - 1,
                    });
                }
                // Hand out the rows first; the end is reported by the next call.
                self.copy = None;
                self.pending_end = Some(self.line - 1);
                return Ok(Item::CopyData { data, rows });
            }
            if !row.ends_with(b"\n") {
                self.finished = true;
                return Err(LexError::UnterminatedCopy { line: start });
            }
            rows += 1;
            if data.len() >= COPY_CHUNK {
                return Ok(Item::CopyData { data, rows });
            }
        }
    }

    /// Scans one line from the current state; returns the index of a statement-ending `;`.
    fn scan(&mut self, line: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < line.len() {
            let skip = if matches!(self.state, State::Normal) {
                match self.in_code(line, i) {
                    Some(skip) => skip,
                    None => return Some(i),
                }
            } else {
                self.in_quote_or_comment(line, i)
            };
            i += skip + 1;
        }
        None
    }

    /// The byte at `i` in code: `None` for a statement-ending `;`, else how many bytes after
    /// it were read too (a two-byte comment opener, a dollar tag).
    fn in_code(&mut self, line: &[u8], i: usize) -> Option<usize> {
        let mysql = self.engine == Engine::Mysql;
        let next = line.get(i + 1).copied();
        match line[i] {
            b';' => return None,
            b'\'' => {
                let e_string = !mysql
                    && i > 0
                    && matches!(line[i - 1], b'E' | b'e')
                    && (i < 2 || !is_ident_byte(line[i - 2]));
                self.state = State::Quoted {
                    quote: b'\'',
                    escapes: mysql || e_string,
                };
            }
            b'"' => {
                self.state = State::Quoted {
                    quote: b'"',
                    escapes: mysql,
                }
            }
            b'`' if mysql => {
                self.state = State::Quoted {
                    quote: b'`',
                    escapes: false,
                }
            }
            b'-' if next == Some(b'-')
                && (!mysql
                    || line
                        .get(i + 2)
                        .is_none_or(|c| c.is_ascii_whitespace() || c.is_ascii_control())) =>
            {
                self.state = State::LineComment;
                return Some(1);
            }
            b'#' if mysql => self.state = State::LineComment,
            b'/' if next == Some(b'*') => {
                self.state = State::BlockComment { depth: 1 };
                return Some(1);
            }
            b'$' if !mysql && (i == 0 || !is_ident_byte(line[i - 1])) => {
                if let Some(len) = dollar_tag_len(&line[i..]) {
                    self.state = State::Dollar {
                        tag: line[i..i + len].to_vec(),
                    };
                    return Some(len - 1);
                }
            }
            _ => {}
        }
        Some(0)
    }

    /// The byte at `i` inside a quoted string, a comment or a dollar-quoted body; returns how
    /// many bytes after it were read too.
    fn in_quote_or_comment(&mut self, line: &[u8], i: usize) -> usize {
        let mysql = self.engine == Engine::Mysql;
        let b = line[i];
        let next = line.get(i + 1).copied();
        match &mut self.state {
            State::Normal => 0,
            State::Quoted { quote, escapes } => {
                if *escapes && b == b'\\' {
                    1
                } else if b == *quote {
                    if next == Some(*quote) {
                        1
                    } else {
                        self.state = State::Normal;
                        0
                    }
                } else {
                    0
                }
            }
            State::LineComment => {
                if b == b'\n' {
                    self.state = State::Normal;
                }
                0
            }
            State::BlockComment { depth } => {
                if b == b'*' && next == Some(b'/') {
                    *depth -= 1;
                    if *depth == 0 {
                        self.state = State::Normal;
                    }
                    1
                } else if b == b'/' && next == Some(b'*') && !mysql {
                    *depth += 1;
                    1
                } else {
                    0
                }
            }
            State::Dollar { tag } => {
                if b == b'$' && line[i..].starts_with(tag) {
                    let skip = tag.len() - 1;
                    self.state = State::Normal;
                    skip
                } else {
                    0
                }
            }
        }
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Length of a `$tag$` opening at the start of `bytes`.
fn dollar_tag_len(bytes: &[u8]) -> Option<usize> {
    let end = bytes[1..].iter().position(|&b| b == b'$')? + 1;
    let tag = &bytes[1..end];
    let valid =
        tag.iter().all(|&b| is_ident_byte(b)) && !tag.first().is_some_and(u8::is_ascii_digit);
    valid.then_some(end + 1)
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

fn is_copy_from_stdin(sql: &str) -> bool {
    let upper = sql.trim_end().to_ascii_uppercase();
    upper.starts_with("COPY ") && upper.ends_with("FROM STDIN")
}

/// The table a statement writes to or creates (`INSERT INTO t`, `COPY t`, `CREATE TABLE t`,
/// `TRUNCATE TABLE t`), unquoted and without its schema; `None` for other statements. Quoted
/// names may hold spaces, dots and doubled quotes.
pub fn statement_table(sql: &str) -> Option<String> {
    statement_table_bytes(sql.as_bytes())
}

/// [`statement_table`] of a statement that may not be valid UTF-8.
pub fn statement_table_bytes(sql: &[u8]) -> Option<String> {
    let mut words = Words { sql, at: 0 };
    let first = words.keyword()?;
    let takes_table = match first.as_str() {
        "INSERT" => {
            let mut next = words.keyword()?;
            if next == "IGNORE" {
                next = words.keyword()?;
            }
            next == "INTO"
        }
        "COPY" => true,
        "CREATE" => {
            words.keyword()? == "TABLE" && {
                let save = words.at;
                if words.keyword().as_deref() == Some("IF") {
                    words.keyword()? == "NOT" && words.keyword()? == "EXISTS"
                } else {
                    words.at = save;
                    true
                }
            }
        }
        "TRUNCATE" => {
            let save = words.at;
            if words.keyword().as_deref() != Some("TABLE") {
                words.at = save;
            }
            true
        }
        _ => false,
    };
    if !takes_table {
        return None;
    }
    words.qualified_name()
}

/// Reads keywords and identifiers off the front of a statement.
struct Words<'a> {
    sql: &'a [u8],
    at: usize,
}

impl Words<'_> {
    fn skip_space(&mut self) {
        while self.sql.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// The next bare word, upper-cased.
    fn keyword(&mut self) -> Option<String> {
        self.skip_space();
        let start = self.at;
        while self.sql.get(self.at).is_some_and(u8::is_ascii_alphabetic) {
            self.at += 1;
        }
        (self.at > start)
            .then(|| String::from_utf8_lossy(&self.sql[start..self.at]).to_ascii_uppercase())
    }

    /// `a`, `"a b"`, `` `a``b` `` or `schema.name`: the last part, unquoted.
    fn qualified_name(&mut self) -> Option<String> {
        self.skip_space();
        let mut name = self.identifier()?;
        while self.sql.get(self.at) == Some(&b'.') {
            self.at += 1;
            name = self.identifier()?;
        }
        Some(name)
    }

    fn identifier(&mut self) -> Option<String> {
        match self.sql.get(self.at).copied()? {
            quote @ (b'`' | b'"') => {
                let mut name = Vec::new();
                self.at += 1;
                loop {
                    let b = *self.sql.get(self.at)?;
                    self.at += 1;
                    if b == quote {
                        if self.sql.get(self.at) == Some(&quote) {
                            self.at += 1;
                        } else {
                            break;
                        }
                    }
                    name.push(b);
                }
                Some(String::from_utf8_lossy(&name).into_owned())
            }
            _ => {
                let start = self.at;
                while self
                    .sql
                    .get(self.at)
                    .is_some_and(|&b| is_ident_byte(b) || b == b'$')
                {
                    self.at += 1;
                }
                (self.at > start)
                    .then(|| String::from_utf8_lossy(&self.sql[start..self.at]).into_owned())
            }
        }
    }
}

/// The value tuples of an `INSERT … VALUES (…),(…)` statement, each as written.
pub fn insert_tuples(sql: &[u8], engine: Engine) -> Vec<&[u8]> {
    let bytes = sql;
    let Some(values) = find_values_keyword(bytes, engine) else {
        return Vec::new();
    };
    let mut tuples = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    let mut quote: Option<(u8, bool)> = None;
    let mut i = values;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some((q, escapes)) = quote {
            if escapes && b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                if bytes.get(i + 1) == Some(&q) {
                    i += 2;
                    continue;
                }
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'\'' => {
                let e_string =
                    engine == Engine::Postgres && i > 0 && matches!(bytes[i - 1], b'E' | b'e');
                quote = Some((b'\'', engine == Engine::Mysql || e_string));
            }
            b'"' => quote = Some((b'"', engine == Engine::Mysql)),
            b'(' => {
                if depth == 0 {
                    start = Some(i);
                }
                depth += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(s) = start.take()
                {
                    tuples.push(&bytes[s..=i]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    tuples
}

/// Position just after the top-level `VALUES` keyword.
fn find_values_keyword(bytes: &[u8], engine: Engine) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i + 6 <= bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if engine == Engine::Mysql && b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'\'' | b'"' | b'`' => quote = Some(b),
            b'V' | b'v'
                if bytes[i..i + 6].eq_ignore_ascii_case(b"VALUES")
                    && (i == 0 || !is_ident_byte(bytes[i - 1]))
                    && bytes.get(i + 6).is_none_or(|c| !is_ident_byte(*c)) =>
            {
                return Some(i + 6);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests;
