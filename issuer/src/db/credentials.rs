//! Table `credentials`: every credential issued, signed, with its public code. `id` is our
//! internal key (status list indexes belong to it); `vc_id` is the credential's own `id`.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct CredentialRow {
    pub id: String,
    pub vc_id: String,
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
    /// `active`, `suspended`, `revoked` or `superseded`.
    pub state: String,
    pub state_changed_at: Option<i64>,
    /// Internal key of the credential this one renews or corrects.
    pub replaces: Option<String>,
    /// Internal key of the credential that renewed or corrected this one.
    pub replaced_by: Option<String>,
    pub issued_by_token: Option<String>,
    pub issued_by: String,
    /// The generation of the learner's private link (moved on when a link is revoked).
    pub holder_epoch: i64,
}

const COLUMNS: &str = "id, vc_id, code, institution_id, achievement_id, achievement_version, learner_name, learner_email, idempotency_key, request_hash, document, issued_at, valid_until, created_at, state, state_changed_at, replaces, replaced_by, issued_by_token, issued_by, holder_epoch";

/// Inserts a credential (a unique violation names `vc_id`, `code` or `idempotency_key`).
pub async fn insert_credential(
    c: &mut AnyConnection,
    r: &CredentialRow,
) -> Result<(), sqlx::Error> {
    insert_credentials(c, std::slice::from_ref(r)).await
}

/// Inserts many credentials, [`super::ROWS_PER_INSERT`] per statement (a unique violation
/// names the column, not the row).
pub async fn insert_credentials(
    c: &mut AnyConnection,
    rows: &[CredentialRow],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(super::ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO credentials ({COLUMNS}) VALUES {}",
            super::values_list(chunk.len(), 21)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for r in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.vc_id)
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
                .bind(&r.issued_by_token)
                .bind(&r.issued_by)
                .bind(r.holder_epoch);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Moves the holder-link generation on (the old link stops working).
pub async fn update_holder_epoch(c: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE credentials SET holder_epoch = holder_epoch + 1 WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// The credential with this public code.
pub async fn find_credential_by_code(
    c: &mut AnyConnection,
    code: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(c)
    .await
}

/// The credential with this internal key.
pub async fn find_credential(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM credentials WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await
}

/// The credential an institution issued under this idempotency key.
pub async fn find_credential_by_idempotency_key(
    c: &mut AnyConnection,
    institution_id: &str,
    key: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE institution_id = $1 AND idempotency_key = $2"
    ))
    .bind(institution_id)
    .bind(key)
    .fetch_optional(c)
    .await
}

/// An institution's credential by its public code.
pub async fn find_institution_credential(
    c: &mut AnyConnection,
    institution_id: &str,
    code: &str,
) -> Result<Option<CredentialRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE institution_id = $1 AND code = $2"
    ))
    .bind(institution_id)
    .bind(code)
    .fetch_optional(c)
    .await
}

/// An institution's credentials, newest first.
pub async fn list_credentials(
    c: &mut AnyConnection,
    institution_id: &str,
    limit: i64,
) -> Result<Vec<CredentialRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE institution_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(institution_id)
    .bind(limit)
    .fetch_all(c)
    .await
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

/// Records which credential replaced this one; false when one already had.
pub async fn update_credential_replaced_by(
    c: &mut AnyConnection,
    id: &str,
    replaced_by: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE credentials SET replaced_by = $1 WHERE id = $2 AND replaced_by IS NULL",
    )
    .bind(replaced_by)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}
