//! A one-line text value with a cursor, edited in place.

use ratatui::text::Span;

use crate::tui::keymap::{Binding, keys};
use crate::tui::theme::Look;

/// An edit to a text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEdit {
    Insert(char),
    Left,
    Right,
    Home,
    End,
    Backspace,
    Delete,
    Clear,
}

/// The help of a step with text fields: its own keys, then, unless a field is being edited (its
/// keys are then among the step's own), how editing works.
pub fn help_sections<A>(
    step: Vec<Binding<A>>,
    editing: bool,
    while_editing: &'static str,
    wrap: fn(TextEdit) -> A,
) -> Vec<(&'static str, Vec<Binding<A>>)> {
    let mut sections = vec![("This step", step)];
    if !editing {
        sections.push((while_editing, edit_bindings(wrap)));
    }
    sections
}

/// The help-only bindings of a field being edited; `wrap` turns an edit into the screen's action.
pub fn edit_bindings<A>(wrap: fn(TextEdit) -> A) -> Vec<Binding<A>> {
    [
        (keys::CURSOR_LEFT, "cursor left", TextEdit::Left),
        (keys::CURSOR_RIGHT, "cursor right", TextEdit::Right),
        (keys::CURSOR_HOME, "start of the value", TextEdit::Home),
        (keys::CURSOR_END, "end of the value", TextEdit::End),
        (
            keys::DELETE_BACK,
            "delete before the cursor",
            TextEdit::Backspace,
        ),
        (
            keys::DELETE_FORWARD,
            "delete at the cursor",
            TextEdit::Delete,
        ),
        (keys::CLEAR, "clear the value", TextEdit::Clear),
    ]
    .into_iter()
    .map(|(keys, label, edit)| Binding::new(keys, label, wrap(edit)).help_only())
    .collect()
}

/// A field being edited: the value with the cursor cell highlighted.
pub fn field_spans(field: &TextField, look: Look) -> Vec<Span<'static>> {
    let theme = look.theme;
    let chars: Vec<char> = field.value().chars().collect();
    let before: String = chars[..field.cursor()].iter().collect();
    let at: String = chars
        .get(field.cursor())
        .map_or(" ".into(), |c| c.to_string());
    let after: String = chars.iter().skip(field.cursor() + 1).collect();
    vec![
        Span::styled(before, theme.editing()),
        Span::styled(at, theme.editing().patch(theme.selected())),
        Span::styled(after, theme.editing()),
    ]
}

/// What a hidden value shows, however long it is: that something is there, not how much.
pub const MASK: &str = "••••••••";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextField {
    value: String,
    /// Cursor position in characters (not bytes).
    cursor: usize,
    /// A password: shown as [`MASK`], edited at its end only (a cursor that moved inside it
    /// would show how long it is).
    hidden: bool,
}

impl TextField {
    pub fn new(value: impl Into<String>) -> TextField {
        let value = value.into();
        let cursor = value.chars().count();
        TextField {
            value,
            cursor,
            hidden: false,
        }
    }

    /// A field for a password.
    pub fn hidden(value: impl Into<String>) -> TextField {
        TextField {
            hidden: true,
            ..TextField::new(value)
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// What to draw: the value, or for a hidden field [`MASK`] when it holds something, with
    /// the cursor after it.
    pub fn shown(&self) -> TextField {
        if !self.hidden {
            return self.clone();
        }
        TextField::new(if self.value.is_empty() { "" } else { MASK })
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.value
            .char_indices()
            .nth(chars)
            .map_or(self.value.len(), |(i, _)| i)
    }

    pub fn apply(&mut self, edit: TextEdit) {
        let len = self.value.chars().count();
        if self.hidden
            && matches!(
                edit,
                TextEdit::Left | TextEdit::Right | TextEdit::Home | TextEdit::End
            )
        {
            return;
        }
        match edit {
            TextEdit::Insert(c) => {
                let at = self.byte_at(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
            }
            TextEdit::Left => self.cursor = self.cursor.saturating_sub(1),
            TextEdit::Right => self.cursor = (self.cursor + 1).min(len),
            TextEdit::Home => self.cursor = 0,
            TextEdit::End => self.cursor = len,
            TextEdit::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    let at = self.byte_at(self.cursor);
                    self.value.remove(at);
                }
            }
            TextEdit::Delete => {
                if self.cursor < len {
                    let at = self.byte_at(self.cursor);
                    self.value.remove(at);
                }
            }
            TextEdit::Clear => {
                self.value.clear();
                self.cursor = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(field: &mut TextField, text: &str) {
        for c in text.chars() {
            field.apply(TextEdit::Insert(c));
        }
    }

    #[test]
    fn edits_at_the_cursor_with_multibyte_characters() {
        let mut f = TextField::new("hst");
        f.apply(TextEdit::Home);
        f.apply(TextEdit::Right);
        typed(&mut f, "ö");
        assert_eq!(f.value(), "höst");
        f.apply(TextEdit::End);
        f.apply(TextEdit::Backspace);
        assert_eq!(f.value(), "hös");
        f.apply(TextEdit::Home);
        f.apply(TextEdit::Delete);
        assert_eq!((f.value(), f.cursor()), ("ös", 0));
        f.apply(TextEdit::Left);
        f.apply(TextEdit::Backspace);
        assert_eq!((f.value(), f.cursor()), ("ös", 0));
        f.apply(TextEdit::Clear);
        assert_eq!((f.value(), f.cursor()), ("", 0));
        f.apply(TextEdit::Delete);
        f.apply(TextEdit::Right);
        assert_eq!(f.cursor(), 0);
    }

    #[test]
    fn a_hidden_value_shows_a_fixed_mask_that_does_not_give_its_length() {
        let mut short = TextField::hidden("pw");
        let long = TextField::hidden("a much longer password");
        assert_eq!(short.shown(), long.shown());
        assert_eq!((short.shown().value(), short.shown().cursor()), (MASK, 8));
        assert_eq!(TextField::hidden("").shown().value(), "");
        // The cursor stays at the end: typing appends, Backspace takes the last character.
        short.apply(TextEdit::Home);
        short.apply(TextEdit::Left);
        typed(&mut short, "!");
        assert_eq!(short.value(), "pw!");
        short.apply(TextEdit::Backspace);
        short.apply(TextEdit::Delete);
        assert_eq!((short.value(), short.cursor()), ("pw", 2));
        short.apply(TextEdit::Clear);
        assert_eq!(short.shown().value(), "");
    }
}
