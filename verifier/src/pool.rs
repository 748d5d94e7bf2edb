//! Verification work off the server's async runtime: a runtime of its own (one worker per
//! CPU, threads named `microcred-verify`) runs every verification, so that canonicalisation
//! and signature checks never hold the workers that answer `/health` and the pages; a bounded
//! number of verifications may be running or waiting (beyond it: 503 with `Retry-After`), and
//! one whose caller has gone (the request timed out or was cancelled) is aborted.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// Verifications running or waiting, at most, by default.
pub const DEFAULT_MAX_QUEUED: usize = 256;

/// The pool is full: try again later.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
#[error("the verifier is busy; try again in a few seconds")]
pub struct Busy;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            )
            .thread_name("microcred-verify")
            .enable_all()
            .build()
            .expect("the verification runtime starts")
    })
}

/// The bounded pool (cheap to clone).
#[derive(Debug, Clone)]
pub struct VerifyPool {
    permits: Arc<Semaphore>,
}

impl Default for VerifyPool {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_QUEUED)
    }
}

/// Aborts the task when the caller stops waiting for it.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl VerifyPool {
    /// A pool letting `max_queued` verifications run or wait.
    pub fn new(max_queued: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_queued)),
        }
    }

    /// Runs `work` on the verification runtime; [`Busy`] when the pool is full.
    pub async fn run<F, T>(&self, work: F) -> Result<T, Busy>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.permits.clone().try_acquire_owned().map_err(|_| Busy)?;
        let task = runtime().spawn(async move {
            let _permit = permit;
            work.await
        });
        let _abort = AbortOnDrop(task.abort_handle());
        match task.await {
            Ok(v) => Ok(v),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Busy),
        }
    }
}
