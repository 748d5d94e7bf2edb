//! Renewal: a new credential for the same learner and achievement (at its current version),
//! valid from now, that supersedes the old one (the old page says "Superseded" and links to
//! the new one). A renewal never shortens: its end of validity is later than the old one's,
//! and a credential without an end keeps none. One transaction.

use serde::Deserialize;
use time::OffsetDateTime;

use super::state::Transition;
use super::{check, credential_for, replace, stored_credential};
use crate::achievements;
use crate::auth::Principal;
use crate::db;
use crate::domain::issuance::parse_date_or_datetime;
use crate::domain::values::Reason;
use crate::error::IssuerError;
use crate::issuance::{issued, Issued};
use crate::Issuer;

/// A renewal request.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenewalRequest {
    /// End of validity of the new credential (RFC 3339 or YYYY-MM-DD), later than the old
    /// one's; default: the achievement's validity period from now, never earlier than the
    /// old end.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Why (kept for the audit trail); default "renewal".
    #[serde(default)]
    pub reason: Option<String>,
}

/// Renews the credential `code`.
pub async fn renew(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    code: &str,
    req: RenewalRequest,
) -> Result<Issued, IssuerError> {
    let reason = Reason::parse(req.reason.as_deref().unwrap_or("renewal"))?;
    let requested = req
        .valid_until
        .as_deref()
        .map(|v| parse_date_or_datetime("validUntil", "/validUntil", v))
        .transpose()?;
    let mut tx = app.db.write().await?;
    let (inst, old) = credential_for(&mut tx, p, inst_slug, code).await?;
    check(&old, Transition::Supersede)?;
    let mut c = stored_credential(&old)?;
    if let Some(aid) = &old.achievement_id {
        // Renewal re-certifies against the achievement as it is now.
        if let Some(cur) = db::achievements::find_current_achievement_by_id(&mut tx, aid).await? {
            c.achievement.definition = achievements::definition(&cur)?;
            c.achievement.version = u32::try_from(cur.version).unwrap_or(u32::MAX);
        }
    }
    let now = OffsetDateTime::now_utc();
    let old_end = c.valid_until;
    c.valid_until = match (requested, old_end) {
        (Some(t), _) if t <= now => {
            return Err(IssuerError::invalid(
                "validUntil",
                "/validUntil",
                "must be in the future",
            ))
        }
        (Some(_), None) => {
            return Err(IssuerError::invalid(
                "validUntil",
                "/validUntil",
                "the credential has no end of validity; a renewal cannot shorten it (leave validUntil out)",
            ))
        }
        (Some(t), Some(end)) if t <= end => {
            return Err(IssuerError::invalid(
                "validUntil",
                "/validUntil",
                format!(
                    "a renewal never shortens: give a date after the current end of validity, {}",
                    db::rfc3339(end.unix_timestamp())
                ),
            ))
        }
        (Some(t), Some(_)) => Some(t),
        (None, None) => None,
        (None, Some(end)) => Some(
            c.achievement
                .definition
                .validity_period
                .map(|period| period.after(now.replace_nanosecond(0).expect("valid")))
                .map_or(end, |t| t.max(end)),
        ),
    };
    let new = replace(app, &mut tx, &inst, &old, c, &reason, &p.actor).await?;
    tx.commit().await?;
    issued(app, &new, true)
}
