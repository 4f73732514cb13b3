//! `om-upgrade backups [DIR…]`: the backups on this host, newest first.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::CliError;
use super::args::Format;
use crate::backup::leftovers::{self, Unfinished, UnfinishedState};
use crate::backup::locate::{self, FoundBackup};
use crate::backup::source::{self, SourceKey};
use crate::config::{Env, paths::Paths};
use crate::humanize;

pub const LONG_ABOUT: &str = "\
List the backups on this host, newest first: om-upgrade's (with a manifest) and the official \
CLI's (openmetadata_YYYYmmddHHMM_backup.sql), in the default backup folder, the current folder \
and the folders given. Shows size, OpenMetadata version, the database it was taken from \
(engine, host, port, database; \"source unknown\" without a manifest) and whether it was verified \
(`om-upgrade verify`). Unfinished backups (a partial file, or a file whose manifest was never \
put in place because the backup was killed) are listed apart, as not usable.";

#[derive(Debug, Args)]
pub struct BackupsArgs {
    /// More folders to look in
    pub dirs: Vec<PathBuf>,

    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub json: super::args::JsonFlag,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    path: &'a std::path::Path,
    bytes: u64,
    taken_at: String,
    openmetadata_version: Option<&'a str>,
    database: Option<&'a str>,
    /// The database it was taken from (engine, host, port, database), from its manifest;
    /// `null` when it has none (its source is unknown).
    source: Option<SourceKey>,
    verified: Option<bool>,
    method: Option<crate::backup::manifest::Method>,
    /// What the manifest records of the stored secrets (never the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    secrets: Option<&'a crate::secrets::SecretFacts>,
    /// `complete` (with a manifest), `no-manifest` (another tool's file), or how it is unfinished:
    /// `being-written`, `partial`, `manifest-not-in-place`, `no-manifest-ours`.
    state: &'static str,
}

fn state_name(state: UnfinishedState) -> &'static str {
    match state {
        UnfinishedState::BeingWritten => "being-written",
        UnfinishedState::Partial => "partial",
        UnfinishedState::ManifestNotInPlace => "manifest-not-in-place",
        UnfinishedState::NoManifest => "no-manifest-ours",
    }
}

pub async fn run(mut args: BackupsArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    let mut dirs = vec![Paths::from_env(env).backups_dir()];
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    for dir in &args.dirs {
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "{} is not a folder",
                dir.display()
            )));
        }
    }
    dirs.extend(args.dirs.iter().cloned());
    let found = locate::find(&dirs);
    let unfinished = leftovers::unfinished(&dirs);
    match args.format {
        Format::Json => {
            let mut entries: Vec<JsonEntry> = found
                .iter()
                .map(|f| JsonEntry {
                    path: &f.path,
                    bytes: f.bytes,
                    taken_at: f.taken_at.to_rfc3339(),
                    openmetadata_version: f.openmetadata_version(),
                    database: f.manifest.as_ref().map(|m| m.source.database.as_str()),
                    source: SourceKey::of_backup(f),
                    verified: f.verified(),
                    method: f.manifest.as_ref().map(|m| m.method),
                    secrets: f.manifest.as_ref().and_then(|m| m.secrets.as_ref()),
                    state: if f.manifest.is_some() {
                        "complete"
                    } else {
                        "no-manifest"
                    },
                })
                .collect();
            entries.extend(unfinished.iter().map(|u| JsonEntry {
                path: &u.path,
                bytes: u.bytes,
                taken_at: u.modified.to_rfc3339(),
                openmetadata_version: None,
                database: None,
                source: None,
                verified: None,
                method: None,
                secrets: None,
                state: state_name(u.state),
            }));
            outln!(
                "{}",
                serde_json::to_string_pretty(&entries).unwrap_or_default()
            );
        }
        Format::Text => {
            print_text(&found, &dirs);
            print_unfinished(&unfinished);
        }
    }
    Ok(0)
}

fn print_unfinished(unfinished: &[Unfinished]) {
    if unfinished.is_empty() {
        return;
    }
    outln!();
    outln!("Unfinished, not usable as backups:");
    for u in unfinished {
        outln!(
            "{:<17} {:>10}  {}",
            u.modified.format("%Y-%m-%d %H:%M"),
            humanize::bytes(u.bytes),
            u.path.display()
        );
        outln!("{:<29}{}", "", u.state.explain());
    }
}

fn print_text(found: &[FoundBackup], dirs: &[PathBuf]) {
    if found.is_empty() {
        outln!("No backups found in:");
        for dir in dirs {
            outln!("  {}", dir.display());
        }
        outln!("Take one with: om-upgrade backup");
        return;
    }
    outln!(
        "{:<17} {:>10}  {:<8} {:<9} path",
        "taken (UTC)",
        "size",
        "OM",
        "verified"
    );
    for f in found {
        outln!(
            "{:<17} {:>10}  {:<8} {:<9} {}",
            f.taken_at.format("%Y-%m-%d %H:%M"),
            humanize::bytes(f.bytes),
            f.openmetadata_version().unwrap_or("?"),
            match (f.verified(), &f.manifest) {
                (Some(true), _) => "yes",
                (Some(false), _) => "FAILED",
                (None, Some(_)) => "no",
                (None, None) => "no manif.",
            },
            f.path.display()
        );
        let secrets = f.manifest.as_ref().and_then(|m| m.secrets.as_ref());
        if let Some(facts) = secrets.filter(|s| s.holds_fernet_secrets) {
            outln!("{:<49}{}", "", facts.describe());
        }
        outln!("{:<29}of {}", "", source::label(f));
    }
}
