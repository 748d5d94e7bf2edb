//! A credential's life after issuing: revoke, suspend and unsuspend ([`transitions`]); renew
//! and correct, each a new credential from the one pipeline that supersedes the old one in
//! the same transaction ([`renew`], [`correct`]); and the state with its history ([`history`]).
//! Every change goes through the pure [`state::transition`], writes its status list bit
//! (W3C Bitstring Status List v1.0), records an event naming who acted, and queues a note to
//! the learner - all in one transaction.

pub mod correct;
pub mod history;
pub mod renew;
pub mod state;
pub mod transitions;

use microcred_core::model::MicroCredential;
use sqlx::AnyConnection;

use crate::auth::{self, Actor, Principal};
use crate::db::{
    self, credential_events::CredentialEventRow, credentials::CredentialRow,
    institutions::InstitutionRow, notifications::NewNotification,
};
use crate::domain::values::Reason;
use crate::error::IssuerError;
use crate::{secrets, status_lists, Issuer};
use state::{transition, CredentialState, Transition};

/// The institution `inst_slug` (if the caller may act for it) and its credential `code`.
pub(crate) async fn credential_for(
    c: &mut AnyConnection,
    p: &Principal,
    inst_slug: &str,
    code: &str,
) -> Result<(InstitutionRow, CredentialRow), IssuerError> {
    let inst = auth::institution_for(c, p, inst_slug).await?;
    let cred = db::credentials::find_institution_credential(c, &inst.id, code)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("credential `{code}`")))?;
    Ok((inst, cred))
}

/// The stored state of a credential.
pub(crate) fn state_of(cred: &CredentialRow) -> Result<CredentialState, IssuerError> {
    CredentialState::parse(&cred.state).ok_or_else(|| {
        IssuerError::stored(
            format!("credential {} (state)", cred.code),
            format!("unknown state `{}`", cred.state),
        )
    })
}

/// Whether `t` may happen to `cred` now (checked before any work is done).
pub(crate) fn check(cred: &CredentialRow, t: Transition) -> Result<(), IssuerError> {
    transition(state_of(cred)?, t)
        .map(|_| ())
        .map_err(|r| IssuerError::conflict(r.to_string()))
}

/// The signed micro-credential stored in `cred`, for a renewal or correction.
pub(crate) fn stored_credential(cred: &CredentialRow) -> Result<MicroCredential, IssuerError> {
    let doc: serde_json::Value = serde_json::from_str(&cred.document)
        .map_err(|e| IssuerError::stored(format!("credential {} (document)", cred.code), e))?;
    MicroCredential::from_json(&doc).map_err(|e| {
        IssuerError::conflict(format!(
            "this credential is not a microcred micro-credential and cannot be re-issued: {e}"
        ))
    })
}

/// Applies `t` to `cred` inside `c`: the status bit (list re-signed), the state, the event
/// naming `actor`, and the learner's notification.
pub(crate) async fn apply(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cred: &CredentialRow,
    t: Transition,
    reason: &str,
    actor: &Actor,
) -> Result<CredentialState, IssuerError> {
    let from = state_of(cred)?;
    let change = transition(from, t).map_err(|r| IssuerError::conflict(r.to_string()))?;
    status_lists::set_bit(app, c, inst, &cred.id, change.purpose, change.bit).await?;
    let now = db::now();
    if !db::credentials::update_credential_state(
        c,
        &cred.id,
        from.as_str(),
        change.to.as_str(),
        now,
    )
    .await?
    {
        return Err(IssuerError::conflict(
            "the credential was changed at the same time; reload and retry",
        ));
    }
    db::credential_events::insert_credential_event(
        c,
        &CredentialEventRow {
            id: secrets::new_id(),
            credential_id: cred.id.clone(),
            action: change.to.as_str().into(),
            reason: reason.to_owned(),
            actor: actor.label.clone(),
            actor_token: actor.token_id.clone(),
            at: now,
        },
    )
    .await?;
    crate::notifications::webhooks::queue(app, c, cred, change.to.as_str()).await?;
    if let Some(email) = &cred.learner_email {
        let payload = serde_json::json!({
            "credentialId": cred.vc_id, "code": cred.code, "state": change.to.as_str(),
            "verificationUrl": app.urls.verification_page(&cred.code)
        });
        db::notifications::insert_notification(
            c,
            &NewNotification {
                id: &secrets::new_id(),
                institution_id: &inst.id,
                recipient: email,
                kind: &format!("credential_{}", change.to.as_str()),
                payload: &payload.to_string(),
                at: now,
            },
        )
        .await?;
    }
    Ok(change.to)
}

/// Issues `replacement` through the one pipeline, supersedes `old` (revocation bit, state,
/// event) and links both - the steps of a renewal or correction, inside `c`.
pub(crate) async fn replace(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    old: &CredentialRow,
    replacement: MicroCredential,
    reason: &Reason,
    actor: &Actor,
) -> Result<CredentialRow, IssuerError> {
    use crate::issuance::pipeline::{issue_in, Document, IssueCommand, Outcome};
    let cmd = IssueCommand {
        achievement: old
            .achievement_id
            .clone()
            .map(|id| (id, i64::from(replacement.achievement.version))),
        learner_name: replacement.learner.name.clone(),
        learner_email: old.learner_email.clone(),
        learner_language: None,
        document: Document::Ours(Box::new(replacement)),
        idempotency: None,
        replaces: Some(old.id.clone()),
        actor: actor.clone(),
    };
    let Outcome::Issued(new) = issue_in(app, c, inst, cmd).await? else {
        return Err(IssuerError::conflict(
            "a replacement carries no idempotency key",
        ));
    };
    let why = format!("superseded by {}: {reason}", new.vc_id);
    apply(app, c, inst, old, Transition::Supersede, &why, actor).await?;
    if !db::credentials::update_credential_replaced_by(c, &old.id, &new.id).await? {
        return Err(IssuerError::conflict(
            "the credential was replaced at the same time; reload and retry",
        ));
    }
    Ok(*new)
}
