//! The timestamp authority (TSA) that makes sealed Europass credentials JAdES baseline T: an
//! RFC 3161 client over HTTP (RFC 3161 §3.4: `POST` of an `application/timestamp-query`,
//! answered with an `application/timestamp-reply`). The TSA is the operator's choice
//! (`--tsa-url`), usually a qualified trust service's; each seal asks it once for a token
//! over the seal's signature value, checks the answer (`microcred_core::tsp`) and adds it.

use std::time::Duration;

use time::OffsetDateTime;

use crate::error::IssuerError;

/// Most bytes of a TSA's answer (a token with a certificate chain is a few KiB).
const MAX_REPLY: usize = 256 * 1024;

/// A configured timestamp authority.
#[derive(Debug, Clone)]
pub struct TimestampAuthority {
    url: reqwest::Url,
    http: reqwest::Client,
}

impl TimestampAuthority {
    /// The TSA at `url` (http or https; user and password in the URL are sent as HTTP Basic
    /// authentication, as commercial TSAs ask).
    pub fn new(url: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| format!("timestamp authority URL `{url}`: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "timestamp authority URL `{url}`: must be http:// or https://"
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("microcred/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("timestamp authority client: {e}"))?;
        Ok(Self { url, http })
    }

    fn host(&self) -> String {
        self.url.host_str().unwrap_or("?").to_owned()
    }

    /// A checked timestamp token (DER) over `message`.
    pub async fn stamp(&self, message: &[u8]) -> Result<Vec<u8>, IssuerError> {
        let failed = |why: String| {
            IssuerError::unavailable(format!(
                "the timestamp authority at {} failed: {why}; try again later",
                self.host()
            ))
        };
        let nonce: u64 = rand::random();
        let r = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .header(reqwest::header::ACCEPT, "application/timestamp-reply")
            .body(microcred_core::tsp::request(message, nonce))
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        if !r.status().is_success() {
            return Err(failed(format!("HTTP {}", r.status())));
        }
        let reply = microcred_core::outbound::read_body(r, MAX_REPLY)
            .await
            .map_err(failed)?;
        let (token, ts) = microcred_core::tsp::token_from_response(
            &reply,
            message,
            nonce,
            OffsetDateTime::now_utc(),
        )
        .map_err(|e| failed(e.to_string()))?;
        tracing::debug!(tsa = %self.host(), time = %ts.time, serial = %ts.serial, "timestamp token");
        Ok(token)
    }
}
