//! Table `evaluations`: every time a learner's record was checked against an achievement's
//! earning rules, with the outcome, the reasons and the credential issued.

use sqlx::AnyConnection;

/// One evaluation, with the achievement's slug and the credential's code.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct EvaluationRow {
    pub id: String,
    pub institution_id: String,
    pub inbox_id: Option<String>,
    pub connection_id: String,
    pub achievement_id: String,
    pub achievement_slug: String,
    pub moodle_user_id: i64,
    pub course_id: i64,
    pub learner_name: Option<String>,
    /// `issued`, `already_issued` or `not_met`.
    pub outcome: String,
    /// JSON array of strings.
    pub reasons: String,
    pub credential_id: Option<String>,
    pub credential_code: Option<String>,
    pub at: i64,
}

/// What to insert.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct NewEvaluation<'a> {
    pub id: &'a str,
    pub institution_id: &'a str,
    pub inbox_id: Option<&'a str>,
    pub connection_id: &'a str,
    pub achievement_id: &'a str,
    pub moodle_user_id: i64,
    pub course_id: i64,
    pub learner_name: Option<&'a str>,
    pub outcome: &'a str,
    pub reasons: &'a str,
    pub credential_id: Option<&'a str>,
    pub at: i64,
}

const SELECT: &str = "SELECT e.id, e.institution_id, e.inbox_id, e.connection_id, e.achievement_id, a.slug AS achievement_slug, e.moodle_user_id, e.course_id, e.learner_name, e.outcome, e.reasons, e.credential_id, c.code AS credential_code, e.at FROM evaluations e JOIN achievements a ON a.id = e.achievement_id LEFT JOIN credentials c ON c.id = e.credential_id";

/// Records an evaluation.
pub async fn insert_evaluation(
    c: &mut AnyConnection,
    e: &NewEvaluation<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO evaluations (id, institution_id, inbox_id, connection_id, achievement_id, moodle_user_id, course_id, learner_name, outcome, reasons, credential_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(e.id)
        .bind(e.institution_id)
        .bind(e.inbox_id)
        .bind(e.connection_id)
        .bind(e.achievement_id)
        .bind(e.moodle_user_id)
        .bind(e.course_id)
        .bind(e.learner_name)
        .bind(e.outcome)
        .bind(e.reasons)
        .bind(e.credential_id)
        .bind(e.at)
        .execute(c)
        .await?;
    Ok(())
}

/// One evaluation of an institution.
pub async fn find_evaluation(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<EvaluationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.institution_id = $1 AND e.id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// An institution's evaluations, newest first, for one Moodle user and/or one achievement.
pub async fn list_evaluations(
    c: &mut AnyConnection,
    institution_id: &str,
    moodle_user_id: Option<i64>,
    achievement_id: Option<&str>,
    limit: i64,
) -> Result<Vec<EvaluationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.institution_id = $1 AND ($2 IS NULL OR e.moodle_user_id = $3) AND ($4 IS NULL OR e.achievement_id = $5) ORDER BY e.at DESC, e.id DESC LIMIT $6"
    ))
    .bind(institution_id)
    .bind(moodle_user_id)
    .bind(moodle_user_id)
    .bind(achievement_id)
    .bind(achievement_id)
    .bind(limit)
    .fetch_all(c)
    .await
}

/// The evaluations one inbox item produced.
pub async fn list_evaluations_of_item(
    c: &mut AnyConnection,
    inbox_id: &str,
) -> Result<Vec<EvaluationRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE e.inbox_id = $1 ORDER BY a.slug"))
        .bind(inbox_id)
        .fetch_all(c)
        .await
}
