//! Words and groupings the Markdown and HTML forms share, so that both say the same thing.

use chrono::{DateTime, Utc};

use super::model::{BackupFacts, CheckEntry, Counts, Upgrade, Verified, Via};
use super::review::{FoundIn, ReviewItem, Verdict};
use crate::checks::Status;
use crate::humanize;

pub fn via(via: Via) -> &'static str {
    match via {
        Via::Report => "made by om-upgrade report",
        Via::Wizard => "exported from the wizard",
    }
}

/// `1.1.5 → 1.2.0`; what is not known is said, not shown as a stand-in.
pub fn upgrade_line(om: &Upgrade) -> String {
    format!(
        "{} → {}",
        om.installed.as_deref().unwrap_or("unknown version"),
        om.target.as_deref().unwrap_or("no target given")
    )
}

/// An RFC 3339 time as `2026-11-26 10:00:05 UTC`.
pub fn when(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// An RFC 3339 time as `2026-11-26 10:00 UTC (12 min ago)`, its age counted to `now` (the
/// report's own time, so that a report reads the same whenever it is opened).
pub fn when_aged(rfc3339: &str, now: &str) -> String {
    let parse = |t: &str| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc));
    match (parse(rfc3339), parse(now)) {
        (Ok(at), Ok(now)) => {
            humanize::at_with_age(at, now).replace(" ago)", " before this report)")
        }
        (Ok(at), Err(_)) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        _ => rfc3339.to_string(),
    }
}

pub fn counts(c: &Counts) -> String {
    let mut statuses = Vec::with_capacity(c.total);
    for (status, n) in [
        (Status::Pass, c.pass),
        (Status::Warn, c.warn),
        (Status::Fail, c.fail),
        (Status::Skip, c.skip),
    ] {
        statuses.extend(std::iter::repeat_n(status, n));
    }
    crate::checks::tally(&statuses)
}

pub fn check_status(entry: &CheckEntry) -> String {
    let word = entry.status.label().to_ascii_lowercase();
    if entry.acknowledged {
        format!("{} {word} (acknowledged)", entry.status.glyph())
    } else {
        format!("{} {word}", entry.status.glyph())
    }
}

pub fn size(bytes: u64) -> String {
    format!(
        "{} ({} bytes)",
        humanize::bytes(bytes),
        humanize::count(i64::try_from(bytes).unwrap_or(i64::MAX))
    )
}

pub fn verified(b: &BackupFacts, now: &str) -> String {
    let how = if b.restored {
        "restored into a scratch database and compared"
    } else {
        "checked against its manifest"
    };
    let at = b
        .verified_at
        .as_deref()
        .map(|t| format!(" on {}", when_aged(t, now)))
        .unwrap_or_default();
    let said = b
        .verification
        .as_deref()
        .map(|s| format!(": {s}"))
        .unwrap_or_default();
    match b.verified {
        Verified::Passed => format!("✔ yes, {how}{at}{said}"),
        Verified::Failed => format!("✘ FAILED verification{at}{said}"),
        Verified::NotVerified => "not verified yet (om-upgrade verify FILE)".to_string(),
    }
}

/// Which database the backup is of, and whether it was used although it is not this one.
pub fn source(b: &BackupFacts) -> String {
    if b.used_anyway {
        format!(
            "✘ {}: NOT a backup of this database, used anyway as the operator chose",
            b.source
        )
    } else {
        b.source.clone()
    }
}

pub fn taken(b: &BackupFacts, now: &str) -> String {
    let mut parts = vec![when_aged(&b.taken_at, now)];
    if let Some(method) = &b.method {
        parts.push(format!("method {method}"));
    }
    if let Some(version) = &b.openmetadata_version {
        parts.push(format!("OpenMetadata {version}"));
    }
    parts.join(", ")
}

/// The verified copies off this host, one line each; none when there are none.
pub fn copies(b: &BackupFacts, now: &str) -> Vec<String> {
    b.copies
        .iter()
        .map(|c| {
            format!(
                "{} (verified by {} on {})",
                c.url,
                c.verified_by,
                when_aged(&c.at.to_rfc3339(), now)
            )
        })
        .collect()
}

