//! Table `institutions`: the awarding bodies (tenants), with their registered details.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct InstitutionRow {
    pub id: String,
    pub slug: String,
    pub legal_name: String,
    pub registration_number: String,
    pub country: String,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub postal_code: Option<String>,
    pub website: Option<String>,
    pub logo_url: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, slug, legal_name, registration_number, country, street, locality, postal_code, website, logo_url, created_at";

/// Inserts an institution (a unique violation names `slug`).
pub async fn insert_institution(
    c: &mut AnyConnection,
    r: &InstitutionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO institutions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&r.id)
    .bind(&r.slug)
    .bind(&r.legal_name)
    .bind(&r.registration_number)
    .bind(&r.country)
    .bind(&r.street)
    .bind(&r.locality)
    .bind(&r.postal_code)
    .bind(&r.website)
    .bind(&r.logo_url)
    .bind(r.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The institution with this slug.
pub async fn find_institution_by_slug(
    c: &mut AnyConnection,
    slug: &str,
) -> Result<Option<InstitutionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM institutions WHERE slug = $1"
    ))
    .bind(slug)
    .fetch_optional(c)
    .await
}

/// The institution with this id.
pub async fn find_institution(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<InstitutionRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM institutions WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await
}

/// Every institution, by slug.
pub async fn list_institutions(c: &mut AnyConnection) -> Result<Vec<InstitutionRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM institutions ORDER BY slug"))
        .fetch_all(c)
        .await
}

/// How many institutions exist.
pub async fn count_institutions(c: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM institutions")
        .fetch_one(c)
        .await
}
