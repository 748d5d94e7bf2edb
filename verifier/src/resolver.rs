//! DID resolution for verification: `did:key` from the DID itself; `did:web` of our own
//! institutions from the local store (no HTTP to ourselves, through [`LocalDids`]); any other
//! `did:web` over HTTPS (did:web spec §3.2) with a timeout, a size cap and a cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use microcred_core::did::{
    did_web_url, resolve_did_key, DidDocument, DidResolver, ResolveError, ResolveFuture,
};
use microcred_core::model::Did;

/// A boxed future returning the DID document of a local DID, if it is ours.
pub type LocalFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<DidDocument>> + Send + 'a>>;

/// DID documents this deployment holds itself (our institutions). The binary wires the
/// issuer in.
pub trait LocalDids: Send + Sync {
    /// The document of `did` if it is one of ours, else `None`.
    fn resolve_local<'a>(&'a self, did: &'a Did) -> LocalFuture<'a>;
}

/// No local DIDs (a verifier running alone).
#[derive(Debug, Default)]
pub struct NoLocalDids;

impl LocalDids for NoLocalDids {
    fn resolve_local<'a>(&'a self, _did: &'a Did) -> LocalFuture<'a> {
        Box::pin(async { None })
    }
}

/// Largest DID document fetched.
pub const MAX_DID_DOCUMENT_BYTES: usize = 64 * 1024;

/// A resolution result and when it was made.
type CacheEntry = (Instant, Result<DidDocument, ResolveError>);

/// The verifier's resolver.
pub struct Resolver {
    local: Arc<dyn LocalDids>,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, CacheEntry>>,
    ttl: Duration,
    allow_http: bool,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver with `local` DIDs first; foreign did:web fetched with a 5 s timeout and
    /// cached for 5 minutes (failures for 30 s). `allow_http` fetches `http://` instead of
    /// `https://` (only for tests on localhost).
    pub fn new(local: Arc<dyn LocalDids>, allow_http: bool) -> Self {
        Self {
            local,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .redirect(reqwest::redirect::Policy::limited(3))
                .user_agent("microcred-verifier")
                .build()
                .expect("HTTP client"),
            cache: Mutex::new(HashMap::new()),
            ttl: Duration::from_secs(300),
            allow_http,
        }
    }

    async fn fetch(&self, did: &Did) -> Result<DidDocument, ResolveError> {
        let mut url = did_web_url(did)?;
        if self.allow_http {
            url = url.replacen("https://", "http://", 1);
        }
        let unreachable = |e: String| ResolveError::Unreachable(did.to_string(), e);
        let mut resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(ResolveError::NotFound(did.to_string()));
        }
        if !resp.status().is_success() {
            return Err(unreachable(format!("{url} answered {}", resp.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| unreachable(e.to_string()))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DID_DOCUMENT_BYTES {
                return Err(unreachable(format!(
                    "the document is larger than {MAX_DID_DOCUMENT_BYTES} bytes"
                )));
            }
        }
        let doc: DidDocument = serde_json::from_slice(&body)
            .map_err(|e| unreachable(format!("not a DID document: {e}")))?;
        if doc.id != did.as_str() {
            return Err(unreachable(format!(
                "the document at {url} is for {}",
                doc.id
            )));
        }
        Ok(doc)
    }
}

impl DidResolver for Resolver {
    fn resolve<'a>(&'a self, did: &'a Did) -> ResolveFuture<'a> {
        Box::pin(async move {
            match did.method() {
                "key" => resolve_did_key(did),
                "web" => {
                    if let Some(doc) = self.local.resolve_local(did).await {
                        return Ok(doc);
                    }
                    if let Some((at, r)) =
                        self.cache.lock().expect("not poisoned").get(did.as_str())
                    {
                        let ttl = if r.is_ok() {
                            self.ttl
                        } else {
                            Duration::from_secs(30)
                        };
                        if at.elapsed() < ttl {
                            return r.clone();
                        }
                    }
                    let r = self.fetch(did).await;
                    let mut cache = self.cache.lock().expect("not poisoned");
                    if cache.len() > 10_000 {
                        cache.clear();
                    }
                    cache.insert(did.to_string(), (Instant::now(), r.clone()));
                    r
                }
                _ => Err(ResolveError::UnsupportedMethod(did.to_string())),
            }
        })
    }
}
