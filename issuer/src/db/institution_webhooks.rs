//! Table `institution_webhooks`: URLs an institution registered to hear of its credentials,
//! each with its signing secret encrypted under the master key.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct WebhookRow {
    pub id: String,
    pub institution_id: String,
    pub url: String,
    pub secret_encrypted: String,
    pub created_at: i64,
}

/// Registers a webhook (a unique violation names `url`).
pub async fn insert_webhook(c: &mut AnyConnection, r: &WebhookRow) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO institution_webhooks (id, institution_id, url, secret_encrypted, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&r.id)
        .bind(&r.institution_id)
        .bind(&r.url)
        .bind(&r.secret_encrypted)
        .bind(r.created_at)
        .execute(c)
        .await?;
    Ok(())
}

/// An institution's webhooks.
pub async fn list_webhooks(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<WebhookRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, institution_id, url, secret_encrypted, created_at FROM institution_webhooks WHERE institution_id = $1 ORDER BY created_at, id")
        .bind(institution_id)
        .fetch_all(c)
        .await
}

/// The ids of an institution's webhooks.
pub async fn list_webhook_ids(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM institution_webhooks WHERE institution_id = $1 ORDER BY created_at, id",
    )
    .bind(institution_id)
    .fetch_all(c)
    .await
}

/// One webhook by id.
pub async fn find_webhook(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<WebhookRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, institution_id, url, secret_encrypted, created_at FROM institution_webhooks WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await
}

/// Removes a webhook and its pending deliveries; whether it existed.
pub async fn delete_webhook(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    let r = sqlx::query("DELETE FROM institution_webhooks WHERE institution_id = $1 AND id = $2")
        .bind(institution_id)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}
