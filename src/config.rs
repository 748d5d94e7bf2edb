//! Server configuration, from flags and environment variables (`MICROCRED_*`,
//! `DATABASE_URL`), with defaults that run out of the box on an embedded SQLite file.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Which services this process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Services {
    /// Institutions, achievements, issuing.
    pub issuer: bool,
    /// Public verification pages and VC-API verification.
    pub verifier: bool,
}

impl Services {
    /// All services (the default).
    pub const ALL: Self = Self {
        issuer: true,
        verifier: true,
    };

    /// Parses `all` or a comma-separated list of `issuer`, `verifier`, `wallet`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim() == "all" {
            return Ok(Self::ALL);
        }
        let mut out = Self {
            issuer: false,
            verifier: false,
        };
        for part in s.split(',').map(str::trim) {
            match part {
                "issuer" => out.issuer = true,
                "verifier" => out.verifier = true,
                "wallet" => {}
                other => {
                    return Err(format!(
                        "unknown service `{other}` (issuer, verifier, wallet, all)"
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    pub bind: SocketAddr,
    /// Public base URL (DIDs, QR codes); default `http://{bind}`.
    pub public_url: Option<String>,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Folder for the SQLite file and the master key file.
    pub data_dir: PathBuf,
    /// The master key (base64), instead of the key file.
    pub master_key: Option<String>,
    /// Create a demo institution on an empty database.
    pub demo: bool,
    /// Which services to serve.
    pub services: Services,
    /// Public requests per minute per client IP.
    pub rate_limit_per_minute: u32,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Fetch foreign did:web documents over plain HTTP (tests on localhost only).
    pub insecure_did_web_http: bool,
    /// Use the first `X-Forwarded-For` address as the client IP (behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

impl Config {
    /// Defaults for a local run: `127.0.0.1:8080`, `./data`, SQLite.
    pub fn local(data_dir: PathBuf) -> Self {
        Self {
            bind: "127.0.0.1:8080".parse().expect("valid"),
            public_url: None,
            database_url: format!("sqlite://{}/microcred.db?mode=rwc", data_dir.display()),
            data_dir,
            master_key: None,
            demo: false,
            services: Services::ALL,
            rate_limit_per_minute: 300,
            max_body_bytes: 2 * 1024 * 1024,
            insecure_did_web_http: false,
            trust_forwarded_for: false,
        }
    }
}
