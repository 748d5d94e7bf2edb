//! Handlers of the public pages and the VC-API endpoints.

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use microcred_core::api::{parse_json_body, BodyError};
use microcred_core::urls;
use serde::Deserialize;

use crate::i18n::{words, Lang};
use crate::pages::ReportPage;
use crate::vc_api::{self, VerifyCredentialRequest, VerifyPresentationRequest};
use crate::{qr, ApiError, Verifier};

/// The verifier's routes.
pub fn router() -> Router<Verifier> {
    Router::new()
        .route(urls::ROUTE_VERIFICATION_PAGE, get(credential_page))
        // QR codes carry the upper-cased URL (alphanumeric mode): `/V/{code}`.
        .route("/V/{code}", get(credential_page))
        .route(urls::ROUTE_QR_SVG, get(qr_svg))
        .route(urls::ROUTE_QR_PNG, get(qr_png))
        .route(urls::ROUTE_CREDENTIAL_JSON, get(credential_json))
        .route("/verify", get(verify_form).post(verify_pasted))
        .route("/verify/upload", post(verify_uploaded))
        .route("/credentials/verify", post(vc_api_verify_credential))
        .route("/presentations/verify", post(vc_api_verify_presentation))
}

/// `?lang=`.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

fn lang(q: &LangQuery, headers: &HeaderMap) -> Lang {
    Lang::choose(
        q.lang.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::VARY, "Accept-Language"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'",
            ),
        ],
        Html(body),
    )
        .into_response()
}

async fn find(v: &Verifier, code: &str) -> Result<Option<crate::IssuedRecord>, ApiError> {
    if !microcred_core::urls::is_code(code) {
        return Ok(None);
    }
    v.credentials
        .find_by_code(code)
        .await
        .map_err(ApiError::Internal)
}

fn not_found(v: &Verifier, lang: Lang) -> Result<Response, ApiError> {
    let body = v.render(
        "not_found.html",
        minijinja::context! { lang => lang.code(), w => words(lang) },
    )?;
    Ok(html(StatusCode::NOT_FOUND, body))
}

/// The page a certificate's QR code opens.
async fn credential_page(
    State(v): State<Verifier>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = lang(&q, &headers);
    let Some(rec) = find(&v, &code).await? else {
        return not_found(&v, lang);
    };
    let report = v.verify(&rec.document).await?;
    let mut page = ReportPage::new(
        &rec.document,
        &report,
        lang,
        Some(&rec.issuer),
        Some(rec.state),
    );
    page.code = Some(code);
    page.replaced_by = rec.replaced_by.clone();
    page.state_date = rec
        .state_changed_at
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .map(crate::pages::date);
    Ok(html(StatusCode::OK, v.render("credential.html", page)?))
}

async fn qr_svg(State(v): State<Verifier>, Path(code): Path<String>) -> Result<Response, ApiError> {
    if find(&v, &code).await?.is_none() {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        qr::svg(&qr::qr_url(&v.urls, &code)),
    )
        .into_response())
}

async fn qr_png(State(v): State<Verifier>, Path(code): Path<String>) -> Result<Response, ApiError> {
    if find(&v, &code).await?.is_none() {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        qr::png(&qr::qr_url(&v.urls, &code)),
    )
        .into_response())
}

async fn credential_json(
    State(v): State<Verifier>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let Some(doc) = find(&v, &code).await?.map(|r| r.document) else {
        return Err(ApiError::NotFound("no credential has this code"));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"credential.json\"",
            ),
        ],
        serde_json::to_string_pretty(&doc).expect("serialisable"),
    )
        .into_response())
}

async fn verify_form(
    State(v): State<Verifier>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = lang(&q, &headers);
    let body = v.render(
        "verify.html",
        minijinja::context! { lang => lang.code(), w => words(lang) },
    )?;
    Ok(html(StatusCode::OK, body))
}

/// The pasted form.
#[derive(Debug, Deserialize)]
pub struct PastedForm {
    credential: String,
}

