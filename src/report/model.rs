//! The report as data: what it is made from ([`Inputs`]) and what it says ([`Report`]), the
//! same for every format. The JSON form is this structure, described by
//! `assets/report.schema.json`.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::backup::manifest::CopyRecord;

use super::redact::{MASK, Redactor, Scrub, is_secret_key};
use super::review::{FoundIn, ReleaseReview, Verdict};
use crate::backup::locate::{self, FoundBackup};
use crate::checks::runner::CheckResult;
use crate::checks::{self, Status};
use crate::config::{DbSettings, Env};
use crate::db::Engine;
use crate::knowledge::Reach;
use crate::version::Version;

/// Version of the JSON layout: bumped when a field changes meaning or disappears (adding an
/// optional field does not bump it).
pub const SCHEMA_VERSION: u32 = 1;

/// Who made a report, when, and with which build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub at: DateTime<Utc>,
    pub user: String,
    pub host: String,
    pub tool_version: String,
}

impl Stamp {
    /// Now, the login name and this host's name.
    pub fn now(env: &Env) -> Stamp {
        let user = login_name(env);
        let host = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned();
        Stamp {
            at: Utc::now(),
            user,
            host: if host.is_empty() {
                "unknown host".into()
            } else {
                host
            },
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// `USER` or `LOGNAME`, else the name /etc/passwd gives this process's user (a cron job or a
/// container may set neither), else the uid.
fn login_name(env: &Env) -> String {
    if let Some(name) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|name| env.get(name).filter(|v| !v.trim().is_empty()))
    {
        return name.to_string();
    }
    let uid = rustix::process::getuid().as_raw();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                let id = fields.nth(1)?.parse::<u32>().ok()?;
                (id == uid).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// What made the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// `om-upgrade report`: every check was run for it.
    Report,
    /// The wizard's Summary: the results of the steps the operator ran.
    Wizard,
}

/// The metadata database, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseView {
    pub engine: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    /// PostgreSQL only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub user: String,
}

impl DatabaseView {
    pub fn of(settings: &DbSettings) -> DatabaseView {
        let engine = settings.engine.value;
        DatabaseView {
            engine: engine.to_string(),
            host: settings.host.value.clone(),
            port: settings.port.value,
            database: settings.database.value.clone(),
            schema: (engine == Engine::Postgres).then(|| settings.schema.value.clone()),
            user: settings.user.value.clone(),
        }
    }
}

/// Whether a backup's manifest records a verification, and how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verified {
    Passed,
    Failed,
    NotVerified,
}

/// The backup the report points at: where it is and how to tell it is whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFacts {
    pub path: String,
    pub bytes: u64,
    /// From the manifest; absent for a file without one (the official CLI's).
    pub sha256: Option<String>,
    /// When it finished (manifest), else the file's modification time. RFC 3339, UTC.
    pub taken_at: String,
    pub method: Option<String>,
    /// The OpenMetadata schema version when it was taken.
    pub openmetadata_version: Option<String>,
    pub verified: Verified,
    /// What the last verification said, and when.
    pub verification: Option<String>,
    pub verified_at: Option<String>,
    /// The verification restored it into a scratch database and compared every table.
    pub restored: bool,
    /// Verified copies off this host, from the manifest (`backup --copy-to`, `copy`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<CopyRecord>,
    /// What the manifest records of the stored secrets (never the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<String>,
    /// The database it was taken from (`postgres host:5432/db`), from its manifest; "source
    /// unknown" without one.
    #[serde(default)]
    pub source: String,
    /// The operator chose it in the wizard although it is not a backup of this database.
    #[serde(default)]
    pub used_anyway: bool,
}

