//! Table `trigger_inbox`: what Moodle told us (an event) or what a poll found, written before
//! it is acknowledged, then claimed by a worker with a lease, retried with back-off, and kept.

use sqlx::AnyConnection;

/// One item.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct InboxRow {
    pub id: String,
    pub institution_id: String,
    pub connection_id: String,
    /// `event`, `poll` or `manual`.
    pub source: String,
    pub dedupe_key: String,
    pub moodle_user_id: i64,
    pub course_id: i64,
    pub detail: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub received_at: i64,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, institution_id, connection_id, source, dedupe_key, moodle_user_id, course_id, detail, state, attempts, next_attempt_at, locked_until, last_error, received_at, finished_at";

/// Inserts an item unless one with its dedupe key exists; whether it was inserted.
pub async fn insert_inbox_item(c: &mut AnyConnection, r: &InboxRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "INSERT INTO trigger_inbox ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (connection_id, dedupe_key) DO NOTHING"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.connection_id)
    .bind(&r.source)
    .bind(&r.dedupe_key)
    .bind(r.moodle_user_id)
    .bind(r.course_id)
    .bind(&r.detail)
    .bind(&r.state)
    .bind(r.attempts)
    .bind(r.next_attempt_at)
    .bind(r.locked_until)
    .bind(&r.last_error)
    .bind(r.received_at)
    .bind(r.finished_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The item with a dedupe key.
pub async fn find_inbox_item_by_key(
    c: &mut AnyConnection,
    connection_id: &str,
    dedupe_key: &str,
) -> Result<Option<InboxRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trigger_inbox WHERE connection_id = $1 AND dedupe_key = $2"
    ))
    .bind(connection_id)
    .bind(dedupe_key)
    .fetch_optional(c)
    .await
}

/// One item of an institution.
pub async fn find_inbox_item(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<InboxRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trigger_inbox WHERE institution_id = $1 AND id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// Ids of items due at `now` and not leased, oldest first.
pub async fn list_due_inbox_items(
    c: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM trigger_inbox WHERE state = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $2) ORDER BY next_attempt_at, received_at, id LIMIT $3",
    )
    .bind(now)
    .bind(now)
    .bind(limit)
    .fetch_all(c)
    .await
}

/// Leases an item until `until` and counts the attempt, only if it is still due and not
/// leased: the worker whose update succeeds processes it.
pub async fn claim_inbox_item(
    c: &mut AnyConnection,
    id: &str,
    now: i64,
    until: i64,
) -> Result<Option<InboxRow>, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE trigger_inbox SET locked_until = $1, attempts = attempts + 1 WHERE id = $2 AND state = 'pending' AND (locked_until IS NULL OR locked_until <= $3)",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trigger_inbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

/// Marks an item done (with what happened, in `detail`'s place for errors: `last_error` is
/// cleared).
pub async fn finish_inbox_item(
    c: &mut AnyConnection,
    id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE trigger_inbox SET state = 'done', locked_until = NULL, last_error = NULL, finished_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried at `next` (state stays `pending`), or given up
/// (`failed`) when `next` is `None`.
pub async fn fail_inbox_item(
    c: &mut AnyConnection,
    id: &str,
    error: &str,
    next: Option<i64>,
    at: i64,
) -> Result<(), sqlx::Error> {
    match next {
        Some(n) => sqlx::query("UPDATE trigger_inbox SET locked_until = NULL, last_error = $1, next_attempt_at = $2 WHERE id = $3")
            .bind(error)
            .bind(n)
            .bind(id),
        None => sqlx::query("UPDATE trigger_inbox SET state = 'failed', locked_until = NULL, last_error = $1, finished_at = $2 WHERE id = $3")
            .bind(error)
            .bind(at)
            .bind(id),
    }
    .execute(c)
    .await?;
    Ok(())
}

/// Makes an item due again now (a retry by hand); whether it existed.
pub async fn retry_inbox_item(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE trigger_inbox SET state = 'pending', attempts = 0, next_attempt_at = $1, locked_until = NULL, finished_at = NULL WHERE institution_id = $2 AND id = $3")
        .bind(now)
        .bind(institution_id)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// An institution's items, newest first, optionally in one state.
pub async fn list_inbox_items(
    c: &mut AnyConnection,
    institution_id: &str,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<InboxRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trigger_inbox WHERE institution_id = $1 AND ($2 IS NULL OR state = $3) ORDER BY received_at DESC, id LIMIT $4"
    ))
    .bind(institution_id)
    .bind(state)
    .bind(state)
    .bind(limit)
    .fetch_all(c)
    .await
}
