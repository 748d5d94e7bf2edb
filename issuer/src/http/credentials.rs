//! Issuing one credential (idempotent), the institution's list, exports and holder links
//! (bulk CSV: `bulk_jobs.rs`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;

use super::{ApiJson, ApiResult, Caller};
use crate::domain::issuance::IssueRequestDoc;
use crate::error::IssuerError;
use crate::issuance::{self, single, Issued};
use crate::Issuer;

/// Issue one credential. Send `Idempotency-Key` (or `idempotencyKey`) to make retries safe.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials", request_body = IssueRequestDoc,
    params(("Idempotency-Key" = Option<String>, Header, description = "same key, same request: the first credential is returned")),
    responses((status = 201, body = Issued), (status = 200, body = Issued, description = "returned for a repeated idempotency key"),
        (status = 409, description = "idempotency key reused for another request"), (status = 422)), security(("bearer" = [])))]
pub async fn issue(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    headers: HeaderMap,
    ApiJson(doc): ApiJson<IssueRequestDoc>,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| {
            IssuerError::invalid(
                "idempotencyKey",
                "",
                "the Idempotency-Key header must be text",
            )
        })?;
    let issued = single::issue(&app, &p, &slug, doc, key).await?;
    let status = if issued.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(issued)))
}

/// Query of `GET .../credentials`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
}

/// The institution's credentials, newest first.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/credentials", params(ListQuery), responses((status = 200, body = Vec<Issued>)), security(("bearer" = [])))]
pub async fn list(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Issued>>> {
    Ok(Json(
        issuance::list_credentials(&app, &p, &slug, q.limit.unwrap_or(100)).await?,
    ))
}

/// A credential in another form: `credential.json`, `badge.svg` or `badge.png` (Open Badges
/// 3.0 baked images).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/credentials/{code}/exports/{file}",
    responses((status = 200, description = "the file"), (status = 404)), security(("bearer" = [])))]
pub async fn export(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, code, file)): Path<(String, String, String)>,
) -> ApiResult<axum::response::Response> {
    let d = crate::exports::institution_export(&app, &p, &slug, &code, &file).await?;
    Ok(super::holder::attachment(d))
}

/// Send the learner's private link again (by e-mail).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/holder-link/resend",
    responses((status = 200, body = crate::holder::HolderLinkChange), (status = 404)), security(("bearer" = [])))]
pub async fn resend_holder_link(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
) -> ApiResult<Json<crate::holder::HolderLinkChange>> {
    Ok(Json(
        crate::holder::change_link(&app, &p, &slug, &code, false).await?,
    ))
}

/// Revoke the learner's private link (it stops working at once) and send them a new one.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/holder-link/revoke",
    responses((status = 200, body = crate::holder::HolderLinkChange), (status = 404)), security(("bearer" = [])))]
pub async fn revoke_holder_link(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
) -> ApiResult<Json<crate::holder::HolderLinkChange>> {
    Ok(Json(
        crate::holder::change_link(&app, &p, &slug, &code, true).await?,
    ))
}
