//! The learner's private page (`/holder/{code}/{token}`) and the download of the signed
//! credential from it. Never cached, never indexed.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::ApiResult;
use crate::Issuer;
use crate::{exports, holder};

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
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>{title}</title></head><body><main><h1>{title}</h1><p>Issued by {inst} to {learner}. State: <strong>{state}</strong>.</p><h2>Share</h2><p>Give employers this link (or the QR code on your certificate): <a href=\"{v}\">{v}</a></p><h2>Keep</h2><ul>{d}</ul><p><small>This page is private: do not share its address.</small></p></main></body></html>",
        title = escape(&h.title),
        inst = escape(&h.institution),
        learner = escape(&h.credential.learner_name),
        state = escape(&h.credential.state),
        v = escape(&h.verification_url),
        d = h
            .downloads
            .iter()
            .map(|(label, url)| format!("<li><a href=\"{}\" download>{}</a></li>", escape(url), escape(label)))
            .collect::<String>(),
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

/// A download (`credential.json`, `badge.svg`, `badge.png`, `certificate.pdf`,
/// `certificate-ro.pdf`, `europass.json`, `europass-sealed.jsonld`).
pub async fn download(
    State(app): State<Issuer>,
    Path((code, token, file)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let h = holder::holding(&app, &code, &token).await?;
    let format = exports::Format::from_file(&file)
        .ok_or_else(|| crate::error::IssuerError::not_found(format!("download `{file}`")))?;
    Ok(attachment(
        exports::export(&app, &h.credential, format).await?,
    ))
}

/// A download as an HTTP answer (never cached).
pub(super) fn attachment(d: exports::Download) -> Response {
    (
        [
            (header::CONTENT_TYPE, d.content_type.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", d.file_name),
            ),
        ],
        d.bytes,
    )
        .into_response()
}
