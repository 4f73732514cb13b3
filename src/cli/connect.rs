//! Connecting from the command line: like psql, ask for a password only when the server wants
//! one and none was given, and only on a terminal.

use std::io::IsTerminal;

fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

use crate::config::{DbSettings, Secret, Source};
use crate::db::{Db, DbError};

/// Connects; on an authentication failure without a password, prompts once on the terminal.
/// On success `settings` holds the password that worked.
pub async fn connect(settings: &mut DbSettings) -> Result<Db, DbError> {
    let first = Db::connect(settings).await;
    match first {
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
                return Err(error);
            };
            settings.set_password(Secret::new(password), Source::Prompt);
            Db::connect(settings).await
        }
        other => other,
    }
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
