//! Whether a probe's SQL is one read-only query. Probes can come from any `--releases-dir`
//! file, and the READ ONLY transaction they run in refuses writes to tables but not every other
//! effect: MySQL still writes the file of a `SELECT … INTO OUTFILE`, and Postgres functions
//! read server files, sleep, take locks or open connections to other servers.
//!
//! This is a token check, not a parser. The text is split into quoted parts and code; the code
//! must start with SELECT or WITH and must not hold what a measuring query never needs: a second
//! statement, a comment, INTO, a row lock, a write, or a function or command with side effects
//! that can be named. Functions defined in the database itself are left to the transaction.

use crate::db::Engine;

/// Words that make a query more than a read, and what they do. A trailing `*` matches every
/// word starting with the rest (a family of functions).
const REFUSED_WORDS: &[(&str, &str)] = &[
    (
        "INTO",
        "SELECT … INTO writes the result to a file, a variable or a new table",
    ),
    ("INSERT", "it writes rows"),
    ("UPDATE", "it writes or locks rows"),
    ("DELETE", "it deletes rows"),
    ("MERGE", "it writes rows"),
    (
        "COPY",
        "it copies data to or from server files and programs",
    ),
    ("LOAD_FILE", "it reads files on the database server"),
    ("PG_READ_FILE", "it reads files on the database server"),
    (
        "PG_READ_BINARY_FILE",
        "it reads files on the database server",
    ),
    ("PG_STAT_FILE", "it reads files on the database server"),
    ("PG_LS_*", "it lists folders on the database server"),
    ("PG_FILE_*", "it writes files on the database server"),
    ("LO_*", "large objects import and export server files"),
    ("SLEEP", "it makes the probe wait"),
    ("PG_SLEEP*", "it makes the probe wait"),
    ("BENCHMARK", "it keeps the server busy"),
    ("GET_LOCK", "it takes a lock"),
    ("RELEASE_LOCK", "it releases locks"),
    ("RELEASE_ALL_LOCKS", "it releases locks"),
    ("PG_ADVISORY*", "it takes a lock"),
    ("PG_TRY_ADVISORY*", "it takes a lock"),
    ("DBLINK*", "it runs SQL on another connection"),
    (
        "QUERY_TO_XML*",
        "it runs SQL given as text, which this check cannot see",
    ),
    ("CURSOR_TO_XML*", "it reads a cursor opened elsewhere"),
    ("SET_CONFIG", "it changes a server setting"),
    ("PG_RELOAD_CONF", "it reloads the server's configuration"),
    ("PG_ROTATE_LOGFILE", "it rotates the server's log"),
    ("PG_TERMINATE_BACKEND", "it ends other sessions"),
    ("PG_CANCEL_BACKEND", "it cancels other sessions' queries"),
    ("PG_NOTIFY", "it sends notifications"),
    ("NEXTVAL", "it advances a sequence"),
    ("SETVAL", "it changes a sequence"),
    ("SYS_EXEC", "it runs programs on the database server"),
    ("SYS_EVAL", "it runs programs on the database server"),
];

/// Why `sql` is not a single read-only SELECT or WITH query, as a phrase that completes
/// "the SQL …"; `None` when it is one.
pub fn refusal(sql: &str, dialect: Engine) -> Option<String> {
    let code = match code_outside_quotes(sql, dialect) {
        Ok(code) => code,
        Err(reason) => return Some(reason),
    };
    if code.contains(';') {
        return Some(
            "must be one statement: a ';' outside a string would start another".to_string(),
        );
    }
    let words: Vec<String> = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    if !matches!(words.first().map(String::as_str), Some("SELECT" | "WITH")) {
        return Some("must be a query starting with SELECT or WITH".to_string());
    }
    for pair in words.windows(2) {
        // FOR SHARE, FOR KEY SHARE, FOR NO KEY UPDATE, LOCK IN SHARE MODE (FOR UPDATE is
        // caught by UPDATE below).
        let locks = matches!(
            (pair[0].as_str(), pair[1].as_str()),
            ("FOR", "SHARE" | "KEY" | "NO") | ("LOCK", "IN")
        );
        if locks {
            return Some(format!(
                "must not lock rows ({} {} …)",
                pair[0].to_ascii_lowercase(),
                pair[1].to_ascii_lowercase()
            ));
        }
    }
    for word in &words {
        if let Some((_, why)) = REFUSED_WORDS
            .iter()
            .find(|(pattern, _)| matches(pattern, word))
        {
            return Some(format!("must not use {}: {why}", word.to_ascii_lowercase()));
        }
    }
    None
}

