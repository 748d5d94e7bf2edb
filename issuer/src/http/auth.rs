//! Bearer-token authentication: `Authorization: Bearer mc_...` resolves to a [`Principal`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{tokens, Principal};
use crate::error::{ApiError, IssuerError};
use crate::Issuer;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<Issuer> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Issuer) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| IssuerError::unauthorized("send `Authorization: Bearer <API token>`"))?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                IssuerError::unauthorized("the Authorization header must be `Bearer <API token>`")
            })?;
        Ok(Caller(tokens::authenticate(app, token).await?))
    }
}
