//! Moodle triggers: connections, course mappings, the events endpoint, polls, evaluations,
//! the inbox and retries.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::{ApiJson, ApiResult, Caller};
use crate::triggers::connections::{
    self, ConnectRequest, ConnectionView, CourseView, MapCourseRequest,
};
use crate::triggers::events::{self, HookAuth, HookReceipt};
use crate::triggers::poll::{self, PollReport};
use crate::triggers::views::{
    self, EvaluationFilter, EvaluationView, InboxFilter, InboxItemView, Reevaluation,
};
use crate::Issuer;

/// Connect a Moodle site (the token is checked with `core_webservice_get_site_info`; the
/// event secret is shown once).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/moodle", request_body = ConnectRequest,
    responses((status = 201, body = ConnectionView), (status = 422, description = "bad URL, token refused, or functions missing (named)")), security(("bearer" = [])))]
pub async fn connect(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<ConnectRequest>,
) -> ApiResult<(StatusCode, Json<ConnectionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(connections::connect(&app, &p, &slug, r).await?),
    ))
}

/// The institution's Moodle connections.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/moodle", responses((status = 200, body = Vec<ConnectionView>)), security(("bearer" = [])))]
pub async fn list(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<ConnectionView>>> {
    Ok(Json(connections::list(&app, &p, &slug).await?))
}

/// One Moodle connection (with its last poll).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/moodle/{id}", responses((status = 200, body = ConnectionView), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<ConnectionView>> {
    Ok(Json(connections::get(&app, &p, &slug, &id).await?))
}

/// Map a Moodle course (id or shortname) to an achievement with earning rules.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/moodle/{id}/courses", request_body = MapCourseRequest,
    responses((status = 201, body = CourseView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn map_course(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(r): ApiJson<MapCourseRequest>,
) -> ApiResult<(StatusCode, Json<CourseView>)> {
    Ok((
        StatusCode::CREATED,
        Json(connections::map_course(&app, &p, &slug, &id, r).await?),
    ))
}

/// A connection's course mappings.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/moodle/{id}/courses", responses((status = 200, body = Vec<CourseView>)), security(("bearer" = [])))]
pub async fn list_courses(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<CourseView>>> {
    Ok(Json(connections::list_courses(&app, &p, &slug, &id).await?))
}

/// Poll the connection now (what changed is queued for evaluation).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/moodle/{id}/poll", responses((status = 200, body = PollReport), (status = 502, description = "Moodle failed")), security(("bearer" = [])))]
pub async fn poll_now(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<PollReport>> {
    Ok(Json(poll::poll_now(&app, &p, &slug, &id).await?))
}

/// Receive an event forwarded by Moodle (written to the inbox, then 202).
#[utoipa::path(post, path = "/api/v1/hooks/moodle/{connection}", request_body(content = String, description = "the event, JSON or form-encoded"),
    responses((status = 202, body = HookReceipt), (status = 401, description = "no or wrong secret or signature, stale"), (status = 409, description = "replayed signature"), (status = 422)))]
pub async fn hook(
    State(app): State<Issuer>,
    Path(connection): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<HookReceipt>)> {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let auth = HookAuth {
        timestamp: h("x-microcred-timestamp"),
        signature: h("x-microcred-signature"),
        bearer: h("authorization").and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .map(|s| s.trim().to_owned())
        }),
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(events::receive(&app, &connection, auth, &body).await?),
    ))
}

/// Evaluations of earning rules, newest first, per learner and/or achievement.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/evaluations", params(EvaluationFilter), responses((status = 200, body = Vec<EvaluationView>)), security(("bearer" = [])))]
pub async fn evaluations(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(f): Query<EvaluationFilter>,
) -> ApiResult<Json<Vec<EvaluationView>>> {
    Ok(Json(views::list_evaluations(&app, &p, &slug, f).await?))
}

/// Evaluate the learner and course of an evaluation again, now.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/evaluations/{id}/reevaluate", responses((status = 200, body = Reevaluation), (status = 404)), security(("bearer" = [])))]
pub async fn reevaluate(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Reevaluation>> {
    Ok(Json(views::reevaluate(&app, &p, &slug, &id).await?))
}

/// The trigger inbox (events and poll findings), newest first, with failures and reasons.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/moodle-inbox", params(InboxFilter), responses((status = 200, body = Vec<InboxItemView>)), security(("bearer" = [])))]
pub async fn inbox(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(f): Query<InboxFilter>,
) -> ApiResult<Json<Vec<InboxItemView>>> {
    Ok(Json(views::list_inbox(&app, &p, &slug, f).await?))
}

/// Retry an inbox item now (failed, or waiting for its next retry).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/moodle-inbox/{id}/retry", responses((status = 200, body = InboxItemView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn retry(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<InboxItemView>> {
    Ok(Json(views::retry_item(&app, &p, &slug, &id).await?))
}
