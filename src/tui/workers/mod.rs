//! The work of the steps, run on tokio tasks by [`super::jobs`]: each worker takes its step's
//! `Work`, calls the shared modules (backup, knowledge and checks, clients) and reports back
//! with its step's `WorkEvent`s on the event channel. Workers never touch the App.

pub mod backup;
pub mod clients;
pub mod releases;
