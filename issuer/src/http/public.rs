//! The public documents: DID documents, achievement definitions, status lists (with `ETag`
//! and a `Cache-Control` matching their `ttl`), and our JSON-LD context.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use microcred_core::status::StatusPurpose;
use microcred_core::urls::StatusListRef;

use super::ApiResult;
use crate::achievements::{self, AchievementView};
use crate::error::IssuerError;
use crate::institutions::keys;
use crate::status_lists::{self, LIST_TTL_SECONDS};
use crate::Issuer;

/// The institution's DID document (did:web).
#[utoipa::path(get, path = "/institutions/{slug}/did.json", responses((status = 200, description = "DID document"), (status = 404)))]
pub async fn did_document(
    State(app): State<Issuer>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let doc = keys::did_document(&app, &slug)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("institution `{slug}`")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/did+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        Json(doc),
    )
        .into_response())
}

/// A micro-credential definition, public (the `id` of `Achievement` in credentials).
#[utoipa::path(get, path = "/institutions/{slug}/achievements/{achievement}", responses((status = 200, body = AchievementView), (status = 404)))]
pub async fn achievement(
    State(app): State<Issuer>,
    Path((slug, achievement)): Path<(String, String)>,
) -> ApiResult<Json<AchievementView>> {
    Ok(Json(
        achievements::public_achievement(&app, &slug, &achievement).await?,
    ))
}

/// A status list credential (W3C Bitstring Status List v1.0), public, with `ETag` and a
/// `Cache-Control` matching its `ttl`.
#[utoipa::path(get, path = "/status/{slug}/{purpose}/{number}", responses((status = 200, description = "BitstringStatusListCredential"), (status = 304), (status = 404)))]
pub async fn status_list(
    State(app): State<Issuer>,
    Path((slug, purpose, number)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let not_found = || IssuerError::not_found("status list");
    let list = StatusListRef {
        institution: slug,
        purpose: StatusPurpose::from_name(&purpose).ok_or_else(not_found)?,
        number: number.parse().map_err(|_| not_found())?,
    };
    let (doc, etag) = status_lists::document(&app, &list)
        .await?
        .ok_or_else(not_found)?;
    let cache = format!("public, max-age={LIST_TTL_SECONDS}");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json".to_owned()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        Json(doc),
    )
        .into_response())
}

/// Our JSON-LD context.
pub async fn context() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        microcred_schemas::MICROCRED_V1,
    )
}
