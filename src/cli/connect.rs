//! Connecting from the command line: like psql, ask for a password only when the server wants
//! one and none was given, and only on a terminal.

use std::io::IsTerminal;

use crate::config::{DbSettings, Secret, Source};
use crate::db::{Db, DbError};

/// Connects; on an authentication failure without a password, prompts once on the terminal.
/// On success `settings` holds the password that worked.
pub async fn connect(settings: &mut DbSettings) -> Result<Db, DbError> {
    let first = Db::connect(settings).await;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    match first {
        Err(error) if error.is_auth_failure() && settings.password.is_none() && interactive => {
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
