#![allow(missing_docs)]
//! A running server on a fresh database (SQLite file or PostgreSQL), and the `both_backends!`
//! macro that runs one test body on each.

use std::path::PathBuf;

use microcred::{Application, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests use (a database is created per test).
pub fn postgres_admin_url() -> String {
    std::env::var("MICROCRED_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database and data folder.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub data_dir: PathBuf,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let data_dir = std::env::temp_dir().join(format!("microcred-test-{id}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        match backend {
            Backend::Sqlite => Self {
                backend,
                url: format!("sqlite://{}/microcred.db?mode=rwc", data_dir.display()),
                data_dir,
                pg_name: None,
            },
            Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let admin = postgres_admin_url();
                let name = format!("mc_test_{id}");
                let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL at {admin} is required for these tests: {e}")
                    });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin)
                    .to_owned();
                Self {
                    backend,
                    url: format!("{base}/{name}"),
                    data_dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// Drops the database and the data folder now (they are dropped on `Drop` too, so a
    /// failing test leaves nothing behind).
    pub async fn cleanup(self) {}

    pub fn config(&self) -> Config {
        let mut c = Config::local(self.data_dir.clone());
        c.bind = "127.0.0.1:0".parse().unwrap();
        c.database_url = self.url.clone();
        c.rate_limit_per_minute = 100_000;
        // The fake Moodle, the SMTP sink, webhooks and other issuers under test serve plain
        // http on loopback; tests of the outbound policy turn this off.
        c.insecure_outbound = true;
        c
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(name) = self.pg_name.take() {
            // Drop may run inside the test's runtime: do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(async move {
                        if let Ok(mut c) = <sqlx::AnyConnection as sqlx::Connection>::connect(
                            &postgres_admin_url(),
                        )
                        .await
                        {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&mut c)
                            .await;
                        }
                    })
            })
            .join();
        }
    }
}

/// A server running in the background.
pub struct TestApp {
    pub base: String,
    pub setup_token: Option<String>,
    pub demo_token: Option<String>,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn(config: Config) -> Self {
        // `RUST_LOG=error cargo test ...` shows the server's log beside a failing test.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let app = Application::build(config).await.expect("server starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let setup_token = app.setup_token.clone();
        let demo_token = app.demo_token.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let handle = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            setup_token,
            demo_token,
            http: reqwest::Client::new(),
            stop: Some(tx),
            handle: Some(handle),
        }
    }

    /// A client of a server running elsewhere (another process) at `base`.
    pub fn external(base: String, setup_token: Option<String>) -> Self {
        Self {
            base,
            setup_token,
            demo_token: None,
            http: reqwest::Client::new(),
            stop: None,
            handle: None,
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that sends `token`.
    pub fn client(&self, token: &str) -> Client<'_> {
        Client {
            app: self,
            token: Some(token.to_owned()),
        }
    }

    /// A client without a token (the public, an employer).
    pub fn public(&self) -> Client<'_> {
        Client {
            app: self,
            token: None,
        }
    }

    /// The verdict of the public page of `code` (the text of its `<h1>`).
    pub async fn verdict(&self, code: &str) -> String {
        let html = page(self, &format!("/v/{code}")).await;
        let start = html.find("<h1>").unwrap() + 4;
        html[start..start + html[start..].find("</h1>").unwrap()].to_owned()
    }
}

/// An answer: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
}

impl Resp {
    /// The body at a JSON Pointer, as text.
    pub fn text(&self, pointer: &str) -> String {
        self.body
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no text at {pointer} in {}", self.body))
            .to_owned()
    }

    /// Asserts the status, showing the body otherwise.
    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }
}

