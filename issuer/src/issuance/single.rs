//! Issue one credential for an achievement. With an idempotency key already used for the same
//! request, the first credential is returned (`created: false`); for a different request, a
//! conflict. Concurrent requests with one key store one credential: the loser's transaction
//! is rolled back (its status indexes with it) and it answers with the winner's credential.
//! Requests are committed in groups ([`super::group`]); [`issue_request`] issues one alone.

use super::pipeline::{self, IssueCommand, Outcome};
use super::{command_for, issued, same_request, Issued, KEY_REUSED};
use crate::auth::{self, Principal};
use crate::db::{self, credentials::CredentialRow, institutions::InstitutionRow};
use crate::domain::issuance::{IssueRequest, IssueRequestDoc};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// Issues one credential from a request as sent (`header_key`: the `Idempotency-Key`).
pub async fn issue(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    doc: IssueRequestDoc,
    header_key: Option<String>,
) -> Result<Issued, IssuerError> {
    let fingerprint = doc.fingerprint();
    let req = doc.parse(header_key, &secrets::new_salt())?;
    super::group::issue(app, p, inst_slug, req, &fingerprint).await
}

/// The answer to a request whose idempotency key holds `existing`: that credential again, or a
/// conflict when it was issued for another request.
pub(crate) fn replay(
    app: &Issuer,
    existing: &CredentialRow,
    fingerprint: &str,
) -> Result<Issued, IssuerError> {
    if same_request(existing, fingerprint) {
        issued(app, existing, false)
    } else {
        Err(IssuerError::conflict(KEY_REUSED))
    }
}

/// What the checks of a request found.
pub(crate) enum Checked {
    /// A credential stored under the request's idempotency key, for this request: the answer.
    Replayed(Issued),
    /// Ready to issue: the institution and the command.
    Ready(Box<InstitutionRow>, Box<IssueCommand>),
}

/// The checks of a request (reads only): the caller's access to the institution, a credential
/// stored under its idempotency key, its achievement; then the command that issues it.
pub(crate) async fn check(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    p: &Principal,
    inst_slug: &str,
    req: &IssueRequest,
    fingerprint: &str,
) -> Result<Checked, IssuerError> {
    let inst = auth::institution_for(c, p, inst_slug).await?;
    if let Some(key) = &req.idempotency_key {
        if let Some(existing) =
            db::credentials::find_credential_by_idempotency_key(c, &inst.id, key.as_str()).await?
        {
            return replay(app, &existing, fingerprint).map(Checked::Replayed);
        }
    }
    let ach = db::achievements::find_achievement(c, &inst.id, &req.achievement)
        .await?
        .ok_or_else(|| {
            IssuerError::invalid(
                "achievement",
                "/achievement",
                format!("no achievement `{}` in this institution", req.achievement),
            )
        })?;
    let cmd = command_for(app, &inst, &ach, req, fingerprint, &p.actor)?;
    Ok(Checked::Ready(Box::new(inst), Box::new(cmd)))
}

/// Issues a checked request alone, in a transaction of its own (the group committer's
/// fallback).
pub(crate) async fn issue_request(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    req: IssueRequest,
    fingerprint: &str,
) -> Result<Issued, IssuerError> {
    let mut tx = app.db.write().await?;
    let (inst, cmd) = match check(app, &mut tx, p, inst_slug, &req, fingerprint).await? {
        Checked::Replayed(r) => return Ok(r),
        Checked::Ready(inst, cmd) => (inst, cmd),
    };
    match pipeline::issue_in(app, &mut tx, &inst, *cmd).await? {
        Outcome::Issued(row) => {
            tx.commit().await?;
            issued(app, &row, true)
        }
        Outcome::KeyTaken => {
            tx.rollback().await?;
            let key = req.idempotency_key.expect("only keyed requests collide");
            let mut c = app.db.read().await?;
            let existing =
                db::credentials::find_credential_by_idempotency_key(&mut c, &inst.id, key.as_str())
                    .await?
                    .ok_or_else(|| {
                        IssuerError::conflict("a concurrent request with this key failed; retry")
                    })?;
            replay(app, &existing, fingerprint)
        }
    }
}
