//! Can this user run the migration's DDL? PostgreSQL: CREATE on the schema and ownership of
//! (or membership in the role that owns) every table, since only a table's owner may ALTER it.
//! MySQL/MariaDB: CREATE, ALTER, INDEX, DROP and REFERENCES on the database, read from the
//! grants (global, on the database or a pattern matching it, `ALL PRIVILEGES`, and the grants
//! of the roles a new session has).

use serde::Serialize;

use super::inspect::quote_ident;
use super::read::{ReadQuery, texts};
use super::{Cell, DbError, Engine};

/// The MySQL privileges the migrations use on the database.
pub const MYSQL_DDL: [&str; 5] = ["CREATE", "ALTER", "INDEX", "DROP", "REFERENCES"];

/// A table this user may not ALTER, and who owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotOwned {
    pub table: String,
    pub owner: String,
    /// A superuser role: membership in it is not advice anyone should take.
    pub owner_is_superuser: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PgRights {
    pub user: String,
    pub schema: String,
    pub can_create: bool,
    pub tables: usize,
    pub not_owned: Vec<NotOwned>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MysqlRights {
    /// `user@host` as the server authenticated it (`CURRENT_USER()`).
    pub account: String,
    pub missing: Vec<&'static str>,
    /// Roles whose grants were counted.
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "engine", rename_all = "lowercase")]
pub enum Rights {
    Postgres(PgRights),
    Mysql(MysqlRights),
}

/// Reads the rights; `database` is the MySQL database (ignored on Postgres, which uses the
/// session's schema). `mariadb` picks MariaDB's spelling of the role queries.
pub async fn migration_rights(
    q: &impl ReadQuery,
    database: &str,
    mariadb: bool,
) -> Result<Rights, DbError> {
    match q.engine() {
        Engine::Postgres => pg_rights(q).await.map(Rights::Postgres),
        Engine::Mysql => mysql_rights(q, database, mariadb).await.map(Rights::Mysql),
    }
}

async fn pg_rights(q: &impl ReadQuery) -> Result<PgRights, DbError> {
    let head = q
        .rows(
            "SELECT current_user::text, current_schema()::text, \
             has_schema_privilege(current_schema(), 'CREATE')",
        )
        .await?;
    let row = head.first().cloned().unwrap_or_default();
    let get = |i: usize| row.get(i).and_then(Cell::as_text).unwrap_or_default();
    let can_create = row.get(2).and_then(Cell::as_i64) == Some(1);
    // pg_has_role(..., 'USAGE'): the owner itself, a member that inherits its rights, or a
    // superuser; exactly who may ALTER a table.
    let tables = q
        .rows(
            "SELECT c.relname::text, r.rolname::text, r.rolsuper, \
                    pg_has_role(current_user, c.relowner, 'USAGE') \
             FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_roles r ON r.oid = c.relowner \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
             ORDER BY c.relname",
        )
        .await?;
    let not_owned = tables
        .iter()
        .filter(|r| r.get(3).and_then(Cell::as_i64) != Some(1))
        .map(|r| NotOwned {
            table: r.first().and_then(Cell::as_text).unwrap_or_default(),
            owner: r.get(1).and_then(Cell::as_text).unwrap_or_default(),
            owner_is_superuser: r.get(2).and_then(Cell::as_i64) == Some(1),
        })
        .collect();
    Ok(PgRights {
        user: get(0),
        schema: get(1),
        can_create,
        tables: tables.len(),
        not_owned,
    })
}

async fn mysql_rights(
    q: &impl ReadQuery,
    database: &str,
    mariadb: bool,
) -> Result<MysqlRights, DbError> {
    let account = texts(&q.rows("SELECT CURRENT_USER()").await?)
        .into_iter()
        .next()
        .unwrap_or_default();
    let mut lines = texts(&q.rows("SHOW GRANTS").await?);
    // The roles a new session starts with (the migration opens new sessions): MySQL 8
    // `CURRENT_ROLE()` lists them (`NONE` for none), MariaDB names the one default role.
    let active = texts(&q.rows("SELECT CURRENT_ROLE()").await?)
        .into_iter()
        .next()
        .filter(|r| !r.eq_ignore_ascii_case("NONE"))
        .map(|r| split_role_list(&r))
        .unwrap_or_default();
    if !active.is_empty() {
        if mariadb {
            for role in &active {
                let sql = format!("SHOW GRANTS FOR {}", quote_ident(Engine::Mysql, role));
                lines.extend(texts(&q.rows(&sql).await?));
            }
        } else {
            let using = active
                .iter()
                .map(|r| account_literal(r))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SHOW GRANTS FOR CURRENT_USER() USING {using}");
            lines.extend(texts(&q.rows(&sql).await?));
        }
    }
    let granted = granted_on(&lines, database);
    let missing = if granted.all {
        Vec::new()
    } else {
        MYSQL_DDL
            .into_iter()
            .filter(|p| !granted.privileges.iter().any(|g| g == p))
            .collect()
    };
    Ok(MysqlRights {
        account,
        missing,
        roles: active,
    })
}

/// `` `r1`@`%`,`r2`@`%` `` or `r1` → the role names as written, unquoted.
fn split_role_list(text: &str) -> Vec<String> {
    split_top_level(text, ',')
        .into_iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .map(|r| match r.rsplit_once('@') {
            Some((name, host)) if host.starts_with('`') || host.starts_with('\'') => {
                format!("{}@{}", unquote(name), unquote(host))
            }
            _ => unquote(&r),
        })
        .collect()
}

