//! Keys and bindings. A [`Binding`] ties keys to an action with a label: a step's bindings carry
//! its own actions, which the App wraps into its own ([`Binding::map`]); the App gathers the
//! bindings that apply now, and the same list answers key presses, draws the footer and fills the
//! `?` help. No key is ever written into display text by hand: hints come from [`Key::hint`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key, with or without Ctrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    code: KeyCode,
    ctrl: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    /// Does a key press match? Shift is ignored for characters (it is what makes `?` or `Q`), Alt
    /// never matches.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl != self.ctrl || event.modifiers.contains(KeyModifiers::ALT) {
            return false;
        }
        match (self.code, event.code) {
            (KeyCode::Char(want), KeyCode::Char(got)) if self.ctrl => {
                want.eq_ignore_ascii_case(&got)
            }
            (want, got) => want == got,
        }
    }

    /// How the key is written in the footer and the help.
    pub fn hint(&self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.ctrl => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{name}")
        } else {
            name
        }
    }
}

/// The key sets the screens share, so the same intent has the same keys everywhere.
pub mod keys {
    use super::Key;
    use crossterm::event::KeyCode;

    pub const HELP: &[Key] = &[Key::char('?')];
    /// Quit (asks first while work runs).
    pub const QUIT: &[Key] = &[Key::char('q')];
    /// Quit now, stopping whatever runs (it only asks nothing).
    pub const INTERRUPT: &[Key] = &[Key::ctrl('c')];
    pub const NEXT_STEP: &[Key] = &[Key::plain(KeyCode::Right), Key::char('n')];
    pub const PREV_STEP: &[Key] = &[Key::plain(KeyCode::Left), Key::char('p')];
    pub const CONTINUE: &[Key] = &[Key::plain(KeyCode::Enter)];
    pub const CLOSE: &[Key] = &[Key::plain(KeyCode::Esc)];
    pub const CLOSE_HELP: &[Key] = &[Key::plain(KeyCode::Esc), Key::char('?'), Key::char('q')];
    pub const YES: &[Key] = &[Key::char('y')];
    pub const NO: &[Key] = &[Key::char('n'), Key::plain(KeyCode::Esc)];
    pub const ACCEPT: &[Key] = &[Key::plain(KeyCode::Enter), Key::char('y')];
    /// The Summary: write the report, switch its format, edit its path.
    pub const EXPORT: &[Key] = &[Key::char('e')];
    pub const FORMAT: &[Key] = &[Key::char('f')];
    pub const EDIT_PATH: &[Key] = &[Key::plain(KeyCode::Enter)];
    pub const UP: &[Key] = &[Key::plain(KeyCode::Up), Key::char('k')];
    pub const DOWN: &[Key] = &[Key::plain(KeyCode::Down), Key::char('j')];
    pub const FOCUS_NEXT: &[Key] = &[Key::plain(KeyCode::Tab)];
    pub const FOCUS_PREV: &[Key] = &[Key::plain(KeyCode::BackTab)];
    pub const EDIT: &[Key] = &[Key::plain(KeyCode::Enter), Key::char('e')];
    pub const TOGGLE: &[Key] = &[Key::plain(KeyCode::Enter), Key::char(' ')];
    /// Switches a choice that must not change by accident (the engine): Space only, never Enter.
    pub const SWITCH: &[Key] = &[Key::char(' ')];
    pub const TEST: &[Key] = &[Key::char('t')];
    pub const TARGET: &[Key] = &[Key::char('t')];
    pub const PAGE_UP: &[Key] = &[Key::plain(KeyCode::PageUp)];
    pub const PAGE_DOWN: &[Key] = &[Key::plain(KeyCode::PageDown)];
    pub const BACKUP: &[Key] = &[Key::char('b')];
    pub const VERIFY: &[Key] = &[Key::char('v')];
    pub const COPY_OFF: &[Key] = &[Key::char('c')];
    pub const OPTIONS: &[Key] = &[Key::char('o')];
    pub const RERUN: &[Key] = &[Key::char('r')];
    pub const FILTER: &[Key] = &[Key::char('f')];
    pub const ACKNOWLEDGE: &[Key] = &[Key::char(' ')];
    /// The Releases step: mark items to acknowledge together, show the "unknown" ones too,
    /// give the details the whole step.
    pub const MARK: &[Key] = &[Key::char('m')];
    pub const SHOW_UNKNOWN: &[Key] = &[Key::char('u')];
    pub const DETAILS: &[Key] = &[Key::plain(KeyCode::Enter)];
    pub const WORKFLOWS: &[Key] = &[Key::char('w')];
    pub const SERVER_CONFIG: &[Key] = &[Key::char('c')];
    pub const APPLY: &[Key] = &[Key::char('a')];
    pub const PLAIN_TEXT: &[Key] = &[Key::char('c')];
    pub const ADD_PYTHON: &[Key] = &[Key::char('i')];
    pub const ADD_FOLDER: &[Key] = &[Key::char('s')];
    pub const REMOVE: &[Key] = &[Key::char('d'), Key::plain(KeyCode::Delete)];
    /// Editing a text field.
    pub const COMMIT: &[Key] = &[Key::plain(KeyCode::Enter)];
    pub const COMMIT_NEXT: &[Key] = &[Key::plain(KeyCode::Tab)];
    pub const CANCEL: &[Key] = &[Key::plain(KeyCode::Esc)];
    pub const CURSOR_LEFT: &[Key] = &[Key::plain(KeyCode::Left)];
    pub const CURSOR_RIGHT: &[Key] = &[Key::plain(KeyCode::Right)];
    pub const CURSOR_HOME: &[Key] = &[Key::plain(KeyCode::Home), Key::ctrl('a')];
    pub const CURSOR_END: &[Key] = &[Key::plain(KeyCode::End), Key::ctrl('e')];
    pub const DELETE_BACK: &[Key] = &[Key::plain(KeyCode::Backspace)];
    pub const DELETE_FORWARD: &[Key] = &[Key::plain(KeyCode::Delete)];
    pub const CLEAR: &[Key] = &[Key::ctrl('u')];
}

