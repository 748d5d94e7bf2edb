//! Table `bulk_job_rows`: one data line of a bulk job - its request while it waits (personal
//! data, erased once the row has its outcome), then its outcome: the credential issued, or the
//! errors that kept it from being issued.

use sqlx::AnyConnection;

/// A row waiting to be issued.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct PendingRow {
    pub line: i64,
    /// The row as read from the file (`IssueRequestDoc` JSON).
    pub request: String,
    pub fingerprint: String,
}

/// A row as reported: its outcome and, when issued, the credential's id and code.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct ReportRow {
    pub line: i64,
    /// `pending`, `issued`, `already_issued` or `failed`.
    pub state: String,
    pub errors: Option<String>,
    pub vc_id: Option<String>,
    pub code: Option<String>,
}

/// A new row: pending with its request, or failed (at upload) with its errors.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct NewRow {
    pub line: i64,
    pub request: Option<String>,
    pub fingerprint: Option<String>,
    pub errors: Option<String>,
}

/// Inserts the rows of a job, many per statement.
pub async fn insert_bulk_job_rows(
    c: &mut AnyConnection,
    job_id: &str,
    rows: &[NewRow],
    at: i64,
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(100) {
        let sql = format!(
            "INSERT INTO bulk_job_rows (job_id, line, state, request, fingerprint, errors, finished_at) VALUES {}",
            super::values_list(chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for r in chunk {
            let failed = r.errors.is_some();
            q = q
                .bind(job_id)
                .bind(r.line)
                .bind(if failed { "failed" } else { "pending" })
                .bind(&r.request)
                .bind(&r.fingerprint)
                .bind(&r.errors)
                .bind(if failed { Some(at) } else { None });
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// The next pending rows of a job, in file order.
pub async fn list_pending_bulk_job_rows(
    c: &mut AnyConnection,
    job_id: &str,
    limit: i64,
) -> Result<Vec<PendingRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT line, request, fingerprint FROM bulk_job_rows WHERE job_id = $1 AND state = 'pending' ORDER BY line LIMIT $2",
    )
    .bind(job_id)
    .bind(limit)
    .fetch_all(c)
    .await
}

/// Records a pending row's outcome and erases its request; false when it was not pending.
pub async fn update_bulk_job_row_outcome(
    c: &mut AnyConnection,
    job_id: &str,
    line: i64,
    state: &str,
    credential_id: Option<&str>,
    errors: Option<&str>,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE bulk_job_rows SET state = $1, credential_id = $2, errors = $3, request = NULL, fingerprint = NULL, finished_at = $4 WHERE job_id = $5 AND line = $6 AND state = 'pending'",
    )
    .bind(state)
    .bind(credential_id)
    .bind(errors)
    .bind(at)
    .bind(job_id)
    .bind(line)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Erases the requests of a cancelled job's rows that will never be issued.
pub async fn erase_pending_bulk_job_requests(
    c: &mut AnyConnection,
    job_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE bulk_job_rows SET request = NULL, fingerprint = NULL WHERE job_id = $1 AND state = 'pending'",
    )
    .bind(job_id)
    .execute(c)
    .await?;
    Ok(())
}

/// A page of a job's report: rows after line `after`, in file order, optionally of one state.
pub async fn list_bulk_job_report(
    c: &mut AnyConnection,
    job_id: &str,
    after: i64,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.line, r.state, r.errors, cr.vc_id, cr.code FROM bulk_job_rows r LEFT JOIN credentials cr ON cr.id = r.credential_id WHERE r.job_id = $1 AND r.line > $2 AND ($3 IS NULL OR r.state = $4) ORDER BY r.line LIMIT $5",
    )
    .bind(job_id)
    .bind(after)
    .bind(state)
    .bind(state)
    .bind(limit)
    .fetch_all(c)
    .await
}
