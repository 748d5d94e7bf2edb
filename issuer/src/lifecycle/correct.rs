//! Correction (the right to rectification, GDPR art. 16): a new credential with the fix
//! (same learner identifiers), which supersedes the old one - issue, supersede, link and
//! record, all in one transaction or not at all.

use serde::Deserialize;

use super::state::Transition;
use super::{check, credential_for, replace, stored_credential};
use crate::auth::Principal;
use crate::domain::issuance::parse_date_or_datetime;
use crate::domain::values::{PersonName, Reason};
use crate::error::IssuerError;
use crate::issuance::{issued, Issued};
use crate::Issuer;

/// What a correction changes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorrectionRequest {
    /// Why (kept for the audit trail).
    pub reason: String,
    /// The learner's corrected name.
    #[serde(default)]
    pub learner_name: Option<String>,
    /// The corrected grade.
    #[serde(default)]
    pub grade: Option<String>,
    /// The corrected start of learning (RFC 3339 or YYYY-MM-DD).
    #[serde(default)]
    pub activity_start_date: Option<String>,
    /// The corrected end of learning (RFC 3339 or YYYY-MM-DD).
    #[serde(default)]
    pub activity_end_date: Option<String>,
}

/// Corrects the credential `code`.
pub async fn correct(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    code: &str,
    req: CorrectionRequest,
) -> Result<Issued, IssuerError> {
    let reason = Reason::parse(&req.reason)?;
    let name = req
        .learner_name
        .as_deref()
        .map(|n| PersonName::parse_at(n, "/learnerName"))
        .transpose()?;
    let start = req
        .activity_start_date
        .as_deref()
        .map(|d| parse_date_or_datetime("activityStartDate", "/activityStartDate", d))
        .transpose()?;
    let end = req
        .activity_end_date
        .as_deref()
        .map(|d| parse_date_or_datetime("activityEndDate", "/activityEndDate", d))
        .transpose()?;
    if name.is_none() && req.grade.is_none() && start.is_none() && end.is_none() {
        return Err(IssuerError::invalid(
            "correction",
            "",
            "give at least one of learnerName, grade, activityStartDate, activityEndDate",
        ));
    }
    let mut tx = app.db.write().await?;
    let (inst, old) = credential_for(&mut tx, p, inst_slug, code).await?;
    check(&old, Transition::Supersede)?;
    let mut c = stored_credential(&old)?;
    if let Some(n) = name {
        c.learner.name = n.as_str().to_owned();
    }
    if let Some(g) = req.grade {
        c.grade = Some(g.trim().to_owned()).filter(|g| !g.is_empty());
    }
    c.activity_start = start.or(c.activity_start);
    c.activity_end = end.or(c.activity_end);
    let new = replace(app, &mut tx, &inst, &old, c, &reason, &p.actor).await?;
    tx.commit().await?;
    issued(app, &new, true)
}
