//! Drawing the Backup step: the options, the running work with its bars, the backup kept with
//! how to copy and check it, and the backups found.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Backup, Chosen, Ended, Field, Focus, Running, Task};
use crate::backup::locate::FoundBackup;
use crate::backup::manifest::{FileFormat, Method};
use crate::backup::output::Compression;
use crate::backup::source::{self, SourceMatch};
use crate::backup::take;
use crate::checks::Status;
use crate::humanize;
use crate::report::StepStatus;
use crate::tui::keymap::keys;
use crate::tui::theme::Look;
use crate::tui::widgets::text_field::field_spans;
use crate::tui::widgets::{copyable, ellipsize, scroll_offset, wrapped_height};

impl Backup {
    /// Draws the step (read-only).
    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let mut top = Vec::new();
        if let Some(running) = &self.running {
            top.extend(self.running_lines(running, area.width, look));
        } else {
            if let Some(ended) = &self.ended {
                top.extend(self.ended_lines(ended, look));
            }
            if let Some(refused) = &self.refused {
                top.push(Line::styled(
                    format!(
                        "{} Not used: {}. Enter again uses it anyway (the report says so).",
                        Status::Fail.glyph(),
                        refused.why
                    ),
                    look.theme.error(),
                ));
            }
            match &self.chosen {
                Some(chosen) if !self.options => {
                    top.extend(self.chosen_lines(chosen, area.width, look));
                }
                _ => top.extend(self.options_lines(look)),
            }
        }
        if let Some(running) = &self.running {
            // While it runs, the finished tables take the rest of the screen.
            let used = wrapped_height(&top, area.width);
            let [top_area, _, done_area] = Layout::vertical([
                Constraint::Length(used),
                Constraint::Length(1),
                Constraint::Fill(1),
            ])
            .areas(area);
            Paragraph::new(top)
                .wrap(Wrap { trim: false })
                .render(top_area, buf);
            let lines = running
                .progress
                .done_lines(usize::from(done_area.height), look);
            Paragraph::new(lines).render(done_area, buf);
            return;
        }
        // The card wraps at its full height unless the list has the focus: then the list keeps
        // its title and two rows. Long paths at 80x24 would otherwise cut the card's last lines.
        let list_rows = if self.focus == Focus::List { 4 } else { 2 };
        let wanted = wrapped_height(&top, area.width);
        let top_height = wanted.min(area.height.saturating_sub(list_rows));
        let [top_area, _, list_area] = Layout::vertical([
            Constraint::Length(top_height),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(area);
        Paragraph::new(top)
            .wrap(Wrap { trim: false })
            .render(top_area, buf);
        Paragraph::new(self.found_lines(usize::from(list_area.height), list_area.width, look))
            .render(list_area, buf);
    }

    fn options_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let selected = |f: Field| self.focus == Focus::Top && self.field == f;
        let mut lines = vec![Line::styled("Backup options", theme.title())];
        for field in Field::ALL {
            let marker = if selected(field) { "›" } else { " " };
            let mut spans = vec![Span::raw(format!("{marker} {:<12}", field.label()))];
            let editing = self.editing.as_ref().filter(|_| selected(field));
            let (value, note): (String, String) = match field {
                Field::Method => (
                    method_name(self.method).into(),
                    match self.method {
                        Method::Builtin => "one snapshot, streamed; manifest",
                        Method::MetadataCli => "the official `metadata backup`",
                        Method::Native => "pg_dump / mysqldump",
                    }
                    .into(),
                ),
                Field::Folder => (self.folder.clone(), String::new()),
                Field::Format => (
                    format_name(self.format).into(),
                    match self.format {
                        FileFormat::Sql => "schema and data, plain SQL",
                        FileFormat::OmCli => "data only, for `metadata restore`",
                        FileFormat::Native => "what the tool writes",
                    }
                    .into(),
                ),
                Field::Compression => (
                    compression_name(self.compression).into(),
                    if self.method == Method::Builtin {
                        match self.compression {
                            Compression::None => "plain text",
                            Compression::Zstd => "fast; zstd -dc reads it",
                            Compression::Gzip => "everywhere; gunzip -c reads it",
                        }
                    } else {
                        "set by the method"
                    }
                    .into(),
                ),
                Field::CopyTo => match self.copy_to() {
                    Some(destination) => (destination.to_string(), String::new()),
                    None => ("(none)".into(), "s3://, az://, gs:// or a folder".into()),
                },
            };
            match editing {
                Some(text) => spans.extend(field_spans(text, look)),
                None => {
                    spans.push(Span::styled(format!("{value:<13}"), theme.text()));
                    spans.push(Span::styled(note, theme.dim()));
                }
            }
            let line = Line::from(spans);
            lines.push(if selected(field) && editing.is_none() {
                line.style(theme.selected())
            } else {
                line
            });
        }
        lines.push(Line::styled(
            format!(
                "{} backs up; the file is NAME.partial (mode 0600) until complete.",
                keys::BACKUP[0].hint()
            ),
            theme.dim(),
        ));
        lines
    }

