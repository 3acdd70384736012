//! Staged uploads: the multipart POST form (S3/GCS browser-upload style) and the signed PUT.
//! Both stream the file into the blob store; neither holds it in memory.

use crate::app::AppState;
use crate::error::{xml_element, ApiError};
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use serde::Deserialize;
use stevedore_blob::{BlobError, PolicyError, PostPolicy, StoredObject};
use stevedore_core::limits::MAX_STAGED_FILE_BYTES;
use stevedore_core::ShopId;
use stevedore_store::uploads::StagedUpload;

/// Longest value accepted for a form field other than `file`.
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Most fields accepted before `file` (a target has nine).
const MAX_FIELDS: usize = 32;
/// PUT uploads are not size-checked at upload (the run step refuses large files, as the hosted
/// API does), but a bound keeps a runaway client from filling the disk.
const MAX_PUT_BYTES: u64 = 2 * MAX_STAGED_FILE_BYTES;

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::storage(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

fn policy_error(error: PolicyError) -> ApiError {
    let code = match &error {
        PolicyError::SignatureMismatch => "SignatureDoesNotMatch",
        PolicyError::Expired(_) | PolicyError::ConditionFailed(..) => "AccessDenied",
        PolicyError::MissingField(_) | PolicyError::MalformedPolicy => "InvalidArgument",
    };
    let status = if error.is_forbidden() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::storage(status, code, error.to_string())
}

fn store_error(error: BlobError) -> ApiError {
    match error {
        BlobError::TooLarge { limit } => ApiError::storage(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            format!("Your proposed upload exceeds the maximum allowed size of {limit} bytes."),
        ),
        BlobError::Source(detail) => {
            bad_request(format!("the upload body could not be read: {detail}"))
        }
        other => ApiError::internal(other),
    }
}

/// The shop a staged key belongs to: `tmp/<shop id>/bulk/<uuid>/<file>`.
fn shop_of(key: &str) -> Option<ShopId> {
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("tmp"), Some(shop), Some("bulk")) => shop.parse().ok().map(ShopId),
        _ => None,
    }
}

async fn record(
    state: &AppState,
    key: &str,
    shop_id: ShopId,
    stored: &StoredObject,
) -> Result<(), ApiError> {
    // The version now at the key, read back because a streamed put does not report it (and a
    // bucket's rename is a copy, which makes a version of its own).
    let version = state
        .services
        .engine
        .blobs()
        .head(key)
        .await
        .map_err(ApiError::internal)?;
    let upload = StagedUpload {
        key: key.to_owned(),
        shop_id,
        size: stored.size,
        md5_hex: stored.md5_hex.clone(),
        e_tag: version.and_then(|version| version.e_tag),
    };
    state
        .services
        .engine
        .store()
        .record_upload(&upload)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(blob.key = key, bytes = stored.size, "staged upload stored");
    Ok(())
}

