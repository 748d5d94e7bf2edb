//! A JSON body extractor whose errors have the shared shape and name the JSON path.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use microcred_core::api::{parse_json_body, BodyError, ErrorBody, PROBLEM_JSON};

/// JSON body `T`, read with [`parse_json_body`].
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// A body that could not be read.
#[derive(Debug)]
pub struct BodyRejection(StatusCode, ErrorBody);

impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        (
            self.0,
            [(axum::http::header::CONTENT_TYPE, PROBLEM_JSON)],
            Json(self.1.with_status(self.0.as_u16())),
        )
            .into_response()
    }
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = BodyRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| BodyRejection(e.status(), ErrorBody::new("bad_body", e.body_text())))?;
        parse_json_body(&bytes).map(ApiJson).map_err(|e| {
            let (status, code) = match &e {
                BodyError::Syntax(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
                BodyError::TooDeep(_) => (StatusCode::BAD_REQUEST, "json_too_deep"),
                BodyError::Shape(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            };
            let err = e.error().clone();
            BodyRejection(
                status,
                ErrorBody::with_details(code, err.to_string(), vec![err]),
            )
        })
    }
}
