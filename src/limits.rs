//! Per-client-IP rate limiting of public endpoints (GCRA, the `governor` crate). Authenticated
//! API routes (`/api/...`) are not limited here.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::{DefaultKeyedRateLimiter, Quota};
use microcred_core::api::ErrorBody;

/// The limiter and how to find the client's address.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trust_forwarded_for: bool,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit").finish_non_exhaustive()
    }
}

impl RateLimit {
    /// `per_minute` requests per client IP, with bursts of up to a tenth of that (at least 5).
    pub fn new(per_minute: u32, trust_forwarded_for: bool) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("positive");
        let burst = NonZeroU32::new((per_minute.get() / 10).max(5)).expect("positive");
        Self {
            limiter: Arc::new(governor::RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            trust_forwarded_for,
        }
    }
}

/// The middleware.
pub async fn limit(State(rl): State<RateLimit>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let forwarded = rl
        .trust_forwarded_for
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    let ip = forwarded.or_else(|| {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    });
    if let Some(ip) = ip {
        if rl.limiter.check_key(&ip).is_err() {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(ErrorBody::new(
                    "rate_limited",
                    "too many requests from your address; retry in a minute",
                )),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return r;
        }
        if rl.limiter.len() > 100_000 {
            rl.limiter.retain_recent();
        }
    }
    next.run(req).await
}
