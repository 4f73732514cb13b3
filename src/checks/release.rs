//! Release checks: the upgrade path to the target, one check per catalogue item that can be
//! measured in the database (`release.<item id>`, judged like `releases` judges it: its probes
//! and its config rules' hits in the operator's files), and the operator's openmetadata.yaml
//! and workflow files against the config rules of the releases in between.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::{Check, CheckId, Context, Outcome};
use crate::db::DbError;
use crate::db::inspect::Detection;
use crate::humanize::plural;
use crate::knowledge::impact::{self, Impact, Measurements, Verdict};
use crate::knowledge::model::{FileKind, Item, Kind};
use crate::knowledge::probes::{ProbeOutcome, ProbeResult};
use crate::knowledge::scan::{FileProblem, Hit};
use crate::knowledge::{Installed, Origin, Plan, TargetAdvice};
use crate::version::Version;

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::ReleaseReview;

pub const PATH: CheckId = CheckId::new("release.path");
pub const SERVER_CONFIG: CheckId = CheckId::new("release.config");
pub const WORKFLOWS: CheckId = CheckId::new("release.workflows");

/// An item check waits for the shared probe connection, then runs each probe under its own
/// timeout (`PROBE_TIMEOUT`); this bounds the whole.
const ITEM_TIMEOUT: Duration = Duration::from_secs(600);

pub use super::context::ProbeBoard;

/// Where the installed version comes from.
#[derive(Debug, Clone)]
pub enum InstalledSource {
    /// Read from the database's migration history.
    Database,
    /// Already known (`--from`, or read once for a whole review).
    Given(Installed),
}

pub fn checks(ctx: &Context) -> Vec<Check> {
    let path = Check::new(
        PATH,
        "Upgrade path to the target release",
        |ctx| async move { path(&ctx).await },
    );
    // With the server image's tag to fall back on, the path is worth showing when the database
    // cannot be read.
    let path = match ctx.installation.image_tag {
        Some(_) => path,
        None => path.after(super::db::OPENMETADATA),
    };
    let mut checks = vec![path];
    if let (Some(target), Ok(catalogue)) = (&ctx.target, ctx.catalogue()) {
        let items = catalogue
            .probed_items_up_to(target)
            .into_iter()
            .cloned()
            .collect();
        checks.extend(
            item_checks(
                items,
                target,
                InstalledSource::Database,
                Some(ctx.probe_board()),
            )
            .into_iter()
            .map(|check| check.after(super::db::CONNECT)),
        );
    }
    checks.push(Check::new(
        SERVER_CONFIG,
        "openmetadata.yaml against the releases' config changes",
        |ctx| async move { scan_check(&ctx, FileKind::Server).await },
    ));
    checks.push(Check::new(
        WORKFLOWS,
        "Ingestion workflow YAMLs against the connection changes",
        |ctx| async move { scan_check(&ctx, FileKind::Workflow).await },
    ));
    checks
}

/// One check per item, measuring it with its probes when the upgrade crosses it.
pub fn item_checks(
    items: Vec<Item>,
    target: &Version,
    installed: InstalledSource,
    board: Option<ProbeBoard>,
) -> Vec<Check> {
    items
        .into_iter()
        .map(|item| {
            let id = CheckId::owned(item.check_id());
            let title = format!("{} ({})", item.title, item.release);
            let item = Arc::new(item);
            let target = target.clone();
            let installed = installed.clone();
            let board = board.clone();
            Check::new(id, title, move |ctx| {
                let item = item.clone();
                let target = target.clone();
                let installed = installed.clone();
                let board = board.clone();
                async move { measure_item(&ctx, &item, &target, installed, board).await }
            })
            .in_step(STEP)
            .timeout(ITEM_TIMEOUT)
        })
        .collect()
}

