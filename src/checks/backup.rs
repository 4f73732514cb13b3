//! Backup checks: room for one, a recent verified one, and which methods this host has.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::{Check, CheckId, Context, Outcome};
use crate::backup::external::find_on_path;
use crate::backup::leftovers::{self, Unfinished};
use crate::backup::locate::{self, FoundBackup};
use crate::backup::space;
use crate::config::DbSettings;
use crate::config::command_line::connection_flags;
use crate::config::naming::Setting;
use crate::db::Engine;
use crate::humanize;
use crate::secrets::ScrubEnv;
use crate::shell::quote;

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::Backup;

pub const DISK_SPACE: CheckId = CheckId::new("backup.disk_space");
pub const RECENT: CheckId = CheckId::new("backup.recent");
pub const RECENT_TITLE: &str = "A recent verified backup of this database";
pub const TOOLS: CheckId = CheckId::new("backup.tools");

/// A backup older than this is not "the backup taken before the upgrade".
pub const RECENT_HOURS: i64 = 24;

pub fn checks(_ctx: &Context) -> Vec<Check> {
    vec![
        Check::new(DISK_SPACE, "Room for a backup", |ctx| async move {
            disk_space(&ctx).await
        })
        .after(super::db::SIZE),
        Check::new(
            RECENT,
            "A recent verified backup of this database",
            |ctx| async move { recent(&ctx) },
        ),
        Check::new(
            TOOLS,
            "Backup methods available on this host",
            |ctx| async move { tools(&ctx).await },
        )
        .timeout(Duration::from_secs(20)),
    ]
}

/// Comfortable: the backup fits twice (room for a compressed copy, a test restore's temp files).
const COMFORT_FACTOR: f64 = 2.0;

async fn disk_space(ctx: &Arc<Context>) -> Outcome {
    let tables = match ctx.tables().await {
        Ok(t) => t,
        Err(e) => return Outcome::skip(format!("database size unknown: {e}")),
    };
    // Indexes are rebuilt, not dumped: the file follows the table data, by a ratio (space.rs).
    let data: u64 = tables.iter().map(|t| t.data_bytes).sum();
    let folder = &ctx.backup_dir;
    let free = match space::available_bytes(folder) {
        Ok(free) => free,
        Err(e) => {
            return Outcome::fail(format!(
                "cannot tell the free space for {}: {e}",
                folder.display()
            ))
            .fix(format!(
                "Choose a backup folder on a mounted, writable file system ({}).",
                ctx.naming.name(Setting::BackupFolder)
            ));
        }
    };
    let s = &ctx.settings;
    let found = locate::find(std::slice::from_ref(folder));
    let earlier: Vec<&FoundBackup> = found.iter().filter(|b| b.is_of(s)).collect();
    let estimate = space::estimate(data, &earlier);
    let fits = |bytes: u64, factor: f64| free.available as f64 >= bytes as f64 * factor;
    let summary = space_summary(&free, &estimate);
    let with_margin = |bytes: u64| humanize::bytes((bytes as f64 * space::MARGIN) as u64);
    let outcome = if !fits(estimate.likely, space::MARGIN) {
        Outcome::fail(summary).fix(format!(
            "The backup needs about {} with headroom and {} is free: choose a folder with more \
             room ({}), free space first, or compress it ({}).",
            with_margin(estimate.likely),
            humanize::bytes(free.available),
            ctx.naming.name(Setting::BackupFolder),
            ctx.naming.name(Setting::Compression)
        ))
    } else if !fits(estimate.possible, space::MARGIN) {
        Outcome::warn(summary).fix(format!(
            "It may not fit: SQL backups of databases with large JSON documents reach {}x their \
             table data. Make room for {} (or choose another folder ({}), or compress it \
             ({})); once a backup of this database is in the folder, the estimate uses its \
             real size.",
            space::LARGEST_RATIO,
            with_margin(estimate.possible),
            ctx.naming.name(Setting::BackupFolder),
            ctx.naming.name(Setting::Compression)
        ))
    } else if !fits(estimate.likely, COMFORT_FACTOR) {
        Outcome::warn(summary).fix(format!(
            "Space is tight: free some space or choose another folder ({}) before backing up.",
            ctx.naming.name(Setting::BackupFolder)
        ))
    } else {
        Outcome::pass(summary)
    };
    outcome
        .detail("backup folder", folder.display().to_string())
        .detail("estimate", estimate.explain(data))
        .detail(
            "margin",
            format!(
                "fails below {}x the likely size, warns below {}x the possible size or {}x the likely size",
                space::MARGIN,
                space::MARGIN,
                COMFORT_FACTOR
            ),
        )
}

/// "12 GiB free in /backups for a backup of about 2 GiB, possibly up to 5 GiB".
fn space_summary(free: &space::FreeSpace, estimate: &space::SizeEstimate) -> String {
    let size = if estimate.possible > estimate.likely {
        format!(
            "about {}, possibly up to {}",
            humanize::bytes(estimate.likely),
            humanize::bytes(estimate.possible)
        )
    } else {
        format!("about {}", humanize::bytes(estimate.likely))
    };
    format!(
        "{} free in {} for a backup of {size}",
        humanize::bytes(free.available),
        free.measured_at.display(),
    )
}

fn recent(ctx: &Arc<Context>) -> Outcome {
    let s = &ctx.settings;
    let folder = &ctx.backup_dir;
    let found = locate::find(std::slice::from_ref(folder));
    let newest = crate::backup::source::newest_of(&found, s);
    let take_one = take_one(s, folder);
    let unfinished = leftovers::unfinished(std::slice::from_ref(folder));
    let Some(newest) = newest else {
        let mut outcome = Outcome::fail(format!(
            "no backup of {} found in {}",
            s.display_url(),
            folder.display()
        ))
        .fix(take_one);
        let others = found.iter().filter(|b| b.manifest.is_none()).count();
        if others > 0 {
            outcome = outcome.line(format!(
                "{others} backup(s) without a manifest there (official CLI?): they cannot be matched to this database"
            ));
        }
        return with_unfinished(outcome, &unfinished);
    };
    with_unfinished(judge(newest, &take_one), &unfinished)
}