fn matches(pattern: &str, word: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => word == pattern,
    }
}

/// The code of `sql` with every quoted part (string or quoted name) replaced by a space.
///
/// Refused instead of guessed: a backslash (whether it escapes a quote depends on the engine and
/// its settings, so where a string ends would be a guess), comments (MySQL runs the inside of
/// `/*! … */`, and the engines do not agree on where `--` starts one), Postgres `$` (dollar
/// quoting and parameters) and an unterminated quote.
fn code_outside_quotes(sql: &str, dialect: Engine) -> Result<String, String> {
    if sql.contains('\\') {
        return Err(
            "must not contain a backslash: whether it escapes a quote depends on the engine \
             and its settings"
                .to_string(),
        );
    }
    let quotes: &[char] = match dialect {
        Engine::Mysql => &['\'', '"', '`'],
        Engine::Postgres => &['\'', '"'],
    };
    let mut code = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if quotes.contains(&c) {
            // A doubled quote stands for itself inside the quoted part.
            loop {
                match chars.next() {
                    None => return Err(format!("has an unterminated {c} quote")),
                    Some(q) if q == c && chars.peek() == Some(&c) => {
                        chars.next();
                    }
                    Some(q) if q == c => break,
                    Some(_) => {}
                }
            }
            code.push(' ');
            continue;
        }
        let next = chars.peek().copied();
        let comment = match (c, next) {
            ('-', Some('-')) | ('/', Some('*')) => true,
            ('#', _) => dialect == Engine::Mysql,
            _ => false,
        };
        if comment {
            return Err(
                "must not contain comments (--, # or /* */): MySQL runs /*! … */ and a comment \
                 could hide code from this check"
                    .to_string(),
            );
        }
        if c == '$' && dialect == Engine::Postgres {
            return Err(
                "must not use $ outside a string (dollar quoting or parameters)".to_string(),
            );
        }
        code.push(c);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(sql: &str) -> [Option<String>; 2] {
        [refusal(sql, Engine::Mysql), refusal(sql, Engine::Postgres)]
    }

    #[test]
    fn plain_queries_pass() {
        for sql in [
            "SELECT COUNT(*) FROM query_entity",
            "  select count(*)\n  from t where name = 'a;b -- c /* d */ # e'",
            "SELECT 'it''s', \"odd \"\" name\" FROM t",
            "WITH d AS (SELECT 1 AS n) SELECT n FROM d",
            "SELECT 'INTO OUTFILE and pg_sleep(1) are only text here' FROM t",
            "SELECT SUBSTRING(name FROM 1 FOR 3), updatedAt, deleted FROM t LIMIT 5",
            "SELECT CAST(COALESCE(SUM(c - 1), 0) AS BIGINT) FROM d",
        ] {
            assert_eq!(both(sql), [None, None], "{sql}");
        }
        assert_eq!(
            refusal(
                "SELECT COUNT(*) FROM t GROUP BY entityFQNHash, `timestamp`",
                Engine::Mysql
            ),
            None
        );
        assert_eq!(
            refusal(
                "SELECT COUNT(*) FROM t WHERE (json::jsonb #> '{a,b}') IS NOT NULL",
                Engine::Postgres
            ),
            None
        );
    }

    /// The first word of the refusal, for short assertions.
    fn refused(sql: &str, dialect: Engine) -> String {
        refusal(sql, dialect).unwrap_or_else(|| panic!("accepted: {sql}"))
    }

    #[test]
    fn a_second_statement_is_refused_wherever_the_semicolon_is() {
        for sql in [
            "SELECT 1; DROP TABLE query_entity",
            "SELECT 1;",
            "SELECT 'a'; SELECT 'b'",
        ] {
            for dialect in [Engine::Mysql, Engine::Postgres] {
                assert!(
                    refused(sql, dialect).starts_with("must be one statement"),
                    "{sql}"
                );
            }
        }
    }

    #[test]
    fn writing_files_variables_or_tables_with_into_is_refused() {
        for sql in [
            "SELECT json FROM dbservice_entity INTO OUTFILE '/tmp/om.txt'",
            "select json into dumpfile '/tmp/om.bin' from dbservice_entity limit 1",
            "SELECT COUNT(*) INTO @n FROM query_entity",
            "SELECT * INTO copy_of_t FROM t",
        ] {
            assert!(
                refused(sql, Engine::Mysql).starts_with("must not use into"),
                "{sql}"
            );
        }
    }

    #[test]
    fn row_locks_and_writes_are_refused() {
        for (sql, start) in [
            ("SELECT * FROM t FOR UPDATE", "must not use update"),
            (
                "SELECT * FROM t\n  FOR\n  SHARE",
                "must not lock rows (for share",
            ),
            (
                "SELECT * FROM t FOR NO KEY UPDATE",
                "must not lock rows (for no",
            ),
            (
                "SELECT * FROM t FOR KEY SHARE",
                "must not lock rows (for key",
            ),
            (
                "SELECT * FROM t LOCK IN SHARE MODE",
                "must not lock rows (lock in",
            ),
            (
                "WITH d AS (DELETE FROM t RETURNING id) SELECT COUNT(*) FROM d",
                "must not use delete",
            ),
            (
                "WITH d AS (INSERT INTO t VALUES (1) RETURNING id) SELECT 1",
                "must not use insert",
            ),
        ] {
            assert!(refused(sql, Engine::Postgres).starts_with(start), "{sql}");
        }
    }

    #[test]
    fn functions_and_commands_with_side_effects_are_refused() {
        for (sql, word) in [
            ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
            ("SELECT lo_export(16385, '/tmp/x')", "lo_export"),
            ("SELECT PG_SLEEP(30)", "pg_sleep"),
            ("SELECT pg_sleep_for('5 minutes')", "pg_sleep_for"),
            (
                "SELECT * FROM dblink('host=x', 'SELECT 1') AS t(n int)",
                "dblink",
            ),
            ("SELECT pg_advisory_lock(1)", "pg_advisory_lock"),
            (
                "SELECT query_to_xml('SELECT 1', true, true, '')",
                "query_to_xml",
            ),
            ("SELECT set_config('work_mem', '1GB', false)", "set_config"),
            ("SELECT LOAD_FILE('/etc/passwd')", "load_file"),
            ("SELECT SLEEP(30)", "sleep"),
            ("SELECT BENCHMARK(1000000000, MD5('x'))", "benchmark"),
            ("SELECT GET_LOCK('om', 10)", "get_lock"),
        ] {
            let why = refused(sql, Engine::Mysql);
            assert!(
                why.starts_with(&format!("must not use {word}:")),
                "{sql}: {why}"
            );
        }
        // A command is refused by its first word.
        assert_eq!(
            refused("COPY (SELECT 1) TO '/tmp/x'", Engine::Postgres),
            "must be a query starting with SELECT or WITH"
        );
    }

    #[test]
    fn what_could_hide_code_from_the_check_is_refused() {
        // MySQL runs the inside of /*! … */.
        assert!(
            refused("SELECT 1 /*! INTO OUTFILE '/tmp/x' */", Engine::Mysql)
                .starts_with("must not contain comments")
        );
        assert!(
            refused("SELECT 1 -- ;", Engine::Postgres).starts_with("must not contain comments")
        );
        assert!(refused("SELECT 1 # x", Engine::Mysql).starts_with("must not contain comments"));
        // With backslash escapes (MySQL's default) this string ends at the last quote; without
        // them (Postgres) at the second, leaving INTO OUTFILE as code: refused either way.
        assert!(
            refused("SELECT 'a\\' INTO OUTFILE ''/tmp/x'' '", Engine::Mysql)
                .starts_with("must not contain a backslash")
        );
        assert_eq!(
            refused("SELECT 'unterminated", Engine::Postgres),
            "has an unterminated ' quote"
        );
        assert!(refused("SELECT $$;$$", Engine::Postgres).starts_with("must not use $ outside"));
        // Backticks quote names on MySQL only; on Postgres the ';' between them is code.
        assert_eq!(refusal("SELECT `a;b` FROM t", Engine::Mysql), None);
        assert!(refused("SELECT `a;b` FROM t", Engine::Postgres).starts_with("must be one"));
    }
}
