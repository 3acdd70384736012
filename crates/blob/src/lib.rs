//! Object storage for staged inputs and assembled results, through object_store, and the
//! signatures that grant access to them over HTTP: POST policies for uploads and expiring
//! links for downloads.
//!
//! The store is chosen once from a URL: `file:///path` for the embedded default, or a bucket of
//! an object-storage service (`s3://`, `gs://`, `az://`, configured from the environment), whose
//! optional path scopes every key. Everything else sees a [`BlobStore`]: streaming puts with a
//! size limit and an MD5, reads pinned to a version by entity tag, and — where the service can
//! sign — presigned links that let clients move bytes to and from the bucket directly, without
//! passing through this server. The local folder cannot sign; the server serves its objects
//! itself behind its own [`Signer`] links.

pub mod policy;
pub mod signing;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::buffered::BufWriter;
use object_store::chunked::ChunkedStore;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::signer::Signer as ObjectSigner;
use object_store::{Attribute, Attributes, GetOptions, GetRange, GetResult, ObjectStore};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

pub use policy::{PolicyError, PostPolicy};
pub use signing::Signer;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "unsupported blob url {0:?}: expected file:///absolute/path, s3://bucket[/prefix], \
         gs://bucket[/prefix] or az://container[/prefix]"
    )]
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

/// What a presigned link lets its holder do with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignMethod {
    /// Download the object.
    Get,
    /// Upload (create or replace) the object.
    Put,
}

/// Headers stored with an object and sent back by the bucket when it is downloaded, so a
/// presigned download arrives with the right type and file name. The local folder keeps none:
/// the server sets these headers itself when it serves a local object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutAttributes {
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
}

impl PutAttributes {
    fn to_attributes(&self) -> Attributes {
        let mut attributes = Attributes::new();
        if let Some(value) = &self.content_type {
            attributes.insert(Attribute::ContentType, value.clone().into());
        }
        if let Some(value) = &self.content_disposition {
            attributes.insert(Attribute::ContentDisposition, value.clone().into());
        }
        attributes
    }
}

/// The blob store of a deployment.
#[derive(Clone, Debug)]
pub struct BlobStore {
    /// Already scoped to the URL's prefix: keys given to it are relative.
    inner: Arc<dyn ObjectStore>,
    /// The same store for reads of object contents (the local folder reads in larger pieces).
    reads: Arc<dyn ObjectStore>,
    /// The unscoped service, for presigning; None where the store cannot sign (the local folder).
    signer: Option<Arc<dyn ObjectSigner>>,
    /// The URL's prefix, which a signed path must carry since the signer sees the whole bucket.
    prefix: ObjectPath,
    /// Shown to clients as the bucket in upload responses.
    bucket: String,
    /// Whether puts may carry [`PutAttributes`]: the local folder refuses any attribute.
    keeps_attributes: bool,
}

/// The piece a read of the local folder yields at a time.
const LOCAL_READ_BYTES: usize = 1 << 20;

/// Parts of a streamed put being uploaded at once.
const PARTS_IN_FLIGHT: usize = 2;

