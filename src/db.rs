//! The one database: connecting (SQLite file or PostgreSQL) and the one ordered set of
//! migrations (`migrations/`), shared by every service.

use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::AnyPool;

/// The migrations, in order.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects and migrates. SQLite files are created on first use, with write-ahead logging and
/// foreign keys on.
pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let opts = AnyConnectOptions::from_str(url)?;
    let pool = microcred_issuer::db::pool_options(sqlite)
        .connect_with(opts)
        .await?;
    if sqlite {
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&pool)
            .await?;
    }
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
