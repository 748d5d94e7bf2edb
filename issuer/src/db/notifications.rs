//! Table `notifications`: the outbox of messages to learners (a mailer delivers and marks
//! them sent).

use sqlx::AnyConnection;

/// One message to queue.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct NewNotification<'a> {
    pub id: &'a str,
    pub institution_id: &'a str,
    pub recipient: &'a str,
    pub kind: &'a str,
    pub payload: &'a str,
    pub at: i64,
}

/// Queues a notification.
pub async fn insert_notification(
    c: &mut AnyConnection,
    n: &NewNotification<'_>,
) -> Result<(), sqlx::Error> {
    insert_notifications(c, std::slice::from_ref(n)).await
}

/// Queues many notifications, [`super::ROWS_PER_INSERT`] per statement.
pub async fn insert_notifications(
    c: &mut AnyConnection,
    ns: &[NewNotification<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in ns.chunks(super::ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO notifications (id, institution_id, recipient, kind, payload, created_at) VALUES {}",
            super::values_list(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for n in chunk {
            q = q
                .bind(n.id)
                .bind(n.institution_id)
                .bind(n.recipient)
                .bind(n.kind)
                .bind(n.payload)
                .bind(n.at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// One queued message.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct NotificationRow {
    pub id: String,
    pub institution_id: String,
    pub recipient: String,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, institution_id, recipient, kind, payload, created_at, sent_at, attempts, next_attempt_at, locked_until, last_error";

/// Ids of unsent messages due at `now` and not leased, oldest first.
pub async fn list_due_notifications(
    c: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $2) ORDER BY created_at, id LIMIT $3")
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(c)
        .await
}

/// Leases a message until `until` and counts the attempt, if it is still unsent and free.
pub async fn claim_notification(
    c: &mut AnyConnection,
    id: &str,
    now: i64,
    until: i64,
) -> Result<Option<NotificationRow>, sqlx::Error> {
    let r = sqlx::query("UPDATE notifications SET locked_until = $1, attempts = attempts + 1 WHERE id = $2 AND sent_at IS NULL AND (locked_until IS NULL OR locked_until <= $3)")
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

/// Marks a message sent.
pub async fn mark_notification_sent(
    c: &mut AnyConnection,
    id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET sent_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Records a failed attempt, to retry at `next`.
pub async fn fail_notification(
    c: &mut AnyConnection,
    id: &str,
    error: &str,
    next: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET locked_until = NULL, last_error = $1, next_attempt_at = $2 WHERE id = $3")
        .bind(error)
        .bind(next)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// An institution's messages, newest first.
pub async fn list_notifications(
    c: &mut AnyConnection,
    institution_id: &str,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE institution_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(institution_id)
    .bind(limit)
    .fetch_all(c)
    .await
}