    fn running_lines(&self, running: &Running, width: u16, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("{} ", crate::tui::theme::spinner(look.tick)),
                theme.step(StepStatus::Running),
            ),
            Span::styled(self.running_verb(running), theme.title()),
        ])];
        let reports_progress = running.task != Task::Backup || running.method == Method::Builtin;
        if running.task == Task::Copy {
            lines.push(Line::raw(match running.uploaded {
                Some((sent, total)) if sent < total => format!(
                    "{} of {} sent",
                    humanize::bytes(sent),
                    humanize::bytes(total)
                ),
                Some(_) => "sent; verifying the stored copy against the manifest".into(),
                None => "connecting to the store".into(),
            }));
        } else if reports_progress {
            lines.extend(running.progress.lines(width, look));
        } else {
            lines.push(Line::styled(
                "The external tool reports no progress; its file appears when it is done.",
                theme.dim(),
            ));
        }
        lines.push(Line::raw(""));
        lines.push(stop_line(running, look));
        lines
    }

    /// What the running task does, on what.
    fn running_verb(&self, running: &Running) -> String {
        match running.task {
            Task::Backup => format!(
                "Backing up into {} ({}, {}{})",
                running.on.display(),
                method_name(running.method),
                format_name(self.format),
                match self.compression {
                    Compression::None => String::new(),
                    other => format!(", {}", compression_name(other)),
                }
            ),
            Task::Verify => format!("Verifying {}", running.on.display()),
            Task::Copy => format!("Copying the backup to {}", running.on.display()),
            Task::TestRestore => format!(
                "Test restore of {} into a scratch database on the same server",
                running.on.display()
            ),
        }
    }

    fn ended_lines(&self, ended: &Ended, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        match ended {
            Ended::Failed {
                task,
                message,
                hint,
            } => {
                let mut lines = vec![Line::styled(
                    format!(
                        "{} The {} failed: {message}",
                        Status::Fail.glyph(),
                        task.noun()
                    ),
                    theme.error(),
                )];
                if let Some(hint) = hint {
                    lines.push(Line::from(vec![
                        Span::styled("What to do: ", theme.title()),
                        Span::raw(hint.clone()),
                    ]));
                }
                lines
            }
            Ended::Cancelled { message, .. } => {
                vec![Line::styled(message.clone(), theme.notice())]
            }
        }
    }

    fn chosen_lines(&self, chosen: &Chosen, width: u16, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let style = if chosen.taken {
            theme.status(Status::Pass)
        } else {
            theme.title()
        };
        let mut lines = vec![Line::styled(headline(chosen), style)];
        lines.extend(path_lines(&chosen.path, width, look));
        let of = match &chosen.manifest {
            Some(m) => crate::backup::source::SourceKey::of_manifest(m).to_string(),
            None => source::UNKNOWN.to_string(),
        };
        // The list says "this db"; the card speaks up only when it is not this database.
        match self.chosen_match() {
            Some(SourceMatch::Same) | None => {}
            Some(_) => lines.push(Line::styled(
                format!(
                    "{} of {of}: NOT this database{}",
                    Status::Fail.glyph(),
                    if chosen.used_anyway {
                        " (used anyway, as you chose)"
                    } else {
                        ""
                    }
                ),
                theme.error(),
            )),
        }
        lines.extend(sha_lines(chosen, width, look));
        if chosen.manifest.is_some() {
            let name = chosen
                .manifest_path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled("manifest ", theme.dim()),
                Span::raw(name),
                Span::styled(" (beside it)", theme.dim()),
            ]));
        }
        for removed in &chosen.removed_partials {
            lines.push(Line::styled(
                format!(
                    "removed {}, left by a backup that did not finish",
                    removed.display()
                ),
                theme.dim(),
            ));
        }
        lines.extend(self.copy_lines(chosen, width, look));
        lines.push(self.verify_line(chosen, look));
        lines.push(self.restore_line(chosen, look));
        if let Some(Err(error)) = &chosen.restore
            && let Some(hint) = error.remediation()
        {
            lines.push(Line::from(vec![
                Span::styled("What to do: ", theme.title()),
                Span::raw(hint),
            ]));
        }
        lines
    }

    /// The verified copies off this host, or the offer to make one.
    fn copy_lines(&self, chosen: &Chosen, width: u16, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let copies = chosen.manifest.as_ref().map_or(&[][..], |m| &m.copies[..]);
        if copies.is_empty() {
            let how = match self.copy_to() {
                Some(destination) => {
                    format!("{} copies it to {destination}", keys::COPY_OFF[0].hint())
                }
                None => format!(
                    "{} copies it to a store, or by hand:",
                    keys::COPY_OFF[0].hint()
                ),
            };
            let mut lines = vec![Line::styled(
                format!("Not off this host yet: {how}"),
                theme.notice(),
            )];
            if self.copy_to().is_none() {
                lines.extend(copy_by_hand(chosen, width));
            }
            return lines;
        }
        copies
            .iter()
            .map(|copy| {
                Line::from(vec![
                    Span::styled(format!("{:<9}", "copy"), theme.dim()),
                    Span::styled(
                        format!("{} ", Status::Pass.glyph()),
                        theme.status(Status::Pass),
                    ),
                    Span::raw(format!(
                        "{} (verified by {}, {})",
                        copy.url,
                        copy.verified_by,
                        copy.at.format("%Y-%m-%d %H:%M UTC")
                    )),
                ])
            })
            .collect()
    }

    fn verify_line(&self, chosen: &Chosen, look: Look) -> Line<'static> {
        let theme = look.theme;
        let label = Span::styled(format!("{:<9}", "verify"), theme.dim());
        let (status, text) = match &chosen.verify {
            Some(Ok(report)) => {
                let text = match report.status() {
                    Status::Pass => format!("whole and true to its manifest: {}", report.summary()),
                    worst => report
                        .findings
                        .iter()
                        .find(|f| f.status == worst)
                        .map_or_else(|| report.summary(), |f| f.text.clone()),
                };
                (Some(report.status()), text)
            }
            Some(Err(error)) => (Some(Status::Fail), error.to_string()),
            None => match chosen
                .manifest
                .as_ref()
                .and_then(|m| m.verification.as_ref())
            {
                Some(v) => (
                    Some(if v.ok { Status::Pass } else { Status::Fail }),
                    format!(
                        "{} (recorded {})",
                        v.summary,
                        v.at.format("%Y-%m-%d %H:%M UTC")
                    ),
                ),
                None => (
                    None,
                    format!(
                        "not yet: {} reads it back against its manifest",
                        keys::VERIFY[0].hint()
                    ),
                ),
            },
        };
        match status {
            Some(status) => Line::from(vec![
                label,
                Span::styled(format!("{} ", status.glyph()), theme.status(status)),
                Span::raw(text),
            ]),
            None => Line::from(vec![label, Span::styled(text, theme.dim())]),
        }
    }

    fn restore_line(&self, chosen: &Chosen, look: Look) -> Line<'static> {
        let theme = look.theme;
        let label = Span::styled(format!("{:<9}", "restore"), theme.dim());
        match &chosen.restore {
            Some(Ok(check)) if check.ok() => Line::from(vec![
                label,
                Span::styled(
                    format!("{} ", Status::Pass.glyph()),
                    theme.status(Status::Pass),
                ),
                Span::raw(format!(
                    "all {} tables restored into '{}' match ({}){}",
                    check.tables.len(),
                    check.database,
                    if check.checksums_compared {
                        "rows and content checksums"
                    } else {
                        "row counts"
                    },
                    if check.dropped {
                        "; scratch database dropped"
                    } else {
                        ""
                    }
                )),
            ]),
            Some(Ok(check)) => {
                let differ: Vec<String> = check
                    .tables
                    .iter()
                    .filter(|t| !t.ok())
                    .map(|t| {
                        format!(
                            "{} ({} expected, {} restored)",
                            t.name,
                            t.expected_rows,
                            t.restored_rows.map_or("none".into(), |r| r.to_string())
                        )
                    })
                    .collect();
                Line::from(vec![
                    label,
                    Span::styled(
                        format!("{} ", Status::Fail.glyph()),
                        theme.status(Status::Fail),
                    ),
                    Span::raw(format!("tables differ: {}", differ.join(", "))),
                ])
            }
            Some(Err(error)) => Line::from(vec![
                label,
                Span::styled(
                    format!("{} ", Status::Fail.glyph()),
                    theme.status(Status::Fail),
                ),
                Span::raw(error.to_string()),
            ]),
            None => {
                let text = match chosen.restorable() {
                    Ok(_) => format!(
                        "not yet: {} restores it into a scratch database on the same server \
                         and compares",
                        keys::TEST[0].hint()
                    ),
                    Err(why) => format!("a test restore {why}"),
                };
                Line::from(vec![label, Span::styled(text, theme.dim())])
            }
        }
    }

    fn found_lines(&self, height: usize, width: u16, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let Some(found) = &self.found else {
            return vec![Line::styled("Looking for earlier backups…", theme.dim())];
        };
        let dirs: Vec<String> = self
            .search_dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        let mut lines = vec![Line::from(vec![
            Span::styled(format!("Backups found ({})", found.len()), theme.title()),
            Span::styled(format!("  in {}", dirs.join(", ")), theme.dim()),
        ])];
        if found.is_empty() {
            lines.push(Line::styled("  none", theme.dim()));
            return lines;
        }
        let rows = height.saturating_sub(1);
        let offset = scroll_offset(self.selected, rows, found.len());
        for (i, f) in found.iter().enumerate().skip(offset).take(rows) {
            let selected = self.focus == Focus::List && i == self.selected;
            let line = self.found_line(f, selected, width, look);
            lines.push(if selected {
                line.style(theme.selected())
            } else {
                line
            });
        }
        lines
    }

    /// One backup of the list: verified or not, name, size, (wide) time and version, and
    /// which database it is of.
    fn found_line(&self, f: &FoundBackup, selected: bool, width: u16, look: Look) -> Line<'static> {
        let theme = look.theme;
        let marker = if selected { "›" } else { " " };
        let (glyph, style, verified) = match (f.verified(), &f.manifest) {
            (Some(true), _) => ("✔", theme.status(Status::Pass), "verified"),
            (Some(false), _) => ("✘", theme.status(Status::Fail), "FAILED"),
            (None, Some(_)) => ("·", theme.dim(), "unverified"),
            (None, None) => ("·", theme.dim(), "no manifest"),
        };
        let chosen = self.chosen.as_ref().is_some_and(|c| c.path == f.path);
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The name carries the time for default names; wide screens add the rest.
        let more = if width >= 100 {
            format!(
                "  {}  OM {:<7} ",
                f.taken_at.format("%Y-%m-%d %H:%M"),
                f.openmetadata_version().unwrap_or("?")
            )
        } else {
            String::new()
        };
        let head = format!(" {name:<36} {:>8}{more} ", humanize::bytes(f.bytes));
        // Which database it is of (the same name pattern serves every database). Narrow
        // screens say it instead of "verified", which the glyph already shows.
        let wide = width >= 100;
        let verified = if wide || verified == "FAILED" {
            verified
        } else {
            ""
        };
        let used = 3 + head.chars().count() + verified.chars().count();
        let chosen_note = if chosen && wide { " (chosen)" } else { "" };
        let room = usize::from(width).saturating_sub(used + 3 + chosen_note.len());
        let (of, of_style) = match self.is_this_database(f) {
            Some(SourceMatch::Same) => ("this db".to_string(), theme.dim()),
            Some(SourceMatch::Other(key)) => (format!("OTHER: {key}"), theme.error()),
            Some(SourceMatch::Unknown) => ("no source".to_string(), theme.notice()),
            None => (source::label(f), theme.dim()),
        };
        Line::from(vec![
            Span::raw(format!("{marker} ")),
            Span::styled(glyph, style),
            Span::raw(head),
            Span::styled(verified, style),
            Span::styled(
                format!(
                    "{}{}",
                    if verified.is_empty() { "" } else { "  " },
                    ellipsize(&of, room)
                ),
                of_style,
            ),
            // The chosen one is also the card above: said where there is room.
            Span::styled(chosen_note, theme.dim()),
        ])
    }
}

