//! Quoting for the shell lines the tool prints for an operator to paste (pip commands, backup
//! and restore commands, file names). A leaf.

/// Quotes one argument for a POSIX shell: bare when safe, in double quotes when only globbing
/// characters need hiding (the style pip's docs use), else in single quotes.
pub fn quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else if !arg.chars().any(|c| "\"\\$`!".contains(c)) {
        format!("\"{arg}\"")
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
