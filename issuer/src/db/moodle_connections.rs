//! Table `moodle_connections`: an institution's Moodle sites, with the web-service token and
//! the event secret encrypted under the master key, and the poll schedule.

use sqlx::AnyConnection;

/// One row.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct MoodleConnectionRow {
    pub id: String,
    pub institution_id: String,
    pub site_url: String,
    pub site_name: String,
    pub moodle_release: Option<String>,
    pub token_encrypted: String,
    pub hook_secret_encrypted: String,
    pub poll_minutes: Option<i64>,
    pub next_poll_at: Option<i64>,
    pub last_poll_at: Option<i64>,
    pub last_poll_error: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, institution_id, site_url, site_name, moodle_release, token_encrypted, hook_secret_encrypted, poll_minutes, next_poll_at, last_poll_at, last_poll_error, created_at";

/// Inserts a connection (a unique violation names `site_url`).
pub async fn insert_moodle_connection(
    c: &mut AnyConnection,
    r: &MoodleConnectionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO moodle_connections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.site_url)
    .bind(&r.site_name)
    .bind(&r.moodle_release)
    .bind(&r.token_encrypted)
    .bind(&r.hook_secret_encrypted)
    .bind(r.poll_minutes)
    .bind(r.next_poll_at)
    .bind(r.last_poll_at)
    .bind(&r.last_poll_error)
    .bind(r.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// One connection by id.
pub async fn find_moodle_connection(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<MoodleConnectionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM moodle_connections WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

/// An institution's connections, oldest first.
pub async fn list_moodle_connections(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<MoodleConnectionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM moodle_connections WHERE institution_id = $1 ORDER BY created_at, id"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}

/// Connections whose poll is due at `now`.
pub async fn list_due_moodle_connections(
    c: &mut AnyConnection,
    now: i64,
) -> Result<Vec<MoodleConnectionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM moodle_connections WHERE poll_minutes IS NOT NULL AND (next_poll_at IS NULL OR next_poll_at <= $1) ORDER BY id"
    ))
    .bind(now)
    .fetch_all(c)
    .await
}

/// Moves the next poll from `seen` to `next`, only if nobody else did: the instance whose
/// update succeeds runs the poll.
pub async fn claim_moodle_poll(
    c: &mut AnyConnection,
    id: &str,
    seen: Option<i64>,
    next: i64,
) -> Result<bool, sqlx::Error> {
    let r = match seen {
        Some(s) => sqlx::query(
            "UPDATE moodle_connections SET next_poll_at = $1 WHERE id = $2 AND next_poll_at = $3",
        )
        .bind(next)
        .bind(id)
        .bind(s),
        None => sqlx::query(
            "UPDATE moodle_connections SET next_poll_at = $1 WHERE id = $2 AND next_poll_at IS NULL",
        )
        .bind(next)
        .bind(id),
    }
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records how a poll ended.
pub async fn update_moodle_poll_result(
    c: &mut AnyConnection,
    id: &str,
    at: i64,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE moodle_connections SET last_poll_at = $1, last_poll_error = $2 WHERE id = $3",
    )
    .bind(at)
    .bind(error)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}
