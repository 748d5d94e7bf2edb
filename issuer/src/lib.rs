//! The issuer service, in rooms by use case:
//!
//! - [`institutions`]: awarding bodies with their did:web identities and encrypted Ed25519
//!   keys ([`institutions::keys`]: rotation, DID documents).
//! - [`achievements`]: micro-credential definitions (every EU Annex I element), versioned.
//! - [`issuance`]: the one signing pipeline (check, allocate status, sign, store, in one
//!   transaction) and its entry points: one credential (idempotent), bulk CSV, W3C VC-API.
//! - [`lifecycle`]: the credential's state machine; revoke, suspend, unsuspend, renew,
//!   correct; history.
//! - [`status_lists`]: W3C Bitstring Status Lists: allocation, publication, re-signing.
//! - [`auth`]: set-up, API tokens, the principal, and the one place access is decided.
//! - [`triggers`]: Moodle connections, events and polls, earning-rule evaluations, issuing
//!   by themselves, exactly once.
//! - [`xapi`]: each institution's Learning Record Store (xAPI 1.0.3 / 2.0): statements from
//!   Moodle's logstore_xapi or any other source, stored, and completions turned into events.
//! - [`completions`]: completions from other sources (xAPI from any LRS client, completions
//!   files): the institution's learners, activity mappings, learning records evaluated
//!   against the same earning rules, issued exactly once; re-evaluation.
//! - [`quizzes`]: question banks imported from GIFT and Aiken, quizzes of achievements,
//!   attempts graded automatically (essays by an instructor); a finished attempt is a
//!   learning record, so a pass issues.
//! - [`exports`]: the credential as learners take it elsewhere (baked Open Badges images).
//! - [`notifications`]: the outbox of messages to learners and the SMTP mailer.
//! - [`published`]: what other services read (credentials by code, our DIDs, status lists,
//!   registered issuers).
//! - [`http`]: only adapts HTTP to the use cases; [`db`]: only speaks SQL.

pub mod achievements;
pub mod auth;
mod backoff;
pub mod completions;
pub mod db;
pub mod domain;
pub mod error;
pub mod exports;
pub mod holder;
pub mod http;
pub mod institutions;
pub mod issuance;
pub mod jobs;
pub mod lifecycle;
pub mod notifications;
pub mod published;
pub mod quizzes;
pub mod secrets;
pub mod signing;
pub mod status_lists;
pub mod triggers;
pub mod xapi;

use microcred_core::urls::PublicUrls;

pub use error::{ApiError, IssuerError};
pub use secrets::MasterKey;

/// The demo achievement created by `microcred` on an empty database.
pub const DEMO_ACHIEVEMENT: &str = include_str!("../../examples/achievement-data-protection.json");

/// Settings the issuer needs.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// Public base URL of this deployment (DIDs, achievement ids and verification URLs derive
    /// from it), e.g. `https://credentials.example.md`.
    pub public_url: String,
}

/// What every use case needs: the database, the master key that opens the signing keys, and
/// the public URL shapes of this deployment.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub(crate) db: db::Db,
    pub(crate) master: MasterKey,
    pub(crate) urls: PublicUrls,
    pub(crate) triggers: triggers::TriggerConfig,
    pub(crate) tsa: Option<exports::timestamps::TimestampAuthority>,
    pub(crate) insecure_outbound: bool,
    /// How long a worker holds a bulk job before another may resume it (seconds).
    pub(crate) bulk_lease_seconds: i64,
    /// The queue to the group committer of single issues.
    pub(crate) group: issuance::group::GroupCommit,
    /// Status list indexes picked ahead, for issues signed before their transaction.
    pub(crate) picks: status_lists::picks::Picks,
}

impl Issuer {
    /// An issuer on `pool` (migrated), with signing keys encrypted under `master`.
    pub fn new(pool: sqlx::AnyPool, master: MasterKey, config: IssuerConfig) -> Self {
        Self {
            db: db::Db::new(pool),
            master,
            urls: PublicUrls::new(&config.public_url),
            triggers: triggers::TriggerConfig::default(),
            tsa: None,
            insecure_outbound: false,
            bulk_lease_seconds: 30,
            group: issuance::group::GroupCommit::default(),
            picks: status_lists::picks::Picks::default(),
        }
    }

    /// The same issuer holding bulk jobs for `seconds` per batch: a job whose worker stopped
    /// is resumed by another that long after its last batch (at least 1).
    pub fn with_bulk_lease_seconds(mut self, seconds: u64) -> Self {
        self.bulk_lease_seconds = i64::try_from(seconds.max(1)).unwrap_or(i64::MAX);
        self
    }

    /// The same issuer reaching Moodle sites and webhooks over plain http and at private
    /// addresses too (development and tests only; see `microcred_core::outbound`).
    pub fn with_insecure_outbound(mut self, insecure: bool) -> Self {
        self.insecure_outbound = insecure;
        self
    }

    /// Checks a URL an institution gives us (Moodle site, webhook) against the outbound
    /// policy; the reason when it is refused.
    pub(crate) fn outbound_refuses(&self, url: &str) -> Option<String> {
        let parsed = match reqwest::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return Some(format!("`{url}` is not a URL: {e}")),
        };
        microcred_core::outbound::check(&parsed, self.insecure_outbound)
            .err()
            .map(|e| match e {
                microcred_core::outbound::OutboundError::NotHttps(_) => {
                    format!("`{url}` must be an https URL")
                }
                microcred_core::outbound::OutboundError::NotPublic(_) => {
                    format!("`{url}` is not on the public internet (loopback and private addresses are refused)")
                }
            })
    }

    /// The same issuer with a timestamp authority (RFC 3161) at `url`: sealed Europass
    /// credentials become JAdES baseline T.
    pub fn with_timestamp_authority(mut self, url: &str) -> Result<Self, String> {
        self.tsa = Some(exports::timestamps::TimestampAuthority::new(url)?);
        Ok(self)
    }

    /// The same issuer with other trigger settings.
    pub fn with_triggers(mut self, t: triggers::TriggerConfig) -> Self {
        self.triggers = t;
        self
    }

    /// The public URLs of this deployment.
    pub fn urls(&self) -> &PublicUrls {
        &self.urls
    }
}

/// The issuer's router, ready to merge.
pub fn router(issuer: Issuer) -> axum::Router {
    http::router().with_state(issuer)
}
