//! DID resolution for verification: `did:key` from the DID itself; `did:web` of our own
//! institutions from the local store (no HTTP to ourselves, through [`LocalDids`]); any other
//! `did:web` over HTTPS (did:web spec §3.2) on the public internet only
//! (`microcred_core::outbound`), with a timeout, a size cap and a cache bounded in bytes that
//! holds only documents that parsed and name the DID asked for (and failures, briefly). What
//! went wrong fetching is logged, never told to the caller: the report says only that the
//! document could not be retrieved.

use std::sync::Arc;
use std::time::{Duration, Instant};

use microcred_core::outbound::{read_body, Outbound};

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

/// Most bytes of DID documents held in the cache.
pub const DID_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// A cached resolution: the result and its weight in bytes.
#[derive(Clone)]
struct Cached {
    result: Result<DidDocument, ResolveError>,
    bytes: u32,
}

/// Documents for 5 minutes, failures for 30 seconds.
struct CacheExpiry;

impl moka::Expiry<String, Cached> for CacheExpiry {
    fn expire_after_create(&self, _: &String, v: &Cached, _: Instant) -> Option<Duration> {
        Some(if v.result.is_ok() {
            Duration::from_secs(300)
        } else {
            Duration::from_secs(30)
        })
    }
}

/// The verifier's resolver.
pub struct Resolver {
    local: Arc<dyn LocalDids>,
    outbound: Outbound,
    cache: moka::future::Cache<String, Cached>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver with `local` DIDs first; foreign did:web fetched through `outbound` with a
    /// 5 s timeout and cached (see the module's doc). A development `outbound` fetches
    /// `http://` instead of `https://` (tests on localhost).
    pub fn new(local: Arc<dyn LocalDids>, outbound: Outbound) -> Self {
        Self {
            local,
            outbound,
            cache: moka::future::Cache::builder()
                .max_capacity(DID_CACHE_BYTES)
                .weigher(|k: &String, v: &Cached| (k.len() as u32).saturating_add(v.bytes))
                .expire_after(CacheExpiry)
                .build(),
        }
    }

    async fn fetch(&self, did: &Did) -> Result<(DidDocument, usize), ResolveError> {
        let mut url = did_web_url(did)?;
        if self.outbound.is_development() {
            url = url.replacen("https://", "http://", 1);
        }
        let not_retrieved = |why: String| {
            tracing::info!(%did, %url, %why, "a DID document could not be retrieved");
            ResolveError::Unreachable(did.to_string())
        };
        let parsed = reqwest::Url::parse(&url).map_err(|e| not_retrieved(e.to_string()))?;
        let resp = self
            .outbound
            .get(&parsed)
            .map_err(|e| not_retrieved(e.to_string()))?
            .send()
            .await
            .map_err(|e| not_retrieved(format!("{e:#}")))?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(ResolveError::NotFound(did.to_string()));
        }
        if !resp.status().is_success() {
            return Err(not_retrieved(format!("HTTP {}", resp.status())));
        }
        let body = read_body(resp, MAX_DID_DOCUMENT_BYTES)
            .await
            .map_err(not_retrieved)?;
        let doc: DidDocument = serde_json::from_slice(&body)
            .map_err(|e| not_retrieved(format!("not a DID document: {e}")))?;
        if doc.id != did.as_str() {
            return Err(not_retrieved(format!("the document is for {}", doc.id)));
        }
        Ok((doc, body.len()))
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
                    if let Some(c) = self.cache.get(did.as_str()).await {
                        return c.result;
                    }
                    let (result, bytes) = match self.fetch(did).await {
                        Ok((doc, n)) => (Ok(doc), n),
                        Err(e) => (Err(e), 64),
                    };
                    let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
                    self.cache
                        .insert(
                            did.to_string(),
                            Cached {
                                result: result.clone(),
                                bytes,
                            },
                        )
                        .await;
                    result
                }
                _ => Err(ResolveError::UnsupportedMethod(did.to_string())),
            }
        })
    }
}
