//! Table `activity_mappings`: which outside activity (an xAPI activity IRI, a course code in
//! a completions file) stands for which achievement - the course itself, or a named quiz of
//! its earning rules.

use sqlx::AnyConnection;

/// One mapping, with the achievement's slug.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct ActivityMappingRow {
    pub institution_id: String,
    pub activity: String,
    pub achievement_id: String,
    pub achievement_slug: String,
    pub quiz: Option<String>,
    pub created_at: i64,
}

const SELECT: &str = "SELECT m.institution_id, m.activity, m.achievement_id, \
    a.slug AS achievement_slug, m.quiz, m.created_at \
    FROM activity_mappings m JOIN achievements a ON a.id = m.achievement_id";

/// Maps an activity; false when that activity is already mapped to that achievement.
pub async fn insert_activity_mapping(
    c: &mut AnyConnection,
    institution_id: &str,
    activity: &str,
    achievement_id: &str,
    quiz: Option<&str>,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO activity_mappings (institution_id, activity, achievement_id, quiz, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(institution_id)
    .bind(activity)
    .bind(achievement_id)
    .bind(quiz)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The achievements an activity stands for.
pub async fn list_mappings_of_activity(
    c: &mut AnyConnection,
    institution_id: &str,
    activity: &str,
) -> Result<Vec<ActivityMappingRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE m.institution_id = $1 AND m.activity = $2 ORDER BY a.slug"
    ))
    .bind(institution_id)
    .bind(activity)
    .fetch_all(c)
    .await
}

/// An institution's mappings.
pub async fn list_activity_mappings(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<ActivityMappingRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE m.institution_id = $1 ORDER BY m.activity, a.slug"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}