impl BackupFacts {
    pub fn of(found: &FoundBackup) -> BackupFacts {
        let manifest = found.manifest.as_ref();
        let verification = manifest.and_then(|m| m.verification.as_ref());
        BackupFacts {
            path: found.path.display().to_string(),
            bytes: found.bytes,
            sha256: manifest.map(|m| m.file.sha256.clone()),
            taken_at: rfc3339(found.taken_at),
            method: manifest.and_then(|m| {
                serde_json::to_value(m.method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
            }),
            openmetadata_version: found.openmetadata_version().map(str::to_string),
            verified: match verification {
                Some(v) if v.ok => Verified::Passed,
                Some(_) => Verified::Failed,
                None => Verified::NotVerified,
            },
            verification: verification.map(|v| v.summary.clone()),
            verified_at: verification.map(|v| rfc3339(v.at)),
            restored: verification.is_some_and(|v| v.restored),
            copies: manifest.map(|m| m.copies.clone()).unwrap_or_default(),
            secrets: manifest
                .and_then(|m| m.secrets.as_ref())
                .map(crate::secrets::SecretFacts::describe),
            source: crate::backup::source::label(found),
            used_anyway: false,
        }
    }

    /// The backup at `path`, with its manifest when it has one.
    pub fn read(path: &Path) -> std::io::Result<BackupFacts> {
        locate::at(path).map(|found| BackupFacts::of(&found))
    }
}

/// What a report is made from.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub stamp: Stamp,
    pub via: Via,
    pub database: DatabaseView,
    pub target: Option<Version>,
    /// How far the release catalogue of the run reaches (none when it did not load).
    pub catalogue: Option<Reach>,
    /// Every check that ran, in the registry's order.
    pub results: Vec<CheckResult>,
    pub backup: Option<BackupFacts>,
    pub review: Option<ReleaseReview>,
    /// Why there is no review, when there is none.
    pub review_missing: Option<String>,
    /// Release items the operator acknowledged (`1.2/query-service-required`).
    pub acknowledged: BTreeSet<String>,
    /// Open actions count as failures in the exit code.
    pub strict: bool,
    /// Steps whose results were computed for other inputs (another connection, target or
    /// files) and were set aside: said "stale — re-run", never reused.
    pub stale: BTreeSet<Step>,
}

pub use crate::checks::Step;

/// The check whose summary speaks for a step when everything passed.
fn lead(step: Step) -> checks::CheckId {
    match step {
        Step::Database => checks::db::CONNECT,
        Step::Backup => checks::backup::RECENT,
        Step::ReleaseReview => checks::release::PATH,
        Step::Clients => checks::clients::INGESTION,
        Step::Installation => checks::search::VERSION,
    }
}
/// Where a step stands: a prerequisite of the report, or a step of the wizard (the sidebar and
/// the Summary), which may also be running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pass,
    Warn,
    Fail,
    /// Every check of the step was skipped (does not apply, or another failed).
    Skip,
    /// None of its checks ran (the wizard's step was not visited, or what it found no longer
    /// describes the settings).
    NotRun,
    /// Its work is running: a wizard step, never a prerequisite of a report.
    Running,
    /// What it found was computed for other inputs (connection, target, files): set aside
    /// until it is run again.
    Stale,
}

impl StepStatus {
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Pass => "pass",
            StepStatus::Warn => "warn",
            StepStatus::Fail => "fail",
            StepStatus::Skip => "skipped",
            StepStatus::NotRun => "not run",
            StepStatus::Running => "running",
            StepStatus::Stale => "stale — re-run",
        }
    }

    /// A glyph that reads without colour (a running step's is animated by the wizard).
    pub fn glyph(self) -> &'static str {
        match self {
            StepStatus::Pass => Status::Pass.glyph(),
            StepStatus::Warn => Status::Warn.glyph(),
            StepStatus::Fail => Status::Fail.glyph(),
            StepStatus::Skip => Status::Skip.glyph(),
            StepStatus::NotRun | StepStatus::Running => "·",
            StepStatus::Stale => "↻",
        }
    }
}

