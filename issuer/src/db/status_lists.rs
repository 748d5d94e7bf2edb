//! Table `status_lists`: each institution's Bitstring Status Lists, per purpose, numbered; the
//! bits (base64 of the raw bitstring), the signed list credential, and a version (bumped on
//! every change, the `ETag`).

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct StatusListRow {
    pub id: String,
    pub institution_id: String,
    pub purpose: String,
    pub list_number: i64,
    pub size: i64,
    pub allocated: i64,
    pub bits: String,
    pub version: i64,
    pub document: String,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, institution_id, purpose, list_number, size, allocated, bits, version, document, updated_at";

/// Inserts a list unless one with the same number exists; true when inserted.
pub async fn insert_status_list(
    c: &mut AnyConnection,
    r: &StatusListRow,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(&format!(
        "INSERT INTO status_lists ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (institution_id, purpose, list_number) DO NOTHING"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.purpose)
    .bind(r.list_number)
    .bind(r.size)
    .bind(r.allocated)
    .bind(&r.bits)
    .bind(r.version)
    .bind(&r.document)
    .bind(r.updated_at)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// What allocation needs of a list: not its bits or its document (about 40 KB).
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct StatusListHead {
    pub id: String,
    pub list_number: i64,
    pub size: i64,
    pub allocated: i64,
}

/// The head of the newest list of an institution for a purpose.
pub async fn find_latest_status_list_head(
    c: &mut AnyConnection,
    institution_id: &str,
    purpose: &str,
) -> Result<Option<StatusListHead>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, list_number, size, allocated FROM status_lists WHERE institution_id = $1 AND purpose = $2 ORDER BY list_number DESC LIMIT 1",
    )
    .bind(institution_id)
    .bind(purpose)
    .fetch_optional(c)
    .await
}

/// A published list's signed document, id and version, by its institution's slug, purpose and
/// number (what its public URL names), in one statement.
pub async fn find_status_list_document(
    c: &mut AnyConnection,
    slug: &str,
    purpose: &str,
    number: i64,
) -> Result<Option<(String, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.id, l.version, l.document FROM status_lists l \
         JOIN institutions i ON i.id = l.institution_id \
         WHERE i.slug = $1 AND l.purpose = $2 AND l.list_number = $3",
    )
    .bind(slug)
    .bind(purpose)
    .bind(number)
    .fetch_optional(c)
    .await
}

/// Every list, in a stable order.
pub async fn list_status_lists(c: &mut AnyConnection) -> Result<Vec<StatusListRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM status_lists ORDER BY institution_id, purpose, list_number"
    ))
    .fetch_all(c)
    .await
}

/// The indexes of a list whose credentials are in one of `states`.
pub async fn list_indexes_in_states(
    c: &mut AnyConnection,
    list_id: &str,
    states: &[&str],
) -> Result<Vec<i64>, sqlx::Error> {
    let mut out = Vec::new();
    for state in states {
        let mut idx: Vec<i64> = sqlx::query_scalar(
            "SELECT a.idx FROM status_allocations a JOIN credentials c ON c.id = a.credential_id \
             WHERE a.list_id = $1 AND c.state = $2",
        )
        .bind(list_id)
        .bind(*state)
        .fetch_all(&mut *c)
        .await?;
        out.append(&mut idx);
    }
    Ok(out)
}

/// A list by id.
pub async fn find_status_list_by_id(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<StatusListRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM status_lists WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await
}

/// Counts `n` more allocations in each list of `(id, n)`, in one statement.
pub async fn add_allocated(
    c: &mut AnyConnection,
    counts: &[(&str, i64)],
) -> Result<(), sqlx::Error> {
    if counts.is_empty() {
        return Ok(());
    }
    let cases: String = (0..counts.len())
        .map(|i| format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2))
        .collect();
    let ids = (0..counts.len())
        .map(|i| format!("${}", 2 * i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE status_lists SET allocated = allocated + CASE id{cases} ELSE 0 END WHERE id IN ({ids})"
    );
    let mut q = sqlx::query(&sql).persistent(false);
    for (id, n) in counts {
        q = q.bind(*id).bind(*n);
    }
    q.execute(c).await?;
    Ok(())
}

/// Marks a list full (no more allocations from it).
pub async fn fill_status_list(c: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE status_lists SET allocated = size WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Replaces bits and document if the list is still at `version`; true when updated.
pub async fn update_status_list(
    c: &mut AnyConnection,
    id: &str,
    version: i64,
    bits: &str,
    document: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE status_lists SET bits = $1, document = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
    )
    .bind(bits)
    .bind(document)
    .bind(at)
    .bind(id)
    .bind(version)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}
