//! Backups made by other programs: the official `python -m metadata backup`, pg_dump and
//! mysqldump, and loading native dumps with psql/mysql. Passwords go through the environment or
//! a 0600 file, never through argv (where `ps` shows them).

mod error;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use chrono::Utc;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::compression::Compression;
use super::coverage::{self, Counts};
use super::dump::OM_CLI_SKIPPED;
use super::manifest::{self, FileFormat, Manifest, Method};
use super::naming::default_name;
use super::output::{self, ExternalFile};
use super::progress::Reporter;
use super::request::{
    Backup, BackupError, BackupRequest, describe_source, file_info, publish, secret_facts,
};
use crate::config::DbSettings;
use crate::db::{Db, Engine};
use crate::secrets::ScrubEnv;
pub use error::ExternalError;

/// Finds an executable on PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let path = PathBuf::from(name);
        return path.is_file().then_some(path);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Credentials for a child process, in a file that exists only in memory and only while this
/// process holds it: an anonymous file (memfd, mode 0600) that the child opens by its
/// `/proc/PID/fd/N` path. Nothing reaches a disk, and nothing is left behind when om-upgrade is
/// killed (a file in /tmp would keep the password there after a `kill -9`).
struct SecretFile {
    _fd: rustix::fd::OwnedFd,
    path: PathBuf,
}

impl SecretFile {
    fn new(name: &str, contents: &str) -> Result<SecretFile, ExternalError> {
        let io = |e: std::io::Error| {
            ExternalError::Io(format!("cannot make a private credentials file: {e}"))
        };
        let fd = rustix::fs::memfd_create(
            format!("om-upgrade-{name}"),
            rustix::fs::MemfdFlags::CLOEXEC,
        )
        .map_err(|e| io(e.into()))?;
        // libpq and mysql ignore a credentials file others may read.
        rustix::fs::fchmod(&fd, rustix::fs::Mode::from_raw_mode(0o600))
            .map_err(|e| io(e.into()))?;
        let mut file = std::fs::File::from(fd);
        file.write_all(contents.as_bytes()).map_err(io)?;
        let fd = rustix::fd::OwnedFd::from(file);
        let path = PathBuf::from(format!(
            "/proc/{}/fd/{}",
            std::process::id(),
            std::os::fd::AsRawFd::as_raw_fd(&fd)
        ));
        Ok(SecretFile { _fd: fd, path })
    }
}

/// `[client]` options file for mysql/mysqldump.
fn mysql_defaults(settings: &DbSettings) -> Result<Option<SecretFile>, ExternalError> {
    let Some(password) = &settings.password else {
        return Ok(None);
    };
    let escaped = password
        .value
        .expose()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    SecretFile::new("client.cnf", &format!("[client]\npassword=\"{escaped}\"\n")).map(Some)
}

/// `[client]` options file for pymysql (the official CLI's driver). Its reader is Python's
/// configparser, which only strips one pair of outer quotes: escaping as for `mysql` would
/// change the password. A password on several lines cannot be written there at all.
fn pymysql_defaults(settings: &DbSettings) -> Result<Option<SecretFile>, ExternalError> {
    let Some(password) = &settings.password else {
        return Ok(None);
    };
    let password = password.value.expose();
    if password.contains(['\n', '\r']) {
        return Err(ExternalError::Io(
            "the password contains a line break, which the official CLI's option file cannot \
             hold; use --method builtin or native"
                .into(),
        ));
    }
    SecretFile::new(
        "client.cnf",
        &format!("[client]\npassword=\"{password}\"\n"),
    )
    .map(Some)
}

/// A pgpass file for libpq (pg_dump, psql, psycopg2).
fn pgpass(settings: &DbSettings) -> Result<Option<SecretFile>, ExternalError> {
    let Some(password) = &settings.password else {
        return Ok(None);
    };
    let field = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
    SecretFile::new(
        "pgpass",
        &format!(
            "{}:{}:*:{}:{}\n",
            field(&settings.host.value),
            settings.port.value,
            field(&settings.user.value),
            field(password.value.expose())
        ),
    )
    .map(Some)
}

