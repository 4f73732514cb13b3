//! Database checks: reachability, server version, OpenMetadata detection, privileges, size and
//! the migration's sort memory.

use std::sync::Arc;
use std::time::Duration;

use super::{Check, CheckId, Context, Outcome, Status};
use crate::config::naming::Setting;
use crate::config::{DbSettings, Source};
use crate::db::inspect::{Detection, Era, OmInfo, Product, RowCount};
use crate::db::{DbError, Engine, admin};
use crate::humanize;
use crate::knowledge::Range;
use crate::version::Version;

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::Database;

pub const CONNECT: CheckId = CheckId::new("db.connect");
pub const SERVER_VERSION: CheckId = CheckId::new("db.server_version");
pub const OPENMETADATA: CheckId = CheckId::new("db.openmetadata");
pub const PRIVILEGES: CheckId = CheckId::new("db.privileges");
pub const SIZE: CheckId = CheckId::new("db.size");
pub const SORT_MEMORY: CheckId = CheckId::new("db.sort_memory");

/// The label of `db.openmetadata`'s detail that holds the installed schema version, for the
/// views that show it (the report's header).
pub const SCHEMA_VERSION_DETAIL: &str = "schema version";

pub fn checks(ctx: &Context) -> Vec<Check> {
    vec![
        Check::new(
            CONNECT,
            "Database reachable, login works",
            |ctx| async move { connect(&ctx).await },
        )
        // The connect attempt has its own timeout; leave room for the TLS query after it.
        .timeout(ctx.settings.connect_timeout + Duration::from_secs(10)),
        Check::new(
            SERVER_VERSION,
            "Database server version",
            |ctx| async move { server_version(&ctx).await },
        )
        .after(CONNECT),
        Check::new(
            OPENMETADATA,
            "OpenMetadata database and its version",
            |ctx| async move { openmetadata(&ctx).await },
        )
        .after(CONNECT),
        Check::new(
            PRIVILEGES,
            "User can read every table in one snapshot",
            |ctx| async move { privileges(&ctx).await },
        )
        .after(CONNECT),
        Check::new(SIZE, "Database size and row counts", |ctx| async move {
            size(&ctx).await
        })
        .after(CONNECT),
        Check::new(
            SORT_MEMORY,
            "Sort memory for the migration",
            |ctx| async move { sort_memory(&ctx).await },
        )
        .after(CONNECT),
    ]
}

/// For checks that run after `db.connect`: a missing connection is a skip, not a new failure.
fn no_connection(error: DbError) -> Outcome {
    Outcome::skip(format!("no database connection: {error}"))
}

fn query_failed(ctx: &Context, what: &str, error: DbError) -> Outcome {
    Outcome::fail(format!("could not {what}: {error}")).fix(error.remediation_named(ctx.naming))
}

async fn connect(ctx: &Arc<Context>) -> Outcome {
    let url = ctx.settings.display_url();
    let db = match ctx.db().await {
        Ok(db) => db,
        Err(error) => {
            let outcome = Outcome::fail(error.to_string()).detail("tried", url);
            return with_sources(outcome, &ctx.settings).fix(error.remediation_named(ctx.naming));
        }
    };
    let tls = match crate::db::inspect::tls_in_use(db).await {
        Ok(Some(cipher)) => format!("yes ({cipher})"),
        Ok(None) => "no (plain TCP)".to_string(),
        Err(e) => format!("unknown ({e})"),
    };
    let outcome = Outcome::pass(format!(
        "connected to {url} in {}",
        humanize::duration(db.connect_time)
    ))
    .detail("TLS", tls);
    with_sources(outcome, &ctx.settings)
}

/// Where each setting came from (user and host always, the others when not a default), the
/// settings with one source on one line: "user, host, port from: --db-url".
fn with_sources(mut outcome: Outcome, s: &DbSettings) -> Outcome {
    let mut settings = vec![("user", &s.user.source), ("host", &s.host.source)];
    for (name, source) in [
        ("port", &s.port.source),
        ("database", &s.database.source),
        ("engine", &s.engine.source),
    ] {
        if *source != Source::Default {
            settings.push((name, source));
        }
    }
    if let Some(password) = &s.password {
        settings.push(("password", &password.source));
    }
    let mut groups: Vec<(&Source, Vec<&str>)> = Vec::new();
    for (name, source) in settings {
        match groups.iter_mut().find(|(s, _)| *s == source) {
            Some((_, names)) => names.push(name),
            None => groups.push((source, vec![name])),
        }
    }
    for (source, names) in groups {
        outcome = outcome.detail(format!("{} from", names.join(", ")), source.to_string());
    }
    outcome
}

