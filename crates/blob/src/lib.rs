//! Object storage for staged inputs and assembled results, through object_store, and the
//! signatures that grant access to them over HTTP: POST policies for uploads and expiring
//! links for downloads.
//!
//! The store is chosen once from a URL (`file:///path` for the embedded default); everything
//! else sees an `Arc<dyn ObjectStore>`.

pub mod policy;
pub mod signing;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, GetResult, ObjectStore};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

pub use policy::{PolicyError, PostPolicy};
pub use signing::Signer;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported blob url {0:?}: expected file:///path")]
    UnsupportedUrl(String),
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    /// The upload grew past the limit it was allowed; nothing was kept.
    #[error("upload exceeds {limit} bytes")]
    TooLarge { limit: u64 },
    /// The source of an upload failed (for example the client disconnected); nothing was kept.
    #[error("upload source failed: {0}")]
    Source(String),
    /// There is no object at the key.
    #[error("no object at {0}")]
    NotFound(String),
    /// The object is no longer the version a read asked for.
    #[error("the object at {0} changed")]
    Changed(String),
}

/// A version of an object: its size and the store's entity tag for exactly these bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub size: u64,
    pub e_tag: Option<String>,
}

/// Maps the store's "absent" and "not that version" answers to errors callers act on.
fn read_error(key: &str, error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound(key.to_owned()),
        object_store::Error::Precondition { .. } => BlobError::Changed(key.to_owned()),
        other => BlobError::Store(other),
    }
}

pub type Result<T, E = BlobError> = std::result::Result<T, E>;

/// What was stored by a streaming put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    pub md5_hex: String,
}

/// The blob store of a deployment.
#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// Shown to clients as the bucket in upload responses.
    bucket: String,
}

