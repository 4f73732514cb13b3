//! What the migration itself needs from the database: the rights to run its DDL
//! (`db.migration_rights`), utf8mb4 / UTF8 (`db.charset`) and a clean migration history
//! (`db.migration_state`). All three read the run's shared read-only snapshot.

use std::sync::Arc;

use super::db::CONNECT;
use super::{Check, CheckId, Context, Outcome};
use crate::db::charset::{self, Charsets, NotUtf8mb4};
use crate::db::inspect::{Product, quote_ident};
use crate::db::migrations::{self, Problem};
use crate::db::rights::{self, MysqlRights, PgRights, Rights};
use crate::db::{DbError, Engine};
use crate::humanize::plural;
use crate::version::Version;

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::Database;

pub const RIGHTS: CheckId = CheckId::new("db.migration_rights");
pub const CHARSET: CheckId = CheckId::new("db.charset");
pub const STATE: CheckId = CheckId::new("db.migration_state");

/// Items named one by one in details; the rest are counted.
const SHOWN: usize = 20;

pub fn checks(_ctx: &Context) -> Vec<Check> {
    vec![
        Check::new(
            RIGHTS,
            "Rights the migration needs (DDL, table ownership)",
            |ctx| async move { migration_rights(&ctx).await },
        )
        .after(CONNECT),
        Check::new(
            CHARSET,
            "Character set (utf8mb4 / UTF8)",
            |ctx| async move { charsets(&ctx).await },
        )
        .after(CONNECT),
        Check::new(STATE, "Migration history", |ctx| async move {
            migration_state(&ctx).await
        })
        .after(CONNECT),
    ]
}

fn no_connection(error: DbError) -> Outcome {
    Outcome::skip(format!("no database connection: {error}"))
}

fn query_failed(what: &str, error: DbError) -> Outcome {
    Outcome::fail(format!("could not {what}: {error}")).fix(error.remediation())
}

/// `… and 12 more`, after the first [`SHOWN`].
fn and_more(outcome: Outcome, total: usize) -> Outcome {
    if total > SHOWN {
        outcome.line(format!("… and {} more", total - SHOWN))
    } else {
        outcome
    }
}

async fn migration_rights(ctx: &Arc<Context>) -> Outcome {
    let snapshot = match ctx.snapshot().await {
        Ok(s) => s,
        Err(e) => return no_connection(e),
    };
    let mariadb = matches!(ctx.server_info().await, Ok(info) if info.product == Product::MariaDb);
    let rights =
        match rights::migration_rights(&snapshot, &ctx.settings.database.value, mariadb).await {
            Ok(r) => r,
            Err(e) => return query_failed("read the user's rights", e),
        };
    let outcome = match rights {
        Rights::Postgres(pg) => pg_outcome(&pg),
        Rights::Mysql(my) => mysql_outcome(&my, &ctx.settings.database.value),
    };
    outcome.line(
        "checked for the user om-upgrade connected as; the migration runs as the server's \
         database user (database.user in openmetadata.yaml, DB_USER)",
    )
}

