//! The store's behaviours against a real S3-compatible service, named by
//! `STEVEDORE_TEST_BLOB_URL=s3://bucket[/prefix]` with the `AWS_*` variables that reach it
//! (`.ci/s3-server` starts one on loopback and prints them). Without the variable each test says
//! it is skipped and passes; with it, a service that does not answer fails every test.
//!
//! Each test works under a fresh prefix, so runs never see each other's objects.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use std::io::Write;
use std::ops::Range;
use std::time::Duration;
use stevedore_blob::{BlobError, BlobStore, PresignMethod, PutAttributes};

const URL_VAR: &str = "STEVEDORE_TEST_BLOB_URL";

/// A store under a prefix of its own, or None (after saying so) when no service is configured.
async fn store(test: &str) -> Option<BlobStore> {
    let Ok(base) = std::env::var(URL_VAR) else {
        // Straight to stderr: the harness hides what print macros write in a passing test.
        let _ = writeln!(std::io::stderr(), "{test}: skipped: {URL_VAR} not set");
        return None;
    };
    assert!(
        base.starts_with("s3://"),
        "{URL_VAR}={base:?}: these tests need an s3:// URL"
    );
    // object_store retries a refused connection for minutes; ask once, briefly, so a service
    // that is down fails the test at once and says why.
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT") {
        let answer = reqwest::Client::new()
            .get(&endpoint)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if let Err(error) = answer {
            panic!("{URL_VAR} is set but the service at AWS_ENDPOINT={endpoint} does not answer: {error}");
        }
    }
    let url = format!(
        "{}/test-{}",
        base.trim_end_matches('/'),
        uuid::Uuid::new_v4()
    );
    let blobs = BlobStore::from_url(&url).unwrap_or_else(|error| panic!("{url}: {error}"));
    assert!(blobs.can_presign());
    Some(blobs)
}

