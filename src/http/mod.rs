//! A small HTTP(S) GET client for the installation checks (search engine, OpenMetadata server):
//! one request per connection, every step under a timeout, errors classified in words.
//!
//! Built on hyper's HTTP/1 connection and rustls (ring) directly rather than a full client: the
//! checks make a handful of GETs, and doing the connect, TLS and read steps ourselves lets each
//! one fail with its own cause ("connection refused", "certificate not trusted", "no answer
//! within 10 s") instead of one opaque error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use url::Url;

use crate::secret::Secret;

/// The most of a reply body that is read; the answers we ask for are a few hundred bytes.
const MAX_BODY: usize = 1024 * 1024;

/// How long to wait for each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Name lookup, TCP connect and TLS handshake, together.
    pub connect: Duration,
    /// From sending the request to the last byte of the reply.
    pub read: Duration,
}

impl Timeouts {
    /// The longest a request can take.
    pub fn total(&self) -> Duration {
        self.connect + self.read
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(10),
        }
    }
}

/// Where to send requests: a base url (`https://es.internal:9200`), how to authenticate and
/// which CA to trust besides the system's.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base: Url,
    pub basic_auth: Option<(String, Secret)>,
    pub ca_file: Option<PathBuf>,
    pub timeouts: Timeouts,
}

/// A reply: status and body (at most 1 MB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text, cut to `max` characters, for messages.
    pub fn excerpt(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if flat.chars().count() > max {
            format!("{}…", flat.chars().take(max).collect::<String>())
        } else {
            flat
        }
    }
}

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("cannot resolve host name '{host}'")]
    Dns { host: String },
    #[error("connection refused by {addr}: nothing listens there")]
    Refused { addr: String },
    #[error("no connection to {addr} within {}", secs(.after))]
    ConnectTimeout { addr: String, after: Duration },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("the TLS certificate of {host} is not trusted: {reason}")]
    Untrusted { host: String, reason: String },
    #[error("TLS handshake with {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("no reply from {addr} within {}", secs(.after))]
    ReadTimeout { addr: String, after: Duration },
    #[error("{addr} did not answer HTTP: {reason}")]
    Protocol { addr: String, reason: String },
    #[error("cannot use the CA file {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error("cannot build the request: {0}")]
    Request(String),
}

fn secs(d: &Duration) -> String {
    crate::humanize::duration(*d)
}

