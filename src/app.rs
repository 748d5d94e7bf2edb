//! `Application::build` binds the socket (port 0 in tests), opens and migrates the database,
//! builds the services and composes their routers with the shared layers: body-size limit,
//! per-IP rate limit of public routes, timeouts, security headers, request tracing.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use microcred_issuer::{Issuer, IssuerConfig, MasterKey};
use microcred_verifier::{
    NoCredentials, NoLocalDids, NoLocalStatusLists, Resolver, StatusLists, Verifier,
};
use sqlx::AnyPool;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::config::Config;
use crate::limits::{limit, RateLimit};
use crate::wiring::{InstitutionDids, InstitutionStatusLists, IssuedCredentials};

/// A built server, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    address: SocketAddr,
    header_read_timeout: Duration,
    /// The public base URL.
    pub public_url: String,
    /// On first run: the one-time setup token (also logged).
    pub setup_token: Option<String>,
    /// With `demo` on an empty database: the demo institution's API token (also logged).
    pub demo_token: Option<String>,
    /// The database.
    pub pool: AnyPool,
    jobs: Option<(
        Issuer,
        Option<microcred_issuer::notifications::mailer::Mailer>,
    )>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Listening failed.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The data folder or key file could not be used.
    #[error("{0}")]
    Io(String),
    /// The database could not be opened or migrated.
    #[error("database {0}: {1}")]
    Database(String, sqlx::Error),
    /// The master key is malformed.
    #[error("master key: {0}")]
    MasterKey(String),
    /// First-run set-up failed.
    #[error("first-run set-up failed: {0}")]
    Setup(String),
    /// The mail settings are not usable.
    #[error("{0}")]
    Mail(String),
    /// Another setting is not usable.
    #[error("{0}")]
    Settings(String),
}

fn load_master_key(config: &Config) -> Result<MasterKey, StartError> {
    if let Some(k) = &config.master_key {
        return MasterKey::from_base64(k).map_err(|e| StartError::MasterKey(e.to_string()));
    }
    let path = config.data_dir.join("master.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => MasterKey::from_base64(&text)
            .map_err(|e| StartError::MasterKey(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (key, text) = MasterKey::generate_base64();
            write_private(&path, &text)
                .map_err(|e| StartError::Io(format!("cannot create {}: {e}", path.display())))?;
            tracing::warn!(
                path = %path.display(),
                "created a new master key: it encrypts every institution's signing key; back it up (or set MICROCRED_MASTER_KEY), without it no key can be used"
            );
            Ok(key)
        }
        Err(e) => Err(StartError::Io(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

async fn health(axum::extract::State(pool): axum::extract::State<AnyPool>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&pool).await {
        Ok(_) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "database unavailable"})),
            )
        }
    }
}

/// The OpenAPI document of everything this process serves.
pub fn openapi(services: crate::Services) -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("microcred")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Issue, hold and verify European micro-credentials (W3C VC 2.0, Open Badges 3.0, EU Council Recommendation 2022/C 243/02)."))
                .build(),
        )
        .build();
    if services.issuer {
        doc.merge(microcred_issuer::http::ApiDoc::openapi());
    }
    if services.verifier {
        doc.merge(microcred_verifier::http::ApiDoc::openapi());
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        utoipa::openapi::security::SecurityScheme::Http(utoipa::openapi::security::Http::new(
            utoipa::openapi::security::HttpAuthScheme::Bearer,
        )),
    );
    doc
}

