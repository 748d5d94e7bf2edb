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

/// Everything the server needs to start. Its `Debug` never shows the master key or a
/// database password.
#[derive(Clone)]
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
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: std::time::Duration,
    /// Outbound fetches (did:web documents, status lists, Moodle sites, webhooks) over plain
    /// HTTP and to private and loopback addresses: development and tests only, logged at start.
    pub insecure_outbound: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (see `limits`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// SMTP server for learner notifications (`smtp://user:pass@host:587`); none: messages
    /// stay queued.
    pub smtp_url: Option<String>,
    /// Sender address of notifications.
    pub mail_from: Option<String>,
    /// RFC 3161 timestamp authority for sealed Europass credentials (baseline T).
    pub tsa_url: Option<String>,
    /// Moodle trigger settings (lease, timeouts, retries).
    pub triggers: microcred_issuer::triggers::TriggerConfig,
    /// Seconds a worker holds a bulk job between two batches.
    pub bulk_lease_seconds: u64,
    /// Run the background jobs (trigger worker, polls, mailer).
    pub background_jobs: bool,
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
            header_read_timeout: std::time::Duration::from_secs(10),
            insecure_outbound: false,
            trusted_proxies: Vec::new(),
            smtp_url: None,
            mail_from: None,
            tsa_url: None,
            triggers: microcred_issuer::triggers::TriggerConfig::default(),
            bulk_lease_seconds: 30,
            background_jobs: true,
        }
    }
}

/// A database URL with any password replaced by `***` (for logs and `Debug`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

/// How a secret shows in `Debug`: whether it is set, never its value.
pub fn redact_secret(s: &Option<String>) -> &'static str {
    if s.is_some() {
        "Some(***)"
    } else {
        "None"
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("master_key", &redact_secret(&self.master_key))
            .field("demo", &self.demo)
            .field("services", &self.services)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("insecure_outbound", &self.insecure_outbound)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(redact_url).unwrap_or_default(),
            )
            .field("mail_from", &self.mail_from)
            .field(
                "tsa_url",
                &self.tsa_url.as_deref().map(redact_url).unwrap_or_default(),
            )
            .field("triggers", &self.triggers)
            .field("bulk_lease_seconds", &self.bulk_lease_seconds)
            .field("background_jobs", &self.background_jobs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_master_key_or_a_database_password() {
        let mut c = Config::local("data".into());
        c.master_key = Some("c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=".into());
        c.database_url = "postgres://microcred:hunter2@db.example:5432/microcred".into();
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://microcred:***@db.example:5432/microcred"));
        assert!(shown.contains("Some(***)"));
    }

    #[test]
    fn urls_without_a_password_are_shown_as_they_are() {
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(
            redact_url("sqlite://data/microcred.db?mode=rwc"),
            "sqlite://data/microcred.db?mode=rwc"
        );
    }
}
