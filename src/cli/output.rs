//! Writing to the terminal: stdout lines that survive a closed pipe, warnings on stderr.

use crate::config::SettingsWarning;

pub(crate) fn out_line(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(error) = writeln!(std::io::stdout().lock(), "{args}")
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        // What a shell reports for a process killed by SIGPIPE.
        std::process::exit(141);
    }
}

/// Prints settings warnings to stderr (not with `-q`).
pub(super) fn print_warnings(warnings: &[SettingsWarning]) {
    for warning in warnings {
        note!("warning: {warning}");
    }
}