/// `user@host` → `'user'@'host'`.
pub fn account_literal(account: &str) -> String {
    let (user, host) = account.rsplit_once('@').unwrap_or((account, "%"));
    format!(
        "'{}'@'{}'",
        user.replace('\'', "''"),
        host.replace('\'', "''")
    )
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    for q in ['`', '\'', '"'] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            let doubled = format!("{q}{q}");
            return t[1..t.len() - 1].replace(&doubled, &q.to_string());
        }
    }
    t.to_string()
}

/// Splits at `sep` outside quotes and parentheses.
fn split_top_level(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '`' | '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, c) if c == sep && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

/// The position of ` KEYWORD ` outside quotes and parentheses.
fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    let upper = text.to_ascii_uppercase();
    let needle = format!(" {keyword} ");
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '`' | '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ' ') if depth == 0 && upper[i..].starts_with(&needle) => return Some(i),
            _ => {}
        }
    }
    None
}

/// What the grant lines give on `database`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Granted {
    all: bool,
    privileges: Vec<String>,
}

fn granted_on(lines: &[String], database: &str) -> Granted {
    let mut granted = Granted::default();
    for line in lines {
        let Some(rest) = line.trim().strip_prefix("GRANT ") else {
            continue;
        };
        // `GRANT role TO user` has no ON: a role grant, handled through CURRENT_ROLE().
        let Some(on) = find_keyword(rest, "ON") else {
            continue;
        };
        let privileges = &rest[..on];
        let after_on = &rest[on + 4..];
        let target_end = find_keyword(after_on, "TO").unwrap_or(after_on.len());
        let target = after_on[..target_end].trim();
        let target = [
            "TABLE ",
            "FUNCTION ",
            "PROCEDURE ",
            "PACKAGE BODY ",
            "PACKAGE ",
        ]
        .iter()
        .find_map(|kind| target.strip_prefix(kind))
        .map_or(target, str::trim);
        if !covers_database(target, database) {
            continue;
        }
        for privilege in split_top_level(privileges, ',') {
            let privilege = privilege.trim().to_ascii_uppercase();
            // A column list (`SELECT (a, b)`) grants on columns only.
            if privilege.contains('(') {
                continue;
            }
            if privilege == "ALL" || privilege == "ALL PRIVILEGES" {
                granted.all = true;
            } else {
                granted.privileges.push(privilege);
            }
        }
    }
    granted
}

/// Whether a grant target (`*.*`, `` `db`.* ``, `` `om\_%`.* ``) covers the whole `database`.
fn covers_database(target: &str, database: &str) -> bool {
    let parts = split_top_level(target, '.');
    match parts.as_slice() {
        [db, object] if object.trim() == "*" => {
            let db = db.trim();
            db == "*" || like(&unquote(db), database)
        }
        [star] => star.trim() == "*",
        _ => false,
    }
}

/// SQL LIKE with `\` escapes, as MySQL matches database names in grants.
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some(('\\', rest)) if !rest.is_empty() => {
                !t.is_empty() && t[0] == rest[0] && go(&rest[1..], &t[1..])
            }
            Some((c, rest)) => !t.is_empty() && t[0] == *c && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn database_grants_global_grants_and_patterns_count() {
        let g = granted_on(
            &lines(&[
                "GRANT USAGE ON *.* TO `om`@`%` IDENTIFIED BY PASSWORD '*ABC'",
                "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER ON `openmetadata_db`.* TO `om`@`%`",
                "GRANT INDEX ON `open%`.* TO `om`@`%`",
                "GRANT DROP ON `other_db`.* TO `om`@`%`",
                "GRANT REFERENCES ON `openmetadata_db`.`table_entity` TO `om`@`%`",
                "GRANT SELECT (id, name), INSERT ON `openmetadata_db`.* TO `om`@`%`",
            ]),
            "openmetadata_db",
        );
        assert!(!g.all);
        for p in ["CREATE", "ALTER", "INDEX", "INSERT"] {
            assert!(g.privileges.iter().any(|x| x == p), "{p}: {g:?}");
        }
        // Table-level and other-database grants do not count.
        assert!(
            !g.privileges
                .iter()
                .any(|x| x == "DROP" || x == "REFERENCES")
        );
        assert!(
            granted_on(
                &lines(&["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"]),
                "x"
            )
            .all
        );
        assert!(granted_on(&lines(&["GRANT ALL ON `x`.* TO 'u'@'%'"]), "x").all);
    }

    #[test]
    fn escaped_underscores_match_only_themselves() {
        assert!(covers_database("`om\\_db`.*", "om_db"));
        assert!(!covers_database("`om\\_db`.*", "omxdb"));
        assert!(covers_database("`om_db`.*", "omxdb"));
        assert!(!covers_database("`om_db`.`t`", "om_db"));
        assert!(covers_database("*.*", "anything"));
    }

    #[test]
    fn role_lists_and_role_grants() {
        assert_eq!(
            split_role_list("`om_ddl`@`%`,`r2`@`localhost`"),
            vec!["om_ddl@%".to_string(), "r2@localhost".to_string()]
        );
        assert_eq!(split_role_list("om_ddl"), vec!["om_ddl".to_string()]);
        // A role grant line names no privilege.
        assert_eq!(
            granted_on(&lines(&["GRANT `om_ddl`@`%` TO `u`@`%`"]), "db"),
            Granted::default()
        );
        assert_eq!(account_literal("om@%"), "'om'@'%'");
        assert_eq!(account_literal("o'm@10.0.0.%"), "'o''m'@'10.0.0.%'");
    }
}
