//! Group commit of single issues. Each request is checked on its own first (reads only, in
//! parallel with the others: access, idempotency key, achievement, the unsigned credential),
//! and, when this process can pick its status indexes ahead ([`status_lists::picks`]), it is
//! signed on its own too, before it queues. One committer then takes every request waiting (at
//! most [`MAX_GROUP`]) and issues them in one transaction: the picked indexes claimed, the
//! others allocated, prepared and signed there (one signature per CPU at a time), all stored
//! by a few statements - and answers each after the commit. One commit (one `fsync` on SQLite)
//! serves the whole group, and the writer is held mostly to write; every answer still comes
//! after its credential is committed.
//!
//! A request refused by its checks (not found, invalid, a reused idempotency key) is answered
//! at once and leaves nothing. The committer looks up an idempotency key again inside its
//! transaction (a request of an earlier group may have stored it since). Anything that goes
//! wrong after the group started writing - a picked index another instance took, a concurrent
//! instance storing the same idempotency key, a failure to sign or store - rolls the whole
//! group back, and each of its requests is then issued alone, as
//! [`super::single::issue_request`] does, so it gets its own answer and a failure stays its own.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::pipeline::{self, IssueCommand, Signed, StoredAll};
use super::single::Checked;
use super::{issued, Issued};
use crate::auth::Principal;
use crate::db::{self, institutions::InstitutionRow};
use crate::domain::issuance::IssueRequest;
use crate::error::IssuerError;
use crate::status_lists::{self, picks::Pick};
use crate::Issuer;

/// Most requests issued in one transaction.
pub const MAX_GROUP: usize = 64;

/// One request waiting for the committer (all that issuing it alone would need).
struct Waiting {
    p: Principal,
    inst_slug: String,
    req: IssueRequest,
    fingerprint: String,
    reply: oneshot::Sender<Result<Reply, IssuerError>>,
}

/// The committer's answer to one request.
enum Reply {
    /// Answered in full (a replay, or issued alone).
    Ready(Issued),
    /// Stored and committed: the request's own task makes the answer of it, off the
    /// committer's path.
    Stored(Box<db::credentials::CredentialRow>),
}

/// A request checked before it queued: its institution and what is left to do.
struct Queued {
    w: Waiting,
    inst: InstitutionRow,
    work: Work,
}

/// What the committer still does for a request.
enum Work {
    /// Allocate, prepare, sign and store.
    Issue(Box<IssueCommand>),
    /// Claim its picked indexes and store: it is signed.
    Store(Box<Signed>, Vec<Pick>),
}

/// The queue to the committer, started on first use.
#[derive(Debug, Clone, Default)]
pub struct GroupCommit(Arc<OnceLock<mpsc::Sender<WaitingBox>>>);

/// A boxed request (keeps the channel's element small).
pub struct WaitingBox(Box<Queued>);

impl std::fmt::Debug for WaitingBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WaitingBox")
    }
}

/// Issues a checked request through the group committer (the answer comes after the commit).
pub async fn issue(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    req: IssueRequest,
    fingerprint: &str,
) -> Result<Issued, IssuerError> {
    let queue = app
        .group
        .0
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * MAX_GROUP);
            tokio::spawn(committer(app.clone(), rx));
            tx
        })
        .clone();
    // The checks read only: each request runs them on its own (in parallel, on a read
    // connection), and signs its credential when its status indexes can be picked ahead, so
    // that the committer's transaction holds the writer mostly to write.
    let (inst, work) = {
        let mut c = app.db.read().await?;
        let (inst, cmd) =
            match super::single::check(app, &mut c, p, inst_slug, &req, fingerprint).await? {
                Checked::Replayed(r) => return Ok(r),
                Checked::Ready(inst, cmd) => (inst, cmd),
            };
        match app.picks.pick(app, &mut c, &inst).await? {
            Some(picks) => {
                let signer = crate::institutions::keys::active_key(app, &mut c, &inst).await?;
                drop(c);
                let key = crate::secrets::new_id();
                let prepared = pipeline::prepare_picked(app, &inst, *cmd, signer, key, &picks)?;
                let signed = pipeline::sign(prepared).await?;
                (inst, Work::Store(Box::new(signed), picks))
            }
            None => (inst, Work::Issue(cmd)),
        }
    };
    let (reply, answer) = oneshot::channel();
    let queued = Queued {
        w: Waiting {
            p: p.clone(),
            inst_slug: inst_slug.to_owned(),
            req,
            fingerprint: fingerprint.to_owned(),
            reply,
        },
        inst: *inst,
        work,
    };
    if let Err(mpsc::error::SendError(WaitingBox(q))) =
        queue.send(WaitingBox(Box::new(queued))).await
    {
        // The committer is gone (the runtime is shutting down): issue alone.
        return super::single::issue_request(app, p, inst_slug, q.w.req, fingerprint).await;
    }
    match answer.await {
        Ok(Ok(Reply::Ready(r))) => Ok(r),
        Ok(Ok(Reply::Stored(row))) => issued(app, &row, true),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(IssuerError::unavailable("the server is shutting down")),
    }
}

async fn committer(app: Issuer, mut rx: mpsc::Receiver<WaitingBox>) {
    while let Some(WaitingBox(first)) = rx.recv().await {
        let mut group = vec![*first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(WaitingBox(q)) => group.push(*q),
                Err(_) => break,
            }
        }
        run_group(&app, group).await;
    }
}

/// One institution's part of a group: the requests to sign here and those signed already
/// (each request beside what the committer does for it).
struct Part {
    inst: InstitutionRow,
    issuing: Vec<Waiting>,
    cmds: Vec<IssueCommand>,
    storing: Vec<Waiting>,
    signed: Vec<Signed>,
    picks: Vec<Vec<Pick>>,
}