/// Why the installed version is not known: the database is another application's, or it
/// could not be read (and no deployment file names the server image's tag).
#[derive(Debug, Clone, thiserror::Error)]
pub enum NotInstalled {
    #[error("not an OpenMetadata database (see db.openmetadata)")]
    NotOpenMetadata,
    #[error("installed version unknown: {0}")]
    Unreadable(DbError),
}

impl NotInstalled {
    /// What a check that needs the installed version says without it (it skips).
    pub fn outcome(&self) -> Outcome {
        Outcome::skip(self.to_string())
    }
}

/// The installed version from the database, or why it is unknown. A database that records no
/// native migration (Flyway only) is 1.0.x or older. When the database cannot be read, the
/// server image's tag in the deployment files stands in ([`image_version`]).
pub async fn installed_from_db(ctx: &Context) -> Result<Installed, NotInstalled> {
    match ctx.detection().await {
        Ok(Detection::OpenMetadata(info)) => Ok(info
            .schema_version
            .clone()
            .map_or(Installed::Unrecorded, Installed::Exact)),
        Ok(Detection::NotOpenMetadata { .. }) => Err(NotInstalled::NotOpenMetadata),
        Err(error) => match image_version(ctx) {
            Some((version, _)) => Ok(Installed::Exact(version)),
            None => Err(NotInstalled::Unreadable(error)),
        },
    }
}

/// The version of the server image the deployment files run (`--compose`, `--helm-values`),
/// and where it is written.
pub fn image_version(ctx: &Context) -> Option<(Version, String)> {
    let tag = ctx.installation.image_tag.as_ref()?;
    let version = tag.value.parse().ok()?;
    Some((version, tag.source.to_string()))
}

/// Runs the probes of `plan`'s items through the checks runner on `ctx`'s connection, filling `board`; `events` follows each item's check as it starts and
/// ends. Returns the database server, which the requirement items are judged against, and the
/// items' check results.
pub async fn probe_items(
    ctx: Arc<Context>,
    plan: &Plan<'_>,
    board: &ProbeBoard,
    events: Option<tokio::sync::mpsc::UnboundedSender<super::runner::CheckEvent>>,
) -> (
    Option<crate::db::inspect::ServerInfo>,
    Vec<super::runner::CheckResult>,
) {
    let probed: Vec<Item> = plan
        .items
        .iter()
        .filter(|i| !i.probes.is_empty())
        .map(|i| (*i).clone())
        .collect();
    let checks = item_checks(
        probed,
        &plan.to,
        InstalledSource::Given(plan.installed.clone()),
        Some(board.clone()),
    );
    let results = super::runner::run(checks, ctx.clone(), events).await;
    (ctx.server_info().await.ok().cloned(), results)
}

async fn measure_item(
    ctx: &Context,
    item: &Item,
    target: &Version,
    installed: InstalledSource,
    board: Option<ProbeBoard>,
) -> Outcome {
    let installed = match installed {
        InstalledSource::Given(installed) => installed,
        InstalledSource::Database => match installed_from_db(ctx).await {
            Ok(installed) => installed,
            Err(unknown) => return unknown.outcome(),
        },
    };
    if !item.applies(&installed.plan_from(), target) {
        return Outcome::skip(format!(
            "not part of this upgrade: {} applies from {}, and {installed} is installed",
            item.id, item.patch
        ));
    }
    let db = match ctx.db().await {
        Ok(db) => db,
        Err(error) => return Outcome::skip(format!("no database connection: {error}")),
    };
    let mut results = Vec::with_capacity(item.probes.len());
    for probe in &item.probes {
        results.push(ctx.probes().run(db, probe).await);
    }
    if let Some(board) = board
        && let Ok(mut board) = board.lock()
    {
        board.insert(item.key(), results.clone());
    }
    // The item's config rules count too, so that this check, `releases`, the report and the
    // wizard give the one verdict.
    let probes = BTreeMap::from([(item.key(), results.clone())]);
    let measured = Measurements {
        probes: Some(&probes),
        no_database: "",
        scan: ctx.scan(),
        server: ctx.server_info().await.ok(),
        // The other checks run beside this one: the review uses their outcomes.
        elsewhere: &impact::Elsewhere::new(),
    };
    item_outcome(item, &results, &impact::assess(item, &measured))
}

