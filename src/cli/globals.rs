//! The options every command takes, wherever they are written on the command line:
//! `--color`, `-q`/`--quiet` and `-v`/`--verbose`.

use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};

use crate::config::Env;

const HEADING: &str = "Output";

/// The global flags, one block; clap repeats them in every subcommand's help.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Colours on a terminal (auto), always, or never; auto follows NO_COLOR and CLICOLOR_FORCE
    #[arg(long, value_enum, value_name = "WHEN", default_value_t, global = true, help_heading = HEADING)]
    pub color: ColorWhen,

    /// Only the result and errors: no progress, warnings or notes on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = HEADING)]
    pub quiet: bool,

    /// Log what is done to stderr (the wizard: to its log file): -v steps, -vv also every SQL
    /// statement and HTTP request, -vvv everything
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = HEADING)]
    pub verbose: u8,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it
    #[default]
    Auto,
    /// Always, also into a pipe or file
    Always,
    /// Never, also in the wizard
    Never,
}

impl ColorWhen {
    /// The colour choice for clap's own help and error messages.
    pub fn for_clap(self) -> clap::ColorChoice {
        match self {
            ColorWhen::Auto => clap::ColorChoice::Auto,
            ColorWhen::Always => clap::ColorChoice::Always,
            ColorWhen::Never => clap::ColorChoice::Never,
        }
    }
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// Whether `-q` was given: stderr carries errors only.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

impl GlobalArgs {
    /// Makes the flags take effect for this process: `-q` for everything that writes to stderr,
    /// `--color` as the environment variables every colour decision already reads (so the
    /// wizard's theme and the plain output follow the same rule).
    pub fn apply(&self, env: Env) -> Env {
        QUIET.store(self.quiet, Ordering::Relaxed);
        match self.color {
            ColorWhen::Auto => env,
            ColorWhen::Never => env.with("NO_COLOR", Some("1")),
            ColorWhen::Always => env
                .with("NO_COLOR", None)
                .with("CLICOLOR", None)
                .with("CLICOLOR_FORCE", Some("1")),
        }
    }

    /// The log filter: the flags win over RUST_LOG, which is used when neither is given.
    pub fn log_filter(&self, rust_log: Option<&str>) -> String {
        match (self.quiet, self.verbose) {
            (true, _) => "off".into(),
            (false, 0) => rust_log
                .filter(|v| !v.trim().is_empty())
                .unwrap_or("off")
                .into(),
            (false, 1) => "om_upgrade=info".into(),
            (false, 2) => "om_upgrade=debug,sqlx=debug".into(),
            (false, _) => "trace".into(),
        }
    }
}

/// What `--color` a command line asks for, read before clap parses it so that clap's own help
/// and errors follow it too. The last one given wins, as clap would decide.
pub fn color_in_args(args: &[std::ffi::OsString]) -> ColorWhen {
    let mut when = ColorWhen::Auto;
    let mut iter = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        let value = if arg == "--color" {
            iter.next().map(|v| v.into_owned())
        } else {
            arg.strip_prefix("--color=").map(str::to_string)
        };
        if let Some(value) = value
            && let Ok(parsed) = ColorWhen::from_str(&value, true)
        {
            when = parsed;
        }
    }
    when
}

/// Whether output to a stream should be coloured, the one rule for all of om-upgrade: NO_COLOR
/// (set to something) turns colour off, then CLICOLOR_FORCE (set, not "0") turns it on, then
/// CLICOLOR=0 turns it off, else colour when the stream is a terminal.
pub fn colour_wanted(env: &Env, terminal: bool) -> bool {
    let set = |name: &str| env.get(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") && env.get("CLICOLOR_FORCE") != Some("0") {
        return true;
    }
    if env.get("CLICOLOR") == Some("0") {
        return false;
    }
    terminal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
        list.iter().map(Into::into).collect()
    }

    #[test]
    fn colour_follows_no_color_then_clicolor_force_then_the_terminal() {
        let env = |pairs: &[(&str, &str)]| Env::from_pairs(pairs.iter().copied());
        assert!(colour_wanted(&env(&[]), true));
        assert!(!colour_wanted(&env(&[]), false));
        assert!(!colour_wanted(&env(&[("NO_COLOR", "1")]), true));
        // An empty NO_COLOR does not count (https://no-color.org).
        assert!(colour_wanted(&env(&[("NO_COLOR", "")]), true));
        assert!(colour_wanted(&env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!colour_wanted(&env(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!colour_wanted(
            &env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(!colour_wanted(&env(&[("CLICOLOR", "0")]), true));
    }

    #[test]
    fn the_color_flag_rewrites_the_environment_it_is_decided_from() {
        let env = Env::from_pairs([("NO_COLOR", "1")]);
        let always = GlobalArgs {
            color: ColorWhen::Always,
            ..GlobalArgs::default()
        };
        assert!(colour_wanted(&always.apply(env.clone()), false));
        let never = GlobalArgs {
            color: ColorWhen::Never,
            ..GlobalArgs::default()
        };
        assert!(!colour_wanted(&never.apply(Env::from_pairs([])), true));
        QUIET.store(false, Ordering::Relaxed);
    }

    #[test]
    fn the_color_flag_is_found_before_parsing() {
        assert_eq!(color_in_args(&args(&["om", "check"])), ColorWhen::Auto);
        assert_eq!(
            color_in_args(&args(&["om", "--color", "never", "check"])),
            ColorWhen::Never
        );
        assert_eq!(
            color_in_args(&args(&["om", "check", "--color=always"])),
            ColorWhen::Always
        );
        assert_eq!(
            color_in_args(&args(&["om", "--color=never", "--color", "always"])),
            ColorWhen::Always
        );
        assert_eq!(
            color_in_args(&args(&["om", "--", "--color=never"])),
            ColorWhen::Auto
        );
    }

    #[test]
    fn flags_win_over_rust_log() {
        let quiet = GlobalArgs {
            quiet: true,
            ..GlobalArgs::default()
        };
        assert_eq!(quiet.log_filter(Some("debug")), "off");
        let plain = GlobalArgs::default();
        assert_eq!(plain.log_filter(Some("debug")), "debug");
        assert_eq!(plain.log_filter(None), "off");
        let v = |n| GlobalArgs {
            verbose: n,
            ..GlobalArgs::default()
        };
        assert_eq!(v(1).log_filter(Some("off")), "om_upgrade=info");
        assert!(v(2).log_filter(None).contains("sqlx=debug"));
        assert_eq!(v(5).log_filter(None), "trace");
    }
}
