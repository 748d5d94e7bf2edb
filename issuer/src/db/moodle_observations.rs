//! Table `moodle_observations`: what the last poll saw of each learner in each course (a
//! fingerprint of completion and grades), so a poll queues only what changed.

use sqlx::AnyConnection;

/// The fingerprint last seen, if any.
pub async fn find_observation(
    c: &mut AnyConnection,
    connection_id: &str,
    course_id: i64,
    moodle_user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT fingerprint FROM moodle_observations WHERE connection_id = $1 AND course_id = $2 AND moodle_user_id = $3")
        .bind(connection_id)
        .bind(course_id)
        .bind(moodle_user_id)
        .fetch_optional(c)
        .await
}

/// Records the fingerprint seen now.
pub async fn upsert_observation(
    c: &mut AnyConnection,
    connection_id: &str,
    course_id: i64,
    moodle_user_id: i64,
    fingerprint: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO moodle_observations (connection_id, course_id, moodle_user_id, fingerprint, seen_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection_id, course_id, moodle_user_id) DO UPDATE SET fingerprint = excluded.fingerprint, seen_at = excluded.seen_at")
        .bind(connection_id)
        .bind(course_id)
        .bind(moodle_user_id)
        .bind(fingerprint)
        .bind(at)
        .execute(c)
        .await?;
    Ok(())
}
