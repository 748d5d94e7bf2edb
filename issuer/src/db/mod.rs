//! SQL, one module per table, functions named `verb_noun`. Queries are portable between
//! SQLite and PostgreSQL (sqlx `Any` driver, `$n` placeholders in increasing order) and return
//! row types, never domain types.

pub mod achievements;
pub mod api_tokens;
pub mod credential_events;
pub mod credentials;
pub mod institutions;
pub mod notifications;
pub mod platform_setup;
pub mod signing_keys;
pub mod status_allocations;
pub mod status_lists;

/// Seconds since the Unix epoch, as stored.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Whether the error is a unique-constraint violation (both backends).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
