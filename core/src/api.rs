//! What every service's HTTP errors and request limits share, without any HTTP type: the one
//! JSON error shape, and the JSON nesting limit.
//!
//! Each service maps its errors to a status code in its own `ApiError` and writes an
//! [`ErrorBody`] as `application/problem+json`; so every error of every endpoint looks the same
//! to clients. It is an RFC 9457 problem details object (`type`, `title`, `status`, `detail`),
//! which is the error shape the VC-API asks for, with the VC Data Model 2.0 §7.1 problem types
//! where one applies (a body that does not parse, a malformed value), and our `error` member
//! with a stable code and per-field details:
//!
//! ```json
//! {"type": "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR", "title": "The request is not valid",
//!  "status": 422, "detail": "...",
//!  "error": {"code": "validation_failed", "message": "...", "details": [{"element": "eqfLevel", "path": "/eqfLevel", "message": "..."}]}}
//! ```

use serde::{Deserialize, Serialize};

use crate::model::ModelError;

/// The media type of every error response (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of every error response: an RFC 9457 problem details object
/// (<https://www.rfc-editor.org/rfc/rfc9457#section-3>) with our `error` member.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// The problem type: a VC Data Model 2.0 §7.1 type, or `urn:microcred:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code, as the service answered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong this time (the same text as `error.message`).
    pub detail: String,
    /// The error.
    pub error: ErrorDetail,
}

/// VC Data Model 2.0 §7.1: the document could not be parsed.
pub const PARSING_ERROR: &str = "https://www.w3.org/TR/vc-data-model#PARSING_ERROR";
/// VC Data Model 2.0 §7.1: a value is not what the specification (or the endpoint) allows.
pub const MALFORMED_VALUE_ERROR: &str = "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR";

/// The problem type and title of an error code.
fn problem_of(code: &str) -> (String, &'static str) {
    let (ty, title) = match code {
        "invalid_json" => (Some(PARSING_ERROR), "The body is not valid JSON"),
        "json_too_deep" => (Some(PARSING_ERROR), "The JSON is nested too deep"),
        "validation_failed" | "bad_body" => {
            (Some(MALFORMED_VALUE_ERROR), "The request is not valid")
        }
        "credential_refused" => (
            Some(MALFORMED_VALUE_ERROR),
            "The credential cannot be issued as given",
        ),
        "not_found" => (None, "Not found"),
        "unauthorized" => (None, "Authentication required"),
        "forbidden" => (None, "Not allowed"),
        "conflict" => (None, "In conflict with the current state"),
        "upstream_failed" => (None, "A service we depend on failed"),
        "cannot_sign" => (None, "The credential cannot be signed"),
        "rate_limited" => (None, "Too many requests"),
        "busy" => (None, "Busy"),
        "internal" => (None, "Internal error"),
        _ => (None, "Error"),
    };
    (
        ty.map(str::to_owned)
            .unwrap_or_else(|| format!("urn:microcred:problem:{code}")),
        title,
    )
}

/// A machine code, a message for people, and per-field details.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// What went wrong, in plain words.
    pub message: String,
    /// One entry per broken rule, with the element and JSON Pointer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ModelError>,
}

impl ErrorBody {
    /// An error without details.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let (problem_type, title) = problem_of(code);
        Self {
            problem_type,
            title: title.to_owned(),
            status: None,
            detail: message.clone(),
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                details: Vec::new(),
            },
        }
    }

    /// The same error, saying the HTTP status it is answered with.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// An error with per-field details.
    pub fn with_details(code: &str, message: impl Into<String>, details: Vec<ModelError>) -> Self {
        let mut b = Self::new(code, message);
        b.error.details = details;
        b
    }
}

/// Deepest JSON nesting accepted from clients (a credential needs about 8).
pub const MAX_JSON_DEPTH: usize = 32;

/// Checks that `v` nests no deeper than [`MAX_JSON_DEPTH`]; the error names the first path
/// that goes too deep.
pub fn check_json_depth(v: &serde_json::Value) -> Result<(), ModelError> {
    fn walk(v: &serde_json::Value, depth: usize, path: &mut String) -> Result<(), ModelError> {
        if depth > MAX_JSON_DEPTH {
            return Err(ModelError::new(
                "document",
                path.clone(),
                format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"),
            ));
        }
        match v {
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("/{i}"));
                    walk(x, depth + 1, path)?;
                    path.truncate(len);
                }
            }
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    let len = path.len();
                    path.push('/');
                    path.push_str(k);
                    walk(x, depth + 1, path)?;
                    path.truncate(len);
                }
            }
            _ => {}
        }
        Ok(())
    }
    walk(v, 0, &mut String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_json_is_refused_with_its_path() {
        let mut v = serde_json::json!(1);
        for _ in 0..40 {
            v = serde_json::json!({ "a": v });
        }
        let e = check_json_depth(&v).unwrap_err();
        assert!(e.path.starts_with("/a/a/a"));
        assert!(check_json_depth(&serde_json::json!({"a": [1, {"b": 2}]})).is_ok());
    }
}

/// Why a request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON at all (HTTP 400).
    Syntax(ModelError),
    /// JSON, but nested too deep (HTTP 400).
    TooDeep(ModelError),
    /// JSON of the wrong shape: unknown field, wrong type, missing field (HTTP 422).
    Shape(ModelError),
}

impl BodyError {
    /// The error inside.
    pub fn error(&self) -> &ModelError {
        match self {
            Self::Syntax(e) | Self::TooDeep(e) | Self::Shape(e) => e,
        }
    }
}

/// Reads a JSON request body into `T`: syntax, depth ([`MAX_JSON_DEPTH`]) and shape are
/// checked in that order, and the error names the JSON Pointer where reading stopped.
pub fn parse_json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        BodyError::Syntax(ModelError::new(
            "body",
            "",
            format!("the body is not valid JSON: {e}"),
        ))
    })?;
    check_json_depth(&value).map_err(BodyError::TooDeep)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = crate::model::json_pointer(e.path());
        let element = path
            .rsplit('/')
            .find(|s| !s.is_empty() && s.parse::<usize>().is_err())
            .unwrap_or("body")
            .to_owned();
        BodyError::Shape(ModelError::new(&element, path, e.inner().to_string()))
    })
}
