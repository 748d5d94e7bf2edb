//! Tables `learners` and `learner_identifiers`: the people an institution knows outside
//! Moodle, and the identifiers (e-mail, its xAPI `mbox_sha1sum`, a keyed hash of the national
//! id, an xAPI account, an OpenID) by which a source names them.

use sqlx::AnyConnection;

/// One learner.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct LearnerRow {
    pub id: String,
    pub institution_id: String,
    pub name: String,
    pub email: Option<String>,
    pub national_id_encrypted: Option<String>,
    pub language: Option<String>,
    pub created_at: i64,
}

/// One identifier of a learner.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct LearnerIdentifierRow {
    pub institution_id: String,
    /// `email`, `mbox_sha1sum`, `national_id`, `account` or `openid`.
    pub kind: String,
    pub value: String,
    pub learner_id: String,
}

const COLUMNS: &str =
    "id, institution_id, name, email, national_id_encrypted, language, created_at";

/// Inserts a learner.
pub async fn insert_learner(c: &mut AnyConnection, r: &LearnerRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO learners ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.name)
    .bind(&r.email)
    .bind(&r.national_id_encrypted)
    .bind(&r.language)
    .bind(r.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Fills in what a learner lacked (an e-mail, a national id, a language) and keeps the rest.
pub async fn complete_learner(
    c: &mut AnyConnection,
    id: &str,
    email: Option<&str>,
    national_id_encrypted: Option<&str>,
    language: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE learners SET email = COALESCE(email, $1), \
         national_id_encrypted = COALESCE(national_id_encrypted, $2), \
         language = COALESCE(language, $3) WHERE id = $4",
    )
    .bind(email)
    .bind(national_id_encrypted)
    .bind(language)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}

/// Adds an identifier; false when the institution already has it (for anyone).
pub async fn insert_learner_identifier(
    c: &mut AnyConnection,
    r: &LearnerIdentifierRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO learner_identifiers (institution_id, kind, value, learner_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&r.institution_id)
    .bind(&r.kind)
    .bind(&r.value)
    .bind(&r.learner_id)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The learner an identifier names.
pub async fn find_learner_by_identifier(
    c: &mut AnyConnection,
    institution_id: &str,
    kind: &str,
    value: &str,
) -> Result<Option<LearnerRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.id, l.institution_id, l.name, l.email, l.national_id_encrypted, l.language, \
         l.created_at FROM learner_identifiers i JOIN learners l ON l.id = i.learner_id \
         WHERE i.institution_id = $1 AND i.kind = $2 AND i.value = $3",
    )
    .bind(institution_id)
    .bind(kind)
    .bind(value)
    .fetch_optional(c)
    .await
}

/// One learner of an institution.
pub async fn find_learner(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<LearnerRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM learners WHERE institution_id = $1 AND id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// An institution's learners, newest first, `limit` after `offset`.
pub async fn list_learners(
    c: &mut AnyConnection,
    institution_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<LearnerRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM learners WHERE institution_id = $1 \
         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(institution_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(c)
    .await
}

/// A learner's identifiers.
pub async fn list_learner_identifiers(
    c: &mut AnyConnection,
    learner_id: &str,
) -> Result<Vec<LearnerIdentifierRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT institution_id, kind, value, learner_id FROM learner_identifiers \
         WHERE learner_id = $1 ORDER BY kind, value",
    )
    .bind(learner_id)
    .fetch_all(c)
    .await
}
