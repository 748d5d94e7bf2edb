//! Table `api_tokens`: API tokens, stored as SHA-256 hashes, each scoped to the platform or to
//! one institution, with a role.

use sqlx::{AnyConnection, AnyPool, Row};

/// One row.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct ApiTokenRow {
    pub id: String,
    pub token_hash: String,
    pub scope: String,
    pub institution_id: Option<String>,
    pub role: String,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Inserts a token.
pub async fn insert_api_token(c: &mut AnyConnection, r: &ApiTokenRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO api_tokens (id, token_hash, scope, institution_id, role, label, created_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&r.id)
    .bind(&r.token_hash)
    .bind(&r.scope)
    .bind(&r.institution_id)
    .bind(&r.role)
    .bind(&r.label)
    .bind(r.created_at)
    .bind(r.revoked_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The live (not revoked) token with this hash.
pub async fn find_api_token(
    p: &AnyPool,
    token_hash: &str,
) -> Result<Option<ApiTokenRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, token_hash, scope, institution_id, role, label, created_at, revoked_at \
         FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(p)
    .await?;
    row.map(|r| {
        Ok(ApiTokenRow {
            id: r.try_get("id")?,
            token_hash: r.try_get("token_hash")?,
            scope: r.try_get("scope")?,
            institution_id: r.try_get("institution_id")?,
            role: r.try_get("role")?,
            label: r.try_get("label")?,
            created_at: r.try_get("created_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    })
    .transpose()
}
