//! Client checks: are the Python interpreters that run ingestion (or a custom Airflow) aligned
//! with the target server? One check per aspect; each looks at every interpreter found.

use std::sync::Arc;
use std::time::Duration;

use super::{Check, CheckId, Context, Outcome, Status};
use crate::clients::inventory::INGESTION as INGESTION_PACKAGE;
use crate::clients::{self, Aspect, Assessment, Fix, Interpreter, Inventory, Policy, pip};

/// The step these checks belong to (the registry, [`super::all`], reads it).
pub const STEP: super::Step = super::Step::Clients;

pub const PYTHON: CheckId = CheckId::new("clients.python");
pub const INGESTION: CheckId = CheckId::new("clients.ingestion");
pub const MANAGED_APIS: CheckId = CheckId::new("clients.managed_apis");
pub const AIRFLOW: CheckId = CheckId::new("clients.airflow");

/// Discovery probes each interpreter (10 s) and runs `metadata --version` (30 s), four at a time.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The client checks: id, title and the aspect each judges.
const ASPECTS: [(CheckId, &str, Aspect); 4] = [
    (
        PYTHON,
        "Python version of the ingestion clients",
        Aspect::Python,
    ),
    (
        INGESTION,
        "openmetadata-ingestion matches the target",
        Aspect::Ingestion,
    ),
    (
        MANAGED_APIS,
        "openmetadata-managed-apis matches the target",
        Aspect::ManagedApis,
    ),
    (AIRFLOW, "Airflow version for the target", Aspect::Airflow),
];

pub fn checks(_ctx: &Context) -> Vec<Check> {
    ASPECTS
        .into_iter()
        .map(|(id, title, aspect)| {
            Check::new(
                id,
                title,
                move |ctx| async move { judge(&ctx, aspect).await },
            )
            .timeout(TIMEOUT)
        })
        .collect()
}

async fn judge(ctx: &Arc<Context>, aspect: Aspect) -> Outcome {
    let Some(target) = &ctx.target else {
        return Outcome::skip(
            "no target version given: add --target X.Y.Z to check the Python clients against it",
        );
    };
    let inventory = match ctx.clients.inventory().await {
        Ok(inventory) => inventory,
        Err(error) if aspect == Aspect::Python => {
            return Outcome::fail(error.to_string()).fix(
                "Name an existing interpreter with --python PATH, or a folder with --search DIR.",
            );
        }
        Err(_) => return Outcome::skip(format!("no interpreters to look at: see {PYTHON}")),
    };
    let requirements = ctx
        .catalogue()
        .map(|catalogue| catalogue.requirements(target))
        .unwrap_or_default();
    aspect_outcome(
        aspect,
        inventory,
        &Policy::for_release(target, &requirements),
    )
}

fn aspect_outcome(aspect: Aspect, inventory: &Inventory, policy: &Policy) -> Outcome {
    let judged: Vec<(&Interpreter, Assessment)> = inventory
        .relevant()
        .map(|i| (i, clients::assess(i, policy)))
        .collect();
    let mut outcome = outcome_for(aspect, &judged, inventory, policy);
    if aspect == Aspect::Python {
        outcome = with_broken(outcome, inventory);
    }
    for note in &inventory.notes {
        outcome = outcome.line(note.clone());
    }
    outcome
}

/// The four client checks' results for interpreters already found (the wizard's Clients step
/// holds them), as `om-upgrade check` would report them; `took` is how long finding them took.
pub fn results(
    inventory: &Inventory,
    policy: &Policy,
    took: Duration,
) -> Vec<super::runner::CheckResult> {
    ASPECTS
        .into_iter()
        .map(|(id, title, aspect)| super::runner::CheckResult {
            id,
            title: title.to_string(),
            step: Some(STEP),
            outcome: aspect_outcome(aspect, inventory, policy),
            duration: took,
        })
        .collect()
}

