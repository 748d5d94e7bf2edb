//! Conventions every table module follows: times are stored as Unix seconds (`BIGINT`) and
//! shown as RFC 3339; a unique-constraint violation is recognised the same way on SQLite and
//! PostgreSQL; a use case that writes runs in one transaction from [`Db::write`].

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};
use time::OffsetDateTime;

/// Seconds since the Unix epoch, as stored.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A stored time as RFC 3339 (`2026-11-23T10:00:00Z`), the one format of the API.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// Whether `e` violates a unique constraint that covers `column` (PostgreSQL names the
/// constraint, SQLite lists the columns in its message).
pub fn unique_violation_on(e: &sqlx::Error, column: &str) -> bool {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            d.constraint().unwrap_or_default().contains(column) || d.message().contains(column)
        }
        _ => false,
    }
}

/// The database, and how to open a transaction on it.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    sqlite: bool,
}

impl Db {
    /// Wraps a migrated pool.
    pub fn new(pool: AnyPool) -> Self {
        let sqlite = pool.connect_options().database_url.scheme() == "sqlite";
        Self { pool, sqlite }
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<Any>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// A transaction for a use case that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that read first and wrote later could otherwise fail
    /// when another writer committed in between.
    pub async fn write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        if self.sqlite {
            self.pool.begin_with("BEGIN IMMEDIATE").await
        } else {
            self.pool.begin().await
        }
    }
}

/// Pool options that suit the backend (SQLite: one writer at a time, so fewer connections,
/// foreign keys on and a busy timeout).
pub fn pool_options(sqlite: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(if sqlite { 8 } else { 16 })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
}
