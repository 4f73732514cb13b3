//! The wizard's steps. [`ScreenId`] is the stepper; each step is one module with its own state,
//! key bindings, update and read-only render.

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

/// What the frame needs from every step: its keys now, whether it has work running or a text
/// field open, its status for the sidebar, and how to draw it. Updates are step-specific (each
/// step has its own action type) and routed by the App.
pub trait Screen {
    /// The bindings that apply right now, in footer order. Global keys are added by the App.
    fn bindings(&self) -> Vec<Binding>;

    /// Every key of this step for the `?` help, in sections; by default the current bindings.
    fn help_sections(&self) -> Vec<(&'static str, Vec<Binding>)> {
        vec![("This step", self.bindings())]
    }

    /// A text field has the keyboard: printable keys go to it, single-letter global keys do not
    /// apply.
    fn is_editing(&self) -> bool {
        false
    }

    /// The action for a printable character while editing.
    fn typed(&self, _c: char) -> Option<super::action::Action> {
        None
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
