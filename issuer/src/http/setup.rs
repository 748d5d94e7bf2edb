//! `POST /api/v1/setup`: the one-time setup token for the administrator's API token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiResult};
use crate::auth::setup;
use crate::Issuer;

/// Body of `POST /api/v1/setup`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time token printed in the log at start-up (valid 24 hours).
    pub setup_token: String,
}

/// A token, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The API token: keep it secret; it is not shown again.
    pub token: String,
}

/// Exchange the one-time setup token for the platform administrator's API token.
#[utoipa::path(post, path = "/api/v1/setup", request_body = SetupRequest,
    responses((status = 201, body = TokenResponse), (status = 403, description = "wrong, expired or used token")))]
pub async fn setup(
    State(app): State<Issuer>,
    ApiJson(r): ApiJson<SetupRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let token = setup::complete_setup(&app, &r.setup_token).await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}
