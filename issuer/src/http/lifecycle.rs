//! A credential's state: read it; revoke, suspend, unsuspend, renew, correct.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::{ApiJson, ApiResult, Caller};
use crate::issuance::Issued;
use crate::lifecycle::correct::{self, CorrectionRequest};
use crate::lifecycle::history::{self, CredentialStateView};
use crate::lifecycle::renew::{self, RenewalRequest};
use crate::lifecycle::state::Transition;
use crate::lifecycle::transitions;
use crate::Issuer;

/// A status change request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    /// Why (1-500 characters; kept for the audit trail, never shown publicly).
    pub reason: String,
}

/// A credential's state and the history of its changes (with reasons and who acted).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/credentials/{code}", responses((status = 200, body = CredentialStateView), (status = 404)), security(("bearer" = [])))]
pub async fn state(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
) -> ApiResult<Json<CredentialStateView>> {
    Ok(Json(
        history::get_credential_state(&app, &p, &slug, &code).await?,
    ))
}

async fn change(
    app: Issuer,
    p: crate::auth::Principal,
    (slug, code): (String, String),
    t: Transition,
    r: StatusChangeRequest,
) -> ApiResult<Json<CredentialStateView>> {
    Ok(Json(
        transitions::change(&app, &p, &slug, &code, t, &r.reason).await?,
    ))
}

/// Revoke a credential (final). Every verifier sees it within a minute.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/revoke", request_body = StatusChangeRequest,
    responses((status = 200, body = CredentialStateView), (status = 409, description = "already revoked or superseded")), security(("bearer" = [])))]
pub async fn revoke(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(at): Path<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<CredentialStateView>> {
    change(app, p, at, Transition::Revoke, r).await
}

/// Suspend an active credential.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/suspend", request_body = StatusChangeRequest,
    responses((status = 200, body = CredentialStateView), (status = 409)), security(("bearer" = [])))]
pub async fn suspend(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(at): Path<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<CredentialStateView>> {
    change(app, p, at, Transition::Suspend, r).await
}

/// Lift a suspension.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/unsuspend", request_body = StatusChangeRequest,
    responses((status = 200, body = CredentialStateView), (status = 409)), security(("bearer" = [])))]
pub async fn unsuspend(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(at): Path<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<CredentialStateView>> {
    change(app, p, at, Transition::Unsuspend, r).await
}

/// Renew: a new credential for the same learner, valid from now and never for less, that
/// supersedes the old one.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/renew", request_body = RenewalRequest,
    responses((status = 201, body = Issued), (status = 409, description = "revoked, superseded or suspended"), (status = 422)), security(("bearer" = [])))]
pub async fn renew(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
    ApiJson(r): ApiJson<RenewalRequest>,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    Ok((
        StatusCode::CREATED,
        Json(renew::renew(&app, &p, &slug, &code, r).await?),
    ))
}

/// Correct (right to rectification): re-issue with the fix; the old credential is
/// superseded and points to the new one.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/correct", request_body = CorrectionRequest,
    responses((status = 201, body = Issued), (status = 409, description = "revoked, superseded or suspended"), (status = 422)), security(("bearer" = [])))]
pub async fn correct(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
    ApiJson(r): ApiJson<CorrectionRequest>,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    Ok((
        StatusCode::CREATED,
        Json(correct::correct(&app, &p, &slug, &code, r).await?),
    ))
}
