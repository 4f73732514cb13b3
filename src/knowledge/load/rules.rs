//! `config_rules:` of an item: how to find it in openmetadata.yaml or a workflow YAML.

use super::reader::{Ctx, is_dotted_key};
use crate::knowledge::model::{ConfigRule, FileKind, SearchEngine, When};
use crate::yaml::Node;

/// Where a workflow rule's key may start.
const WORKFLOW_SECTIONS: [&str; 6] = [
    "source.",
    "workflowConfig.",
    "processor.",
    "sink.",
    "bulkSink.",
    "stage.",
];

pub(super) fn parse_rule(ctx: &mut Ctx<'_>, node: &Node) -> Option<ConfigRule> {
    let map = ctx.mapping(node, "a config rule")?;
    map.unknown_keys(
        ctx,
        &[
            "file",
            "key",
            "when",
            "value",
            "service_types",
            "search_engine",
        ],
    );
    let file = match map.text(ctx, "file", true).as_deref() {
        Some("server") => Some(FileKind::Server),
        Some("workflow") => Some(FileKind::Workflow),
        Some(other) => {
            ctx.problem(
                map.line_of("file"),
                &format!("config rule file '{other}' must be server or workflow"),
            );
            None
        }
        None => None,
    };
    let key = map.text(ctx, "key", true);
    if let Some(key) = &key {
        check_key(ctx, map.line_of("key"), key, file);
    }
    let when = parse_when(ctx, &map);
    let service_types = match map.get("service_types") {
        None => Vec::new(),
        Some(node) => {
            if file == Some(FileKind::Server) {
                ctx.problem(node.line, "service_types only applies to workflow rules");
            }
            let types = service_types(ctx, node);
            if types.is_empty() {
                ctx.problem(node.line, "service_types must name at least one type");
            }
            types
        }
    };
    let search_engine = match map.text(ctx, "search_engine", false).as_deref() {
        None => None,
        Some(text) => match SearchEngine::parse(text) {
            Some(engine) => Some(engine),
            None => {
                ctx.problem(
                    map.line_of("search_engine"),
                    &format!("search_engine '{text}' must be elasticsearch or opensearch"),
                );
                None
            }
        },
    };
    Some(ConfigRule {
        file: file?,
        key: key?,
        when: when?,
        service_types,
        search_engine,
    })
}

fn check_key(ctx: &mut Ctx<'_>, line: usize, key: &str, file: Option<FileKind>) {
    if !is_dotted_key(key) {
        ctx.problem(
            line,
            &format!("config rule key '{key}' must be a dotted path"),
        );
    } else if file == Some(FileKind::Workflow)
        && !WORKFLOW_SECTIONS.iter().any(|root| key.starts_with(root))
    {
        ctx.problem(
            line,
            &format!(
                "workflow rule key '{key}' must start at a workflow section (source., \
                 workflowConfig., processor., sink., ...)"
            ),
        );
    }
}

fn parse_when(ctx: &mut Ctx<'_>, map: &super::reader::Map<'_>) -> Option<When> {
    let value = map.text(ctx, "value", false);
    match (map.text(ctx, "when", true).as_deref(), value) {
        (Some("present"), None) => Some(When::Present),
        (Some("absent"), None) => Some(When::Absent),
        (Some("equals"), Some(value)) => Some(When::Equals(value)),
        (Some("equals"), None) => {
            ctx.problem(map.line_of("when"), "when: equals needs a value");
            None
        }
        (Some("present" | "absent"), Some(_)) => {
            ctx.problem(map.line_of("value"), "value only goes with when: equals");
            None
        }
        (Some(other), _) => {
            ctx.problem(
                map.line_of("when"),
                &format!("when '{other}' must be present, absent or equals"),
            );
            None
        }
        (None, _) => None,
    }
}

/// A list of connector types (`DomoDatabase`): letters and digits only.
pub(super) fn service_types(ctx: &mut Ctx<'_>, node: &Node) -> Vec<String> {
    let mut types = Vec::new();
    for t in ctx.sequence(node, "service_types").unwrap_or_default() {
        match t.as_str() {
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                types.push(s.to_string())
            }
            _ => ctx.problem(t.line, "a service type is a name like DomoDatabase"),
        }
    }
    types
}
