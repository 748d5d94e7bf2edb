//! Working through a bulk job: lease it, then batch after batch - in one transaction each, sized
//! to hold the database's writer about half a second -
//! prepare every pending row (checks, idempotency, status entries), sign the batch at once
//! (one signature per CPU at a time), store the credentials and record each row's outcome and
//! the job's counters. A batch commits whole or not at all; the lease is renewed with every
//! batch and fences a worker that lost it (its next batch changes nothing). When a worker
//! stops - a crash, a restart, a failed batch - the job waits for its lease to run out, then the
//! background worker of any instance resumes it at its first pending row.

use std::collections::HashSet;

use microcred_core::model::ModelError;

use super::super::pipeline::{self, Prepared, StoredAll};
use super::super::{command_for, same_request, KEY_REUSED};
use super::RowState;
use crate::auth::Actor;
use crate::db::{
    self, bulk_job_rows::PendingRow, bulk_jobs::BulkJobRow, institutions::InstitutionRow,
};
use crate::domain::issuance::IssueRequestDoc;
use crate::error::IssuerError;
use crate::institutions::keys;
use crate::{secrets, Issuer};

/// Most rows issued per transaction.
pub const BATCH_ROWS: i64 = 200;

/// Rows in a job's first transaction; later ones grow or shrink so that one batch holds the
/// database's writer (SQLite has one) for about [`BATCH_TIME`]: a revocation or a single issue
/// waits at most that long behind a bulk job, however slow the machine.
const FIRST_BATCH_ROWS: i64 = 25;

/// How long a batch should take, about.
const BATCH_TIME: std::time::Duration = std::time::Duration::from_millis(500);

/// The size of the batch after one of `rows` rows that took `took`: doubled while quick,
/// halved while slow, between 1 and [`BATCH_ROWS`].
fn next_batch_rows(rows: i64, took: std::time::Duration) -> i64 {
    if took < BATCH_TIME / 2 {
        (rows * 2).min(BATCH_ROWS)
    } else if took > BATCH_TIME * 2 {
        (rows / 2).max(1)
    } else {
        rows
    }
}

/// Uploads of at most this many rows wait for their job and answer with the whole report
/// (unless the caller prefers `respond-async`); larger ones answer `202` at once.
pub const WAIT_FOR_AT_MOST: usize = 1000;

enum Step {
    More,
    Ended,
}

/// A row's outcome, ready to be recorded.
struct Done {
    line: i64,
    state: RowState,
    credential_id: Option<String>,
    errors: Option<String>,
}

impl Done {
    fn failed(line: i64, errors: Vec<ModelError>) -> Self {
        Self {
            line,
            state: RowState::Failed,
            credential_id: None,
            errors: Some(serde_json::to_string(&errors).expect("serialisable")),
        }
    }
}

/// Runs job `id` to its end if its lease can be taken now; whether it was taken. An error
/// leaves the job to be resumed when the lease runs out.
pub async fn run_job(app: &Issuer, id: &str) -> Result<bool, IssuerError> {
    let attempt = {
        let mut tx = app.db.write().await?;
        let now = db::now();
        let a =
            db::bulk_jobs::claim_bulk_job(&mut tx, id, now, now + app.bulk_lease_seconds).await?;
        tx.commit().await?;
        a
    };
    let Some(attempt) = attempt else {
        return Ok(false);
    };
    drive(app, id, attempt).await.map(|()| true)
}

/// Works through job `id` under lease `attempt` until it ends, is cancelled or is taken over.
pub async fn drive(app: &Issuer, id: &str, attempt: i64) -> Result<(), IssuerError> {
    let mut rows = FIRST_BATCH_ROWS;
    loop {
        let started = std::time::Instant::now();
        match batch(app, id, attempt, rows).await {
            Ok(Step::More) => {
                let took = started.elapsed();
                tracing::debug!(job = id, rows, ?took, "bulk job batch committed");
                rows = next_batch_rows(rows, took);
            }
            Ok(Step::Ended) => return Ok(()),
            Err(e) => {
                tracing::error!(job = id, error = %e, "bulk job batch failed; it resumes when its lease runs out");
                let mut tx = app.db.write().await?;
                db::bulk_jobs::update_bulk_job_error(&mut tx, id, &e.to_string()).await?;
                tx.commit().await?;
                return Err(e);
            }
        }
    }
}

/// Resumes the jobs whose lease has run out (the background worker, every instance); how many
/// it ran.
pub async fn run_due(app: &Issuer) -> Result<usize, IssuerError> {
    let due = {
        let mut c = app.db.read().await?;
        db::bulk_jobs::list_due_bulk_jobs(&mut c, db::now(), 5).await?
    };
    let mut ran = 0;
    for id in due {
        if run_job(app, &id).await? {
            ran += 1;
        }
    }
    Ok(ran)
}

