//! Text an operator copies with the mouse (shell commands, paths, checksums), laid out so that a
//! copy is never broken in the middle of a word: a terminal copies a wrapped row as two lines, so
//! a command or a path wrapped mid-token pastes as something else. Commands break only between
//! their words, with ` \` continuations so the rows paste as one command; a word too long for a
//! row is cut in the middle with an explicit `…`, never wrapped.

/// `text` as it fits in `width` columns: whole when it fits, else its start and end around `…`
/// (an explicit marker: what shows is then not the whole text).
pub fn fit(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len <= width {
        return text.to_string();
    }
    if width <= 1 {
        return "…".repeat(width);
    }
    let keep = width - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(len - tail).collect();
    format!("{start}…{end}")
}

/// A shell command, given as its words already quoted for the shell, in rows of at most
/// `width` columns: broken only between words, every row but the last ending in ` \` and the
/// rows after the first indented by two spaces, so that pasting them runs the one command. A
/// word too long for a row of its own is cut with [`fit`]; the second value says whether that
/// happened (the rows are then not the whole command).
pub fn shell_rows(words: &[String], width: usize) -> (Vec<String>, bool) {
    const INDENT: &str = "  ";
    const CONTINUED: &str = " \\";
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut cut = false;
    for (i, word) in words.iter().enumerate() {
        let last = i + 1 == words.len();
        // Room a row must keep for its continuation mark, unless this word ends the command.
        let mark = if last { 0 } else { CONTINUED.len() };
        let len = word.chars().count();
        if !row.is_empty() && row.chars().count() + 1 + len + mark <= width {
            row.push(' ');
            row.push_str(word);
            continue;
        }
        if !row.is_empty() {
            rows.push(format!("{row}{CONTINUED}"));
        }
        let indent = if rows.is_empty() { "" } else { INDENT };
        let room = width.saturating_sub(indent.len() + mark);
        if len > room {
            cut = true;
        }
        row = format!("{indent}{}", fit(word, room));
    }
    if !row.is_empty() {
        rows.push(row);
    }
    (rows, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn a_command_breaks_between_words_and_continues_with_a_backslash() {
        let (rows, cut) = shell_rows(
            &words(
                "/opt/venv/bin/python -m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\"",
            ),
            44,
        );
        assert!(!cut);
        assert_eq!(
            rows,
            [
                "/opt/venv/bin/python -m pip install \\",
                "  \"openmetadata-ingestion[mysql]==1.2.0.*\"",
            ]
        );
        assert!(rows.iter().all(|r| r.chars().count() <= 44), "{rows:?}");
        // Joined the way a shell reads the continuation, it is the command again.
        let joined = rows.join("\n").replace(" \\\n  ", " ");
        assert_eq!(
            joined,
            "/opt/venv/bin/python -m pip install \"openmetadata-ingestion[mysql]==1.2.0.*\""
        );
    }

    #[test]
    fn a_short_command_is_one_row_and_a_long_word_is_cut_with_a_marker() {
        assert_eq!(
            shell_rows(&words("cd /srv"), 40),
            (vec!["cd /srv".into()], false)
        );
        let (rows, cut) = shell_rows(&words("sha 0123456789abcdef0123456789"), 12);
        assert!(cut);
        assert_eq!(rows, ["sha \\", "  01234…6789"]);
        assert_eq!(fit("0123456789", 10), "0123456789");
        assert_eq!(fit("0123456789", 5), "01…89");
    }
}
