//! An issuance request: one learner (Annex I element 1), optional grade, dates and evidence,
//! parsed and checked before anything is signed or stored.

use microcred_core::model::{
    parse_datetime, Did, Evidence, HttpUrl, IdentityType, Learner, LearnerIdentity, ModelError,
    ModelErrors,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::values::{optional_text, IdempotencyKey, PersonName};

/// Wire form of the learner.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LearnerDoc {
    /// Full name, as it should appear on the credential.
    pub name: String,
    /// E-mail (hashed in the credential; kept by the issuer to notify the learner).
    #[serde(default)]
    pub email: Option<String>,
    /// National identity number, e.g. IDNP (only its salted hash is in the credential).
    #[serde(default)]
    pub national_id: Option<String>,
    /// The learner's id in the LMS (only its salted hash is in the credential).
    #[serde(default)]
    pub lms_id: Option<String>,
    /// The learner's DID, if they have a wallet.
    #[serde(default)]
    pub did: Option<String>,
}

/// Wire form of one piece of evidence.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvidenceDoc {
    /// Where it can be seen (https).
    #[serde(default)]
    pub url: Option<String>,
    /// What it is.
    #[serde(default)]
    pub name: Option<String>,
    /// What was done.
    #[serde(default)]
    pub narrative: Option<String>,
}

/// Wire form of a request to issue one credential.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueRequestDoc {
    /// Slug of the achievement (its current version is used).
    pub achievement: String,
    /// The learner.
    pub learner: LearnerDoc,
    /// Grade achieved (optional element), e.g. `92%`, `9.50`, `A`.
    #[serde(default)]
    pub grade: Option<String>,
    /// When the learning started (RFC 3339 or YYYY-MM-DD).
    #[serde(default)]
    pub activity_start_date: Option<String>,
    /// When the learning ended (RFC 3339 or YYYY-MM-DD).
    #[serde(default)]
    pub activity_end_date: Option<String>,
    /// End of validity (RFC 3339 or YYYY-MM-DD), if the credential expires.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Evidence of the learning.
    #[serde(default)]
    pub evidence: Vec<EvidenceDoc>,
    /// Issuing twice with the same key returns the first credential (the `Idempotency-Key`
    /// header does the same).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A checked issuance request.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// Achievement slug.
    pub achievement: String,
    /// The learner as the credential carries them.
    pub learner: Learner,
    /// The e-mail in clear, for the issuer's records.
    pub learner_email: Option<String>,
    /// Grade.
    pub grade: Option<String>,
    /// Learning period.
    pub activity_start: Option<OffsetDateTime>,
    /// Learning period.
    pub activity_end: Option<OffsetDateTime>,
    /// Expiry.
    pub valid_until: Option<OffsetDateTime>,
    /// Evidence.
    pub evidence: Vec<Evidence>,
    /// Idempotency key.
    pub idempotency_key: Option<IdempotencyKey>,
}

/// Parses `2026-06-30` as midnight UTC, or any RFC 3339 date-time.
pub fn parse_date_or_datetime(
    element: &str,
    path: &str,
    s: &str,
) -> Result<OffsetDateTime, ModelError> {
    let s = s.trim();
    if s.len() == 10 {
        return parse_datetime(element, path, &format!("{s}T00:00:00Z")).map_err(|_| {
            ModelError::new(element, path, format!("`{s}` is not a date (YYYY-MM-DD)"))
        });
    }
    parse_datetime(element, path, s)
}

impl IssueRequestDoc {
    /// A fingerprint of the request as sent (hex SHA-256 of its JSON), to tell a retry with
    /// an idempotency key from a different request reusing it.
    pub fn fingerprint(&self) -> String {
        crate::secrets::sha256_hex(
            serde_json::to_string(self)
                .expect("serialisable")
                .as_bytes(),
        )
    }

