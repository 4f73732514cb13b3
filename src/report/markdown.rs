//! The report as Markdown for GitHub and GitLab: task-list checkboxes for the checklist and the
//! open actions, tables for the facts, fenced blocks for commands, and no raw HTML. Every value
//! is escaped, so nothing in the data can become markup.

use std::fmt::Write as _;

use super::model::{
    CheckEntry, Finding, Overall, Prerequisite, Readiness, Report, Step, StepStatus,
};
use super::review::{ReleaseReview, ReviewItem, Verdict};
use super::view;
use crate::checks::Status;
use crate::humanize;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    header(report, &mut out);
    checklist(report, &mut out);
    findings(
        "Blockers",
        "None: no check failed.",
        &report.blockers,
        true,
        &mut out,
    );
    findings(
        "Open actions",
        "None: nothing is waiting for you.",
        &report.open_actions,
        false,
        &mut out,
    );
    for step in &report.checklist {
        section(report, step, &mut out);
    }
    let _ = writeln!(
        out,
        "---\n\n{} {} · report schema {} · {}",
        esc(&report.generated.tool),
        esc(&report.generated.tool_version),
        report.schema_version,
        view::via(report.generated.via)
    );
    out
}

/// Escapes Markdown punctuation in running text, on one line.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Running text in which `backquoted` parts (as the checks write commands) become code spans;
/// everything else is escaped.
fn rich(text: &str, in_table: bool) -> String {
    view::spans(text)
        .into_iter()
        .map(|(is_code, part)| {
            if is_code {
                code(part, in_table)
            } else {
                esc(part)
            }
        })
        .collect()
}

/// An inline code span, on one line; `|` escaped for table cells (GFM wants it even there).
fn code(text: &str, in_table: bool) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let text = if in_table {
        text.replace('|', "\\|")
    } else {
        text
    };
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 {
        return format!("`{text}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {text} {fence}")
}

/// A link when the address is a plain http(s) url, else the escaped text.
fn link(text: &str, url: &str) -> String {
    if view::is_plain_url(url) && !url.contains(['(', ')']) {
        format!("[{}]({url})", esc(text))
    } else {
        esc(text)
    }
}

