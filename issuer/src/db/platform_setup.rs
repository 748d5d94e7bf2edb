//! Table `platform_setup`: the one-time setup token printed at start-up while set-up is
//! pending (one row, id 1). Each start while pending replaces the token; it expires.

use sqlx::AnyConnection;

/// Whether set-up has been completed.
pub async fn is_platform_set_up(c: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let done: Option<Option<i64>> =
        sqlx::query_scalar("SELECT completed_at FROM platform_setup WHERE id = 1")
            .fetch_optional(c)
            .await?;
    Ok(matches!(done, Some(Some(_))))
}

/// Records a new setup token (replacing any earlier one) while set-up is pending; false when
/// set-up was completed.
pub async fn upsert_platform_setup(
    c: &mut AnyConnection,
    token_hash: &str,
    at: i64,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO platform_setup (id, setup_token_hash, created_at, expires_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET setup_token_hash = excluded.setup_token_hash, \
         created_at = excluded.created_at, expires_at = excluded.expires_at \
         WHERE platform_setup.completed_at IS NULL",
    )
    .bind(token_hash)
    .bind(at)
    .bind(expires_at)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Consumes the setup token: true when it matched, had not expired, and set-up was pending.
pub async fn complete_platform_setup(
    c: &mut AnyConnection,
    token_hash: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE platform_setup SET completed_at = $1, setup_token_hash = NULL \
         WHERE id = 1 AND completed_at IS NULL AND setup_token_hash = $2 \
         AND (expires_at IS NULL OR expires_at > $3)",
    )
    .bind(at)
    .bind(token_hash)
    .bind(at)
    .execute(c)
    .await?
    .rows_affected();
    Ok(done == 1)
}
