//! Verification of a credential as a report of named checks (each passed, failed or skipped,
//! with a reason), following W3C VC Data Model 2.0 §7.1 (verification) and VC Data Integrity
//! 1.0 §4.3 (verify proof).
//!
//! The checks: `proof` (the signature), `issuerBinding` (the signing key belongs to the issuer
//! and is listed under its `assertionMethod`), `validityWindow` (`validFrom`/`validUntil`),
//! `schema` (our own credentials only), `status` (W3C Bitstring Status List: revoked,
//! suspended, active, or unknown when the list cannot be had - never valid then). A credential
//! is valid only when proof and issuer binding passed and no check failed.

use serde::Serialize;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::did::DidResolver;
use crate::model::{parse_datetime, Did, MicroCredential};
use crate::proof;
use crate::status::{check_status, CredentialState, StatusListSource};

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckName {
    /// The document is a conforming verifiable credential (VC Data Model 2.0 §4, or 1.1).
    DataModel,
    /// The Data Integrity proof (signature).
    Proof,
    /// The signing key belongs to the issuer.
    IssuerBinding,
    /// `validFrom` / `validUntil` enclose now.
    ValidityWindow,
    /// The credential conforms to our JSON Schema and model.
    Schema,
    /// Revocation / suspension status.
    Status,
}

impl CheckName {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::DataModel => "data model",
            Self::Proof => "signature",
            Self::IssuerBinding => "issuer binding",
            Self::ValidityWindow => "validity period",
            Self::Schema => "schema conformance",
            Self::Status => "status",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed: the credential is not valid.
    Failed,
    /// The check was not made (the reason says why).
    Skipped,
}

/// What kind of failure a failed check met, for callers that act on it (a page's verdict)
/// without reading the English of the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Failure {
    /// `validUntil` has passed.
    Expired,
    /// `validFrom` is still to come.
    NotYetValid,
    /// A date could not be read.
    Malformed,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Passed, failed or skipped.
    pub outcome: Outcome,
    /// Why, in plain words.
    pub reason: String,
    /// The kind of failure, where one is told apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// The report on one credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationReport {
    /// True only when proof and issuer binding passed and no check failed.
    pub verified: bool,
    /// The credential's `id`, if any.
    pub credential_id: Option<String>,
    /// The issuer's id, if any.
    pub issuer: Option<String>,
    /// Revocation / suspension state.
    pub status: CredentialState,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl VerificationReport {
    /// The check called `name`.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The report in words, one line per check.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n", if self.verified { "VALID" } else { "NOT VALID" });
        if let Some(id) = &self.credential_id {
            s.push_str(&format!("  credential: {id}\n"));
        }
        if let Some(i) = &self.issuer {
            s.push_str(&format!("  issuer:     {i}\n"));
        }
        for c in &self.checks {
            let mark = match c.outcome {
                Outcome::Passed => "passed ",
                Outcome::Failed => "FAILED ",
                Outcome::Skipped => "skipped",
            };
            s.push_str(&format!("  [{mark}] {}: {}\n", c.name.label(), c.reason));
        }
        s
    }
}

fn check(name: CheckName, outcome: Outcome, reason: impl Into<String>) -> Check {
    Check {
        name,
        outcome,
        reason: reason.into(),
        failure: None,
    }
}

fn failed(name: CheckName, failure: Failure, reason: impl Into<String>) -> Check {
    Check {
        failure: Some(failure),
        ..check(name, Outcome::Failed, reason)
    }
}

fn issuer_id(doc: &serde_json::Value) -> Option<String> {
    match doc.get("issuer") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Object(o)) => {
            o.get("id").and_then(|v| v.as_str()).map(String::from)
        }
        _ => None,
    }
}

