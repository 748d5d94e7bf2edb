//! Issuance: the one signing pipeline ([`pipeline`]: prepare, sign, store) and the entry
//! points that only build issue commands for it - one credential, idempotent ([`single`],
//! committed in groups by [`group`]); many from a CSV file, as a job ([`bulk`]); a whole
//! document given by the caller (W3C VC-API, [`vc_api`]).

pub mod bulk;
pub mod group;
pub mod pipeline;
pub mod single;
pub mod vc_api;

use microcred_core::model::{Evidence, HttpUrl, IssuedAchievement, Learner, MicroCredential};
use serde::Serialize;
use time::OffsetDateTime;

use crate::auth::{self, Actor, Principal};
use crate::db::{
    self, achievements::AchievementRow, credentials::CredentialRow, institutions::InstitutionRow,
};
use crate::domain::issuance::IssueRequest;
use crate::error::IssuerError;
use crate::{achievements, institutions, Issuer};
use pipeline::{Document, IssueCommand};

/// What the learner did, for [`compose`].
#[derive(Debug, Clone, Default)]
pub struct Award {
    /// Grade achieved.
    pub grade: Option<String>,
    /// Learning period.
    pub activity_start: Option<OffsetDateTime>,
    /// Learning period.
    pub activity_end: Option<OffsetDateTime>,
    /// Expiry given by the caller (else the achievement's validity period applies).
    pub valid_until: Option<OffsetDateTime>,
    /// Evidence.
    pub evidence: Vec<Evidence>,
}

/// The unsigned micro-credential for `learner` and the achievement at its current version
/// (the pipeline sets its id, date, issuer and status).
pub(crate) fn compose(
    app: &Issuer,
    inst: &InstitutionRow,
    ach: &AchievementRow,
    learner: Learner,
    award: Award,
) -> Result<MicroCredential, IssuerError> {
    let definition = achievements::definition(ach)?;
    let valid_until = award.valid_until.or_else(|| {
        definition.validity_period.map(|p| {
            p.after(
                OffsetDateTime::now_utc()
                    .replace_nanosecond(0)
                    .expect("valid"),
            )
        })
    });
    Ok(MicroCredential {
        id: String::new(),
        issuer: institutions::awarding_body(app, inst)?,
        learner,
        achievement: IssuedAchievement {
            id: HttpUrl::new("achievement", &app.urls.achievement(&inst.slug, &ach.slug))?,
            version: u32::try_from(ach.version).unwrap_or(u32::MAX),
            definition,
        },
        issued: OffsetDateTime::UNIX_EPOCH,
        valid_until,
        grade: award.grade,
        activity_start: award.activity_start,
        activity_end: award.activity_end,
        evidence: award.evidence,
        status: Vec::new(),
    })
}

/// The command that issues `req` (checked) for achievement `ach`: the credential composed for
/// the learner, the achievement's version, the idempotency key with the request's
/// `fingerprint`, and who acts - the one way single, grouped and bulk issues build it.
pub(crate) fn command_for(
    app: &Issuer,
    inst: &InstitutionRow,
    ach: &AchievementRow,
    req: &IssueRequest,
    fingerprint: &str,
    actor: &Actor,
) -> Result<IssueCommand, IssuerError> {
    let award = Award {
        grade: req.grade.clone(),
        activity_start: req.activity_start,
        activity_end: req.activity_end,
        valid_until: req.valid_until,
        evidence: req.evidence.clone(),
    };
    let credential = compose(app, inst, ach, req.learner.clone(), award)?;
    Ok(IssueCommand {
        document: Document::Ours(Box::new(credential)),
        achievement: Some((ach.id.clone(), ach.version)),
        learner_name: req.learner.name.clone(),
        learner_email: req.learner_email.clone(),
        learner_language: None,
        idempotency: req
            .idempotency_key
            .clone()
            .map(|k| (k, fingerprint.to_owned())),
        replaces: None,
        actor: actor.clone(),
    })
}

/// Whether a credential stored under an idempotency key was issued for the request with this
/// `fingerprint` (then it is the answer again); else the key was used for another request.
pub(crate) fn same_request(existing: &CredentialRow, fingerprint: &str) -> bool {
    existing.request_hash.as_deref() == Some(fingerprint)
}

/// Why a reused idempotency key is refused.
pub(crate) const KEY_REUSED: &str = "this idempotency key was already used for a different request";

/// The result of issuing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// Credential id (`urn:uuid:...`).
    pub id: String,
    /// Short public code.
    pub code: String,
    /// Public verification page (what the QR code points to).
    pub verification_url: String,
    /// QR code links.
    pub qr: QrLinks,
    /// False when an earlier credential was returned for the same idempotency key.
    pub created: bool,
    /// The signed credential.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Links to the QR code of the verification URL.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QrLinks {
    /// SVG.
    pub svg: String,
    /// PNG.
    pub png: String,
}

/// The API's view of a stored credential.
pub fn issued(app: &Issuer, row: &CredentialRow, created: bool) -> Result<Issued, IssuerError> {
    Ok(Issued {
        id: row.vc_id.clone(),
        code: row.code.clone(),
        verification_url: app.urls.verification_page(&row.code),
        qr: QrLinks {
            svg: app.urls.qr_svg(&row.code),
            png: app.urls.qr_png(&row.code),
        },
        created,
        credential: serde_json::from_str(&row.document)
            .map_err(|e| IssuerError::stored(format!("credential {} (document)", row.code), e))?,
    })
}

/// An institution's credentials, newest first (at most `limit`, 1-500).
pub async fn list_credentials(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    limit: i64,
) -> Result<Vec<Issued>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    db::credentials::list_credentials(&mut c, &inst.id, limit.clamp(1, 500))
        .await?
        .iter()
        .map(|r| issued(app, r, false))
        .collect()
}
