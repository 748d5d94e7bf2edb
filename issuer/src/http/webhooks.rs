//! An institution's webhooks: register (the signing secret is shown once), list, remove.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::{ApiJson, ApiResult, Caller};
use crate::notifications::webhooks::{self, NewWebhookRequest, WebhookView};
use crate::Issuer;

/// Register a webhook: it receives `credential.issued`, `.revoked`, `.suspended`, `.active`
/// and `.superseded`, signed (`X-Microcred-Signature`).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/webhooks", request_body = NewWebhookRequest,
    responses((status = 201, body = WebhookView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn register(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewWebhookRequest>,
) -> ApiResult<(StatusCode, Json<WebhookView>)> {
    Ok((
        StatusCode::CREATED,
        Json(webhooks::register(&app, &p, &slug, r).await?),
    ))
}

/// The institution's webhooks (never their secrets).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/webhooks", responses((status = 200, body = Vec<WebhookView>)), security(("bearer" = [])))]
pub async fn list(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<WebhookView>>> {
    Ok(Json(webhooks::list(&app, &p, &slug).await?))
}

/// Remove a webhook.
#[utoipa::path(delete, path = "/api/v1/institutions/{slug}/webhooks/{id}", responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn remove(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    webhooks::remove(&app, &p, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
