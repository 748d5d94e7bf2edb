//! Table `platform_setup`: the one-time setup token printed on first run (one row, id 1).

use sqlx::{AnyConnection, AnyPool, Row};

/// Records the setup token hash, unless setup already started; true when recorded.
pub async fn insert_platform_setup(
    c: &mut AnyConnection,
    token_hash: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let exists = sqlx::query("SELECT id FROM platform_setup WHERE id = 1")
        .fetch_optional(&mut *c)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    sqlx::query("INSERT INTO platform_setup (id, setup_token_hash, created_at) VALUES (1, $1, $2)")
        .bind(token_hash)
        .bind(at)
        .execute(c)
        .await?;
    Ok(true)
}

/// Consumes the setup token: true when it matched and setup was not yet completed.
pub async fn complete_platform_setup(
    c: &mut AnyConnection,
    token_hash: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE platform_setup SET completed_at = $1, setup_token_hash = NULL \
         WHERE id = 1 AND completed_at IS NULL AND setup_token_hash = $2",
    )
    .bind(at)
    .bind(token_hash)
    .execute(c)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Whether setup has been completed.
pub async fn is_platform_set_up(p: &AnyPool) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT completed_at FROM platform_setup WHERE id = 1")
        .fetch_optional(p)
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<Option<i64>, _>("completed_at")?.is_some(),
        None => false,
    })
}