/// `POST /staged-uploads`: the form's fields, then `file` last.
pub async fn post(
    State(state): State<AppState>,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let mut fields: Vec<(String, String)> = Vec::new();
    let malformed = |error: axum::extract::multipart::MultipartError| {
        bad_request(format!("malformed multipart body: {}", error.body_text()))
    };
    let file = loop {
        let Some(field) = form.next_field().await.map_err(malformed)? else {
            return Err(bad_request("the form has no 'file' field"));
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            break field;
        }
        if fields.len() == MAX_FIELDS {
            return Err(bad_request(format!(
                "the form has more than {MAX_FIELDS} fields before 'file'"
            )));
        }
        // Read field by field, refusing one too long before it is all in memory.
        let mut field = field;
        let mut value = Vec::new();
        while let Some(piece) = field.chunk().await.map_err(malformed)? {
            if value.len() + piece.len() > MAX_FIELD_BYTES {
                return Err(bad_request(format!("the form field '{name}' is too long")));
            }
            value.extend_from_slice(&piece);
        }
        fields.push((name, String::from_utf8_lossy(&value).into_owned()));
    };
    let now = services.engine.store().clock().now();
    let verified = PostPolicy::verify(
        &services.signer,
        services.engine.blobs().bucket(),
        &fields,
        now,
    )
    .map_err(policy_error)?;
    let shop_id =
        shop_of(&verified.key).ok_or_else(|| bad_request("the key is not a staged upload key"))?;
    let blobs = services.engine.blobs();
    // The file lands beside its key and replaces what is there only once the whole form is
    // accepted, so a refused re-upload never destroys an earlier good one.
    let incoming = format!(
        "{}.incoming-{}",
        verified.key,
        uuid::Uuid::new_v4().simple()
    );
    let stored = blobs
        .put_stream(&incoming, file, verified.max_bytes)
        .await
        .map_err(store_error)?;

    // The file must be the last field: anything after it means the client built the form wrong.
    let trailing = form.next_field().await.map_err(malformed);
    let refusal = match trailing {
        Ok(None) if stored.size < verified.min_bytes => Some(ApiError::storage(
            StatusCode::BAD_REQUEST,
            "EntityTooSmall",
            format!(
                "Your proposed upload is smaller than the minimum allowed size of {} bytes.",
                verified.min_bytes
            ),
        )),
        Ok(None) => None,
        Ok(Some(field)) => Some(bad_request(format!(
            "the 'file' field must be the last field of the form, but '{}' follows it",
            field.name().unwrap_or_default()
        ))),
        Err(error) => Some(error),
    };
    if let Some(refusal) = refusal {
        blobs.delete(&incoming).await.map_err(ApiError::internal)?;
        return Err(refusal);
    }
    blobs
        .rename(&incoming, &verified.key)
        .await
        .map_err(ApiError::internal)?;
    record(&state, &verified.key, shop_id, &stored).await?;

    let location = format!("{}/{}", services.upload_url(), verified.key);
    let body = format!(
        "<?xml version='1.0' encoding='UTF-8'?><PostResponse>{}{}{}{}</PostResponse>",
        xml_element("Location", &location),
        xml_element("Bucket", blobs.bucket()),
        xml_element("Key", &verified.key),
        xml_element("ETag", &format!("\"{}\"", stored.md5_hex)),
    );
    Ok((
        StatusCode::CREATED,
        [
            (header::CONTENT_TYPE, "application/xml"),
            (header::ETAG, &format!("\"{}\"", stored.md5_hex)),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LinkQuery {
    expires: Option<i64>,
    signature: Option<String>,
}

/// Verifies a signed link for `method` on `key`.
pub fn verify_link(
    state: &AppState,
    method: &str,
    key: &str,
    query: &LinkQuery,
) -> Result<(), ApiError> {
    let (Some(expires), Some(signature)) = (query.expires, query.signature.as_deref()) else {
        return Err(ApiError::storage(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "the link is not signed",
        ));
    };
    if !state
        .services
        .signer
        .verify_link(method, key, expires, signature)
    {
        return Err(ApiError::storage(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "the request signature we calculated does not match the signature you provided",
        ));
    }
    if expires <= state.services.engine.store().clock().now().timestamp() {
        return Err(ApiError::storage(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "the link has expired",
        ));
    }
    Ok(())
}

/// `PUT /staged-uploads/{key}?expires=..&signature=..`: the body is the file; 200 with no body.
pub async fn put(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<LinkQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    verify_link(&state, "PUT", &key, &query)?;
    let shop_id = shop_of(&key).ok_or_else(|| bad_request("the key is not a staged upload key"))?;
    let stream = body.into_data_stream().map_err(|error| error.to_string());
    let stored = state
        .services
        .engine
        .blobs()
        .put_stream(&key, stream, MAX_PUT_BYTES)
        .await
        .map_err(store_error)?;
    record(&state, &key, shop_id, &stored).await?;
    Ok((
        StatusCode::OK,
        [(header::ETAG, format!("\"{}\"", stored.md5_hex))],
    )
        .into_response())
}
