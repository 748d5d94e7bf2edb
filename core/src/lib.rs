//! The heart of microcred: the EU micro-credential model, signing and verification.
//!
//! - [`model`]: the EU Council Recommendation 2022/C 243/02 Annex I elements as types that
//!   cannot hold invalid values, and the credential as an Open Badges 3.0.3
//!   `OpenBadgeCredential` (W3C VC Data Model 2.0) with our extension context.
//! - [`proof`]: Data Integrity proofs with `eddsa-rdfc-2022` and `eddsa-jcs-2022` (W3C Data
//!   Integrity EdDSA Cryptosuites v1.0).
//! - [`did`], [`keys`]: `did:web` / `did:key`, Ed25519 Multikeys.
//! - [`verify`]: the verification report (named checks, each passed, failed or skipped).
//! - [`schema`]: JSON Schema validation against the bundled schemas.
//! - [`urls`]: the public URL shapes (verification pages, DID documents, status lists),
//!   defined once for the issuer and the verifier.
//!
//! No HTTP, no database: the services build on this crate.

pub mod api;
pub mod contexts;
pub mod data_model;
pub mod did;
pub mod elm;
pub mod eseal;
pub mod jades;
pub mod keys;
pub mod model;
pub mod outbound;
pub mod proof;
pub mod qr;
pub mod schema;
pub mod status;
pub mod tsp;
pub mod urls;
pub mod verify;