/// The database versions OpenMetadata documents for the target (or, without one, for the
/// installed release), from the release catalogue; `None` when neither is known.
async fn documented_range(ctx: &Context, product: Product) -> Option<(Range, String)> {
    let catalogue = ctx.catalogue().ok()?;
    let (release, whom) = match &ctx.target {
        Some(target) => (target.clone(), format!("OpenMetadata {target}")),
        None => match ctx.detection().await {
            Ok(Detection::OpenMetadata(info)) => {
                let installed = info.schema_version.clone()?;
                (
                    installed.clone(),
                    format!("the installed OpenMetadata {installed}"),
                )
            }
            _ => return None,
        },
    };
    let requirements = catalogue.requirements(&release);
    let range = match product {
        Product::Mysql => requirements.mysql,
        Product::Postgres => requirements.postgres,
        Product::MariaDb => None,
    }?;
    Some((range, whom))
}

async fn server_version(ctx: &Arc<Context>) -> Outcome {
    let info = match ctx.server_info().await {
        Ok(info) => info,
        Err(DbError::Other(e)) => return Outcome::fail(format!("could not read the version: {e}")),
        Err(e) => return no_connection(e),
    };
    let shown = format!("{} {}", info.product, info.version_text);
    if info.product == Product::MariaDb {
        return Outcome::warn(format!(
            "{shown}: OpenMetadata documents MySQL 8 and PostgreSQL only"
        ))
        .line("MariaDB is fine for a rehearsal, but production upgrades are only documented on MySQL 8.")
        .fix("Rehearse on MariaDB if you like; run the real upgrade against MySQL 8 or PostgreSQL.");
    }
    let Some((range, whom)) = documented_range(ctx, info.product).await else {
        return Outcome::pass(format!(
            "{shown} (give a target ({}) to compare it with what OpenMetadata documents)",
            ctx.naming.name(Setting::Target)
        ));
    };
    let Some(version) = &info.version else {
        return Outcome::warn(format!(
            "{shown}: cannot tell whether it is within {range}, what {whom} documents"
        ));
    };
    let version = Version::new(version.major, version.minor, version.patch);
    if range.contains(&version) {
        Outcome::pass(format!("{shown} ({whom} documents {range})"))
    } else if range.is_below(&version) {
        Outcome::warn(format!("{shown} is older than {whom} supports ({range})"))
            .detail("documented", range.to_string())
            .fix(format!(
                "Upgrade the database server to {} {range} before upgrading OpenMetadata.",
                info.product
            ))
    } else {
        Outcome::warn(format!(
            "{shown} is newer than {whom} documents ({range})"
        ))
        .detail("documented", range.to_string())
        .fix("Newer servers usually work; check OpenMetadata's release notes or rehearse the upgrade on a copy first.")
    }
}

async fn openmetadata(ctx: &Arc<Context>) -> Outcome {
    let detection = match ctx.detection().await {
        Ok(d) => d,
        Err(e @ DbError::PermissionDenied { .. }) => {
            return query_failed(ctx, "list the tables", e);
        }
        Err(e) => return no_connection(e),
    };
    let database = &ctx.settings.database.value;
    let where_ = match ctx.settings.engine.value {
        Engine::Mysql => format!("database '{database}'"),
        Engine::Postgres => format!(
            "schema '{}' of database '{database}'",
            ctx.settings.schema.value
        ),
    };
    match detection {
        Detection::NotOpenMetadata {
            table_count,
            missing,
        } => {
            let why = if *table_count == 0 {
                "it has no tables".to_string()
            } else {
                format!(
                    "it has {} but not {}",
                    humanize::plural(*table_count, "table", "tables"),
                    missing.join(", ")
                )
            };
            Outcome::fail(format!("{where_} is not an OpenMetadata database: {why}")).fix(format!(
                "Point the database ({}) at the one the OpenMetadata server uses (default \
                 openmetadata_db); on Postgres also check the schema ({}). To rehearse, create \
                 a sample with `om-upgrade demo`.",
                ctx.naming.name(Setting::Database),
                ctx.naming.name(Setting::Schema)
            ))
        }
        Detection::OpenMetadata(info)
            if info
                .tables
                .iter()
                .any(|t| t.eq_ignore_ascii_case(admin::UNFINISHED_RESTORE_TABLE)) =>
        {
            Outcome::fail(format!(
                "{where_} holds a restore that did not finish (table {}): its content is partial",
                admin::UNFINISHED_RESTORE_TABLE
            ))
            .fix(
                "Restore the backup again (om-upgrade restore FILE --force, with the same \
                 connection settings), or drop the database and restore into it.",
            )
        }
        Detection::OpenMetadata(info) => {
            let outcome = found_openmetadata(ctx, info, &where_);
            with_stagings(ctx, outcome).await
        }
    }
}