/// How the running task can be stopped, or that it is stopping.
fn stop_line(running: &Running, look: Look) -> Line<'static> {
    let theme = look.theme;
    if running.cancelling {
        Line::styled("Cancelling…", theme.notice())
    } else {
        match running.task {
            Task::Backup => Line::styled(
                format!(
                    "{} cancels: the partial file is removed and nothing is kept.",
                    keys::CLOSE[0].hint()
                ),
                theme.dim(),
            ),
            Task::TestRestore => Line::styled(
                format!(
                    "{} cancels: the scratch database is dropped again.",
                    keys::CLOSE[0].hint()
                ),
                theme.dim(),
            ),
            Task::Verify => Line::styled(
                "Verify only reads the file; it runs to the end.",
                theme.dim(),
            ),
            Task::Copy => Line::styled(
                format!(
                    "{} cancels: the unfinished upload is aborted, nothing is stored.",
                    keys::CLOSE[0].hint()
                ),
                theme.dim(),
            ),
        }
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Builtin => "builtin",
        Method::MetadataCli => "metadata-cli",
        Method::Native => "native",
    }
}

fn format_name(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Sql => "sql",
        FileFormat::OmCli => "om-cli",
        FileFormat::Native => "native",
    }
}

fn compression_name(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "none",
        Compression::Zstd => "zstd",
        Compression::Gzip => "gzip",
    }
}