fn nothing_found(inventory: &Inventory) -> Outcome {
    if let Some(named) = inventory.named_broken() {
        return Outcome::skip(format!(
            "cannot look at {}: it does not run (see {PYTHON})",
            named.path.display()
        ));
    }
    let looked_at = if inventory.looked_at.is_empty() {
        "no interpreter was found to look at".to_string()
    } else {
        format!(
            "looked at {}",
            inventory
                .looked_at
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Outcome::skip(format!(
        "no Python with openmetadata-ingestion, openmetadata-managed-apis or apache-airflow found ({looked_at})"
    ))
    .fix("If ingestion runs on this host, name its interpreter with --python PATH (e.g. Airflow's venv) or search a folder with --search DIR.")
}

/// Fail before warn before pass; skip only when nothing else.
fn severity(status: Status) -> u8 {
    match status {
        Status::Skip => 0,
        Status::Pass => 1,
        Status::Warn => 2,
        Status::Fail => 3,
    }
}

fn outcome_for(
    aspect: Aspect,
    judged: &[(&Interpreter, Assessment)],
    inventory: &Inventory,
    policy: &Policy,
) -> Outcome {
    if judged.is_empty() {
        return nothing_found(inventory);
    }
    let worst = judged
        .iter()
        .map(|(_, a)| a.verdict(aspect).status)
        .max_by_key(|s| severity(*s))
        .unwrap_or(Status::Skip);
    if worst == Status::Skip {
        return Outcome::skip(format!(
            "{} is not installed in the {} interpreter(s) found",
            aspect.label(),
            judged.len()
        ));
    }
    let at_worst: Vec<&(&Interpreter, Assessment)> = judged
        .iter()
        .filter(|(_, a)| a.verdict(aspect).status == worst)
        .collect();
    let (first, assessment) = at_worst[0];
    let mut summary = format!(
        "{}: {}",
        first.path.display(),
        assessment.verdict(aspect).note
    );
    if at_worst.len() > 1 {
        summary.push_str(&format!(" (and {} more)", at_worst.len() - 1));
    }
    let mut outcome = match worst {
        Status::Fail => Outcome::fail(summary),
        Status::Warn => Outcome::warn(summary),
        _ => Outcome::pass(summary),
    };
    for (interpreter, assessment) in judged {
        let verdict = assessment.verdict(aspect);
        outcome = outcome.detail(
            interpreter.path.display().to_string(),
            format!(
                "{} {} → {}",
                verdict.status.label(),
                verdict.current.as_deref().unwrap_or("not installed"),
                verdict.required.as_deref().unwrap_or("unknown")
            ),
        );
        if aspect == Aspect::Ingestion && interpreter.ingestion.is_some() {
            if !interpreter.plugins.is_empty() {
                outcome = outcome.detail(
                    "plugins (inferred from installed packages)",
                    interpreter.plugins.join(", "),
                );
            }
            if let Some(cli) = &interpreter.metadata_cli {
                outcome = outcome.detail(
                    "python -m metadata --version",
                    if cli.works {
                        cli.output.clone()
                    } else {
                        format!("fails: {}", cli.output)
                    },
                );
            }
        }
    }
    match remediation(aspect, judged, policy) {
        Some(fix) => outcome.fix(fix),
        None => outcome,
    }
}

/// What to do, for the interpreters this aspect does not pass in.
fn remediation(
    aspect: Aspect,
    judged: &[(&Interpreter, Assessment)],
    policy: &Policy,
) -> Option<String> {
    let mut steps = Vec::new();
    for (interpreter, assessment) in judged {
        let verdict = assessment.verdict(aspect);
        if !matches!(verdict.status, Status::Fail | Status::Warn) {
            continue;
        }
        let path = interpreter.path.display();
        let is_client = matches!(aspect, Aspect::Ingestion | Aspect::ManagedApis);
        let metadata_problem = match aspect {
            Aspect::Ingestion => interpreter.ingestion.as_ref(),
            Aspect::ManagedApis => interpreter.managed_apis.as_ref(),
            _ => None,
        }
        .is_some_and(|p| p.problem.is_some());
        let advice: Vec<String> = assessment
            .advice_for(aspect)
            .map(ToString::to_string)
            .collect();
        match (verdict.status, &assessment.fix) {
            // Whatever is wrong with a client, reinstalling it on a Python the target does not
            // support would not help: it goes into the new environment.
            (Status::Warn, Some(fix @ Fix::NewVenv { notes, .. })) if is_client => {
                steps.push(format!(
                    "{path} runs an unsupported Python, so fix {} in a new environment, not in this one:\n{}\n{}",
                    aspect.label(),
                    indent_commands(fix),
                    notes.join(" ")
                ));
            }
            (Status::Fail, Some(fix @ Fix::NewVenv { notes, .. })) => {
                steps.push(format!(
                    "{path} runs an unsupported Python: make a new environment:\n{}\n{}",
                    indent_commands(fix),
                    notes.join(" ")
                ));
            }
            // A client of another release, or one whose metadata is damaged.
            (status, Some(fix @ Fix::InPlace { .. }))
                if (status == Status::Fail && is_client)
                    || (status == Status::Warn && metadata_problem) =>
            {
                steps.push(format!("For {path}, run:\n{}", indent_commands(fix)));
            }
            _ if !advice.is_empty() => steps.extend(advice),
            (Status::Warn, _) if verdict.required.is_none() && verdict.current.is_some() => {
                steps.push(format!(
                    "Look up the {} versions OpenMetadata {} supports in its release notes and compare with {} in {path}.",
                    aspect.label(),
                    policy.server,
                    verdict.current.as_deref().unwrap_or_default()
                ));
            }
            (Status::Warn, _) if aspect == Aspect::Ingestion => {
                let reinstall = pip::install(
                    &interpreter.path,
                    &[pip::requirement(
                        INGESTION_PACKAGE,
                        &interpreter.plugins,
                        &policy.server,
                    )],
                );
                steps.push(format!(
                    "Run `{path} -m metadata --version` to see the error; reinstalling the pinned client usually fixes a missing dependency:\n{COMMAND_INDENT}{reinstall}"
                ));
            }
            _ => {}
        }
    }
    steps.dedup();
    (!steps.is_empty()).then(|| steps.join("\n"))
}

/// How a command stands in a remediation: on its own line, indented.
const COMMAND_INDENT: &str = "    ";

fn indent_commands(fix: &Fix) -> String {
    fix.commands()
        .iter()
        .map(|c| format!("{COMMAND_INDENT}{c}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The commands the client checks' remediations give, in order, each once (for the views that
/// list them apart, such as the report).
pub fn commands(results: &[super::runner::CheckResult]) -> Vec<String> {
    let mut commands: Vec<String> = Vec::new();
    for result in results.iter().filter(|r| r.step == Some(STEP)) {
        let Some(fix) = &result.outcome.remediation else {
            continue;
        };
        for line in fix.lines() {
            if let Some(command) = line.strip_prefix(COMMAND_INDENT)
                && !command.trim().is_empty()
                && !commands.iter().any(|c| c == command.trim())
            {
                commands.push(command.trim().to_string());
            }
        }
    }
    commands
}

/// Interpreters that did not answer: the client they may hold cannot be judged. One named with
/// `--python` fails the check, one found otherwise warns (see [`clients::Broken`]).
fn with_broken(outcome: Outcome, inventory: &Inventory) -> Outcome {
    let Some(worst) = inventory.broken.iter().max_by_key(|b| severity(b.status)) else {
        return outcome;
    };
    let mut outcome = if severity(worst.status) > severity(outcome.status) {
        // "Nothing found" advice (a skip) does not apply to an interpreter that was found; the
        // advice for interpreters that answered still does.
        let remediation = outcome
            .remediation
            .filter(|_| outcome.status != Status::Skip);
        Outcome {
            status: worst.status,
            summary: format!("cannot run {}: {}", worst.path.display(), worst.reason),
            remediation,
            ..outcome
        }
    } else {
        outcome
    };
    let mut remedies = Vec::new();
    for broken in &inventory.broken {
        outcome = outcome.detail(
            broken.path.display().to_string(),
            format!("{} cannot run it: {}", broken.status.label(), broken.reason),
        );
        remedies.push(format!("For {}: {}", broken.path.display(), broken.remedy));
    }
    let remediation = outcome
        .remediation
        .take()
        .into_iter()
        .chain(remedies)
        .collect::<Vec<_>>()
        .join("\n");
    outcome.fix(remediation)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::clients::Broken;
    use crate::clients::discover::Origin;
    use crate::clients::inventory::{Package, pep440_release};
    use crate::clients::probe::CliProbe;

    fn package(version: &str) -> Package {
        Package {
            version: Some(version.into()),
            release: pep440_release(version),
            location: "/opt/venv/lib/python3.10/site-packages".into(),
            problem: None,
        }
    }

    #[test]
    fn a_broken_interpreter_keeps_the_advice_for_one_that_answered() {
        let good = Interpreter {
            path: "/opt/venv/bin/python".into(),
            origins: vec![Origin::Flag],
            python: "3.10.13".parse().unwrap(),
            prefix: "/opt/venv".into(),
            venv: true,
            pip: true,
            ingestion: Some(package("1.2.0.0")),
            managed_apis: None,
            airflow: None,
            plugins: Vec::new(),
            metadata_cli: Some(CliProbe {
                works: true,
                output: "metadata 1.2.0.0".into(),
            }),
        };
        let inventory = Inventory {
            interpreters: vec![good],
            broken: vec![Broken {
                path: PathBuf::from("/gone/bin/python"),
                origins: vec![Origin::Flag],
                status: Status::Fail,
                reason: "it is a link to a file that does not exist".into(),
                remedy: "name an interpreter that exists".into(),
            }],
            notes: Vec::new(),
            looked_at: vec!["/opt/venv/bin/python".into(), "/gone/bin/python".into()],
        };
        // Supported Pythons unknown: the good interpreter warns with a step to look them up.
        let policy = Policy {
            server: "1.2.0".parse().unwrap(),
            python: None,
            airflow: None,
        };
        let outcome = aspect_outcome(Aspect::Python, &inventory, &policy);
        assert_eq!(outcome.status, Status::Fail, "{outcome:?}");
        let remediation = outcome.remediation.unwrap_or_default();
        assert!(
            remediation.contains("Look up the Python versions OpenMetadata 1.2.0 supports"),
            "{remediation}"
        );
        assert!(
            remediation.contains("For /gone/bin/python: name an interpreter that exists"),
            "{remediation}"
        );
    }
}
