//! Handlers: extract, call the [`Issuer`](crate::Issuer), map the result.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{ApiJson, Caller};
use crate::bulk::{BulkReport, RowOutcome};
use crate::domain::institution::{InstitutionView, NewInstitutionDoc};
use crate::domain::issuance::{EvidenceDoc, IssueRequestDoc, LearnerDoc};
use crate::error::{ApiError, IssuerError};
use crate::lifecycle::{
    CorrectionRequest, CredentialStateView, RenewalRequest, StatusChangeRequest,
};
use crate::service::{AchievementView, Issued, QrLinks};
use crate::IssuerState;

type ApiResult<T> = Result<T, ApiError>;

/// The issuer's routes.
pub fn router() -> Router<IssuerState> {
    Router::new()
        .route("/api/v1/setup", post(setup))
        .route(
            "/api/v1/institutions",
            post(create_institution).get(list_institutions),
        )
        .route("/api/v1/institutions/{slug}", get(get_institution))
        .route("/api/v1/institutions/{slug}/tokens", post(create_token))
        .route("/api/v1/institutions/{slug}/keys/rotate", post(rotate_key))
        .route(
            "/api/v1/institutions/{slug}/achievements",
            post(create_achievement).get(list_achievements),
        )
        .route(
            "/api/v1/institutions/{slug}/achievements/{achievement}",
            get(get_achievement).put(update_achievement),
        )
        .route(
            "/api/v1/institutions/{slug}/achievements/{achievement}/credentials/bulk",
            post(issue_bulk),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials",
            post(issue).get(list_credentials),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}",
            get(credential_state),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/revoke",
            post(revoke),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/suspend",
            post(suspend),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/unsuspend",
            post(unsuspend),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/renew",
            post(renew),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/correct",
            post(correct),
        )
        .route("/status/{slug}/{purpose}/{number}", get(status_list))
        .route("/credentials/issue", post(vc_api_issue))
        .route("/institutions/{slug}/did.json", get(did_document))
        .route(
            "/institutions/{slug}/achievements/{achievement}",
            get(public_achievement),
        )
        .route("/contexts/microcred-v1.jsonld", get(context))
}

/// Body of `POST /api/v1/setup`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time token printed in the log on first run.
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
    responses((status = 201, body = TokenResponse), (status = 403, description = "wrong or used token")))]
async fn setup(
    State(s): State<IssuerState>,
    ApiJson(r): ApiJson<SetupRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let token = s.issuer.complete_setup(&r.setup_token).await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}

/// Create an institution with its first signing key (platform administrator).
#[utoipa::path(post, path = "/api/v1/institutions", request_body = NewInstitutionDoc,
    responses((status = 201, body = InstitutionView), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_institution(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    ApiJson(doc): ApiJson<NewInstitutionDoc>,
) -> ApiResult<(StatusCode, Json<InstitutionView>)> {
    let n = doc.parse().map_err(IssuerError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(s.issuer.create_institution(&p, n).await?),
    ))
}

/// List institutions (platform administrator).
#[utoipa::path(get, path = "/api/v1/institutions", responses((status = 200, body = Vec<InstitutionView>)), security(("bearer" = [])))]
async fn list_institutions(
    State(s): State<IssuerState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<InstitutionView>>> {
    Ok(Json(s.issuer.list_institutions(&p).await?))
}

/// One institution.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}", responses((status = 200, body = InstitutionView), (status = 404)), security(("bearer" = [])))]
async fn get_institution(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<InstitutionView>> {
    Ok(Json(s.issuer.get_institution(&p, &slug).await?))
}

/// Body of `POST /api/v1/institutions/{slug}/tokens`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for, e.g. `Moodle` or `registrar Ana`.
    pub label: String,
}

/// Create an API token scoped to one institution (platform administrator).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/tokens", request_body = NewTokenRequest,
    responses((status = 201, body = TokenResponse)), security(("bearer" = [])))]
async fn create_token(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let token = s
        .issuer
        .create_institution_token(&p, &slug, &r.label)
        .await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}

/// The new key id after a rotation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotatedKey {
    /// e.g. `key-2`.
    pub kid: String,
}

