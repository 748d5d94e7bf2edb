//! The issuer service: institutions (tenants) with their did:web identities and encrypted
//! Ed25519 keys, micro-credential definitions (versioned), and issuing - one credential,
//! idempotent; bulk from CSV; W3C VC-API `POST /credentials/issue`.
//!
//! Auth: the first run prints a one-time setup token, exchanged for the platform
//! administrator's API token; the administrator creates institutions and institution-scoped
//! API tokens. Tokens are random, shown once, stored as SHA-256 hashes.

pub mod bulk;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod lifecycle;
pub mod secrets;
pub mod service;

pub use error::{ApiError, IssuerError};
pub use secrets::MasterKey;
pub use service::{Issued, Issuer, IssuerConfig, Principal, StoredCredential};

/// The demo achievement created by `microcred` on an empty database.
pub const DEMO_ACHIEVEMENT: &str = include_str!("../../examples/achievement-data-protection.json");

/// State shared by the issuer's handlers.
#[derive(Debug, Clone)]
pub struct IssuerState {
    /// The issuer.
    pub issuer: Issuer,
}

/// The issuer's router, ready to merge.
pub fn router(issuer: Issuer) -> axum::Router {
    http::router().with_state(IssuerState { issuer })
}