/// The verdict as a check: "affects you" warns with the item's action as the fix, "does not
/// affect you" passes. "Unknown" warns when a probe could not run (something to fix) and is
/// skipped otherwise (a table missing, or the operator's files not given).
fn item_outcome(item: &Item, results: &[ProbeResult], impact: &Impact) -> Outcome {
    let broken: Vec<&ProbeResult> = results
        .iter()
        .filter(|r| {
            matches!(
                r.outcome,
                ProbeOutcome::Failed { .. } | ProbeOutcome::TimedOut { .. }
            )
        })
        .collect();
    let mut outcome = match impact.verdict {
        Verdict::Affects => Outcome::warn(&impact.summary).fix(item.action.clone()),
        Verdict::NotAffected => Outcome::pass(&impact.summary),
        Verdict::Unknown if broken.is_empty() => Outcome::skip(&impact.summary),
        Verdict::Unknown => {
            let texts: Vec<&str> = broken.iter().map(|r| r.text.as_str()).collect();
            let outcome = Outcome::warn(format!("cannot tell: {}", texts.join("; ")));
            match &broken[0].outcome {
                ProbeOutcome::Failed { remediation, .. } => outcome.fix(remediation.clone()),
                _ => outcome,
            }
        }
    };
    for result in results {
        outcome = outcome.detail(result.probe.clone(), result.text.clone());
        if let ProbeOutcome::Found { samples, .. } = &result.outcome {
            for sample in samples {
                outcome = outcome.line(format!("e.g. {sample}"));
            }
        }
    }
    for hit in impact.evidence.iter().filter(|e| e.file.is_some()) {
        outcome = outcome.line(hit.text.clone());
    }
    outcome.detail("release", format!("{} (from {})", item.release, item.patch))
}

async fn path(ctx: &Context) -> Outcome {
    let Some(target) = &ctx.target else {
        return Outcome::skip(
            "no --target given: add --target X.Y.Z to review the releases in between",
        );
    };
    let catalogue = match ctx.catalogue() {
        Ok(catalogue) => catalogue,
        Err(error) => return Outcome::fail(error.to_string()),
    };
    let installed = match installed_from_db(ctx).await {
        Ok(installed) => installed,
        Err(unknown) => return unknown.outcome(),
    };
    let plan = match catalogue.plan_for(&installed, target) {
        Ok(plan) => plan,
        Err(error) => return Outcome::fail(error.to_string()).fix(error.hint()),
    };
    let summary = path_summary(&installed, &plan);
    // Connected by now (the installed version was read): a release bad on one engine only
    // warns there.
    let engine = ctx.db().await.ok().map(|db| db.engine());
    let advice = catalogue.target_advice(&plan.to, engine);
    let unknown_installed = catalogue.installed_warning(&installed);
    let problems = path_problems(
        &installed,
        &plan,
        advice.as_ref(),
        unknown_installed.is_some(),
    );
    let mut outcome = if problems.is_empty() {
        Outcome::pass(summary)
    } else {
        Outcome::warn(format!("{summary}; {}", problems.join("; ")))
    };
    if ctx.detection().await.is_err()
        && let Some((version, source)) = image_version(ctx)
    {
        outcome = outcome
            .detail(
                "installed from",
                format!("server image tag {version} ({source})"),
            )
            .line(
                "the database could not be read: the installed version is the server image's tag",
            );
    }
    let outcome = path_details(
        outcome,
        &installed,
        &plan,
        catalogue.origin(),
        advice.as_ref(),
        unknown_installed,
    );
    outcome.fix(path_fix(&plan, catalogue.origin(), advice.as_ref()))
}

