//! W3C VC-API (CCG Verifiable Credentials API v0.3) verification: `POST /credentials/verify`
//! and `POST /presentations/verify`, answering with `checks`, `warnings` and `errors` and our
//! full report.

use axum::http::StatusCode;
use microcred_core::jades::SealReport;
use microcred_core::model::{Did, ModelError};
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

/// Answer of `POST /credentials/verify` for a JAdES-sealed European Digital Credential
/// (Europass): the seal check instead of the Data Integrity report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SealedVerifyResponse {
    /// True when the seal holds (signature, certificate digest, certificate valid at `sigT`
    /// and at the signature timestamp, every timestamp token valid).
    pub verified: bool,
    /// Checks that passed.
    pub checks: Vec<String>,
    /// Checks not made, and facts to weigh (expired certificate, not qualified).
    pub warnings: Vec<String>,
    /// Checks that failed.
    pub errors: Vec<String>,
    /// The seal report.
    #[schema(value_type = Object)]
    pub seal: SealReport,
}

impl From<SealReport> for SealedVerifyResponse {
    fn from(r: SealReport) -> Self {
        let mut checks = Vec::new();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for (ok, name, why) in [
            (
                r.signature_valid,
                "seal-signature",
                format!(
                    "the {} signature does not match the credential and the certificate's key",
                    r.algorithm
                ),
            ),
            (
                r.certificate_digest_matches,
                "seal-certificate-digest",
                "x5t#S256 does not name the certificate given".to_owned(),
            ),
            (
                r.valid_at_signing,
                "seal-certificate-valid-at-signing",
                format!(
                    "sealed at {}, outside the certificate's validity {} to {}",
                    r.signed_at.as_deref().unwrap_or("(no sigT)"),
                    r.certificate_not_before,
                    r.certificate_not_after
                ),
            ),
        ] {
            if ok {
                checks.push(name.to_owned());
            } else {
                errors.push(format!("{name}: {why}"));
            }
        }
        if r.expired_now {
            warnings.push(format!(
                "seal-certificate-expired: the certificate expired on {} (after the seal was made)",
                r.certificate_not_after
            ));
        }
        if r.qualified {
            checks.push("seal-certificate-qualified".to_owned());
        } else {
            warnings.push("seal-certificate-qualified: the certificate does not say it is a qualified certificate for electronic seals".to_owned());
        }
        for (name, t) in [
            ("seal-signature-timestamp", &r.signature_timestamp),
            ("seal-content-timestamp", &r.content_timestamp),
        ] {
            match t {
                Some(t) if t.valid => checks.push(name.to_owned()),
                Some(t) => errors.push(format!(
                    "{name}: {}",
                    t.problem.as_deref().unwrap_or("does not hold")
                )),
                None => {}
            }
        }
        if r.signature_timestamp.is_none() {
            warnings.push(
                "seal-signature-timestamp: none (JAdES baseline B): the sealing time is the sealer's own claim"
                    .to_owned(),
            );
        }
        warnings.push(
            "trust-chain: the chains of the seal and of the timestamp authority are not checked against the EU Trusted List (no trust anchors configured)"
                .to_owned(),
        );
        Self {
            verified: r.holds(),
            checks,
            warnings,
            errors,
            seal: r,
        }
    }
}

/// What `POST /credentials/verify` answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CredentialAnswer {
    /// A W3C VC with a Data Integrity proof.
    Vc(VerifyResponse),
    /// A sealed European Digital Credential.
    Sealed(Box<SealedVerifyResponse>),
}

impl CredentialAnswer {
    /// Whether the credential verified.
    pub fn verified(&self) -> bool {
        match self {
            Self::Vc(r) => r.verified,
            Self::Sealed(r) => r.verified,
        }
    }
}

/// Checks a sealed European Digital Credential now.
pub fn verify_sealed(doc: &serde_json::Value) -> Result<SealReport, ApiError> {
    microcred_core::jades::verify_seal(doc, time::OffsetDateTime::now_utc())
        .map_err(|e| bad("/verifiableCredential", e.to_string()))
}

/// Verifies one credential: a W3C VC with a Data Integrity proof, or a JAdES-sealed
/// European Digital Credential (Europass).
pub async fn verify_credential(
    v: &Verifier,
    req: &VerifyCredentialRequest,
) -> Result<CredentialAnswer, ApiError> {
    if !req.verifiable_credential.is_object() {
        return Err(bad("/verifiableCredential", "must be a JSON object"));
    }
    if microcred_core::jades::is_sealed(&req.verifiable_credential) {
        return Ok(CredentialAnswer::Sealed(Box::new(
            verify_sealed(&req.verifiable_credential)?.into(),
        )));
    }
    Ok(CredentialAnswer::Vc(
        v.verify(&req.verifiable_credential).await?.into(),
    ))
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
            match v.verify_proofs(vp, "authentication").await? {
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
                        // VC 2.0 §4.13: holder is optional. The proof holds, but whose it is
                        // cannot be tied to a holder.
                        None => {
                            checks.push("proof".to_owned());
                            warnings.push(
                                "holder: the presentation names no holder, so holder binding is not established".to_owned(),
                            );
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
        credentials.push(VerifyResponse::from(v.verify(c).await?));
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
