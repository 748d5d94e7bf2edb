//! W3C VC-API (CCG Verifiable Credentials API v0.3) verification: `POST /credentials/verify`
//! and `POST /presentations/verify`, answering with `checks`, `warnings` and `errors` and our
//! full report.

use axum::http::StatusCode;
use microcred_core::model::{Did, ModelError};
use microcred_core::proof;
use microcred_core::verify::{Outcome, VerificationReport};
use serde::{Deserialize, Serialize};

use crate::{ApiError, Verifier};

/// Body of `POST /credentials/verify`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCredentialRequest {
    /// The credential.
    #[schema(value_type = Object)]
    pub verifiable_credential: serde_json::Value,
    /// Options (none interpreted yet).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// Answer of `POST /credentials/verify`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    /// True only when every check that ran passed and proof and issuer binding did.
    pub verified: bool,
    /// Checks that passed.
    pub checks: Vec<String>,
    /// Checks not made, with why.
    pub warnings: Vec<String>,
    /// Checks that failed, with why.
    pub errors: Vec<String>,
    /// The full report.
    #[schema(value_type = Object)]
    pub report: VerificationReport,
}

impl From<VerificationReport> for VerifyResponse {
    fn from(r: VerificationReport) -> Self {
        let pick = |o| {
            r.checks
                .iter()
                .filter(|c| c.outcome == o)
                .map(|c| {
                    let name = serde_json::to_value(c.name)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    if o == Outcome::Passed {
                        name
                    } else {
                        format!("{name}: {}", c.reason)
                    }
                })
                .collect::<Vec<_>>()
        };
        Self {
            verified: r.verified,
            checks: pick(Outcome::Passed),
            warnings: pick(Outcome::Skipped),
            errors: pick(Outcome::Failed),
            report: r,
        }
    }
}

fn bad(path: &str, msg: impl Into<String>) -> ApiError {
    ApiError::BadInput(
        StatusCode::UNPROCESSABLE_ENTITY,
        ModelError::new("body", path, msg),
        "validation_failed",
    )
}

/// Verifies one credential.
pub async fn verify_credential(
    v: &Verifier,
    req: &VerifyCredentialRequest,
) -> Result<VerifyResponse, ApiError> {
    if !req.verifiable_credential.is_object() {
        return Err(bad("/verifiableCredential", "must be a JSON object"));
    }
    Ok(v.verify(&req.verifiable_credential).await.into())
}

/// Body of `POST /presentations/verify`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPresentationRequest {
    /// The presentation.
    #[schema(value_type = Object)]
    pub verifiable_presentation: serde_json::Value,
    /// `challenge` and `domain` the presentation's proof must carry.
    #[serde(default)]
    pub options: PresentationOptions,
}

/// Options of presentation verification.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PresentationOptions {
    /// Expected `proof.challenge`.
    pub challenge: Option<String>,
    /// Expected `proof.domain`.
    pub domain: Option<String>,
}

/// Answer of `POST /presentations/verify`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyPresentationResponse {
    /// True when the presentation's proof (if any is required) and every credential verified.
    pub verified: bool,
    /// Presentation-level checks that passed.
    pub checks: Vec<String>,
    /// Presentation-level warnings.
    pub warnings: Vec<String>,
    /// Presentation-level errors.
    pub errors: Vec<String>,
    /// One answer per credential, in order.
    pub credentials: Vec<VerifyResponse>,
}

/// Verifies a presentation: its proof (purpose `authentication`, by a key of the `holder`,
/// with the expected challenge and domain) and each credential in it.
pub async fn verify_presentation(
    v: &Verifier,
    req: &VerifyPresentationRequest,
) -> Result<VerifyPresentationResponse, ApiError> {
    let vp = &req.verifiable_presentation;
    if !vp.is_object() {
        return Err(bad("/verifiablePresentation", "must be a JSON object"));
    }
    let types: Vec<&str> = match vp.get("type") {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|x| x.as_str()).collect(),
        _ => vec![],
    };
    if !types.contains(&"VerifiablePresentation") {
        return Err(bad(
            "/verifiablePresentation/type",
            "must include VerifiablePresentation",
        ));
    }
    let (mut checks, mut warnings, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    match vp.get("proof") {
        None => {
            if req.options.challenge.is_some() {
                errors.push(
                    "proof: a challenge was given but the presentation is not signed".to_owned(),
                );
            } else {
                warnings.push(
                    "proof: the presentation is not signed (only its credentials are checked)"
                        .to_owned(),
                );
            }
        }
        Some(p) => {
            for (field, expected) in [
                ("challenge", &req.options.challenge),
                ("domain", &req.options.domain),
            ] {
                if let Some(exp) = expected {
                    if p.get(field).and_then(|x| x.as_str()) != Some(exp.as_str()) {
                        errors.push(format!("proof: {field} does not match"));
                    }
                }
            }
            match proof::verify(vp, v.resolver.as_ref(), "authentication").await {
                Ok(proofs) => {
                    let holder = vp
                        .get("holder")
                        .and_then(|h| h.as_str().or_else(|| h.get("id").and_then(|x| x.as_str())))
                        .and_then(|h| Did::new(h).ok());
                    match holder {
                        Some(h)
                            if proofs
                                .iter()
                                .all(|p| p.controller == h && p.purpose_authorized) =>
                        {
                            checks.push("proof".to_owned());
                        }
                        Some(h) => errors.push(format!(
                            "proof: not signed by an authentication key of the holder {h}"
                        )),
                        None => {
                            errors.push("proof: the presentation names no holder DID".to_owned())
                        }
                    }
                }
                Err(e) => errors.push(format!("proof: {e}")),
            }
        }
    }
    let vcs: Vec<serde_json::Value> = match vp.get("verifiableCredential") {
        None => vec![],
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(x) => vec![x.clone()],
    };
    if vcs.len() > 50 {
        return Err(bad(
            "/verifiablePresentation/verifiableCredential",
            "at most 50 credentials",
        ));
    }
    let mut credentials = Vec::new();
    for c in &vcs {
        if !c.is_object() {
            return Err(bad("/verifiablePresentation/verifiableCredential", "each credential must be a JSON object (JWT-secured credentials are not supported yet)"));
        }
        credentials.push(VerifyResponse::from(v.verify(c).await));
    }
    let verified = errors.is_empty() && credentials.iter().all(|c| c.verified);
    Ok(VerifyPresentationResponse {
        verified,
        checks,
        warnings,
        errors,
        credentials,
    })
}