/// PostgreSQL: a parallel restore killed before its switch leaves its staging schema (a full
/// copy of the backup's tables) in the database; it holds no part of the target, but takes
/// the disk: named, to be dropped. (A running restore's schema is named too.)
async fn with_stagings(ctx: &Context, outcome: Outcome) -> Outcome {
    if ctx.settings.engine.value != Engine::Postgres {
        return outcome;
    }
    let Ok(db) = ctx.db().await else {
        return outcome;
    };
    let pattern = format!("{}%", admin::STAGING_PREFIX.replace('_', "\\_"));
    let names = match db
        .fetch_rows(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1",
            &[&pattern],
        )
        .await
    {
        Ok(rows) => rows
            .iter()
            .filter_map(|r| r.first().and_then(|c| c.as_text()))
            .collect::<Vec<_>>(),
        Err(_) => return outcome,
    };
    if names.is_empty() {
        return outcome;
    }
    let mut warned = match outcome.status {
        Status::Pass => Outcome {
            status: Status::Warn,
            ..outcome
        },
        _ => outcome,
    };
    warned.summary.push_str(&format!(
        "; it also holds the staging schema of a restore that did not finish (killed, or still running): {}",
        names.join(", ")
    ));
    if warned.remediation.is_none() {
        warned.remediation = Some(
            "When no restore runs, drop it: DROP SCHEMA <name> CASCADE (it holds no part of the \
             OpenMetadata tables)."
                .into(),
        );
    }
    warned
}

/// An OpenMetadata database: its schema level and bookkeeping; a migration left incomplete
/// warns, a target older than the schema fails.
fn found_openmetadata(ctx: &Context, info: &OmInfo, where_: &str) -> Outcome {
    let level = match (&info.schema_version, info.era) {
        (Some(v), _) => format!("OpenMetadata schema {v}"),
        (None, Era::FlywayOnly) => format!(
            "OpenMetadata 1.0.x or older (Flyway script {})",
            info.flyway_version.as_deref().unwrap_or("?")
        ),
        (None, _) => "OpenMetadata, with no applied migration recorded".to_string(),
    };
    let mut outcome = if info.incomplete_migrations.is_empty() {
        Outcome::pass(format!("{level} in {where_}"))
    } else {
        Outcome::warn(format!(
            "{level} in {where_}, but a migration did not complete: {}",
            info.incomplete_migrations.join(", ")
        ))
        .fix("Finish or repair the interrupted migration first (`./bootstrap/openmetadata-ops.sh repair`, then `migrate`), with a backup at hand.")
    };
    outcome = outcome
        .detail("bookkeeping", info.era.to_string())
        .detail("tables", info.tables.len().to_string())
        .detail("migrations applied", info.applied.len().to_string());
    if let Some(v) = &info.schema_version {
        outcome = outcome
            .detail(SCHEMA_VERSION_DETAIL, v.to_string())
            .line(format!(
                "the server that last migrated it is {v} or a later patch without migrations"
            ));
    }
    if let (Some(target), Some(current)) = (&ctx.target, &info.schema_version)
        && target < current
    {
        // The installed version stays said: the report and the target list use it.
        outcome = Outcome::fail(format!(
            "{level}: the target {target} is older; OpenMetadata cannot be downgraded"
        ))
        .detail(SCHEMA_VERSION_DETAIL, current.to_string())
        .fix("Choose a target at or above the installed version, or restore the backup taken before the last upgrade.");
    }
    outcome
}

