//! Revoke (final), suspend and unsuspend a credential, each with a required reason kept for
//! the audit trail (never shown publicly), in one transaction.

use super::history::{credential_state, CredentialStateView};
use super::state::Transition;
use super::{apply, credential_for};
use crate::auth::Principal;
use crate::domain::values::Reason;
use crate::error::IssuerError;
use crate::Issuer;

/// Applies `t` to the credential `code` of institution `inst_slug`; returns its new state.
pub async fn change(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    code: &str,
    t: Transition,
    reason: &str,
) -> Result<CredentialStateView, IssuerError> {
    let reason = Reason::parse(reason)?;
    let mut tx = app.db.write().await?;
    let (inst, cred) = credential_for(&mut tx, p, inst_slug, code).await?;
    apply(app, &mut tx, &inst, &cred, t, reason.as_str(), &p.actor).await?;
    // Read back after the change: the view shows the new state and event.
    let changed = crate::db::credentials::find_credential(&mut tx, &cred.id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("credential `{code}`")))?;
    let view = credential_state(&mut tx, changed).await?;
    tx.commit().await?;
    Ok(view)
}
