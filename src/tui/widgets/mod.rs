//! Pieces the screens share.

pub mod check_list;
pub mod copyable;
pub mod key_hints;
pub mod progress;
pub mod text_field;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;

/// A rectangle of at most `width` x `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// The first row to show so that row `selected` of `len` is in a window of `height` rows,
/// scrolling as little as possible from the top.
pub fn scroll_offset(selected: usize, height: usize, len: usize) -> usize {
    if height == 0 {
        return 0;
    }
    let max = len.saturating_sub(height);
    (selected + 1).saturating_sub(height).min(max)
}

/// `text` cut to `width` characters, with `…` when something was cut.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// How many rows `lines` take when a `Paragraph` wraps them at words to `width`, for splitting
/// an area between a wrapped text and what follows it.
pub fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines
        .iter()
        .map(|line| {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            word_wrapped_rows(&text, width)
        })
        .sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// Rows of one line wrapped greedily at spaces; a word longer than a row is cut.
fn word_wrapped_rows(text: &str, width: usize) -> usize {
    let mut rows = 1;
    // Leading spaces are kept (the paragraphs do not trim).
    let words = text.trim_start_matches(' ');
    let mut column = text.len() - words.len();
    for (i, word) in words.split(' ').enumerate() {
        let len = word.chars().count();
        let gap = usize::from(i > 0);
        if column + gap + len <= width {
            column += gap + len;
        } else if len <= width {
            rows += 1;
            column = len;
        } else {
            if column > 0 {
                rows += 1;
            }
            rows += (len - 1) / width;
            column = (len - 1) % width + 1;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_rows_follow_the_words() {
        assert_eq!(word_wrapped_rows("", 10), 1);
        assert_eq!(word_wrapped_rows("one two", 10), 1);
        assert_eq!(word_wrapped_rows("one two three", 10), 2);
        // A long word starts a row and is cut to the width.
        assert_eq!(word_wrapped_rows("sha 0123456789abcdef", 10), 3);
        assert_eq!(word_wrapped_rows("0123456789", 10), 1);
        assert_eq!(
            word_wrapped_rows("     four five", 10),
            2,
            "the indent counts"
        );
        assert_eq!(scroll_offset(0, 3, 10), 0);
        assert_eq!(scroll_offset(5, 3, 10), 3);
        assert_eq!(scroll_offset(9, 3, 10), 7);
        assert_eq!(scroll_offset(9, 0, 10), 0);
    }
}
