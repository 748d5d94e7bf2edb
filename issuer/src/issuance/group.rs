//! Group commit of single issues: each request is checked on its own first (reads only, in
//! parallel with the others: access, idempotency key, achievement, the unsigned credential),
//! then queues to one committer, which takes every request waiting (at most [`MAX_GROUP`]) and
//! issues them in one transaction - all prepared together (status entries, one read of each
//! institution's key), all signed at once (one signature per CPU at a time), all stored - and
//! answers each after the commit. One commit
//! (one `fsync` on SQLite) serves the whole group, and the writer is held only to write; every
//! answer still comes after its credential is committed.
//!
//! A request refused by its checks (not found, invalid, a reused idempotency key) is answered
//! at once and leaves nothing. The committer looks up an idempotency key again inside its
//! transaction (a request of an earlier group may have stored it since). Anything that goes
//! wrong after the group started writing - a concurrent instance storing the same idempotency
//! key, a failure to sign or store - rolls
//! the whole group back, and each of its requests is then issued alone, as
//! [`super::single::issue_request`] does, so it gets its own answer and a failure stays its own.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::pipeline::{self, IssueCommand, Prepared, StoredAll};
use super::single::Checked;
use super::{issued, Issued};
use crate::auth::Principal;
use crate::db::{self, institutions::InstitutionRow};
use crate::domain::issuance::IssueRequest;
use crate::error::IssuerError;
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

/// A request checked before it queued: its institution and the command that issues it.
struct Queued {
    w: Waiting,
    inst: InstitutionRow,
    cmd: IssueCommand,
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
    // connection), so that the committer's transaction holds the writer only to write.
    let (inst, cmd) = {
        let mut c = app.db.read().await?;
        match super::single::check(app, &mut c, p, inst_slug, &req, fingerprint).await? {
            Checked::Replayed(r) => return Ok(r),
            Checked::Ready(inst, cmd) => (inst, cmd),
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
        cmd: *cmd,
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

async fn run_group(app: &Issuer, group: Vec<Queued>) {
    let mut alone = Vec::new();
    // Per institution (in the order they came): the requests and their prepared issues.
    let mut prepared: Vec<(InstitutionRow, Vec<Waiting>, Vec<Prepared>)> = Vec::new();
    let failed = async {
        let started = std::time::Instant::now();
        let size = group.len();
        let mut tx = app.db.write().await?;
        let writing = started.elapsed();
        let mut keys = HashSet::new();
        // The requests to issue, by institution (in the order they came).
        let mut by_inst: Vec<(InstitutionRow, Vec<(Waiting, IssueCommand)>)> = Vec::new();
        for Queued { w, inst, cmd } in group {
            if let Some(key) = &w.req.idempotency_key {
                // A second request of the group with the same key is issued after it, alone
                // (it then finds the first one's credential).
                if !keys.insert((inst.id.clone(), key.as_str().to_owned())) {
                    alone.push(w);
                    continue;
                }
                // Stored since the request was checked (by a request of an earlier group).
                if let Some(existing) = db::credentials::find_credential_by_idempotency_key(
                    &mut tx,
                    &inst.id,
                    key.as_str(),
                )
                .await?
                {
                    let _ = w
                        .reply
                        .send(super::single::replay(app, &existing, &w.fingerprint).map(Reply::Ready));
                    continue;
                }
            }
            match by_inst.iter_mut().find(|(i, _)| i.id == inst.id) {
                Some((_, items)) => items.push((w, cmd)),
                None => by_inst.push((inst, vec![(w, cmd)])),
            }
        }
        let mut by_inst = by_inst.into_iter();
        while let Some((inst, items)) = by_inst.next() {
            let (ws, cmds): (Vec<_>, Vec<_>) = items.into_iter().unzip();
            let step = async {
                let signer = crate::institutions::keys::active_key(app, &mut tx, &inst).await?;
                pipeline::prepare_all_signed_by(app, &mut tx, &inst, cmds, signer).await
            }
            .await;
            match step {
                Ok(ps) => prepared.push((inst, ws, ps)),
                Err(e) => {
                    alone.extend(ws);
                    alone.extend(by_inst.flat_map(|(_, items)| items.into_iter().map(|(w, _)| w)));
                    return Err(e);
                }
            }
        }
        let prepared_at = started.elapsed();
        // All signed at once, whatever their institution; then stored per institution.
        let mut sizes = Vec::with_capacity(prepared.len());
        let mut all = Vec::new();
        let mut stores = Vec::with_capacity(prepared.len());
        for (inst, ws, ps) in prepared.drain(..) {
            sizes.push(ps.len());
            all.extend(ps);
            stores.push((inst, ws));
        }
        let mut signed = pipeline::sign_all(all).await.into_iter();
        let signed_at = started.elapsed();
        let mut rows = Vec::with_capacity(size);
        let mut result = Ok(());
        let mut stores = stores.into_iter().zip(sizes);
        for ((inst, ws), n) in stores.by_ref() {
            let batch: Result<Vec<_>, _> = signed.by_ref().take(n).collect();
            let stored = match batch {
                Ok(batch) => pipeline::store_all(app, &mut tx, &inst, batch).await,
                Err(e) => Err(e),
            };
            match stored {
                Ok(StoredAll::Issued(stored)) => rows.extend(ws.into_iter().zip(stored)),
                Ok(StoredAll::KeyTaken) => {
                    alone.extend(ws);
                    result = Err(None);
                    break;
                }
                Err(e) => {
                    alone.extend(ws);
                    result = Err(Some(e));
                    break;
                }
            }
        }
        if let Err(cause) = result {
            alone.extend(rows.into_iter().map(|(w, _)| w));
            alone.extend(stores.flat_map(|((_, ws), _)| ws));
            tx.rollback().await?;
            if let Some(e) = cause {
                tracing::warn!(error = %e, "a grouped issue failed; the group's requests are issued one by one");
            }
            return Ok::<_, IssuerError>(());
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
                for (w, row) in rows {
                    let _ = w.reply.send(Ok(Reply::Stored(Box::new(row))));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "a group commit failed; its requests are issued one by one");
                alone.extend(rows.into_iter().map(|(w, _)| w));
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = failed {
        tracing::warn!(error = %e, "a group of issues failed; its requests are issued one by one");
        alone.extend(prepared.into_iter().flat_map(|(_, ws, _)| ws));
    }
    for w in alone {
        let r = super::single::issue_request(app, &w.p, &w.inst_slug, w.req, &w.fingerprint).await;
        let _ = w.reply.send(r.map(Reply::Ready));
    }
}