fn fence_for(lines: &[&str]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// A remediation: prose as text, commands (indented lines) in a fenced block.
fn remediation(text: &str, lead: &str, indent: &str, out: &mut String) {
    for (i, block) in view::blocks(text).iter().enumerate() {
        match block {
            view::Block::Prose(prose) => {
                let lead = if i == 0 { lead } else { "" };
                let _ = writeln!(out, "{indent}{lead}{}", rich(prose, false));
            }
            view::Block::Commands(commands) => {
                let fence = fence_for(commands);
                let _ = writeln!(out, "{indent}{fence}sh");
                for command in commands {
                    let _ = writeln!(out, "{indent}{command}");
                }
                let _ = writeln!(out, "{indent}{fence}");
            }
        }
    }
}

fn header(report: &Report, out: &mut String) {
    let om = &report.openmetadata;
    let _ = writeln!(
        out,
        "# Pre-upgrade checklist: OpenMetadata {}\n",
        esc(&view::upgrade_line(om))
    );
    let o = &report.overall;
    let _ = writeln!(
        out,
        "**{}** Exit code {}{}.\n",
        esc(&verdict(o)),
        o.exit_code,
        if o.strict { " (strict)" } else { "" }
    );
    facts(report, out);
}

/// The overall verdict in one sentence.
fn verdict(o: &Overall) -> String {
    match o.readiness {
        Readiness::Blocked => format!(
            "Not ready: {}, {}.",
            humanize::plural(o.blockers, "blocker", "blockers"),
            humanize::plural(o.open_actions, "open action", "open actions")
        ),
        Readiness::ActionsOpen => format!(
            "No blocker; {} to do before upgrading.",
            humanize::plural(o.open_actions, "open action", "open actions")
        ),
        Readiness::Incomplete => format!(
            "Not ready: nothing failed in what ran, but {} not checked (not run, or stale — re-run).",
            humanize::plural(o.incomplete, "step is", "steps are")
        ),
        Readiness::Ready => {
            "Ready: every check passed, or what warned was acknowledged.".to_string()
        }
    }
}

/// The table of facts under the verdict: when, which tool, which versions, catalogue, database,
/// check counts.
fn facts(report: &Report, out: &mut String) {
    let om = &report.openmetadata;
    let o = &report.overall;
    let g = &report.generated;
    let db = &report.database;
    let rows = [
        (
            "Generated",
            format!(
                "{} by {} on {}",
                esc(&view::when(&g.at)),
                code(&g.user, true),
                code(&g.host, true)
            ),
        ),
        (
            "Tool",
            format!(
                "{} {} ({})",
                esc(&g.tool),
                esc(&g.tool_version),
                esc(view::via(g.via))
            ),
        ),
        (
            "OpenMetadata",
            format!(
                "{} installed → {} target",
                esc(om.installed.as_deref().unwrap_or("unknown")),
                esc(om.target.as_deref().unwrap_or("no"))
            ),
        ),
        (
            "Release catalogue",
            esc(&om.catalogue.as_ref().map_or_else(
                || "not loaded".to_string(),
                super::model::CatalogueReach::describe,
            )),
        ),
        (
            "Database",
            format!(
                "{} {}{} on {} as {}",
                esc(&db.engine),
                code(&db.database, true),
                db.schema
                    .as_ref()
                    .map(|s| format!(", schema {}", code(s, true)))
                    .unwrap_or_default(),
                code(&format!("{}:{}", db.host, db.port), true),
                code(&db.user, true)
            ),
        ),
        ("Checks", esc(&view::counts(&o.checks))),
    ];
    out.push_str("| | |\n|---|---|\n");
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out.push('\n');
}

fn checklist(report: &Report, out: &mut String) {
    out.push_str("## Checklist\n\n");
    for step in &report.checklist {
        let _ = writeln!(
            out,
            "- [{}] **{}. {}** ({} {}): {}",
            if step.done { "x" } else { " " },
            step.number,
            esc(&step.title),
            step.status.glyph(),
            step.status.label(),
            rich(&step.summary, false)
        );
    }
    out.push('\n');
}

fn findings(title: &str, none: &str, findings: &[Finding], blockers: bool, out: &mut String) {
    let _ = writeln!(out, "## {title}\n");
    if findings.is_empty() {
        let _ = writeln!(out, "{none}\n");
        return;
    }
    for (i, finding) in findings.iter().enumerate() {
        let marker = if blockers {
            format!("{}.", i + 1)
        } else {
            "- [ ]".to_string()
        };
        let step = finding
            .step
            .map(|s| format!(" ({})", s.title()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{marker} {} {}{}: {}",
            if blockers { "✘" } else { "!" },
            code(&finding.check, false),
            esc(&step),
            rich(&finding.summary, false)
        );
        let indent = if blockers { "   " } else { "  " };
        if let Some(fix) = &finding.remediation {
            out.push('\n');
            remediation(fix, "To do: ", indent, out);
        }
        out.push('\n');
    }
}

fn section(report: &Report, step: &Prerequisite, out: &mut String) {
    let _ = writeln!(
        out,
        "## {}. {}\n\n{} {}: {}\n",
        step.number,
        esc(&step.title),
        step.status.glyph(),
        step.status.label(),
        rich(&step.summary, false)
    );
    match step.step {
        Step::Backup => backup(step, &report.generated.at, out),
        Step::ReleaseReview => {
            if let Some(review) = &step.release_review {
                release_review(review, out);
            }
        }
        Step::Clients if !step.commands.is_empty() => {
            out.push_str("Commands that align the Python clients with the target:\n\n");
            let commands: Vec<&str> = step.commands.iter().map(String::as_str).collect();
            let fence = fence_for(&commands);
            let _ = writeln!(out, "{fence}sh");
            for command in commands {
                let _ = writeln!(out, "{command}");
            }
            let _ = writeln!(out, "{fence}\n");
        }
        Step::Database | Step::Clients | Step::Installation => {}
    }
    if matches!(step.status, StepStatus::NotRun | StepStatus::Stale) {
        return;
    }
    let entries: Vec<&CheckEntry> = step
        .checks
        .iter()
        .filter_map(|id| report.check(id))
        .collect();
    out.push_str("| Check | Status | Result |\n|---|---|---|\n");
    for entry in &entries {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            code(&entry.id, true),
            esc(&view::check_status(entry)),
            rich(&entry.summary, true)
        );
    }
    out.push('\n');
    for entry in entries {
        // A passing check's advice is not an action.
        let fix = entry
            .remediation
            .as_ref()
            .filter(|_| entry.status != Status::Pass);
        if entry.details.is_empty() && fix.is_none() {
            continue;
        }
        let _ = writeln!(out, "- {} {}", code(&entry.id, false), esc(&entry.title));
        for detail in &entry.details {
            match &detail.label {
                Some(label) => {
                    let _ = writeln!(out, "  - {}: {}", esc(label), rich(&detail.text, false));
                }
                None => {
                    let _ = writeln!(out, "  - {}", rich(&detail.text, false));
                }
            }
        }
        if let Some(fix) = fix {
            let mut lines = String::new();
            remediation(fix, "To do: ", "    ", &mut lines);
            let _ = write!(out, "  - {}", lines.trim_start());
        }
    }
    out.push('\n');
}

fn backup(step: &Prerequisite, now: &str, out: &mut String) {
    let Some(b) = &step.backup else {
        if step.status != StepStatus::NotRun {
            out.push_str("No backup of this database was found in the backup folder.\n\n");
        }
        return;
    };
    let rows = [
        ("File", code(&b.path, true)),
        ("Of", esc(&view::source(b))),
        ("Size", esc(&view::size(b.bytes))),
        (
            "SHA-256",
            b.sha256.as_deref().map_or_else(
                || esc("unknown (no manifest beside the file)"),
                |s| code(s, true),
            ),
        ),
        ("Verified", esc(&view::verified(b, now))),
        ("Taken", esc(&view::taken(b, now))),
    ]
    .into_iter()
    .chain(b.secrets.as_deref().map(|s| ("Secrets", esc(s))));
    out.push_str("| Backup | |\n|---|---|\n");
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let copies = view::copies(b, now);
    if !copies.is_empty() {
        let list: Vec<String> = copies.iter().map(|c| esc(c)).collect();
        let _ = writeln!(out, "| Off-host copies | {} |", list.join("; "));
    }
    out.push('\n');
}

fn release_review(review: &ReleaseReview, out: &mut String) {
    for stop in &review.stops {
        let _ = writeln!(
            out,
            "> **Required stop:** upgrade to {} first ({}).\n",
            esc(&stop.version),
            rich(&stop.reason, false)
        );
    }
    for note in &review.notes {
        let _ = writeln!(out, "> Not measured: {}\n", rich(note, false));
    }
    for (release, items) in view::by_release(&review.items) {
        let _ = writeln!(out, "### Release {}\n", esc(release));
        out.push_str("| Here | Item | Kind | Acknowledged |\n|---|---|---|---|\n");
        for item in &items {
            let _ = writeln!(
                out,
                "| {} | {} {} | {} | {} |",
                esc(&view::verdict(item.verdict)),
                link(&item.title, &item.source),
                code(&item.id, true),
                esc(&item.kind),
                if item.acknowledged { "yes" } else { "no" }
            );
        }
        out.push('\n');
        for item in items.iter().filter(|i| i.verdict == Verdict::Affects) {
            affecting(item, out);
        }
    }
}

fn affecting(item: &ReviewItem, out: &mut String) {
    let _ = writeln!(
        out,
        "- [{}] **{}** ({}): {}",
        if item.acknowledged { "x" } else { " " },
        esc(&item.title),
        code(&item.key, false),
        rich(&item.summary, false)
    );
    if !item.found_in.is_empty() {
        let _ = writeln!(
            out,
            "  - Found in: {}",
            esc(&view::found_in(&item.found_in))
        );
    }
    // The summary already says the first facts; the rest (examples, other probes) follow.
    for evidence in item
        .evidence
        .iter()
        .filter(|e| !item.summary.contains(e.as_str()))
    {
        let _ = writeln!(out, "  - {}", rich(evidence, false));
    }
    let _ = writeln!(out, "  - To do: {}", rich(&item.action, false));
    if view::is_plain_url(&item.source) {
        let _ = writeln!(out, "  - Source: <{}>", item.source);
    }
    out.push('\n');
}
