//! The read-only transaction a check run shares (the release probes' session), as a
//! [`ReadQuery`] for the installation's database checks: they read one consistent snapshot,
//! on one connection, and the database refuses any write in it.

use crate::db::read::ReadQuery;
use crate::db::{Cell, Db, DbError, Engine};
use crate::humanize;
use crate::knowledge::probes::{ProbeError, ProbeSession};

pub struct Snapshot<'a> {
    pub db: &'a Db,
    pub session: &'a ProbeSession,
}

impl ReadQuery for Snapshot<'_> {
    fn engine(&self) -> Engine {
        self.db.engine()
    }

    async fn rows(&self, sql: &str) -> Result<Vec<Vec<Cell>>, DbError> {
        self.session
            .query(self.db, sql)
            .await
            .map_err(|error| match error {
                ProbeError::Db(error) => error,
                ProbeError::TimedOut(after) => DbError::Other(format!(
                    "the query did not finish within {}",
                    humanize::duration(after)
                )),
            })
    }
}
