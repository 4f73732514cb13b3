//! What checks share: the settings, and facts about the database computed once, on first use.
//!
//! Facts are memoised (`OnceCell`), so several checks asking for the table list cause one
//! query, and no check depends on another having run first to fill something in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::OnceCell;

use crate::clients;
use crate::config::DbSettings;
use crate::config::installation::InstallSettings;
use crate::config::naming::Naming;
use crate::db::inspect::{self, Detection, ServerInfo, TableInfo};
use crate::db::{Db, DbError};
use crate::knowledge::probes::{ProbeResult, ProbeSession};
use crate::knowledge::scan::{ScanInputs, ScanReport};
use crate::knowledge::{Catalogue, Item};
use crate::version::Version;

/// Probe results by item key, left by the release checks for views that want more than the
/// checks' outcomes.
pub type ProbeBoard = Arc<Mutex<BTreeMap<String, Vec<ProbeResult>>>>;

pub struct Context {
    pub settings: DbSettings,
    /// The OpenMetadata release the operator wants to upgrade to, when given.
    pub target: Option<Version>,
    /// Where backups will be written.
    pub backup_dir: PathBuf,
    /// The Python interpreters to judge, discovered once on first use.
    pub clients: clients::Lookup,
    /// The search engine, the running server and the secrets key.
    pub installation: InstallSettings,
    /// How advice names the settings (flags, or the wizard's form).
    pub naming: Naming,
    db: OnceCell<Result<Db, DbError>>,
    server: OnceCell<Result<ServerInfo, DbError>>,
    detection: OnceCell<Result<Detection, DbError>>,
    tables: OnceCell<Result<Vec<TableInfo>, DbError>>,
    catalogue: OnceLock<Result<Arc<Catalogue>, String>>,
    files: ScanInputs,
    scan: OnceLock<ScanReport>,
    probes: ProbeSession,
    board: ProbeBoard,
}

impl Context {
    pub fn new(settings: DbSettings, target: Option<Version>, backup_dir: PathBuf) -> Self {
        Context {
            settings,
            target,
            backup_dir,
            clients: clients::Lookup::default(),
            installation: InstallSettings::default(),
            naming: Naming::default(),
            db: OnceCell::new(),
            server: OnceCell::new(),
            detection: OnceCell::new(),
            tables: OnceCell::new(),
            catalogue: OnceLock::new(),
            files: ScanInputs::default(),
            scan: OnceLock::new(),
            probes: ProbeSession::default(),
            board: ProbeBoard::default(),
        }
    }

    /// Uses this release catalogue (e.g. from --releases-dir) instead of the built-in one.
    pub fn with_catalogue(self, catalogue: Arc<Catalogue>) -> Self {
        let _ = self.catalogue.set(Ok(catalogue));
        self
    }

    /// Advice names the settings as `naming`'s reader finds them.
    pub fn with_naming(mut self, naming: Naming) -> Self {
        self.naming = naming;
        self
    }

    /// The operator's files the release checks scan (openmetadata.yaml, workflow YAMLs).
    pub fn with_files(mut self, files: ScanInputs) -> Self {
        self.files = files;
        self
    }

    /// The release catalogue: the one given, else the built-in one (loaded on first use).
    pub fn catalogue(&self) -> Result<&Arc<Catalogue>, &str> {
        self.catalogue
            .get_or_init(|| {
                Catalogue::load(None)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    pub fn files(&self) -> &ScanInputs {
        &self.files
    }

    /// The operator's files scanned once per run, against the config rules of every item up
    /// to the target (of every item without one). A scan's hits for an item, whether a kind of
    /// file was covered and the files' problems do not depend on which other items were
    /// scanned, so every item check, scan check and the report share this one.
    pub fn scan(&self) -> &ScanReport {
        self.scan.get_or_init(|| {
            let Ok(catalogue) = self.catalogue() else {
                return self.files.scan(&[]);
            };
            let target = self.target.as_ref().map(Version::release);
            let items: Vec<&Item> = catalogue
                .releases()
                .iter()
                .flat_map(|r| &r.items)
                .filter(|i| !i.config_rules.is_empty())
                .filter(|i| target.as_ref().is_none_or(|t| i.patch <= *t))
                .collect();
            self.files.scan(&items)
        })
    }

    /// Uses a scan of `files` made beforehand (the wizard's review scans before probing),
    /// instead of scanning again. It must cover every item the run judges.
    pub fn share_scan(&self, scan: ScanReport) {
        let _ = self.scan.set(scan);
    }

    /// Where the release item checks of [`crate::checks::all`] leave their probe results (by
    /// item key), for views that show more than the outcomes (the report's release review).
    pub fn probe_board(&self) -> ProbeBoard {
        self.board.clone()
    }

    /// The read-only session the release probes share.
    pub fn probes(&self) -> &ProbeSession {
        &self.probes
    }

    /// Uses a connection attempt made beforehand (e.g. after prompting for a password).
    pub fn with_connection(self, connection: Result<Db, DbError>) -> Self {
        let _ = self.db.set(connection);
        self
    }

    /// The search engine, server and secrets settings (without them, those are not checked).
    pub fn with_installation(mut self, installation: InstallSettings) -> Self {
        self.installation = installation;
        self
    }

    /// The run's shared read-only transaction, for the installation's database checks.
    pub async fn snapshot(&self) -> Result<super::snapshot::Snapshot<'_>, DbError> {
        Ok(super::snapshot::Snapshot {
            db: self.db().await?,
            session: &self.probes,
        })
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

    /// Ends the probe session and closes the connection pool, if they were opened.
    pub async fn close(&self) {
        self.probes.close().await;
        if let Some(Ok(db)) = self.db.get() {
            db.close().await;
        }
    }
}
