//! The Python side of an upgrade: find the interpreters that run OpenMetadata ingestion (or a
//! custom Airflow), read which `openmetadata-ingestion[plugins]`, `openmetadata-managed-apis` and
//! `apache-airflow` they have, judge them against the target server, and say exactly which pip
//! commands align them.
//!
//! [`discover`] finds candidates, [`probe`] asks each interpreter for its version and
//! `sys.path` ([`broken`] explains those that cannot answer), [`dist`] reads the installed
//! metadata, [`inventory`] puts that together, [`rules`] judges it and [`pip`] spells the
//! commands.

pub mod broken;
pub mod discover;
pub mod dist;
pub mod inventory;
pub mod pip;
pub mod probe;
pub mod rules;

use std::path::PathBuf;

use tokio::sync::OnceCell;

pub use broken::Broken;
pub use discover::{Origin, Request};
pub use inventory::{Interpreter, Inventory, discover};
pub use rules::{Aspect, Assessment, Fix, Policy, Verdict, assess};

/// Why discovery could not start. Interpreters that fail to answer are not errors: they are
/// reported in [`Inventory::broken`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientsError {
    #[error(
        "no Python interpreter at '{}': give the path of one, e.g. /opt/airflow/venv/bin/python, or a virtual environment's folder",
        path.display()
    )]
    MissingInterpreter { path: PathBuf },
    #[error("'{}' is not a Python interpreter: {reason}", path.display())]
    NotAnInterpreter { path: PathBuf, reason: String },
    #[error("cannot search '{}' for virtual environments: it is not a folder", path.display())]
    SearchFolder { path: PathBuf },
    #[error("internal error while looking for interpreters: {0}")]
    Internal(String),
}

/// Discovery done once per run and shared by the checks that need it.
#[derive(Debug, Default)]
pub struct Lookup {
    request: Request,
    inventory: OnceCell<Result<Inventory, ClientsError>>,
}

impl Lookup {
    pub fn new(request: Request) -> Self {
        Lookup {
            request,
            inventory: OnceCell::new(),
        }
    }

    pub async fn inventory(&self) -> Result<&Inventory, ClientsError> {
        self.inventory
            .get_or_init(|| discover(&self.request))
            .await
            .as_ref()
            .map_err(Clone::clone)
    }
}
