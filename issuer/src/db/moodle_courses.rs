//! Table `moodle_courses`: which Moodle course of a connection earns which achievement.

use sqlx::AnyConnection;

/// One mapping, with the achievement's slug.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct MoodleCourseRow {
    pub connection_id: String,
    pub course_id: i64,
    pub shortname: String,
    pub fullname: String,
    pub achievement_id: String,
    pub achievement_slug: String,
    pub created_at: i64,
}

const SELECT: &str = "SELECT m.connection_id, m.course_id, m.shortname, m.fullname, m.achievement_id, a.slug AS achievement_slug, m.created_at FROM moodle_courses m JOIN achievements a ON a.id = m.achievement_id";

/// Maps a course to an achievement (a unique violation names `course_id`).
pub async fn insert_moodle_course(
    c: &mut AnyConnection,
    connection_id: &str,
    course_id: i64,
    shortname: &str,
    fullname: &str,
    achievement_id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO moodle_courses (connection_id, course_id, shortname, fullname, achievement_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(connection_id)
        .bind(course_id)
        .bind(shortname)
        .bind(fullname)
        .bind(achievement_id)
        .bind(at)
        .execute(c)
        .await?;
    Ok(())
}

/// A connection's mappings.
pub async fn list_moodle_courses(
    c: &mut AnyConnection,
    connection_id: &str,
) -> Result<Vec<MoodleCourseRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE m.connection_id = $1 ORDER BY m.course_id, a.slug"
    ))
    .bind(connection_id)
    .fetch_all(c)
    .await
}

/// The achievements one course earns.
pub async fn list_moodle_courses_of(
    c: &mut AnyConnection,
    connection_id: &str,
    course_id: i64,
) -> Result<Vec<MoodleCourseRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE m.connection_id = $1 AND m.course_id = $2 ORDER BY a.slug"
    ))
    .bind(connection_id)
    .bind(course_id)
    .fetch_all(c)
    .await
}

/// Removes a mapping; whether one was removed.
pub async fn delete_moodle_course(
    c: &mut AnyConnection,
    connection_id: &str,
    course_id: i64,
    achievement_id: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("DELETE FROM moodle_courses WHERE connection_id = $1 AND course_id = $2 AND achievement_id = $3")
        .bind(connection_id)
        .bind(course_id)
        .bind(achievement_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}
