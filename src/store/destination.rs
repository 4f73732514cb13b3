//! Where off-host copies go, parsed from a URL: `s3://bucket/prefix`, `az://container/prefix`,
//! `gs://bucket/prefix`, or a plain folder (a mounted share).

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Amazon S3 or an S3-compatible store (MinIO, Ceph, Cloudflare R2) through an endpoint.
    S3,
    /// Azure Blob Storage (and Azurite).
    Azure,
    /// Google Cloud Storage.
    Gcs,
    /// A folder on this host, usually a mounted NFS/SMB share.
    Folder,
}

impl StoreKind {
    /// What the operator calls the top-level namespace of this store.
    pub fn bucket_word(self) -> &'static str {
        match self {
            StoreKind::Azure => "container",
            StoreKind::Folder => "folder",
            StoreKind::S3 | StoreKind::Gcs => "bucket",
        }
    }
}

/// A parsed destination. Holds no credentials: a URL that carries some is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub kind: StoreKind,
    /// Bucket or container; empty for a folder.
    pub bucket: String,
    /// Key prefix without leading or trailing `/`; may be empty.
    pub prefix: String,
    /// The folder, for [`StoreKind::Folder`].
    pub folder: Option<PathBuf>,
}

impl Destination {
    pub fn parse(text: &str) -> Result<Destination, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: redact_url_text(text),
            reason: reason.to_string(),
        };
        let Some((scheme, rest)) = text.split_once("://") else {
            return Self::folder(Path::new(text));
        };
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => StoreKind::S3,
            "az" | "azure" | "abfs" | "abfss" => StoreKind::Azure,
            "gs" | "gcs" => StoreKind::Gcs,
            "file" => return Self::folder(Path::new(rest)),
            _ => {
                return Err(bad(
                    "use s3://bucket/prefix, az://container/prefix, gs://bucket/prefix or a folder path",
                ));
            }
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.contains('@') || authority.contains(':') {
            return Err(bad(
                "credentials do not belong in the URL; they come from the environment, the \
                 cloud's config files or the machine's identity",
            ));
        }
        if path.contains('?') || path.contains('#') || authority.contains('?') {
            return Err(bad(
                "query strings (SAS tokens, signatures) are not accepted in the URL; set \
                 AZURE_STORAGE_SAS_KEY or another standard variable instead",
            ));
        }
        if authority.is_empty() {
            return Err(bad(&format!("the {} name is missing", kind.bucket_word())));
        }
        let prefix = path
            .split('/')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>();
        if prefix.iter().any(|part| *part == "." || *part == "..") {
            return Err(bad("`.` and `..` are not allowed in the prefix"));
        }
        Ok(Destination {
            kind,
            bucket: authority.to_string(),
            prefix: prefix.join("/"),
            folder: None,
        })
    }

    fn folder(path: &Path) -> Result<Destination, StoreError> {
        if path.as_os_str().is_empty() {
            return Err(StoreError::BadUrl {
                url: String::new(),
                reason: "the destination is empty".into(),
            });
        }
        Ok(Destination {
            kind: StoreKind::Folder,
            bucket: String::new(),
            prefix: String::new(),
            // Recorded in manifests and shown later, from anywhere: the full path.
            folder: Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())),
        })
    }

    /// The URL of an object of this destination, for messages and manifests.
    pub fn url_of(&self, name: &str) -> String {
        match &self.folder {
            Some(folder) => folder.join(name).display().to_string(),
            None => {
                let base = self.to_string();
                format!("{}/{name}", base.trim_end_matches('/'))
            }
        }
    }

    /// The key of an object under the prefix: the name as it is (unicode, spaces, `[`, `%`),
    /// so that the stored key is the name the URL shows and a listing gives back.
    pub(crate) fn key(&self, name: &str) -> object_store::path::Path {
        use object_store::path::{Path, PathPart};
        let part = PathPart::parse(name).unwrap_or_else(|_| PathPart::from(name));
        match self.prefix_path() {
            Some(prefix) => prefix.join(part),
            None => Path::from_iter([part]),
        }
    }

    pub(crate) fn prefix_path(&self) -> Option<object_store::path::Path> {
        (!self.prefix.is_empty()).then(|| as_key(&self.prefix))
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.kind {
            StoreKind::S3 => "s3",
            StoreKind::Azure => "az",
            StoreKind::Gcs => "gs",
            StoreKind::Folder => {
                let folder = self.folder.as_deref().unwrap_or(Path::new(""));
                return write!(f, "{}", folder.display());
            }
        };
        if self.prefix.is_empty() {
            write!(f, "{scheme}://{}", self.bucket)
        } else {
            write!(f, "{scheme}://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// `text` (a prefix, `/`-separated) as an object key, unchanged. The crate's `Path::from` would percent-encode every
/// non-ASCII byte and `%`, `[`, `#`, … into the key itself: `bäckup.sql` would be stored as
/// `b%C3%A4ckup.sql`, a key no other tool finds under the name om-upgrade printed, and which
/// the listing would then fail to map back. Only what a key cannot hold as it is (a control
/// character, a `.` or `..` segment) is still encoded.
fn as_key(text: &str) -> object_store::path::Path {
    object_store::path::Path::parse(text).unwrap_or_else(|_| object_store::path::Path::from(text))
}

/// A refused URL is echoed without what looks like credentials (`user:secret@`, a query).
fn redact_url_text(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let rest = match rest.split_once('/') {
        Some((authority, path)) => match authority.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}/{path}"),
            None => rest.to_string(),
        },
        None => match rest.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => rest.to_string(),
        },
    };
    format!("{scheme}://{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_with_and_without_prefix() {
        let d = Destination::parse("s3://backups/om/prod/").unwrap();
        assert_eq!(
            (d.kind, d.bucket.as_str(), d.prefix.as_str()),
            (StoreKind::S3, "backups", "om/prod")
        );
        assert_eq!(d.to_string(), "s3://backups/om/prod");
        assert_eq!(d.url_of("b.sql"), "s3://backups/om/prod/b.sql");
        assert_eq!(d.key("b.sql").as_ref(), "om/prod/b.sql");
        let d = Destination::parse("az://container").unwrap();
        assert_eq!((d.kind, d.prefix.as_str()), (StoreKind::Azure, ""));
        assert_eq!(d.key("b.sql").as_ref(), "b.sql");
        // Names are stored as they are, not percent-encoded; `..` and control characters are.
        let d = Destination::parse("s3://b/prëfix").unwrap();
        assert_eq!(
            d.key("bäckup€ [1] 50%.sql").as_ref(),
            "prëfix/bäckup€ [1] 50%.sql"
        );
        assert_eq!(d.prefix_path().unwrap().as_ref(), "prëfix");
        assert_eq!(d.key("..").as_ref(), "prëfix/%2E%2E");
        assert_eq!(d.key("a\u{1}b").as_ref(), "prëfix/a%01b");
        assert_eq!(Destination::parse("gs://b/p").unwrap().kind, StoreKind::Gcs);
        let d = Destination::parse("/mnt/share/om").unwrap();
        assert_eq!(d.kind, StoreKind::Folder);
        assert_eq!(d.url_of("b.sql"), "/mnt/share/om/b.sql");
        assert_eq!(
            Destination::parse("file:///mnt/x").unwrap().folder.unwrap(),
            PathBuf::from("/mnt/x")
        );
    }

    #[test]
    fn refuses_credentials_in_the_url_without_echoing_them() {
        for url in [
            "s3://AKIAEXAMPLE:hunter2secret@bucket/p",
            "az://container/p?sv=2024&sig=hunter2secret",
        ] {
            let err = Destination::parse(url).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains("hunter2secret"), "{text}");
            assert!(matches!(err, StoreError::BadUrl { .. }));
        }
    }

    #[test]
    fn refuses_unknown_schemes_and_dot_segments() {
        assert!(Destination::parse("ftp://host/x").is_err());
        assert!(Destination::parse("s3://bucket/../x").is_err());
        assert!(Destination::parse("s3:///x").is_err());
    }
}
