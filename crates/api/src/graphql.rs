//! `POST /admin/api/{version}/graphql.json`.

use crate::app::AppState;
use crate::error::ApiError;
use async_graphql_axum::GraphQLRequest;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use stevedore_core::ApiVersion;

pub async fn handle(
    State(state): State<AppState>,
    Path(version): Path<String>,
    headers: HeaderMap,
    request: GraphQLRequest<ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let version = ApiVersion::parse(&version).ok_or(ApiError::NotFound)?;
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|value| value.to_str().ok())
        .ok_or(ApiError::Unauthorized)?;
    let caller = state
        .services
        .engine
        .store()
        .authenticate(token)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(
        stevedore_admin::execute(&state.services, caller, version, request.into_inner()).await,
    ))
}
