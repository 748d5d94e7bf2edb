//! Table `signing_keys`: each institution's Ed25519 keys, secret halves encrypted under the
//! master key. A retired key stays (its public half remains in the DID document).

use sqlx::{AnyConnection, AnyPool, Row};

/// One row.
#[derive(Debug, Clone)]
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

fn from_row(r: &sqlx::any::AnyRow) -> Result<SigningKeyRow, sqlx::Error> {
    Ok(SigningKeyRow {
        id: r.try_get("id")?,
        institution_id: r.try_get("institution_id")?,
        kid: r.try_get("kid")?,
        public_key_multibase: r.try_get("public_key_multibase")?,
        secret_ciphertext: r.try_get("secret_ciphertext")?,
        created_at: r.try_get("created_at")?,
        retired_at: r.try_get("retired_at")?,
    })
}

/// Inserts a key.
pub async fn insert_signing_key(
    c: &mut AnyConnection,
    r: &SigningKeyRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_keys (id, institution_id, kid, public_key_multibase, secret_ciphertext, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
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
    p: &AnyPool,
    institution_id: &str,
) -> Result<Vec<SigningKeyRow>, sqlx::Error> {
    sqlx::query(
        "SELECT id, institution_id, kid, public_key_multibase, secret_ciphertext, created_at, retired_at \
         FROM signing_keys WHERE institution_id = $1 ORDER BY created_at, kid",
    )
    .bind(institution_id)
    .fetch_all(p)
    .await?
    .iter()
    .map(from_row)
    .collect()
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
    sqlx::query("SELECT COUNT(*) AS n FROM signing_keys WHERE institution_id = $1")
        .bind(institution_id)
        .fetch_one(c)
        .await?
        .try_get("n")
}