fn pg_outcome(pg: &PgRights) -> Outcome {
    let user = quote_ident(Engine::Postgres, &pg.user);
    let schema = quote_ident(Engine::Postgres, &pg.schema);
    if pg.can_create && pg.not_owned.is_empty() {
        return Outcome::pass(format!(
            "user '{}' may ALTER all {} (owner or member of the owning role) and CREATE in \
             schema '{}'",
            pg.user,
            plural(pg.tables, "table", "tables"),
            pg.schema
        ));
    }
    let mut problems = Vec::new();
    if !pg.not_owned.is_empty() {
        problems.push(format!(
            "cannot ALTER {} of {}: only the owner (or a member of the owning role) may",
            pg.not_owned.len(),
            plural(pg.tables, "table", "tables")
        ));
    }
    if !pg.can_create {
        problems.push(format!("may not CREATE in schema '{}'", pg.schema));
    }
    let mut outcome = Outcome::fail(format!("user '{}' {}", pg.user, problems.join("; ")));
    for table in pg.not_owned.iter().take(SHOWN) {
        outcome = outcome.detail(table.table.clone(), format!("owned by '{}'", table.owner));
    }
    outcome = and_more(outcome, pg.not_owned.len());

    let mut fix = Vec::new();
    if !pg.not_owned.is_empty() {
        let mut owners: Vec<(&str, bool)> = pg
            .not_owned
            .iter()
            .map(|t| (t.owner.as_str(), t.owner_is_superuser))
            .collect();
        owners.sort();
        owners.dedup();
        fix.push("As the tables' owner or a superuser, give them to the migration's user:".into());
        if pg.not_owned.len() <= 10 {
            for table in &pg.not_owned {
                fix.push(format!(
                    "  ALTER TABLE {schema}.{} OWNER TO {user};",
                    quote_ident(Engine::Postgres, &table.table)
                ));
            }
        } else {
            for (owner, _) in &owners {
                fix.push(format!(
                    "  REASSIGN OWNED BY {} TO {user};   -- every object of that role in this database",
                    quote_ident(Engine::Postgres, owner)
                ));
            }
        }
        let grantable: Vec<&str> = owners
            .iter()
            .filter(|(_, superuser)| !superuser)
            .map(|(o, _)| *o)
            .collect();
        if !grantable.is_empty() {
            fix.push("or make it a member of the owning role:".into());
            for owner in grantable {
                fix.push(format!(
                    "  GRANT {} TO {user};",
                    quote_ident(Engine::Postgres, owner)
                ));
            }
        }
    }
    if !pg.can_create {
        fix.push(format!(
            "Let it create tables (PostgreSQL 15 no longer grants this on public to everyone):\n  GRANT CREATE ON SCHEMA {schema} TO {user};"
        ));
    }
    outcome.fix(fix.join("\n"))
}

fn mysql_outcome(my: &MysqlRights, database: &str) -> Outcome {
    let account = rights::account_literal(&my.account);
    let db = quote_ident(Engine::Mysql, database);
    let mut outcome = if my.missing.is_empty() {
        Outcome::pass(format!(
            "{account} has {} on {db}",
            rights::MYSQL_DDL.join(", ")
        ))
    } else {
        Outcome::fail(format!(
            "{account} lacks {} on {db}: the migration stops at its first such statement",
            my.missing.join(", ")
        ))
        .fix(format!(
            "As an administrator:\n  GRANT {} ON {db}.* TO {account};",
            my.missing.join(", ")
        ))
    };
    if !my.roles.is_empty() {
        outcome = outcome.detail("roles counted", my.roles.join(", "));
    }
    outcome
}

async fn charsets(ctx: &Arc<Context>) -> Outcome {
    let snapshot = match ctx.snapshot().await {
        Ok(s) => s,
        Err(e) => return no_connection(e),
    };
    let found = match charset::charsets(&snapshot).await {
        Ok(c) => c,
        Err(e) => return query_failed("read the character sets", e),
    };
    let database = &ctx.settings.database.value;
    match &found {
        Charsets::Postgres { encoding } if encoding.eq_ignore_ascii_case("UTF8") => {
            Outcome::pass(format!("database '{database}' is encoded UTF8"))
        }
        Charsets::Postgres { encoding } => Outcome::fail(format!(
            "database '{database}' is encoded {encoding}; OpenMetadata needs UTF8"
        ))
        .fix(format!(
            "PostgreSQL cannot change a database's encoding. Create a UTF8 one and restore a \
             backup into it, then point the server at it:\n  CREATE DATABASE {} ENCODING 'UTF8' \
             TEMPLATE template0;",
            quote_ident(Engine::Postgres, &format!("{database}_utf8"))
        )),
        Charsets::Mysql {
            database_charset,
            database_collation,
            not_utf8mb4,
        } => mysql_charsets(
            &found,
            database,
            database_charset,
            database_collation,
            not_utf8mb4,
        ),
    }
}