    /// Checks every field (salting and hashing the learner's identifiers), listing every
    /// problem. `header_key` is the `Idempotency-Key` header, if any.
    pub fn parse(
        self,
        header_key: Option<String>,
        salt: &str,
    ) -> Result<IssueRequest, ModelErrors> {
        let mut errs = ModelErrors::default();
        let l = self.learner;
        let name = errs
            .take(
                PersonName::parse_at(&l.name, "/learner/name").map_err(|mut e| {
                    e.element = "learner".into();
                    if e.message == "must not be empty" {
                        e.message = "the learner's name is required".into();
                    }
                    e
                }),
            )
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default();
        let mut identities = Vec::new();
        let email = l
            .email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        for (kind, value, path) in [
            (IdentityType::Email, &email, "/learner/email"),
            (
                IdentityType::NationalId,
                &l.national_id,
                "/learner/nationalId",
            ),
            (IdentityType::Other, &l.lms_id, "/learner/lmsId"),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                if v.len() > 320 {
                    errs.push(ModelError::new(
                        "learner",
                        path,
                        "must be at most 320 characters",
                    ));
                    continue;
                }
                if let Some(id) =
                    errs.take(LearnerIdentity::hashed(kind, v, salt).map_err(|mut e| {
                        e.path = path.into();
                        e
                    }))
                {
                    identities.push(id);
                }
            }
        }
        let did = l.did.filter(|d| !d.trim().is_empty()).and_then(|d| {
            errs.take(Did::new(d.trim()).map_err(|mut e| {
                e.element = "learner".into();
                e.path = "/learner/did".into();
                e
            }))
        });
        if identities.is_empty() && did.is_none() {
            errs.push(ModelError::new(
                "learner",
                "/learner",
                "identify the learner by email, nationalId, lmsId or did",
            ));
        }
        let grade = errs
            .take(optional_text("grade", "/grade", self.grade, 50))
            .flatten();
        let date = |errs: &mut ModelErrors, v: Option<String>, el: &str| {
            v.filter(|s| !s.trim().is_empty())
                .and_then(|s| errs.take(parse_date_or_datetime(el, &format!("/{el}"), &s)))
        };
        let activity_start = date(&mut errs, self.activity_start_date, "activityStartDate");
        let activity_end = date(&mut errs, self.activity_end_date, "activityEndDate");
        if let (Some(s), Some(e)) = (activity_start, activity_end) {
            if e < s {
                errs.push(ModelError::new(
                    "activityEndDate",
                    "/activityEndDate",
                    "the learning cannot end before it started",
                ));
            }
        }
        let valid_until = date(&mut errs, self.valid_until, "validUntil");
        if valid_until.is_some_and(|u| u <= OffsetDateTime::now_utc()) {
            errs.push(ModelError::new(
                "validUntil",
                "/validUntil",
                "must be in the future",
            ));
        }
        if self.evidence.len() > 10 {
            errs.push(ModelError::new(
                "evidence",
                "/evidence",
                "at most 10 pieces of evidence",
            ));
        }
        let evidence = self
            .evidence
            .into_iter()
            .enumerate()
            .take(10)
            .map(|(i, e)| Evidence {
                url: e.url.filter(|u| !u.trim().is_empty()).and_then(|u| {
                    errs.take(HttpUrl::new("evidence", u.trim()).map_err(|mut x| {
                        x.path = format!("/evidence/{i}/url");
                        x
                    }))
                }),
                name: errs
                    .take(optional_text(
                        "evidence",
                        &format!("/evidence/{i}/name"),
                        e.name,
                        200,
                    ))
                    .flatten(),
                narrative: errs
                    .take(optional_text(
                        "evidence",
                        &format!("/evidence/{i}/narrative"),
                        e.narrative,
                        2000,
                    ))
                    .flatten(),
            })
            .collect();
        let idempotency_key = header_key
            .or(self.idempotency_key)
            .and_then(|k| errs.take(IdempotencyKey::parse(&k)));
        let achievement = self.achievement;
        errs.finish(|| IssueRequest {
            achievement,
            learner: Learner {
                name,
                did,
                identities,
            },
            learner_email: email,
            grade,
            activity_start,
            activity_end,
            valid_until,
            evidence,
            idempotency_key,
        })
    }
}
