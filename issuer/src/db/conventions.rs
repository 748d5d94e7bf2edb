//! Conventions every table module follows: times are stored as Unix seconds (`BIGINT`) and
//! shown as RFC 3339; a unique-constraint violation is recognised the same way on SQLite and
//! PostgreSQL; a use case that writes runs in one transaction from [`Db::write`].

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};
use time::OffsetDateTime;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Seconds since the Unix epoch, as stored.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Unix milliseconds as RFC 3339 with milliseconds in UTC (`2026-11-23T10:00:00.123Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| ms.to_string())
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

/// Rows written by one multi-row `INSERT` at most (its parameters stay far below SQLite's and
/// PostgreSQL's limits). Such statements are run with `persistent(false)`: each number of rows
/// is a statement of its own, which sqlx would otherwise keep per connection with its last
/// bound values.
pub const ROWS_PER_INSERT: usize = 200;

/// The `VALUES` list of a multi-row `INSERT` of `rows` rows of `columns` parameters each:
/// `($1, $2), ($3, $4)` for 2 x 2.
pub fn values_list(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * columns + c + 1).to_string());
        }
        out.push(')');
    }
    out
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
    /// SQLite has one writer; its busy handler polls, so a writer that commits and begins again
    /// at once (a bulk job's batches) can starve one that waits (a revocation) past the busy
    /// timeout. This process's writers queue here instead, first come first served.
    writers: Arc<Mutex<()>>,
}

/// A transaction for a use case that writes: derefs to the connection; ends with
/// [`WriteTx::commit`] or [`WriteTx::rollback`] (dropped, it rolls back).
#[derive(Debug)]
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Commits, then lets the next writer in.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls back, then lets the next writer in.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for WriteTx {
    type Target = Transaction<'static, Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Db {
    /// Wraps a migrated pool.
    pub fn new(pool: AnyPool) -> Self {
        let sqlite = pool.connect_options().database_url.scheme() == "sqlite";
        Self {
            pool,
            sqlite,
            writers: Arc::new(Mutex::new(())),
        }
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
    /// This process's writers take their turn in order first (see [`Db`]).
    pub async fn write(&self) -> Result<WriteTx, sqlx::Error> {
        if self.sqlite {
            let turn = self.writers.clone().lock_owned().await;
            Ok(WriteTx {
                tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
                _turn: Some(turn),
            })
        } else {
            Ok(WriteTx {
                tx: self.pool.begin().await?,
                _turn: None,
            })
        }
    }
}

/// Pool options that suit the backend (SQLite: one writer at a time, so fewer connections,
/// foreign keys on, a busy timeout, no test before each use).
pub fn pool_options(sqlite: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(if sqlite { 8 } else { 16 })
        // A connection to a SQLite file cannot have been dropped by a server: no ping (a round
        // trip to its worker thread) before each use. PostgreSQL's are tested.
        .test_before_acquire(!sqlite)
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
