//! xAPI: the institution's Learning Record Store (`/xapi/statements`, `/xapi/about`; xAPI
//! 1.0.3 Communication §2 and §6), and the management of its clients under `/api/v1`. Every
//! LRS answer carries `X-Experience-API-Version`; a request without it is refused (400), as
//! the specification requires; errors use the one JSON error shape, with the 400s of the
//! statement rules.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{ApiJson, ApiResult, Caller};
use crate::error::{ApiError, IssuerError};
use crate::xapi::clients::{self, ClientView, NewClientRequest};
use crate::xapi::lrs::{self, QueryParams};
use crate::Issuer;

const VERSION_HEADER: &str = "x-experience-api-version";

fn with_version(version: &'static str, mut r: Response) -> Response {
    r.headers_mut()
        .insert(VERSION_HEADER, HeaderValue::from_static(version));
    if r.status() == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"microcred xAPI\""),
        );
    }
    r
}

/// Negotiates the version, authenticates the client and runs `f`; every answer (errors too)
/// carries the version header.
async fn lrs_call<F, Fut>(app: &Issuer, headers: &HeaderMap, f: F) -> Response
where
    F: FnOnce(crate::db::xapi_clients::XapiClientRow, &'static str) -> Fut,
    Fut: std::future::Future<Output = Result<Response, IssuerError>>,
{
    let sent = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok());
    let version = match lrs::negotiate(sent) {
        Ok(v) => v,
        Err(e) => return with_version("1.0.3", ApiError(e).into_response()),
    };
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let result = match clients::authenticate(app, auth).await {
        Ok(client) => f(client, version).await,
        Err(e) => Err(e),
    };
    with_version(
        version,
        result.unwrap_or_else(|e| ApiError(e).into_response()),
    )
}

fn json_body(headers: &HeaderMap) -> Result<(), IssuerError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if ct.starts_with("multipart/") {
        return Err(lrs::xapi_refused(
            "/",
            "statements with attachments (multipart/mixed) are not accepted by this LRS",
        ));
    }
    Ok(())
}

/// `POST /xapi/statements`: one statement or an array; 200 with their ids, in order.
pub async fn post_statements(
    State(app): State<Issuer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (app, headers) = (&app, &headers);
    lrs_call(app, headers, |client, _| async move {
        json_body(headers)?;
        let ids = lrs::post_statements(app, &client, &body).await?;
        Ok(Json(ids).into_response())
    })
    .await
}

/// `PUT /xapi/statements?statementId=`: 204 (also for the same statement again), 409 when
/// the id holds a different one.
pub async fn put_statement(
    State(app): State<Issuer>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let (app, headers) = (&app, &headers);
    lrs_call(app, headers, |client, _| async move {
        json_body(headers)?;
        let params = query_pairs(q.as_deref());
        let id = params
            .iter()
            .find(|(k, _)| k == "statementId")
            .map(|(_, v)| v.as_str());
        lrs::put_statement(app, &client, id, &body).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

const QUERY_PARAMS: [&str; 13] = [
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "since",
    "until",
    "limit",
    "ascending",
    "format",
    "attachments",
    "related_activities",
    "related_agents",
];

/// `GET /xapi/statements`: by `statementId` or `voidedStatementId`, or a query.
pub async fn get_statements(
    State(app): State<Issuer>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let app = &app;
    lrs_call(app, &headers, |client, _| async move {
        let pairs = query_pairs(q.as_deref());
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let consistent = crate::db::rfc3339_ms(crate::db::now_ms());
        let mut r = if let Some(more) = get("more") {
            let params = lrs::continue_query(&more)?;
            Json(lrs::query(app, &client, params).await?).into_response()
        } else {
            for (k, _) in &pairs {
                if !QUERY_PARAMS.contains(&k.as_str()) {
                    return Err(lrs::xapi_refused(&format!("/{k}"), format!("`{k}` is not a parameter of the statement resource")));
                }
            }
            for k in ["related_activities", "related_agents", "attachments"] {
                if get(k).is_some_and(|v| v != "false") {
                    return Err(lrs::xapi_refused(&format!("/{k}"), format!("`{k}=true` is not supported by this LRS")));
                }
            }
            let by_id = get("statementId").map(|id| (id, false)).or_else(|| get("voidedStatementId").map(|id| (id, true)));
            if let Some((id, voided)) = by_id {
                if pairs.iter().any(|(k, _)| !["statementId", "voidedStatementId", "format", "attachments"].contains(&k.as_str())) || (get("statementId").is_some() && get("voidedStatementId").is_some()) {
                    return Err(lrs::xapi_refused("/", "statementId or voidedStatementId may only be combined with format and attachments"));
                }
                let (doc, stored_ms) = lrs::get_statement(app, &client, &id, voided).await?;
                let mut r = Json(doc).into_response();
                if let Ok(v) = HeaderValue::from_str(&httpdate(stored_ms)) {
                    r.headers_mut().insert(header::LAST_MODIFIED, v);
                }
                r
            } else {
                let limit = match get("limit") {
                    Some(l) => Some(l.parse::<i64>().map_err(|_| lrs::xapi_refused("/limit", format!("limit `{l}` is not a non-negative integer")))?),
                    None => None,
                };
                let ascending = match get("ascending").as_deref() {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(other) => return Err(lrs::xapi_refused("/ascending", format!("ascending is true or false, not `{other}`"))),
                };
                let params = QueryParams {
                    agent: get("agent"),
                    verb: get("verb"),
                    activity: get("activity"),
                    since: get("since"),
                    until: get("until"),
                    limit,
                    ascending: Some(ascending),
                    after: None,
                };
                Json(lrs::query(app, &client, params).await?).into_response()
            }
        };
        if let Ok(v) = HeaderValue::from_str(&consistent) {
            r.headers_mut().insert("x-experience-api-consistent-through", v);
        }
        Ok(r)
    })
    .await
}

fn httpdate(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// `GET /xapi/about`: the versions this LRS speaks (no authentication).
pub async fn about() -> Response {
    with_version("1.0.3", Json(lrs::about()).into_response())
}

/// Make an xAPI client of the institution (its secret is shown once).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/xapi/clients", request_body = NewClientRequest,
    responses((status = 201, body = ClientView)), security(("bearer" = [])))]
pub async fn create_client(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewClientRequest>,
) -> ApiResult<(StatusCode, Json<ClientView>)> {
    Ok((
        StatusCode::CREATED,
        Json(clients::create(&app, &p, &slug, r).await?),
    ))
}

/// The institution's xAPI clients (never their secrets).
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/xapi/clients", responses((status = 200, body = Vec<ClientView>)), security(("bearer" = [])))]
pub async fn list_clients(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<ClientView>>> {
    Ok(Json(clients::list(&app, &p, &slug).await?))
}

/// Revoke an xAPI client (401 from now on; its statements stay).
#[utoipa::path(delete, path = "/api/v1/institutions/{slug}/xapi/clients/{id}", responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn revoke_client(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    clients::revoke(&app, &p, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