/// What the chosen backup is: taken now (how big, how long), found with its manifest, or a
/// file only.
fn headline(chosen: &Chosen) -> String {
    let size = chosen.bytes.map(humanize::bytes);
    match (chosen.taken, chosen.manifest.as_ref()) {
        (true, Some(m)) => {
            let took = (m.finished_at - m.started_at).to_std().unwrap_or_default();
            format!(
                "{} Backup complete: {}, {} tables, {} rows, in {}",
                Status::Pass.glyph(),
                size.unwrap_or_default(),
                m.tables.len(),
                humanize::count(m.total_rows() as i64),
                humanize::duration(took)
            )
        }
        (_, Some(m)) => format!(
            "Backup of {}: taken {}, {}, {} tables",
            m.source.openmetadata_version.as_deref().map_or_else(
                || "OpenMetadata".to_string(),
                |v| format!("OpenMetadata {v}")
            ),
            m.finished_at.format("%Y-%m-%d %H:%M UTC"),
            size.unwrap_or_default(),
            m.tables.len()
        ),
        (_, None) => match &size {
            Some(size) => format!("Backup ({size}, no manifest)"),
            None => "Backup (looking for it…)".into(),
        },
    }
}

/// The file's sha256 (from the manifest, or as a verification computed it), on a row of its
/// own when the label would push it over the edge.
fn sha_lines(chosen: &Chosen, width: u16, look: Look) -> Vec<Line<'static>> {
    let theme = look.theme;
    let sha = chosen
        .manifest
        .as_ref()
        .map(|m| m.file.sha256.clone())
        .or_else(|| match &chosen.verify {
            Some(Ok(report)) => Some(report.sha256.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "not known yet: verify computes it".into());
    let width = usize::from(width);
    if width >= "sha256 ".len() + sha.chars().count() {
        vec![Line::from(vec![
            Span::styled("sha256 ", theme.dim()),
            Span::raw(sha),
        ])]
    } else if width >= sha.chars().count() {
        vec![Line::styled("sha256", theme.dim()), Line::raw(sha)]
    } else {
        // Cut, said so, never wrapped: a wrapped checksum copies as two.
        vec![
            Line::styled(
                "sha256 (cut to fit: the manifest has it whole)",
                theme.dim(),
            ),
            Line::raw(copyable::fit(&sha, width)),
        ]
    }
}

/// The backup's path on a row of its own; where it does not fit, its folder and its name on
/// a row each, so that neither wraps in the middle.
fn path_lines(path: &std::path::Path, width: u16, look: Look) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let whole = path.display().to_string();
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return vec![Line::raw(copyable::fit(&whole, width))];
    };
    if whole.chars().count() <= width {
        return vec![Line::raw(whole)];
    }
    let row = |label: &str, text: String| {
        Line::from(vec![
            Span::styled(format!("{label:<7}"), look.theme.dim()),
            Span::raw(copyable::fit(&text, width.saturating_sub(7))),
        ])
    };
    vec![
        row("folder", folder.display().to_string()),
        row("file", name.to_string_lossy().into_owned()),
    ]
}

/// How to copy the backup off this host by hand, as rows that paste as they are: one command
/// when it fits, else `cd` into its folder and `rsync` by name, broken only between words.
fn copy_by_hand(chosen: &Chosen, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let whole = take::copy_off_host(&chosen.path, &chosen.manifest_path());
    if whole.chars().count() <= width {
        return vec![Line::raw(whole)];
    }
    take::copy_off_host_from_folder(&chosen.path, &chosen.manifest_path())
        .iter()
        .flat_map(|words| copyable::shell_rows(words, width).0)
        .map(Line::raw)
        .collect()
}