/// One prerequisite of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prerequisite {
    pub number: u8,
    pub step: Step,
    pub title: String,
    pub status: StepStatus,
    /// Ticked: everything passed, or what warned was acknowledged.
    pub done: bool,
    pub summary: String,
    /// Ids of its checks, in order (details under `checks`).
    pub checks: Vec<String>,
    /// Step `backup`: the newest backup of this database, when one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupFacts>,
    /// Step `release_review`: every item between the versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_review: Option<ReleaseReview>,
    /// Step `clients`: the commands that align the Python clients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
}

impl Prerequisite {
    /// Its results were computed for other inputs and set aside: stale, to be run again.
    fn stale(self) -> Prerequisite {
        Prerequisite {
            status: StepStatus::Stale,
            done: false,
            summary: "stale — re-run: what it found was for another connection, target or files"
                .to_string(),
            ..self
        }
    }
}

impl Prerequisite {
    /// Stale when its step's results were for other inputs; a release review with breaking
    /// items nobody measured or acknowledged (`open_items`) is not done.
    fn judged(self, stale: &BTreeSet<Step>, open_items: bool) -> Prerequisite {
        match self.step {
            step if stale.contains(&step) => self.stale(),
            Step::ReleaseReview if open_items => self.with_open_items(),
            _ => self,
        }
    }

    fn with_open_items(self) -> Prerequisite {
        match self.status {
            StepStatus::Pass | StepStatus::Skip => Prerequisite {
                status: StepStatus::Warn,
                done: false,
                ..self
            },
            _ => self,
        }
    }
}

/// The breaking items that neither a measurement settles nor the operator acknowledged: an
/// open action each (the ones measured to affect this installation are already open actions
/// through the check that measured them).
fn unreviewed_breaking<'a>(
    review: &ReleaseReview,
    findings: impl Iterator<Item = &'a Finding>,
) -> Vec<Finding> {
    // An item whose own check could not tell (a probe failed) is open through that check.
    let open: BTreeSet<&str> = findings.map(|f| f.check.as_str()).collect();
    review
        .items
        .iter()
        .filter(|i| {
            i.kind == crate::knowledge::Kind::Breaking.as_str()
                && i.verdict == Verdict::Unknown
                && !i.acknowledged
                && !open.contains(format!("release.{}", i.id.replace('-', "_")).as_str())
        })
        .map(|i| Finding {
            check: i.key.clone(),
            title: i.title.clone(),
            step: Some(Step::ReleaseReview),
            summary: format!(
                "breaking change, neither measured nor acknowledged: {}",
                i.summary
            ),
            remediation: Some(i.action.clone()),
        })
        .collect()
}

/// A blocker (a failed check) or an open action (a warning not acknowledged, or a breaking
/// release item neither measured nor acknowledged, named by its key `1.3/<item id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub check: String,
    pub title: String,
    pub step: Option<Step>,
    pub summary: String,
    pub remediation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub text: String,
}

/// One check as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckEntry {
    pub id: String,
    pub title: String,
    pub step: Option<Step>,
    pub status: Status,
    pub summary: String,
    pub details: Vec<DetailLine>,
    pub remediation: Option<String>,
    pub duration_ms: u64,
    /// A warning the operator acknowledged (a release item, or every config hit of a scan).
    pub acknowledged: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: usize,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

/// The verdict on the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Nothing failed and nothing is open.
    Ready,
    /// Nothing failed; some warnings need action.
    ActionsOpen,
    /// A check failed.
    Blocked,
    /// Nothing failed in what ran, but a prerequisite was not run (or is stale): not ready.
    Incomplete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overall {
    pub readiness: Readiness,
    /// What `om-upgrade report` exits with: 1 when a check failed, a prerequisite was not
    /// checked (or, with `strict`, when an action is open), else 0.
    pub exit_code: i32,
    pub strict: bool,
    pub blockers: usize,
    pub open_actions: usize,
    /// Prerequisites not run, or whose results are stale.
    #[serde(default)]
    pub incomplete: usize,
    pub checks: Counts,
}

