//! The verifier's one HTTP error type, with the shared JSON shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use microcred_core::api::ErrorBody;
use microcred_core::model::ModelError;

/// What can go wrong in the verifier's API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not what the endpoint takes (400/422).
    #[error("{1}")]
    BadInput(StatusCode, ModelError, &'static str),
    /// Too many verifications running or waiting (503, `Retry-After`).
    #[error("the verifier is busy")]
    Busy,
    /// Storage or lookup failed (logged; 500 without details).
    #[error("internal: {0}")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::BadInput(status, e, code) => (
                status,
                Json(ErrorBody::with_details(code, e.to_string(), vec![e])),
            )
                .into_response(),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, "5")],
                Json(ErrorBody::new(
                    "busy",
                    "the verifier is busy; try again in a few seconds",
                )),
            )
                .into_response(),
            Self::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(ErrorBody::new(
                        "internal",
                        "an internal error occurred; it has been logged",
                    )),
                )
                    .into_response()
            }
        }
    }
}
