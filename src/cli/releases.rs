//! `om-upgrade releases`: every item between two releases, and what it does to this
//! installation (probes in the database, hits in openmetadata.yaml and workflow files).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::args::ConnectionArgs;
use super::style::Painter;
use super::{CliError, connect, print_warnings};
use crate::checks::Context;
use crate::checks::release::{self, ProbeBoard};
use crate::config::{self, DbSettings, Env, Source, Sourced, paths::Paths};
use crate::db::inspect::{self, Detection};
use crate::db::{Db, DbError, Engine};
use crate::humanize::plural;
use crate::knowledge::impact::{Elsewhere, Impact, Verdict};
use crate::knowledge::review::{Counts, Database, Review};
use crate::knowledge::scan::{ScanInputs, ScanReport};
use crate::knowledge::{self, Catalogue, Installed, Item, Kind, Plan, Stop, VersionRole};
use crate::version::Version;

pub const LONG_ABOUT: &str = "\
What changes between two OpenMetadata releases, and what it does to this installation.

Lists every breaking change, connection and configuration change, deprecation, requirement and \
action of the releases in (FROM, TO], grouped by release and kind, from the release catalogue \
built into om-upgrade (or a newer one given with --releases-dir). Each item is marked \
'affects you', 'not you' or 'unknown', with the evidence:
  - read-only probes in the metadata database (one READ ONLY transaction; nothing is written),
    such as the queries the 1.2 migration deletes or the Domo services still using sandboxDomain;
  - the server's openmetadata.yaml (--config): keys renamed, removed or required;
  - ingestion workflow YAMLs (--workflows DIR): connection fields that changed, with file and line.

When the database is used: when --from is missing (the installed version is read from the \
database's migration history), or when any database setting is given (a connection flag, \
--db-url, --config openmetadata.yaml, or DB_HOST / DB_PORT / DB_USER / DB_USER_PASSWORD / \
OM_DATABASE / DB_SCHEME / DB_DRIVER_CLASS / DB_PARAMS in the environment). With --from and no \
database setting, nothing connects and the items that need the database stay 'unknown'.

--to defaults to the newest release in the catalogue. An unknown target, a target older than \
the installed version, or a version that is not a version is a usage error (exit 2). Exit 1 \
when database settings were given but the database could not be reached (the report is still \
printed, without the database's evidence).";

pub const AFTER_HELP: &str = "\
Examples:
  Everything between 1.1.7 and 1.2.0, as JSON:
    om-upgrade releases --from 1.1.7 --to 1.2.0 --format json

  What the upgrade to 1.6.3 does to this installation, its config and its workflows:
    om-upgrade releases --to 1.6.3 --config /opt/openmetadata/conf/openmetadata.yaml \\
      --workflows /opt/ingestion/workflows --affecting-me

  A change ticket attachment:
    om-upgrade releases --db-url mysql://openmetadata_user@db:3306/openmetadata_db \\
      --to 1.2.0 --format markdown > upgrade-review.md";

/// Output of `releases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// For people, grouped by release and kind
    #[default]
    Text,
    /// For scripts: one JSON document
    Json,
    /// For a change ticket
    Markdown,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    /// The installed OpenMetadata version [default: read from the database]
    #[arg(long, value_name = "X.Y.Z")]
    pub from: Option<Version>,

    /// The version to upgrade to [default: the newest in the catalogue]
    #[arg(long, value_name = "X.Y.Z")]
    pub to: Option<Version>,

    /// Leave out the items measured as not affecting this installation
    #[arg(long)]
    pub affecting_me: bool,

    /// Ingestion workflow YAMLs to scan: a folder (searched recursively) or one file
    #[arg(long, value_name = "DIR", value_parser = super::values::workflows)]
    pub workflows: Option<PathBuf>,

    /// Use the release files in DIR (a newer catalogue) instead of the built-in ones
    #[arg(long, value_name = "DIR", value_parser = super::values::releases_dir)]
    pub releases_dir: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,

    #[command(flatten)]
    pub json: super::args::JsonFlag,

    /// The database to probe; --config also names the openmetadata.yaml to scan
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Whether any database setting came from somewhere other than the server's defaults.
fn database_settings_given(settings: &DbSettings) -> bool {
    let given = |source: &Source| *source != Source::Default;
    given(&settings.engine.source)
        || given(&settings.host.source)
        || given(&settings.port.source)
        || given(&settings.user.source)
        || given(&settings.database.source)
        || given(&settings.schema.source)
        || given(&settings.tls.source)
        || settings.password.as_ref().is_some_and(|p| given(&p.source))
        || !settings.params.is_empty()
}

#[derive(Serialize)]
struct DatabaseView {
    /// probed | unreachable | not used
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct ReportItem<'a> {
    #[serde(flatten)]
    item: &'a Item,
    impact: &'a Impact,
}

#[derive(Serialize)]
struct ReleaseGroup<'a> {
    release: &'a str,
    date: Option<&'a str>,
    notes: &'a str,
    items: Vec<ReportItem<'a>>,
}

#[derive(Serialize)]
struct Report<'a> {
    tool_version: &'static str,
    catalogue: String,
    from: &'a Version,
    /// flag | database
    from_source: &'static str,
    to: &'a Version,
    stops: &'a [Stop],
    /// Minor releases between `from` and `to` the catalogue has no file for.
    missing_releases: &'a [String],
    #[serde(skip)]
    missing_warning: Option<&'a str>,
    database: DatabaseView,
    scan: &'a ScanReport,
    counts: Counts,
    affecting_me: bool,
    releases: Vec<ReleaseGroup<'a>>,
    exit_code: i32,
}

