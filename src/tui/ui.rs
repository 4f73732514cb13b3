//! The frame: header, step sidebar, the current step, notice, footer, and overlays. Rendering
//! reads the App and never changes it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::{App, Overlay};
use super::keymap::keys;
use super::screens::ScreenId;
use super::widgets::key_hints::{Footer, HelpOverlay};
use super::widgets::{centered, ellipsize, wrapped_height};
use crate::session::Saved;

/// The smallest terminal the wizard draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

const SIDEBAR_WIDTH: u16 = 15;

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            render_too_small(self, area, buf);
            return;
        }
        let notice_height = u16::from(self.notice.is_some());
        let [header, middle, notice, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(notice_height),
            Constraint::Length(1),
        ])
        .areas(area);
        render_header(self, header, buf);
        let [sidebar, body] =
            Layout::horizontal([Constraint::Length(SIDEBAR_WIDTH), Constraint::Fill(1)])
                .areas(middle);
        let body = if self.current().takes_whole_screen() {
            middle
        } else {
            render_sidebar(self, sidebar, buf);
            body.inner(ratatui::layout::Margin::new(1, 0))
        };
        self.current().render(body, buf, self.look);
        if let Some(text) = &self.notice {
            Line::styled(format!(" {text}"), self.look.theme.notice()).render(notice, buf);
        }
        Footer {
            bindings: &self.bindings(),
            theme: self.look.theme,
        }
        .render(footer, buf);
        // The help may use the header's row too, so that it fits one column at 80x24.
        let help_area = Rect {
            y: header.y,
            height: header.height + middle.height,
            ..middle
        };
        render_overlay(self, middle, help_area, buf);
        if self.is_quitting() {
            render_quitting(self, middle, buf);
        }
    }
}

/// The last frame when quitting stops running work: says so, and what it does to that work,
/// while it winds down.
fn render_quitting(app: &App, area: Rect, buf: &mut Buffer) {
    let mut lines = vec![Line::styled("quitting…", app.look.theme.title())];
    lines.extend(quit_lines(app));
    let height = wrapped_height(&lines, 74).saturating_add(2);
    let popup = centered(area, 76, height);
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::bordered().border_style(app.look.theme.focused_border()))
        .render(popup, buf);
}

/// The box over the step, if one is open: the help, or a question.
fn render_overlay(app: &App, area: Rect, help_area: Rect, buf: &mut Buffer) {
    match app.overlay() {
        None => {}
        Some(Overlay::Help) => {
            let sections = app.help_sections();
            HelpOverlay {
                sections: &sections,
                theme: app.look.theme,
            }
            .render(help_area, buf);
        }
        Some(Overlay::ConfirmQuit) => {
            render_question(app, area, buf, " Quit? ", quit_lines(app));
        }
        Some(Overlay::Resume(saved)) => {
            render_question(app, area, buf, " Resume? ", resume_lines(saved));
        }
    }
}

/// What quitting now would stop: the steps that say what it does to their work say it; the
/// rest are named.
fn quit_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = ScreenId::ALL
        .iter()
        .filter_map(|id| app.screen_of(*id).quit_warning())
        .map(Line::raw)
        .collect();
    if lines.is_empty() {
        let busy: Vec<&str> = ScreenId::ALL
            .iter()
            .filter(|id| app.screen_of(**id).is_busy())
            .map(|id| id.title())
            .collect();
        lines.push(Line::raw(format!(
            "Work is still running: {}.",
            busy.join(", ")
        )));
        lines.push(Line::raw("Quitting stops it."));
    }
    lines
}

/// The saved session offered for resume.
fn resume_lines(saved: &Saved) -> Vec<Line<'static>> {
    let when = saved.saved_at.format("%Y-%m-%d %H:%M UTC");
    let session = &saved.session;
    let c = &session.connection;
    let target = session.target.as_deref().unwrap_or("not chosen");
    vec![
        Line::raw(format!("A session saved on {when} was found:")),
        Line::raw(format!("  step      {}", session.screen.title())),
        Line::raw(format!("  target    {target}")),
        Line::raw(format!(
            "  database  {}://{}@{}:{}/{}",
            c.engine, c.user, c.host, c.port, c.database
        )),
        Line::raw("Settings given on this command line still win."),
    ]
}

fn render_header(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.look.theme;
    let target = app.target().map_or_else(
        || "target not chosen".to_string(),
        |t| format!("target {t}"),
    );
    let text = format!(
        " om-upgrade {}  │  {target}  │  {}",
        env!("CARGO_PKG_VERSION"),
        app.database.display_url()
    );
    Line::raw(ellipsize(&text, usize::from(area.width)))
        .style(theme.header())
        .render(area, buf);
}

fn render_sidebar(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.look.theme;
    let block = Block::new()
        .borders(Borders::RIGHT)
        .border_style(theme.border());
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = vec![Line::styled(" Steps", theme.title()), Line::raw("")];
    for id in ScreenId::ALL {
        let status = app.screen_of(id).status();
        let current = id == app.screen();
        let marker = if current { "›" } else { " " };
        let name_style = theme.text();
        let line = Line::from(vec![
            Span::raw(format!("{marker} ")),
            Span::styled(
                crate::tui::theme::step_glyph(status, app.look.tick),
                theme.step(status),
            ),
            Span::raw(" "),
            Span::styled(format!("{:<10}", id.title()), name_style),
        ]);
        lines.push(if current {
            line.style(theme.selected())
        } else {
            line
        });
    }
    Paragraph::new(lines).render(inner, buf);
}

fn render_question(
    app: &App,
    area: Rect,
    buf: &mut Buffer,
    title: &'static str,
    mut lines: Vec<Line<'static>>,
) {
    let theme = app.look.theme;
    lines.push(Line::raw(""));
    let answers: Vec<Span> = app
        .bindings()
        .iter()
        .filter(|b| b.in_footer)
        .flat_map(|b| {
            [
                Span::styled(b.hint(), theme.key()),
                Span::styled(format!(" {}   ", b.label), theme.key_desc()),
            ]
        })
        .collect();
    lines.push(Line::from(answers));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, 76, height);
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title(title)
                .border_style(theme.focused_border()),
        )
        .render(popup, buf);
}

fn render_too_small(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.look.theme;
    let quit = keys::QUIT
        .iter()
        .chain(keys::INTERRUPT)
        .map(|k| k.hint())
        .collect::<Vec<_>>()
        .join(" or ");
    let lines = vec![
        Line::styled("Terminal too small", theme.error()),
        Line::raw(format!(
            "{}x{} here; om-upgrade needs {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw(format!("Enlarge the window, or press {quit} to quit.")),
    ];
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    Paragraph::new(lines)
        .centered()
        .wrap(Wrap { trim: true })
        .render(middle, buf);
}