struct Run {
    status: std::process::ExitStatus,
    stderr: String,
}

/// Runs a child to completion (killed when cancelled), capturing stderr.
async fn run(
    mut command: tokio::process::Command,
    tool: &str,
    cancel: &CancellationToken,
) -> Result<Run, ExternalError> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ExternalError::Missing {
            tool: tool.to_string(),
            hint: install_hint(tool),
        },
        _ => ExternalError::Io(format!("cannot start {tool}: {e}")),
    })?;
    let mut stderr_pipe = child.stderr.take();
    let read_stderr = async {
        let mut text = String::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            let _ = pipe.read_to_string(&mut text).await;
        }
        text
    };
    tokio::select! {
        (status, stderr) = async { let s = read_stderr.await; (child.wait().await, s) } => {
            let status = status.map_err(|e| ExternalError::Io(format!("{tool}: {e}")))?;
            Ok(Run { status, stderr })
        }
        () = cancel.cancelled() => {
            let _ = child.kill().await;
            Err(ExternalError::Cancelled)
        }
    }
}

fn failed(tool: &str, run: &Run) -> ExternalError {
    let tail: Vec<&str> = run.stderr.lines().rev().take(8).collect();
    ExternalError::Failed {
        tool: tool.to_string(),
        code: run.status.code().map_or("signal".into(), |c| c.to_string()),
        stderr: strip_ansi(&tail.into_iter().rev().collect::<Vec<_>>().join("\n")),
    }
}

