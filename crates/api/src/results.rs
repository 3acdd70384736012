//! `GET /bulk-results/{key}?expires=..&signature=..`: a result JSONL, streamed from the blob store.

use crate::app::AppState;
use crate::error::ApiError;
use crate::uploads::{verify_link, LinkQuery};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn download(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<LinkQuery>,
) -> Result<Response, ApiError> {
    verify_link(&state, "GET", &key, &query)?;
    let (version, stream) = match state.services.engine.blobs().get_stream(&key, None).await {
        Ok(found) => found,
        Err(stevedore_blob::BlobError::NotFound(_)) => {
            return Err(ApiError::storage(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            ))
        }
        Err(error) => return Err(ApiError::internal(error)),
    };
    let filename = key.rsplit('/').next().unwrap_or("result.jsonl").to_owned();
    Ok((
        [
            (header::CONTENT_TYPE, "application/jsonl".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CONTENT_LENGTH, version.size.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
