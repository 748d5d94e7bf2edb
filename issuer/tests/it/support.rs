//! A fresh, migrated database per test (SQLite file or PostgreSQL database, dropped on
//! `Drop`), an issuer on it, and the institution `ase` with achievement `gdpr-101`.

use microcred_issuer::auth::{tokens, Principal};
use microcred_issuer::domain::institution::NewInstitutionDoc;
use microcred_issuer::{achievements, institutions, Issuer, IssuerConfig, MasterKey};
use sqlx::AnyPool;

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A database that is dropped with this value.
pub struct TestDb {
    pub pool: AnyPool,
    dir: std::path::PathBuf,
    pg: Option<(String, String)>,
}

fn admin_url() -> String {
    std::env::var("MICROCRED_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        sqlx::any::install_default_drivers();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("microcred-it-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (url, pg) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/test.db?mode=rwc", dir.display()), None),
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("mc_it_{id}");
                let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
                let base = admin.rsplit_once('/').unwrap().0.to_owned();
                (format!("{base}/{name}"), Some((admin, name)))
            }
        };
        let opts: sqlx::any::AnyConnectOptions = url.parse().unwrap();
        let pool = microcred_issuer::db::pool_options(backend == Backend::Sqlite)
            .connect_with(opts)
            .await
            .unwrap();
        MIGRATOR.run(&pool).await.unwrap();
        Self { pool, dir, pg }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = self.pg.take() {
            let pool = self.pool.clone();
            // Drop may run inside the test's runtime: do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(async move {
                        pool.close().await;
                        if let Ok(mut c) =
                            <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await
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

/// An issuer with institution `ase`, achievement `gdpr-101` and a registrar.
pub struct World {
    pub db: TestDb,
    pub issuer: Issuer,
    pub registrar: Principal,
}

impl World {
    pub async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        let issuer = Issuer::new(
            db.pool.clone(),
            MasterKey::generate(),
            IssuerConfig {
                public_url: "https://credentials.example.md".into(),
            },
        );
        let admin = Principal::system_admin("tests");
        let inst = NewInstitutionDoc {
            slug: "ase".into(),
            legal_name: "Academia de Studii Economice a Moldovei".into(),
            registration_number: "1002600012345".into(),
            country: "MD".into(),
            street: None,
            locality: Some("Chișinău".into()),
            postal_code: None,
            website: None,
            logo_url: None,
        }
        .parse()
        .unwrap();
        institutions::create_institution(&issuer, &admin, inst)
            .await
            .unwrap();
        let def: serde_json::Value =
            serde_json::from_str(microcred_issuer::DEMO_ACHIEVEMENT).unwrap();
        achievements::create_achievement(&issuer, &admin, "ase", "gdpr-101", &def)
            .await
            .unwrap();
        let token = tokens::create_institution_token(&issuer, &admin, "ase", "registrar Ana")
            .await
            .unwrap();
        let registrar = tokens::authenticate(&issuer, &token.token).await.unwrap();
        Self {
            db,
            issuer,
            registrar,
        }
    }

    /// `SELECT COUNT(*) FROM {table}`.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }
}

/// Runs `$body(backend)` as `<name>::on_sqlite` and `<name>::on_postgres`.
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
