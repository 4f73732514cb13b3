//! `om-upgrade backups [DIR…]`: the backups on this host, newest first.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::CliError;
use super::args::Format;
use crate::backup::leftovers::{self, Unfinished, UnfinishedState};
use crate::backup::locate::{self, FoundBackup};
use crate::backup::manifest::Manifest;
use crate::backup::source::{self, SourceKey};
use crate::config::{Env, paths::Paths};
use crate::humanize;
use crate::store::{Store, StoredBackup, StoredManifest};

pub const LONG_ABOUT: &str = "\
List the backups on this host, newest first: om-upgrade's (with a manifest) and the official \
CLI's (openmetadata_YYYYmmddHHMM_backup.sql), in the default backup folder, the current folder \
and the folders given. Shows size, OpenMetadata version, the database it was taken from \
(engine, host, port, database; \"source unknown\" without a manifest) and whether it was verified \
(`om-upgrade verify`). Unfinished backups (a partial file, or a file whose manifest was never \
put in place because the backup was killed) are listed apart, as not usable.

Given store URLs (s3://bucket/prefix, az://container/prefix, gs://bucket/prefix), it lists the \
backups stored under each prefix instead (folders given beside them are still listed as folders \
of this host, with the default ones), with their manifests: a backup with its manifest \
beside it is a verified copy (`om-upgrade copy` stores the manifest only after the data was \
verified); one without is an upload that did not finish or a file copied by other means. \
Credentials come from each cloud's standard chain, never from an option.";

#[derive(Debug, Args)]
pub struct BackupsArgs {
    /// More folders to look in, or store URLs (s3://…, az://…, gs://…) to list instead
    #[arg(value_name = "DIR|URL")]
    pub dirs: Vec<PathBuf>,

    #[command(flatten)]
    pub store: super::args::StoreArgs,

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
    /// `being-written`, `partial`, `manifest-not-in-place`, `no-manifest-ours`, `copy-temporary`
    /// (a killed copy's temporary file in a share).
    state: &'static str,
    /// Verified copies off this host.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    copies: &'a [crate::backup::manifest::CopyRecord],
}

fn state_name(state: UnfinishedState) -> &'static str {
    match state {
        UnfinishedState::BeingWritten => "being-written",
        UnfinishedState::Partial => "partial",
        UnfinishedState::ManifestNotInPlace => "manifest-not-in-place",
        UnfinishedState::NoManifest => "no-manifest-ours",
        UnfinishedState::CopyTemporary => "copy-temporary",
    }
}

pub async fn run(mut args: BackupsArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    // Folders are listed as folders on this host, URLs as store prefixes: both when both are
    // given (a folder is never taken for a store because a URL stands beside it).
    let (urls, folders): (Vec<PathBuf>, Vec<PathBuf>) =
        args.dirs.iter().cloned().partition(|d| is_store_url(d));
    for dir in &folders {
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "{} is not a folder",
                dir.display()
            )));
        }
    }
    let stored = list_stored(&urls, &args.store, env).await?;
    if !urls.is_empty() && folders.is_empty() {
        print_stored_listings(args.format, &stored);
        return Ok(0);
    }
    let mut dirs = vec![Paths::from_env(env).backups_dir()];
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    dirs.extend(folders);
    let found = locate::find(&dirs);
    let unfinished = leftovers::unfinished(&dirs);
    match args.format {
        Format::Json => {
            // One array: entries on this host have a `path`, stored ones a `url`.
            let mut entries = serde_json::to_value(local_entries(&found, &unfinished))
                .unwrap_or_default()
                .as_array()
                .cloned()
                .unwrap_or_default();
            if let Some(more) = serde_json::to_value(stored_entries(&stored))
                .unwrap_or_default()
                .as_array()
            {
                entries.extend(more.iter().cloned());
            }
            outln!(
                "{}",
                serde_json::to_string_pretty(&entries).unwrap_or_default()
            );
        }
        Format::Text => {
            print_text(&found, &dirs);
            print_unfinished(&unfinished);
            for (url, backups) in &stored {
                outln!();
                print_stored(url, backups);
            }
        }
    }
    Ok(0)
}