/// A typed client of the API: one method per action, instead of hand-built request chains.
pub struct Client<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl Client<'_> {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Resp {
        let mut r = self.app.http.request(method, self.app.url(path));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let bytes = resp.bytes().await.unwrap();
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(body), None)
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(body), None)
            .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None, None).await
    }

    /// `POST /api/v1/institutions` with registered details.
    pub async fn create_institution(&self, slug: &str, legal_name: &str) -> Resp {
        self.post(
            "/api/v1/institutions",
            json!({"slug": slug, "legalName": legal_name, "registrationNumber": "1002600099999",
                   "country": "MD", "locality": "Chișinău"}),
        )
        .await
    }

    /// `POST /api/v1/institutions/{inst}/tokens`.
    pub async fn create_token(&self, inst: &str, label: &str) -> Resp {
        self.post(
            &format!("/api/v1/institutions/{inst}/tokens"),
            json!({"label": label}),
        )
        .await
    }

    /// `POST /api/v1/institutions/{inst}/achievements` with the good fixture.
    pub async fn create_achievement(&self, inst: &str, slug: &str) -> Resp {
        self.post(
            &format!("/api/v1/institutions/{inst}/achievements"),
            json!({"slug": slug, "definition": fixture("achievements/good/data-protection.json")}),
        )
        .await
    }

    /// `POST /api/v1/institutions/{inst}/credentials` for `gdpr-101`.
    pub async fn issue(&self, inst: &str, email: &str, key: Option<&str>) -> Resp {
        self.send(
            reqwest::Method::POST,
            &format!("/api/v1/institutions/{inst}/credentials"),
            Some(json!({"achievement": "gdpr-101",
                        "learner": {"name": "Ana Popescu", "email": email}, "grade": "92%"})),
            key,
        )
        .await
    }

    /// `POST /api/v1/institutions/{inst}/credentials/{code}/{action}`.
    pub async fn act(&self, inst: &str, code: &str, action: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/institutions/{inst}/credentials/{code}/{action}"),
            body,
        )
        .await
    }

    /// `GET /api/v1/institutions/{inst}/credentials/{code}`: state and history.
    pub async fn state(&self, inst: &str, code: &str) -> Resp {
        self.get(&format!("/api/v1/institutions/{inst}/credentials/{code}"))
            .await
    }

    /// `GET /api/v1/institutions/{inst}/credentials`.
    pub async fn list(&self, inst: &str) -> Resp {
        self.get(&format!("/api/v1/institutions/{inst}/credentials"))
            .await
    }

    /// VC-API `POST /credentials/issue`.
    pub async fn vc_issue(&self, credential: Value) -> Resp {
        self.post("/credentials/issue", json!({"credential": credential}))
            .await
    }

    /// VC-API `POST /credentials/verify`.
    pub async fn vc_verify(&self, credential: &Value) -> Resp {
        self.post(
            "/credentials/verify",
            json!({"verifiableCredential": credential}),
        )
        .await
    }
}

/// Runs `$body(backend)` as two tests: `<name>::on_sqlite` and `<name>::on_postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                ($body)($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                ($body)($crate::support::Backend::Postgres).await
            }
        }
    };
}

/// The bytes of a fixture file of core/tests/fixtures.
pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("core/tests/fixtures")
            .join(rel),
    )
    .unwrap()
}