pub fn install_hint(tool: &str) -> String {
    match tool {
        "pg_dump" | "psql" => format!(
            "Install the PostgreSQL client of the server's major version or newer (Debian/Ubuntu: apt install postgresql-client-NN; RHEL: dnf install postgresql) so that {tool} is on PATH."
        ),
        "mysqldump" | "mysql" => format!(
            "Install the MySQL 8 client (Debian/Ubuntu: apt install mysql-client or default-mysql-client; RHEL: dnf install mysql) so that {tool} is on PATH."
        ),
        _ => "Create a virtualenv with the ingestion client of your server version, e.g. \
              `python3 -m venv ~/om-venv && ~/om-venv/bin/pip install \"openmetadata-ingestion~=1.1.7\"`, \
              and pass --python ~/om-venv/bin/python."
            .into(),
    }
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The path `metadata backup` reports: "Backup stored locally under PATH".
pub fn parse_backup_path(output: &str) -> Option<PathBuf> {
    let clean = strip_ansi(output);
    clean
        .lines()
        .filter_map(|line| {
            line.split_once("Backup stored locally under ")
                .map(|(_, p)| p.trim())
        })
        .next_back()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Takes a backup with pg_dump/mysqldump or the official CLI, checks that the file holds every
/// live table (and, for the official CLI, the rows of every table that did not change while it
/// ran), then writes our manifest for it. Nothing has its final name before that.
pub(super) async fn take(
    request: &BackupRequest,
    cancel: CancellationToken,
) -> Result<Backup, BackupError> {
    let before = Before::read(request).await?;
    let started_at = Utc::now();
    let name = request
        .name
        .clone()
        .unwrap_or_else(|| default_name(&request.output_dir, FileFormat::Sql, request.compression));
    let mut file =
        ExternalFile::create(&request.output_dir, &name).map_err(|source| BackupError::Output {
            path: request.output_dir.join(&name),
            source,
            left: output::Left::default(),
        })?;
    let target = file.target().to_path_buf();
    let made = Made::by(request, &mut file, &cancel).await?;
    let written = file.finish().map_err(|failure| BackupError::Output {
        path: target.clone(),
        source: failure.source,
        left: failure.left,
    })?;
    let settings = &request.settings;
    let scanned = super::open_reader(written.partial_path())
        .map_err(|e| e.to_string())
        .and_then(|reader| {
            super::scan::scan(reader, settings.engine.value, &Reporter::new(None))
                .map_err(|e| e.to_string())
        })
        .map_err(|e| {
            let tool = made.tool;
            BackupError::Invalid(format!("the file {tool} wrote does not parse: {e}"))
        })?;
    let db = Db::connect(settings).await?;
    let after = coverage::count_rows(&db).await;
    db.close().await;
    let after = after?;
    let (left_out, compare_rows): (&[&str], bool) = match request.method {
        Method::Native => (&[], false),
        _ => (&OM_CLI_SKIPPED, true),
    };
    let coverage = coverage::compare(
        &scanned.tables,
        &before.counts,
        &after,
        left_out,
        compare_rows,
    );
    if !coverage.is_complete() {
        return Err(ExternalError::Incomplete {
            tool: made.tool.to_string(),
            coverage,
        }
        .into());
    }
    let manifest = Manifest {
        manifest_version: manifest::MANIFEST_VERSION,
        tool: "om-upgrade".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        method: request.method,
        format: made.format,
        source: before.source,
        started_at,
        finished_at: Utc::now(),
        consistency: made.consistency.into(),
        tables: scanned.tables,
        file: file_info(&written, Compression::None),
        largest_statement_bytes: Some(scanned.largest_statement),
        notes: notes(made.tool, compare_rows, &coverage),
        verification: None,
        copies: Vec::new(),
        secrets: before.secrets,
    };
    publish(written, manifest)
}

/// The database before the program runs: what it is, its row counts, its stored secrets.
struct Before {
    source: manifest::Source,
    counts: Counts,
    secrets: Option<crate::secrets::SecretFacts>,
}

impl Before {
    async fn read(request: &BackupRequest) -> Result<Before, BackupError> {
        let db = Db::connect(&request.settings).await?;
        let source = describe_source(&db, &request.settings).await;
        let counts = match &source {
            Ok(_) => coverage::count_rows(&db).await.map_err(BackupError::from),
            Err(_) => Ok(Counts::new()),
        };
        let secrets = secret_facts(&db, request).await;
        db.close().await;
        Ok(Before {
            source: source?,
            counts: counts?,
            secrets,
        })
    }
}

/// What the program made, as the manifest names it.
struct Made {
    format: FileFormat,
    consistency: &'static str,
    tool: &'static str,
}

impl Made {
    /// Runs the request's program into `file`'s partial path.
    async fn by(
        request: &BackupRequest,
        file: &mut ExternalFile,
        cancel: &CancellationToken,
    ) -> Result<Made, ExternalError> {
        let settings = &request.settings;
        Ok(match request.method {
            Method::Native => {
                native_dump(settings, file.partial_path(), cancel).await?;
                Made {
                    format: FileFormat::Native,
                    consistency: match settings.engine.value {
                        Engine::Postgres => "pg_dump: one snapshot",
                        Engine::Mysql => {
                            "mysqldump --single-transaction: one snapshot (InnoDB tables)"
                        }
                    },
                    tool: "pg_dump/mysqldump",
                }
            }
            _ => {
                metadata_cli(request, file, cancel).await?;
                Made {
                    format: FileFormat::OmCli,
                    consistency: "none: `metadata backup` reads each table separately, without \
                                  a snapshot",
                    tool: "`python -m metadata backup`",
                }
            }
        })
    }
}

/// What the manifest says about a file another program made.
fn notes(tool: &str, compare_rows: bool, coverage: &coverage::Coverage) -> Vec<String> {
    let mut notes = vec![format!(
        "made by {tool}; row counts and checksums were read from the file; it holds every table of \
         the database{}",
        if compare_rows {
            " with the row count the database had"
        } else {
            ""
        }
    )];
    if !coverage.changed.is_empty() {
        notes.push(format!(
            "tables written to while {tool} ran, whose row counts could not be checked: {}",
            coverage::list(&coverage.changed, 10)
        ));
    }
    notes
}

/// A database client program (pg_dump, psql, mysqldump, mysql) with the connection options
/// set and the password in a private file it reads (never in argv). Keep the returned secret
/// alive until the program has run.
fn client(
    tool: &str,
    settings: &DbSettings,
) -> Result<(tokio::process::Command, Option<SecretFile>), ExternalError> {
    let program = find_on_path(tool).ok_or_else(|| ExternalError::Missing {
        tool: tool.into(),
        hint: install_hint(tool),
    })?;
    let mut command = tokio::process::Command::new(program);
    command.scrub_secrets(&known_secrets(settings));
    let secret = match settings.engine.value {
        Engine::Postgres => {
            command
                .arg("--host")
                .arg(&settings.host.value)
                .arg("--port")
                .arg(settings.port.value.to_string())
                .arg("--username")
                .arg(&settings.user.value)
                .arg("--no-password")
                .env("PGSSLMODE", settings.tls.value.mode.to_string());
            let secret = pgpass(settings)?;
            if let Some(s) = &secret {
                command.env("PGPASSFILE", &s.path);
            }
            secret
        }
        Engine::Mysql => {
            let secret = mysql_defaults(settings)?;
            if let Some(s) = &secret {
                // Must be the first option.
                let mut arg = OsString::from("--defaults-extra-file=");
                arg.push(&s.path);
                command.arg(arg);
            }
            command
                .arg(format!("--host={}", settings.host.value))
                .arg(format!("--port={}", settings.port.value))
                .arg(format!("--user={}", settings.user.value));
            secret
        }
    };
    Ok((command, secret))
}

async fn run_client(
    tool: &str,
    command: tokio::process::Command,
    cancel: &CancellationToken,
) -> Result<(), ExternalError> {
    let run = run(command, tool, cancel).await?;
    if !run.status.success() {
        return Err(failed(tool, &run));
    }
    Ok(())
}

async fn native_dump(
    settings: &DbSettings,
    target: &Path,
    cancel: &CancellationToken,
) -> Result<(), ExternalError> {
    let tool = match settings.engine.value {
        Engine::Postgres => "pg_dump",
        Engine::Mysql => "mysqldump",
    };
    let (mut command, _secret) = client(tool, settings)?;
    match settings.engine.value {
        Engine::Postgres => {
            command
                .arg("--dbname")
                .arg(&settings.database.value)
                .args([
                    "--format",
                    "plain",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                ])
                .arg(target);
            // `--schema public` makes pg_dump write `CREATE SCHEMA public`, which fails on every
            // new database; without it, pg_dump takes public as given.
            if settings.schema.value != "public" {
                command.arg("--schema").arg(&settings.schema.value);
            }
        }
        Engine::Mysql => {
            command
                .args([
                    "--single-transaction",
                    "--quick",
                    "--skip-lock-tables",
                    "--hex-blob",
                ])
                .arg(format!("--result-file={}", target.display()))
                .arg(&settings.database.value);
        }
    }
    run_client(tool, command, cancel).await
}

/// What the child's environment must not contain even under an innocent name.
fn known_secrets(settings: &DbSettings) -> Vec<&str> {
    settings.password.iter().map(|p| p.value.expose()).collect()
}

async fn metadata_cli(
    request: &BackupRequest,
    file: &mut ExternalFile,
    cancel: &CancellationToken,
) -> Result<(), ExternalError> {
    let target = file.partial_path().to_path_buf();
    let settings = &request.settings;
    let python = request
        .python
        .clone()
        .unwrap_or_else(|| PathBuf::from("python3"));
    let tool = format!("{} -m metadata", python.display());
    if find_on_path(&python.to_string_lossy()).is_none() {
        return Err(ExternalError::Missing {
            tool: python.display().to_string(),
            hint: install_hint("metadata"),
        });
    }
    // Its own output folder inside ours (same file system), so the result can be renamed into place.
    // Private, and locked while the CLI runs: the next backup removes it if this one is killed.
    let work = output::WorkDir::create(target.parent().unwrap_or(Path::new(".")))
        .map_err(|e| ExternalError::Io(format!("cannot create a work folder: {e}")))?;
    let (command, _secret) = metadata_command(&python, settings, work.path())?;
    let run = run(command, &tool, cancel).await?;
    if !run.status.success() {
        if run.stderr.contains("No module named metadata") {
            return Err(ExternalError::Missing {
                tool: format!("openmetadata-ingestion in {}", python.display()),
                hint: install_hint("metadata"),
            });
        }
        return Err(failed(&tool, &run));
    }
    let produced =
        parse_backup_path(&run.stderr).ok_or(ExternalError::NoOutputPath { tool: tool.clone() })?;
    let produced = if produced.is_absolute() {
        produced
    } else {
        work.path().join(produced)
    };
    file.adopt(&produced).map_err(|e| {
        ExternalError::Io(format!(
            "cannot move {} to {}: {e}",
            produced.display(),
            target.display()
        ))
    })
}

/// `python -m metadata backup` for `settings` into `out`, the password in a private file (keep
/// the returned secret alive until it has run).
fn metadata_command(
    python: &Path,
    settings: &DbSettings,
    out: &Path,
) -> Result<(tokio::process::Command, Option<SecretFile>), ExternalError> {
    let mut command = tokio::process::Command::new(python);
    command.scrub_secrets(&known_secrets(settings));
    command
        .args(["-m", "metadata", "backup", "-H"])
        .arg(&settings.host.value)
        .arg("-u")
        .arg(&settings.user.value)
        // The CLI insists on -p; the real password goes through a file or the environment.
        .args(["-p", ""])
        .arg("-d")
        .arg(&settings.database.value)
        .arg("--port")
        .arg(settings.port.value.to_string())
        .arg("--output")
        .arg(out);
    let secret = match settings.engine.value {
        Engine::Postgres => {
            command.arg("-s").arg(&settings.schema.value);
            let secret = pgpass(settings)?;
            if let Some(s) = &secret {
                command.env("PGPASSFILE", &s.path);
            }
            secret
        }
        Engine::Mysql => {
            let secret = pymysql_defaults(settings)?;
            if let Some(s) = &secret {
                let mut arg = OsString::from("read_default_file=");
                arg.push(&s.path);
                command.arg("-a").arg(arg);
            }
            secret
        }
    };
    command.env("COLUMNS", "1000");
    Ok((command, secret))
}

/// Loads a pg_dump/mysqldump file with psql/mysql.
pub(super) async fn load_native(
    path: &Path,
    settings: &DbSettings,
    cancel: &CancellationToken,
) -> Result<(), ExternalError> {
    let compression = Compression::of_path(path)
        .map_err(|e| ExternalError::Io(format!("cannot read {}: {e}", path.display())))?;
    if compression != Compression::None {
        return Err(ExternalError::Unsupported(format!(
            "{} is {}-compressed: decompress a native dump before restoring it",
            path.display(),
            match compression {
                Compression::Zstd => "zstd",
                _ => "gzip",
            }
        )));
    }
    let tool = match settings.engine.value {
        Engine::Postgres => "psql",
        Engine::Mysql => "mysql",
    };
    let (mut command, _secret) = client(tool, settings)?;
    match settings.engine.value {
        Engine::Postgres => {
            command
                .args([
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "--single-transaction",
                    "--dbname",
                ])
                .arg(&settings.database.value)
                .arg("--file")
                .arg(path);
        }
        Engine::Mysql => {
            command
                .arg(&settings.database.value)
                .arg("-e")
                .arg(format!("source {}", path.display()));
        }
    }
    run_client(tool, command, cancel).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_path_in_the_official_output() {
        let stderr = "[2026-11-26 08:20:01] INFO     {metadata.Utils:logger:183} - \u{1b}[32;1mCreating OpenMetadata backup for 127.0.0.1:3306/db...\u{1b}[0m\n\
                      [2026-11-26 08:20:02] INFO     {metadata.Utils:logger:183} - \u{1b}[32;1mBackup stored locally under out/openmetadata_202611260820_backup.sql \u{1b}[0m\n";
        assert_eq!(
            parse_backup_path(stderr),
            Some(PathBuf::from("out/openmetadata_202611260820_backup.sql"))
        );
        assert_eq!(parse_backup_path("nothing here"), None);
    }
}