/// The backups on this host, and the unfinished ones, as JSON entries.
fn local_entries<'a>(found: &'a [FoundBackup], unfinished: &'a [Unfinished]) -> Vec<JsonEntry<'a>> {
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
            copies: f.manifest.as_ref().map_or(&[], |m| m.copies.as_slice()),
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
        copies: &[],
    }));
    entries
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
        for copy in f.manifest.iter().flat_map(|m| &m.copies) {
            let checked = copy.checked.as_ref().map(|c| {
                format!(
                    "; checked {} {}",
                    c.at.format("%Y-%m-%d %H:%M"),
                    if c.ok { "OK" } else { "FAILED" }
                )
            });
            outln!(
                "{:<29}copy {} (verified {}{})",
                "",
                copy.url,
                copy.at.format("%Y-%m-%d %H:%M"),
                checked.unwrap_or_default()
            );
        }
    }
}

fn is_store_url(arg: &std::path::Path) -> bool {
    arg.to_str().is_some_and(|s| s.contains("://"))
}

#[derive(Serialize)]
struct StoredEntry<'a> {
    url: &'a str,
    bytes: u64,
    last_modified: String,
    /// `verified-copy` (its manifest is beside it and its size matches), `size-differs`,
    /// `no-manifest`, `invalid-manifest`, or `unfinished-upload` (a killed copy's temporary
    /// file in a folder, not a backup).
    state: &'static str,
    openmetadata_version: Option<&'a str>,
    manifest: Option<&'a Manifest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'a str>,
}

fn stored_state(backup: &StoredBackup) -> &'static str {
    match &backup.manifest {
        StoredManifest::Present(m) if m.file.bytes == backup.bytes => "verified-copy",
        StoredManifest::Present(_) => "size-differs",
        StoredManifest::Missing => "no-manifest",
        StoredManifest::Invalid(_) => "invalid-manifest",
        StoredManifest::UnfinishedUpload => "unfinished-upload",
    }
}

/// The backups under each store prefix, by the prefix's URL.
async fn list_stored(
    urls: &[PathBuf],
    store: &super::args::StoreArgs,
    env: &Env,
) -> Result<Vec<(String, Vec<StoredBackup>)>, CliError> {
    let options = store.to_options();
    let mut listings = Vec::new();
    for url in urls {
        let url = url.to_string_lossy();
        let store = Store::open(&url, &options, env).map_err(super::copy::store_error)?;
        let backups = store
            .list_backups()
            .await
            .map_err(super::copy::store_error)?;
        listings.push((store.destination().to_string(), backups));
    }
    Ok(listings)
}

fn stored_entries(listings: &[(String, Vec<StoredBackup>)]) -> Vec<StoredEntry<'_>> {
    listings
        .iter()
        .flat_map(|(_, backups)| backups)
        .map(|b| {
            let manifest = match &b.manifest {
                StoredManifest::Present(m) => Some(m.as_ref()),
                _ => None,
            };
            StoredEntry {
                url: &b.url,
                bytes: b.bytes,
                last_modified: b.last_modified.to_rfc3339(),
                state: stored_state(b),
                openmetadata_version: manifest
                    .and_then(|m| m.source.openmetadata_version.as_deref()),
                manifest,
                problem: match &b.manifest {
                    StoredManifest::Invalid(why) => Some(why),
                    _ => None,
                },
            }
        })
        .collect()
}

/// `backups URL…`: only store prefixes were given.
fn print_stored_listings(format: Format, listings: &[(String, Vec<StoredBackup>)]) {
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&stored_entries(listings)).unwrap_or_default()
        ),
        Format::Text => {
            for (url, backups) in listings {
                print_stored(url, backups);
            }
        }
    }
}

fn print_stored(url: &str, backups: &[StoredBackup]) {
    if backups.is_empty() {
        outln!("No backups under {url}");
        outln!("Copy one there with: om-upgrade copy FILE {url}");
        return;
    }
    outln!("Backups under {url}:");
    outln!(
        "{:<17} {:>10}  {:<8} {:<14} name",
        "taken (UTC)",
        "size",
        "OM",
        "state"
    );
    for b in backups {
        let (taken, version) = match &b.manifest {
            StoredManifest::Present(m) => (
                m.finished_at,
                m.source.openmetadata_version.as_deref().unwrap_or("?"),
            ),
            _ => (b.last_modified, "?"),
        };
        outln!(
            "{:<17} {:>10}  {:<8} {:<14} {}",
            taken.format("%Y-%m-%d %H:%M"),
            humanize::bytes(b.bytes),
            version,
            stored_state(b),
            b.name
        );
        match &b.manifest {
            StoredManifest::Invalid(why) => outln!("{:<29}manifest not readable: {why}", ""),
            StoredManifest::UnfinishedUpload => outln!(
                "{:<29}a copy's temporary file: not a backup (remove it unless a copy runs now)",
                ""
            ),
            _ => {}
        }
    }
}