impl Application {
    /// Binds, connects, migrates, runs first-run set-up and composes the routers.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            StartError::Io(format!("cannot create {}: {e}", config.data_dir.display()))
        })?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| StartError::Bind(config.bind, e))?;
        let address = listener
            .local_addr()
            .map_err(|e| StartError::Bind(config.bind, e))?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| {
                if address.ip().is_unspecified() {
                    tracing::warn!(
                        "listening on all interfaces without MICROCRED_PUBLIC_URL: DIDs and QR codes will name localhost; set the public URL"
                    );
                    format!("http://localhost:{}", address.port())
                } else {
                    format!("http://{address}")
                }
            })
            .trim_end_matches('/')
            .to_owned();
        if public_url.starts_with("http://")
            && !(public_url.contains("://localhost") || public_url.contains("://127.0.0.1"))
        {
            tracing::warn!(%public_url, "the public URL is not https: serve microcred behind TLS in production");
        }
        if config.insecure_outbound {
            tracing::warn!("insecure outbound: did:web documents, status lists, Moodle sites and webhooks are fetched over plain http and from loopback and private addresses - development and tests only");
        }

        let pool = crate::db::connect(&config.database_url)
            .await
            .map_err(|e| {
                StartError::Database(crate::config::redact_url(&config.database_url), e)
            })?;
        let master = load_master_key(&config)?;
        let issuer = Issuer::new(
            pool.clone(),
            master,
            IssuerConfig {
                public_url: public_url.clone(),
            },
        )
        .with_triggers(config.triggers.clone())
        .with_bulk_lease_seconds(config.bulk_lease_seconds);
        let issuer = issuer.with_insecure_outbound(config.insecure_outbound);
        let issuer = match &config.tsa_url {
            Some(url) => issuer
                .with_timestamp_authority(url)
                .map_err(StartError::Settings)?,
            None => issuer,
        };
        let mut jobs = None;

        let mut setup_token = None;
        let mut demo_token = None;
        let mut router = Router::new();
        if config.services.issuer {
            setup_token = microcred_issuer::auth::setup::bootstrap(&issuer)
                .await
                .map_err(|e| StartError::Setup(e.to_string()))?;
            if let Some(t) = &setup_token {
                tracing::warn!(
                    setup_token = %t,
                    "set-up pending: exchange this one-time setup token (valid 24 h; a new one is printed at each start until set-up is done) for the administrator's API token: POST {public_url}/api/v1/setup {{\"setupToken\": \"...\"}}"
                );
            }
            let mended = microcred_issuer::status_lists::reconcile(&issuer)
                .await
                .map_err(|e| StartError::Setup(e.to_string()))?;
            if mended > 0 {
                tracing::warn!(
                    lists = mended,
                    "status lists that disagreed with the stored credentials were signed again"
                );
            }
            if config.demo {
                demo_token = microcred_issuer::institutions::ensure_demo(&issuer)
                    .await
                    .map_err(|e| StartError::Setup(e.to_string()))?;
                if let Some(t) = &demo_token {
                    tracing::warn!(
                        demo_token = %t,
                        "created the demo institution `demo` with achievement `data-protection`; this API token issues for it"
                    );
                }
            }
            router = router.merge(microcred_issuer::router(issuer.clone()));
            if config.background_jobs {
                let mailer = match (&config.smtp_url, &config.mail_from) {
                    (Some(url), Some(from)) => Some(
                        microcred_issuer::notifications::mailer::Mailer::new(
                            &microcred_issuer::notifications::mailer::MailConfig {
                                smtp_url: url.clone(),
                                from: from.clone(),
                            },
                        )
                        .map_err(|e| StartError::Mail(e.to_string()))?,
                    ),
                    (Some(_), None) => {
                        return Err(StartError::Mail(
                            "MICROCRED_SMTP_URL is set but MICROCRED_MAIL_FROM (the sender address) is not".into(),
                        ))
                    }
                    _ => {
                        tracing::warn!("no MICROCRED_SMTP_URL: e-mails to learners wait in the outbox until a mail server is configured");
                        None
                    }
                };
                jobs = Some((issuer.clone(), mailer));
            }
        }
        if config.services.verifier {
            let (local, credentials): (
                Arc<dyn microcred_verifier::LocalDids>,
                Arc<dyn microcred_verifier::CredentialLookup>,
            ) = if config.services.issuer {
                (
                    Arc::new(InstitutionDids(issuer.clone())),
                    Arc::new(IssuedCredentials(issuer.clone())),
                )
            } else {
                (Arc::new(NoLocalDids), Arc::new(NoCredentials))
            };
            let lists: Arc<dyn microcred_verifier::LocalStatusLists> = if config.services.issuer {
                Arc::new(InstitutionStatusLists(issuer.clone()))
            } else {
                Arc::new(NoLocalStatusLists)
            };
            let outbound = microcred_core::outbound::Outbound::new(
                Duration::from_secs(5),
                "microcred-verifier",
                config.insecure_outbound,
            );
            let resolver = Arc::new(Resolver::new(local, outbound.clone()));
            let status = Arc::new(StatusLists::new(lists, outbound));
            router = router.merge(microcred_verifier::router(Verifier::new(
                resolver,
                status,
                credentials,
                &public_url,
            )));
        }
        let spec = openapi(config.services);
        router = router
            .route(
                "/openapi.json",
                get(move || async move { Json(spec.clone()) }),
            )
            .route("/health", get(health).with_state(pool.clone()));

        if public_url.starts_with("https://") {
            // RFC 6797: browsers keep to https for a year once they have seen this.
            router = router.layer(SetResponseHeaderLayer::if_not_present(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            ));
        }
        let rate = RateLimit::new(config.rate_limit_per_minute, config.trusted_proxies.clone());
        let router = router
            .layer(axum::middleware::from_fn_with_state(rate, limit))
            .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                config.max_body_bytes,
            ))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(30),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            .layer(TraceLayer::new_for_http());

        tracing::info!(%address, %public_url, database = %crate::config::redact_url(&config.database_url), "microcred ready");
        Ok(Self {
            listener,
            router,
            address,
            header_read_timeout: config.header_read_timeout,
            public_url,
            setup_token,
            demo_token,
            pool,
            jobs,
        })
    }

    /// The port bound.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` completes, then lets open requests finish (at most 30 s).
    ///
    /// Each connection is served by hyper with a timeout on reading request headers (a
    /// client that opens connections and trickles headers cannot hold them); bodies are
    /// bounded by the request timeout and the body limit of the router.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
        use tower::ServiceExt;

        let jobs = self
            .jobs
            .map(|(issuer, mailer)| tokio::spawn(microcred_issuer::jobs::run(issuer, mailer)));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let router = self.router.clone();
            let service = hyper::service::service_fn(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    router.clone().oneshot(req)
                },
            );
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
        drop(self.listener);
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(Duration::from_secs(30)) => {
                tracing::warn!("open connections did not finish within 30 s of shutdown");
            }
        }
        if let Some(j) = jobs {
            j.abort();
        }
        Ok(())
    }

    /// Serves until Ctrl-C / SIGTERM.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(async {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("signal handler");
                tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
            }
            #[cfg(not(unix))]
            {
                let _ = ctrl_c.await;
            }
            tracing::info!("shutting down");
        })
        .await
    }
}
