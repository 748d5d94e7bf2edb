//! The issuer's background work, run by every instance (they coordinate through the
//! database: leases on inbox items and messages, a compare-and-set on each connection's next
//! poll, a lease on each bulk job): the trigger worker (every second), the Moodle poll
//! scheduler (every 15 seconds), the mailer (every 5 seconds), webhook deliveries (every 2
//! seconds) and bulk jobs whose worker stopped (every second). A failing pass is
//! logged and the next one runs anyway.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::notifications::mailer::{self, Mailer};
use crate::triggers::{poll, worker};
use crate::Issuer;

async fn every<F, Fut>(period: Duration, what: &'static str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, crate::IssuerError>>,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Keep going while there is work, so a backlog drains at full speed.
        loop {
            match f().await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!(job = what, error = %e, "background job failed; retrying at the next tick");
                    break;
                }
            }
        }
    }
}

/// Runs the background jobs until the returned future is dropped. Without a mailer, messages
/// stay queued in the outbox.
pub async fn run(app: Issuer, mailer: Option<Mailer>) {
    let w = app.clone();
    let p = app.clone();
    let h = app.clone();
    let b = app.clone();
    let bulk = every(Duration::from_secs(1), "bulk jobs", move || {
        let a = b.clone();
        async move { crate::issuance::bulk::run::run_due(&a).await }
    });
    let http = crate::notifications::webhooks::client(app.insecure_outbound);
    let hooks = every(Duration::from_secs(2), "webhooks", move || {
        let a = h.clone();
        let http = http.clone();
        async move { crate::notifications::webhooks::deliver_due(&a, &http).await }
    });
    let worker = every(Duration::from_secs(1), "trigger worker", move || {
        let a = w.clone();
        async move { worker::run_due(&a).await }
    });
    let polls = every(Duration::from_secs(15), "Moodle poll", move || {
        let a = p.clone();
        async move { poll::poll_due(&a).await.map(|_| 0) }
    });
    match mailer {
        Some(m) => {
            let mail = every(Duration::from_secs(5), "mailer", move || {
                let a = app.clone();
                let m = m.clone();
                async move { mailer::deliver_due(&a, &m).await }
            });
            tokio::join!(worker, polls, mail, hooks, bulk);
        }
        None => {
            tokio::join!(worker, polls, hooks, bulk);
        }
    }
}

/// What a task spawned for a request returned; a panic in it goes on in the caller, as if the
/// work had run there (tokio would otherwise turn it into an error value).
pub async fn joined<T>(task: JoinHandle<T>) -> T {
    task.await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}
