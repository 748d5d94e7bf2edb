//! Completions from other sources: the institution's learners, activity mappings, the
//! completions-file upload, evaluations and the re-evaluation of an achievement.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::{ApiJson, ApiResult, Caller};
use crate::completions::activities::{self, ActivityView, MapActivityRequest};
use crate::completions::csv::{self, CompletionsReport};
use crate::completions::evaluate::{self as evaluations, LearnerEvaluationView};
use crate::completions::learners::{self, LearnerView, NewLearnerRequest};
use crate::completions::reevaluate::{self, ReevaluationReport};
use crate::Issuer;

/// A page.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// At most this many (default 100, at most 500).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

/// Add a learner the institution knows (sources name them by e-mail, national id, xAPI
/// account or OpenID).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/learners", request_body = NewLearnerRequest,
    responses((status = 201, body = LearnerView), (status = 409, description = "an identifier already names another learner"), (status = 422)), security(("bearer" = [])))]
pub async fn create_learner(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewLearnerRequest>,
) -> ApiResult<(StatusCode, Json<LearnerView>)> {
    Ok((
        StatusCode::CREATED,
        Json(learners::create(&app, &p, &slug, r).await?),
    ))
}

/// The institution's learners, newest first.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/learners", params(Page), responses((status = 200, body = Vec<LearnerView>)), security(("bearer" = [])))]
pub async fn list_learners(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<Page>,
) -> ApiResult<Json<Vec<LearnerView>>> {
    Ok(Json(
        learners::list(&app, &p, &slug, q.limit, q.offset).await?,
    ))
}

/// Map an activity (xAPI activity IRI or course code) to an achievement, as its course or
/// as one of its quizzes.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/activities", request_body = MapActivityRequest,
    responses((status = 201, body = ActivityView), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn map_activity(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<MapActivityRequest>,
) -> ApiResult<(StatusCode, Json<ActivityView>)> {
    Ok((
        StatusCode::CREATED,
        Json(activities::map(&app, &p, &slug, r).await?),
    ))
}

/// The institution's activity mappings.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/activities", responses((status = 200, body = Vec<ActivityView>)), security(("bearer" = [])))]
pub async fn list_activities(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<ActivityView>>> {
    Ok(Json(activities::list(&app, &p, &slug).await?))
}

/// Upload a completions file (`text/csv`; columns: name, email, national_id, achievement or
/// course, date, grade, max_grade, language): every row is recorded, evaluated against the
/// achievement's earning rules and issued when earned; the answer reports each row.
/// Uploading the same file again issues nothing.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/completions",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CompletionsReport), (status = 422, description = "the file cannot be read (header, size); nothing was stored")), security(("bearer" = [])))]
pub async fn upload_completions(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    body: String,
) -> ApiResult<Json<CompletionsReport>> {
    Ok(Json(csv::upload(&app, &p, &slug, &body).await?))
}

/// Filter of evaluations.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EvaluationQuery {
    /// A learner's id.
    pub learner: Option<String>,
    /// An achievement's slug.
    pub achievement: Option<String>,
    /// At most this many (default 100, at most 500).
    pub limit: Option<i64>,
}

/// Evaluations of the institution's learners (from xAPI, completions files, quizzes),
/// newest first.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/learner-evaluations", params(EvaluationQuery),
    responses((status = 200, body = Vec<LearnerEvaluationView>)), security(("bearer" = [])))]
pub async fn list_evaluations(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<EvaluationQuery>,
) -> ApiResult<Json<Vec<LearnerEvaluationView>>> {
    Ok(Json(
        evaluations::list(
            &app,
            &p,
            &slug,
            q.learner.as_deref(),
            q.achievement.as_deref(),
            q.limit,
        )
        .await?,
    ))
}

/// Re-evaluate an achievement: replay stored xAPI statements, then evaluate every learner
/// with records for it against its current rules (nothing is issued twice).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/achievements/{achievement}/reevaluate",
    responses((status = 200, body = ReevaluationReport), (status = 404)), security(("bearer" = [])))]
pub async fn reevaluate(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, achievement)): Path<(String, String)>,
) -> ApiResult<Json<ReevaluationReport>> {
    Ok(Json(
        reevaluate::reevaluate(&app, &p, &slug, &achievement).await?,
    ))
}