impl HttpError {
    /// What the operator can do about it.
    pub fn remediation(&self) -> String {
        match self {
            HttpError::Dns { .. } => {
                "Check the host name, or run om-upgrade where that name resolves.".into()
            }
            HttpError::Refused { .. } => {
                "Check the port, and that the service runs; from this host, `curl -v` the same url."
                    .into()
            }
            HttpError::ConnectTimeout { .. } | HttpError::Connect { .. } => {
                "A firewall or the network may block this host: run om-upgrade where the server \
                 can be reached, or check the address."
                    .into()
            }
            HttpError::Untrusted { .. } => {
                "Give the CA certificate (PEM) that signed the server's certificate with the CA \
                 option (--search-ca / --server-ca)."
                    .into()
            }
            HttpError::Tls { .. } => {
                "Check the scheme (http or https) and the port; a plain-HTTP port answers TLS \
                 with garbage."
                    .into()
            }
            HttpError::ReadTimeout { .. } => {
                "The service accepted the connection but did not answer: it may be overloaded or \
                 stuck; raise --http-timeout or check its logs."
                    .into()
            }
            HttpError::Protocol { .. } => {
                "Something else listens on that port, or it speaks HTTPS: check the url's scheme \
                 and port."
                    .into()
            }
            HttpError::CaFile { .. } => "Give a readable PEM file with the CA certificate.".into(),
            HttpError::Request(_) => "Check the url.".into(),
        }
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl Endpoint {
    /// `GET base + path` (path like `/_cluster/health`).
    pub async fn get(&self, path: &str) -> Result<Reply, HttpError> {
        let url = join(&self.base, path)?;
        let (stream, addr) = self.open(&url).await?;

        let read_deadline = tokio::time::Instant::now() + self.timeouts.read;
        let timed_out = || HttpError::ReadTimeout {
            addr: addr.clone(),
            after: self.timeouts.read,
        };
        let protocol = |reason: String| HttpError::Protocol {
            addr: addr.clone(),
            reason,
        };
        let (mut sender, connection) = tokio::time::timeout_at(
            read_deadline,
            hyper::client::conn::http1::handshake(TokioIo::new(stream)),
        )
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| protocol(e.to_string()))?;
        // The connection task ends when the sender is dropped or the server closes.
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let result = async {
            let mut request = hyper::Request::get(path_and_query(&url))
                .header(hyper::header::HOST, host_header(&url))
                .header(hyper::header::ACCEPT, "application/json")
                .header(
                    hyper::header::USER_AGENT,
                    concat!("om-upgrade/", env!("CARGO_PKG_VERSION")),
                );
            if let Some((user, password)) = &self.basic_auth {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose()));
                request = request.header(hyper::header::AUTHORIZATION, format!("Basic {token}"));
            }
            let request = request
                .body(Empty::<Bytes>::new())
                .map_err(|e| HttpError::Request(e.to_string()))?;
            let response = tokio::time::timeout_at(read_deadline, sender.send_request(request))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| protocol(describe_hyper(&e)))?;
            let status = response.status().as_u16();
            let body = tokio::time::timeout_at(
                read_deadline,
                Limited::new(response.into_body(), MAX_BODY).collect(),
            )
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| protocol(format!("while reading the reply: {e}")))?
            .to_bytes()
            .to_vec();
            Ok(Reply { status, body })
        }
        .await;
        driver.abort();
        result
    }

    /// Connects to `url`'s host and port, with TLS for https, all within the connect timeout;
    /// returns the stream and the address as messages name it.
    async fn open(&self, url: &Url) -> Result<(Box<dyn Stream>, String), HttpError> {
        let host = url
            .host_str()
            .ok_or_else(|| HttpError::Request(format!("{url} has no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| HttpError::Request(format!("{url} has no port")))?;
        let addr = display_addr(&host, port);
        let https = url.scheme() == "https";
        // The address and path only: the url's user and password are never logged.
        tracing::debug!(%addr, path = url.path(), https, "HTTP GET");
        let tls = if https {
            Some(self.tls_config()?)
        } else {
            None
        };

        let connect_deadline = tokio::time::Instant::now() + self.timeouts.connect;
        let tcp = connect(&host, port, &addr, connect_deadline, self.timeouts.connect).await?;
        let stream: Box<dyn Stream> = match tls {
            None => Box::new(tcp),
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| HttpError::Request(format!("bad host name {host}: {e}")))?;
                let connector = tokio_rustls::TlsConnector::from(config);
                match tokio::time::timeout_at(connect_deadline, connector.connect(name, tcp)).await
                {
                    Err(_) => {
                        return Err(HttpError::ConnectTimeout {
                            addr,
                            after: self.timeouts.connect,
                        });
                    }
                    Ok(Err(error)) => return Err(tls_error(&host, &error)),
                    Ok(Ok(stream)) => Box::new(stream),
                }
            }
        };
        Ok((stream, addr))
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, HttpError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // The system's store too, as curl on this host would use it; unreadable entries are
        // skipped (the CA option is the explicit way).
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        if let Some(path) = &self.ca_file {
            for cert in read_pem_certificates(path)? {
                roots.add(cert).map_err(|e| HttpError::CaFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| HttpError::Request(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

/// The certificates of a PEM file; an error when it holds none.
fn read_pem_certificates(
    path: &Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, HttpError> {
    use rustls::pki_types::pem::PemObject;
    let bad = |reason: String| HttpError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("not a PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(bad(
            "it holds no PEM certificate (-----BEGIN CERTIFICATE-----); a Java truststore \
             (.jks/.p12) must be exported to PEM first"
                .into(),
        ));
    }
    Ok(certs)
}

async fn connect(
    host: &str,
    port: u16,
    addr: &str,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<TcpStream, HttpError> {
    let timed_out = || HttpError::ConnectTimeout {
        addr: addr.to_string(),
        after: timeout,
    };
    let addresses: Vec<_> =
        match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(_)) => {
                return Err(HttpError::Dns {
                    host: host.to_string(),
                });
            }
            Ok(Ok(addresses)) => addresses.collect(),
        };
    let mut last = None;
    for socket in addresses {
        match tokio::time::timeout_at(deadline, TcpStream::connect(socket)).await {
            Err(_) => return Err(timed_out()),
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(error)) => last = Some(error),
        }
    }
    Err(match last {
        Some(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
            HttpError::Refused {
                addr: addr.to_string(),
            }
        }
        Some(error) => HttpError::Connect {
            addr: addr.to_string(),
            reason: error.to_string(),
        },
        None => HttpError::Dns {
            host: host.to_string(),
        },
    })
}

fn tls_error(host: &str, error: &std::io::Error) -> HttpError {
    let tls = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(reason)) => HttpError::Untrusted {
            host: host.to_string(),
            reason: match reason {
                rustls::CertificateError::UnknownIssuer => {
                    "it is signed by an unknown CA (self-signed or a private CA)".into()
                }
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. } => {
                    format!("it is not issued for the name '{host}'")
                }
                rustls::CertificateError::Expired
                | rustls::CertificateError::ExpiredContext { .. } => "it has expired".into(),
                other => format!("{other:?}"),
            },
        },
        Some(other) => HttpError::Tls {
            host: host.to_string(),
            reason: other.to_string(),
        },
        None => HttpError::Tls {
            host: host.to_string(),
            reason: error.to_string(),
        },
    }
}

/// hyper's error and its causes, one sentence.
fn describe_hyper(error: &hyper::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `base` joined with an absolute `path`, keeping a path prefix of the base (`/es` behind a
/// proxy) and dropping its query.
fn join(base: &Url, path: &str) -> Result<Url, HttpError> {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn display_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A url as shown to people: without user and password.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string().trim_end_matches('/').to_string()
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_url(&self.base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_a_base_with_a_prefix() {
        let base = Url::parse("https://proxy.internal/es/").unwrap();
        assert_eq!(
            join(&base, "/_cluster/health").unwrap().as_str(),
            "https://proxy.internal/es/_cluster/health"
        );
        let base = Url::parse("http://localhost:9200").unwrap();
        assert_eq!(join(&base, "/").unwrap().as_str(), "http://localhost:9200/");
    }

    #[test]
    fn shown_urls_never_carry_credentials() {
        let url = Url::parse("https://elastic:s3cret@es.internal:9200/").unwrap();
        assert_eq!(display_url(&url), "https://es.internal:9200");
    }
}
