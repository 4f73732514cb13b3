//! `om-upgrade copy FILE URL…` and `backup --copy-to URL`: put a backup and its manifest off
//! this host, verified, and record where.

use std::path::{Path, PathBuf};

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::args::{Format, StoreArgs};
use super::{CliError, progress};
use crate::config::Env;
use crate::humanize;
use crate::store::{Copied, Store, StoreError};

pub const LONG_ABOUT: &str = "\
Copy a backup and its manifest off this host: to S3 or an S3-compatible store (s3://bucket/prefix, \
with --s3-endpoint or AWS_ENDPOINT_URL for MinIO, Ceph, Cloudflare R2), Azure Blob Storage \
(az://container/prefix), Google Cloud Storage (gs://bucket/prefix) or a folder (a mounted share).

The copy counts only once it is verified: its size and SHA-256 against the manifest, by the \
store's own checksum of the bytes it received (S3's multipart ETag) or by reading it back. Then \
the manifest is stored beside it, and the local manifest records the verified copy (URL, time, \
how verified); `om-upgrade backups` and the report show it. An existing object is never replaced, \
and a failed or interrupted upload leaves nothing under the final name.

Credentials are never options: they come from each cloud's standard chain — AWS_ACCESS_KEY_ID / \
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity or the instance role; \
AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT_NAME with a key or SAS, a service \
principal, workload or managed identity; GOOGLE_APPLICATION_CREDENTIALS or the instance's \
service account. They never appear in output, manifests, the session or the report.";

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The backup file (its NAME.manifest.json must be beside it)
    pub file: PathBuf,

    /// Destinations: s3://bucket/prefix, az://container/prefix, gs://bucket/prefix or a folder
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub json: super::args::JsonFlag,
}

pub async fn run(mut args: CopyArgs, env: &Env) -> Result<i32, CliError> {
    args.format = args.json.or(args.format, Format::Json);
    if !args.file.is_file() {
        return Err(CliError::Usage(format!(
            "{} is not a file",
            args.file.display()
        )));
    }
    if let Err(error) = crate::backup::manifest::read(&args.file) {
        return Err(CliError::Failed {
            message: format!("cannot copy {}: {error}", args.file.display()),
            hint: Some(
                "A copy is verified against the backup's manifest: copy backups taken with \
                 `om-upgrade backup`."
                    .into(),
            ),
        });
    }
    let stores = open_all(&args.urls, &args.store, env).await?;
    let cancel = CancellationToken::new();
    super::signals::cancel_on_signals(cancel.clone());
    // The manifest is rewritten beside the file: name it by its full path.
    let file = std::path::absolute(&args.file).unwrap_or_else(|_| args.file.clone());
    let copies = copy_all(&file, &stores, &cancel).await?;
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&copies).unwrap_or_default()
        ),
        Format::Text => print_copies(&copies),
    }
    Ok(0)
}

/// Opens every destination and checks that it answers, the credentials work and the bucket
/// exists: before a backup is taken, so a wrong setting fails in seconds, not after the backup.
pub(super) async fn open_all(
    urls: &[String],
    args: &StoreArgs,
    env: &Env,
) -> Result<Vec<Store>, CliError> {
    let options = args.to_options();
    let mut stores = Vec::new();
    for url in urls {
        let store = Store::open(url, &options, env).map_err(store_error)?;
        store.check().await.map_err(store_error)?;
        stores.push(store);
    }
    Ok(stores)
}

/// Copies the backup to each destination in turn, each with its own progress bar. Stops at
/// the first failure; the copies made before it are verified and recorded.
pub(super) async fn copy_all(
    file: &Path,
    stores: &[Store],
    cancel: &CancellationToken,
) -> Result<Vec<Copied>, CliError> {
    let mut copies = Vec::new();
    for store in stores {
        let (events, drawing) = progress::start_upload();
        let result = store.copy_backup(file, events, cancel).await;
        let _ = drawing.await;
        match result {
            Ok(copied) => {
                if let Some(why) = &copied.not_recorded {
                    eprintln!(
                        "warning: {} is stored and verified, but the local manifest could not \
                         record it: {why}",
                        copied.record.url
                    );
                }
                copies.push(copied);
            }
            Err(error) => {
                let done = copies
                    .iter()
                    .map(|c| c.record.url.as_str())
                    .collect::<Vec<_>>();
                let mut failed = store_error(error);
                if let CliError::Failed { hint, .. } = &mut failed
                    && !done.is_empty()
                {
                    *hint = Some(format!(
                        "Verified copies made before it: {}.{}",
                        done.join(", "),
                        hint.as_ref().map(|h| format!(" {h}")).unwrap_or_default()
                    ));
                }
                return Err(failed);
            }
        }
    }
    Ok(copies)
}

pub(super) fn print_copies(copies: &[Copied]) {
    for copied in copies {
        outln!(
            "Copied and verified: {} ({}, by {})",
            copied.record.url,
            humanize::bytes(copied.record.bytes),
            copied.record.verified_by
        );
        outln!("  manifest  {}", copied.stored.manifest.url);
    }
}

/// A store failure for the command line: a URL it cannot use is a usage error (exit 2),
/// anything the store or the network did is a failure (exit 1).
pub(super) fn store_error(error: StoreError) -> CliError {
    match error {
        StoreError::BadUrl { .. } => CliError::Usage(error.to_string()),
        StoreError::Cancelled { .. } => CliError::Failed {
            message: error.to_string(),
            hint: None,
        },
        other => CliError::Failed {
            message: other.to_string(),
            hint: None,
        },
    }
}
