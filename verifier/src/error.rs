//! The verifier's one HTTP error type, with the shared JSON shape (RFC 9457 problem details,
//! `application/problem+json`, see `microcred_core::api`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use microcred_core::api::{ErrorBody, PROBLEM_JSON};
use microcred_core::model::ModelError;

/// What can go wrong in the verifier's API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not what the endpoint takes (400/422).
    #[error("{1}")]
    BadInput(StatusCode, ModelError, &'static str),
    /// Nothing has this name (404).
    #[error("{0}")]
    NotFound(&'static str),
    /// Too many verifications running or waiting (503, `Retry-After`).
    #[error("the verifier is busy")]
    Busy,
    /// Storage or lookup failed (logged; 500 without details).
    #[error("internal: {0}")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::BadInput(status, e, code) => (
                status,
                ErrorBody::with_details(code, e.to_string(), vec![e]),
            ),
            Self::NotFound(what) => (StatusCode::NOT_FOUND, ErrorBody::new("not_found", what)),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorBody::new("busy", "the verifier is busy; try again in a few seconds"),
            ),
            Self::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new("internal", "an internal error occurred; it has been logged"),
                )
            }
        };
        let mut r = (
            status,
            [(header::CONTENT_TYPE, PROBLEM_JSON)],
            Json(body.with_status(status.as_u16())),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        r
    }
}
