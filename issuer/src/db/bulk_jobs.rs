//! Table `bulk_jobs`: one uploaded CSV file being issued, its counters, and the lease of the
//! instance working on it (`attempt` fences a worker whose lease was taken over).

use sqlx::AnyConnection;

/// One job.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct BulkJobRow {
    pub id: String,
    pub institution_id: String,
    pub achievement_id: String,
    pub achievement_slug: String,
    /// `queued`, `running`, `done` or `cancelled`.
    pub state: String,
    pub total_rows: i64,
    pub done_rows: i64,
    pub issued: i64,
    pub already_issued: i64,
    pub failed: i64,
    pub attempt: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_by_token: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, institution_id, achievement_id, achievement_slug, state, total_rows, done_rows, issued, already_issued, failed, attempt, locked_until, last_error, created_by_token, created_by, created_at, started_at, finished_at";

/// Inserts a job.
pub async fn insert_bulk_job(c: &mut AnyConnection, r: &BulkJobRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO bulk_jobs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.achievement_id)
    .bind(&r.achievement_slug)
    .bind(&r.state)
    .bind(r.total_rows)
    .bind(r.done_rows)
    .bind(r.issued)
    .bind(r.already_issued)
    .bind(r.failed)
    .bind(r.attempt)
    .bind(r.locked_until)
    .bind(&r.last_error)
    .bind(&r.created_by_token)
    .bind(&r.created_by)
    .bind(r.created_at)
    .bind(r.started_at)
    .bind(r.finished_at)
    .execute(c)
    .await?;
    Ok(())
}

/// A job by id.
pub async fn find_bulk_job(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<BulkJobRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM bulk_jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await
}

/// An institution's job by id.
pub async fn find_institution_bulk_job(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<BulkJobRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM bulk_jobs WHERE institution_id = $1 AND id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// An institution's jobs, newest first.
pub async fn list_bulk_jobs(
    c: &mut AnyConnection,
    institution_id: &str,
    limit: i64,
) -> Result<Vec<BulkJobRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM bulk_jobs WHERE institution_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(institution_id)
    .bind(limit)
    .fetch_all(c)
    .await
}

/// Ids of unfinished jobs whose lease has run out (or that were never leased), oldest first.
pub async fn list_due_bulk_jobs(
    c: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM bulk_jobs WHERE state IN ('queued', 'running') AND (locked_until IS NULL OR locked_until <= $1) ORDER BY created_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(c)
    .await
}

/// Leases an unfinished job until `until` and counts the attempt, only if no lease is held;
/// the new attempt number, `None` when another worker holds it or it has ended.
pub async fn claim_bulk_job(
    c: &mut AnyConnection,
    id: &str,
    now: i64,
    until: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE bulk_jobs SET state = 'running', attempt = attempt + 1, locked_until = $1, started_at = COALESCE(started_at, $2) WHERE id = $3 AND state IN ('queued', 'running') AND (locked_until IS NULL OR locked_until <= $4)",
    )
    .bind(until)
    .bind(now)
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT attempt FROM bulk_jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await
}

/// Renews the lease of attempt `attempt`; false when the job was cancelled, ended or taken
/// over by another worker (who then owns it).
pub async fn renew_bulk_job_lease(
    c: &mut AnyConnection,
    id: &str,
    attempt: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE bulk_jobs SET locked_until = $1 WHERE id = $2 AND attempt = $3 AND state = 'running'",
    )
    .bind(until)
    .bind(id)
    .bind(attempt)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Adds a batch's outcomes to the counters.
pub async fn add_bulk_job_progress(
    c: &mut AnyConnection,
    id: &str,
    issued: i64,
    already_issued: i64,
    failed: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE bulk_jobs SET done_rows = done_rows + $1, issued = issued + $2, already_issued = already_issued + $3, failed = failed + $4 WHERE id = $5",
    )
    .bind(issued + already_issued + failed)
    .bind(issued)
    .bind(already_issued)
    .bind(failed)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}

/// Ends a running job as `done` (its lease released).
pub async fn finish_bulk_job(c: &mut AnyConnection, id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE bulk_jobs SET state = 'done', locked_until = NULL, finished_at = $1 WHERE id = $2 AND state = 'running'",
    )
    .bind(at)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}

/// Records why the last batch failed (the job is retried when its lease runs out).
pub async fn update_bulk_job_error(
    c: &mut AnyConnection,
    id: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE bulk_jobs SET last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Cancels an unfinished job; false when it had already ended.
pub async fn cancel_bulk_job(
    c: &mut AnyConnection,
    id: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE bulk_jobs SET state = 'cancelled', locked_until = NULL, finished_at = $1 WHERE id = $2 AND state IN ('queued', 'running')",
    )
    .bind(at)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}