/// Rotate the institution's signing key (old keys stay in the DID document).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/keys/rotate", responses((status = 200, body = RotatedKey)), security(("bearer" = [])))]
async fn rotate_key(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<RotatedKey>> {
    Ok(Json(RotatedKey {
        kid: s.issuer.rotate_key(&p, &slug).await?,
    }))
}

/// Body of `POST .../achievements`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAchievementRequest {
    /// URL name of the achievement.
    pub slug: String,
    /// The definition (JSON Schema `achievement-definition.schema.json`).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// Body of `PUT .../achievements/{achievement}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAchievementRequest {
    /// The new definition (a new version is created).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// Define a micro-credential (version 1).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/achievements", request_body = NewAchievementRequest,
    responses((status = 201, body = AchievementView), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_achievement(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewAchievementRequest>,
) -> ApiResult<(StatusCode, Json<AchievementView>)> {
    let v = s
        .issuer
        .create_achievement(&p, &slug, &r.slug, &r.definition)
        .await
        .map_err(|e| under(e, "/definition"))?;
    Ok((StatusCode::CREATED, Json(v)))
}

fn under(e: IssuerError, prefix: &str) -> IssuerError {
    match e {
        IssuerError::Validation(errs) => {
            IssuerError::Validation(microcred_core::model::ModelErrors(
                errs.0
                    .into_iter()
                    .map(|e| {
                        if e.path.starts_with('/') && e.element != "slug" {
                            e.under(prefix)
                        } else {
                            e
                        }
                    })
                    .collect(),
            ))
        }
        e => e,
    }
}

/// Change a micro-credential: creates a new version.
#[utoipa::path(put, path = "/api/v1/institutions/{slug}/achievements/{achievement}", request_body = UpdateAchievementRequest,
    responses((status = 200, body = AchievementView)), security(("bearer" = [])))]
async fn update_achievement(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, achievement)): Path<(String, String)>,
    ApiJson(r): ApiJson<UpdateAchievementRequest>,
) -> ApiResult<Json<AchievementView>> {
    let v = s
        .issuer
        .update_achievement(&p, &slug, &achievement, &r.definition)
        .await
        .map_err(|e| under(e, "/definition"))?;
    Ok(Json(v))
}

/// One achievement at its current version.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/achievements/{achievement}", responses((status = 200, body = AchievementView)), security(("bearer" = [])))]
async fn get_achievement(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, achievement)): Path<(String, String)>,
) -> ApiResult<Json<AchievementView>> {
    Ok(Json(
        s.issuer.get_achievement(&p, &slug, &achievement).await?,
    ))
}

/// The institution's achievements.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/achievements", responses((status = 200, body = Vec<AchievementView>)), security(("bearer" = [])))]
async fn list_achievements(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<AchievementView>>> {
    Ok(Json(s.issuer.list_achievements(&p, &slug).await?))
}

/// Issue one credential. Send `Idempotency-Key` (or `idempotencyKey`) to make retries safe.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials", request_body = IssueRequestDoc,
    params(("Idempotency-Key" = Option<String>, Header, description = "same key, same request: the first credential is returned")),
    responses((status = 201, body = Issued), (status = 200, body = Issued, description = "returned for a repeated idempotency key"),
        (status = 409, description = "idempotency key reused for another request"), (status = 422)), security(("bearer" = [])))]
async fn issue(
    State(s): State<IssuerState>,
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
            IssuerError::from(microcred_core::model::ModelError::new(
                "idempotencyKey",
                "",
                "the Idempotency-Key header must be text",
            ))
        })?;
    let issued = s.issuer.issue(&p, &slug, doc, key).await?;
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
async fn list_credentials(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Issued>>> {
    Ok(Json(
        s.issuer
            .list_credentials(&p, &slug, q.limit.unwrap_or(100))
            .await?,
    ))
}

/// Issue one credential per CSV row (`text/csv` body; columns: name, email, national_id,
/// lms_id, did, grade, activity_start_date, activity_end_date, valid_until, evidence_url,
/// idempotency_key). Each row is issued in full or not at all; the report says which.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/achievements/{achievement}/credentials/bulk",
    request_body(content = String, content_type = "text/csv"), responses((status = 200, body = BulkReport), (status = 422)), security(("bearer" = [])))]
async fn issue_bulk(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, achievement)): Path<(String, String)>,
    body: String,
) -> ApiResult<Json<BulkReport>> {
    Ok(Json(
        s.issuer.issue_bulk(&p, &slug, &achievement, &body).await?,
    ))
}

/// W3C VC-API issue request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VcApiIssueRequest {
    /// The credential to sign.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// Options (accepted for VC-API compatibility; none is interpreted yet).
    #[serde(default)]
    #[allow(dead_code)]
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// W3C VC-API issue response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VcApiIssueResponse {
    /// The signed credential.
    #[schema(value_type = Object)]
    pub verifiable_credential: serde_json::Value,
}

/// W3C VC-API: sign a credential as the caller's institution (eddsa-rdfc-2022).
#[utoipa::path(post, path = "/credentials/issue", request_body = VcApiIssueRequest,
    responses((status = 201, body = VcApiIssueResponse), (status = 422)), security(("bearer" = [])))]
async fn vc_api_issue(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    ApiJson(r): ApiJson<VcApiIssueRequest>,
) -> ApiResult<(StatusCode, Json<VcApiIssueResponse>)> {
    let issued = s.issuer.issue_document(&p, r.credential).await?;
    Ok((
        StatusCode::CREATED,
        Json(VcApiIssueResponse {
            verifiable_credential: issued.credential,
        }),
    ))
}

