//! `--compose docker-compose.yml`: the OpenMetadata server service's environment as docker
//! compose gives it to the container — its `env_file:` files, then its `environment:` (map or
//! list form) — with `${VAR}` interpolated from the shell and the project's `.env` beside the
//! compose file, as compose does. A host that is a service of the file (`mysql`) is only
//! reachable from here on the port the service publishes, so it becomes that address, and the
//! value's source says so. The server image's tag is the installed version when the database
//! cannot say.

mod dotenv;
mod error;
pub mod interpolate;
mod located;
mod ports;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::deployment::{Deployment, image_tag};
use super::{Env, SettingsWarning, Sourced};
use crate::yaml::{self, ErrorKind, Node, NodeKind, YamlError};
pub use error::ComposeError;
use error::VALUES_MAX;
use interpolate::interpolate;
pub use located::Located;

/// What `${VAR}` reads: the shell first, then the project's `.env`.
struct Project<'a> {
    file: PathBuf,
    dir: PathBuf,
    dotenv_path: PathBuf,
    dotenv: BTreeMap<String, Located>,
    shell: &'a Env,
    /// Bytes the file's values have grown to, against [`VALUES_MAX`].
    expanded: std::cell::Cell<usize>,
}

impl Project<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        self.shell
            .get(name)
            .map(str::to_string)
            .or_else(|| self.dotenv.get(name).map(|l| l.text.clone()))
    }

    /// Interpolates a value written at `line` of `file`; a variable without value or default
    /// is an error naming it.
    fn expand(&self, text: &str, file: &Path, line: usize) -> Result<Located, ComposeError> {
        let out = interpolate(text, &|name| self.lookup(name)).map_err(|error| {
            ComposeError::Interpolate {
                path: file.to_path_buf(),
                line,
                error,
            }
        })?;
        let total = self.expanded.get().saturating_add(out.value.len());
        self.expanded.set(total);
        if total > VALUES_MAX {
            return Err(ComposeError::Overgrown {
                path: self.file.clone(),
            });
        }
        if let Some(variable) = out.missing.first() {
            return Err(ComposeError::Unresolved {
                path: file.to_path_buf(),
                line,
                variable: variable.clone(),
                dotenv: self.dotenv_path.clone(),
            });
        }
        let from_dotenv: Vec<String> = out
            .used
            .iter()
            .filter(|name| self.shell.get(name).is_none())
            .filter_map(|name| {
                let at = self.dotenv.get(name)?;
                Some(format!("{name} from {}:{}", at.file.display(), at.line))
            })
            .collect();
        Ok(Located {
            text: out.value,
            file: file.to_path_buf(),
            line,
            via: (!from_dotenv.is_empty()).then(|| from_dotenv.join(", ")),
        })
    }
}