/// Keys, what they do (an action of type `A`), and whether they can be used now.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding<A> {
    pub keys: &'static [Key],
    pub label: String,
    pub action: A,
    /// Shown dimmed and ignored when false (e.g. "test" while a test runs).
    pub enabled: bool,
    /// Shown in the footer; otherwise only in the help.
    pub in_footer: bool,
    /// Kept in the footer when the others do not all fit (the help key).
    pub pinned: bool,
}

impl<A> Binding<A> {
    pub fn new(keys: &'static [Key], label: impl Into<String>, action: A) -> Binding<A> {
        Binding {
            keys,
            label: label.into(),
            action,
            enabled: true,
            in_footer: true,
            pinned: false,
        }
    }

    pub fn enabled(mut self, enabled: bool) -> Binding<A> {
        self.enabled = enabled;
        self
    }

    pub fn help_only(mut self) -> Binding<A> {
        self.in_footer = false;
        self
    }

    pub fn pinned(mut self) -> Binding<A> {
        self.pinned = true;
        self
    }

    /// The same binding with its action wrapped (a step's action into the App's).
    pub fn map<B>(self, wrap: impl FnOnce(A) -> B) -> Binding<B> {
        Binding {
            keys: self.keys,
            label: self.label,
            action: wrap(self.action),
            enabled: self.enabled,
            in_footer: self.in_footer,
            pinned: self.pinned,
        }
    }

    /// The first key only, for the footer (`q`); the help shows them all.
    pub fn short_hint(&self) -> String {
        self.keys.first().map(Key::hint).unwrap_or_default()
    }

    /// `←/p`, `q/Ctrl-C`.
    pub fn hint(&self) -> String {
        self.keys
            .iter()
            .map(Key::hint)
            .collect::<Vec<_>>()
            .join("/")
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        self.keys.iter().any(|key| key.matches(event))
    }
}

/// What a key press asks for, given the bindings that apply. The first binding with the key
/// wins; a disabled binding swallows its key (so a key never falls through to a different
/// meaning while its own is unavailable).
pub fn lookup<A: Clone>(bindings: &[Binding<A>], event: &KeyEvent) -> Option<A> {
    bindings
        .iter()
        .find(|b| b.matches(event))
        .filter(|b| b.enabled)
        .map(|b| b.action.clone())
}

/// A printable character with no Ctrl/Alt (text input).
pub fn printable(event: &KeyEvent) -> Option<char> {
    match event.code {
        KeyCode::Char(c)
            if !event
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && !c.is_control() =>
        {
            Some(c)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum Action {
        Quit,
        PrevStep,
        ToggleHelp,
    }

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn hints_are_derived_from_keys() {
        let b = Binding::new(keys::CURSOR_HOME, "start", Action::Quit);
        assert_eq!(b.hint(), "Home/Ctrl-A");
        assert_eq!(b.short_hint(), "Home");
        let b = Binding::new(keys::PREV_STEP, "back", Action::PrevStep);
        assert_eq!(b.hint(), "←/p");
    }

    #[test]
    fn shift_makes_question_mark_and_ctrl_is_case_blind() {
        assert!(Key::char('?').matches(&press(KeyCode::Char('?'), KeyModifiers::SHIFT)));
        assert!(Key::ctrl('c').matches(&press(KeyCode::Char('C'), KeyModifiers::CONTROL)));
        assert!(!Key::char('c').matches(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!Key::char('q').matches(&press(KeyCode::Char('q'), KeyModifiers::ALT)));
    }

    #[test]
    fn a_disabled_binding_swallows_its_key() {
        let bindings = vec![
            Binding::new(keys::TEST, "test", Action::ToggleHelp).enabled(false),
            Binding::new(keys::TARGET, "other", Action::Quit),
        ];
        let t = press(KeyCode::Char('t'), KeyModifiers::NONE);
        assert_eq!(lookup(&bindings, &t), None);
    }

    #[test]
    fn printable_excludes_control_chords() {
        assert_eq!(
            printable(&press(KeyCode::Char('x'), KeyModifiers::SHIFT)),
            Some('x')
        );
        assert_eq!(
            printable(&press(KeyCode::Char('x'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(printable(&press(KeyCode::Enter, KeyModifiers::NONE)), None);
    }
}
