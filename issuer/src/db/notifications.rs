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
    sqlx::query(
        "INSERT INTO notifications (id, institution_id, recipient, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(n.id)
    .bind(n.institution_id)
    .bind(n.recipient)
    .bind(n.kind)
    .bind(n.payload)
    .bind(n.at)
    .execute(c)
    .await?;
    Ok(())
}
