#![allow(missing_docs)]
//! A running server on a fresh database (SQLite file or PostgreSQL), and the `both_backends!`
//! macro that runs one test body on each.

use std::path::PathBuf;

use microcred::{Application, Config};

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

    /// Drops the PostgreSQL database and the data folder.
    pub async fn cleanup(self) {
        if let Some(name) = self.pg_name {
            if let Ok(mut c) =
                <sqlx::AnyConnection as sqlx::Connection>::connect(&postgres_admin_url()).await
            {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await;
            }
        }
        let _ = std::fs::remove_dir_all(self.data_dir);
    }

    pub fn config(&self) -> Config {
        let mut c = Config::local(self.data_dir.clone());
        c.bind = "127.0.0.1:0".parse().unwrap();
        c.database_url = self.url.clone();
        c.rate_limit_per_minute = 100_000;
        c
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
