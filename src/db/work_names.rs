//! The names of what om-upgrade creates in a database server for its own work (scratch and
//! staging databases, the unfinished-restore marker). A leaf, so the error hints can name them
//! too.

/// How the name of every database om-upgrade makes for its own work starts, so that one grant
/// (`GRANT ALL ON `omu\_restore\_%`.*`) covers them all.
pub const WORK_PREFIX: &str = "omu_restore_";
/// A test restore's scratch database.
pub const SCRATCH_PREFIX: &str = "omu_restore_check_";
/// The staging database a MySQL restore loads into before it switches the tables in.
pub const STAGING_PREFIX: &str = "omu_restore_stage_";
/// The table that marks a restore loaded in place that has not finished; `db.openmetadata`
/// fails a database that has it.
pub const UNFINISHED_RESTORE_TABLE: &str = "omu_restore_unfinished";
