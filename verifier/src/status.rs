//! Status lists for verification: our own institutions' lists read locally (through
//! [`LocalStatusLists`], wired by the binary), any other over HTTPS on the public internet only
//! (`microcred_core::outbound`) with a timeout, a size cap and a cache bounded in bytes that
//! holds only what has the shape of a status list credential, for the list's `ttl` (Bitstring
//! Status List v1.0 §2.2; at most 5 minutes, at least 10 seconds). What went wrong fetching is
//! logged, never told to the caller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use microcred_core::outbound::{read_body, Outbound};

use microcred_core::status::{FetchError, FetchFuture, StatusListSource};

/// A boxed future returning a local list credential, if the URL is ours.
pub type LocalListFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<serde_json::Value>> + Send + 'a>>;

/// Status lists this deployment publishes itself.
pub trait LocalStatusLists: Send + Sync {
    /// The signed list credential at `url`, if it is one of ours.
    fn local_list<'a>(&'a self, url: &'a str) -> LocalListFuture<'a>;
}

/// No local lists (a verifier running alone).
#[derive(Debug, Default)]
pub struct NoLocalStatusLists;

impl LocalStatusLists for NoLocalStatusLists {
    fn local_list<'a>(&'a self, _url: &'a str) -> LocalListFuture<'a> {
        Box::pin(async { None })
    }
}

/// Largest status list credential fetched (a 131,072-bit list is a few hundred bytes to 22 KiB).
pub const MAX_STATUS_LIST_BYTES: usize = 2 * 1024 * 1024;

/// Most bytes of status list credentials held in the cache.
pub const STATUS_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// A cached list: the credential, its `ttl` and its size.
#[derive(Clone)]
struct Cached {
    list: Arc<serde_json::Value>,
    ttl: Duration,
    bytes: u32,
}

struct CacheExpiry;

impl moka::Expiry<String, Cached> for CacheExpiry {
    fn expire_after_create(&self, _: &String, v: &Cached, _: Instant) -> Option<Duration> {
        Some(v.ttl)
    }
}

/// The verifier's status list source.
pub struct StatusLists {
    local: Arc<dyn LocalStatusLists>,
    outbound: Outbound,
    cache: moka::future::Cache<String, Cached>,
}

impl std::fmt::Debug for StatusLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusLists").finish_non_exhaustive()
    }
}

/// Whether `v` has the shape of a Bitstring Status List credential (its signature and
/// contents are checked where it is used).
fn looks_like_a_list(v: &serde_json::Value) -> bool {
    let typed = |t: &serde_json::Value, name: &str| match t {
        serde_json::Value::String(s) => s == name,
        serde_json::Value::Array(a) => a.iter().any(|x| x == name),
        _ => false,
    };
    typed(&v["type"], "BitstringStatusListCredential")
        && v["credentialSubject"]["encodedList"].is_string()
}

impl StatusLists {
    /// Local lists first, then through `outbound` (a development `outbound` allows plain
    /// HTTP on localhost, for tests).
    pub fn new(local: Arc<dyn LocalStatusLists>, outbound: Outbound) -> Self {
        Self {
            local,
            outbound,
            cache: moka::future::Cache::builder()
                .max_capacity(STATUS_CACHE_BYTES)
                .weigher(|k: &String, v: &Cached| (k.len() as u32).saturating_add(v.bytes))
                .expire_after(CacheExpiry)
                .build(),
        }
    }

    async fn fetch_remote(&self, url: &str) -> Result<(serde_json::Value, usize), FetchError> {
        let not_retrieved = |why: String| {
            tracing::info!(%url, %why, "a status list could not be retrieved");
            FetchError(format!("the status list {url} could not be retrieved"))
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| not_retrieved(e.to_string()))?;
        let resp = self
            .outbound
            .get(&parsed)
            .map_err(|e| not_retrieved(e.to_string()))?
            .header("accept", "application/vc+ld+json, application/json")
            .send()
            .await
            .map_err(|e| not_retrieved(format!("{e:#}")))?;
        if !resp.status().is_success() {
            return Err(not_retrieved(format!("HTTP {}", resp.status())));
        }
        let body = read_body(resp, MAX_STATUS_LIST_BYTES)
            .await
            .map_err(not_retrieved)?;
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| not_retrieved(format!("not JSON: {e}")))?;
        microcred_core::api::check_json_depth(&v).map_err(|e| not_retrieved(e.to_string()))?;
        if !looks_like_a_list(&v) {
            return Err(not_retrieved(
                "not a BitstringStatusListCredential with an encodedList".into(),
            ));
        }
        Ok((v, body.len()))
    }
}

fn ttl_of(list: &serde_json::Value) -> Duration {
    let ms = list
        .pointer("/credentialSubject/ttl")
        .and_then(|v| v.as_u64())
        .unwrap_or(300_000);
    Duration::from_millis(ms.clamp(10_000, 300_000))
}

impl StatusListSource for StatusLists {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            if let Some(doc) = self.local.local_list(url).await {
                return Ok(doc);
            }
            if let Some(c) = self.cache.get(url).await {
                return Ok((*c.list).clone());
            }
            let (doc, bytes) = self.fetch_remote(url).await?;
            let cached = Cached {
                ttl: ttl_of(&doc),
                list: Arc::new(doc.clone()),
                bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
            };
            self.cache.insert(url.to_owned(), cached).await;
            Ok(doc)
        })
    }
}
