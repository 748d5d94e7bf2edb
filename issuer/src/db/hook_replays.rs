//! Table `hook_replays`: signatures of signed event deliveries seen in the freshness window,
//! so a replayed request is refused.

use sqlx::AnyConnection;

/// Records a signature; `false` if it was already seen (a replay).
pub async fn insert_hook_signature(
    c: &mut AnyConnection,
    connection_id: &str,
    signature: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("INSERT INTO hook_replays (connection_id, signature, seen_at) VALUES ($1, $2, $3) ON CONFLICT (connection_id, signature) DO NOTHING")
        .bind(connection_id)
        .bind(signature)
        .bind(at)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Forgets signatures older than `before` (they would be refused as stale anyway).
pub async fn delete_old_hook_signatures(
    c: &mut AnyConnection,
    before: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM hook_replays WHERE seen_at < $1")
        .bind(before)
        .execute(c)
        .await?;
    Ok(())
}
