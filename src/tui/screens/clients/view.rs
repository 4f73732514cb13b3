//! Drawing the Clients step: the interpreters and their verdicts, the commands, where to look,
//! pip's output and the question before it runs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::{Clients, Editing, Focus, Phase, PipRun, Place, judged};
use crate::checks::Status;
use crate::clients::{Assessment, Fix, Interpreter, Inventory};
use crate::report::StepStatus;
use crate::shell;
use crate::tui::keymap::keys;
use crate::tui::theme::Look;
use crate::tui::widgets::copyable;
use crate::tui::widgets::text_field::field_spans;
use crate::tui::widgets::{centered, ellipsize, scroll_offset, wrapped_height};

impl Clients {
    /// Draws the step (read-only).
    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, look: Look) {
        if self.plain {
            self.draw_plain(area, buf);
            return;
        }
        if let Some(pip) = self.pip.as_ref().filter(|_| self.show_output) {
            Paragraph::new(self.pip_lines(pip, usize::from(area.height), look))
                .wrap(Wrap { trim: false })
                .render(area, buf);
            self.render_confirm(area, buf, look);
            return;
        }
        let head = self.head_lines(look);
        let body = match &self.phase {
            Some(Phase::Found(inventory)) => self.interpreter_lines(inventory, look),
            _ => Vec::new(),
        };
        let notes = self.note_lines(look);
        let places = self.place_lines(look);
        let notes_height = wrapped_height(&notes, area.width) * u16::from(!notes.is_empty());
        let [
            head_area,
            body_area,
            commands_area,
            notes_area,
            _,
            places_area,
        ] = Layout::vertical([
            Constraint::Length(wrapped_height(&head, area.width)),
            Constraint::Fill(1),
            Constraint::Length(self.commands_height(area.height)),
            Constraint::Length(notes_height),
            Constraint::Length(1),
            Constraint::Length(u16::try_from(places.len()).unwrap_or(u16::MAX).min(6)),
        ])
        .areas(area);
        for (lines, area) in [(head, head_area), (body, body_area), (notes, notes_area)] {
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .render(area, buf);
        }
        Paragraph::new(self.command_lines(
            usize::from(commands_area.height),
            usize::from(commands_area.width),
            look,
        ))
        .render(commands_area, buf);
        Paragraph::new(places).render(places_area, buf);
        self.render_confirm(area, buf, look);
    }

    /// Nothing but the commands, flush left, so a mouse selection copies them as they are: a
    /// command longer than the screen breaks only between its words, with ` \` continuations,
    /// so the copied rows paste as the one command.
    fn draw_plain(&self, area: Rect, buf: &mut Buffer) {
        let lines: Vec<Line> = self
            .commands()
            .into_iter()
            .flat_map(|(_, command, _)| {
                let words: Vec<String> = command.argv.iter().map(|a| shell::quote(a)).collect();
                copyable::shell_rows(&words, usize::from(area.width)).0
            })
            .map(Line::raw)
            .collect();
        Paragraph::new(lines).render(area, buf);
    }

    /// The title, and how the search goes while there is nothing found to show.
    fn head_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut head = vec![self.title_line(look)];
        match &self.phase {
            None | Some(Phase::Finding { .. }) => head.push(Line::from(vec![
                Span::styled(
                    format!("{} ", crate::tui::theme::spinner(look.tick)),
                    theme.step(StepStatus::Running),
                ),
                Span::raw("Looking for Python interpreters and their packages…"),
            ])),
            Some(Phase::Failed(error)) => {
                head.push(Line::styled(
                    format!("{} {error}", Status::Fail.glyph()),
                    theme.error(),
                ));
                head.push(Line::styled(
                    format!(
                        "Fix or remove it under \"Where to look\" ({} to get there).",
                        keys::FOCUS_NEXT[0].hint()
                    ),
                    theme.dim(),
                ));
            }
            Some(Phase::Found(_)) => {}
        }
        head
    }

    /// What changed since the results: places edited, pip run.
    fn note_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut notes = Vec::new();
        if self.asked != self.places && !self.finding() {
            notes.push(Line::styled(
                format!(
                    "The places changed since: {} checks again.",
                    keys::RERUN[0].hint()
                ),
                theme.notice(),
            ));
        }
        if let Some(pip) = self.pip.as_ref().filter(|p| p.done) {
            let (status, text) = if pip.succeeded() {
                (
                    Status::Pass,
                    format!(
                        "pip ran {} command{} in {}",
                        pip.commands.len(),
                        if pip.commands.len() == 1 { "" } else { "s" },
                        pip.interpreter.display()
                    ),
                )
            } else {
                (
                    Status::Fail,
                    format!(
                        "pip failed in {}: {} shows its output",
                        pip.interpreter.display(),
                        keys::OPTIONS[0].hint()
                    ),
                )
            };
            notes.push(Line::styled(
                format!("{} {text}", status.glyph()),
                theme.status(status),
            ));
        }
        notes
    }

    /// A heading, a line per interpreter and per command, up to a third of the screen; none
    /// before interpreters are found.
    fn commands_height(&self, screen: u16) -> u16 {
        if self.inventory().is_none() {
            return 0;
        }
        let commands = self.commands();
        let groups = commands
            .iter()
            .enumerate()
            .filter(|(i, c)| *i == 0 || commands[i - 1].0 != c.0)
            .count();
        let wanted = u16::try_from(1 + groups + commands.len()).unwrap_or(u16::MAX);
        wanted.min((screen / 3).max(3))
    }

    fn title_line(&self, look: Look) -> Line<'static> {
        let theme = look.theme;
        match &self.policy {
            Some(policy) => {
                let mut facts = Vec::new();
                if let Some(python) = &policy.python {
                    facts.push(format!("Python {python}"));
                }
                if let Some(airflow) = &policy.airflow {
                    facts.push(format!("Airflow {airflow}"));
                }
                Line::from(vec![
                    Span::styled(
                        format!("Python clients for OpenMetadata {}", policy.server),
                        theme.title(),
                    ),
                    Span::styled(
                        if facts.is_empty() {
                            String::new()
                        } else {
                            format!("  (needs {})", facts.join(", "))
                        },
                        theme.dim(),
                    ),
                ])
            }
            None => Line::styled(
                "Python clients (choose a target on the Welcome step to judge them)",
                theme.title(),
            ),
        }
    }

    fn interpreter_lines(&self, inventory: &Inventory, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let judged = judged(inventory, self.policy.as_ref());
        let others = inventory.interpreters.len() - judged.len();
        let mut lines = vec![Line::styled(
            format!(
                "Interpreters with OpenMetadata packages or Airflow: {}{}",
                judged.len(),
                if others > 0 {
                    format!(" (and {others} without)")
                } else {
                    String::new()
                }
            ),
            theme.title(),
        )];
        if judged.is_empty() {
            lines.extend(none_found_lines(inventory, look));
        }
        for (i, (interpreter, assessment)) in judged.iter().enumerate() {
            let selected = self.focus == Focus::Interpreters && i == self.interpreter;
            lines.push(interpreter_line(
                interpreter,
                assessment.as_ref(),
                selected,
                look,
            ));
        }
        if let Some((interpreter, Some(assessment))) = judged.get(self.interpreter) {
            lines.extend(assessment_lines(interpreter, assessment, look));
        }
        for broken in &inventory.broken {
            lines.push(Line::styled(
                format!(
                    "{} cannot run {}: {}",
                    broken.status.glyph(),
                    broken.path.display(),
                    broken.reason
                ),
                theme.status(broken.status),
            ));
            lines.push(Line::styled(format!("  {}", broken.remedy), theme.dim()));
        }
        for note in &inventory.notes {
            lines.push(Line::styled(format!("note: {note}"), theme.dim()));
        }
        lines
    }

    /// The commands, under a heading per interpreter, scrolled to the selected one.
    fn command_lines(&self, height: usize, width: usize, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let commands = self.commands();
        if commands.is_empty() {
            let judged_any = self
                .inventory()
                .is_some_and(|i| i.relevant().next().is_some());
            return if self.policy.is_some() && judged_any {
                vec![Line::styled(
                    "Nothing to run: no pip command is needed.",
                    theme.dim(),
                )]
            } else {
                Vec::new()
            };
        }
        let title = Line::from(vec![
            Span::styled(
                format!("Commands to run ({})", commands.len()),
                theme.title(),
            ),
            Span::styled(
                format!(
                    "  {} shows them alone, to select and copy",
                    keys::PLAIN_TEXT[0].hint()
                ),
                theme.dim(),
            ),
        ]);
        // (command index, line): headings have none.
        let mut rows: Vec<(Option<usize>, Line<'static>)> = Vec::new();
        for (i, (interpreter, command, in_place)) in commands.iter().enumerate() {
            let first = i == 0 || commands[i - 1].0 != *interpreter;
            if first {
                let how = if *in_place {
                    "in place"
                } else {
                    "its Python is not supported: a new environment"
                };
                rows.push((
                    None,
                    Line::styled(
                        ellipsize(&format!(" for {} ({how})", interpreter.display()), width),
                        theme.dim(),
                    ),
                ));
            }
            let selected = self.focus == Focus::Commands && i == self.command;
            // Cut with a marker rather than at the edge: the whole command is in the plain view.
            let line = Line::raw(ellipsize(
                &format!("{} {command}", if selected { "›" } else { " " }),
                width,
            ));
            rows.push((
                Some(i),
                if selected {
                    line.style(theme.selected())
                } else {
                    line
                },
            ));
        }
        let room = height.saturating_sub(1);
        let at = rows
            .iter()
            .position(|(i, _)| *i == Some(self.command))
            .unwrap_or(0);
        let offset = scroll_offset(at, room, rows.len());
        let mut lines = vec![title];
        lines.extend(rows.into_iter().skip(offset).take(room).map(|(_, l)| l));
        lines
    }

    fn place_lines(&self, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let mut lines = vec![Line::from(vec![
            Span::styled("Where to look", theme.title()),
            Span::styled(
                if self.places.iter().any(|p| matches!(p, Place::Python(_))) {
                    "  (the interpreters named; PATH and VIRTUAL_ENV are not used)".to_string()
                } else {
                    format!(
                        "  python3 and python on PATH{}",
                        self.base
                            .virtual_env
                            .as_ref()
                            .map(|v| format!(", VIRTUAL_ENV {}", v.display()))
                            .unwrap_or_default()
                    )
                },
                theme.dim(),
            ),
        ])];
        let editing_at = match &self.editing {
            Some((Editing::Existing(i), _)) => Some(*i),
            _ => None,
        };
        for (i, place) in self.places.iter().enumerate() {
            let selected = self.focus == Focus::Places && i == self.place;
            let kind = match place {
                Place::Python(_) => "python",
                Place::Folder(_) => "search",
            };
            let mut spans = vec![Span::raw(format!(
                "{} {kind:<7}",
                if selected { "›" } else { " " }
            ))];
            match (&self.editing, editing_at == Some(i)) {
                (Some((_, field)), true) => spans.extend(field_spans(field, look)),
                _ => spans.push(Span::raw(place.text().to_string())),
            }
            let line = Line::from(spans);
            lines.push(if selected && editing_at != Some(i) {
                line.style(theme.selected())
            } else {
                line
            });
        }
        if let Some((Editing::New(place), field)) = &self.editing {
            let kind = match place {
                Place::Python(_) => "python",
                Place::Folder(_) => "search",
            };
            let mut spans = vec![Span::raw(format!("+ {kind:<7}"))];
            spans.extend(field_spans(field, look));
            lines.push(Line::from(spans));
        }
        lines
    }

    fn pip_lines(&self, pip: &PipRun, height: usize, look: Look) -> Vec<Line<'static>> {
        let theme = look.theme;
        let state = match (pip.done, pip.current) {
            (false, Some(i)) => format!("running {} of {}", i + 1, pip.commands.len()),
            (false, None) => "starting".to_string(),
            (true, _) if pip.succeeded() => "done; checked again".to_string(),
            (true, _) => "stopped: a command failed".to_string(),
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("pip in {}", pip.interpreter.display()),
                theme.title(),
            ),
            Span::styled(format!("  {state}"), theme.dim()),
        ])];
        let room = height.saturating_sub(1);
        let skip = pip.output.len().saturating_sub(room);
        lines.extend(pip.output.iter().skip(skip).map(|l| Line::raw(l.clone())));
        lines
    }

    fn render_confirm(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let Some((interpreter, commands)) = &self.confirm else {
            return;
        };
        let theme = look.theme;
        let mut lines = vec![Line::raw(format!("In {}, run:", interpreter.display()))];
        for command in commands {
            lines.push(Line::raw(format!("  {command}")));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(keys::YES[0].hint(), theme.key()),
            Span::raw(" run them   "),
            Span::styled(keys::NO[0].hint(), theme.key()),
            Span::raw(" do not"),
        ]));
        let width = area.width.min(76);
        let inner_width = usize::from(width.saturating_sub(2).max(1));
        let rows: usize = lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner_width))
            .sum();
        let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
        let popup = centered(area, width, height);
        Clear.render(popup, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(" Run pip? ")
                    .border_style(theme.focused_border()),
            )
            .render(popup, buf);
    }
}

