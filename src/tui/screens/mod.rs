//! The wizard's steps. [`ScreenId`] is the stepper; each step is one module with its state (a
//! [`Screen`]), its keys and its own `Action`s ([`Keys`]), an `update` that returns its own
//! `Work` for its worker (`tui::workers`), an `on_event` that takes its worker's `WorkEvent`s,
//! and a read-only render (its view). Steps know nothing of the App, of each other or of the
//! event loop: the App wraps their actions, work and events into its own.

pub mod backup;
pub mod clients;
pub mod database;
pub mod releases;
pub mod summary;
pub mod welcome;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::keymap::Binding;
use super::theme::Look;
use crate::checks::Status;
use crate::checks::runner::CheckResult;
use crate::report::{ReleaseReview, StepStatus};
pub use crate::session::ScreenId;

/// A step's status from its finished checks: the worst of them, skips counting as passes (a
/// check is skipped because another failed, which already shows, or because it does not
/// apply).
pub fn worst(statuses: impl IntoIterator<Item = Status>) -> StepStatus {
    statuses
        .into_iter()
        .fold(StepStatus::Pass, |worst, status| match (worst, status) {
            (StepStatus::Fail, _) | (_, Status::Fail) => StepStatus::Fail,
            (StepStatus::Warn, _) | (_, Status::Warn) => StepStatus::Warn,
            (other, Status::Pass | Status::Skip) => other,
        })
}

/// Identifies one run of a step's work, so that the events of an older run are never taken for
/// a newer one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub u64);

/// What the frame and the App need from every step: whether it has work running or a text
/// field open, what it found, its status for the sidebar, and how to draw it.
pub trait Screen {
    /// A text field has the keyboard: printable keys go to it, single-letter global keys do not
    /// apply.
    fn is_editing(&self) -> bool {
        false
    }

    /// Background work of this step is running (quitting asks first; the spinner ticks).
    fn is_busy(&self) -> bool {
        false
    }

    /// The check results this step holds now, for the Summary and the exported report (none
    /// until it ran; none for results that no longer describe the settings).
    fn results(&self) -> Vec<CheckResult> {
        Vec::new()
    }

    /// The release review this step holds, with the operator's acknowledgements (the Releases
    /// step), for the exported report.
    fn release_review(&self) -> Option<ReleaseReview> {
        None
    }

    fn status(&self) -> StepStatus;

    /// What it found was computed for other inputs (connection, target, files) and is set
    /// aside: the Summary and the report say "stale — re-run".
    fn is_stale(&self) -> bool {
        false
    }

    /// Drawn over the sidebar too (text meant to be selected and copied).
    fn takes_whole_screen(&self) -> bool {
        false
    }

    /// What quitting now would do to this step's running work, for the quit question
    /// ("a backup is running: quitting cancels it").
    fn quit_warning(&self) -> Option<String> {
        None
    }

    /// Draws the step. Read-only: rendering never changes state.
    fn render(&self, area: Rect, buf: &mut Buffer, look: Look);
}

/// A step's keys, in its own actions (the App wraps them into its own and adds the global
/// keys).
pub trait Keys: Screen {
    type Action: Clone;

    /// The bindings that apply right now, in footer order.
    fn bindings(&self) -> Vec<Binding<Self::Action>>;

    /// Every key of this step for the `?` help, in sections; by default the current bindings.
    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding<Self::Action>>)> {
        vec![("This step", self.bindings())]
    }

    /// The action for a printable character while editing.
    fn typed(&self, _c: char) -> Option<Self::Action> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_status_wins_and_skips_do_not_hide_a_pass() {
        use Status::*;
        assert_eq!(worst([Pass, Skip]), StepStatus::Pass);
        assert_eq!(worst([Pass, Warn, Skip]), StepStatus::Warn);
        assert_eq!(worst([Warn, Fail, Pass]), StepStatus::Fail);
        assert_eq!(worst([Fail, Warn]), StepStatus::Fail);
    }
}
