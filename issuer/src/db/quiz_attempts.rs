//! Table `quiz_attempts`: a learner's attempts at a quiz - the questions drawn, the
//! deadline, the responses, the marks and the percentage.

use sqlx::AnyConnection;

/// One attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct QuizAttemptRow {
    pub id: String,
    pub quiz_id: String,
    pub institution_id: String,
    pub learner_id: String,
    pub number: i64,
    /// JSON array of bank positions.
    pub questions: String,
    /// `open`, `awaiting_grading` or `graded`.
    pub state: String,
    pub started_at: i64,
    pub deadline: Option<i64>,
    pub submitted_at: Option<i64>,
    pub responses: Option<String>,
    pub marks: Option<String>,
    pub percent: Option<f64>,
    pub key_hash: String,
}

const COLUMNS: &str = "id, quiz_id, institution_id, learner_id, number, questions, state, \
    started_at, deadline, submitted_at, responses, marks, percent, key_hash";

/// Inserts an attempt; false when that attempt number is taken (a concurrent start).
pub async fn insert_quiz_attempt(
    c: &mut AnyConnection,
    r: &QuizAttemptRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "INSERT INTO quiz_attempts ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING"
    ))
    .bind(&r.id)
    .bind(&r.quiz_id)
    .bind(&r.institution_id)
    .bind(&r.learner_id)
    .bind(r.number)
    .bind(&r.questions)
    .bind(&r.state)
    .bind(r.started_at)
    .bind(r.deadline)
    .bind(r.submitted_at)
    .bind(&r.responses)
    .bind(&r.marks)
    .bind(r.percent)
    .bind(&r.key_hash)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An attempt of an institution.
pub async fn find_quiz_attempt(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<QuizAttemptRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quiz_attempts WHERE institution_id = $1 AND id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// An attempt by its id alone (the learner's own access, checked by its key).
pub async fn find_quiz_attempt_by_id(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<QuizAttemptRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quiz_attempts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

/// A learner's attempts at a quiz, first first.
pub async fn list_attempts_of(
    c: &mut AnyConnection,
    quiz_id: &str,
    learner_id: &str,
) -> Result<Vec<QuizAttemptRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quiz_attempts WHERE quiz_id = $1 AND learner_id = $2 ORDER BY number"
    ))
    .bind(quiz_id)
    .bind(learner_id)
    .fetch_all(c)
    .await
}

/// Stores the outcome of a submission or of an instructor's grade, if the attempt is still
/// in `from`; whether it was.
#[allow(clippy::too_many_arguments)]
pub async fn update_quiz_attempt(
    c: &mut AnyConnection,
    id: &str,
    from: &str,
    state: &str,
    submitted_at: i64,
    responses: &str,
    marks: &str,
    percent: Option<f64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE quiz_attempts SET state = $1, submitted_at = $2, responses = $3, marks = $4, \
         percent = $5 WHERE id = $6 AND state = $7",
    )
    .bind(state)
    .bind(submitted_at)
    .bind(responses)
    .bind(marks)
    .bind(percent)
    .bind(id)
    .bind(from)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}