async fn batch(app: &Issuer, id: &str, attempt: i64, rows: i64) -> Result<Step, IssuerError> {
    let mut tx = app.db.write().await?;
    let now = db::now();
    if !db::bulk_jobs::renew_bulk_job_lease(&mut tx, id, attempt, now + app.bulk_lease_seconds)
        .await?
    {
        // Cancelled, or taken over by another worker after our lease ran out.
        tx.rollback().await?;
        return Ok(Step::Ended);
    }
    let job = db::bulk_jobs::find_bulk_job(&mut tx, id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("bulk job `{id}`")))?;
    let pending = db::bulk_job_rows::list_pending_bulk_job_rows(&mut tx, id, rows).await?;
    if pending.is_empty() {
        db::bulk_jobs::finish_bulk_job(&mut tx, id, now).await?;
        tx.commit().await?;
        return Ok(Step::Ended);
    }
    let inst = db::institutions::find_institution(&mut tx, &job.institution_id)
        .await?
        .ok_or_else(|| IssuerError::not_found("the job's institution"))?;
    let (mut done, prepared) = prepare_rows(app, &mut tx, &inst, &job, pending).await?;
    let (lines, prepared): (Vec<i64>, Vec<Prepared>) = prepared.into_iter().unzip();
    let signed: Vec<_> = pipeline::sign_all(prepared)
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    match pipeline::store_all(app, &mut tx, &inst, signed).await? {
        StoredAll::Issued(rows) => {
            done.extend(lines.into_iter().zip(rows).map(|(line, row)| Done {
                line,
                state: RowState::Issued,
                credential_id: Some(row.id),
                errors: None,
            }))
        }
        StoredAll::KeyTaken => {
            // Another request stored a credential under one of these keys meanwhile: run the
            // batch again, which now finds it.
            tx.rollback().await?;
            return Ok(Step::More);
        }
    }
    let count = |s: RowState| done.iter().filter(|d| d.state == s).count() as i64;
    let (issued, already, failed) = (
        count(RowState::Issued),
        count(RowState::AlreadyIssued),
        count(RowState::Failed),
    );
    for d in &done {
        db::bulk_job_rows::update_bulk_job_row_outcome(
            &mut tx,
            id,
            d.line,
            d.state.as_str(),
            d.credential_id.as_deref(),
            d.errors.as_deref(),
            now,
        )
        .await?;
    }
    db::bulk_jobs::add_bulk_job_progress(&mut tx, id, issued, already, failed).await?;
    tx.commit().await?;
    Ok(Step::More)
}

/// The rows of a batch as outcomes known now (unreadable, already issued) and prepared issues.
/// A row whose idempotency key an earlier row of the batch holds ends the batch: the next
/// batch starts at it and finds that row's credential.
async fn prepare_rows(
    app: &Issuer,
    tx: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    job: &BulkJobRow,
    pending: Vec<PendingRow>,
) -> Result<(Vec<Done>, Vec<(i64, Prepared)>), IssuerError> {
    let mut done = Vec::new();
    let mut ready = Vec::new();
    let Some(ach) =
        db::achievements::find_current_achievement_by_id(tx, &job.achievement_id).await?
    else {
        for r in pending {
            done.push(Done::failed(
                r.line,
                vec![ModelError::new(
                    "achievement",
                    "",
                    format!("achievement `{}` no longer exists", job.achievement_slug),
                )],
            ));
        }
        return Ok((done, Vec::new()));
    };
    let actor = Actor {
        token_id: job.created_by_token.clone(),
        label: job.created_by.clone(),
    };
    let mut keys = HashSet::new();
    for r in pending {
        let line = r.line;
        let doc: IssueRequestDoc = serde_json::from_str(&r.request).map_err(|e| {
            IssuerError::stored(format!("bulk job {} line {line} (request)", job.id), e)
        })?;
        let req = match doc.parse(None, &secrets::new_salt()) {
            Ok(req) => req,
            Err(errors) => {
                done.push(Done::failed(line, errors.0));
                continue;
            }
        };
        if let Some(key) = &req.idempotency_key {
            if !keys.insert(key.as_str().to_owned()) {
                break;
            }
            if let Some(existing) =
                db::credentials::find_credential_by_idempotency_key(tx, &inst.id, key.as_str())
                    .await?
            {
                done.push(if same_request(&existing, &r.fingerprint) {
                    Done {
                        line,
                        state: RowState::AlreadyIssued,
                        credential_id: Some(existing.id),
                        errors: None,
                    }
                } else {
                    Done::failed(
                        line,
                        vec![ModelError::new("idempotencyKey", "", KEY_REUSED)],
                    )
                });
                continue;
            }
        }
        let cmd = match command_for(app, inst, &ach, &req, &r.fingerprint, &actor) {
            Ok(cmd) => cmd,
            Err(IssuerError::Validation(e)) => {
                done.push(Done::failed(line, e.0));
                continue;
            }
            Err(e) => return Err(e),
        };
        ready.push((line, cmd));
    }
    if ready.is_empty() {
        return Ok((done, Vec::new()));
    }
    // The batch's rows are prepared together: one read of the signing key, their status
    // entries allocated at once.
    let (lines, cmds): (Vec<i64>, Vec<_>) = ready.into_iter().unzip();
    let signer = keys::active_key(app, tx, inst).await?;
    match pipeline::prepare_all_signed_by(app, tx, inst, cmds, signer).await {
        Ok(prepared) => Ok((done, lines.into_iter().zip(prepared).collect())),
        Err(IssuerError::Validation(e)) => {
            // A refusal of the institution's own data: every row of the batch is refused.
            done.extend(
                lines
                    .into_iter()
                    .map(|line| Done::failed(line, e.0.clone())),
            );
            Ok((done, Vec::new()))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn batches_grow_while_quick_and_shrink_while_slow_within_bounds() {
        assert_eq!(next_batch_rows(25, Duration::from_millis(10)), 50);
        assert_eq!(next_batch_rows(150, Duration::from_millis(10)), BATCH_ROWS);
        assert_eq!(next_batch_rows(100, Duration::from_millis(600)), 100);
        assert_eq!(next_batch_rows(100, Duration::from_secs(3)), 50);
        assert_eq!(next_batch_rows(1, Duration::from_secs(30)), 1);
    }
}