/// The path in one line: installed → target, how many items in how many releases, per kind.
fn path_summary(installed: &Installed, plan: &Plan<'_>) -> String {
    let mut per_kind = Vec::new();
    for kind in Kind::ALL {
        let n = plan.items.iter().filter(|i| i.kind == kind).count();
        if n > 0 {
            per_kind.push(format!("{n} {kind}"));
        }
    }
    let mut releases: Vec<&str> = plan.items.iter().map(|i| i.release.as_str()).collect();
    releases.dedup();
    format!(
        "{installed} → {}: {} in {} ({})",
        plan.to,
        plural(plan.items.len(), "item", "items"),
        plural(releases.len(), "release", "releases"),
        if per_kind.is_empty() {
            "nothing to review".to_string()
        } else {
            per_kind.join(", ")
        }
    )
}

/// What makes the path a warning, one phrase each.
fn path_problems(
    installed: &Installed,
    plan: &Plan<'_>,
    advice: Option<&TargetAdvice>,
    unknown_installed: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(advice) = advice {
        problems.push(format!(
            "{} is a known-bad release{}: take {} instead",
            advice.target,
            advice.on_engines(),
            advice.instead
        ));
    }
    if unknown_installed {
        problems.push(format!("the catalogue does not know {installed}"));
    }
    if !plan.stops.is_empty() {
        let stops: Vec<String> = plan.stops.iter().map(|s| s.version.to_string()).collect();
        problems.push(format!("stop at {} first", stops.join(", then ")));
    }
    if !plan.missing.is_empty() {
        problems.push(format!(
            "the release catalogue has no file for {}",
            plan.missing.join(", ")
        ));
    }
    problems
}

/// The stops, missing releases, advice and installed-version notes under the path's outcome.
fn path_details(
    mut outcome: Outcome,
    installed: &Installed,
    plan: &Plan<'_>,
    origin: &Origin,
    advice: Option<&TargetAdvice>,
    unknown_installed: Option<String>,
) -> Outcome {
    for stop in &plan.stops {
        outcome = outcome.detail(format!("stop at {}", stop.version), stop.reason.clone());
    }
    if let Some(warning) = plan.missing_warning(origin) {
        outcome = outcome
            .detail("missing releases", plan.missing.join(", "))
            .line(warning);
    }
    if let Some(advice) = advice {
        outcome = outcome
            .detail("take instead", advice.instead.to_string())
            .line(advice.message());
    }
    if let Some(warning) = unknown_installed {
        outcome = outcome.line(warning);
    }
    if *installed == Installed::Unrecorded {
        outcome = outcome.line(
            "the database records no version (Flyway only): every release up to the target is listed",
        );
    }
    outcome
}

/// What to do next: review the items (of the advised release instead, when there is one), after
/// adding the release files the catalogue lacks.
fn path_fix(plan: &Plan<'_>, origin: &Origin, advice: Option<&TargetAdvice>) -> String {
    let review = format!(
        "Review every item with `om-upgrade releases --to {}` and the same connection settings.",
        plan.to
    );
    let review = match advice {
        Some(advice) => format!(
            "Upgrade to {} instead of {}. {review}",
            advice.instead, advice.target
        ),
        None => review,
    };
    if plan.missing.is_empty() {
        review
    } else {
        format!(
            "Add the release files for {} to {origin} (the built-in ones are in om-upgrade's \
             assets/releases), then: {review}",
            plan.missing.join(", ")
        )
    }
}

