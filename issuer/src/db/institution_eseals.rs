//! Table `institution_eseals`: one electronic seal per institution (key and chain encrypted
//! under the master key), replaced when the institution uploads a renewed certificate.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct EsealRow {
    pub institution_id: String,
    pub material_encrypted: String,
    pub algorithm: String,
    pub subject: String,
    pub organisation: String,
    pub organisation_identifier: String,
    pub certificate_issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    pub qualified: i64,
    pub fingerprint: String,
    pub uploaded_at: i64,
    pub uploaded_by: String,
}

const COLUMNS: &str = "institution_id, material_encrypted, algorithm, subject, organisation, organisation_identifier, certificate_issuer, not_before, not_after, qualified, fingerprint, uploaded_at, uploaded_by";

/// Stores an institution's seal, replacing the one it had.
pub async fn replace_eseal(c: &mut AnyConnection, r: &EsealRow) -> Result<(), sqlx::Error> {
    delete_eseal(&mut *c, &r.institution_id).await?;
    sqlx::query(&format!(
        "INSERT INTO institution_eseals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&r.institution_id)
    .bind(&r.material_encrypted)
    .bind(&r.algorithm)
    .bind(&r.subject)
    .bind(&r.organisation)
    .bind(&r.organisation_identifier)
    .bind(&r.certificate_issuer)
    .bind(r.not_before)
    .bind(r.not_after)
    .bind(r.qualified)
    .bind(&r.fingerprint)
    .bind(r.uploaded_at)
    .bind(&r.uploaded_by)
    .execute(c)
    .await?;
    Ok(())
}

/// The institution's seal, if it has one.
pub async fn find_eseal(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Option<EsealRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM institution_eseals WHERE institution_id = $1"
    ))
    .bind(institution_id)
    .fetch_optional(c)
    .await
}

/// Removes the institution's seal; true if it had one.
pub async fn delete_eseal(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("DELETE FROM institution_eseals WHERE institution_id = $1")
        .bind(institution_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}
