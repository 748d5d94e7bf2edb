//! Status lists for verification: our own institutions' lists read locally (through
//! [`LocalStatusLists`], wired by the binary), any other over HTTPS with a timeout, a size cap
//! and a cache that honours the list's `ttl` (Bitstring Status List v1.0 §2.2; at most 5
//! minutes, at least 10 seconds).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The verifier's status list source.
pub struct StatusLists {
    local: Arc<dyn LocalStatusLists>,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, (Instant, Duration, serde_json::Value)>>,
    allow_http: bool,
}

impl std::fmt::Debug for StatusLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusLists").finish_non_exhaustive()
    }
}

impl StatusLists {
    /// Local lists first, then HTTPS (or plain HTTP when `allow_http`, for tests on localhost).
    pub fn new(local: Arc<dyn LocalStatusLists>, allow_http: bool) -> Self {
        Self {
            local,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .redirect(reqwest::redirect::Policy::limited(3))
                .user_agent("microcred-verifier")
                .build()
                .expect("HTTP client"),
            cache: Mutex::new(HashMap::new()),
            allow_http,
        }
    }

    async fn fetch_remote(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        let ok_scheme =
            url.starts_with("https://") || (self.allow_http && url.starts_with("http://"));
        if !ok_scheme {
            return Err(FetchError(format!("{url} is not an https URL")));
        }
        let mut resp = self
            .http
            .get(url)
            .header("accept", "application/vc+ld+json, application/json")
            .send()
            .await
            .map_err(|e| FetchError(format!("{url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(FetchError(format!("{url} answered {}", resp.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError(format!("{url}: {e}")))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_STATUS_LIST_BYTES {
                return Err(FetchError(format!(
                    "{url} is larger than {MAX_STATUS_LIST_BYTES} bytes"
                )));
            }
        }
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| FetchError(format!("{url} is not JSON: {e}")))?;
        microcred_core::api::check_json_depth(&v).map_err(|e| FetchError(format!("{url}: {e}")))?;
        Ok(v)
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
            if let Some((at, ttl, doc)) = self.cache.lock().expect("not poisoned").get(url) {
                if at.elapsed() < *ttl {
                    return Ok(doc.clone());
                }
            }
            let doc = self.fetch_remote(url).await?;
            let mut cache = self.cache.lock().expect("not poisoned");
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(url.to_owned(), (Instant::now(), ttl_of(&doc), doc.clone()));
            Ok(doc)
        })
    }
}
