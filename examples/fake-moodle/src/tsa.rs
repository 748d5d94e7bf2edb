//! A local RFC 3161 timestamp authority for tests and the Europass walk: an HTTP endpoint
//! (`POST /`, `application/timestamp-query` -> `application/timestamp-reply`, RFC 3161 §3.4)
//! whose answers are made by OpenSSL's own TSA (`openssl ts -reply`) - an implementation
//! independent of the one microcred checks tokens with. Its certificate is self-signed,
//! made on start with `openssl req`, with the critical `timeStamping` extended key usage RFC
//! 3161 §2.3 requires. It can be told to fail (`set_failing`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

/// The key the TSA signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsaKey {
    /// RSA 2048, PKCS#1 v1.5 with SHA-256.
    Rsa,
    /// ECDSA P-256 with SHA-256.
    P256,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    failing: AtomicBool,
    next: AtomicU64,
    requests: AtomicU64,
}

/// A running fake TSA.
#[derive(Debug, Clone)]
pub struct FakeTsa {
    inner: Arc<Inner>,
    /// Where it listens.
    pub addr: SocketAddr,
}

fn openssl(args: &[&str], dir: &Path) -> std::io::Result<Vec<u8>> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(out.stdout)
}

const REQ_CONFIG: &str = "[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = microcred test TSA
O = microcred tests
C = MD
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
";

fn tsa_config(dir: &Path) -> String {
    format!(
        "[tsa]
default_tsa = tsa1
[tsa1]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.3161
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 3
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
",
        dir = dir.display()
    )
}

impl FakeTsa {
    /// Makes the TSA's key and certificate (OpenSSL must be installed) and serves it on
    /// `addr`.
    pub async fn serve(addr: SocketAddr, key: TsaKey) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "microcred-fake-tsa-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("req.cnf"), REQ_CONFIG)?;
        std::fs::write(dir.join("tsa.cnf"), tsa_config(&dir))?;
        std::fs::write(dir.join("serial"), "01\n")?;
        let newkey: &[&str] = match key {
            TsaKey::Rsa => &["-newkey", "rsa:2048"],
            TsaKey::P256 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        };
        let mut args = vec![
            "req", "-x509", "-config", "req.cnf", "-nodes", "-days", "30",
        ];
        args.extend_from_slice(newkey);
        args.extend_from_slice(&["-keyout", "tsa.key", "-out", "tsa.crt"]);
        openssl(&args, &dir)?;
        let inner = Arc::new(Inner {
            dir,
            failing: AtomicBool::new(false),
            next: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/", post(stamp))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { inner, addr })
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The TSA's certificate (PEM).
    pub fn certificate_pem(&self) -> String {
        std::fs::read_to_string(self.inner.dir.join("tsa.crt")).unwrap_or_default()
    }

    /// From now on, answer every request with HTTP 503 (`true`) or normally (`false`).
    pub fn set_failing(&self, failing: bool) {
        self.inner.failing.store(failing, Ordering::SeqCst);
    }

    /// How many timestamp requests it has answered with a token.
    pub fn tokens_issued(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

async fn stamp(State(inner): State<Arc<Inner>>, query: Bytes) -> Response {
    if inner.failing.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the fake TSA is told to fail",
        )
            .into_response();
    }
    let n = inner.next.fetch_add(1, Ordering::SeqCst);
    let dir = inner.dir.clone();
    let made = tokio::task::spawn_blocking(move || {
        let q = format!("q{n}.tsq");
        let r = format!("r{n}.tsr");
        std::fs::write(dir.join(&q), &query)?;
        openssl(
            &[
                "ts",
                "-reply",
                "-config",
                "tsa.cnf",
                "-queryfile",
                &q,
                "-out",
                &r,
            ],
            &dir,
        )?;
        let reply = std::fs::read(dir.join(&r))?;
        let _ = std::fs::remove_file(dir.join(&q));
        let _ = std::fs::remove_file(dir.join(&r));
        Ok::<_, std::io::Error>(reply)
    })
    .await;
    match made {
        Ok(Ok(reply)) => {
            inner.requests.fetch_add(1, Ordering::SeqCst);
            (
                [(header::CONTENT_TYPE, "application/timestamp-reply")],
                reply,
            )
                .into_response()
        }
        Ok(Err(e)) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