/// The names docker compose looks for, in its order.
const DEFAULT_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The compose file docker compose would use in `dir`, if there is one.
pub fn find_in(dir: &Path) -> Option<PathBuf> {
    DEFAULT_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Reads the server's environment from a compose file.
pub fn load(path: &Path, env: &Env) -> Result<Deployment, ComposeError> {
    let unusable = |error: YamlError| match error.kind {
        ErrorKind::NotFound => ComposeError::Missing {
            path: path.to_path_buf(),
        },
        _ => ComposeError::Yaml {
            path: path.to_path_buf(),
            error,
        },
    };
    let doc = yaml::parse_located(&yaml::read_file(path).map_err(unusable)?).map_err(unusable)?;
    let not_compose = |reason: &str| ComposeError::NotCompose {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let Some(NodeKind::Mapping(services)) = doc.get("services").map(|s| &s.kind) else {
        return Err(not_compose("it has no `services:` mapping"));
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let dotenv_path = dir.join(".env");
    let dotenv = if dotenv_path.is_file() {
        dotenv::read(&dotenv_path, &|name| env.get(name).map(str::to_string))?
            .into_iter()
            .map(|line| (line.name, line.value))
            .collect()
    } else {
        BTreeMap::new()
    };
    let project = Project {
        file: path.to_path_buf(),
        dir,
        dotenv_path,
        dotenv,
        shell: env,
        expanded: std::cell::Cell::new(0),
    };
    let (name, service) = server_service(path, services)?;
    let mut vars = container_env(&project, service)?;
    // `${X:-""}` is how the upstream files write "empty".
    for value in vars.values_mut() {
        if matches!(value.text.trim(), "\"\"" | "''") {
            value.text.clear();
        }
    }
    let image = service
        .entry("image")
        .and_then(|e| e.value.as_scalar().map(|text| (text, e.key_line)))
        .map(|(text, line)| project.expand(text, path, line))
        .transpose()?;
    let mut deployment = Deployment {
        image_tag: image.and_then(|image| {
            image_tag(&image.text).map(|tag| Sourced::new(tag, image.source(None)))
        }),
        ..Deployment::default()
    };
    let reach = Reach {
        project: &project,
        services,
        server: name,
    };
    reach.translate(&mut vars, &mut deployment.warnings);
    deployment.vars = vars
        .into_iter()
        .map(|(name, value)| {
            let source = value.source(None);
            (name, Sourced::new(value.text, source))
        })
        .collect();
    Ok(deployment)
}

/// The service running the OpenMetadata server: its image is `openmetadata/server`, and it is
/// not the one-shot migration service the upstream files run beside it.
fn server_service<'a>(
    path: &Path,
    services: &'a [yaml::Entry],
) -> Result<(&'a str, &'a Node), ComposeError> {
    let image = |node: &Node| {
        node.get("image")
            .and_then(Node::as_scalar)
            .unwrap_or_default()
            .to_string()
    };
    let runs_migrations = |node: &Node| {
        node.get("command")
            .map(|c| format!("{c:?}").contains("migrate"))
            .unwrap_or(false)
    };
    let servers: Vec<&yaml::Entry> = services
        .iter()
        .filter(|s| s.value.is_mapping() && image(&s.value).contains("openmetadata/server"))
        .collect();
    let pick = servers
        .iter()
        .find(|s| s.key == "openmetadata-server")
        .or_else(|| servers.iter().find(|s| !runs_migrations(&s.value)))
        .or(servers.first());
    match pick {
        Some(entry) => Ok((entry.key.as_str(), &entry.value)),
        None => Err(ComposeError::NoServer {
            path: path.to_path_buf(),
            services: services.iter().map(|s| s.key.clone()).collect(),
        }),
    }
}

/// `env_file:` files in order, then `environment:` over them.
fn container_env(
    project: &Project,
    service: &Node,
) -> Result<BTreeMap<String, Located>, ComposeError> {
    let mut vars = BTreeMap::new();
    for (file, required) in env_files(project, service)? {
        if !required && !file.is_file() {
            continue;
        }
        for line in dotenv::read(&file, &|name| project.lookup(name))? {
            vars.insert(line.name, line.value);
        }
    }
    if let Some(environment) = service.get("environment") {
        environment_into(project, environment, &mut vars)?;
    }
    Ok(vars)
}

fn env_files(project: &Project, service: &Node) -> Result<Vec<(PathBuf, bool)>, ComposeError> {
    let Some(node) = service.get("env_file") else {
        return Ok(Vec::new());
    };
    let items: Vec<&Node> = match &node.kind {
        NodeKind::Sequence(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut files = Vec::new();
    for item in items {
        let (text, required) = match item.as_scalar() {
            Some(text) => (text, true),
            None => (
                item.get("path")
                    .and_then(Node::as_scalar)
                    .unwrap_or_default(),
                item.get("required").and_then(Node::as_scalar) != Some("false"),
            ),
        };
        if text.is_empty() {
            return Err(ComposeError::NotCompose {
                path: project.file.clone(),
                reason: format!("the env_file entry at line {} names no file", item.line),
            });
        }
        let expanded = project.expand(text, &project.file, item.line)?;
        files.push((project.dir.join(expanded.text), required));
    }
    Ok(files)
}

fn environment_into(
    project: &Project,
    node: &Node,
    vars: &mut BTreeMap<String, Located>,
) -> Result<(), ComposeError> {
    match &node.kind {
        NodeKind::Mapping(entries) => {
            // `<<: *defaults` merges a mapping under the keys written here.
            for merged in entries.iter().filter(|e| e.key == "<<") {
                let bases: Vec<&Node> = match &merged.value.kind {
                    NodeKind::Sequence(items) => items.iter().collect(),
                    _ => vec![&merged.value],
                };
                for base in bases {
                    environment_into(project, base, vars)?;
                }
            }
            for entry in entries.iter().filter(|e| e.key != "<<") {
                match entry.value.as_scalar() {
                    Some(text) => {
                        let value = project.expand(text, &project.file, entry.key_line)?;
                        vars.insert(entry.key.clone(), value);
                    }
                    None => from_shell(project, &entry.key, entry.key_line, vars),
                }
            }
        }
        NodeKind::Sequence(items) => {
            for item in items {
                let Some(text) = item.as_scalar() else {
                    continue;
                };
                match text.split_once('=') {
                    Some((name, value)) => {
                        let value = project.expand(value, &project.file, item.line)?;
                        vars.insert(name.trim().to_string(), value);
                    }
                    None => from_shell(project, text.trim(), item.line, vars),
                }
            }
        }
        NodeKind::Null => {}
        _ => {
            return Err(ComposeError::NotCompose {
                path: project.file.clone(),
                reason: format!(
                    "`environment:` at line {} is neither a mapping nor a list",
                    node.line
                ),
            });
        }
    }
    Ok(())
}

/// `- DB_HOST` / `DB_HOST:` without a value: the container gets the variable from compose's
/// own environment (the shell, then `.env`), or not at all.
fn from_shell(project: &Project, name: &str, line: usize, vars: &mut BTreeMap<String, Located>) {
    if let Some(text) = project.lookup(name) {
        let via = match project.shell.get(name) {
            Some(_) => format!("{name} from the shell"),
            None => project
                .dotenv
                .get(name)
                .map(|at| format!("{name} from {}:{}", at.file.display(), at.line))
                .unwrap_or_default(),
        };
        vars.insert(
            name.to_string(),
            Located {
                text,
                file: project.file.clone(),
                line,
                via: Some(via),
            },
        );
    }
}

/// Service names used as hosts, and the published ports that reach them from here.
struct Reach<'a> {
    project: &'a Project<'a>,
    services: &'a [yaml::Entry],
    server: &'a str,
}

/// Host variable, port variable.
const HOSTS: [(&str, &str); 2] = [
    ("DB_HOST", "DB_PORT"),
    ("ELASTICSEARCH_HOST", "ELASTICSEARCH_PORT"),
];

impl Reach<'_> {
    fn service(&self, host: &str) -> Option<(&str, &Node)> {
        self.services.iter().find_map(|s| {
            let container_name = s.value.get("container_name").and_then(Node::as_scalar);
            (s.key == host || container_name == Some(host)).then_some((s.key.as_str(), &s.value))
        })
    }

    /// Where a service's container port is published: (ip, port, line of the `ports:` entry).
    fn published(&self, service: &Node, port: u16) -> Option<ports::Published> {
        let expand = |text: &str| {
            self.project
                .expand(text, &self.project.file, 0)
                .ok()
                .map(|l| l.text)
        };
        ports::published(service, &expand)
            .into_iter()
            .find(|p| p.container_port == port)
    }

    fn default_port(&self, vars: &BTreeMap<String, Located>, host_var: &str) -> u16 {
        if host_var != "DB_HOST" {
            return 9200;
        }
        let engine = ["DB_SCHEME", "DB_DRIVER_CLASS"]
            .iter()
            .filter_map(|name| vars.get(*name))
            .map(|v| v.text.to_ascii_lowercase())
            .collect::<String>();
        if engine.contains("postgres") {
            5432
        } else {
            3306
        }
    }

    /// Rewrites `DB_HOST`/`ELASTICSEARCH_HOST` (and their ports) and `SERVER_HOST_API_URL`
    /// that name a service of the file; warns when a service publishes no port to reach.
    fn translate(&self, vars: &mut BTreeMap<String, Located>, warnings: &mut Vec<SettingsWarning>) {
        for (host_var, port_var) in HOSTS {
            let Some(host) = vars.get(host_var).map(|h| h.text.trim().to_string()) else {
                continue;
            };
            let Some((service_name, service)) = self.service(&host) else {
                continue;
            };
            let port = match vars.get(port_var).map(|p| p.text.trim().parse::<u16>()) {
                Some(Ok(port)) => port,
                Some(Err(_)) => continue,
                None => self.default_port(vars, host_var),
            };
            match self.published(service, port) {
                Some(
                    published @ ports::Published {
                        host_port: Some(host_port),
                        ..
                    },
                ) => {
                    let ip = published.reach_ip();
                    let host_line = &vars[host_var];
                    let note = format!(
                        "{host_var}={host} is service {service_name}, published on {ip}:{host_port}"
                    );
                    let translated = Located {
                        text: ip.clone(),
                        file: host_line.file.clone(),
                        line: host_line.line,
                        via: Some(note.clone()),
                    };
                    vars.insert(host_var.to_string(), translated);
                    vars.insert(
                        port_var.to_string(),
                        Located {
                            text: host_port.to_string(),
                            file: self.project.file.clone(),
                            line: published.line,
                            via: Some(format!("port {port} of service {service_name}, published")),
                        },
                    );
                }
                Some(_) => warnings.push(SettingsWarning::Deployment(format!(
                    "{host_var} is {host}, a service of {} that publishes port {port} on a port \
                     Docker picks: find it with `docker compose port {service_name} {port}` and \
                     give it with --port (or the search engine with --search-url)",
                    self.project.file.display()
                ))),
                None => warnings.push(SettingsWarning::Deployment(format!(
                    "{host_var} is {host}, a service of {} that does not publish port {port}: \
                     this host cannot reach it; publish it (ports: - \"{port}:{port}\") or give \
                     the address with flags",
                    self.project.file.display()
                ))),
            }
        }
        self.translate_url(vars, "SERVER_HOST_API_URL", warnings);
    }

    /// A url whose host is a service of the file (the server's own address, usually).
    fn translate_url(
        &self,
        vars: &mut BTreeMap<String, Located>,
        name: &str,
        warnings: &mut Vec<SettingsWarning>,
    ) {
        let Some(value) = vars.get(name) else {
            return;
        };
        let Ok(mut url) = Url::parse(value.text.trim()) else {
            return;
        };
        let Some(host) = url.host_str().map(str::to_string) else {
            return;
        };
        let Some((service_name, service)) = self.service(&host) else {
            return;
        };
        let Some(port) = url.port_or_known_default() else {
            return;
        };
        let published = self.published(service, port);
        match published {
            Some(p) if p.host_port.is_some() => {
                let ip = p.reach_ip();
                let host_port = p.host_port.unwrap_or(port);
                let ip_host = if ip.contains(':') { format!("[{ip}]") } else { ip.clone() };
                if url.set_host(Some(&ip_host)).is_err() || url.set_port(Some(host_port)).is_err() {
                    return;
                }
                let note = format!("{host} is service {service_name}, published on {ip}:{host_port}");
                let value = Located {
                    text: url.to_string(),
                    file: value.file.clone(),
                    line: value.line,
                    via: Some(note),
                };
                vars.insert(name.to_string(), value);
            }
            _ if service_name == self.server => warnings.push(SettingsWarning::Deployment(format!(
                "{name} names service {service_name} of {}, which does not publish port {port}: \
                 give the server's address with --server-url",
                self.project.file.display()
            ))),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
