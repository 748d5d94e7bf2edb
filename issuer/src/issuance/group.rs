//! Group commit of single issues: requests to issue one credential queue to one committer,
//! which takes every request waiting (at most [`MAX_GROUP`]) and issues them in one
//! transaction - each checked and prepared in turn, all signed at once (one signature per CPU
//! at a time), all stored - and answers each after the commit. One commit (one `fsync` on
//! SQLite) serves the whole group, which is what lets a single SQLite file issue over a
//! thousand durable credentials a second; every answer still comes after its credential is
//! committed.
//!
//! A request refused by its checks (not found, invalid, a reused idempotency key) is answered
//! at once and leaves nothing. Anything that goes wrong after the group started writing - a
//! concurrent instance storing the same idempotency key, a failure to sign or store - rolls
//! the whole group back, and each of its requests is then issued alone, as
//! [`super::single::issue_request`] does, so it gets its own answer and a failure stays its own.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::pipeline::{self, IssueCommand, Outcome, Prepared};
use super::{command_for, issued, Issued};
use crate::auth::{self, Principal};
use crate::db::{self, achievements::AchievementRow, institutions::InstitutionRow};
use crate::domain::issuance::IssueRequest;
use crate::error::IssuerError;
use crate::Issuer;

/// Most requests issued in one transaction.
pub const MAX_GROUP: usize = 64;

/// One request waiting for the committer.
struct Waiting {
    p: Principal,
    inst_slug: String,
    req: IssueRequest,
    fingerprint: String,
    reply: oneshot::Sender<Result<Issued, IssuerError>>,
}

/// The queue to the committer, started on first use.
#[derive(Debug, Clone, Default)]
pub struct GroupCommit(Arc<OnceLock<mpsc::Sender<WaitingBox>>>);

/// A boxed request (keeps the channel's element small).
pub struct WaitingBox(Box<Waiting>);

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
    let (reply, answer) = oneshot::channel();
    let waiting = Waiting {
        p: p.clone(),
        inst_slug: inst_slug.to_owned(),
        req,
        fingerprint: fingerprint.to_owned(),
        reply,
    };
    if let Err(mpsc::error::SendError(WaitingBox(w))) =
        queue.send(WaitingBox(Box::new(waiting))).await
    {
        // The committer is gone (the runtime is shutting down): issue alone.
        return super::single::issue_request(app, p, inst_slug, w.req, fingerprint).await;
    }
    answer
        .await
        .unwrap_or_else(|_| Err(IssuerError::unavailable("the server is shutting down")))
}

async fn committer(app: Issuer, mut rx: mpsc::Receiver<WaitingBox>) {
    while let Some(WaitingBox(first)) = rx.recv().await {
        let mut group = vec![*first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(WaitingBox(w)) => group.push(*w),
                Err(_) => break,
            }
        }
        run_group(&app, group).await;
    }
}

/// A request of the group after its checks.
enum Checked {
    /// Answered without writing (refused, or a replay of a stored credential).
    Answered(Result<Issued, IssuerError>),
    /// Its idempotency key is held by an earlier request of the group: issued alone after it.
    Later,
    /// Ready to be prepared.
    Ready(Box<InstitutionRow>, Box<IssueCommand>),
}

