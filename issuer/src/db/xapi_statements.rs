//! Table `xapi_statements`: every statement an institution's LRS accepted, as stored (with
//! `id`, `stored`, `authority`, `version`), its fingerprint for "the same statement", the
//! statement that voided it, and what it was turned into.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct XapiStatementRow {
    pub institution_id: String,
    pub id: String,
    pub client_id: String,
    pub verb: String,
    pub actor: String,
    pub activity: Option<String>,
    pub fingerprint: String,
    pub statement: String,
    pub voided_by: Option<String>,
    pub routed: String,
    pub stored_at_ms: i64,
}

const COLUMNS: &str = "institution_id, id, client_id, verb, actor, activity, fingerprint, statement, voided_by, routed, stored_at_ms";

/// Inserts statements (one multi-row statement per 64 rows).
pub async fn insert_xapi_statements(
    c: &mut AnyConnection,
    rows: &[XapiStatementRow],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(64) {
        let sql = format!(
            "INSERT INTO xapi_statements ({COLUMNS}) VALUES {}",
            super::values_list(chunk.len(), 11)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for r in chunk {
            q = q
                .bind(&r.institution_id)
                .bind(&r.id)
                .bind(&r.client_id)
                .bind(&r.verb)
                .bind(&r.actor)
                .bind(&r.activity)
                .bind(&r.fingerprint)
                .bind(&r.statement)
                .bind(&r.voided_by)
                .bind(&r.routed)
                .bind(r.stored_at_ms);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// The (id, fingerprint) of those of `ids` already stored.
pub async fn list_xapi_fingerprints(
    c: &mut AnyConnection,
    institution_id: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut found = Vec::new();
    for chunk in ids.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, fingerprint FROM xapi_statements WHERE institution_id = $1 AND id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql)
            .persistent(false)
            .bind(institution_id);
        for id in chunk {
            q = q.bind(id);
        }
        found.extend(q.fetch_all(&mut *c).await?);
    }
    Ok(found)
}

/// One statement.
pub async fn find_xapi_statement(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<XapiStatementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM xapi_statements WHERE institution_id = $1 AND id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// Marks a statement voided by `by`, unless it is itself a voiding statement or already
/// voided; whether it was marked.
pub async fn void_xapi_statement(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE xapi_statements SET voided_by = $1 WHERE institution_id = $2 AND id = $3 AND voided_by IS NULL AND verb <> 'http://adlnet.gov/expapi/verbs/voided'",
    )
    .bind(by)
    .bind(institution_id)
    .bind(id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// What a query of the statement resource filters on (xAPI Communication §2.1.3).
#[derive(Debug, Clone, Default)]
pub struct StatementQuery {
    /// The actor's identifier key.
    pub actor: Option<String>,
    /// `verb.id`.
    pub verb: Option<String>,
    /// `object.id`.
    pub activity: Option<String>,
    /// Stored after (milliseconds).
    pub since_ms: Option<i64>,
    /// Stored at or before (milliseconds).
    pub until_ms: Option<i64>,
    /// Continue after this (stored_at_ms, id), in the query's order.
    pub after: Option<(i64, String)>,
    /// Oldest first.
    pub ascending: bool,
    /// At most this many (plus one, to know whether there is more).
    pub limit: i64,
}

/// Statements (not voided) matching a query, in stored order.
pub async fn query_xapi_statements(
    c: &mut AnyConnection,
    institution_id: &str,
    q: &StatementQuery,
) -> Result<Vec<XapiStatementRow>, sqlx::Error> {
    let mut sql = format!(
        "SELECT {COLUMNS} FROM xapi_statements WHERE institution_id = $1 AND voided_by IS NULL"
    );
    let mut n = 1;
    let mut mark = || {
        n += 1;
        format!("${n}")
    };
    if q.actor.is_some() {
        sql += &format!(" AND actor = {}", mark());
    }
    if q.verb.is_some() {
        sql += &format!(" AND verb = {}", mark());
    }
    if q.activity.is_some() {
        sql += &format!(" AND activity = {}", mark());
    }
    if q.since_ms.is_some() {
        sql += &format!(" AND stored_at_ms > {}", mark());
    }
    if q.until_ms.is_some() {
        sql += &format!(" AND stored_at_ms <= {}", mark());
    }
    let (cmp, order) = if q.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    if q.after.is_some() {
        let (a, b, d) = (mark(), mark(), mark());
        sql += &format!(" AND (stored_at_ms {cmp} {a} OR (stored_at_ms = {b} AND id {cmp} {d}))");
    }
    sql += &format!(
        " ORDER BY stored_at_ms {order}, id {order} LIMIT {}",
        q.limit + 1
    );
    let mut query = sqlx::query_as::<_, XapiStatementRow>(&sql)
        .persistent(false)
        .bind(institution_id);
    for v in [&q.actor, &q.verb, &q.activity].into_iter().flatten() {
        query = query.bind(v);
    }
    for v in [q.since_ms, q.until_ms].into_iter().flatten() {
        query = query.bind(v);
    }
    if let Some((ms, id)) = &q.after {
        query = query.bind(*ms).bind(*ms).bind(id);
    }
    query.fetch_all(c).await
}

/// Replaces what a statement became (after a re-evaluation).
pub async fn set_xapi_statement_routed(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
    routed: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE xapi_statements SET routed = $1 WHERE institution_id = $2 AND id = $3")
        .bind(routed)
        .bind(institution_id)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}
