//! The report as one JSON document: the [`Report`] structure as is, pretty-printed, with
//! `schema_version` first. Its schema is `assets/report.schema.json`.

use super::model::Report;

pub fn render(report: &Report) -> String {
    // A Report holds only strings, numbers, booleans and lists, so this does not fail; if it
    // ever did, the document says so instead of being empty.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        serde_json::json!({
            "schema_version": super::model::SCHEMA_VERSION,
            "error": format!("the report could not be serialized: {e}"),
        })
        .to_string()
    });
    text.push('\n');
    text
}
