//! Runs checks concurrently, each under its own timeout; a check whose dependency failed or was
//! skipped is skipped with the reason. A panicking check becomes a `fail`, never a crash.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::{Check, CheckId, Context, Outcome, Status, Step};
use crate::humanize;

/// A finished check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub title: String,
    /// The step it belongs to, as the registry declares it (none for a check outside it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(
        rename = "duration_ms",
        serialize_with = "as_millis",
        deserialize_with = "from_millis"
    )]
    pub duration: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn from_millis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

/// The outcomes of `results` by check id, for the release items they measure
/// (`measured_by: db.sort_memory`).
pub fn elsewhere(results: &[CheckResult]) -> crate::knowledge::impact::Elsewhere {
    results
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                crate::knowledge::impact::Measured {
                    status: r.outcome.status,
                    summary: r.outcome.summary.clone(),
                },
            )
        })
        .collect()
}

/// Progress of a run, for views that show checks as they go.
#[derive(Debug, Clone)]
pub enum CheckEvent {
    Started(CheckId),
    Finished(CheckResult),
}

/// Runs `checks` and returns their results in the given order. Dependencies must come before
/// the checks that need them (which also rules out cycles).
pub async fn run(
    checks: Vec<Check>,
    ctx: Arc<Context>,
    events: Option<mpsc::UnboundedSender<CheckEvent>>,
) -> Vec<CheckResult> {
    let mut finished: Vec<(CheckId, watch::Receiver<Option<Status>>)> = Vec::new();
    let mut tasks = Vec::new();
    for check in checks {
        let deps: Result<Vec<_>, CheckId> = check
            .depends_on
            .iter()
            .map(|dep| {
                finished
                    .iter()
                    .find(|(id, _)| id == dep)
                    .map(|(id, rx)| (id.clone(), rx.clone()))
                    .ok_or_else(|| dep.clone())
            })
            .collect();
        let (done_tx, done_rx) = watch::channel(None);
        finished.push((check.id.clone(), done_rx));
        let ctx = ctx.clone();
        let events = events.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let outcome = match deps {
                Err(missing) => {
                    Outcome::skip(format!("needs {missing}, which is not part of this run"))
                }
                Ok(deps) => match blocking_dependency(deps).await {
                    Some((dep, status)) => Outcome::skip(format!(
                        "skipped: {dep} {}",
                        match status {
                            Status::Fail => "failed",
                            _ => "was skipped",
                        }
                    )),
                    None => {
                        if let Some(tx) = &events {
                            let _ = tx.send(CheckEvent::Started(check.id.clone()));
                        }
                        run_one(&check, ctx).await
                    }
                },
            };
            let result = CheckResult {
                id: check.id.clone(),
                title: check.title.to_string(),
                step: check.step,
                outcome,
                duration: started.elapsed(),
            };
            tracing::info!(
                check = %result.id,
                status = result.outcome.status.label(),
                millis = result.duration.as_millis() as u64,
                "check finished"
            );
            let _ = done_tx.send(Some(result.outcome.status));
            if let Some(tx) = &events {
                let _ = tx.send(CheckEvent::Finished(result.clone()));
            }
            result
        }));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(result) => results.push(result),
            // The wrapper above does not panic; if the runtime is shutting down, stop here.
            Err(_) => break,
        }
    }
    results
}

/// Waits for the dependencies; returns the first one that did not pass or warn.
async fn blocking_dependency(
    deps: Vec<(CheckId, watch::Receiver<Option<Status>>)>,
) -> Option<(CheckId, Status)> {
    for (id, mut rx) in deps {
        let status = match rx.wait_for(Option::is_some).await {
            Ok(status) => status.unwrap_or(Status::Fail),
            Err(_) => Status::Fail,
        };
        if matches!(status, Status::Fail | Status::Skip) {
            return Some((id, status));
        }
    }
    None
}

async fn run_one(check: &Check, ctx: Arc<Context>) -> Outcome {
    let work = tokio::spawn(check.start(ctx));
    let abort = work.abort_handle();
    match tokio::time::timeout(check.timeout, work).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join_error)) => {
            let reason = if join_error.is_panic() {
                let payload = join_error.into_panic();
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into())
            } else {
                "cancelled".into()
            };
            Outcome::fail(format!("internal error in this check: {reason}")).fix(
                "This is a bug in om-upgrade: please report it with the output of RUST_LOG=debug.",
            )
        }
        Err(_elapsed) => {
            abort.abort();
            Outcome::fail(format!(
                "did not finish within {}",
                humanize::duration(check.timeout)
            ))
            .fix("The database is slow to answer or a lock blocks the query; run again, or check the server's load.")
        }
    }
}

