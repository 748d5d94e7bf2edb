//! Quizzes without an LMS: importing question banks (GIFT, Aiken), defining quizzes, and the
//! attempts learners take (start, read, submit, an instructor's grade of an essay).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;

use super::{ApiJson, ApiResult, Caller};
use crate::quizzes::attempts::{self, AttemptView, EssayGradeRequest, StartRequest, SubmitRequest};
use crate::quizzes::banks::{self, BankView, Format};
use crate::quizzes::quiz::{self, NewQuizRequest, QuizView};
use crate::Issuer;

/// How the file is named and read.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `gift` or `aiken`.
    pub format: Format,
    /// The bank's name.
    pub name: String,
}

/// Import a question bank from a GIFT or Aiken file (the body, UTF-8; send it with
/// `curl --data-binary @file.gift`). Every error is listed with its line and nothing is
/// stored unless the whole file is valid.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/question-banks", params(ImportQuery),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 201, body = BankView), (status = 422, description = "the file's errors, each with its line")), security(("bearer" = [])))]
pub async fn import_bank(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BankView>)> {
    Ok((
        StatusCode::CREATED,
        Json(banks::import(&app, &p, &slug, &q.name, q.format, &body).await?),
    ))
}

/// The institution's question banks.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/question-banks", responses((status = 200, body = Vec<BankView>)), security(("bearer" = [])))]
pub async fn list_banks(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<BankView>>> {
    Ok(Json(banks::list(&app, &p, &slug).await?))
}

/// One question bank, with its questions and their answers.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/question-banks/{id}", responses((status = 200, body = BankView), (status = 404)), security(("bearer" = [])))]
pub async fn get_bank(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<BankView>> {
    Ok(Json(banks::get(&app, &p, &slug, &id).await?))
}

/// Define a quiz of an achievement drawing on a bank.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/quizzes", request_body = NewQuizRequest,
    responses((status = 201, body = QuizView), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_quiz(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewQuizRequest>,
) -> ApiResult<(StatusCode, Json<QuizView>)> {
    Ok((
        StatusCode::CREATED,
        Json(quiz::create(&app, &p, &slug, r).await?),
    ))
}

/// The institution's quizzes.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/quizzes", responses((status = 200, body = Vec<QuizView>)), security(("bearer" = [])))]
pub async fn list_quizzes(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<QuizView>>> {
    Ok(Json(quiz::list(&app, &p, &slug).await?))
}

/// Start an attempt for a learner: the questions, without their answers.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts", request_body = StartRequest,
    responses((status = 201, body = AttemptView), (status = 404), (status = 409, description = "an attempt is open, or none are left")), security(("bearer" = [])))]
pub async fn start_attempt(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, quiz)): Path<(String, String)>,
    ApiJson(r): ApiJson<StartRequest>,
) -> ApiResult<(StatusCode, Json<AttemptView>)> {
    Ok((
        StatusCode::CREATED,
        Json(attempts::start(&app, &p, &slug, &quiz, r).await?),
    ))
}

/// One attempt (after submission: marks, feedback, percentage).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts/{id}", responses((status = 200, body = AttemptView), (status = 404)), security(("bearer" = [])))]
pub async fn get_attempt(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, quiz, id)): Path<(String, String, String)>,
) -> ApiResult<Json<AttemptView>> {
    Ok(Json(attempts::get(&app, &p, &slug, &quiz, &id).await?))
}

/// Submit an attempt's answers: graded at once (essays wait for an instructor); a pass that
/// earns the achievement issues the credential.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts/{id}/submit", request_body = SubmitRequest,
    responses((status = 200, body = AttemptView), (status = 409, description = "already submitted"), (status = 422, description = "answers that do not fit their questions")), security(("bearer" = [])))]
pub async fn submit_attempt(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, quiz, id)): Path<(String, String, String)>,
    ApiJson(r): ApiJson<SubmitRequest>,
) -> ApiResult<Json<AttemptView>> {
    Ok(Json(
        attempts::submit(&app, &p, &slug, &quiz, &id, r).await?,
    ))
}

/// Grade an essay of a submitted attempt (the last grade finishes the attempt).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts/{id}/grade", request_body = EssayGradeRequest,
    responses((status = 200, body = AttemptView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn grade_essay(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, quiz, id)): Path<(String, String, String)>,
    ApiJson(r): ApiJson<EssayGradeRequest>,
) -> ApiResult<Json<AttemptView>> {
    Ok(Json(
        attempts::grade_essay(&app, &p, &slug, &quiz, &id, r).await?,
    ))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// The learner reads their attempt with its key (`Authorization: Bearer qa_...`, given when it
/// started): the questions without answers, then the marks and feedback.
#[utoipa::path(get, path = "/api/v1/quiz-attempts/{id}", responses((status = 200, body = AttemptView), (status = 401, description = "no or wrong learner key")))]
pub async fn learner_get_attempt(
    State(app): State<Issuer>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<AttemptView>> {
    Ok(Json(
        attempts::get_as_learner(&app, &id, bearer(&headers)).await?,
    ))
}

/// The learner submits their attempt with its key: graded at once; a pass that earns the
/// achievement issues the credential.
#[utoipa::path(post, path = "/api/v1/quiz-attempts/{id}/submit", request_body = SubmitRequest,
    responses((status = 200, body = AttemptView), (status = 401, description = "no or wrong learner key"), (status = 409), (status = 422)))]
pub async fn learner_submit_attempt(
    State(app): State<Issuer>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(r): ApiJson<SubmitRequest>,
) -> ApiResult<Json<AttemptView>> {
    Ok(Json(
        attempts::submit_as_learner(&app, &id, bearer(&headers), r).await?,
    ))
}