impl BlobStore {
    /// A folder on the local disk (created if missing).
    pub fn local(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root)?;
        let inner: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(root)?);
        // The local store streams a file in 8 KiB reads, each a blocking task of its own: a
        // 100 MB input took a second to plan. Reads of 1 MiB keep memory bounded all the same.
        // Only reads go through the wrapper: it would turn the folder's atomic rename into a
        // copy and a delete.
        let reads = Arc::new(ChunkedStore::new(inner.clone(), LOCAL_READ_BYTES));
        Ok(Self {
            inner,
            reads,
            signer: None,
            prefix: ObjectPath::default(),
            bucket: "stevedore".to_owned(),
            keeps_attributes: false,
        })
    }

    /// Chooses the store from a URL:
    ///
    /// - `file:///absolute/path`: a local folder;
    /// - `s3://bucket[/prefix]`: S3 or an S3-compatible service, configured from the `AWS_*`
    ///   environment (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    ///   `AWS_ALLOW_HTTP`, `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, …); path-style requests unless
    ///   virtual-hosted style is asked for, so a custom endpoint works as it is;
    /// - `gs://bucket[/prefix]`: Google Cloud Storage, from the `GOOGLE_*` environment;
    /// - `az://container[/prefix]`: Azure Blob Storage, from the `AZURE_*` environment.
    ///
    /// A prefix scopes every key, presigned links included. Nothing is contacted here: a wrong
    /// endpoint or credential shows on the first read or write.
    pub fn from_url(url: &str) -> Result<Self> {
        let unsupported = || BlobError::UnsupportedUrl(url.to_owned());
        let parsed = url::Url::parse(url).map_err(|_| unsupported())?;
        match parsed.scheme() {
            "file" => {
                let path: PathBuf = parsed.to_file_path().map_err(|()| unsupported())?;
                Self::local(&path)
            }
            "s3" => {
                let (bucket, prefix) = Self::bucket_and_prefix(&parsed).ok_or_else(unsupported)?;
                Self::s3(AmazonS3Builder::from_env(), bucket, prefix)
            }
            "gs" => {
                let (bucket, prefix) = Self::bucket_and_prefix(&parsed).ok_or_else(unsupported)?;
                let store = GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(&bucket)
                    .build()?;
                Ok(Self::cloud(Arc::new(store), bucket, prefix))
            }
            "az" => {
                let (container, prefix) =
                    Self::bucket_and_prefix(&parsed).ok_or_else(unsupported)?;
                let store = MicrosoftAzureBuilder::from_env()
                    .with_container_name(&container)
                    .build()?;
                Ok(Self::cloud(Arc::new(store), container, prefix))
            }
            _ => Err(unsupported()),
        }
    }

    /// The bucket (the URL's host) and the prefix (its path) of a cloud URL.
    fn bucket_and_prefix(url: &url::Url) -> Option<(String, ObjectPath)> {
        let bucket = url.host_str().filter(|host| !host.is_empty())?.to_owned();
        if url.query().is_some() || url.fragment().is_some() {
            return None;
        }
        // The URL's path is percent-encoded; the prefix is kept as the key text it spells.
        let prefix = ObjectPath::from_url_path(url.path()).ok()?;
        Some((bucket, prefix))
    }

    fn s3(builder: AmazonS3Builder, bucket: String, prefix: ObjectPath) -> Result<Self> {
        let store = builder.with_bucket_name(&bucket).build()?;
        Ok(Self::cloud(Arc::new(store), bucket, prefix))
    }

    /// A cloud store: reads and writes go through the prefix, links are signed by the service.
    fn cloud<T: ObjectStore + ObjectSigner>(
        store: Arc<T>,
        bucket: String,
        prefix: ObjectPath,
    ) -> Self {
        let signer: Arc<dyn ObjectSigner> = store.clone();
        let unscoped: Arc<dyn ObjectStore> = store;
        let inner: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            unscoped
        } else {
            Arc::new(PrefixStore::new(unscoped, prefix.clone()))
        };
        Self {
            reads: inner.clone(),
            inner,
            signer: Some(signer),
            prefix,
            bucket,
            keeps_attributes: true,
        }
    }

    /// The bucket or container of a cloud store; "stevedore" for the local folder.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Whether [`BlobStore::presigned_url`] gives links: true for cloud stores.
    pub fn can_presign(&self) -> bool {
        self.signer.is_some()
    }

    /// A link that lets its holder download (`Get`) or upload (`Put`) the object at `key` for
    /// `expires_in`, signed by the service with the store's credentials; None where the store
    /// cannot sign (the local folder), where the server hands out its own [`Signer`] links.
    ///
    /// A presigned upload carries no size limit or checksum: whoever accepts such an upload
    /// must check the object afterwards.
    pub async fn presigned_url(
        &self,
        method: PresignMethod,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<url::Url>> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let path: ObjectPath = self
            .prefix
            .parts()
            .chain(Self::path(key)?.parts())
            .collect();
        let method = match method {
            PresignMethod::Get => reqwest::Method::GET,
            PresignMethod::Put => reqwest::Method::PUT,
        };
        Ok(Some(signer.signed_url(method, &path, expires_in).await?))
    }

    fn path(key: &str) -> Result<ObjectPath> {
        ObjectPath::parse(key).map_err(|_| BlobError::InvalidKey(key.to_owned()))
    }

    /// Streams `source` into the object at `key` through a multipart upload, hashing on the way,
    /// refusing to store more than `max_bytes`. Memory stays bounded by the upload's part size
    /// (10 MiB) times the parts in flight, whatever the object's size.
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
        self.put_stream_with(key, source, max_bytes, &PutAttributes::default())
            .await
    }

    /// [`BlobStore::put_stream`], storing `attributes` with the object where the store keeps
    /// them (cloud stores); the local folder ignores them.
    pub async fn put_stream_with<S, E>(
        &self,
        key: &str,
        source: S,
        max_bytes: u64,
        attributes: &PutAttributes,
    ) -> Result<StoredObject>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        // Parts of 10 MiB, at most two in flight beside the one filling: an upload arriving
        // faster than the store takes it holds about 30 MiB, not the default's 90.
        let mut writer = BufWriter::new(self.inner.clone(), Self::path(key)?)
            .with_max_concurrency(PARTS_IN_FLIGHT);
        if self.keeps_attributes && attributes != &PutAttributes::default() {
            writer = writer.with_attributes(attributes.to_attributes());
        }
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
        self.reads
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

    #[tokio::test]
    async fn the_local_folder_takes_attributes_but_cannot_presign() {
        let dir = tempfile::tempdir().unwrap();
        let blobs =
            BlobStore::from_url(url::Url::from_directory_path(dir.path()).unwrap().as_str())
                .unwrap();
        assert_eq!(blobs.bucket(), "stevedore");
        assert!(!blobs.can_presign());
        let attributes = PutAttributes {
            content_type: Some("application/jsonl".to_owned()),
            content_disposition: Some("attachment; filename=\"bulk-1.jsonl\"".to_owned()),
        };
        blobs
            .put_stream_with(
                "results/1/bulk-1.jsonl",
                pieces(&["{}\n"]),
                100,
                &attributes,
            )
            .await
            .unwrap();
        assert_eq!(
            blobs
                .get_range("results/1/bulk-1.jsonl", 0..3, None)
                .await
                .unwrap(),
            "{}\n"
        );
        let link = blobs
            .presigned_url(
                PresignMethod::Get,
                "results/1/bulk-1.jsonl",
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert_eq!(link, None);
    }

    #[test]
    fn unknown_schemes_are_refused_with_the_accepted_forms() {
        for url in [
            "http://example.com/x",
            "s3://",
            "s3:///prefix",
            "not a url",
            "s3://b/p?x=1",
        ] {
            let error = BlobStore::from_url(url).unwrap_err();
            assert!(
                matches!(error, BlobError::UnsupportedUrl(_)),
                "{url}: {error}"
            );
            assert!(
                error.to_string().contains("s3://bucket[/prefix]"),
                "{error}"
            );
        }
    }

    #[test]
    fn cloud_urls_name_the_bucket_and_the_prefix() {
        let url = url::Url::parse("s3://my-bucket/staged/area%20one/").unwrap();
        let (bucket, prefix) = BlobStore::bucket_and_prefix(&url).unwrap();
        assert_eq!(bucket, "my-bucket");
        assert_eq!(prefix.as_ref(), "staged/area one");
        let url = url::Url::parse("az://container").unwrap();
        let (bucket, prefix) = BlobStore::bucket_and_prefix(&url).unwrap();
        assert_eq!(bucket, "container");
        assert_eq!(prefix.as_ref(), "");
    }

    /// Signing needs no server: the link is computed from the credentials alone.
    fn offline_s3(prefix: &str) -> BlobStore {
        let builder = AmazonS3Builder::new()
            .with_region("us-east-1")
            .with_endpoint("http://127.0.0.1:1")
            .with_allow_http(true)
            .with_access_key_id("key")
            .with_secret_access_key("secret");
        BlobStore::s3(builder, "bucket".to_owned(), ObjectPath::from(prefix)).unwrap()
    }

    #[tokio::test]
    async fn presigned_links_carry_the_prefix_the_method_and_the_expiry() {
        let blobs = offline_s3("tenant/a");
        assert_eq!(blobs.bucket(), "bucket");
        assert!(blobs.can_presign());
        let link = blobs
            .presigned_url(PresignMethod::Put, "tmp/1/f.jsonl", Duration::from_secs(90))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(link.path(), "/bucket/tenant/a/tmp/1/f.jsonl");
        let query: std::collections::HashMap<_, _> = link.query_pairs().into_owned().collect();
        assert_eq!(query["X-Amz-Expires"], "90");
        assert!(query.contains_key("X-Amz-Signature"));
        let get = blobs
            .presigned_url(PresignMethod::Get, "tmp/1/f.jsonl", Duration::from_secs(90))
            .await
            .unwrap()
            .unwrap();
        // The method is part of what is signed.
        assert_ne!(
            get.query_pairs()
                .find(|(name, _)| name == "X-Amz-Signature"),
            link.query_pairs()
                .find(|(name, _)| name == "X-Amz-Signature")
        );
        let unscoped = offline_s3("");
        let link = unscoped
            .presigned_url(PresignMethod::Get, "tmp/1/f.jsonl", Duration::from_secs(90))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(link.path(), "/bucket/tmp/1/f.jsonl");
        assert!(matches!(
            unscoped
                .presigned_url(PresignMethod::Get, "a//b", Duration::from_secs(1))
                .await,
            Err(BlobError::InvalidKey(_))
        ));
    }
}