async fn scan_check(ctx: &Context, kind: FileKind) -> Outcome {
    let files = ctx.files();
    let (given, flag, what) = match kind {
        FileKind::Server => (
            files.server_config.as_ref(),
            "--config FILE",
            "openmetadata.yaml",
        ),
        FileKind::Workflow => (
            files.workflows.as_ref(),
            "--workflows DIR",
            "workflow YAMLs",
        ),
    };
    let Some(path) = given else {
        return Outcome::skip(format!("no {what} given ({flag})"));
    };
    let Some(target) = &ctx.target else {
        return Outcome::skip("no --target given");
    };
    let catalogue = match ctx.catalogue() {
        Ok(catalogue) => catalogue,
        Err(error) => return Outcome::fail(error.to_string()),
    };
    // Without the installed version every item up to the target is checked.
    let (installed, note) = match installed_from_db(ctx).await {
        Ok(installed) => (Some(installed), None),
        Err(unknown) => (
            None,
            Some(format!(
                "{unknown}; the items of every release from {} to {target} were checked",
                catalogue.oldest(),
            )),
        ),
    };
    let from = installed
        .as_ref()
        .map_or_else(Installed::before_every_release, Installed::plan_from);
    let plan = match catalogue.plan(&from, target) {
        Ok(plan) => plan,
        Err(error) => return Outcome::fail(error.to_string()).fix(error.hint()),
    };
    let items: Vec<&Item> = plan
        .items
        .iter()
        .copied()
        .filter(|i| i.config_rules.iter().any(|r| r.file == kind))
        .collect();
    let range = match &installed {
        Some(installed) => format!("{installed} → {}", plan.to),
        None => format!("an upgrade to {} from an unknown version", plan.to),
    };
    let mut outcome = judge_scan(ctx, kind, what, path, &items, &range);
    if let Some(note) = note {
        outcome = outcome.line(note);
    }
    outcome
}

/// The run's one scan, narrowed to this kind of file and the items of this upgrade: the places
/// to change, the files that could not be read, else a pass with the number of rules checked.
fn judge_scan(
    ctx: &Context,
    kind: FileKind,
    what: &str,
    path: &std::path::Path,
    items: &[&Item],
    range: &str,
) -> Outcome {
    let report = ctx.scan();
    let keys: Vec<String> = items.iter().map(|i| i.key()).collect();
    let hits: Vec<&Hit> = report
        .hits
        .iter()
        .filter(|h| h.kind == kind && keys.contains(&h.item))
        .collect();
    let problems: Vec<&FileProblem> = report
        .problems
        .iter()
        .filter(|p| match kind {
            FileKind::Server => p.file == *path,
            FileKind::Workflow => p.file.starts_with(path),
        })
        .collect();
    let mut outcome = if !hits.is_empty() {
        Outcome::warn(format!(
            "{} in {what} to change for {range}",
            plural(hits.len(), "place", "places")
        ))
        .fix("Edit each place as its item says; `om-upgrade releases` shows what to do for each.")
    } else if !problems.is_empty() {
        Outcome::warn(format!(
            "{} could not be read",
            plural(problems.len(), "file", "files")
        ))
        .fix("Fix or remove the files named below, then run again.")
    } else {
        let rules = items
            .iter()
            .flat_map(|i| &i.config_rules)
            .filter(|r| r.file == kind)
            .count();
        Outcome::pass(format!(
            "nothing in {what} to change for {range} ({} checked)",
            plural(rules, "rule", "rules")
        ))
    };
    for hit in hits {
        let title = items
            .iter()
            .find(|i| i.key() == hit.item)
            .map_or(hit.item.as_str(), |i| i.title.as_str());
        outcome = outcome.detail(
            format!(
                "{}{}",
                hit.file.display(),
                hit.line.map(|l| format!(":{l}")).unwrap_or_default()
            ),
            format!("{} — {title}", hit.text),
        );
    }
    for problem in problems {
        outcome = outcome.detail(
            format!(
                "{}{}",
                problem.file.display(),
                problem.line.map(|l| format!(":{l}")).unwrap_or_default()
            ),
            problem.error.clone(),
        );
    }
    if kind == FileKind::Workflow {
        outcome = outcome.line(format!(
            "{} read, {} ignored",
            plural(report.workflow_files, "workflow file", "workflow files"),
            plural(report.other_files, "other YAML file", "other YAML files")
        ));
    }
    outcome
}