async fn run_group(app: &Issuer, group: Vec<Queued>) {
    let mut alone = Vec::new();
    // The requests waiting for the outcome of the transaction (those it stored, at the end).
    let mut held: Vec<Waiting> = Vec::new();
    let failed = async {
        let started = std::time::Instant::now();
        let size = group.len();
        let mut tx = app.db.write().await?;
        let writing = started.elapsed();
        let mut keys = HashSet::new();
        // By institution, in the order they came.
        let mut parts: Vec<Part> = Vec::new();
        let mut group = group.into_iter();
        while let Some(Queued { w, inst, work }) = group.next() {
            if let Some(key) = &w.req.idempotency_key {
                // A second request of the group with the same key is issued after it, alone
                // (it then finds the first one's credential).
                if !keys.insert((inst.id.clone(), key.as_str().to_owned())) {
                    alone.push(w);
                    continue;
                }
                // Stored since the request was checked (by a request of an earlier group).
                let found = db::credentials::find_credential_by_idempotency_key(
                    &mut tx,
                    &inst.id,
                    key.as_str(),
                )
                .await;
                match found {
                    Ok(Some(existing)) => {
                        let _ = w.reply.send(
                            super::single::replay(app, &existing, &w.fingerprint).map(Reply::Ready),
                        );
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        held.push(w);
                        held.extend(group.map(|q| q.w));
                        for part in parts {
                            held.extend(part.issuing);
                            held.extend(part.storing);
                        }
                        return Err(e.into());
                    }
                }
            }
            let i = match parts.iter().position(|part| part.inst.id == inst.id) {
                Some(i) => i,
                None => {
                    parts.push(Part {
                        inst,
                        issuing: Vec::new(),
                        cmds: Vec::new(),
                        storing: Vec::new(),
                        signed: Vec::new(),
                        picks: Vec::new(),
                    });
                    parts.len() - 1
                }
            };
            let part = &mut parts[i];
            match work {
                Work::Issue(cmd) => {
                    part.issuing.push(w);
                    part.cmds.push(*cmd);
                }
                Work::Store(signed, picks) => {
                    part.storing.push(w);
                    part.signed.push(*signed);
                    part.picks.push(picks);
                }
            }
        }
        // Per institution: the picked indexes claimed, the others allocated and prepared.
        // Every request is held first, so that a failure below leaves none unanswered; `held`
        // is in the order the rows will be stored (per institution, those signed here first).
        let mut ready = Vec::with_capacity(parts.len());
        for part in &mut parts {
            held.append(&mut part.issuing);
            held.append(&mut part.storing);
        }
        for part in parts {
            let claims: Vec<(&Pick, &str)> = part
                .signed
                .iter()
                .zip(&part.picks)
                .flat_map(|(s, ps)| ps.iter().map(|p| (p, s.key())))
                .collect();
            if !status_lists::claim_picks(app, &mut tx, &part.inst, &claims).await? {
                // Another instance took a picked index: the list is read again on the next
                // pick, and these are issued the usual way.
                tx.rollback().await?;
                return Ok::<_, IssuerError>(());
            }
            let prepared = if part.cmds.is_empty() {
                Vec::new()
            } else {
                let signer = crate::institutions::keys::active_key(app, &mut tx, &part.inst).await?;
                pipeline::prepare_all_signed_by(app, &mut tx, &part.inst, part.cmds, signer)
                    .await?
            };
            ready.push((part.inst, prepared, part.signed));
        }
        let prepared_at = started.elapsed();
        // All left to sign signed at once, whatever their institution; then stored per
        // institution (those signed here first, then those signed before, as `held` has them).
        let sizes: Vec<usize> = ready.iter().map(|(_, p, _)| p.len()).collect();
        let mut fresh = pipeline::sign_all(ready.iter_mut().flat_map(|(_, p, _)| p.drain(..)).collect())
            .await
            .into_iter();
        let signed_at = started.elapsed();
        let mut rows = Vec::with_capacity(size);
        let mut cause = None;
        for ((inst, _, before), n) in ready.into_iter().zip(sizes) {
            let batch: Result<Vec<_>, _> = fresh.by_ref().take(n).collect();
            let stored = match batch {
                Ok(mut batch) => {
                    batch.extend(before);
                    pipeline::store_all(app, &mut tx, &inst, batch).await
                }
                Err(e) => Err(e),
            };
            match stored {
                Ok(StoredAll::Issued(stored)) => rows.extend(stored),
                Ok(StoredAll::KeyTaken) => {
                    cause = Some(None);
                    break;
                }
                Err(e) => {
                    cause = Some(Some(e));
                    break;
                }
            }
        }
        if let Some(cause) = cause {
            tx.rollback().await?;
            if let Some(e) = cause {
                tracing::warn!(error = %e, "a grouped issue failed; the group's requests are issued one by one");
            }
            return Ok(());
        }
        let stored_at = started.elapsed();
        let committed = tx.commit().await;
        tracing::debug!(
            size,
            ?writing,
            ?prepared_at,
            ?signed_at,
            ?stored_at,
            committed_at = ?started.elapsed(),
            "issue group"
        );
        match committed {
            Ok(()) => {
                for (w, row) in held.drain(..).zip(rows) {
                    let _ = w.reply.send(Ok(Reply::Stored(Box::new(row))));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "a group commit failed; its requests are issued one by one");
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = failed {
        tracing::warn!(error = %e, "a group of issues failed; its requests are issued one by one");
    }
    // Whatever was not answered (the transaction rolled back or failed) is issued alone.
    alone.extend(held);
    for w in alone {
        let r = super::single::issue_request(app, &w.p, &w.inst_slug, w.req, &w.fingerprint).await;
        let _ = w.reply.send(r.map(Reply::Ready));
    }
}
