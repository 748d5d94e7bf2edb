//! Signing off the async runtime: canonicalisation (RDFC-1.0 or JCS) and the Ed25519
//! signature of every credential and status list run on tokio's blocking pool, at most one per
//! CPU at a time (further signings wait their turn), so that a bulk issue or a burst of
//! completions never holds the workers that answer `/health`, the pages and the verifier.
//! Data Integrity proofs as `microcred_core::proof::sign` makes them.

use std::sync::{Arc, OnceLock};

use microcred_core::keys::KeyPair;
use microcred_core::proof::{self, ProofOptions, SignError};
use tokio::sync::Semaphore;

fn permits() -> Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS
        .get_or_init(|| {
            Arc::new(Semaphore::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            ))
        })
        .clone()
}

/// `document` signed with `key` under `options`, computed on the blocking pool.
pub async fn sign(
    document: serde_json::Value,
    key: KeyPair,
    options: ProofOptions,
) -> Result<serde_json::Value, SignError> {
    on_pool(move || proof::sign(&document, &key, &options)).await
}

/// Runs `work` on the blocking pool once one of the permits is free (the issuing pipeline signs
/// through it with its own checks around the proof).
pub(crate) async fn on_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let permit = permits()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    crate::jobs::joined(tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    }))
    .await
}