impl Overall {
    /// The verdict on a run: its checks' counts, and whether it is blocked (a check failed),
    /// incomplete (a prerequisite not run or stale), has actions open (warnings not settled)
    /// or is ready; the exit code follows, `strict` counting open actions as failures.
    pub fn of(
        results: &[CheckResult],
        blockers: usize,
        open_actions: usize,
        incomplete: usize,
        strict: bool,
    ) -> Overall {
        let count = |s: Status| results.iter().filter(|r| r.outcome.status == s).count();
        let readiness = if blockers > 0 {
            Readiness::Blocked
        } else if incomplete > 0 {
            Readiness::Incomplete
        } else if open_actions > 0 {
            Readiness::ActionsOpen
        } else {
            Readiness::Ready
        };
        Overall {
            readiness,
            exit_code: i32::from(blockers > 0 || incomplete > 0 || (strict && open_actions > 0)),
            strict,
            blockers,
            open_actions,
            incomplete,
            checks: Counts {
                total: results.len(),
                pass: count(Status::Pass),
                warn: count(Status::Warn),
                fail: count(Status::Fail),
                skip: count(Status::Skip),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    /// RFC 3339, UTC.
    pub at: String,
    pub user: String,
    pub host: String,
    pub tool: String,
    pub tool_version: String,
    pub via: Via,
}

impl Generated {
    fn of(stamp: Stamp, via: Via) -> Generated {
        Generated {
            at: rfc3339(stamp.at),
            user: stamp.user,
            host: stamp.host,
            tool: "om-upgrade".into(),
            tool_version: stamp.tool_version,
            via,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    /// The schema version recorded in the database (the server may run a later patch of it).
    pub installed: Option<String>,
    pub target: Option<String>,
    /// How far the release catalogue the run judged with reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<CatalogueReach>,
}

/// The newest release a catalogue covers, and the day it was last checked against the
/// published releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueReach {
    pub newest: String,
    /// `YYYY-MM-DD`, when the catalogue says.
    pub checked: Option<String>,
}

impl CatalogueReach {
    pub fn of(reach: &Reach) -> CatalogueReach {
        CatalogueReach {
            newest: reach.newest.to_string(),
            checked: reach.checked.clone(),
        }
    }

    /// "releases up to 2.0.7, checked 2026-10-30"
    pub fn describe(&self) -> String {
        match &self.checked {
            Some(day) => format!("releases up to {}, checked {day}", self.newest),
            None => format!("releases up to {}", self.newest),
        }
    }
}

/// A built report: the same content for every format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub generated: Generated,
    pub openmetadata: Upgrade,
    pub database: DatabaseView,
    pub overall: Overall,
    pub checklist: Vec<Prerequisite>,
    pub blockers: Vec<Finding>,
    pub open_actions: Vec<Finding>,
    pub checks: Vec<CheckEntry>,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A warning that the operator's acknowledgements settle: a release item's check when the item
/// is acknowledged; a config or workflow scan when every item it found is.
pub fn is_settled(
    result: &CheckResult,
    acknowledged: &BTreeSet<String>,
    review: Option<&ReleaseReview>,
) -> bool {
    if result.outcome.status != Status::Warn {
        return false;
    }
    let id = result.id.as_str();
    if id == checks::release::SERVER_CONFIG.as_str() {
        return review.is_some_and(|r| r.all_acknowledged_in(FoundIn::OpenmetadataYaml));
    }
    if id == checks::release::WORKFLOWS.as_str() {
        return review.is_some_and(|r| r.all_acknowledged_in(FoundIn::Workflows));
    }
    if id == checks::release::PATH.as_str() || result.step != Some(Step::ReleaseReview) {
        return false;
    }
    // `1.2/query-service-required` is measured by `release.query_service_required`.
    acknowledged.iter().any(|key| {
        key.split_once('/')
            .is_some_and(|(_, item)| id == format!("release.{}", item.replace('-', "_")))
    })
}

/// The blockers (failed checks) and open actions (warnings not settled), in check order.
pub fn triage<'a>(
    results: &'a [CheckResult],
    acknowledged: &BTreeSet<String>,
    review: Option<&ReleaseReview>,
) -> (Vec<&'a CheckResult>, Vec<&'a CheckResult>) {
    let blockers = results
        .iter()
        .filter(|r| r.outcome.status == Status::Fail)
        .collect();
    let open = results
        .iter()
        .filter(|r| r.outcome.status == Status::Warn && !is_settled(r, acknowledged, review))
        .collect();
    (blockers, open)
}

/// The installed version as `db.openmetadata` recorded it.
fn installed_from(results: &[CheckResult]) -> Option<String> {
    results
        .iter()
        .find(|r| r.id == checks::db::OPENMETADATA)?
        .outcome
        .details
        .iter()
        .find(|d| d.label.as_deref() == Some(checks::db::SCHEMA_VERSION_DETAIL))
        .map(|d| d.text.clone())
}

fn finding(result: &CheckResult) -> Finding {
    Finding {
        check: result.id.to_string(),
        title: result.title.clone(),
        step: result.step,
        summary: result.outcome.summary.clone(),
        remediation: result.outcome.remediation.clone(),
    }
}

fn entry(result: &CheckResult, settled: bool) -> CheckEntry {
    CheckEntry {
        id: result.id.to_string(),
        title: result.title.clone(),
        step: result.step,
        status: result.outcome.status,
        summary: result.outcome.summary.clone(),
        details: result
            .outcome
            .details
            .iter()
            .map(|d| DetailLine {
                label: d.label.clone(),
                // A labelled secret (`password: …`) is masked whole: the label and the text
                // are separate strings, so no pattern sees them together.
                text: if d.label.as_deref().is_some_and(is_secret_key) {
                    MASK.to_string()
                } else {
                    d.text.clone()
                },
            })
            .collect(),
        remediation: result.outcome.remediation.clone(),
        duration_ms: u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
        acknowledged: settled,
    }
}

fn prerequisite(
    step: Step,
    entries: &[CheckEntry],
    backup: &Option<BackupFacts>,
    review: &Option<ReleaseReview>,
    review_missing: &Option<String>,
    commands: &[String],
    via: Via,
) -> Prerequisite {
    let mine: Vec<&CheckEntry> = entries.iter().filter(|e| e.step == Some(step)).collect();
    let lead_ran = mine.iter().any(|e| e.id == lead(step).as_str());
    // A backup step is done by a backup of this database, never by the room for one alone.
    let backup_missing = step == Step::Backup && !lead_ran;
    let status = match step_status(&mine) {
        StepStatus::Pass | StepStatus::Skip if backup_missing => StepStatus::NotRun,
        other => other,
    };
    let summary = step_summary(step, &mine, status, backup_missing, review, via);
    let summary = match (step, review, review_missing) {
        (Step::ReleaseReview, None, Some(why)) if status != StepStatus::NotRun => {
            format!("{summary} (items not reviewed: {why})")
        }
        _ => summary,
    };
    Prerequisite {
        number: step.number(),
        step,
        title: step.title().to_string(),
        status,
        done: status == StepStatus::Pass,
        summary,
        checks: mine.iter().map(|e| e.id.clone()).collect(),
        backup: (step == Step::Backup).then(|| backup.clone()).flatten(),
        release_review: (step == Step::ReleaseReview)
            .then(|| review.clone())
            .flatten(),
        commands: if step == Step::Clients {
            commands.to_vec()
        } else {
            Vec::new()
        },
    }
}

/// A check's status as the checklist counts it: an acknowledged one passes.
fn effective(entry: &CheckEntry) -> Status {
    if entry.acknowledged {
        Status::Pass
    } else {
        entry.status
    }
}

/// The worst of a step's checks (acknowledged ones pass); not run without any.
fn step_status(mine: &[&CheckEntry]) -> StepStatus {
    if mine.is_empty() {
        StepStatus::NotRun
    } else if mine.iter().any(|e| effective(e) == Status::Fail) {
        StepStatus::Fail
    } else if mine.iter().any(|e| effective(e) == Status::Warn) {
        StepStatus::Warn
    } else if mine.iter().any(|e| effective(e) == Status::Pass) {
        StepStatus::Pass
    } else {
        StepStatus::Skip
    }
}

/// The step's line: why it did not run, the release review's counts, its worst check, or
/// what its lead check said.
fn step_summary(
    step: Step,
    mine: &[&CheckEntry],
    status: StepStatus,
    backup_missing: bool,
    review: &Option<ReleaseReview>,
    via: Via,
) -> String {
    let worst = [Status::Fail, Status::Warn]
        .into_iter()
        .find_map(|s| mine.iter().find(|e| effective(e) == s));
    let lead = mine
        .iter()
        .find(|e| e.id == lead(step).as_str())
        .or_else(|| mine.first());
    match (status, worst, lead) {
        (StepStatus::NotRun, _, _) if backup_missing && !mine.is_empty() => {
            "no backup of this database checked (only the room for one was)".to_string()
        }
        (StepStatus::NotRun, _, _) => match via {
            Via::Wizard => "not run in this wizard session".to_string(),
            Via::Report => "not checked in this run".to_string(),
        },
        (_, _, _) if step == Step::ReleaseReview && review.is_some() => {
            review.as_ref().map(review_summary).unwrap_or_default()
        }
        (_, Some(worst), _) => format!("{}: {}", worst.id, worst.summary),
        (_, None, Some(lead)) => lead.summary.clone(),
        (_, None, None) => String::new(),
    }
}

/// "2 of 14 items affect you (1 acknowledged), 5 do not, 7 unknown: 1.1.5 → 1.2.0".
pub fn review_summary(review: &ReleaseReview) -> String {
    let c = &review.counts;
    let acknowledged = review
        .items
        .iter()
        .filter(|i| i.verdict == super::review::Verdict::Affects && i.acknowledged)
        .count();
    let mut text = format!(
        "{} → {}: {} of {} item{} affect{} you",
        review.from,
        review.to,
        c.affects,
        c.items,
        if c.items == 1 { "" } else { "s" },
        if c.affects == 1 { "s" } else { "" },
    );
    if c.affects > 0 {
        text.push_str(&format!(" ({acknowledged} acknowledged)"));
    }
    text.push_str(&format!(
        ", {} do{} not, {} unknown",
        c.not_affected,
        if c.not_affected == 1 { "es" } else { "" },
        c.unknown
    ));
    if !review.stops.is_empty() {
        let stops: Vec<&str> = review.stops.iter().map(|s| s.version.as_str()).collect();
        text.push_str(&format!("; stop at {} first", stops.join(", then ")));
    }
    text
}

impl Report {
    /// Builds the report and masks every secret in it.
    pub fn build(inputs: Inputs, redactor: &Redactor) -> Report {
        let Inputs {
            stamp,
            via,
            database,
            target,
            catalogue,
            results,
            backup,
            review,
            review_missing,
            acknowledged,
            strict,
            stale,
        } = inputs;
        let settled = |r: &CheckResult| is_settled(r, &acknowledged, review.as_ref());
        let entries: Vec<CheckEntry> = results.iter().map(|r| entry(r, settled(r))).collect();
        let (blockers, open) = triage(&results, &acknowledged, review.as_ref());
        let blockers: Vec<Finding> = blockers.into_iter().map(finding).collect();
        let mut open_actions: Vec<Finding> = open.into_iter().map(finding).collect();
        let unreviewed = review
            .as_ref()
            .map(|r| unreviewed_breaking(r, blockers.iter().chain(&open_actions)))
            .unwrap_or_default();
        let commands = checks::clients::commands(&results);
        let checklist: Vec<Prerequisite> = Step::ALL
            .into_iter()
            .map(|step| {
                let p = prerequisite(
                    step,
                    &entries,
                    &backup,
                    &review,
                    &review_missing,
                    &commands,
                    via,
                );
                p.judged(&stale, !unreviewed.is_empty())
            })
            .collect();
        if !stale.contains(&Step::ReleaseReview) {
            open_actions.extend(unreviewed);
        }
        let incomplete = checklist
            .iter()
            .filter(|p| matches!(p.status, StepStatus::NotRun | StepStatus::Stale))
            .count();
        let overall = Overall::of(
            &results,
            blockers.len(),
            open_actions.len(),
            incomplete,
            strict,
        );
        let installed = review
            .as_ref()
            .map(|r| r.from.clone())
            .or_else(|| installed_from(&results));
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            generated: Generated::of(stamp, via),
            openmetadata: Upgrade {
                installed,
                target: target.map(|t| t.to_string()),
                catalogue: catalogue.as_ref().map(CatalogueReach::of),
            },
            database,
            overall,
            checklist,
            blockers,
            open_actions,
            checks: entries,
        };
        report.scrub(redactor);
        report
    }

    /// The check with this id.
    pub fn check(&self, id: &str) -> Option<&CheckEntry> {
        self.checks.iter().find(|c| c.id == id)
    }
}

// Structural fields (ids, step titles, the database's names, versions, times, paths, hashes)
// are built from the check registry, the catalogue, the settings and the file system, never
// from a secret, and the schema and the links depend on them: they are left as built, so that
// a password that is also a word (`postgres`, `mysql`) cannot rewrite them. Free text (what
// checks and items say, details, remediation, evidence) is scrubbed.

impl Scrub for Report {
    fn scrub(&mut self, r: &Redactor) {
        let Report {
            schema_version: _,
            generated,
            openmetadata,
            database,
            overall: _,
            checklist,
            blockers,
            open_actions,
            checks,
        } = self;
        // Structure through and through; spelled out so that a field added later is judged.
        let Generated {
            at: _,
            user: _,
            host: _,
            tool: _,
            tool_version: _,
            via: _,
        } = generated;
        let Upgrade {
            installed: _,
            target: _,
            catalogue: _,
        } = openmetadata;
        let DatabaseView {
            engine: _,
            host: _,
            port: _,
            database: _,
            schema: _,
            user: _,
        } = database;
        checklist.scrub(r);
        blockers.scrub(r);
        open_actions.scrub(r);
        checks.scrub(r);
    }
}

impl Scrub for BackupFacts {
    fn scrub(&mut self, r: &Redactor) {
        let BackupFacts {
            path: _,
            bytes: _,
            sha256: _,
            taken_at: _,
            method: _,
            openmetadata_version: _,
            verified: _,
            verification,
            verified_at: _,
            restored: _,
            copies: _,
            secrets,
            source: _,
            used_anyway: _,
        } = self;
        verification.scrub(r);
        secrets.scrub(r);
    }
}

impl Scrub for Prerequisite {
    fn scrub(&mut self, r: &Redactor) {
        let Prerequisite {
            number: _,
            step: _,
            title: _,
            status: _,
            done: _,
            summary,
            checks: _,
            backup,
            release_review,
            commands,
        } = self;
        summary.scrub(r);
        backup.scrub(r);
        release_review.scrub(r);
        // Copied from the clients checks' remediation, which is free text.
        commands.scrub(r);
    }
}

impl Scrub for Finding {
    fn scrub(&mut self, r: &Redactor) {
        let Finding {
            check: _,
            title,
            step: _,
            summary,
            remediation,
        } = self;
        title.scrub(r);
        summary.scrub(r);
        remediation.scrub(r);
    }
}

impl Scrub for CheckEntry {
    fn scrub(&mut self, r: &Redactor) {
        let CheckEntry {
            id: _,
            title,
            step: _,
            status: _,
            summary,
            details,
            remediation,
            duration_ms: _,
            acknowledged: _,
        } = self;
        title.scrub(r);
        summary.scrub(r);
        for DetailLine { label, text } in details {
            label.scrub(r);
            text.scrub(r);
        }
        remediation.scrub(r);
    }
}