/// Sends a request built by hand (a body that is not JSON, another authentication): its
/// status and its JSON body (`Null` when it has none).
pub async fn answer(r: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = r.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A fixture file of core/tests/fixtures.
pub fn fixture(rel: &str) -> Value {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("core/tests/fixtures")
        .join(rel);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Setup token -> admin token -> institution `ase` -> its token -> achievement `gdpr-101`.
pub async fn onboard(app: &TestApp) -> (String, String) {
    let setup = app
        .setup_token
        .clone()
        .expect("first run prints a setup token");
    let admin = app
        .public()
        .post("/api/v1/setup", json!({"setupToken": setup}))
        .await
        .expect(StatusCode::CREATED)
        .text("/token");
    let as_admin = app.client(&admin);
    as_admin
        .post(
            "/api/v1/institutions",
            json!({
                "slug": "ase", "legalName": "Academia de Studii Economice a Moldovei",
                "registrationNumber": "1002600012345", "country": "MD",
                "street": "str. Bănulescu-Bodoni 61", "locality": "Chișinău", "postalCode": "MD-2005",
                "website": "https://ase.md"
            }),
        )
        .await
        .expect(StatusCode::CREATED);
    let token = as_admin
        .create_token("ase", "registrar")
        .await
        .expect(StatusCode::CREATED)
        .text("/token");
    app.client(&token)
        .create_achievement("ase", "gdpr-101")
        .await
        .expect(StatusCode::CREATED);
    (admin, token)
}

/// Issues one credential for `gdpr-101` with an idempotency key.
pub async fn issue_with_key(
    app: &TestApp,
    token: &str,
    key: &str,
    email: &str,
) -> (StatusCode, Value) {
    let r = app
        .client(token)
        .send(
            reqwest::Method::POST,
            "/api/v1/institutions/ase/credentials",
            Some(json!({
                "achievement": "gdpr-101",
                "learner": {"name": "Ana Popescu", "email": email},
                "grade": "92%",
                "activityStartDate": "2026-05-04", "activityEndDate": "2026-06-28",
                "evidence": [{"url": "https://moodle.ase.md/mod/quiz/review.php?attempt=4711", "name": "Final quiz"}]
            })),
            Some(key),
        )
        .await;
    (r.status, r.body)
}

/// A verifier running alone (its own empty SQLite), fetching did:web documents and status
/// lists over plain HTTP because the issuers under test serve HTTP on localhost.
pub async fn spawn_verifier_alone() -> (TestApp, TestDb) {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = db.config();
    config.services = microcred::Services::parse("verifier").unwrap();
    (TestApp::spawn(config).await, db)
}

/// The text of a page of `app` (e.g. `/v/{code}`).
pub async fn page(app: &TestApp, path: &str) -> String {
    app.http
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The page `/verify` answers when `doc` is pasted into its form.
pub async fn pasted_page(app: &TestApp, doc: &Value) -> String {
    app.http
        .post(app.url("/verify"))
        .form(&[("credential", doc.to_string())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Polls `/health` of `app` every 20 ms until `work` has finished, asserting each answer is
/// 200; how many polls were made and the slowest answer.
pub async fn poll_health_while<T>(
    app: &TestApp,
    work: &[tokio::task::JoinHandle<T>],
) -> (usize, std::time::Duration) {
    let mut slowest = std::time::Duration::ZERO;
    let mut polls = 0;
    while work.iter().any(|t| !t.is_finished()) {
        let started = std::time::Instant::now();
        let r = app.http.get(app.url("/health")).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        slowest = slowest.max(started.elapsed());
        polls += 1;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    (polls, slowest)
}

/// The real `microcred serve` on a port of its own, its log appended to a file: for the tests
/// that kill the process (SIGKILL) and start it again on the same data.
pub struct Binary {
    pub port: u16,
    pub base: String,
    pub log: PathBuf,
}

impl Binary {
    /// A free port on loopback and the log file `log`; nothing runs yet.
    pub fn new(log: PathBuf) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self {
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// Starts `microcred serve` with `args` and `envs` (no `DATABASE_URL` from outside; log
    /// level info), then waits (at most a minute) until `/health` answers.
    pub async fn start(
        &self,
        args: &[&std::ffi::OsStr],
        envs: &[(&str, &str)],
    ) -> std::process::Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_microcred"))
            .args(["serve", "--bind", &format!("127.0.0.1:{}", self.port)])
            .args(args)
            .envs(envs.iter().copied())
            .env("RUST_LOG", "info")
            .env_remove("DATABASE_URL")
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = http.get(format!("{}/health", self.base)).send().await {
                if r.status().is_success() {
                    return child;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the server exited ({status}): {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "the server did not start: {}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// The one-time setup token the log names (the first start's).
    pub fn setup_token(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap();
        text.split("setup_token=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("the log names the setup token")
            .trim_matches('"')
            .to_owned()
    }
}
