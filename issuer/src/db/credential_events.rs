//! Table `credential_events`: every state change of a credential, with its reason and the
//! token that made it, numbered in order per credential (kept for the audit trail; never
//! shown on public pages).

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct CredentialEventRow {
    pub id: String,
    pub credential_id: String,
    /// The state the credential moved to.
    pub action: String,
    pub reason: String,
    /// The label of who acted.
    pub actor: String,
    /// The API token that acted (none for events recorded before tokens were named).
    pub actor_token: Option<String>,
    pub at: i64,
}

/// Records an event as the credential's next.
pub async fn insert_credential_event(
    c: &mut AnyConnection,
    r: &CredentialEventRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO credential_events (id, credential_id, seq, action, reason, actor, actor_token, at) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM credential_events WHERE credential_id = $2), $3, $4, $5, $6, $7)",
    )
    .bind(&r.id)
    .bind(&r.credential_id)
    .bind(&r.action)
    .bind(&r.reason)
    .bind(&r.actor)
    .bind(&r.actor_token)
    .bind(r.at)
    .execute(c)
    .await?;
    Ok(())
}

/// A credential's events, oldest first.
pub async fn list_credential_events(
    c: &mut AnyConnection,
    credential_id: &str,
) -> Result<Vec<CredentialEventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, credential_id, action, reason, actor, actor_token, at FROM credential_events WHERE credential_id = $1 ORDER BY seq",
    )
    .bind(credential_id)
    .fetch_all(c)
    .await
}