/// Names the unfinished backups in the folder: none of them counts, and the operator may take
/// one for the backup just made.
fn with_unfinished(mut outcome: Outcome, unfinished: &[Unfinished]) -> Outcome {
    for u in unfinished {
        outcome = outcome.line(format!(
            "unfinished, not counted: {} ({})",
            u.path.display(),
            u.state.explain()
        ));
    }
    outcome
}

/// The advice to take a backup: a command that backs up this database (not the defaults) into
/// the folder the check looked in.
fn take_one(settings: &DbSettings, folder: &Path) -> String {
    format!(
        "Take one now: om-upgrade backup {} --output {} (add --test-restore to prove it restores).",
        connection_flags(settings),
        quote(&folder.display().to_string())
    )
}

/// What a backup of this database is worth before the upgrade: recent (24 h), and verified.
/// `take_one` is the advice when it is too old.
pub fn judge(backup: &FoundBackup, take_one: &str) -> Outcome {
    let now = Utc::now();
    let age = now - backup.taken_at;
    let age_text = humanize::duration(age.to_std().unwrap_or_default());
    // Absolute, with the age beside it: a report read tomorrow still says when.
    let taken = humanize::at_with_age(backup.taken_at, now);
    let path = backup.path.display().to_string();
    // A backup that failed its verification fails, however old it is.
    if age.num_hours() >= RECENT_HOURS && backup.verified() != Some(false) {
        return Outcome::warn(format!(
            "the newest backup of this database is {age_text} old (taken {taken})"
        ))
        .detail("newest", path)
        .fix(take_one);
    }
    let with_file = |outcome: Outcome| {
        let outcome = outcome
            .detail("file", path.clone())
            .detail("size", humanize::bytes(backup.bytes));
        match &backup.manifest {
            Some(manifest) => outcome.detail("sha256", manifest.file.sha256.clone()),
            None => outcome,
        }
    };
    match backup.verified() {
        Some(true) => with_file(Outcome::pass(format!("verified backup taken {taken}"))),
        Some(false) => with_file(Outcome::fail(format!(
            "the backup ({age_text} old) FAILED verification"
        )))
        .fix(format!(
            "Run `om-upgrade verify {path}` to see why, and take a new backup."
        )),
        None => with_file(Outcome::warn(format!(
            "backup taken {taken}, not verified yet"
        )))
        .fix(format!("Run: om-upgrade verify {path}")),
    }
}

/// The first line of `tool --version`, if the tool runs.
async fn version_of(program: &std::path::Path) -> Option<String> {
    let output = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::process::Command::new(program)
            .scrub_secrets(&[])
            .arg("--version")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .ok()?
    .ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

async fn tools(ctx: &Arc<Context>) -> Outcome {
    let (dump, load) = match ctx.settings.engine.value {
        Engine::Postgres => ("pg_dump", "psql"),
        Engine::Mysql => ("mysqldump", "mysql"),
    };
    let mut methods = vec!["builtin".to_string()];
    let mut outcome_lines = Vec::new();
    for tool in [dump, load] {
        match find_on_path(tool) {
            Some(path) => {
                let version = version_of(&path)
                    .await
                    .unwrap_or_else(|| "version unknown".into());
                outcome_lines.push((tool, format!("{} ({version})", path.display())));
                if tool == dump {
                    methods.push("native".into());
                }
            }
            None => outcome_lines.push((tool, "not installed".to_string())),
        }
    }
    match find_on_path("metadata") {
        Some(path) => {
            methods.push("metadata-cli".into());
            outcome_lines.push(("metadata", path.display().to_string()));
        }
        None => outcome_lines.push((
            "metadata",
            "not on PATH (give --python of a venv with openmetadata-ingestion for --method metadata-cli)".into(),
        )),
    }
    let mut outcome = Outcome::pass(format!("available here: {}", methods.join(", ")));
    for (tool, text) in outcome_lines {
        outcome = outcome.detail(tool, text);
    }
    if ctx.settings.engine.value == Engine::Postgres
        && let Ok(server) = ctx.server_info().await
        && let Some(server_version) = &server.version
        && let Some(path) = find_on_path("pg_dump")
        && let Some(text) = version_of(&path).await
        && let Some(client) = text
            .split_whitespace()
            .find_map(crate::db::inspect::leading_version)
        && client.major < server_version.major
    {
        outcome = outcome.line(format!(
            "pg_dump {} cannot dump a PostgreSQL {} server: the built-in method can",
            client.major, server_version.major
        ));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DbInputs, Env, resolve};

    #[test]
    fn the_advice_backs_up_this_database_without_its_password() {
        let settings = resolve(
            &DbInputs {
                db_url: Some("postgres://om:s3cret-pw@db.internal:5433/om_prod".into()),
                schema: Some("om".into()),
                ..Default::default()
            },
            &Env::default(),
        )
        .unwrap()
        .settings;
        let advice = take_one(&settings, Path::new("/var/backups/my om"));
        assert_eq!(
            advice,
            "Take one now: om-upgrade backup --engine postgres -H db.internal --port 5433 -u om \
             -d om_prod --schema om --output \"/var/backups/my om\" \
             (add --test-restore to prove it restores)."
        );
        assert!(!advice.contains("s3cret-pw"), "{advice}");
    }
}
