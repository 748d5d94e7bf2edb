//! Table `learner_evaluations`: every time a known learner's records were checked against an
//! achievement's earning rules, with the outcome, the reasons and the credential issued.

use sqlx::AnyConnection;

/// One evaluation, with the names a reader needs.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct LearnerEvaluationRow {
    pub id: String,
    pub institution_id: String,
    pub learner_id: String,
    pub learner_name: String,
    pub achievement_id: String,
    pub achievement_slug: String,
    pub record_id: Option<String>,
    /// `issued`, `already_issued` or `not_met`.
    pub outcome: String,
    /// JSON array of strings.
    pub reasons: String,
    pub credential_id: Option<String>,
    pub credential_code: Option<String>,
    pub at_ms: i64,
}

/// What to insert.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct NewLearnerEvaluation<'a> {
    pub id: &'a str,
    pub institution_id: &'a str,
    pub learner_id: &'a str,
    pub achievement_id: &'a str,
    pub record_id: Option<&'a str>,
    pub outcome: &'a str,
    pub reasons: &'a str,
    pub credential_id: Option<&'a str>,
    pub at_ms: i64,
}

/// Records an evaluation.
pub async fn insert_learner_evaluation(
    c: &mut AnyConnection,
    e: &NewLearnerEvaluation<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO learner_evaluations (id, institution_id, learner_id, achievement_id, \
         record_id, outcome, reasons, credential_id, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.id)
    .bind(e.institution_id)
    .bind(e.learner_id)
    .bind(e.achievement_id)
    .bind(e.record_id)
    .bind(e.outcome)
    .bind(e.reasons)
    .bind(e.credential_id)
    .bind(e.at_ms)
    .execute(c)
    .await?;
    Ok(())
}

/// An institution's evaluations, newest first, optionally of one learner or achievement.
pub async fn list_learner_evaluations(
    c: &mut AnyConnection,
    institution_id: &str,
    learner_id: Option<&str>,
    achievement_id: Option<&str>,
    limit: i64,
) -> Result<Vec<LearnerEvaluationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.id, e.institution_id, e.learner_id, l.name AS learner_name, e.achievement_id, \
         a.slug AS achievement_slug, e.record_id, e.outcome, e.reasons, e.credential_id, \
         c.code AS credential_code, e.at_ms \
         FROM learner_evaluations e JOIN learners l ON l.id = e.learner_id \
         JOIN achievements a ON a.id = e.achievement_id \
         LEFT JOIN credentials c ON c.id = e.credential_id \
         WHERE e.institution_id = $1 AND ($2 IS NULL OR e.learner_id = $3) \
         AND ($4 IS NULL OR e.achievement_id = $5) ORDER BY e.at_ms DESC, e.id LIMIT $6",
    )
    .bind(institution_id)
    .bind(learner_id)
    .bind(learner_id)
    .bind(achievement_id)
    .bind(achievement_id)
    .bind(limit)
    .fetch_all(c)
    .await
}
