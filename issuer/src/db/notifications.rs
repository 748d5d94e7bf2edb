//! Table `notifications`: the outbox of messages to learners (a mailer delivers and marks
//! them sent).

use sqlx::{AnyConnection, AnyPool, Row};

/// Queues a notification.
pub async fn insert_notification(
    c: &mut AnyConnection,
    id: &str,
    institution_id: &str,
    recipient: &str,
    kind: &str,
    payload: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications (id, institution_id, recipient, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(institution_id)
    .bind(recipient)
    .bind(kind)
    .bind(payload)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Unsent notifications for a recipient, oldest first (kind, payload).
pub async fn list_pending_notifications(
    p: &AnyPool,
    recipient: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query("SELECT kind, payload FROM notifications WHERE recipient = $1 AND sent_at IS NULL ORDER BY created_at, id")
        .bind(recipient)
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("kind")?, r.try_get("payload")?)))
        .collect()
}
