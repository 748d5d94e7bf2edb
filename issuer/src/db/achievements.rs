//! Tables `achievements` and `achievement_versions`: micro-credential definitions, versioned
//! (an issued credential keeps the version it was issued under).

use sqlx::{AnyConnection, AnyPool, Row};

/// One achievement with one of its versions.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct AchievementRow {
    pub id: String,
    pub institution_id: String,
    pub slug: String,
    pub current_version: i64,
    pub version: i64,
    pub definition: String,
    pub created_at: i64,
    pub version_created_at: i64,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<AchievementRow, sqlx::Error> {
    Ok(AchievementRow {
        id: r.try_get("id")?,
        institution_id: r.try_get("institution_id")?,
        slug: r.try_get("slug")?,
        current_version: r.try_get("current_version")?,
        version: r.try_get("version")?,
        definition: r.try_get("definition")?,
        created_at: r.try_get("created_at")?,
        version_created_at: r.try_get("version_created_at")?,
    })
}

const SELECT: &str = "SELECT a.id, a.institution_id, a.slug, a.current_version, v.version, v.definition, a.created_at, v.created_at AS version_created_at \
     FROM achievements a JOIN achievement_versions v ON v.achievement_id = a.id";

/// Inserts a new achievement at version 1.
pub async fn insert_achievement(
    c: &mut AnyConnection,
    id: &str,
    institution_id: &str,
    slug: &str,
    definition: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO achievements (id, institution_id, slug, current_version, created_at) VALUES ($1, $2, $3, 1, $4)")
        .bind(id)
        .bind(institution_id)
        .bind(slug)
        .bind(at)
        .execute(&mut *c)
        .await?;
    insert_achievement_version(c, id, 1, definition, at).await
}

/// Adds a version and makes it current.
pub async fn insert_achievement_version(
    c: &mut AnyConnection,
    achievement_id: &str,
    version: i64,
    definition: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO achievement_versions (achievement_id, version, definition, created_at) VALUES ($1, $2, $3, $4)")
        .bind(achievement_id)
        .bind(version)
        .bind(definition)
        .bind(at)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE achievements SET current_version = $1 WHERE id = $2")
        .bind(version)
        .bind(achievement_id)
        .execute(c)
        .await?;
    Ok(())
}

/// An institution's achievement at its current version.
pub async fn find_achievement(
    p: &AnyPool,
    institution_id: &str,
    slug: &str,
) -> Result<Option<AchievementRow>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE a.institution_id = $1 AND a.slug = $2 AND v.version = a.current_version"
    ))
    .bind(institution_id)
    .bind(slug)
    .fetch_optional(p)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// An achievement at a given version.
pub async fn find_achievement_version(
    p: &AnyPool,
    achievement_id: &str,
    version: i64,
) -> Result<Option<AchievementRow>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} WHERE a.id = $1 AND v.version = $2"))
        .bind(achievement_id)
        .bind(version)
        .fetch_optional(p)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// An institution's achievements at their current versions.
pub async fn list_achievements(
    p: &AnyPool,
    institution_id: &str,
) -> Result<Vec<AchievementRow>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE a.institution_id = $1 AND v.version = a.current_version ORDER BY a.slug"
    ))
    .bind(institution_id)
    .fetch_all(p)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// An achievement (by id) at its current version.
pub async fn find_current_achievement_by_id(
    p: &AnyPool,
    achievement_id: &str,
) -> Result<Option<AchievementRow>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE a.id = $1 AND v.version = a.current_version"
    ))
    .bind(achievement_id)
    .fetch_optional(p)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}
