//! The verifier service: anyone checks a credential.
//!
//! - Public pages: `/v/{code}` (the page a QR code on a certificate opens: verdict first, then
//!   issuer, learner and every EU element, in English or Romanian, no JavaScript),
//!   `/v/{code}/qr.svg|png`, `/v/{code}/credential.json`, and `/verify` (paste or upload any
//!   credential).
//! - W3C VC-API: `POST /credentials/verify`, `POST /presentations/verify`.
//!
//! The verifier does not import the issuer: it looks issued credentials up through
//! [`CredentialLookup`] and our own DIDs through [`resolver::LocalDids`]; the binary wires
//! both.

pub mod error;
pub mod http;
pub mod i18n;
pub mod pages;
pub mod pool;
/// QR codes of verification URLs (in core, shared with the issuer's e-mails and exports).
pub use microcred_core::qr;
pub mod resolver;
pub mod status;
pub mod vc_api;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use error::ApiError;
pub use resolver::{LocalDids, NoLocalDids, Resolver};
pub use status::{LocalStatusLists, NoLocalStatusLists, StatusLists};

/// A boxed future of a lookup.
pub type LookupFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<IssuedRecord>, String>> + Send + 'a>>;

/// A boxed future of a registered-issuer lookup.
pub type IssuerFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<RegisteredIssuer>, String>> + Send + 'a>>;

/// The state the issuer records for one of its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordState {
    /// In force.
    Active,
    /// Suspended.
    Suspended,
    /// Revoked.
    Revoked,
    /// Replaced by a renewal or correction.
    Superseded,
}

/// An institution registered with this deployment: what pages show as the issuer, never the
/// text a credential claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredIssuer {
    /// Registered legal name.
    pub legal_name: String,
    /// Registration number.
    pub registration_number: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Street, postal code and locality, as one line.
    pub address: Option<String>,
}

/// An issued credential as the public page may show it.
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    /// The signed credential.
    pub document: serde_json::Value,
    /// Its state as the issuer records it.
    pub state: RecordState,
    /// When its state last changed (revoked / suspended / reinstated), Unix seconds.
    pub state_changed_at: Option<i64>,
    /// The code of the credential that superseded it.
    pub replaced_by: Option<String>,
    /// Its issuer's registered details.
    pub issuer: RegisteredIssuer,
}

/// Finds issued credentials (the signed JSON) by public code, and the institutions
/// registered here by DID.
pub trait CredentialLookup: Send + Sync {
    /// The credential with `code`, if any.
    fn find_by_code<'a>(&'a self, code: &'a str) -> LookupFuture<'a>;
    /// The registered details of the institution with this DID, if it is one of ours.
    fn registered_issuer<'a>(&'a self, did: &'a microcred_core::model::Did) -> IssuerFuture<'a>;
}

/// No stored credentials (a verifier running alone: `/verify` and VC-API still work).
#[derive(Debug, Default)]
pub struct NoCredentials;

impl CredentialLookup for NoCredentials {
    fn find_by_code<'a>(&'a self, _code: &'a str) -> LookupFuture<'a> {
        Box::pin(async { Ok(None) })
    }

    fn registered_issuer<'a>(&'a self, _did: &'a microcred_core::model::Did) -> IssuerFuture<'a> {
        Box::pin(async { Ok(None) })
    }
}

/// The verifier.
#[derive(Clone)]
pub struct Verifier {
    /// DID resolution.
    pub resolver: Arc<Resolver>,
    /// Status lists.
    pub status: Arc<StatusLists>,
    /// Issued credentials by code.
    pub credentials: Arc<dyn CredentialLookup>,
    /// The public URL shapes of this deployment (QR codes, pages).
    pub urls: microcred_core::urls::PublicUrls,
    templates: Arc<minijinja::Environment<'static>>,
    pool: pool::VerifyPool,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier.
    pub fn new(
        resolver: Arc<Resolver>,
        status: Arc<StatusLists>,
        credentials: Arc<dyn CredentialLookup>,
        public_url: &str,
    ) -> Self {
        let mut env = minijinja::Environment::new();
        for (name, text) in [
            ("base.html", include_str!("../templates/base.html")),
            (
                "credential.html",
                include_str!("../templates/credential.html"),
            ),
            (
                "not_found.html",
                include_str!("../templates/not_found.html"),
            ),
            ("verify.html", include_str!("../templates/verify.html")),
            ("sealed.html", include_str!("../templates/sealed.html")),
        ] {
            env.add_template(name, text).expect("templates parse");
        }
        Self {
            resolver,
            status,
            credentials,
            urls: microcred_core::urls::PublicUrls::new(public_url),
            templates: Arc::new(env),
            pool: pool::VerifyPool::default(),
        }
    }

    /// The same verifier letting at most `max_queued` verifications run or wait.
    pub fn with_max_queued(mut self, max_queued: usize) -> Self {
        self.pool = pool::VerifyPool::new(max_queued);
        self
    }

    /// Renders a template.
    pub fn render(&self, name: &str, ctx: impl serde::Serialize) -> Result<String, ApiError> {
        self.templates
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| ApiError::Internal(format!("template {name}: {e}")))
    }

    /// Checks the proofs of `doc` for `purpose` (a presentation's `authentication`), on the
    /// verification pool ([`pool`]).
    pub async fn verify_proofs(
        &self,
        doc: &serde_json::Value,
        purpose: &'static str,
    ) -> Result<
        Result<Vec<microcred_core::proof::VerifiedProof>, microcred_core::proof::ProofError>,
        ApiError,
    > {
        let (resolver, doc) = (self.resolver.clone(), doc.clone());
        self.pool
            .run(async move { microcred_core::proof::verify(&doc, resolver.as_ref(), purpose).await })
            .await
            .map_err(|_| ApiError::Busy)
    }

    /// Verifies a credential now, on the verification pool ([`pool`]) - or in place when its
    /// proof was checked before (the canonical hash is remembered, so what is left is a
    /// signature check, the key and the status looked up afresh: no heavier than rendering a
    /// page, and not worth two thread hops).
    pub async fn verify(
        &self,
        doc: &serde_json::Value,
    ) -> Result<microcred_core::verify::VerificationReport, ApiError> {
        if microcred_core::proof::proof_is_remembered(doc) {
            return Ok(microcred_core::verify::verify_credential(
                doc,
                self.resolver.as_ref(),
                self.status.as_ref(),
                time::OffsetDateTime::now_utc(),
            )
            .await);
        }
        let (resolver, status, doc) = (self.resolver.clone(), self.status.clone(), doc.clone());
        self.pool
            .run(async move {
                microcred_core::verify::verify_credential(
                    &doc,
                    resolver.as_ref(),
                    status.as_ref(),
                    time::OffsetDateTime::now_utc(),
                )
                .await
            })
            .await
            .map_err(|_| ApiError::Busy)
    }
}

/// The verifier's router, ready to merge.
pub fn router(verifier: Verifier) -> axum::Router {
    http::router().with_state(verifier)
}
