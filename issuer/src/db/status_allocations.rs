//! Table `status_allocations`: which index of which list belongs to which stored credential
//! (its internal key). The primary key (list, index) is what makes an index impossible to
//! hand out twice, whatever the number of service instances; rows are written in the issuing
//! transaction, so a refused issue leaves none.

use sqlx::AnyConnection;

/// One allocation, with its list's purpose and number.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct AllocationRow {
    pub list_id: String,
    pub idx: i64,
    pub purpose: String,
    pub list_number: i64,
}

/// Claims `idx` of `list_id` for a credential; false when it was already taken.
pub async fn insert_status_allocation(
    c: &mut AnyConnection,
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
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// A credential's allocations.
pub async fn list_status_allocations(
    c: &mut AnyConnection,
    credential_id: &str,
) -> Result<Vec<AllocationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.list_id, a.idx, l.purpose, l.list_number FROM status_allocations a \
         JOIN status_lists l ON l.id = a.list_id WHERE a.credential_id = $1",
    )
    .bind(credential_id)
    .fetch_all(c)
    .await
}
