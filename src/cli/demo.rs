//! `om-upgrade demo`: build a sample database to rehearse on.

use std::io::{IsTerminal, Write};

use clap::Args;

use super::args::{ConnectionArgs, Format};
use super::{CliError, print_warnings};
use crate::config::{self, DbSettings, Env};
use crate::demo::{self, DemoError, ExistingDemo, Outcome, Progress};
use crate::humanize;

pub const LONG_ABOUT: &str = "\
Create a sample OpenMetadata 1.1 database to rehearse the upgrade on.

The sample has the tables, generated columns, JSON documents and migration bookkeeping of a \
1.1.5 server, filled with services (including Domo ones still using sandboxDomain), databases, \
tables with columns, queries with and without a table, users, tags, lineage, profiles, usage \
and values that are hard to back up. The database is created if it does not exist; a database \
that already has tables is refused, so this never writes into a real installation; with \
--if-missing, a database that already holds a finished sample is left as it is and reported, so \
the command can be run again (recognised by the sample's tables and its made-up service secret; \
a sample cut short by a kill is refused: drop it and run again).

Each unit of --scale adds about 2 MB (one database with 20 tables and their activity).";

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// How much data: each unit is one database with 20 tables and their activity (~2 MB)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub scale: u32,

    /// Leave a database that already holds a finished sample as it is, instead of refusing it
    /// (a database with other tables is still refused): makes the set-up command re-runnable
    #[arg(long)]
    pub if_missing: bool,

    /// Output format of the summary
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub json: super::args::JsonFlag,
}

struct StderrProgress {
    enabled: bool,
}

impl Progress for StderrProgress {
    fn unit_done(&mut self, done: u32, total: u32) {
        if self.enabled {
            eprint!("\rwriting sample data: {done}/{total} units");
            if done == total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    }
}

pub async fn run(mut args: DemoArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    let resolved = config::resolve(&args.connection.to_inputs(), env)?;
    print_warnings(&resolved.warnings);
    let settings = resolved.settings;
    let mut progress = StderrProgress {
        enabled: std::io::stderr().is_terminal() && args.scale > 1 && !super::globals::quiet(),
    };
    let result = if args.if_missing {
        demo::create_if_missing(&settings, args.scale, &mut progress).await
    } else {
        demo::create(&settings, args.scale, &mut progress)
            .await
            .map(Outcome::Created)
    };
    let summary = match result.map_err(failed)? {
        Outcome::Created(summary) => summary,
        Outcome::AlreadyThere(existing) => return already_there(&existing, &settings, args.format),
    };
    match args.format {
        Format::Json => {
            let mut value = serde_json::to_value(&summary).map_err(|e| CliError::Failed {
                message: format!("cannot write JSON: {e}"),
                hint: None,
            })?;
            value["created"] = serde_json::Value::Bool(true);
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        Format::Text => {
            let rows: u64 = summary.rows.values().sum();
            outln!(
                "Created a sample OpenMetadata {} database {} on {} ({} rows in {} tables, scale {}).",
                summary.openmetadata_version,
                settings.display_url(),
                summary.product,
                humanize::count(rows as i64),
                crate::demo::schema::tables().len(),
                summary.scale
            );
            let e = &summary.expected;
            outln!(
                "It holds {} queries, {} of which the 1.2 migration would delete, and {} Domo services still using sandboxDomain.",
                e.queries_total,
                e.queries_deleted_by_1_2,
                e.domo_sandbox_domain.iter().map(|(_, n)| n).sum::<u64>()
            );
            outln!();
            outln!(
                "Next: om-upgrade check {} --target 1.2.0",
                config::command_line::connection_flags(&settings)
            );
        }
    }
    Ok(0)
}

fn failed(error: DemoError) -> CliError {
    let hint = match &error {
        DemoError::Db(db) => Some(db.remediation()),
        DemoError::NotEmpty { .. } => {
            Some("Give a new database name with -d (it is created for you).".to_string())
        }
        DemoError::Unfinished { .. } => Some(
            "Drop that database and run demo again, or give a new database name with -d."
                .to_string(),
        ),
        DemoError::BadScale => None,
    };
    CliError::Failed {
        message: format!("cannot create the sample database: {error}"),
        hint,
    }
}

/// `--if-missing` found the sample in place: say so, and what to run next.
fn already_there(
    existing: &ExistingDemo,
    settings: &DbSettings,
    format: Format,
) -> Result<i32, CliError> {
    match format {
        Format::Json => {
            let mut value = serde_json::to_value(existing).map_err(|e| CliError::Failed {
                message: format!("cannot write JSON: {e}"),
                hint: None,
            })?;
            value["created"] = serde_json::Value::Bool(false);
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        Format::Text => {
            outln!(
                "{} already holds the sample OpenMetadata 1.1.5 database ({} tables, about {} rows): left as it is.",
                settings.display_url(),
                existing.tables,
                humanize::count(existing.rows as i64)
            );
            outln!();
            outln!(
                "Next: om-upgrade check {} --target 1.2.0",
                config::command_line::connection_flags(settings)
            );
        }
    }
    Ok(0)
}