/// The database to read the installed version from and to probe, when one is used.
struct Connection {
    settings: DbSettings,
    /// Any database setting was given (else only the defaults were tried).
    given: bool,
    result: Result<Db, DbError>,
    /// The server image's tag in `--compose` / `--helm-values`.
    image_tag: Option<Sourced<String>>,
}

impl Connection {
    fn url(&self) -> String {
        self.settings.display_url()
    }
}

pub async fn run(mut args: ReleasesArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, ReportFormat::Json);
    let catalogue = Arc::new(Catalogue::load(args.releases_dir.as_deref())?);
    if let Some(to) = &args.to {
        catalogue.validate_version(to, VersionRole::Target)?;
    }
    if let Some(from) = &args.from {
        catalogue.validate_version(from, VersionRole::Installed)?;
    }
    let connection = connect_if_needed(&args, env).await?;
    let (from, from_source) = installed(&args, connection.as_ref(), &catalogue).await?;
    let to = args
        .to
        .clone()
        .unwrap_or_else(|| catalogue.newest().clone());
    let plan = catalogue.plan(&from, &to)?;
    // A release bad on one engine warns when that engine is (or may be) in use.
    if let Some(advice) = catalogue.target_advice(&plan.to, engine_in_use(connection.as_ref())) {
        note!("warning: {}", advice.message());
    }
    let files = ScanInputs {
        server_config: args.connection.config.clone(),
        workflows: args.workflows.clone(),
        env: env.clone(),
    };
    let scan = files.scan(&plan.items);
    let (mut view, database, measured) = measure(connection, &catalogue, &plan, env).await;
    let review = knowledge::review::review(&catalogue, &plan, database, scan, &measured);
    view.server = review.server();
    if let Some(warning) = &review.missing_warning {
        note!("warning: {warning}");
    }
    let exit_code = i32::from(view.status == "unreachable");
    let report = report(&review, &catalogue, from_source, view, &args, exit_code);
    match args.format {
        ReportFormat::Json => {
            let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::Failed {
                message: format!("cannot write JSON: {e}"),
                hint: None,
            })?;
            outln!("{text}");
        }
        ReportFormat::Text => print!("{}", text(&report, &Painter::stdout(env))),
        ReportFormat::Markdown => print!("{}", markdown(&report)),
    }
    Ok(exit_code)
}

/// Connects when a database setting was given, or when the installed version must be read
/// (no --from); otherwise nothing connects.
async fn connect_if_needed(args: &ReleasesArgs, env: &Env) -> Result<Option<Connection>, CliError> {
    let resolved = config::resolve(&args.connection.to_inputs(), env)?;
    print_warnings(&resolved.warnings);
    let mut settings = resolved.settings;
    let given = database_settings_given(&settings);
    if !given && args.from.is_some() {
        return Ok(None);
    }
    let result = connect::connect(&mut settings).await;
    Ok(Some(Connection {
        settings,
        given,
        result,
        image_tag: resolved.image_tag,
    }))
}