async fn run_group(app: &Issuer, group: Vec<Waiting>) {
    let mut alone = Vec::new();
    let mut prepared: Vec<(Waiting, Box<InstitutionRow>, Prepared)> = Vec::new();
    let failed = async {
        let mut tx = app.db.write().await?;
        let mut achievements: HashMap<(String, String), Option<AchievementRow>> = HashMap::new();
        let mut signers = HashMap::new();
        let mut keys = HashSet::new();
        for w in group {
            match check(app, &mut tx, &w, &mut achievements, &mut keys).await {
                Err(e) => {
                    let _ = w.reply.send(Err(e));
                }
                Ok(Checked::Answered(r)) => {
                    let _ = w.reply.send(r);
                }
                Ok(Checked::Later) => alone.push(w),
                Ok(Checked::Ready(inst, cmd)) => {
                    let signer = match signers.get(&inst.id) {
                        Some(s) => Clone::clone(s),
                        None => {
                            let s = crate::institutions::keys::active_key(app, &mut tx, &inst)
                                .await?;
                            signers.insert(inst.id.clone(), s.clone());
                            s
                        }
                    };
                    let prepared_one =
                        pipeline::prepare_signed_by(app, &mut tx, &inst, *cmd, signer).await;
                    match prepared_one {
                        Ok(p) => prepared.push((w, inst, p)),
                        Err(e) => {
                            alone.push(w);
                            return Err(e);
                        }
                    }
                }
            }
        }
        let (waiting, rest): (Vec<_>, Vec<_>) = prepared
            .drain(..)
            .map(|(w, inst, p)| (w, (inst, p)))
            .unzip();
        let (insts, ps): (Vec<_>, Vec<_>) = rest.into_iter().unzip();
        let signed = pipeline::sign_all(ps).await;
        let mut rows = Vec::with_capacity(waiting.len());
        let mut waiting = waiting.into_iter();
        let mut result = Ok(());
        for (inst, s) in insts.iter().zip(signed) {
            let w = waiting.next().expect("one per signed");
            let stored = match s {
                Ok(s) => pipeline::store(app, &mut tx, inst, s).await,
                Err(e) => Err(e),
            };
            match stored {
                Ok(Outcome::Issued(row)) => rows.push((w, row)),
                Ok(Outcome::KeyTaken) => {
                    alone.push(w);
                    result = Err(None);
                    break;
                }
                Err(e) => {
                    alone.push(w);
                    result = Err(Some(e));
                    break;
                }
            }
        }
        if let Err(cause) = result {
            alone.extend(rows.into_iter().map(|(w, _)| w));
            alone.extend(waiting);
            tx.rollback().await?;
            if let Some(e) = cause {
                tracing::warn!(error = %e, "a grouped issue failed; the group's requests are issued one by one");
            }
            return Ok::<_, IssuerError>(());
        }
        match tx.commit().await {
            Ok(()) => {
                for (w, row) in rows {
                    let _ = w.reply.send(issued(app, &row, true));
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
        alone.extend(prepared.into_iter().map(|(w, _, _)| w));
    }
    for w in alone {
        let r = super::single::issue_request(app, &w.p, &w.inst_slug, w.req, &w.fingerprint).await;
        let _ = w.reply.send(r);
    }
}

/// The checks of one request (reads only): the caller's access, a stored credential under its
/// idempotency key, its achievement (read once per group), the unsigned credential.
async fn check(
    app: &Issuer,
    tx: &mut sqlx::AnyConnection,
    w: &Waiting,
    achievements: &mut HashMap<(String, String), Option<AchievementRow>>,
    keys: &mut HashSet<(String, String)>,
) -> Result<Checked, IssuerError> {
    let inst = auth::institution_for(tx, &w.p, &w.inst_slug).await?;
    let req = &w.req;
    if let Some(key) = &req.idempotency_key {
        if !keys.insert((inst.id.clone(), key.as_str().to_owned())) {
            return Ok(Checked::Later);
        }
        if let Some(existing) =
            db::credentials::find_credential_by_idempotency_key(tx, &inst.id, key.as_str()).await?
        {
            return Ok(Checked::Answered(super::single::replay(
                app,
                &existing,
                &w.fingerprint,
            )));
        }
    }
    let slot = (inst.id.clone(), req.achievement.clone());
    let ach = match achievements.get(&slot) {
        Some(a) => a.clone(),
        None => {
            let a = db::achievements::find_achievement(tx, &inst.id, &req.achievement).await?;
            achievements.insert(slot, a.clone());
            a
        }
    };
    let ach = ach.ok_or_else(|| {
        IssuerError::invalid(
            "achievement",
            "/achievement",
            format!("no achievement `{}` in this institution", req.achievement),
        )
    })?;
    let cmd = command_for(app, &inst, &ach, req, &w.fingerprint, &w.p.actor)?;
    Ok(Checked::Ready(Box::new(inst), Box::new(cmd)))
}
