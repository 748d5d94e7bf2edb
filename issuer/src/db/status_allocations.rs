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

/// Claims indexes of one or more lists for credentials (`(list id, idx, credential key)`,
/// distinct) in one statement; the `(list id, idx)` claimed (those already taken are not).
pub async fn insert_status_allocations(
    c: &mut AnyConnection,
    claims: &[(&str, i64, &str)],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if claims.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO status_allocations (list_id, idx, credential_id) VALUES {} ON CONFLICT (list_id, idx) DO NOTHING RETURNING list_id, idx",
        super::values_list(claims.len(), 3)
    );
    let mut q = sqlx::query_as(&sql).persistent(false);
    for (list, idx, key) in claims {
        q = q.bind(*list).bind(*idx).bind(*key);
    }
    q.fetch_all(c).await
}

/// Every index taken in a list.
pub async fn list_allocated_indexes(
    c: &mut AnyConnection,
    list_id: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT idx FROM status_allocations WHERE list_id = $1")
        .bind(list_id)
        .fetch_all(c)
        .await
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