/// MySQL: the database default and every table and text column must be utf8mb4; the fix is
/// the ALTER statements that convert them.
fn mysql_charsets(
    found: &Charsets,
    database: &str,
    database_charset: &str,
    database_collation: &str,
    not_utf8mb4: &[NotUtf8mb4],
) -> Outcome {
    let db = quote_ident(Engine::Mysql, database);
    let default_ok = database_charset.eq_ignore_ascii_case("utf8mb4");
    if default_ok && not_utf8mb4.is_empty() {
        return Outcome::pass(format!(
            "database {db}, its tables and text columns are utf8mb4 ({database_collation})"
        ));
    }
    let tables = found.tables_to_convert();
    let columns = not_utf8mb4.iter().filter(|i| i.column.is_some()).count();
    let table_defaults = not_utf8mb4.len() - columns;
    let mut statements = Vec::new();
    if !default_ok {
        statements.push(format!("  ALTER DATABASE {db} CHARACTER SET utf8mb4;"));
    }
    for table in &tables {
        statements.push(format!(
            "  ALTER TABLE {} CONVERT TO CHARACTER SET utf8mb4;",
            quote_ident(Engine::Mysql, table)
        ));
    }
    let mut outcome = if not_utf8mb4.is_empty() {
        Outcome::warn(format!(
            "database {db} defaults to {database_charset} ({database_collation}): tables \
             the migration creates would not be utf8mb4"
        ))
    } else {
        let mut parts = Vec::new();
        if table_defaults > 0 {
            parts.push(plural(table_defaults, "table", "tables"));
        }
        if columns > 0 {
            parts.push(plural(columns, "text column", "text columns"));
        }
        let mut found_sets: Vec<&str> = not_utf8mb4.iter().map(|i| i.charset.as_str()).collect();
        found_sets.sort();
        found_sets.dedup();
        Outcome::fail(format!(
            "{} not utf8mb4 ({}): newer migrations fail on them",
            parts.join(" and ")
                + if not_utf8mb4.len() == 1 {
                    " is"
                } else {
                    " are"
                },
            found_sets.join(", ")
        ))
    };
    if !default_ok {
        outcome = outcome.detail(
            "database default",
            format!("{database_charset} ({database_collation})"),
        );
    }
    for item in not_utf8mb4.iter().take(SHOWN) {
        let (label, what) = match &item.column {
            None => (format!("table {}", item.table), "default"),
            Some(column) => (format!("column {}.{column}", item.table), "column"),
        };
        outcome = outcome.detail(
            label,
            format!("{} {what} ({})", item.charset, item.collation),
        );
    }
    outcome = and_more(outcome, not_utf8mb4.len());
    outcome.fix(format!(
        "With a backup taken and the server stopped (CONVERT rewrites each table; \
         rehearse on a copy first):\n{}",
        statements.join("\n")
    ))
}

async fn migration_state(ctx: &Arc<Context>) -> Outcome {
    let snapshot = match ctx.snapshot().await {
        Ok(s) => s,
        Err(e) => return no_connection(e),
    };
    let history = match migrations::history(&snapshot).await {
        Ok(h) => h,
        Err(e) => return query_failed("read the migration history", e),
    };
    if history.server_log.is_none() && history.flyway.is_none() {
        return Outcome::skip("no migration history tables (see db.openmetadata)");
    }
    let problems = history.problems();
    let level = history.schema_level();
    let applied = history
        .server_log
        .iter()
        .flatten()
        .filter(|r| {
            r.status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("COMPLETED"))
        })
        .count();
    let failures: Vec<&Problem> = problems.iter().filter(|p| p.is_failure()).collect();
    let level_text = level
        .as_ref()
        .map_or("no native migration".to_string(), |v| format!("schema {v}"));

    let mut outcome = if !failures.is_empty() {
        Outcome::fail(format!(
            "{} in the migration history ({level_text})",
            plural(
                failures.len(),
                "failed or unfinished entry",
                "failed or unfinished entries"
            )
        ))
        .fix(repair_advice(&failures))
    } else if let (Some(target), Some(level)) = (&ctx.target, &level)
        && target < level
    {
        Outcome::fail(format!(
            "the database is at {level_text}, newer than the target {target}: OpenMetadata \
             cannot migrate down"
        ))
        .fix("Choose a target at or above the database's version, or restore the backup taken before the last upgrade.")
    } else if !problems.is_empty() {
        Outcome::warn(format!(
            "{} applied out of order ({level_text})",
            plural(problems.len(), "version was", "versions were")
        ))
        .fix(
            "A migration applied after a newer one may have been skipped or run against a \
             newer schema: compare the tables with a fresh install of that release, or restore \
             a backup from before it, before upgrading.",
        )
    } else {
        Outcome::pass(format!(
            "clean history: {}, {level_text}",
            plural(applied, "native migration", "native migrations")
        ))
    };
    for problem in problems.iter().take(SHOWN) {
        let (label, text) = problem_detail(problem);
        outcome = outcome.detail(label, text);
    }
    outcome = and_more(outcome, problems.len());
    if let (Some(target), Some(level)) = (&ctx.target, &level)
        && target > level
    {
        outcome = outcome.line(migrates_through(ctx, level, target));
    }
    outcome
}

