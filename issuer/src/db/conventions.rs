//! Conventions every table module follows: times are stored as Unix seconds (`BIGINT`), and a
//! unique-constraint violation is recognised the same way on SQLite and PostgreSQL.

/// Seconds since the Unix epoch, as stored.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Whether the error is a unique-constraint violation (both backends).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
