//! Table `institution_logos`: one logo per institution (a normalised PNG), replaced when the
//! institution uploads another.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct LogoRow {
    pub institution_id: String,
    pub png_base64: String,
    pub width: i64,
    pub height: i64,
    pub sha256: String,
    pub uploaded_at: i64,
    pub uploaded_by: String,
}

const COLUMNS: &str = "institution_id, png_base64, width, height, sha256, uploaded_at, uploaded_by";

/// Stores an institution's logo, replacing the one it had.
pub async fn replace_logo(c: &mut AnyConnection, r: &LogoRow) -> Result<(), sqlx::Error> {
    delete_logo(&mut *c, &r.institution_id).await?;
    sqlx::query(&format!(
        "INSERT INTO institution_logos ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&r.institution_id)
    .bind(&r.png_base64)
    .bind(r.width)
    .bind(r.height)
    .bind(&r.sha256)
    .bind(r.uploaded_at)
    .bind(&r.uploaded_by)
    .execute(c)
    .await?;
    Ok(())
}

/// The institution's logo, if it has one.
pub async fn find_logo(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Option<LogoRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM institution_logos WHERE institution_id = $1"
    ))
    .bind(institution_id)
    .fetch_optional(c)
    .await
}

/// Removes the institution's logo; true if it had one.
pub async fn delete_logo(c: &mut AnyConnection, institution_id: &str) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("DELETE FROM institution_logos WHERE institution_id = $1")
        .bind(institution_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}