fn worst(assessment: &Assessment) -> Status {
    assessment
        .verdicts
        .iter()
        .map(|v| v.status)
        .max_by_key(|s| match s {
            Status::Fail => 3,
            Status::Warn => 2,
            Status::Pass => 1,
            Status::Skip => 0,
        })
        .unwrap_or(Status::Skip)
}

/// Nothing judged: where it looked, and how to point it elsewhere.
fn none_found_lines(inventory: &Inventory, look: Look) -> Vec<Line<'static>> {
    let theme = look.theme;
    let looked: Vec<String> = inventory
        .looked_at
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    vec![
        Line::styled(
            format!(
                "{} No Python with openmetadata-ingestion, openmetadata-managed-apis or \
                 apache-airflow found{}.",
                Status::Warn.glyph(),
                if looked.is_empty() {
                    " (no interpreter to look at)".to_string()
                } else {
                    format!(" (looked at {})", looked.join(", "))
                }
            ),
            theme.notice(),
        ),
        Line::styled(
            format!(
                "If ingestion runs on this host, name its interpreter ({}) or a folder of \
                 virtual environments ({}).",
                keys::ADD_PYTHON[0].hint(),
                keys::ADD_FOLDER[0].hint()
            ),
            theme.dim(),
        ),
    ]
}

