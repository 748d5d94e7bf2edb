//! The learner's private page (`/holder/{code}/{token}`) and the download of the signed
//! credential from it. Never cached, never indexed.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::ApiResult;
use crate::holder;
use crate::Issuer;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The private page.
pub async fn page(
    State(app): State<Issuer>,
    Path((code, token)): Path<(String, String)>,
) -> ApiResult<Response> {
    let h = holder::holding(&app, &code, &token).await?;
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>{title}</title></head><body><main><h1>{title}</h1><p>Issued by {inst} to {learner}. State: <strong>{state}</strong>.</p><h2>Share</h2><p>Give employers this link (or the QR code on your certificate): <a href=\"{v}\">{v}</a></p><h2>Keep</h2><p><a href=\"{d}\" download>Download the signed credential</a> (W3C Verifiable Credential, JSON) to keep it or add it to a wallet.</p><p><small>This page is private: do not share its address.</small></p></main></body></html>",
        title = escape(&h.title),
        inst = escape(&h.institution),
        learner = escape(&h.credential.learner_name),
        state = escape(&h.credential.state),
        v = escape(&h.verification_url),
        d = escape(&h.download_url),
    );
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        Html(html),
    )
        .into_response())
}

/// The signed credential, as a download.
pub async fn credential(
    State(app): State<Issuer>,
    Path((code, token)): Path<(String, String)>,
) -> ApiResult<Response> {
    let h = holder::holding(&app, &code, &token).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"credential-{code}.json\""),
            ),
        ],
        h.credential.document,
    )
        .into_response())
}
