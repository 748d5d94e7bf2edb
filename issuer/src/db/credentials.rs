//! Table `credentials`: every credential issued, signed, with its public code.

use sqlx::{AnyConnection, AnyPool, Row};

/// One row.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct CredentialRow {
    pub id: String,
    pub code: String,
    pub institution_id: String,
    pub achievement_id: Option<String>,
    pub achievement_version: Option<i64>,
    pub learner_name: String,
    pub learner_email: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub document: String,
    pub issued_at: i64,
    pub valid_until: Option<i64>,
    pub created_at: i64,
    /// `active`, `suspended` or `revoked`.
    pub state: String,
    pub state_changed_at: Option<i64>,
    /// The credential this one renews or corrects.
    pub replaces: Option<String>,
    /// The credential that corrected this one.
    pub replaced_by: Option<String>,
}

const COLUMNS: &str = "id, code, institution_id, achievement_id, achievement_version, learner_name, learner_email, idempotency_key, request_hash, document, issued_at, valid_until, created_at, state, state_changed_at, replaces, replaced_by";

fn from_row(r: &sqlx::any::AnyRow) -> Result<CredentialRow, sqlx::Error> {
    Ok(CredentialRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        institution_id: r.try_get("institution_id")?,
        achievement_id: r.try_get("achievement_id")?,
        achievement_version: r.try_get("achievement_version")?,
        learner_name: r.try_get("learner_name")?,
        learner_email: r.try_get("learner_email")?,
        idempotency_key: r.try_get("idempotency_key")?,
        request_hash: r.try_get("request_hash")?,
        document: r.try_get("document")?,
        issued_at: r.try_get("issued_at")?,
        valid_until: r.try_get("valid_until")?,
        created_at: r.try_get("created_at")?,
        state: r.try_get("state")?,
        state_changed_at: r.try_get("state_changed_at")?,
        replaces: r.try_get("replaces")?,
        replaced_by: r.try_get("replaced_by")?,
    })
}

/// Inserts a credential (fails with a unique violation on a reused idempotency key or code).
pub async fn insert_credential(
    c: &mut AnyConnection,
    r: &CredentialRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO credentials ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(&r.id)
    .bind(&r.code)
    .bind(&r.institution_id)
    .bind(&r.achievement_id)
    .bind(r.achievement_version)
    .bind(&r.learner_name)
    .bind(&r.learner_email)
    .bind(&r.idempotency_key)
    .bind(&r.request_hash)
    .bind(&r.document)
    .bind(r.issued_at)
    .bind(r.valid_until)
    .bind(r.created_at)
    .bind(&r.state)
    .bind(r.state_changed_at)
    .bind(&r.replaces)
    .bind(&r.replaced_by)
    .execute(c)
    .await?;
    Ok(())
}

/// The credential with this public code.
pub async fn find_credential_by_code(
    p: &AnyPool,
    code: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(p)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The credential an institution issued under this idempotency key.
pub async fn find_credential_by_idempotency_key(
    p: &AnyPool,
    institution_id: &str,
    key: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE institution_id = $1 AND idempotency_key = $2"
    ))
    .bind(institution_id)
    .bind(key)
    .fetch_optional(p)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// An institution's credentials, newest first.
pub async fn list_credentials(
    p: &AnyPool,
    institution_id: &str,
    limit: i64,
) -> Result<Vec<CredentialRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE institution_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(institution_id)
    .bind(limit)
    .fetch_all(p)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// An institution's credential by its public code.
pub async fn find_institution_credential(
    p: &AnyPool,
    institution_id: &str,
    code: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE institution_id = $1 AND code = $2"
    ))
    .bind(institution_id)
    .bind(code)
    .fetch_optional(p)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The credential with this id.
pub async fn find_credential_by_id(
    p: &AnyPool,
    id: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM credentials WHERE id = $1"))
        .bind(id)
        .fetch_optional(p)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Moves a credential from state `from` to `to`; false when it was not in `from`.
pub async fn update_credential_state(
    c: &mut AnyConnection,
    id: &str,
    from: &str,
    to: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE credentials SET state = $1, state_changed_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records which credential replaced this one.
pub async fn update_credential_replaced_by(
    c: &mut AnyConnection,
    id: &str,
    replaced_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE credentials SET replaced_by = $1 WHERE id = $2")
        .bind(replaced_by)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}
