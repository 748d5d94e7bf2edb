//! Institutions, their API tokens and their signing keys.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiResult, Caller};
use crate::auth::tokens::{self, NewToken, TokenView};
use crate::domain::institution::{InstitutionView, NewInstitutionDoc};
use crate::error::IssuerError;
use crate::institutions::{self as room, keys};
use crate::Issuer;

/// Create an institution with its first signing key (platform administrator).
#[utoipa::path(post, path = "/api/v1/institutions", request_body = NewInstitutionDoc,
    responses((status = 201, body = InstitutionView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create(
    State(app): State<Issuer>,
    Caller(p): Caller,
    ApiJson(doc): ApiJson<NewInstitutionDoc>,
) -> ApiResult<(StatusCode, Json<InstitutionView>)> {
    let n = doc.parse().map_err(IssuerError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(room::create_institution(&app, &p, n).await?),
    ))
}

/// List institutions (platform administrator).
#[utoipa::path(get, path = "/api/v1/institutions", responses((status = 200, body = Vec<InstitutionView>)), security(("bearer" = [])))]
pub async fn list(
    State(app): State<Issuer>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<InstitutionView>>> {
    Ok(Json(room::list_institutions(&app, &p).await?))
}

/// One institution.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}", responses((status = 200, body = InstitutionView), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<InstitutionView>> {
    Ok(Json(room::get_institution(&app, &p, &slug).await?))
}

/// Body of `POST /api/v1/institutions/{slug}/tokens`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for, e.g. `Moodle` or `registrar Ana` (1-100 characters); events it
    /// causes name it.
    pub label: String,
}

/// Create an API token scoped to one institution (platform administrator); shown once.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/tokens", request_body = NewTokenRequest,
    responses((status = 201, body = NewToken)), security(("bearer" = [])))]
pub async fn create_token(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewToken>)> {
    let token = tokens::create_institution_token(&app, &p, &slug, &r.label).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// An institution's API tokens: label, created, last used, revoked - never the secret.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/tokens",
    responses((status = 200, body = Vec<TokenView>)), security(("bearer" = [])))]
pub async fn list_tokens(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(
        tokens::list_institution_tokens(&app, &p, &slug).await?,
    ))
}

/// Revoke an API token: it answers 401 from the next request on.
#[utoipa::path(delete, path = "/api/v1/institutions/{slug}/tokens/{id}",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn revoke_token(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    tokens::revoke_institution_token(&app, &p, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The new key id after a rotation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotatedKey {
    /// e.g. `key-2`.
    pub kid: String,
}

/// Rotate the institution's signing key (old keys stay in the DID document).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/keys/rotate", responses((status = 200, body = RotatedKey)), security(("bearer" = [])))]
pub async fn rotate_key(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<RotatedKey>> {
    Ok(Json(RotatedKey {
        kid: keys::rotate_key(&app, &p, &slug).await?,
    }))
}

/// Upload the institution's electronic seal (PKCS#12 as base64, or PEM), which seals its
/// Europass credentials; replaces the one it had. The key is kept encrypted; the password is
/// not kept.
#[utoipa::path(put, path = "/api/v1/institutions/{slug}/eseal", request_body = crate::institutions::eseal::EsealUpload,
    responses((status = 200, body = crate::institutions::eseal::EsealView), (status = 422)), security(("bearer" = [])))]
pub async fn upload_eseal(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(u): ApiJson<crate::institutions::eseal::EsealUpload>,
) -> ApiResult<Json<crate::institutions::eseal::EsealView>> {
    Ok(Json(room::eseal::upload(&app, &p, &slug, &u).await?))
}

/// What the institution's seal certificate says.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/eseal",
    responses((status = 200, body = crate::institutions::eseal::EsealView), (status = 404)), security(("bearer" = [])))]
pub async fn show_eseal(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<crate::institutions::eseal::EsealView>> {
    Ok(Json(room::eseal::show(&app, &p, &slug).await?))
}

/// Remove the institution's electronic seal.
#[utoipa::path(delete, path = "/api/v1/institutions/{slug}/eseal",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn remove_eseal(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    room::eseal::remove(&app, &p, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Upload the institution's logo: the PNG or JPEG file itself as the body (at most 1 MiB and
/// 4096 pixels a side); stored as a PNG at most 512 pixels on its longer side, and shown on
/// its PDF certificates and Europass credentials. Replaces the one it had.
#[utoipa::path(put, path = "/api/v1/institutions/{slug}/logo",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = crate::institutions::logo::LogoView), (status = 422)), security(("bearer" = [])))]
pub async fn upload_logo(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<crate::institutions::logo::LogoView>> {
    Ok(Json(room::logo::upload(&app, &p, &slug, &body).await?))
}

/// The institution's stored logo (PNG).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/logo",
    responses((status = 200, content_type = "image/png"), (status = 404)), security(("bearer" = [])))]
pub async fn show_logo(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let png = room::logo::show(&app, &p, &slug).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "image/png")], png))
}

/// Remove the institution's logo.
#[utoipa::path(delete, path = "/api/v1/institutions/{slug}/logo",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn remove_logo(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    room::logo::remove(&app, &p, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}
