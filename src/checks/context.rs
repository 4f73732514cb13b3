//! What checks share: the settings, and facts about the database computed once, on first use.
//!
//! Facts are memoised (`OnceCell`), so several checks asking for the table list cause one
//! query, and no check depends on another having run first to fill something in.

use std::path::PathBuf;

use tokio::sync::OnceCell;

use crate::clients;
use crate::config::DbSettings;
use crate::db::inspect::{self, Detection, ServerInfo, TableInfo};
use crate::db::{Db, DbError};
use crate::version::Version;

pub struct Context {
    pub settings: DbSettings,
    /// The OpenMetadata release the operator wants to upgrade to, when given.
    pub target: Option<Version>,
    /// Where backups will be written.
    pub backup_dir: PathBuf,
    /// The Python interpreters to judge, discovered once on first use.
    pub clients: clients::Lookup,
    db: OnceCell<Result<Db, DbError>>,
    server: OnceCell<Result<ServerInfo, DbError>>,
    detection: OnceCell<Result<Detection, DbError>>,
    tables: OnceCell<Result<Vec<TableInfo>, DbError>>,
}

impl Context {
    pub fn new(settings: DbSettings, target: Option<Version>, backup_dir: PathBuf) -> Self {
        Context {
            settings,
            target,
            backup_dir,
            clients: clients::Lookup::default(),
            db: OnceCell::new(),
            server: OnceCell::new(),
            detection: OnceCell::new(),
            tables: OnceCell::new(),
        }
    }

    /// Uses a connection attempt made beforehand (e.g. after prompting for a password).
    pub fn with_connection(self, connection: Result<Db, DbError>) -> Self {
        let _ = self.db.set(connection);
        self
    }

    /// Where to look for Python clients (without it, none are looked for).
    pub fn with_clients(mut self, request: clients::Request) -> Self {
        self.clients = clients::Lookup::new(request);
        self
    }

    pub async fn db(&self) -> Result<&Db, DbError> {
        self.db
            .get_or_init(|| Db::connect(&self.settings))
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    pub async fn server_info(&self) -> Result<&ServerInfo, DbError> {
        self.server
            .get_or_init(|| async { inspect::server_info(self.db().await?).await })
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    pub async fn detection(&self) -> Result<&Detection, DbError> {
        self.detection
            .get_or_init(|| async { inspect::detect_openmetadata(self.db().await?).await })
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    pub async fn tables(&self) -> Result<&[TableInfo], DbError> {
        self.tables
            .get_or_init(|| async { inspect::tables(self.db().await?).await })
            .await
            .as_ref()
            .map(Vec::as_slice)
            .map_err(Clone::clone)
    }

    /// Closes the connection pool, if one was opened.
    pub async fn close(&self) {
        if let Some(Ok(db)) = self.db.get() {
            db.close().await;
        }
    }
}