/// Exit code for a set of results: 1 when anything failed (or warned, with `strict`), else 0.
pub fn exit_code(results: &[CheckResult], strict: bool) -> i32 {
    let bad = |r: &CheckResult| match r.outcome.status {
        Status::Fail => true,
        Status::Warn => strict,
        Status::Pass | Status::Skip => false,
    };
    if results.iter().any(bad) { 1 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DbInputs, Env, resolve};

    fn ctx() -> Arc<Context> {
        let settings = resolve(&DbInputs::default(), &Env::default())
            .unwrap()
            .settings;
        Arc::new(Context::new(settings, None, std::env::temp_dir()))
    }

    const A: CheckId = CheckId::new("test.a");
    const B: CheckId = CheckId::new("test.b");
    const C: CheckId = CheckId::new("test.c");

    #[tokio::test]
    async fn dependents_of_a_failure_are_skipped_with_the_reason() {
        let checks = vec![
            Check::new(A, "a", |_| async { Outcome::fail("broken") }),
            Check::new(B, "b", |_| async { Outcome::pass("fine") }).after(A),
            Check::new(C, "c", |_| async { Outcome::pass("independent") }),
        ];
        let results = run(checks, ctx(), None).await;
        let statuses: Vec<_> = results.iter().map(|r| r.outcome.status).collect();
        assert_eq!(statuses, vec![Status::Fail, Status::Skip, Status::Pass]);
        assert_eq!(results[1].outcome.summary, "skipped: test.a failed");
        assert_eq!(exit_code(&results, false), 1);
    }

    #[tokio::test]
    async fn a_warning_lets_dependents_run_and_strict_turns_it_into_failure() {
        let checks = vec![
            Check::new(A, "a", |_| async { Outcome::warn("meh") }),
            Check::new(B, "b", |_| async { Outcome::pass("fine") }).after(A),
        ];
        let results = run(checks, ctx(), None).await;
        assert_eq!(results[1].outcome.status, Status::Pass);
        assert_eq!(exit_code(&results, false), 0);
        assert_eq!(exit_code(&results, true), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn panics_and_hangs_become_failures() {
        let checks = vec![
            Check::new(A, "a", |_| async { panic!("boom") }),
            Check::new(B, "b", |_| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Outcome::pass("never")
            })
            .timeout(Duration::from_secs(5)),
        ];
        let started = tokio::time::Instant::now();
        let results = run(checks, ctx(), None).await;
        assert_eq!(started.elapsed().as_secs(), 5);
        assert_eq!(results[0].outcome.status, Status::Fail);
        assert!(results[0].outcome.summary.contains("boom"));
        assert_eq!(results[1].outcome.status, Status::Fail);
        assert!(results[1].outcome.summary.contains("did not finish"));
    }

    // Paused time: sleeps advance a virtual clock, so this measures overlap, not machine speed.
    #[tokio::test(start_paused = true)]
    async fn checks_run_concurrently() {
        let slow = |_| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Outcome::pass("slow")
        };
        let checks = vec![
            Check::new(A, "a", slow),
            Check::new(B, "b", slow),
            Check::new(C, "c", slow),
        ];
        let started = tokio::time::Instant::now();
        run(checks, ctx(), None).await;
        assert_eq!(started.elapsed().as_secs(), 10);
    }

    #[tokio::test]
    async fn unknown_or_later_dependencies_are_skipped_not_deadlocked() {
        let checks = vec![
            Check::new(A, "a", |_| async { Outcome::pass("x") }).after(B),
            Check::new(B, "b", |_| async { Outcome::pass("y") }),
        ];
        let results = run(checks, ctx(), None).await;
        assert_eq!(results[0].outcome.status, Status::Skip);
        assert!(results[0].outcome.summary.contains("not part of this run"));
    }

    #[tokio::test]
    async fn events_report_start_and_finish() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let checks = vec![Check::new(A, "a", |_| async { Outcome::pass("x") })];
        run(checks, ctx(), Some(tx)).await;
        assert!(matches!(rx.recv().await, Some(CheckEvent::Started(id)) if id == A));
        assert!(matches!(rx.recv().await, Some(CheckEvent::Finished(r)) if r.id == A));
    }
}
