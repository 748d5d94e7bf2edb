//! Tables `achievements` and `achievement_versions`: micro-credential definitions, versioned
//! (an issued credential keeps the version it was issued under).

use sqlx::AnyConnection;

/// One achievement with one of its versions.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct AchievementRow {
    pub id: String,
    pub institution_id: String,
    pub slug: String,
    pub current_version: i64,
    pub version: i64,
    pub definition: String,
}

const SELECT: &str =
    "SELECT a.id, a.institution_id, a.slug, a.current_version, v.version, v.definition \
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
    c: &mut AnyConnection,
    institution_id: &str,
    slug: &str,
) -> Result<Option<AchievementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE a.institution_id = $1 AND a.slug = $2 AND v.version = a.current_version"
    ))
    .bind(institution_id)
    .bind(slug)
    .fetch_optional(c)
    .await
}

/// An achievement (by id) at its current version.
pub async fn find_current_achievement_by_id(
    c: &mut AnyConnection,
    achievement_id: &str,
) -> Result<Option<AchievementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE a.id = $1 AND v.version = a.current_version"
    ))
    .bind(achievement_id)
    .fetch_optional(c)
    .await
}

/// An institution's achievements at their current versions.
pub async fn list_achievements(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<AchievementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE a.institution_id = $1 AND v.version = a.current_version ORDER BY a.slug"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}
