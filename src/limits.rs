//! Abuse limits at the edge. Public endpoints: requests per client IP (GCRA, the `governor`
//! crate). The management API (`/api/...`): failed authentications (401) per client IP and per
//! token prefix - after [`MAX_AUTH_FAILURES`] in a minute, further requests from that address
//! or with that token prefix get 429 until the minute has passed.
//!
//! The client IP is the TCP peer, unless the peer is one of the configured trusted proxies
//! (`--trusted-proxy`): then it is the right-most `X-Forwarded-For` hop that is not itself a
//! trusted proxy (a client can write anything to the left of what its proxy appends, so the
//! left-most entry is never believed).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;
use microcred_core::api::{ErrorBody, PROBLEM_JSON};

/// Failed authentications per client IP, and per token prefix, in a minute.
pub const MAX_AUTH_FAILURES: u32 = 20;

/// The limiters and how to find the client's address.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: Arc<Vec<IpNet>>,
    auth_failures: moka::future::Cache<String, u32>,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

impl RateLimit {
    /// `per_minute` public requests per client IP, with bursts of up to a tenth of that (at
    /// least 5); `X-Forwarded-For` believed only from `trusted_proxies`.
    pub fn new(per_minute: u32, trusted_proxies: Vec<IpNet>) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("positive");
        let burst = NonZeroU32::new((per_minute.get() / 10).max(5)).expect("positive");
        Self {
            limiter: Arc::new(governor::RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            trusted_proxies: Arc::new(trusted_proxies),
            auth_failures: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: see the module's doc.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusted(peer) {
            return Some(peer);
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|h| h.trim().parse::<IpAddr>().ok())
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            client = hop;
            if !self.trusted(hop) {
                break;
            }
        }
        Some(client)
    }
}

fn too_many(message: &'static str) -> Response {
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, PROBLEM_JSON)],
        Json(ErrorBody::new("rate_limited", message).with_status(429)),
    )
        .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

/// The first 12 characters of a bearer token (our tokens' `mc_` + id part), or the user name
/// of Basic credentials (xAPI clients), or none.
fn token_prefix(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(basic) = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))
    {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()?;
        let user = String::from_utf8_lossy(&decoded);
        let user = user.split(':').next().unwrap_or_default();
        return Some(format!(
            "basic:{}",
            user.chars().take(40).collect::<String>()
        ));
    }
    let token = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))?;
    Some(format!(
        "token:{}",
        token.chars().take(12).collect::<String>()
    ))
}

/// The middleware.
pub async fn limit(State(rl): State<RateLimit>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = rl.client_ip(peer, req.headers());
    if req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/xapi/") {
        let keys: Vec<String> = ip
            .map(|ip| format!("ip:{ip}"))
            .into_iter()
            .chain(token_prefix(req.headers()))
            .collect();
        for k in &keys {
            if rl.auth_failures.get(k).await.unwrap_or(0) >= MAX_AUTH_FAILURES {
                return too_many("too many failed authentications; retry in a minute");
            }
        }
        let r = next.run(req).await;
        if r.status() == StatusCode::UNAUTHORIZED {
            for k in keys {
                rl.auth_failures
                    .entry(k)
                    .and_upsert_with(|e| async move { e.map_or(1, |e| e.into_value() + 1) })
                    .await;
            }
        }
        return r;
    }
    if let Some(ip) = ip {
        if rl.limiter.check_key(&ip).is_err() {
            return too_many("too many requests from your address; retry in a minute");
        }
        if rl.limiter.len() > 100_000 {
            rl.limiter.retain_recent();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy() {
        let rl = RateLimit::new(60, vec!["10.0.0.0/8".parse().unwrap()]);
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        // The client wrote a spoofed address; the proxy appended the real one.
        assert_eq!(
            rl.client_ip(Some(proxy), &headers("1.2.3.4, 203.0.113.9")),
            Some("203.0.113.9".parse().unwrap())
        );
        // Two proxies of ours in a row.
        assert_eq!(
            rl.client_ip(Some(proxy), &headers("1.2.3.4, 203.0.113.9, 10.1.1.1")),
            Some("203.0.113.9".parse().unwrap())
        );
        // Not from a trusted proxy: the header is ignored.
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            rl.client_ip(Some(stranger), &headers("1.2.3.4")),
            Some(stranger)
        );
        // Garbage in the header: the proxy itself is the client.
        assert_eq!(
            rl.client_ip(Some(proxy), &headers("not an address")),
            Some(proxy)
        );
    }
}
