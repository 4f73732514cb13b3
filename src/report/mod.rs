//! The checklist report: one record of a pre-upgrade run, for the change ticket.
//!
//! [`Inputs`] are what a run found (the checks' results, the newest backup's manifest, the
//! release review with the operator's acknowledgements) plus who ran it, when and against which
//! database. [`Report::build`] turns them into the checklist of OpenMetadata's upgrade
//! prerequisites in order (database connectivity, backup, release review, client alignment),
//! then the blockers (failed checks) and the open actions (warnings and what to do), and runs
//! its free text through the [`redact::Redactor`] so that no password, token or secret-looking
//! value reaches any format (ids, names, versions and links are structure, never rewritten). [`markdown`], [`json`] and [`html`] render a built report;
//! [`file::write`] puts it on disk atomically without replacing a file unless asked.
//!
//! Both views hand their run over as a [`Recorded`] and call [`assemble`], the one place a
//! report is made: it builds the redactor from every secret source the run knows, then the
//! [`Report`]. The subcommand (`om-upgrade report`) records a full check run ([`collect`]); the
//! wizard's Summary what its steps hold. The JSON form is versioned ([`SCHEMA_VERSION`]) and described by `assets/report.schema.json`.

pub mod assemble;
pub mod collect;
pub mod file;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod redact;
pub mod review;
mod view;

pub use assemble::{Recorded, assemble};
pub use file::WriteError;
pub use model::{
    BackupFacts, DatabaseView, Inputs, Report, SCHEMA_VERSION, Stamp, StepStatus, Via,
};
pub use redact::Redactor;
pub use review::ReleaseReview;

/// The JSON Schema of the JSON form, as shipped in `assets/`.
pub const JSON_SCHEMA: &str = include_str!("../../assets/report.schema.json");

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// GitHub/GitLab-flavoured Markdown with task-list checkboxes
    #[default]
    Markdown,
    /// One JSON document (schema: assets/report.schema.json)
    Json,
    /// One self-contained HTML page, readable printed
    Html,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Markdown, Format::Json, Format::Html];

    pub fn label(self) -> &'static str {
        match self {
            Format::Markdown => "Markdown",
            Format::Json => "JSON",
            Format::Html => "HTML",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Html => "html",
        }
    }

    /// The next format, round the three.
    pub fn next(self) -> Format {
        match self {
            Format::Markdown => Format::Json,
            Format::Json => Format::Html,
            Format::Html => Format::Markdown,
        }
    }

    /// The report in this format.
    pub fn render(self, report: &Report) -> String {
        match self {
            Format::Markdown => markdown::render(report),
            Format::Json => json::render(report),
            Format::Html => html::render(report),
        }
    }
}

/// The default file name of a report made at `at`: `om-upgrade-report-20261126-100005.md`
/// (UTC), so that names sort by time and never collide within a second.
pub fn default_file_name(at: chrono::DateTime<chrono::Utc>, format: Format) -> String {
    format!(
        "om-upgrade-report-{}.{}",
        at.format("%Y%m%d-%H%M%S"),
        format.extension()
    )
}

#[cfg(test)]
mod tests;
