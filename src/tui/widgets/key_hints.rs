//! The footer and the help overlay, both drawn from the same bindings.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::keymap::Binding;
use crate::tui::theme::Theme;
use crate::tui::widgets::centered;

fn pair<A>(hint: String, binding: &Binding<A>, theme: Theme) -> [Span<'static>; 2] {
    let (key, desc) = if binding.enabled {
        (theme.key(), theme.key_desc())
    } else {
        (theme.key_disabled(), theme.key_disabled())
    };
    [
        Span::styled(hint, key),
        Span::styled(format!(" {}", binding.label), desc),
    ]
}

fn width<A>(binding: &Binding<A>) -> usize {
    binding.short_hint().chars().count() + 1 + binding.label.chars().count()
}

/// One line of key hints, each with its first key. When they do not all fit, the later ones give
/// way, but the pinned ones (quit and help) always show, last and in their order.
pub struct Footer<'a, A> {
    pub bindings: &'a [Binding<A>],
    pub theme: Theme,
}

impl<A> Widget for Footer<'_, A> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        const GAP: usize = 2;
        let shown: Vec<&Binding<A>> = self.bindings.iter().filter(|b| b.in_footer).collect();
        let pinned: Vec<&Binding<A>> = shown.iter().filter(|b| b.pinned).copied().collect();
        let budget = usize::from(area.width).saturating_sub(1);
        let reserve: usize = pinned.iter().map(|b| width(b) + GAP).sum();
        let mut used = 0;
        let mut spans = vec![Span::raw(" ")];
        for binding in shown.iter().filter(|b| !b.pinned) {
            let need = width(binding) + GAP;
            if used + need > budget.saturating_sub(reserve) {
                break;
            }
            spans.extend(pair(binding.short_hint(), binding, self.theme));
            spans.push(Span::raw(" ".repeat(GAP)));
            used += need;
        }
        for (i, binding) in pinned.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(" ".repeat(GAP)));
            }
            spans.extend(pair(binding.short_hint(), binding, self.theme));
        }
        Line::from(spans).render(area, buf);
    }
}

/// The `?` overlay: every key that applies here, with all its keys, in sections; in two columns
/// when one does not fit the height.
pub struct HelpOverlay<'a, A> {
    pub sections: &'a [(&'static str, Vec<Binding<A>>)],
    pub theme: Theme,
}

impl<A> HelpOverlay<'_, A> {
    fn section_lines(&self) -> Vec<Vec<Line<'static>>> {
        let hint_width = self
            .sections
            .iter()
            .flat_map(|(_, b)| b.iter())
            .map(|b| b.hint().chars().count())
            .max()
            .unwrap_or(0);
        self.sections
            .iter()
            .filter(|(_, b)| !b.is_empty())
            .map(|(title, bindings)| {
                let mut lines = vec![Line::styled(*title, self.theme.title())];
                for binding in bindings {
                    let [key, desc] = pair(binding.hint(), binding, self.theme);
                    let pad = " ".repeat(hint_width.saturating_sub(binding.hint().chars().count()));
                    let mut spans = vec![Span::raw("  "), key, Span::raw(pad), desc];
                    if !binding.enabled {
                        spans.push(Span::styled(" (not now)", self.theme.dim()));
                    }
                    lines.push(Line::from(spans));
                }
                lines
            })
            .collect()
    }

    /// The sections laid out in `columns` columns, with a blank line between sections.
    fn columns(&self, columns: usize) -> Vec<Vec<Line<'static>>> {
        let sections = self.section_lines();
        let total: usize = sections.iter().map(|s| s.len() + 1).sum();
        let per_column = total.div_ceil(columns.max(1));
        let mut out: Vec<Vec<Line<'static>>> = vec![Vec::new()];
        for section in sections {
            let column = out.last_mut().map_or(0, |c| c.len());
            if column > 0 && column + section.len() > per_column && out.len() < columns {
                out.push(Vec::new());
            }
            if let Some(column) = out.last_mut() {
                if !column.is_empty() {
                    column.push(Line::raw(""));
                }
                column.extend(section);
            }
        }
        out
    }
}

impl<A> Widget for HelpOverlay<'_, A> {
    /// Draws itself centred in `area`, as large as it needs.
    fn render(self, area: Rect, buf: &mut Buffer) {
        let one = self.columns(1);
        let fits = one[0].len() + 2 <= usize::from(area.height);
        let (columns, width) = if fits {
            (one, 64)
        } else {
            (self.columns(2), 78)
        };
        let rows = columns.iter().map(Vec::len).max().unwrap_or(0) + 2;
        let popup = centered(area, width, u16::try_from(rows).unwrap_or(u16::MAX));
        Clear.render(popup, buf);
        let block = Block::bordered()
            .title(" Keys ")
            .title_bottom(Line::from(" Esc closes ").right_aligned())
            .border_style(self.theme.focused_border());
        let inner = block.inner(popup);
        block.render(popup, buf);
        let constraints = vec![Constraint::Fill(1); columns.len()];
        let areas = Layout::horizontal(constraints).spacing(2).split(inner);
        for (lines, column) in columns.into_iter().zip(areas.iter()) {
            Paragraph::new(lines).render(*column, buf);
        }
    }
}
