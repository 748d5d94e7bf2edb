//! Outbound HTTP to the public internet only: the defence against server-side request forgery
//! (OWASP SSRF Prevention Cheat Sheet) for every URL that comes from outside - the `did:web`
//! documents and status lists a pasted credential names, the Moodle sites and webhooks an
//! institution registers.
//!
//! Under [`Outbound::public`]: `https` only; the host's addresses are checked after DNS
//! resolution and only checked addresses are given to the connector (so the address connected
//! to is the address checked - no second lookup to rebind); an IP literal is checked the same
//! way; loopback, private (RFC 1918), carrier-grade NAT, link-local, unique-local, multicast,
//! unspecified, documentation, benchmarking and reserved ranges are refused, IPv4 and IPv6,
//! including IPv4-mapped, IPv4-compatible, NAT64 and 6to4 addresses that embed one of them;
//! redirects are followed only to the same scheme, host and port (at most three); no proxy
//! from the environment. [`Outbound::development`] allows plain `http` and private addresses,
//! for tests and local development only; whoever chooses it logs it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Why an outbound request was refused before it was sent.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OutboundError {
    /// Not a URL we may fetch.
    #[error("`{0}` is not an https URL")]
    NotHttps(String),
    /// The host is (or resolves to) a non-public address.
    #[error("`{0}` is not on the public internet")]
    NotPublic(String),
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, RFC 6890
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        || a >= 240) // reserved, RFC 1112
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if s[..6] == [0; 6] {
        // :: and ::1, and IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1).
        return !ip.is_unspecified() && !ip.is_loopback() && is_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        // NAT64 64:ff9b::/96 (RFC 6052).
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        // 6to4 (RFC 3056): the IPv4 address in bits 16-48.
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    !(ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: the real peer is hidden
        || s[0] == 0x0100 && s[1..4] == [0; 3]) // discard-only 100::/64
}

/// Checks `url` before any request: the scheme (https; http too when `development`), and,
/// unless `development`, the host when it is an IP literal (names are checked when resolved).
pub fn check(url: &reqwest::Url, development: bool) -> Result<(), OutboundError> {
    if development {
        return match url.scheme() {
            "https" | "http" => Ok(()),
            _ => Err(OutboundError::NotHttps(url.to_string())),
        };
    }
    if url.scheme() != "https" {
        return Err(OutboundError::NotHttps(url.to_string()));
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => d.parse::<IpAddr>().ok(),
        None => return Err(OutboundError::NotPublic(url.to_string())),
    };
    match literal {
        Some(ip) if !is_public(ip) => Err(OutboundError::NotPublic(url.to_string())),
        _ => Ok(()),
    }
}

/// DNS resolution that keeps only public addresses (see the module's doc).
#[derive(Debug, Clone, Copy)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(OutboundError::NotPublic(host))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An HTTP client for URLs from outside, with the policy it was made with.
#[derive(Debug, Clone)]
pub struct Outbound {
    http: reqwest::Client,
    development: bool,
}

impl Outbound {
    /// Public internet only, https only (production).
    pub fn public(timeout: Duration, user_agent: &str) -> Self {
        Self::build(timeout, user_agent, false)
    }

    /// Plain http and private addresses allowed (tests and local development only).
    pub fn development(timeout: Duration, user_agent: &str) -> Self {
        Self::build(timeout, user_agent, true)
    }

    /// [`Self::development`] when `development`, else [`Self::public`].
    pub fn new(timeout: Duration, user_agent: &str, development: bool) -> Self {
        Self::build(timeout, user_agent, development)
    }

    fn build(timeout: Duration, user_agent: &str, development: bool) -> Self {
        let same_origin = reqwest::redirect::Policy::custom(|attempt| {
            let first = &attempt.previous()[0];
            let to = attempt.url();
            if attempt.previous().len() > 3 {
                attempt.stop()
            } else if to.scheme() == first.scheme()
                && to.host_str() == first.host_str()
                && to.port_or_known_default() == first.port_or_known_default()
            {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let mut b = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(same_origin)
            .no_proxy()
            .user_agent(user_agent.to_owned());
        if !development {
            b = b.dns_resolver(Arc::new(PublicOnly)).https_only(true);
        }
        Self {
            http: b.build().expect("an HTTP client"),
            development,
        }
    }

    /// Whether plain http and private addresses are allowed.
    pub fn is_development(&self) -> bool {
        self.development
    }

    /// Checks `url` against the policy before any request: see [`check`].
    pub fn check(&self, url: &reqwest::Url) -> Result<(), OutboundError> {
        check(url, self.development)
    }

    /// A GET of `url`, checked first.
    pub fn get(&self, url: &reqwest::Url) -> Result<reqwest::RequestBuilder, OutboundError> {
        self.check(url)?;
        Ok(self.http.get(url.clone()))
    }

    /// A POST to `url`, checked first.
    pub fn post(&self, url: &reqwest::Url) -> Result<reqwest::RequestBuilder, OutboundError> {
        self.check(url)?;
        Ok(self.http.post(url.clone()))
    }

    /// The client itself, for a request already checked with [`Self::check`].
    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }
}

/// Reads a response body of at most `max` bytes; more is an error, and nothing beyond
/// `max` + one chunk is held.
pub async fn read_body(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("the answer is larger than {max} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
