//! The report as one self-contained HTML page: the style is inline, there is no script and no
//! external asset (fonts, images, links to stylesheets), every value is escaped, and it prints
//! readably (black on white, each step on a page of its own, link addresses written out, no row
//! split across pages). Status is never told by colour alone: every badge carries its glyph and
//! word.

use std::fmt::Write as _;

use super::model::{CheckEntry, Finding, Prerequisite, Readiness, Report, Step, StepStatus};
use super::review::{ReleaseReview, ReviewItem, Verdict};
use super::view;
use crate::checks::Status;
use crate::humanize;

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2328; background: #fff; max-width: 1040px; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.55rem; margin: 0 0 .6rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p { margin: .4rem 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .55rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #f6f8fa; font-weight: 600; }
table.facts th { width: 9.5rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: .88em; }
code { background: #f6f8fa; padding: .05rem .3rem; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .5rem .75rem; border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; margin: .4rem 0; }
a { color: #0969da; }
ul { margin: .3rem 0; padding-left: 1.4rem; }
li { margin: .15rem 0; }
.verdict { padding: .6rem .9rem; border: 1px solid; border-radius: 6px; font-weight: 600; margin: .6rem 0 1rem; }
.verdict.blocked { background: #ffebe9; border-color: #cf222e; }
.verdict.actions_open { background: #fff8c5; border-color: #bf8700; }
.verdict.ready { background: #dafbe1; border-color: #1a7f37; }
.badge { display: inline-block; padding: 0 .45rem; border: 1px solid; border-radius: 999px;
  font-size: .82em; font-weight: 600; white-space: nowrap; }
.pass { color: #1a7f37; border-color: #1a7f37; }
.warn { color: #9a6700; border-color: #bf8700; }
.fail { color: #cf222e; border-color: #cf222e; }
.skip, .not_run, .stale { color: #57606a; border-color: #8c959f; }
ul.checklist, ul.tasks { list-style: none; padding-left: 0; }
ul.checklist > li, ul.tasks > li { margin: .45rem 0; }
.box { font-size: 1.15em; margin-right: .35rem; }
.muted { color: #57606a; }
.todo { margin: .3rem 0 .2rem; }
ul.tasks .todo, ul.tasks li > ul { margin-left: 1.55rem; }
table.checks { table-layout: fixed; }
table.checks th:nth-child(1) { width: 28%; }
table.checks th:nth-child(2) { width: 15%; }
footer { margin-top: 2.5rem; padding-top: .5rem; border-top: 1px solid #d0d7de; color: #57606a; font-size: .85em; }
/* Printed (A4 or Letter: the page size is the printer's, the margins fit both): black on
   white, every step on a page of its own, nothing split inside a row or a command. The page has
   no script, form or button; a link prints with its address. */
@page { size: auto; margin: 14mm 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; color: #000; background: #fff; }
  h1, h2, h3, p, td, li, .muted, footer { color: #000; }
  h2, h3 { break-after: avoid; }
  section.step { break-before: page; }
  tr, li, pre, .verdict, .todo { break-inside: avoid; }
  thead, tr:first-child { break-after: avoid; }
  a { color: #000; text-decoration: none; }
  a[href]::after { content: " <" attr(href) ">"; font-size: .8em; }
  a.url::after { content: none; }
  th, code, pre { background: #fff; }
  .verdict, .verdict.blocked, .verdict.actions_open, .verdict.ready { background: #fff;
    border: 2px solid #000; }
  .badge, .pass, .warn, .fail, .skip, .not_run { color: #000; border-color: #000; }
  th, td, pre, h2 { border-color: #555; }
}
"#;

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Running text in which `backquoted` parts become code.
fn rich(text: &str) -> String {
    view::spans(text)
        .into_iter()
        .map(|(is_code, part)| if is_code { code(part) } else { esc(part) })
        .collect()
}

fn code(text: &str) -> String {
    format!("<code>{}</code>", esc(text))
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

fn step_class(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Pass => "pass",
        StepStatus::Warn => "warn",
        StepStatus::Fail => "fail",
        StepStatus::Skip => "skip",
        StepStatus::NotRun => "not_run",
        StepStatus::Running => "running",
        StepStatus::Stale => "stale",
    }
}

fn step_badge(status: StepStatus) -> String {
    format!(
        r#"<span class="badge {}">{} {}</span>"#,
        step_class(status),
        status.glyph(),
        esc(status.label())
    )
}

fn check_badge(entry: &CheckEntry) -> String {
    let badge = format!(
        r#"<span class="badge {}">{} {}</span>"#,
        status_class(entry.status),
        entry.status.glyph(),
        esc(&entry.status.label().to_ascii_lowercase())
    );
    if entry.acknowledged {
        format!(r#"{badge}<br><span class="muted">acknowledged</span>"#)
    } else {
        badge
    }
}

fn verdict_badge(verdict: Verdict) -> String {
    let class = match verdict {
        Verdict::Affects => "fail",
        Verdict::NotAffected => "pass",
        Verdict::Unknown => "skip",
    };
    format!(
        r#"<span class="badge {class}">{}</span>"#,
        esc(&view::verdict(verdict))
    )
}

fn link(text: &str, url: &str) -> String {
    if view::is_plain_url(url) {
        format!(r#"<a href="{}">{}</a>"#, esc(url), esc(text))
    } else {
        esc(text)
    }
}

fn remediation(text: &str, out: &mut String) {
    out.push_str(r#"<div class="todo"><strong>To do:</strong> "#);
    for block in view::blocks(text) {
        match block {
            view::Block::Prose(prose) => {
                let _ = write!(out, "{} ", rich(&prose));
            }
            view::Block::Commands(commands) => {
                let _ = write!(out, "<pre>{}</pre>", esc(&commands.join("\n")));
            }
        }
    }
    out.push_str("</div>\n");
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let om = &report.openmetadata;
    let title = format!(
        "Pre-upgrade checklist: OpenMetadata {}",
        view::upgrade_line(om)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<h1>{}</h1>\n",
        esc(&report.generated.tool),
        esc(&report.generated.tool_version),
        esc(&title),
        esc(&title)
    );
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
    let _ = write!(
        out,
        "<footer>{} {} · report schema {} · {}</footer>\n</body>\n</html>\n",
        esc(&report.generated.tool),
        esc(&report.generated.tool_version),
        report.schema_version,
        esc(view::via(report.generated.via))
    );
    out
}

fn header(report: &Report, out: &mut String) {
    let o = &report.overall;
    let (class, verdict) = match o.readiness {
        Readiness::Blocked => (
            "blocked",
            format!(
                "✘ Not ready: {}, {}.",
                humanize::plural(o.blockers, "blocker", "blockers"),
                humanize::plural(o.open_actions, "open action", "open actions")
            ),
        ),
        Readiness::ActionsOpen => (
            "actions_open",
            format!(
                "! No blocker; {} to do before upgrading.",
                humanize::plural(o.open_actions, "open action", "open actions")
            ),
        ),
        Readiness::Incomplete => (
            "blocked",
            format!(
                "✘ Not ready: nothing failed in what ran, but {} not checked (not run, or stale — re-run).",
                humanize::plural(o.incomplete, "step is", "steps are")
            ),
        ),
        Readiness::Ready => (
            "ready",
            "✔ Ready: every check passed, or what warned was acknowledged.".to_string(),
        ),
    };
    let _ = writeln!(
        out,
        r#"<div class="verdict {class}">{} <span class="muted">Exit code {}{}.</span></div>"#,
        esc(&verdict),
        o.exit_code,
        if o.strict { " (strict)" } else { "" }
    );
    out.push_str("<table class=\"facts\">\n");
    for (name, value) in facts(report) {
        let _ = writeln!(out, "<tr><th>{name}</th><td>{value}</td></tr>");
    }
    out.push_str("</table>\n");
}

/// Who made the report, with what, for which upgrade and database; the values escaped.
fn facts(report: &Report) -> [(&'static str, String); 6] {
    let g = &report.generated;
    let om = &report.openmetadata;
    let db = &report.database;
    [
        (
            "Generated",
            format!(
                "{} by {} on {}",
                esc(&view::when(&g.at)),
                code(&g.user),
                code(&g.host)
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
                code(&db.database),
                db.schema
                    .as_ref()
                    .map(|s| format!(", schema {}", code(s)))
                    .unwrap_or_default(),
                code(&format!("{}:{}", db.host, db.port)),
                code(&db.user)
            ),
        ),
        ("Checks", esc(&view::counts(&report.overall.checks))),
    ]
}

fn checklist(report: &Report, out: &mut String) {
    out.push_str("<h2>Checklist</h2>\n<ul class=\"checklist\">\n");
    for step in &report.checklist {
        let _ = writeln!(
            out,
            r#"<li><span class="box">{}</span><strong>{}. {}</strong> {} {}</li>"#,
            if step.done { "☑" } else { "☐" },
            step.number,
            esc(&step.title),
            step_badge(step.status),
            rich(&step.summary)
        );
    }
    out.push_str("</ul>\n");
}

fn findings(title: &str, none: &str, findings: &[Finding], blockers: bool, out: &mut String) {
    let _ = writeln!(out, "<h2>{}</h2>", esc(title));
    if findings.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", esc(none));
        return;
    }
    let (open, close) = if blockers {
        ("<ol>", "</ol>")
    } else {
        ("<ul class=\"tasks\">", "</ul>")
    };
    let _ = writeln!(out, "{open}");
    for finding in findings {
        let step = finding
            .step
            .map(|s| format!(" ({})", s.title()))
            .unwrap_or_default();
        let badge = if blockers {
            r#"<span class="badge fail">✘ fail</span>"#
        } else {
            r#"<span class="box">☐</span><span class="badge warn">! warn</span>"#
        };
        let _ = write!(
            out,
            "<li>{badge} {}{}: {}",
            code(&finding.check),
            esc(&step),
            rich(&finding.summary)
        );
        if let Some(fix) = &finding.remediation {
            remediation(fix, out);
        }
        out.push_str("</li>\n");
    }
    let _ = writeln!(out, "{close}");
}

/// One checklist step; printed, each starts on a new page.
fn section(report: &Report, step: &Prerequisite, out: &mut String) {
    out.push_str("<section class=\"step\">\n");
    section_body(report, step, out);
    out.push_str("</section>\n");
}

fn section_body(report: &Report, step: &Prerequisite, out: &mut String) {
    let _ = writeln!(
        out,
        "<h2>{}. {}</h2>\n<p>{} {}</p>",
        step.number,
        esc(&step.title),
        step_badge(step.status),
        rich(&step.summary)
    );
    match step.step {
        Step::Backup => backup(step, &report.generated.at, out),
        Step::ReleaseReview => {
            if let Some(review) = &step.release_review {
                release_review(review, out);
            }
        }
        Step::Clients if !step.commands.is_empty() => {
            let _ = writeln!(
                out,
                "<p>Commands that align the Python clients with the target:</p>\n<pre>{}</pre>",
                esc(&step.commands.join("\n"))
            );
        }
        Step::Database | Step::Clients | Step::Installation => {}
    }
    if matches!(step.status, StepStatus::NotRun | StepStatus::Stale) {
        return;
    }
    out.push_str(
        "<table class=\"checks\">\n<tr><th>Check</th><th>Status</th><th>Result and details</th></tr>\n",
    );
    for entry in step.checks.iter().filter_map(|id| report.check(id)) {
        let _ = write!(
            out,
            "<tr><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td><td>{}",
            code(&entry.id),
            esc(&entry.title),
            check_badge(entry),
            rich(&entry.summary)
        );
        if !entry.details.is_empty() {
            out.push_str("<ul class=\"muted\">");
            for detail in &entry.details {
                match &detail.label {
                    Some(label) => {
                        let _ = write!(out, "<li>{}: {}</li>", esc(label), rich(&detail.text));
                    }
                    None => {
                        let _ = write!(out, "<li>{}</li>", rich(&detail.text));
                    }
                }
            }
            out.push_str("</ul>");
        }
        // A passing check's advice is not an action.
        if let Some(fix) = entry
            .remediation
            .as_ref()
            .filter(|_| entry.status != Status::Pass)
        {
            remediation(fix, out);
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</table>\n");
}

fn backup(step: &Prerequisite, now: &str, out: &mut String) {
    let Some(b) = &step.backup else {
        if step.status != StepStatus::NotRun {
            out.push_str(
                "<p class=\"muted\">No backup of this database was found in the backup folder.</p>\n",
            );
        }
        return;
    };
    let rows = [
        ("File", code(&b.path)),
        ("Of", esc(&view::source(b))),
        ("Size", esc(&view::size(b.bytes))),
        (
            "SHA-256",
            b.sha256
                .as_deref()
                .map_or_else(|| esc("unknown (no manifest beside the file)"), code),
        ),
        ("Verified", esc(&view::verified(b, now))),
        ("Taken", esc(&view::taken(b, now))),
    ]
    .into_iter()
    .chain(b.secrets.as_deref().map(|s| ("Secrets", esc(s))));
    out.push_str("<table class=\"facts\">\n");
    for (name, value) in rows {
        let _ = writeln!(out, "<tr><th>{name}</th><td>{value}</td></tr>");
    }
    let copies = view::copies(b, now);
    if !copies.is_empty() {
        let list: Vec<String> = copies.iter().map(|c| esc(c)).collect();
        let _ = writeln!(
            out,
            "<tr><th>Off-host copies</th><td>{}</td></tr>",
            list.join("<br>")
        );
    }
    out.push_str("</table>\n");
}

fn release_review(review: &ReleaseReview, out: &mut String) {
    for stop in &review.stops {
        let _ = writeln!(
            out,
            "<p class=\"verdict actions_open\">Required stop: upgrade to {} first ({}).</p>",
            esc(&stop.version),
            rich(&stop.reason)
        );
    }
    for note in &review.notes {
        let _ = writeln!(out, "<p class=\"muted\">Not measured: {}</p>", rich(note));
    }
    for (release, items) in view::by_release(&review.items) {
        let _ = writeln!(out, "<h3>Release {}</h3>", esc(release));
        out.push_str(
            "<table>\n<tr><th>Here</th><th>Item</th><th>Kind</th><th>Acknowledged</th></tr>\n",
        );
        for item in &items {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}<br>{}</td><td>{}</td><td>{}</td></tr>",
                verdict_badge(item.verdict),
                link(&item.title, &item.source),
                code(&item.id),
                esc(&item.kind),
                if item.acknowledged {
                    "☑ yes"
                } else {
                    "☐ no"
                }
            );
        }
        out.push_str("</table>\n");
        let affecting: Vec<&&ReviewItem> = items
            .iter()
            .filter(|i| i.verdict == Verdict::Affects)
            .collect();
        if affecting.is_empty() {
            continue;
        }
        out.push_str("<ul class=\"tasks\">\n");
        for item in affecting {
            affecting_item(item, out);
        }
        out.push_str("</ul>\n");
    }
}

fn affecting_item(item: &ReviewItem, out: &mut String) {
    let _ = write!(
        out,
        "<li><span class=\"box\">{}</span><strong>{}</strong> ({}): {}<ul>",
        if item.acknowledged { "☑" } else { "☐" },
        esc(&item.title),
        code(&item.key),
        rich(&item.summary)
    );
    if !item.found_in.is_empty() {
        let _ = write!(
            out,
            "<li>Found in: {}</li>",
            esc(&view::found_in(&item.found_in))
        );
    }
    // The summary already says the first facts; the rest (examples, other probes) follow.
    for evidence in item
        .evidence
        .iter()
        .filter(|e| !item.summary.contains(e.as_str()))
    {
        let _ = write!(out, "<li>{}</li>", rich(evidence));
    }
    let _ = write!(
        out,
        "<li><strong>To do:</strong> {}</li>",
        rich(&item.action)
    );
    if view::is_plain_url(&item.source) {
        let _ = write!(
            out,
            r#"<li>Source: <a class="url" href="{}">{}</a></li>"#,
            esc(&item.source),
            esc(&item.source)
        );
    }
    out.push_str("</ul></li>\n");
}
