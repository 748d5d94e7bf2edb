//! Triggers: credentials issued by themselves when a learner earns them in Moodle.
//!
//! - [`connections`]: an institution's Moodle sites (token checked with
//!   `core_webservice_get_site_info`, stored encrypted) and the courses mapped to achievements.
//! - [`events`]: the endpoint Moodle's event-forwarding plugins post to (HMAC-SHA256 of
//!   timestamp and body, or a per-connection secret); an event is written to the inbox before
//!   it is acknowledged (202).
//! - [`poll`]: for sites where nothing can be installed, a scheduled read of enrolled users'
//!   completion and grades through the web services; what changed goes to the same inbox.
//! - [`worker`]: claims inbox items with a lease, confirms completion and grades through the
//!   web services, evaluates the achievement's earning rules, records the evaluation and issues
//!   through the one signing pipeline. Exactly once: the credential's idempotency key is
//!   derived from (connection, achievement, Moodle user), unique in the database, so retries,
//!   duplicate events, crashes and concurrent instances never issue twice; an item is done only
//!   after its outcome is stored, so nothing is skipped.
//! - [`views`]: evaluations per learner and achievement, the inbox, retries by hand.
//! - [`moodle`]: the web-service client; [`record`]: what it says of one learner.

pub mod connections;
pub mod events;
pub mod moodle;
pub mod poll;
pub mod record;
pub mod views;
pub mod worker;

use std::time::Duration;

use crate::db::moodle_connections::MoodleConnectionRow;
use crate::error::IssuerError;
use crate::Issuer;

/// How the trigger machinery behaves (defaults suit production).
#[derive(Debug, Clone)]
pub struct TriggerConfig {
    /// How long a worker holds an inbox item before another may take it over (a crashed
    /// worker's items are picked up after this).
    pub lease: Duration,
    /// Timeout of each Moodle web-service call.
    pub moodle_timeout: Duration,
    /// Attempts before an item is marked failed (it can still be retried by hand).
    pub max_attempts: i64,
    /// First retry delay (doubles up to an hour).
    pub retry_base: Duration,
}

impl Default for TriggerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(120),
            moodle_timeout: Duration::from_secs(20),
            max_attempts: 10,
            retry_base: Duration::from_secs(30),
        }
    }
}

/// The client of a stored connection (its token decrypted).
pub(crate) fn client_of(
    app: &Issuer,
    conn: &MoodleConnectionRow,
) -> Result<moodle::MoodleClient, IssuerError> {
    let token = app
        .master
        .decrypt(&conn.token_encrypted)
        .map_err(|e| IssuerError::stored(format!("Moodle connection {} (token)", conn.id), e))?;
    let token = String::from_utf8(token)
        .map_err(|e| IssuerError::stored(format!("Moodle connection {} (token)", conn.id), e))?;
    Ok(moodle::MoodleClient::new(
        &conn.site_url,
        &token,
        app.triggers.moodle_timeout,
        app.insecure_outbound,
    ))
}

/// The event secret of a stored connection.
pub(crate) fn hook_secret_of(
    app: &Issuer,
    conn: &MoodleConnectionRow,
) -> Result<String, IssuerError> {
    let s = app
        .master
        .decrypt(&conn.hook_secret_encrypted)
        .map_err(|e| {
            IssuerError::stored(format!("Moodle connection {} (event secret)", conn.id), e)
        })?;
    String::from_utf8(s).map_err(|e| {
        IssuerError::stored(format!("Moodle connection {} (event secret)", conn.id), e)
    })
}
