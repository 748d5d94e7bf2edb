//! Table `api_tokens`: API tokens, stored as SHA-256 hashes, each scoped to the platform or to
//! one institution, with a role; when each was last used, and when it was revoked.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct ApiTokenRow {
    pub id: String,
    pub token_hash: String,
    pub scope: String,
    pub institution_id: Option<String>,
    pub role: String,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, token_hash, scope, institution_id, role, label, created_at, last_used_at, revoked_at";

/// Inserts a token.
pub async fn insert_api_token(c: &mut AnyConnection, r: &ApiTokenRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO api_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&r.id)
    .bind(&r.token_hash)
    .bind(&r.scope)
    .bind(&r.institution_id)
    .bind(&r.role)
    .bind(&r.label)
    .bind(r.created_at)
    .bind(r.last_used_at)
    .bind(r.revoked_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The live (not revoked) token with this hash.
pub async fn find_api_token(
    c: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<ApiTokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
    ))
    .bind(token_hash)
    .fetch_optional(c)
    .await
}

/// An institution's tokens, oldest first (revoked ones included).
pub async fn list_api_tokens(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<ApiTokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE institution_id = $1 ORDER BY created_at, id"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}

/// Records a use, at most once a minute per token (a write on every request would make
/// every request a writer).
pub async fn update_api_token_last_used(
    c: &mut AnyConnection,
    id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(at)
    .bind(id)
    .bind(at - 60)
    .execute(c)
    .await?;
    Ok(())
}

/// Revokes an institution's live token; false when there was none.
pub async fn revoke_api_token(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE institution_id = $2 AND id = $3 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(institution_id)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}
