//! Bearer-token authentication: `Authorization: Bearer mc_...` resolves to a [`Principal`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::{ApiError, IssuerError};
use crate::service::Principal;
use crate::IssuerState;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<IssuerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &IssuerState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                IssuerError::Unauthorized("send `Authorization: Bearer <API token>`".into())
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                IssuerError::Unauthorized(
                    "the Authorization header must be `Bearer <API token>`".into(),
                )
            })?;
        Ok(Caller(state.issuer.authenticate(token).await?))
    }
}
