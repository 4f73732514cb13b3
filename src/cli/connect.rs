//! Connecting from the command line: like psql, ask for a password only when the server wants
//! one and none was given, and only on a terminal.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

use crate::config::{DbSettings, Secret, Source};
use crate::db::{Db, DbError};

/// Connects; on an authentication failure without a password, prompts once on the terminal.
/// On success `settings` holds the password that worked.
pub async fn connect(settings: &mut DbSettings) -> Result<Db, DbError> {
    connect_timed(settings).await.0
}

/// [`connect`], with how long the connection attempt that decided took (the last one: the
/// time a person spends typing the password is not the database's).
pub async fn connect_timed(settings: &mut DbSettings) -> (Result<Db, DbError>, Duration) {
    let started = Instant::now();
    let first = Db::connect(settings).await;
    let first_took = started.elapsed();
    let result = match first {
        Err(error) if error.is_auth_failure() && settings.password.is_none() && interactive() => {
            let prompt = format!(
                "Password for {}@{}:{}: ",
                settings.user.value, settings.host.value, settings.port.value
            );
            let Ok(password) =
                tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
                    .await
                    .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            else {
                return (Err(error), first_took);
            };
            settings.set_password(Secret::new(password), Source::Prompt);
            let started = Instant::now();
            let second = Db::connect(settings).await;
            return (second, started.elapsed());
        }
        other => other,
    };
    (result, first_took)
}

/// For commands that connect later (backup, restore): when no password is set and a person is
/// at the terminal, finds out now whether the server wants one, and asks for it.
pub async fn ensure_password(settings: &mut DbSettings) -> Result<(), DbError> {
    if settings.password.is_some() || !interactive() {
        return Ok(());
    }
    match connect(settings).await {
        Ok(db) => db.close().await,
        Err(error) if error.is_auth_failure() => return Err(error),
        // Anything else is for the command itself to report (or handle: restore creates a
        // missing database).
        Err(_) => {}
    }
    Ok(())
}
