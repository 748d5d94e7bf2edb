//! Table `institutions`: the awarding bodies (tenants).

use sqlx::{AnyConnection, AnyPool, Row};

/// One row.
#[derive(Debug, Clone)]
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

fn from_row(r: &sqlx::any::AnyRow) -> Result<InstitutionRow, sqlx::Error> {
    Ok(InstitutionRow {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        legal_name: r.try_get("legal_name")?,
        registration_number: r.try_get("registration_number")?,
        country: r.try_get("country")?,
        street: r.try_get("street")?,
        locality: r.try_get("locality")?,
        postal_code: r.try_get("postal_code")?,
        website: r.try_get("website")?,
        logo_url: r.try_get("logo_url")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Inserts an institution.
pub async fn insert_institution(
    c: &mut AnyConnection,
    r: &InstitutionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO institutions (id, slug, legal_name, registration_number, country, street, locality, postal_code, website, logo_url, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
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
    p: &AnyPool,
    slug: &str,
) -> Result<Option<InstitutionRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM institutions WHERE slug = $1"
    ))
    .bind(slug)
    .fetch_optional(p)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The institution with this id.
pub async fn find_institution_by_id(
    p: &AnyPool,
    id: &str,
) -> Result<Option<InstitutionRow>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM institutions WHERE id = $1"))
        .bind(id)
        .fetch_optional(p)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Every institution, by slug.
pub async fn list_institutions(p: &AnyPool) -> Result<Vec<InstitutionRow>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM institutions ORDER BY slug"))
        .fetch_all(p)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// How many institutions exist.
pub async fn count_institutions(p: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM institutions")
        .fetch_one(p)
        .await?
        .try_get("n")
}