/// Items grouped by release, in their order.
pub fn by_release(items: &[ReviewItem]) -> Vec<(&str, Vec<&ReviewItem>)> {
    let mut groups: Vec<(&str, Vec<&ReviewItem>)> = Vec::new();
    for item in items {
        match groups.last_mut() {
            Some((release, group)) if *release == item.release => group.push(item),
            _ => groups.push((&item.release, vec![item])),
        }
    }
    groups
}

pub fn verdict(verdict: Verdict) -> String {
    let glyph = match verdict {
        Verdict::Affects => Status::Fail.glyph(),
        Verdict::NotAffected => Status::Pass.glyph(),
        Verdict::Unknown => "?",
    };
    format!("{glyph} {}", verdict.label())
}

pub fn found_in(places: &[FoundIn]) -> String {
    places
        .iter()
        .map(|p| match p {
            FoundIn::Database => "the metadata database",
            FoundIn::DatabaseServer => "the database server's version",
            FoundIn::OpenmetadataYaml => "openmetadata.yaml",
            FoundIn::Workflows => "ingestion workflow YAMLs",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An http(s) address with nothing in it that could end or escape a link.
pub fn is_plain_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`' | '\\'))
}

/// Text cut at backquotes: `(true, part)` for what stood between a pair of them (a command or
/// a name, as the checks write them), `(false, part)` for the rest. With an odd number of
/// backquotes, all of it is plain text.
pub fn spans(text: &str) -> Vec<(bool, &str)> {
    if text.matches('`').count() % 2 == 1 {
        return vec![(false, text)];
    }
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| (i % 2 == 1, part))
        .collect()
}

/// A part of a remediation: sentences, or the commands the checks indent on their own lines.
#[derive(Debug, PartialEq, Eq)]
pub enum Block<'a> {
    Prose(String),
    Commands(Vec<&'a str>),
}

pub fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.lines() {
        if let Some(command) = line.strip_prefix("    ") {
            match blocks.last_mut() {
                Some(Block::Commands(commands)) => commands.push(command.trim()),
                _ => blocks.push(Block::Commands(vec![command.trim()])),
            }
        } else if !line.trim().is_empty() {
            match blocks.last_mut() {
                Some(Block::Prose(prose)) => {
                    prose.push(' ');
                    prose.push_str(line.trim());
                }
                _ => blocks.push(Block::Prose(line.trim().to_string())),
            }
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_version_is_said_in_words() {
        let known = Upgrade {
            installed: Some("1.1.5".into()),
            target: Some("1.2.0".into()),
            catalogue: None,
        };
        assert_eq!(upgrade_line(&known), "1.1.5 → 1.2.0");
        let unknown = Upgrade {
            installed: None,
            target: None,
            catalogue: None,
        };
        assert_eq!(upgrade_line(&unknown), "unknown version → no target given");
    }

    #[test]
    fn remediations_split_into_prose_and_commands() {
        let text = "For /opt/venv/bin/python, run:\n    python -m pip install x\n    pip check\nThen restart\nthe scheduler.";
        assert_eq!(
            blocks(text),
            vec![
                Block::Prose("For /opt/venv/bin/python, run:".into()),
                Block::Commands(vec!["python -m pip install x", "pip check"]),
                Block::Prose("Then restart the scheduler.".into()),
            ]
        );
    }

    #[test]
    fn backquotes_mark_code_only_in_pairs() {
        assert_eq!(
            spans("run `om-upgrade verify x` now"),
            vec![
                (false, "run "),
                (true, "om-upgrade verify x"),
                (false, " now")
            ]
        );
        assert_eq!(spans("it's a ` alone"), vec![(false, "it's a ` alone")]);
    }

    #[test]
    fn only_plain_addresses_become_links() {
        assert!(is_plain_url(
            "https://docs.open-metadata.org/v1.2.x/deployment/upgrade"
        ));
        assert!(!is_plain_url("javascript:alert(1)"));
        assert!(!is_plain_url("https://x\" onclick=\"y"));
        assert!(!is_plain_url("https://a b"));
    }
}