/// The installed version: --from, else read from the database; and where it came from.
async fn installed(
    args: &ReleasesArgs,
    connection: Option<&Connection>,
    catalogue: &Catalogue,
) -> Result<(Version, &'static str), CliError> {
    let connection = match (&args.from, connection) {
        (Some(from), _) => return Ok((from.clone(), "flag")),
        (None, Some(connection)) => connection,
        (None, None) => {
            return Err(CliError::Usage(
                "give --from X.Y.Z (the installed version), or the database settings to read it \
                 from"
                    .into(),
            ));
        }
    };
    let url = connection.url();
    if let (Err(error), Some((version, source))) = (&connection.result, image_version(connection)) {
        eprintln!(
            "note: cannot read the installed version from {url} ({error}); taking the server \
             image's tag {version} ({source})"
        );
        return Ok((version, "server image tag"));
    }
    match &connection.result {
        Ok(db) => {
            let version = installed_version(db, &url).await?;
            if let Some(warning) = catalogue.installed_warning(&Installed::Exact(version.clone())) {
                note!("warning: {warning}");
            }
            Ok((version, "database"))
        }
        Err(error) if connection.given => Err(CliError::Failed {
            message: format!("cannot read the installed version from {url}: {error}"),
            hint: Some(format!(
                "give --from X.Y.Z to list the changes without the database, or fix the \
                 connection: {}",
                error.remediation()
            )),
        }),
        Err(error) => Err(CliError::Usage(format!(
            "give --from X.Y.Z (the installed version), or the database settings to read it \
             from: no database setting was given and the default {url} cannot be reached \
             ({error})"
        ))),
    }
}

/// The server image's tag of the deployment files, as a version, and where it is written.
fn image_version(connection: &Connection) -> Option<(Version, String)> {
    let tag = connection.image_tag.as_ref()?;
    Some((tag.value.parse().ok()?, tag.source.to_string()))
}

/// The engine the installation runs on: the connected database's, else one given explicitly.
fn engine_in_use(connection: Option<&Connection>) -> Option<Engine> {
    let connection = connection?;
    match &connection.result {
        Ok(db) => Some(db.engine()),
        Err(_) if connection.settings.engine.source != Source::Default => {
            Some(connection.settings.engine.value)
        }
        Err(_) => None,
    }
}

/// Probes the plan's items in the database when it is connected; says how it went.
async fn measure(
    connection: Option<Connection>,
    catalogue: &Arc<Catalogue>,
    plan: &Plan<'_>,
    env: &Env,
) -> (DatabaseView, Database, Elsewhere) {
    let Some(connection) = connection else {
        let view = DatabaseView {
            status: "not used",
            url: None,
            server: None,
            error: None,
        };
        let why = "no database setting given (--db-url, -H/--host, --config, DB_* variables)";
        return (
            view,
            Database::NotMeasured(why.to_string()),
            Elsewhere::new(),
        );
    };
    let url = connection.url();
    match connection.result {
        Err(error) => {
            let view = DatabaseView {
                status: "unreachable",
                url: Some(url),
                server: None,
                error: Some(error.to_string()),
            };
            let why = format!("the database could not be reached: {error}");
            (view, Database::NotMeasured(why), Elsewhere::new())
        }
        Ok(db) => {
            let (database, measured) = probe(&db, &connection.settings, catalogue, plan, env).await;
            db.close().await;
            let view = DatabaseView {
                status: "probed",
                url: Some(url),
                // Named by the review, which read it.
                server: None,
                error: None,
            };
            (view, database, measured)
        }
    }
}

/// The review as this command reports it: grouped by release, without the items that do not
/// affect this installation when --affecting-me asks.
fn report<'a>(
    review: &'a Review,
    catalogue: &Catalogue,
    from_source: &'static str,
    database: DatabaseView,
    args: &ReleasesArgs,
    exit_code: i32,
) -> Report<'a> {
    let releases = review
        .releases
        .iter()
        .map(|release| ReleaseGroup {
            release: &release.version,
            date: release.date.as_deref(),
            notes: &release.notes,
            items: review
                .items_of(&release.version)
                .filter(|r| !(args.affecting_me && r.impact.verdict == Verdict::NotAffected))
                .map(|r| ReportItem {
                    item: &r.item,
                    impact: &r.impact,
                })
                .collect(),
        })
        .filter(|group| !group.items.is_empty())
        .collect();
    Report {
        tool_version: env!("CARGO_PKG_VERSION"),
        catalogue: catalogue.origin().to_string(),
        from: &review.from,
        from_source,
        to: &review.to,
        stops: &review.stops,
        missing_releases: &review.missing,
        missing_warning: review.missing_warning.as_deref(),
        database,
        scan: &review.scan,
        counts: review.counts,
        affecting_me: args.affecting_me,
        releases,
        exit_code,
    }
}

