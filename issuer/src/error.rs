//! The issuer's errors: what went wrong, with its cause kept (`#[source]`), built by named
//! constructors; and their one mapping to HTTP ([`ApiError`], the shared JSON error shape of
//! `microcred_core::api::ErrorBody`). Internals (database, keys, stored rows that cannot be
//! read, signing our own documents) are logged with their cause and answered with a generic
//! 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use microcred_core::api::{ErrorBody, PROBLEM_JSON};
use microcred_core::model::{ModelError, ModelErrors};

type Cause = Box<dyn std::error::Error + Send + Sync>;

/// What can go wrong in the issuer.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// Input broke the model's rules (422).
    #[error("{0}")]
    Validation(ModelErrors),
    /// A document given to sign is refused as a whole (400): wrong issuer, its own status
    /// entries, a context we cannot sign.
    #[error("{0}")]
    Refused(ModelErrors),
    /// Something named does not exist, or is not visible to the caller (404).
    #[error("{0} not found")]
    NotFound(String),
    /// No valid credentials were presented (401).
    #[error("authentication required: {0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed (403).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// Conflicts with what is stored (409).
    #[error("{0}")]
    Conflict(String),
    /// A service we depend on (a Moodle site) failed (502).
    #[error("{0}")]
    Upstream(String),
    /// A caller's document could not be signed (422).
    #[error("the credential cannot be signed: {0}")]
    CannotSign(#[source] microcred_core::proof::SignError),
    /// Storage failed (500).
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A stored row could not be read back (500): names the row.
    #[error("stored {what} is unreadable")]
    Stored {
        /// Which row, e.g. `credential 5CC3MDFX7N0K5FT8 (document)`.
        what: String,
        /// Why.
        #[source]
        source: Cause,
    },
    /// A signing key could not be used (500).
    #[error("signing key of institution `{institution}` is unusable")]
    Key {
        /// The institution's slug.
        institution: String,
        /// Why.
        #[source]
        source: Cause,
    },
    /// A document we built ourselves could not be signed or failed our own schema (500).
    #[error("could not sign our own {what}")]
    Internal {
        /// What we were signing.
        what: String,
        /// Why.
        #[source]
        source: Cause,
    },
}

impl IssuerError {
    /// `what` does not exist (or is not the caller's to see).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// A service we depend on (a Moodle site) failed.
    pub fn unavailable(why: impl Into<String>) -> Self {
        Self::Upstream(why.into())
    }

    /// A conflict with what is stored.
    pub fn conflict(why: impl Into<String>) -> Self {
        Self::Conflict(why.into())
    }

    /// The caller may not do this.
    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden(why.into())
    }

    /// No valid token.
    pub fn unauthorized(why: impl Into<String>) -> Self {
        Self::Unauthorized(why.into())
    }

    /// One broken rule at `path`.
    pub fn invalid(element: &str, path: &str, message: impl Into<String>) -> Self {
        Self::Validation(ModelError::new(element, path, message).into())
    }

    /// A document to sign refused as a whole, naming the field at `path`.
    pub fn refused(element: &str, path: &str, message: impl Into<String>) -> Self {
        Self::Refused(ModelError::new(element, path, message).into())
    }

    /// The stored `what` could not be read.
    pub fn stored(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        Self::Stored {
            what: what.into(),
            source: source.into(),
        }
    }

    /// The key of `institution` could not be used.
    pub fn key(institution: &str, source: impl Into<Cause>) -> Self {
        Self::Key {
            institution: institution.to_owned(),
            source: source.into(),
        }
    }

    /// Signing a document of our own failed.
    pub fn internal(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        Self::Internal {
            what: what.into(),
            source: source.into(),
        }
    }

    /// The same error with validation paths moved under `prefix` (for bodies that wrap a
    /// document, e.g. `/definition`).
    pub fn under(self, prefix: &str) -> Self {
        match self {
            Self::Validation(errs) => Self::Validation(ModelErrors(
                errs.0
                    .into_iter()
                    .map(|e| {
                        if e.path.starts_with('/') {
                            e.under(prefix)
                        } else {
                            e
                        }
                    })
                    .collect(),
            )),
            e => e,
        }
    }
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

/// The cause chain of an error, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
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
            IssuerError::Refused(errs) => (
                StatusCode::BAD_REQUEST,
                ErrorBody::with_details("credential_refused", errs.to_string(), errs.0),
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
            IssuerError::Upstream(why) => (
                StatusCode::BAD_GATEWAY,
                ErrorBody::new("upstream_failed", why),
            ),
            e @ IssuerError::CannotSign(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody::new("cannot_sign", chain(&e)),
            ),
            e @ (IssuerError::Database(_)
            | IssuerError::Stored { .. }
            | IssuerError::Key { .. }
            | IssuerError::Internal { .. }) => {
                tracing::error!(error = %chain(&e), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new("internal", "an internal error occurred; it has been logged"),
                )
            }
        };
        let mut r = (
            status,
            [(axum::http::header::CONTENT_TYPE, PROBLEM_JSON)],
            Json(body.with_status(status.as_u16())),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

/// Maps a unique-constraint violation to a domain error, in one place for both backends
/// (after realworld-axum-sqlx's `on_constraint`).
pub trait OnUnique<T> {
    /// When the violated unique constraint covers `column`, the error `f` gives; any other
    /// database error stays a database error.
    fn on_unique(self, column: &str, f: impl FnOnce() -> IssuerError) -> Result<T, IssuerError>;
}

impl<T> OnUnique<T> for Result<T, sqlx::Error> {
    fn on_unique(self, column: &str, f: impl FnOnce() -> IssuerError) -> Result<T, IssuerError> {
        self.map_err(|e| {
            if crate::db::unique_violation_on(&e, column) {
                f()
            } else {
                e.into()
            }
        })
    }
}