impl BlobStore {
    /// A folder on the local disk (created if missing).
    pub fn local(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root)?;
        let inner = LocalFileSystem::new_with_prefix(root)?;
        Ok(Self {
            inner: Arc::new(inner),
            bucket: "stevedore".to_owned(),
        })
    }

    /// Chooses the store from a URL: `file:///absolute/path`.
    pub fn from_url(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url).map_err(|_| BlobError::UnsupportedUrl(url.to_owned()))?;
        match parsed.scheme() {
            "file" => {
                let path: PathBuf = parsed
                    .to_file_path()
                    .map_err(|()| BlobError::UnsupportedUrl(url.to_owned()))?;
                Self::local(&path)
            }
            _ => Err(BlobError::UnsupportedUrl(url.to_owned())),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn path(key: &str) -> Result<ObjectPath> {
        ObjectPath::parse(key).map_err(|_| BlobError::InvalidKey(key.to_owned()))
    }

    /// Streams `source` into the object at `key` through a multipart upload, hashing on the way,
    /// refusing to store more than `max_bytes`. Memory stays bounded by the upload's part size.
    /// On any failure the partial upload is aborted and no object is left at `key`.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        source: S,
        max_bytes: u64,
    ) -> Result<StoredObject>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut writer = BufWriter::new(self.inner.clone(), Self::path(key)?);
        match Self::copy_into(&mut writer, source, max_bytes).await {
            Ok(stored) => {
                writer.shutdown().await?;
                Ok(stored)
            }
            Err(error) => {
                if let Err(abort_error) = writer.abort().await {
                    tracing::warn!(blob.key = key, error = %abort_error, "could not abort a failed upload");
                }
                Err(error)
            }
        }
    }

    async fn copy_into<S, E>(
        writer: &mut BufWriter,
        mut source: S,
        max_bytes: u64,
    ) -> Result<StoredObject>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut hasher = Md5::new();
        let mut size = 0u64;
        while let Some(piece) = source.next().await {
            let piece = piece.map_err(|error| BlobError::Source(error.to_string()))?;
            size += piece.len() as u64;
            if size > max_bytes {
                return Err(BlobError::TooLarge { limit: max_bytes });
            }
            hasher.update(&piece);
            writer.put(piece).await?;
        }
        Ok(StoredObject {
            size,
            md5_hex: hex::encode(hasher.finalize()),
        })
    }

    /// Reads a byte range of an object, of the version `if_match` names when given.
    pub async fn get_range(
        &self,
        key: &str,
        range: Range<u64>,
        if_match: Option<&str>,
    ) -> Result<Bytes> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let result = self
            .get_version(key, if_match, Some(GetRange::Bounded(range)))
            .await?;
        result.bytes().await.map_err(|error| read_error(key, error))
    }

    /// Opens a read of `key` (a range of it, when given), failing as `Changed` if the object is
    /// no longer the version `if_match` names.
    async fn get_version(
        &self,
        key: &str,
        if_match: Option<&str>,
        range: Option<GetRange>,
    ) -> Result<GetResult> {
        let options = GetOptions {
            if_match: if_match.map(str::to_owned),
            range,
            ..GetOptions::default()
        };
        self.inner
            .get_opts(&Self::path(key)?, options)
            .await
            .map_err(|error| read_error(key, error))
    }

    /// Streams a whole object, of the version `if_match` names when given; with its version.
    pub async fn get_stream(
        &self,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<(ObjectVersion, BoxStream<'static, Result<Bytes>>)> {
        let result = self.get_version(key, if_match, None).await?;
        let version = ObjectVersion {
            size: result.meta.size,
            e_tag: result.meta.e_tag.clone(),
        };
        Ok((
            version,
            result.into_stream().map_err(BlobError::from).boxed(),
        ))
    }

    /// The object's current version, or None if there is no object at `key`.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectVersion>> {
        match self.inner.head(&Self::path(key)?).await {
            Ok(meta) => Ok(Some(ObjectVersion {
                size: meta.size,
                e_tag: meta.e_tag,
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Moves an object to another key, replacing what was there.
    pub async fn rename(&self, from: &str, to: &str) -> Result<()> {
        Ok(self
            .inner
            .rename(&Self::path(from)?, &Self::path(to)?)
            .await?)
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.inner.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(parts: &[&'static str]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures::stream::iter(
            parts
                .iter()
                .map(|part| Ok(Bytes::from_static(part.as_bytes())))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn streams_in_and_reads_ranges_back() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(dir.path()).unwrap();
        let stored = blobs
            .put_stream(
                "tmp/1/bulk/u/f.jsonl",
                pieces(&["{\"a\":1}\n", "{\"a\":2}\n"]),
                100,
            )
            .await
            .unwrap();
        assert_eq!(stored.size, 16);
        assert_eq!(
            stored.md5_hex,
            hex::encode(Md5::digest(b"{\"a\":1}\n{\"a\":2}\n"))
        );
        let key = "tmp/1/bulk/u/f.jsonl";
        assert_eq!(
            blobs.get_range(key, 8..16, None).await.unwrap(),
            "{\"a\":2}\n"
        );
        let version = blobs.head(key).await.unwrap().unwrap();
        assert_eq!(version.size, 16);
        let e_tag = version.e_tag.clone().unwrap();
        assert_eq!(
            blobs.get_range(key, 0..7, Some(&e_tag)).await.unwrap(),
            "{\"a\":1}"
        );
    }

    #[tokio::test]
    async fn a_read_of_a_replaced_version_fails_as_changed() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(dir.path()).unwrap();
        blobs
            .put_stream("k/f", pieces(&["first\n"]), 100)
            .await
            .unwrap();
        let first = blobs.head("k/f").await.unwrap().unwrap();
        blobs
            .put_stream("k/next", pieces(&["second\n"]), 100)
            .await
            .unwrap();
        blobs.rename("k/next", "k/f").await.unwrap();
        let error = blobs
            .get_range("k/f", 0..5, first.e_tag.as_deref())
            .await
            .unwrap_err();
        assert!(matches!(error, BlobError::Changed(_)), "{error}");
        blobs.delete("k/f").await.unwrap();
        let error = blobs.get_range("k/f", 0..5, None).await.unwrap_err();
        assert!(matches!(error, BlobError::NotFound(_)), "{error}");
    }

    #[tokio::test]
    async fn an_oversized_upload_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(dir.path()).unwrap();
        let error = blobs
            .put_stream("k/f", pieces(&["12345", "67890"]), 8)
            .await
            .unwrap_err();
        assert!(matches!(error, BlobError::TooLarge { limit: 8 }));
        assert_eq!(blobs.head("k/f").await.unwrap(), None);
    }
}
