//! Table `status_allocations`: which index of which list belongs to which credential. The
//! primary key (list, index) is what makes an index impossible to hand out twice, whatever
//! the number of service instances.

use sqlx::{AnyPool, Row};

/// Claims `idx` of `list_id` for a credential; false when it was already taken.
pub async fn insert_status_allocation(
    p: &AnyPool,
    list_id: &str,
    idx: i64,
    credential_id: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO status_allocations (list_id, idx, credential_id) VALUES ($1, $2, $3) ON CONFLICT (list_id, idx) DO NOTHING",
    )
    .bind(list_id)
    .bind(idx)
    .bind(credential_id)
    .execute(p)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The (list id, index) pairs of a credential.
pub async fn list_status_allocations(
    p: &AnyPool,
    credential_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query("SELECT list_id, idx FROM status_allocations WHERE credential_id = $1")
        .bind(credential_id)
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("list_id")?, r.try_get("idx")?)))
        .collect()
}

/// Every allocation (list id, index) of an institution (tests and audits).
pub async fn list_institution_allocations(
    p: &AnyPool,
    institution_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT a.list_id, a.idx FROM status_allocations a JOIN status_lists l ON l.id = a.list_id WHERE l.institution_id = $1",
    )
    .bind(institution_id)
    .fetch_all(p)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("list_id")?, r.try_get("idx")?)))
    .collect()
}
