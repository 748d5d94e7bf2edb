//! Table `signing_keys`: each institution's Ed25519 keys, secret halves encrypted under the
//! master key. A retired key stays (its public half remains in the DID document).

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct SigningKeyRow {
    pub id: String,
    pub institution_id: String,
    pub kid: String,
    pub public_key_multibase: String,
    pub secret_ciphertext: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

const COLUMNS: &str =
    "id, institution_id, kid, public_key_multibase, secret_ciphertext, created_at, retired_at";

/// Inserts a key.
pub async fn insert_signing_key(
    c: &mut AnyConnection,
    r: &SigningKeyRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO signing_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.kid)
    .bind(&r.public_key_multibase)
    .bind(&r.secret_ciphertext)
    .bind(r.created_at)
    .bind(r.retired_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Every key of an institution, oldest first.
pub async fn list_signing_keys(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<SigningKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE institution_id = $1 ORDER BY created_at, kid"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}

/// Retires every active key of an institution.
pub async fn retire_signing_keys(
    c: &mut AnyConnection,
    institution_id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE signing_keys SET retired_at = $1 WHERE institution_id = $2 AND retired_at IS NULL",
    )
    .bind(at)
    .bind(institution_id)
    .execute(c)
    .await?;
    Ok(())
}

/// How many keys an institution has had (for the next `kid`).
pub async fn count_signing_keys(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys WHERE institution_id = $1")
        .bind(institution_id)
        .fetch_one(c)
        .await
}
