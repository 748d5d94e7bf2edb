//! Table `quizzes`: a quiz of an achievement, drawing its questions from a bank (all, or a
//! random number of them, optionally from one category), with its time limit, attempts
//! limit and pass mark.

use sqlx::AnyConnection;

/// One quiz, with its achievement's slug.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct QuizRow {
    pub id: String,
    pub institution_id: String,
    pub achievement_id: String,
    pub achievement_slug: String,
    pub bank_id: String,
    pub title: String,
    pub category: Option<String>,
    pub pick: Option<i64>,
    pub time_limit_s: Option<i64>,
    pub max_attempts: Option<i64>,
    pub pass_percent: f64,
    pub created_at: i64,
}

const SELECT: &str =
    "SELECT q.id, q.institution_id, q.achievement_id, a.slug AS achievement_slug, \
    q.bank_id, q.title, q.category, q.pick, q.time_limit_s, q.max_attempts, q.pass_percent, \
    q.created_at FROM quizzes q JOIN achievements a ON a.id = q.achievement_id";

/// Inserts a quiz; false when the achievement already has a quiz of that title.
pub async fn insert_quiz(c: &mut AnyConnection, r: &QuizRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO quizzes (id, institution_id, achievement_id, bank_id, title, category, pick, \
         time_limit_s, max_attempts, pass_percent, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
    )
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.achievement_id)
    .bind(&r.bank_id)
    .bind(&r.title)
    .bind(&r.category)
    .bind(r.pick)
    .bind(r.time_limit_s)
    .bind(r.max_attempts)
    .bind(r.pass_percent)
    .bind(r.created_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A quiz of an institution.
pub async fn find_quiz(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<QuizRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE q.institution_id = $1 AND q.id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// An institution's quizzes, newest first.
pub async fn list_quizzes(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<QuizRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE q.institution_id = $1 ORDER BY q.created_at DESC, q.id"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}