fn pieces(parts: &[&[u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    futures::stream::iter(
        parts
            .iter()
            .map(|part| Ok(Bytes::copy_from_slice(part)))
            .collect::<Vec<_>>(),
    )
}

/// The byte at `offset` of the large test object: varied enough that a misplaced range shows.
fn pattern(offset: u64) -> u8 {
    (offset ^ (offset >> 8) ^ (offset >> 17)).wrapping_mul(31) as u8
}

fn pattern_bytes(range: Range<u64>) -> Vec<u8> {
    range.map(pattern).collect()
}

/// `size` bytes of the pattern in 64 KiB pieces, produced as they are read.
fn pattern_stream(size: u64) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    const PIECE: u64 = 64 * 1024;
    futures::stream::iter((0..size.div_ceil(PIECE)).map(move |index| {
        let start = index * PIECE;
        Ok(Bytes::from(pattern_bytes(start..size.min(start + PIECE))))
    }))
}

fn signature_of(url: &url::Url) -> String {
    url.query_pairs()
        .find(|(name, _)| name == "X-Amz-Signature")
        .map(|(_, value)| value.into_owned())
        .expect("a SigV4 presigned URL")
}

#[tokio::test]
async fn a_large_put_goes_up_in_parts_and_reads_back_by_range() {
    let Some(blobs) = store("a_large_put_goes_up_in_parts_and_reads_back_by_range").await else {
        return;
    };
    const MIB: u64 = 1024 * 1024;
    let size = 25 * MIB + 12_345;
    let key = "tmp/1/bulk/large/bulk_op_vars";
    let stored = blobs
        .put_stream(key, pattern_stream(size), size)
        .await
        .unwrap();
    assert_eq!(stored.size, size);
    let mut expected_md5 = Md5::new();
    expected_md5.update(pattern_bytes(0..size));
    assert_eq!(stored.md5_hex, hex::encode(expected_md5.finalize()));

    let version = blobs.head(key).await.unwrap().expect("the object");
    assert_eq!(version.size, size);
    let e_tag = version.e_tag.clone().expect("an entity tag");
    // A multipart object's tag ends in the number of its parts.
    let parts: u32 = e_tag
        .trim_matches('"')
        .rsplit_once('-')
        .and_then(|(_, parts)| parts.parse().ok())
        .unwrap_or_else(|| panic!("{e_tag} is not a multipart entity tag"));
    assert!(parts >= 3, "{e_tag}: expected at least 3 parts");

    for range in [
        0..100,
        10 * MIB - 50..10 * MIB + 50,
        20 * MIB - 1..20 * MIB + 1,
        size - 10..size,
    ] {
        let read = blobs
            .get_range(key, range.clone(), Some(&e_tag))
            .await
            .unwrap();
        assert_eq!(read, pattern_bytes(range.clone()), "range {range:?}");
    }

    let (read_version, mut stream) = blobs.get_stream(key, Some(&e_tag)).await.unwrap();
    assert_eq!(read_version, version);
    let mut read_md5 = Md5::new();
    let mut read_size = 0;
    while let Some(piece) = stream.next().await {
        let piece = piece.unwrap();
        read_size += piece.len() as u64;
        read_md5.update(&piece);
    }
    assert_eq!(read_size, size);
    assert_eq!(hex::encode(read_md5.finalize()), stored.md5_hex);

    // An upload past its limit, already several parts in, is aborted and leaves nothing.
    let error = blobs
        .put_stream("tmp/1/bulk/large/too-big", pattern_stream(size), 12 * MIB)
        .await
        .unwrap_err();
    assert!(
        matches!(error, BlobError::TooLarge { limit } if limit == 12 * MIB),
        "{error}"
    );
    assert_eq!(blobs.head("tmp/1/bulk/large/too-big").await.unwrap(), None);

    blobs.delete(key).await.unwrap();
}

#[tokio::test]
async fn reads_pinned_to_a_version_fail_once_it_is_replaced_or_removed() {
    let Some(blobs) = store("reads_pinned_to_a_version_fail_once_it_is_replaced_or_removed").await
    else {
        return;
    };
    let stored = blobs
        .put_stream("k/f", pieces(&[b"first\n"]), 100)
        .await
        .unwrap();
    let first = blobs.head("k/f").await.unwrap().expect("the object");
    let first_tag = first.e_tag.clone().expect("an entity tag");
    println!(
        "single-part entity tag {first_tag}, MD5 of the content {}",
        stored.md5_hex
    );
    // The tag from `head` is given back as it came; the service accepts it bare too.
    assert_eq!(
        blobs
            .get_range("k/f", 0..5, Some(&first_tag))
            .await
            .unwrap(),
        "first"
    );
    assert_eq!(
        blobs
            .get_range("k/f", 0..5, Some(first_tag.trim_matches('"')))
            .await
            .unwrap(),
        "first"
    );

    // Replaced the way the engine replaces objects: a put elsewhere, then a rename over it.
    blobs
        .put_stream("k/next", pieces(&[b"second\n"]), 100)
        .await
        .unwrap();
    blobs.rename("k/next", "k/f").await.unwrap();
    assert_eq!(blobs.head("k/next").await.unwrap(), None);
    let error = blobs
        .get_range("k/f", 0..5, Some(&first_tag))
        .await
        .unwrap_err();
    assert!(matches!(error, BlobError::Changed(_)), "{error}");
    let Err(error) = blobs.get_stream("k/f", Some(&first_tag)).await else {
        panic!("a stream of a replaced version opened");
    };
    assert!(matches!(error, BlobError::Changed(_)), "{error}");
    let second = blobs.head("k/f").await.unwrap().expect("the object");
    assert_ne!(second.e_tag, first.e_tag);
    assert_eq!(
        blobs
            .get_range("k/f", 0..6, second.e_tag.as_deref())
            .await
            .unwrap(),
        "second"
    );

    blobs.delete("k/f").await.unwrap();
    let error = blobs.get_range("k/f", 0..5, None).await.unwrap_err();
    assert!(matches!(error, BlobError::NotFound(_)), "{error}");
    let error = blobs
        .get_range("k/f", 0..5, second.e_tag.as_deref())
        .await
        .unwrap_err();
    assert!(matches!(error, BlobError::NotFound(_)), "{error}");
    assert_eq!(blobs.head("k/f").await.unwrap(), None);
    // Deleting what is not there is not an error.
    blobs.delete("k/f").await.unwrap();
}

#[tokio::test]
async fn a_presigned_put_uploads_an_object_the_store_reads() {
    let Some(blobs) = store("a_presigned_put_uploads_an_object_the_store_reads").await else {
        return;
    };
    let key = "tmp/1/bulk/presigned/bulk_op_vars";
    let link = blobs
        .presigned_url(PresignMethod::Put, key, Duration::from_secs(300))
        .await
        .unwrap()
        .expect("S3 signs");
    assert!(link.path().ends_with(key), "{link}");
    let body = "{\"input\":{\"title\":\"Snowboard\"}}\n";
    let response = reqwest::Client::new()
        .put(link)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let version = blobs.head(key).await.unwrap().expect("the uploaded object");
    assert_eq!(version.size, body.len() as u64);
    assert_eq!(
        blobs
            .get_range(key, 0..body.len() as u64, version.e_tag.as_deref())
            .await
            .unwrap(),
        body
    );
    blobs.delete(key).await.unwrap();
}

#[tokio::test]
async fn a_presigned_get_downloads_the_bytes_with_their_type_and_name() {
    let Some(blobs) = store("a_presigned_get_downloads_the_bytes_with_their_type_and_name").await
    else {
        return;
    };
    let key = "results/1/bulk-7.jsonl";
    let body: &[u8] = b"{\"data\":{},\"__lineNumber\":0}\n";
    let attributes = PutAttributes {
        content_type: Some("application/jsonl".to_owned()),
        content_disposition: Some("attachment; filename=\"bulk-7.jsonl\"".to_owned()),
    };
    blobs
        .put_stream_with(key, pieces(&[body]), 1_000, &attributes)
        .await
        .unwrap();
    let link = blobs
        .presigned_url(PresignMethod::Get, key, Duration::from_secs(300))
        .await
        .unwrap()
        .expect("S3 signs");
    let response = reqwest::get(link).await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    assert_eq!(header("content-type").as_deref(), Some("application/jsonl"));
    assert_eq!(
        header("content-disposition").as_deref(),
        Some("attachment; filename=\"bulk-7.jsonl\"")
    );
    assert_eq!(response.bytes().await.unwrap(), body);
    blobs.delete(key).await.unwrap();
}

#[tokio::test]
async fn tampered_misused_or_expired_links_are_refused() {
    let Some(blobs) = store("tampered_misused_or_expired_links_are_refused").await else {
        return;
    };
    for key in ["results/1/bulk-1.jsonl", "results/2/bulk-2.jsonl"] {
        blobs
            .put_stream(key, pieces(&[b"{}\n"]), 100)
            .await
            .unwrap();
    }
    let client = reqwest::Client::new();
    let status = |link: url::Url| {
        let request = client.get(link);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let link = blobs
        .presigned_url(
            PresignMethod::Get,
            "results/1/bulk-1.jsonl",
            Duration::from_secs(300),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status(link.clone()).await, 200);

    // Another signature.
    let signature = signature_of(&link);
    let flipped = if signature.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{flipped}", &signature[..signature.len() - 1]);
    let mut tampered = link.clone();
    tampered.set_query(Some(&link.query().unwrap().replace(
        &format!("X-Amz-Signature={signature}"),
        &format!("X-Amz-Signature={forged}"),
    )));
    assert_ne!(tampered, link);
    assert_eq!(status(tampered).await, 403);

    // Another object with the same signature.
    let mut elsewhere = link.clone();
    elsewhere.set_path(&link.path().replace("results/1/bulk-1", "results/2/bulk-2"));
    assert_eq!(status(elsewhere).await, 403);

    // An upload link used to download.
    let upload = blobs
        .presigned_url(
            PresignMethod::Put,
            "results/1/bulk-1.jsonl",
            Duration::from_secs(300),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status(upload).await, 403);

    // A link past its expiry: refused as a client error (AWS says 403, Garage 400).
    let short = blobs
        .presigned_url(
            PresignMethod::Get,
            "results/1/bulk-1.jsonl",
            Duration::from_secs(2),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status(short.clone()).await, 200);
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let expired = status(short).await;
    assert!(
        expired == 403 || expired == 400,
        "an expired link got {expired}"
    );

    for key in ["results/1/bulk-1.jsonl", "results/2/bulk-2.jsonl"] {
        blobs.delete(key).await.unwrap();
    }
}