/// The schema level recorded in the database's migration history.
async fn installed_version(db: &Db, url: &str) -> Result<Version, CliError> {
    let failed = |error: DbError| CliError::Failed {
        message: format!("cannot read the installed version from {url}: {error}"),
        hint: Some(error.remediation()),
    };
    match inspect::detect_openmetadata(db).await.map_err(failed)? {
        Detection::OpenMetadata(info) => info.schema_version.ok_or_else(|| {
            CliError::Usage(format!(
                "{url} is OpenMetadata 1.0.x or older (Flyway only), which does not record its \
                 exact version: give --from X.Y.Z"
            ))
        }),
        Detection::NotOpenMetadata { missing, .. } => Err(CliError::Usage(format!(
            "{url} is not an OpenMetadata database (no {}): point at the server's database or \
             give --from X.Y.Z",
            missing.join(", ")
        ))),
    }
}

/// Runs the probes of the plan's items through the shared checks runner.
async fn probe(
    db: &Db,
    settings: &DbSettings,
    catalogue: &Arc<Catalogue>,
    plan: &Plan<'_>,
    env: &Env,
) -> (Database, Elsewhere) {
    let ctx = Arc::new(
        Context::new(
            settings.clone(),
            Some(plan.to.clone()),
            Paths::from_env(env).backups_dir(),
        )
        .with_connection(Ok(db.clone()))
        .with_catalogue(catalogue.clone()),
    );
    let board: ProbeBoard = Arc::new(Mutex::new(BTreeMap::new()));
    let server = release::probe_items(ctx.clone(), plan, &board, None)
        .await
        .0;
    let measured = measured_elsewhere(&ctx, plan).await;
    ctx.close().await;
    let probes = board.lock().map(|b| b.clone()).unwrap_or_default();
    (Database::Probed { probes, server }, measured)
}

/// The database checks the plan's items are measured by (`measured_by: db.sort_memory`), run
/// as `check` runs them; the Python clients are not looked at here (`report` does).
async fn measured_elsewhere(ctx: &Arc<Context>, plan: &Plan<'_>) -> Elsewhere {
    let wanted: BTreeSet<&str> = plan
        .items
        .iter()
        .filter_map(|i| i.measured_by.as_deref())
        .collect();
    let checks: Vec<_> = crate::checks::db::checks(ctx)
        .into_iter()
        .filter(|c| c.id == crate::checks::db::CONNECT || wanted.contains(c.id.as_str()))
        .collect();
    if checks.len() < 2 {
        return Elsewhere::new();
    }
    let results = crate::checks::runner::run(checks, ctx.clone(), None).await;
    crate::checks::runner::elsewhere(&results)
}

fn mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Affects => "✘ affects you",
        Verdict::NotAffected => "✔ not you",
        Verdict::Unknown => "? unknown",
    }
}

fn header_lines(report: &Report) -> Vec<String> {
    let mut lines = vec![format!(
        "installed {} ({}), target {}, catalogue {}",
        report.from,
        match report.from_source {
            "database" => "read from the database; the server may run a later patch of it",
            "server image tag" => "the server image's tag in the deployment file",
            _ => "--from",
        },
        report.to,
        report.catalogue
    )];
    let db = &report.database;
    lines.push(match (db.status, &db.url, &db.error) {
        ("probed", Some(url), _) => format!(
            "database {url}{}: probed read-only",
            db.server
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        ("unreachable", Some(url), Some(error)) => format!("database {url}: not reached: {error}"),
        _ => "database: not used (no database setting given)".to_string(),
    });
    let scan = report.scan;
    lines.push(match &scan.server_config {
        Some(path) => format!("openmetadata.yaml: {} scanned", path.display()),
        None => "openmetadata.yaml: not scanned (--config FILE)".to_string(),
    });
    lines.push(match &scan.workflows {
        Some(path) => format!(
            "workflows: {} ({}, {} ignored)",
            path.display(),
            plural(scan.workflow_files, "workflow file", "workflow files"),
            plural(scan.other_files, "other YAML file", "other YAML files")
        ),
        None => "workflows: not scanned (--workflows DIR)".to_string(),
    });
    for problem in &scan.problems {
        lines.push(format!("  cannot use {problem}"));
    }
    lines
}

fn text(report: &Report, paint: &Painter) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(paint.bold(&format!(
        "OpenMetadata {} → {}: {} to review",
        report.from,
        report.to,
        plural(report.counts.items, "item", "items")
    )));
    for l in header_lines(report) {
        line(paint.dim(&l));
    }
    for stop in report.stops {
        line(format!(
            "! required stop: upgrade to {} first ({})",
            stop.version, stop.reason
        ));
    }
    if let Some(warning) = &report.missing_warning {
        line(format!("! incomplete catalogue: {warning}"));
    }
    for group in &report.releases {
        line(String::new());
        line(paint.bold(&format!(
            "{}{}  {}",
            group.release,
            group.date.map(|d| format!(" ({d})")).unwrap_or_default(),
            group.notes
        )));
        for kind in Kind::ALL {
            let items: Vec<&ReportItem> =
                group.items.iter().filter(|i| i.item.kind == kind).collect();
            if items.is_empty() {
                continue;
            }
            line(format!("  {}", kind.heading()));
            for entry in items {
                for l in item_lines(entry, paint) {
                    line(l);
                }
            }
        }
    }
    line(String::new());
    line(format!(
        "{}: {} you, {} not, {} unknown{}",
        plural(report.counts.items, "item", "items"),
        plural(report.counts.affects, "affects", "affect"),
        plural(report.counts.not_affected, "does", "do"),
        report.counts.unknown,
        if report.affecting_me {
            " (items that do not affect you are left out)"
        } else {
            ""
        }
    ));
    out
}