async fn report_page(v: &Verifier, lang: Lang, bytes: &[u8]) -> Result<Response, ApiError> {
    match parse_json_body::<serde_json::Value>(bytes) {
        Ok(doc) if microcred_core::jades::is_sealed(&doc) => {
            let seal = match vc_api::verify_sealed(&doc) {
                Ok(s) => s,
                Err(e) => return form_error(v, lang, e.to_string()),
            };
            let payload: serde_json::Value =
                serde_json::from_str(&seal.payload).unwrap_or_default();
            let pick = |m: &serde_json::Value| {
                m.get(lang.code())
                    .or_else(|| m.get("en"))
                    .and_then(|x| x.as_str())
                    .map(str::to_owned)
            };
            let subject = &payload["credentialSubject"];
            let claim = &subject["hasClaim"];
            let body = v.render(
                "sealed.html",
                minijinja::context! {
                    lang => lang.code(),
                    w => words(lang),
                    holds => seal.holds(),
                    seal => &seal,
                    title => pick(&claim["title"]),
                    learner => pick(&subject["fullName"]),
                    awarding_body => pick(&claim["awardedBy"]["awardingBody"]["legalName"]),
                },
            )?;
            Ok(html(StatusCode::OK, body))
        }
        Ok(doc) if doc.is_object() => {
            let report = v.verify(&doc).await?;
            let registered = match report
                .issuer
                .as_deref()
                .and_then(|i| microcred_core::model::Did::new(i).ok())
            {
                Some(did) => v
                    .credentials
                    .registered_issuer(&did)
                    .await
                    .map_err(ApiError::Internal)?,
                None => None,
            };
            let page = ReportPage::new(&doc, &report, lang, registered.as_ref(), None);
            Ok(html(StatusCode::OK, v.render("credential.html", page)?))
        }
        Ok(_) => form_error(v, lang, "a credential is a JSON object".into()),
        Err(e) => form_error(v, lang, e.error().to_string()),
    }
}

fn form_error(v: &Verifier, lang: Lang, error: String) -> Result<Response, ApiError> {
    let body = v.render(
        "verify.html",
        minijinja::context! { lang => lang.code(), w => words(lang), error => error },
    )?;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, body))
}

async fn verify_pasted(
    State(v): State<Verifier>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Form(f): Form<PastedForm>,
) -> Result<Response, ApiError> {
    report_page(&v, lang(&q, &headers), f.credential.as_bytes()).await
}

async fn verify_uploaded(
    State(v): State<Verifier>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let lang = lang(&q, &headers);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            return match field.bytes().await {
                Ok(b) => report_page(&v, lang, &b).await,
                Err(e) => form_error(&v, lang, format!("the upload could not be read: {e}")),
            };
        }
    }
    form_error(&v, lang, "no file was uploaded".into())
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    parse_json_body(bytes).map_err(|e| match e {
        BodyError::Syntax(e) => ApiError::BadInput(StatusCode::BAD_REQUEST, e, "invalid_json"),
        BodyError::TooDeep(e) => ApiError::BadInput(StatusCode::BAD_REQUEST, e, "json_too_deep"),
        BodyError::Shape(e) => {
            ApiError::BadInput(StatusCode::UNPROCESSABLE_ENTITY, e, "validation_failed")
        }
    })
}

/// W3C VC-API: verify a credential. 200 when verified, 400 (same body) when not. A
/// JAdES-sealed European Digital Credential (Europass) gets its seal checked instead
/// (`SealedVerifyResponse`).
#[utoipa::path(post, path = "/credentials/verify", request_body = VerifyCredentialRequest,
    responses((status = 200, body = vc_api::VerifyResponse), (status = 400, body = vc_api::VerifyResponse)))]
pub async fn vc_api_verify_credential(
    State(v): State<Verifier>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let req: VerifyCredentialRequest = body(&bytes)?;
    let r = vc_api::verify_credential(&v, &req).await?;
    let status = if r.verified() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, Json(r)).into_response())
}

/// W3C VC-API: verify a presentation and the credentials in it.
#[utoipa::path(post, path = "/presentations/verify", request_body = VerifyPresentationRequest,
    responses((status = 200, body = vc_api::VerifyPresentationResponse), (status = 400, body = vc_api::VerifyPresentationResponse)))]
pub async fn vc_api_verify_presentation(
    State(v): State<Verifier>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let req: VerifyPresentationRequest = body(&bytes)?;
    let r = vc_api::verify_presentation(&v, &req).await?;
    let status = if r.verified {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, Json(r)).into_response())
}

/// OpenAPI description of the verifier's machine endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(vc_api_verify_credential, vc_api_verify_presentation),
    components(schemas(VerifyCredentialRequest, VerifyPresentationRequest, vc_api::VerifyResponse, vc_api::SealedVerifyResponse, vc_api::VerifyPresentationResponse)),
    tags((name = "verifier", description = "W3C VC-API verification"))
)]
pub struct ApiDoc;
