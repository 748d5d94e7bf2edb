//! The issuer's errors: domain errors and their one mapping to HTTP ([`ApiError`]), which never
//! leaks internals (database and key errors are logged, and answered with a generic 500).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use microcred_core::api::ErrorBody;
use microcred_core::model::{ModelError, ModelErrors};

/// What can go wrong in the issuer.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// Input broke the model's rules.
    #[error("{0}")]
    Validation(ModelErrors),
    /// Something named does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// No valid credentials were presented.
    #[error("authentication required: {0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// Conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A key could not be decrypted or used.
    #[error("key error: {0}")]
    Key(String),
    /// The credential could not be signed.
    #[error("signing failed: {0}")]
    Sign(#[from] microcred_core::proof::SignError),
}

impl From<ModelErrors> for IssuerError {
    fn from(e: ModelErrors) -> Self {
        Self::Validation(e)
    }
}

impl From<ModelError> for IssuerError {
    fn from(e: ModelError) -> Self {
        Self::Validation(e.into())
    }
}

/// The HTTP face of [`IssuerError`].
#[derive(Debug)]
pub struct ApiError(pub IssuerError);

impl<E: Into<IssuerError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self.0 {
            IssuerError::Validation(errs) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody::with_details("validation_failed", errs.to_string(), errs.0),
            ),
            IssuerError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                ErrorBody::new("not_found", format!("{what} not found")),
            ),
            IssuerError::Unauthorized(why) => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new("unauthorized", why),
            ),
            IssuerError::Forbidden(why) => {
                (StatusCode::FORBIDDEN, ErrorBody::new("forbidden", why))
            }
            IssuerError::Conflict(why) => (StatusCode::CONFLICT, ErrorBody::new("conflict", why)),
            IssuerError::Sign(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody::new("cannot_sign", e.to_string()),
            ),
            e @ (IssuerError::Database(_) | IssuerError::Key(_)) => {
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new("internal", "an internal error occurred; it has been logged"),
                )
            }
        };
        let mut r = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}
