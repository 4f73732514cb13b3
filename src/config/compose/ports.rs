//! A compose service's `ports:`: which host port a container port is published on. Short
//! syntax `[IP:][HOST[-END]:]CONTAINER[-END][/PROTO]` and long syntax (`target`, `published`,
//! `host_ip`).

use crate::yaml::{Node, NodeKind};

/// One container port a service publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub container_port: u16,
    /// `None`: the host port is picked by Docker when the container starts.
    pub host_port: Option<u16>,
    /// The address it listens on; `None` for every address.
    pub host_ip: Option<String>,
    /// The line of the `ports:` entry.
    pub line: usize,
}

impl Published {
    /// The address to reach it on from this host: its own, or loopback for "every address".
    pub fn reach_ip(&self) -> String {
        match self.host_ip.as_deref() {
            None | Some("" | "0.0.0.0") => "127.0.0.1".to_string(),
            Some("::") => "::1".to_string(),
            Some(ip) => ip.to_string(),
        }
    }
}

/// Every port the service's `ports:` publishes (entries that cannot be read are skipped: they
/// can only matter when they are the port asked for, and then "not published" says so).
/// `expand` interpolates the entries' text.
pub fn published(service: &Node, expand: &dyn Fn(&str) -> Option<String>) -> Vec<Published> {
    let Some(Node {
        kind: NodeKind::Sequence(entries),
        ..
    }) = service.get("ports")
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries {
        if entry.is_mapping() {
            let field = |key: &str| entry.get(key).and_then(Node::as_scalar).and_then(expand);
            let Some(target) = field("target").and_then(|t| t.trim().parse().ok()) else {
                continue;
            };
            let host_port = field("published").and_then(|p| {
                let first = p.trim().split('-').next().unwrap_or_default().to_string();
                first.parse().ok()
            });
            found.push(Published {
                container_port: target,
                host_port,
                host_ip: field("host_ip").filter(|ip| !ip.is_empty()),
                line: entry.line,
            });
        } else if let Some(text) = entry.as_scalar().and_then(expand) {
            found.extend(short(&text, entry.line));
        }
    }
    found
}

/// `127.0.0.1:8000-8001:80-81/tcp` → 80→8000 and 81→8001 on 127.0.0.1.
fn short(text: &str, line: usize) -> Vec<Published> {
    let text = text.trim();
    let text = text.split_once('/').map_or(text, |(ports, _proto)| ports);
    let (rest, container) = match text.rsplit_once(':') {
        Some((rest, container)) => (Some(rest), container),
        None => (None, text),
    };
    let Some((c_start, c_end)) = range(container) else {
        return Vec::new();
    };
    let (host_ip, host) = match rest {
        None => (None, None),
        Some(rest) => match rest.rsplit_once(':') {
            Some((ip, host)) => (
                Some(ip.trim_start_matches('[').trim_end_matches(']').to_string()),
                Some(host),
            ),
            None => (None, Some(rest)),
        },
    };
    let host = match host.filter(|h| !h.is_empty()) {
        None => None,
        Some(h) => match range(h) {
            Some(r) => Some(r),
            None => return Vec::new(),
        },
    };
    (c_start..=c_end)
        .enumerate()
        .map(|(i, container_port)| Published {
            container_port,
            host_port: host.and_then(|(start, end)| {
                let port = start.checked_add(u16::try_from(i).ok()?)?;
                (port <= end).then_some(port)
            }),
            host_ip: host_ip.clone().filter(|ip| !ip.is_empty()),
            line,
        })
        .collect()
}

/// `80` or `80-81`; at most 1024 ports in a range.
fn range(text: &str) -> Option<(u16, u16)> {
    let (start, end) = match text.split_once('-') {
        Some((start, end)) => (start.trim().parse().ok()?, end.trim().parse().ok()?),
        None => {
            let port: u16 = text.trim().parse().ok()?;
            (port, port)
        }
    };
    (start > 0 && start <= end && end - start < 1024).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_located;

    fn ports_of(yaml: &str) -> Vec<(u16, Option<u16>, Option<String>, String)> {
        let node = parse_located(yaml).unwrap();
        published(&node, &|t| Some(t.replace("${PORT}", "13306")))
            .into_iter()
            .map(|p| {
                let reach = p.reach_ip();
                (p.container_port, p.host_port, p.host_ip, reach)
            })
            .collect()
    }

    #[test]
    fn short_syntax() {
        let found = ports_of(
            "ports:\n  - \"3306:3306\"\n  - 127.0.0.1:5433:5432/tcp\n  - 9300\n  \
             - \"8000-8001:80-81\"\n  - \"[::1]:9201:9200\"\n  - \"${PORT}:3307\"\n  - nonsense\n",
        );
        let local = |ip: &str| ip.to_string();
        assert_eq!(
            found,
            vec![
                (3306, Some(3306), None, local("127.0.0.1")),
                (
                    5432,
                    Some(5433),
                    Some(local("127.0.0.1")),
                    local("127.0.0.1")
                ),
                (9300, None, None, local("127.0.0.1")),
                (80, Some(8000), None, local("127.0.0.1")),
                (81, Some(8001), None, local("127.0.0.1")),
                (9200, Some(9201), Some(local("::1")), local("::1")),
                (3307, Some(13306), None, local("127.0.0.1")),
            ]
        );
    }

    #[test]
    fn long_syntax() {
        let found = ports_of(
            "ports:\n  - target: 5432\n    published: \"15432\"\n    host_ip: 0.0.0.0\n  \
             - target: 9200\n    protocol: tcp\n",
        );
        assert_eq!(
            found,
            vec![
                (
                    5432,
                    Some(15432),
                    Some("0.0.0.0".to_string()),
                    "127.0.0.1".to_string()
                ),
                (9200, None, None, "127.0.0.1".to_string()),
            ]
        );
    }
}
