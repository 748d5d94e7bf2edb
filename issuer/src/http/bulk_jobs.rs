//! Bulk issuance over HTTP: upload a CSV file (it becomes a job), follow the job, page through
//! its report, cancel it. Small files (at most 1,000 rows) wait for their job and answer with the
//! whole report; larger ones, or a caller sending `Prefer: respond-async` (RFC 7240), get
//! `202 Accepted` with the job's `Location` at once.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{ApiResult, Caller};
use crate::issuance::bulk::{self, run, BulkReport, JobView, RowsPage};
use crate::Issuer;

fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("respond-async"))
}

/// Issue one credential per CSV row (`text/csv` body, comma- or semicolon-separated; send the
/// file with `curl --data-binary @file.csv`; columns: name, email, national_id, lms_id, did,
/// grade, activity_start_date, activity_end_date, valid_until, evidence_url,
/// idempotency_key). Each row is issued in full or not at all. Up to 1,000 rows the answer
/// waits and is the report (`200`); larger files, or `Prefer: respond-async`, answer `202` with
/// the job (`Location`), to follow with `GET`.
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/achievements/{achievement}/credentials/bulk",
    request_body(content = String, content_type = "text/csv"),
    params(("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 with the job at once")),
    responses((status = 200, body = BulkReport), (status = 202, body = JobView), (status = 422)), security(("bearer" = [])))]
pub async fn upload(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, achievement)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> ApiResult<Response> {
    let started = bulk::start(&app, &p, &slug, &achievement, &body).await?;
    let job = &started.job;
    let asked = prefers_async(&headers);
    if asked || usize::try_from(job.rows).unwrap_or(usize::MAX) > run::WAIT_FOR_AT_MOST {
        let mut r = (StatusCode::ACCEPTED, Json(job)).into_response();
        if let Ok(v) = HeaderValue::from_str(&job.url) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        if asked {
            r.headers_mut().insert(
                "preference-applied",
                HeaderValue::from_static("respond-async"),
            );
        }
        return Ok(r);
    }
    Ok(Json(started.report(&app, &p, &slug).await?).into_response())
}

/// Query of `GET .../bulk-jobs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// At most this many (1-500, default 50).
    pub limit: Option<i64>,
}

/// The institution's bulk jobs, newest first.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/bulk-jobs", params(ListQuery),
    responses((status = 200, body = Vec<JobView>)), security(("bearer" = [])))]
pub async fn list(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<JobView>>> {
    Ok(Json(
        bulk::list(&app, &p, &slug, q.limit.unwrap_or(50)).await?,
    ))
}

/// A bulk job: its state and counters (rows, done, issued, alreadyIssued, failed).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/bulk-jobs/{id}",
    responses((status = 200, body = JobView), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(bulk::get(&app, &p, &slug, &id).await?))
}

/// Query of `GET .../bulk-jobs/{id}/rows`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RowsQuery {
    /// Rows after this CSV line (default: from the first).
    pub after: Option<i64>,
    /// Only rows of this status: `pending`, `issued`, `alreadyIssued` or `error`.
    pub status: Option<String>,
    /// At most this many (1-1000, default 500).
    pub limit: Option<i64>,
}

/// A page of a bulk job's report, in file order; `next` links the following page.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/bulk-jobs/{id}/rows", params(RowsQuery),
    responses((status = 200, body = RowsPage), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn rows(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<RowsQuery>,
) -> ApiResult<Json<RowsPage>> {
    Ok(Json(
        bulk::rows(
            &app,
            &p,
            &slug,
            &id,
            q.after.unwrap_or(0),
            q.status.as_deref(),
            q.limit.unwrap_or(500),
        )
        .await?,
    ))
}

/// Cancel a bulk job: rows not yet issued will not be; rows issued stay issued. `409` once the
/// job has ended.
#[utoipa::path(delete, path = "/api/v1/institutions/{slug}/bulk-jobs/{id}",
    responses((status = 200, body = JobView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn cancel(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(bulk::cancel(&app, &p, &slug, &id).await?))
}
