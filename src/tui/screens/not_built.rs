//! A step whose engine is not in this build yet. It says so plainly and shows nothing else: no
//! screen pretends to do work it cannot do.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Look, Screen, ScreenId, StepStatus};
use crate::tui::action::Action;
use crate::tui::keymap::{Binding, keys};

#[derive(Debug, Clone)]
pub struct NotBuilt {
    id: ScreenId,
}

impl NotBuilt {
    pub fn new(id: ScreenId) -> NotBuilt {
        NotBuilt { id }
    }

    /// What is missing, and what the step will do once it is there.
    fn text(&self) -> (&'static str, &'static str) {
        match self.id {
            ScreenId::Backup => (
                "the backup engine",
                "choose a method, folder and format; back the database up with progress per \
                 table; then verify the backup, test-restore it, and list earlier backups.",
            ),
            ScreenId::Releases => (
                "the release catalogue",
                "list what changes between your version and the target, mark what affects this \
                 installation with its evidence, and let you acknowledge each breaking change.",
            ),
            ScreenId::Clients => (
                "the client checks",
                "find the Python interpreters with OpenMetadata's ingestion packages, compare \
                 them with the target, and give the pip commands to align them.",
            ),
            ScreenId::Welcome | ScreenId::Database | ScreenId::Summary => ("this step", ""),
        }
    }
}

impl Screen for NotBuilt {
    fn bindings(&self) -> Vec<Binding> {
        if self.id.is_last() {
            Vec::new()
        } else {
            vec![Binding::new(keys::CONTINUE, "continue", Action::NextStep)]
        }
    }

    fn status(&self) -> StepStatus {
        StepStatus::NotStarted
    }

    fn render(&self, area: Rect, buf: &mut Buffer, look: Look) {
        let (missing, plan) = self.text();
        let theme = look.theme;
        let lines = vec![
            Line::styled(self.id.title(), theme.title()),
            Line::raw(""),
            Line::styled(
                format!("Not built yet: {missing} is not part of this version of om-upgrade."),
                theme.notice(),
            ),
            Line::raw(""),
            Line::raw(format!("When it is, this step will {plan}")),
        ];
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}