/// One item as text: its verdict and title, what was measured, examples and what to do (only
/// the measurement for an item that does not affect you).
fn item_lines(entry: &ReportItem, paint: &Painter) -> Vec<String> {
    let item = entry.item;
    let impact = &entry.impact;
    let patch = if item.patch.patch() > 0 {
        format!(" [from {}]", item.patch)
    } else {
        String::new()
    };
    let mut lines = vec![format!(
        "    {:<14} {}{patch}{}",
        mark(impact.verdict),
        item.title,
        if item.unverified { " (unverified)" } else { "" }
    )];
    let indent = " ".repeat(19);
    if impact.verdict == Verdict::NotAffected {
        lines.push(paint.dim(&format!("{indent}{}", impact.summary)));
        return lines;
    }
    lines.push(format!("{indent}{}", impact.summary));
    for evidence in &impact.evidence {
        for sample in &evidence.samples {
            lines.push(paint.dim(&format!("{indent}  e.g. {sample}")));
        }
    }
    lines.push(format!("{indent}→ {}", item.action));
    lines
}

fn markdown(report: &Report) -> String {
    let mut out = format!(
        "# OpenMetadata upgrade review: {} → {}\n\n",
        report.from, report.to
    );
    for l in header_lines(report) {
        out.push_str(&format!("- {}\n", l.trim()));
    }
    out.push_str(&format!(
        "- {}: {} this installation, {} not, {} unknown\n",
        plural(report.counts.items, "item", "items"),
        plural(report.counts.affects, "affects", "affect"),
        plural(report.counts.not_affected, "does", "do"),
        report.counts.unknown
    ));
    for stop in report.stops {
        out.push_str(&format!(
            "\n> **Required stop:** upgrade to {} first ({}).\n",
            stop.version, stop.reason
        ));
    }
    if let Some(warning) = &report.missing_warning {
        out.push_str(&format!("\n> **Incomplete catalogue:** {warning}.\n"));
    }
    for group in &report.releases {
        out.push_str(&format!(
            "\n## {}{}\n\nUpgrade notes: <{}>\n",
            group.release,
            group.date.map(|d| format!(" ({d})")).unwrap_or_default(),
            group.notes
        ));
        for kind in Kind::ALL {
            let items: Vec<&ReportItem> =
                group.items.iter().filter(|i| i.item.kind == kind).collect();
            if items.is_empty() {
                continue;
            }
            out.push_str(&format!("\n### {}\n\n", kind.heading()));
            for entry in items {
                let item = entry.item;
                let impact = &entry.impact;
                let verdict = match impact.verdict {
                    Verdict::Affects => "**Affects you**",
                    Verdict::NotAffected => "Not you",
                    Verdict::Unknown => "Unknown",
                };
                out.push_str(&format!(
                    "- [ ] {verdict}: **{}** (`{}`, from {}){}\n",
                    item.title,
                    item.id,
                    item.patch,
                    if item.unverified {
                        " *(unverified)*"
                    } else {
                        ""
                    }
                ));
                out.push_str(&format!("  - What changes: {}\n", item.change));
                if let Some(migration) = &item.migration {
                    out.push_str(&format!("  - The migration: {migration}\n"));
                }
                out.push_str(&format!("  - Here: {}\n", impact.summary));
                for evidence in &impact.evidence {
                    for sample in &evidence.samples {
                        out.push_str(&format!("    - e.g. `{}`\n", sample.replace('`', "'")));
                    }
                }
                out.push_str(&format!("  - To do: {}\n", item.action));
                out.push_str(&format!("  - Source: <{}>\n", item.source));
            }
        }
    }
    out
}