/// One interpreter: its verdict, path, Python and OpenMetadata packages.
fn interpreter_line(
    interpreter: &Interpreter,
    assessment: Option<&Assessment>,
    selected: bool,
    look: Look,
) -> Line<'static> {
    let theme = look.theme;
    let (glyph, style) = match assessment.map(worst) {
        Some(s) => (s.glyph(), theme.status(s)),
        None => ("·", theme.dim()),
    };
    let mut packages = Vec::new();
    if let Some(p) = &interpreter.ingestion {
        packages.push(format!("ingestion {}", p.version_text()));
    }
    if let Some(p) = &interpreter.managed_apis {
        packages.push(format!("managed-apis {}", p.version_text()));
    }
    if let Some(p) = &interpreter.airflow {
        packages.push(format!("airflow {}", p.version_text()));
    }
    let line = Line::from(vec![
        Span::raw(format!("{} ", if selected { "›" } else { " " })),
        Span::styled(glyph, style),
        Span::raw(format!(
            " {}  Python {}  {}",
            interpreter.path.display(),
            interpreter.python,
            packages.join(", ")
        )),
    ]);
    if selected {
        line.style(theme.selected())
    } else {
        line
    }
}

/// The selected interpreter in detail: where it was found, each verdict, the advice.
fn assessment_lines(
    interpreter: &Interpreter,
    assessment: &Assessment,
    look: Look,
) -> Vec<Line<'static>> {
    let theme = look.theme;
    let origins: Vec<String> = interpreter
        .origins
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut lines = vec![Line::styled(
        format!("  {}", origins.join("; ")),
        theme.dim(),
    )];
    for verdict in assessment.verdicts.iter() {
        let required = match (&verdict.required, verdict.status) {
            (Some(required), _) => format!("→ {required}"),
            (None, Status::Skip) => String::new(),
            (None, _) => "→ unknown".to_string(),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("    {} ", verdict.status.glyph()),
                theme.status(verdict.status),
            ),
            Span::raw(format!(
                "{:<26} {:<14} {required}",
                verdict.aspect.label(),
                verdict.current.as_deref().unwrap_or("not installed"),
            )),
        ]));
        if matches!(verdict.status, Status::Fail | Status::Warn) {
            lines.push(Line::styled(format!("      {}", verdict.note), theme.dim()));
        }
    }
    for advice in &assessment.advice {
        lines.push(Line::styled(format!("  {advice}"), theme.dim()));
    }
    if let Some(Fix::NewVenv { notes, .. }) = &assessment.fix {
        for note in notes {
            lines.push(Line::styled(format!("  {note}"), theme.dim()));
        }
    }
    lines
}
