//! Table `learning_records`: what a source (an xAPI statement, a row of a completions file,
//! a quiz attempt) reports of one learner for one achievement - completed when, a percentage,
//! a grade as written - deduplicated per source item, voided when the source voids it.

use sqlx::AnyConnection;

/// One record.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct LearningRecordRow {
    pub id: String,
    pub institution_id: String,
    pub learner_id: String,
    pub achievement_id: String,
    /// `xapi`, `csv` or `quiz`.
    pub source: String,
    pub dedupe_key: String,
    pub quiz: Option<String>,
    pub completed_at: Option<i64>,
    pub percent: Option<f64>,
    pub grade: Option<String>,
    pub detail: String,
    pub recorded_at: i64,
    pub voided_at: Option<i64>,
}

const COLUMNS: &str = "id, institution_id, learner_id, achievement_id, source, dedupe_key, \
    quiz, completed_at, percent, grade, detail, recorded_at, voided_at";

/// Inserts a record; false when the same source item was already recorded for that
/// achievement (nothing is written).
pub async fn insert_learning_record(
    c: &mut AnyConnection,
    r: &LearningRecordRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "INSERT INTO learning_records ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.learner_id)
    .bind(&r.achievement_id)
    .bind(&r.source)
    .bind(&r.dedupe_key)
    .bind(&r.quiz)
    .bind(r.completed_at)
    .bind(r.percent)
    .bind(&r.grade)
    .bind(&r.detail)
    .bind(r.recorded_at)
    .bind(r.voided_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The record of a source item for an achievement.
pub async fn find_learning_record(
    c: &mut AnyConnection,
    institution_id: &str,
    achievement_id: &str,
    dedupe_key: &str,
) -> Result<Option<LearningRecordRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM learning_records \
         WHERE institution_id = $1 AND achievement_id = $2 AND dedupe_key = $3"
    ))
    .bind(institution_id)
    .bind(achievement_id)
    .bind(dedupe_key)
    .fetch_optional(c)
    .await
}

/// The live (not voided) records of a learner for an achievement, oldest first.
pub async fn list_live_records_of(
    c: &mut AnyConnection,
    institution_id: &str,
    achievement_id: &str,
    learner_id: &str,
) -> Result<Vec<LearningRecordRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM learning_records WHERE institution_id = $1 \
         AND achievement_id = $2 AND learner_id = $3 AND voided_at IS NULL \
         ORDER BY recorded_at, id"
    ))
    .bind(institution_id)
    .bind(achievement_id)
    .bind(learner_id)
    .fetch_all(c)
    .await
}

/// The learners with live records for an achievement.
pub async fn list_learners_with_records(
    c: &mut AnyConnection,
    institution_id: &str,
    achievement_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT learner_id FROM learning_records WHERE institution_id = $1 \
         AND achievement_id = $2 AND voided_at IS NULL ORDER BY learner_id",
    )
    .bind(institution_id)
    .bind(achievement_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(|(l,)| l).collect())
}

/// Voids every record of a source item; how many.
pub async fn void_learning_records(
    c: &mut AnyConnection,
    institution_id: &str,
    dedupe_key: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE learning_records SET voided_at = $1 \
         WHERE institution_id = $2 AND dedupe_key = $3 AND voided_at IS NULL",
    )
    .bind(at)
    .bind(institution_id)
    .bind(dedupe_key)
    .execute(c)
    .await?
    .rows_affected())
}