/// The institution's DID document (did:web).
#[utoipa::path(get, path = "/institutions/{slug}/did.json", responses((status = 200, description = "DID document"), (status = 404)))]
async fn did_document(
    State(s): State<IssuerState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let doc = s
        .issuer
        .did_document(&slug)
        .await?
        .ok_or_else(|| IssuerError::NotFound(format!("institution `{slug}`")))?;
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
async fn public_achievement(
    State(s): State<IssuerState>,
    Path((slug, achievement)): Path<(String, String)>,
) -> ApiResult<Json<AchievementView>> {
    Ok(Json(
        s.issuer.public_achievement(&slug, &achievement).await?,
    ))
}

/// A credential's state and the history of its changes (with reasons).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/credentials/{code}", responses((status = 200, body = CredentialStateView), (status = 404)), security(("bearer" = [])))]
async fn credential_state(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
) -> ApiResult<Json<CredentialStateView>> {
    Ok(Json(s.issuer.credential_state(&p, &slug, &code).await?))
}

/// Revoke a credential (final). Every verifier sees it within a minute.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/revoke", request_body = StatusChangeRequest,
    responses((status = 200, body = CredentialStateView), (status = 409, description = "already revoked")), security(("bearer" = [])))]
async fn revoke(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<CredentialStateView>> {
    Ok(Json(s.issuer.revoke(&p, &slug, &code, &r.reason).await?))
}

/// Suspend an active credential.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/suspend", request_body = StatusChangeRequest,
    responses((status = 200, body = CredentialStateView), (status = 409)), security(("bearer" = [])))]
async fn suspend(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<CredentialStateView>> {
    Ok(Json(s.issuer.suspend(&p, &slug, &code, &r.reason).await?))
}

/// Lift a suspension.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/unsuspend", request_body = StatusChangeRequest,
    responses((status = 200, body = CredentialStateView), (status = 409)), security(("bearer" = [])))]
async fn unsuspend(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<CredentialStateView>> {
    Ok(Json(s.issuer.unsuspend(&p, &slug, &code, &r.reason).await?))
}

/// Renew: a new credential for the same learner, valid from now, linked to the old one.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/renew", request_body = RenewalRequest,
    responses((status = 201, body = Issued)), security(("bearer" = [])))]
async fn renew(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
    ApiJson(r): ApiJson<RenewalRequest>,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.issuer.renew(&p, &slug, &code, r).await?),
    ))
}

/// Correct (right to rectification): re-issue with the fix; the old credential is revoked as
/// superseded and points to the new one.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/credentials/{code}/correct", request_body = CorrectionRequest,
    responses((status = 201, body = Issued)), security(("bearer" = [])))]
async fn correct(
    State(s): State<IssuerState>,
    Caller(p): Caller,
    Path((slug, code)): Path<(String, String)>,
    ApiJson(r): ApiJson<CorrectionRequest>,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.issuer.correct(&p, &slug, &code, r).await?),
    ))
}

/// A status list credential (W3C Bitstring Status List v1.0), public, with `ETag` and a
/// `Cache-Control` matching its `ttl`.
#[utoipa::path(get, path = "/status/{slug}/{purpose}/{number}", responses((status = 200, description = "BitstringStatusListCredential"), (status = 304), (status = 404)))]
async fn status_list(
    State(s): State<IssuerState>,
    Path((slug, purpose, number)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let not_found = || IssuerError::NotFound("status list".into());
    let number: i64 = number.parse().map_err(|_| not_found())?;
    let (doc, etag) = s
        .issuer
        .status_list_document(&slug, &purpose, number)
        .await?
        .ok_or_else(not_found)?;
    let cache = format!("public, max-age={}", crate::lifecycle::LIST_TTL_SECONDS);
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
async fn context() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        microcred_schemas::MICROCRED_V1,
    )
}

/// OpenAPI description of the issuer's API.
#[derive(OpenApi)]
#[openapi(
    paths(setup, create_institution, list_institutions, get_institution, create_token, rotate_key,
        create_achievement, update_achievement, get_achievement, list_achievements, issue, list_credentials,
        issue_bulk, vc_api_issue, did_document, public_achievement, credential_state, revoke, suspend, unsuspend,
        renew, correct, status_list),
    components(schemas(SetupRequest, TokenResponse, NewInstitutionDoc, InstitutionView, NewTokenRequest, RotatedKey,
        NewAchievementRequest, UpdateAchievementRequest, AchievementView, IssueRequestDoc, LearnerDoc, EvidenceDoc,
        Issued, QrLinks, BulkReport, RowOutcome, VcApiIssueRequest, VcApiIssueResponse, StatusChangeRequest,
        CredentialStateView, CorrectionRequest, RenewalRequest)),
    tags((name = "issuer", description = "Institutions, micro-credential definitions and issuing"))
)]
pub struct ApiDoc;