fn fmt_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Whether the credential declares our extension context (it is "ours" and held to our
/// schema).
pub fn is_microcred_credential(doc: &serde_json::Value) -> bool {
    doc.get("@context")
        .and_then(|c| c.as_array())
        .is_some_and(|a| a.iter().any(|c| c == microcred_schemas::MICROCRED_V1_URL))
}

/// Verifies a credential at time `now`, resolving keys through `resolver` and status lists
/// through `status`.
pub async fn verify_credential(
    doc: &serde_json::Value,
    resolver: &dyn DidResolver,
    status: &dyn StatusListSource,
    now: OffsetDateTime,
) -> VerificationReport {
    // One document per DID for the whole verification (the credential's proof and its status
    // lists' proofs name the same issuer).
    let resolver = &crate::did::ResolveOnce::new(resolver);
    let mut checks = Vec::new();
    let issuer = issuer_id(doc);

    // The document is what the standard calls a verifiable credential.
    let problems = crate::data_model::credential_problems(doc);
    checks.push(if problems.is_empty() {
        check(
            CheckName::DataModel,
            Outcome::Passed,
            "a conforming verifiable credential (W3C VC Data Model)",
        )
    } else {
        check(CheckName::DataModel, Outcome::Failed, problems.join("; "))
    });

    // Proof.
    let verified_proofs = match proof::verify(doc, resolver, "assertionMethod").await {
        Ok(p) => {
            let suites: Vec<_> = p.iter().map(|p| p.cryptosuite.name()).collect();
            checks.push(check(
                CheckName::Proof,
                Outcome::Passed,
                format!(
                    "{} signature by {} is intact",
                    suites.join(", "),
                    p.iter()
                        .map(|p| p.verification_method.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            Some(p)
        }
        Err(e) => {
            checks.push(check(CheckName::Proof, Outcome::Failed, e.to_string()));
            None
        }
    };

    // Issuer binding.
    checks.push(match (&verified_proofs, &issuer) {
        (None, _) => check(
            CheckName::IssuerBinding,
            Outcome::Skipped,
            "the proof did not verify, so the key cannot be tied to the issuer",
        ),
        (Some(_), None) => check(
            CheckName::IssuerBinding,
            Outcome::Failed,
            "the credential names no issuer",
        ),
        (Some(proofs), Some(iss)) => match Did::new(iss) {
            Err(_) => check(
                CheckName::IssuerBinding,
                Outcome::Failed,
                format!(
                    "not established: the issuer `{iss}` is not a DID, so the signing key (controlled by {}) cannot be shown to belong to it",
                    proofs[0].controller
                ),
            ),
            Ok(iss_did) => {
                if let Some(p) = proofs.iter().find(|p| p.controller != iss_did) {
                    check(
                        CheckName::IssuerBinding,
                        Outcome::Failed,
                        format!(
                            "the credential was signed by a key of {}, not of the issuer {iss_did}",
                            p.controller
                        ),
                    )
                } else if let Some(p) = proofs.iter().find(|p| !p.purpose_authorized) {
                    check(
                        CheckName::IssuerBinding,
                        Outcome::Failed,
                        format!(
                            "the key {} is not listed under assertionMethod in the DID document of {iss_did}",
                            p.verification_method
                        ),
                    )
                } else {
                    check(
                        CheckName::IssuerBinding,
                        Outcome::Passed,
                        format!("the signing key is an assertion method of the issuer {iss_did}"),
                    )
                }
            }
        },
    });

    // Validity window (VC 2.0 validFrom/validUntil; VC 1.1 issuanceDate/expirationDate).
    let from = doc.get("validFrom").or_else(|| doc.get("issuanceDate"));
    let until = doc.get("validUntil").or_else(|| doc.get("expirationDate"));
    let parse =
        |name: &str, v: Option<&serde_json::Value>| -> Result<Option<OffsetDateTime>, String> {
            match v {
                None => Ok(None),
                Some(serde_json::Value::String(s)) => {
                    parse_datetime(name, "", s).map(Some).map_err(|e| e.message)
                }
                Some(_) => Err(format!("{name} is not a string")),
            }
        };
    checks.push(
        match (parse("validFrom", from), parse("validUntil", until)) {
            (Err(e), _) | (_, Err(e)) => failed(CheckName::ValidityWindow, Failure::Malformed, e),
            (Ok(f), Ok(u)) => match (f, u) {
                (Some(f), _) if now < f => failed(
                    CheckName::ValidityWindow,
                    Failure::NotYetValid,
                    format!("not valid before {}", fmt_time(f)),
                ),
                (_, Some(u)) if now > u => failed(
                    CheckName::ValidityWindow,
                    Failure::Expired,
                    format!("expired on {}", fmt_time(u)),
                ),
                (f, u) => check(
                    CheckName::ValidityWindow,
                    Outcome::Passed,
                    match (f, u) {
                        (Some(f), Some(u)) => {
                            format!("valid from {} until {}", fmt_time(f), fmt_time(u))
                        }
                        (Some(f), None) => format!("valid from {}, with no end date", fmt_time(f)),
                        (None, Some(u)) => format!("valid until {}", fmt_time(u)),
                        (None, None) => "the credential states no validity period".to_owned(),
                    },
                ),
            },
        },
    );

    // Schema conformance (ours only).
    checks.push(if is_microcred_credential(doc) {
        let mut problems: Vec<String> = crate::schema::validate_credential(doc)
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        if let Err(errs) = MicroCredential::from_json(doc) {
            problems.extend(errs.0.into_iter().map(|e| e.to_string()));
        }
        problems.dedup();
        if problems.is_empty() {
            check(
                CheckName::Schema,
                Outcome::Passed,
                "conforms to the microcred credential schema (all 11 EU mandatory elements present)",
            )
        } else {
            check(CheckName::Schema, Outcome::Failed, problems.join("; "))
        }
    } else {
        check(
            CheckName::Schema,
            Outcome::Skipped,
            "not a microcred credential (no https://w3id.org/microcred/v1 context): only its proof, issuer and dates are checked",
        )
    });

    // Status (only worth fetching when the credential is genuine).
    let state = if verified_proofs.is_some() {
        let s = check_status(doc, resolver, status).await;
        let outcome = match s.state {
            CredentialState::NotDeclared => Outcome::Skipped,
            CredentialState::Active => Outcome::Passed,
            _ => Outcome::Failed,
        };
        checks.push(check(CheckName::Status, outcome, s.reason));
        s.state
    } else {
        checks.push(check(
            CheckName::Status,
            Outcome::Skipped,
            "the proof did not verify, so the status was not looked up",
        ));
        CredentialState::Unknown
    };

    let failed = checks.iter().any(|c| c.outcome == Outcome::Failed);
    let passed = |n| {
        checks
            .iter()
            .any(|c| c.name == n && c.outcome == Outcome::Passed)
    };
    let verified = !failed && passed(CheckName::Proof) && passed(CheckName::IssuerBinding);
    VerificationReport {
        verified,
        credential_id: doc.get("id").and_then(|v| v.as_str()).map(String::from),
        issuer,
        status: state,
        checks,
    }
}