/// One line of the migration history's problems: the version, and what is wrong with it.
fn problem_detail(problem: &Problem) -> (String, String) {
    match problem {
        Problem::NotCompleted { version, status } => (version.clone(), format!("status {status}")),
        Problem::FlywayFailed { version, script } => (
            format!("Flyway {version}"),
            format!("{script} failed (success = false)"),
        ),
        Problem::Unfinished {
            version,
            statements,
        } => (
            version.clone(),
            format!(
                "{} ran, but the version was never recorded as done",
                plural(*statements as usize, "statement", "statements")
            ),
        ),
        Problem::OutOfOrder { version, after } => {
            (version.clone(), format!("applied after {after}"))
        }
    }
}

fn repair_advice(failures: &[&Problem]) -> String {
    let mut advice = Vec::new();
    if failures
        .iter()
        .any(|p| matches!(p, Problem::FlywayFailed { .. }))
    {
        advice.push(
            "Flyway refuses to migrate over a failed entry. With the server release that failed, \
             run `./bootstrap/openmetadata-ops.sh -c conf/openmetadata.yaml repair` (Flyway \
             repair removes failed entries), then `migrate` again.",
        );
    }
    if failures
        .iter()
        .any(|p| matches!(p, Problem::NotCompleted { .. }))
    {
        advice.push(
            "A STARTED or FAILED migration is not finished: `./bootstrap/openmetadata-ops.sh \
             repair` removes the FAILED rows; then run `migrate` again with the same release.",
        );
    }
    if failures
        .iter()
        .any(|p| matches!(p, Problem::Unfinished { .. }))
    {
        advice.push(
            "A migration stopped half-way: run `./bootstrap/openmetadata-ops.sh migrate` again \
             with the release that started it (statements already applied are skipped by their \
             checksum), or restore the backup taken before it.",
        );
    }
    advice.push("Take a backup first; upgrade only once the history is clean.");
    advice.join("\n")
}

/// "1.3.0 will run the migrations after 1.1.5 up to 1.3.0: releases 1.1.6–1.1.7, 1.2.0–1.2.5,
/// 1.3.0 …", one span per minor line from the catalogue's patch list.
fn migrates_through(ctx: &Context, level: &Version, target: &Version) -> String {
    let mut releases: Vec<Version> = ctx
        .catalogue()
        .map(|c| {
            c.releases()
                .iter()
                .flat_map(|r| r.patches.iter().cloned())
                .filter(|p| p > level && p <= target)
                .collect()
        })
        .unwrap_or_default();
    releases.sort();
    releases.dedup();
    let mut spans: Vec<(Version, Version)> = Vec::new();
    for release in releases {
        match spans.last_mut() {
            Some((first, last)) if first.minor_line() == release.minor_line() => *last = release,
            _ => spans.push((release.clone(), release)),
        }
    }
    let spans: Vec<String> = spans
        .iter()
        .map(|(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            }
        })
        .collect();
    let mut text = format!("{target} will run the migrations after {level} up to {target}");
    if !spans.is_empty() {
        text.push_str(&format!(
            ": releases {} (each that changes the schema has its own)",
            spans.join(", ")
        ));
    }
    text
}
