//! Table `credential_events`: every status change of a credential, with its reason and who made
//! it, numbered in order per credential (kept for the audit trail; never shown on public
//! pages).

use sqlx::{AnyConnection, AnyPool, Row};

/// One row.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct CredentialEventRow {
    pub id: String,
    pub credential_id: String,
    pub action: String,
    pub reason: String,
    pub actor: String,
    pub at: i64,
}

/// Records an event.
pub async fn insert_credential_event(
    c: &mut AnyConnection,
    r: &CredentialEventRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO credential_events (id, credential_id, seq, action, reason, actor, at) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM credential_events WHERE credential_id = $2), $3, $4, $5, $6)",
    )
    .bind(&r.id)
    .bind(&r.credential_id)
        .bind(&r.action)
        .bind(&r.reason)
        .bind(&r.actor)
        .bind(r.at)
        .execute(c)
        .await?;
    Ok(())
}

/// A credential's events, oldest first.
pub async fn list_credential_events(
    p: &AnyPool,
    credential_id: &str,
) -> Result<Vec<CredentialEventRow>, sqlx::Error> {
    sqlx::query("SELECT id, credential_id, action, reason, actor, at FROM credential_events WHERE credential_id = $1 ORDER BY seq")
        .bind(credential_id)
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| {
            Ok(CredentialEventRow {
                id: r.try_get("id")?,
                credential_id: r.try_get("credential_id")?,
                action: r.try_get("action")?,
                reason: r.try_get("reason")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