async fn privileges(ctx: &Arc<Context>) -> Outcome {
    let db = match ctx.db().await {
        Ok(db) => db,
        Err(e) => return no_connection(e),
    };
    let report = match crate::db::inspect::privileges(db).await {
        Ok(r) => r,
        Err(e) => return query_failed(ctx, "check the privileges", e),
    };
    let user = &ctx.settings.user.value;
    if let Some(error) = &report.snapshot_error {
        return Outcome::fail(format!(
            "cannot open a consistent read-only snapshot: {error}"
        ))
        .fix("The backup needs a REPEATABLE READ read-only transaction; use the OpenMetadata server's own user.");
    }
    if !report.unreadable.is_empty() {
        let mut outcome = Outcome::fail(format!(
            "user '{user}' cannot read {} of {}",
            report.unreadable.len(),
            humanize::plural(report.tables_checked, "table", "tables")
        ));
        for (table, why) in report.unreadable.iter().take(10) {
            outcome = outcome.detail(table.clone(), why.clone());
        }
        return outcome.fix(format!(
            "Grant SELECT on every table of the metadata database to '{user}', or use the \
             OpenMetadata server's own database user."
        ));
    }
    if !report.non_transactional.is_empty() {
        let n = report.non_transactional.len();
        let (verb, them) = if n == 1 {
            ("is", "it")
        } else {
            ("are", "them")
        };
        let mut outcome = Outcome::warn(format!(
            "{} {verb} not InnoDB: a consistent snapshot does not cover {them}",
            humanize::plural(n, "table", "tables")
        ));
        for (table, engine) in &report.non_transactional {
            outcome = outcome.detail(table.clone(), engine.clone());
        }
        return outcome.fix("Stop the OpenMetadata server while backing up, so those tables cannot change during the backup.");
    }
    Outcome::pass(format!(
        "user '{user}' can read {} in one consistent snapshot",
        match report.tables_checked {
            1 => "the 1 table".to_string(),
            n => format!("all {n} tables"),
        }
    ))
}

async fn size(ctx: &Arc<Context>) -> Outcome {
    let tables = match ctx.tables().await {
        Ok(t) => t,
        Err(e @ DbError::PermissionDenied { .. }) => {
            return query_failed(ctx, "measure the tables", e);
        }
        Err(e) => return no_connection(e),
    };
    let data: u64 = tables.iter().map(|t| t.data_bytes).sum();
    let indexes: u64 = tables.iter().map(|t| t.index_bytes).sum();
    let rows: i64 = tables.iter().filter_map(|t| t.rows.value()).sum();
    let estimated = tables.iter().any(|t| !matches!(t.rows, RowCount::Exact(_)));
    let mut outcome = Outcome::pass(format!(
        "{} in {} (data {}, indexes {}), {}{}",
        humanize::bytes(data + indexes),
        humanize::plural(tables.len(), "table", "tables"),
        humanize::bytes(data),
        humanize::bytes(indexes),
        if estimated { "about " } else { "" },
        humanize::rows(rows.max(0) as u64)
    ));
    let mut largest: Vec<_> = tables.iter().collect();
    largest.sort_by_key(|t| std::cmp::Reverse(t.data_bytes + t.index_bytes));
    for table in largest.into_iter().take(5) {
        outcome = outcome.detail(
            table.name.clone(),
            format!(
                "{}, {}",
                match table.rows {
                    RowCount::Exact(n) => humanize::rows(n.max(0) as u64),
                    RowCount::Estimate(n) => format!("about {}", humanize::rows(n.max(0) as u64)),
                    RowCount::Unknown => "unknown rows".into(),
                },
                humanize::bytes(table.data_bytes + table.index_bytes)
            ),
        );
    }
    if estimated {
        outcome = outcome.line("row counts marked 'about' come from the server's statistics");
    }
    outcome
}

/// OpenMetadata's upgrade notes (since 1.2) ask for about 20 MB of sort memory during migration.
const RECOMMENDED_SORT_BYTES: i64 = 20 * 1024 * 1024;

async fn sort_memory(ctx: &Arc<Context>) -> Outcome {
    let db = match ctx.db().await {
        Ok(db) => db,
        Err(e) => return no_connection(e),
    };
    let bytes = match crate::db::inspect::sort_memory_bytes(db).await {
        Ok(b) => b,
        Err(e) => return query_failed(ctx, "read the sort memory setting", e),
    };
    let (name, fix) = match db.engine() {
        Engine::Mysql => (
            "sort_buffer_size",
            "Before the migration run `SET GLOBAL sort_buffer_size = 20971520;` (20 MB), \
             and set it back afterwards."
                .to_string(),
        ),
        Engine::Postgres => (
            "work_mem",
            format!(
                "Before the migration run `ALTER DATABASE \"{}\" SET work_mem = '20MB';` \
                 (new sessions pick it up), and `ALTER DATABASE \"{}\" RESET work_mem;` afterwards.",
                ctx.settings.database.value, ctx.settings.database.value
            ),
        ),
    };
    let shown = humanize::bytes(bytes.max(0) as u64);
    if bytes >= RECOMMENDED_SORT_BYTES {
        Outcome::pass(format!(
            "{name} is {shown} (OpenMetadata asks for about 20 MB)"
        ))
    } else {
        Outcome::warn(format!(
            "{name} is {shown}; migrations on large query tables can fail with \"Out of sort memory\""
        ))
        .fix(fix)
    }
}
