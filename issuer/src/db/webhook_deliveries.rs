//! Table `webhook_deliveries`: the outbox of calls to institutions' webhooks, leased,
//! retried with back-off, marked delivered.

use sqlx::AnyConnection;

/// One delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub payload: String,
    pub created_at_ms: i64,
    pub delivered_at: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, webhook_id, event, payload, created_at_ms, delivered_at, attempts, next_attempt_at, locked_until, last_error";

/// One delivery to queue (`at_ms`: when it happened, milliseconds since the epoch; due at
/// `at`, seconds).
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct NewDelivery<'a> {
    pub webhook_id: &'a str,
    pub event: &'a str,
    pub payload: &'a str,
    pub at: i64,
    pub at_ms: i64,
}

/// Queues deliveries, [`super::ROWS_PER_INSERT`] per statement.
pub async fn insert_deliveries(
    c: &mut AnyConnection,
    ds: &[NewDelivery<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in ds.chunks(super::ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, created_at_ms, attempts, next_attempt_at) VALUES {}",
            super::values_list(chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for d in chunk {
            q = q
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(d.webhook_id)
                .bind(d.event)
                .bind(d.payload)
                .bind(d.at_ms)
                .bind(0_i64)
                .bind(d.at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Ids of undelivered deliveries due at `now` and not leased, oldest first.
pub async fn list_due_deliveries(
    c: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $2) ORDER BY created_at_ms, id LIMIT $3")
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(c)
        .await
}

/// Leases a delivery and counts the attempt, if it is still due and free.
pub async fn claim_delivery(
    c: &mut AnyConnection,
    id: &str,
    now: i64,
    until: i64,
) -> Result<Option<DeliveryRow>, sqlx::Error> {
    let r = sqlx::query("UPDATE webhook_deliveries SET locked_until = $1, attempts = attempts + 1 WHERE id = $2 AND delivered_at IS NULL AND (locked_until IS NULL OR locked_until <= $3)")
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhook_deliveries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

/// Marks a delivery done.
pub async fn mark_delivered(c: &mut AnyConnection, id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE webhook_deliveries SET delivered_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Records a failed attempt, to retry at `next`.
pub async fn fail_delivery(
    c: &mut AnyConnection,
    id: &str,
    error: &str,
    next: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE webhook_deliveries SET locked_until = NULL, last_error = $1, next_attempt_at = $2 WHERE id = $3")
        .bind(error)
        .bind(next)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}
