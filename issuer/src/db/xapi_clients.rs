//! Table `xapi_clients`: the Basic-auth credentials an institution gives its xAPI sources
//! (the secret stored as a SHA-256 hash), when each was last used, and when it was revoked.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct XapiClientRow {
    pub id: String,
    pub institution_id: String,
    pub label: String,
    pub username: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, institution_id, label, username, secret_hash, created_at, last_used_at, revoked_at";

/// Inserts a client.
pub async fn insert_xapi_client(
    c: &mut AnyConnection,
    r: &XapiClientRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO xapi_clients ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.label)
    .bind(&r.username)
    .bind(&r.secret_hash)
    .bind(r.created_at)
    .bind(r.last_used_at)
    .bind(r.revoked_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The live (not revoked) client with this user name.
pub async fn find_live_xapi_client(
    c: &mut AnyConnection,
    username: &str,
) -> Result<Option<XapiClientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM xapi_clients WHERE username = $1 AND revoked_at IS NULL"
    ))
    .bind(username)
    .fetch_optional(c)
    .await
}

/// An institution's clients, newest first.
pub async fn list_xapi_clients(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<XapiClientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM xapi_clients WHERE institution_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}

/// Notes a use (at most once a minute); whether a row changed.
pub async fn touch_xapi_client(
    c: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE xapi_clients SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - 60)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Revokes a live client of an institution; whether one was revoked.
pub async fn revoke_xapi_client(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE xapi_clients SET revoked_at = $1 WHERE institution_id = $2 AND id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(institution_id)
    .bind(id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}
