//! Webhooks an institution registers to hear of its credentials: `credential.issued`,
//! `credential.revoked`, `credential.suspended`, `credential.active` (suspension lifted),
//! `credential.superseded`. Deliveries are queued in the transaction that causes them, POSTed as
//! JSON signed like the events we receive (`X-Microcred-Timestamp`, `X-Microcred-Signature:
//! sha256=<HMAC-SHA256 of "<timestamp>.<body>">`), in the order they happened, and retried
//! with back-off until the receiver answers 2xx (a retried delivery may then arrive after a
//! later one: each carries `X-Microcred-Delivery` and the time it happened).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::auth::{self, Principal};
use crate::db::{self, credentials::CredentialRow, institution_webhooks::WebhookRow};
use crate::error::{IssuerError, OnUnique};
use crate::{backoff, secrets, Issuer};

/// Wire form of a new webhook.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhookRequest {
    /// Where to POST (https on the public internet; see `microcred_core::outbound`).
    pub url: String,
}

/// A webhook as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    /// Its id.
    pub id: String,
    /// Where it posts.
    pub url: String,
    /// The signing secret: shown only when the webhook is registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// When it was registered.
    pub created_at: String,
}

fn view(r: &WebhookRow, secret: Option<String>) -> WebhookView {
    WebhookView {
        id: r.id.clone(),
        url: r.url.clone(),
        secret,
        created_at: db::rfc3339(r.created_at),
    }
}

fn checked_url(app: &Issuer, s: &str) -> Result<String, IssuerError> {
    let s = s.trim();
    match app.outbound_refuses(s) {
        None => Ok(s.to_owned()),
        Some(why) => Err(IssuerError::invalid("url", "/url", why)),
    }
}

/// Registers a webhook for the caller's institution.
pub async fn register(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    req: NewWebhookRequest,
) -> Result<WebhookView, IssuerError> {
    let url = checked_url(app, &req.url)?;
    let secret = secrets::new_token().replacen("mc_", "whsec_", 1);
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    let row = WebhookRow {
        id: secrets::new_id(),
        institution_id: inst.id.clone(),
        url: url.clone(),
        secret_encrypted: app.master.encrypt(secret.as_bytes()),
        created_at: db::now(),
    };
    db::institution_webhooks::insert_webhook(&mut tx, &row)
        .await
        .on_unique("url", || {
            IssuerError::conflict(format!("{url} is already registered"))
        })?;
    tx.commit().await?;
    Ok(view(&row, Some(secret)))
}

/// The institution's webhooks.
pub async fn list(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
) -> Result<Vec<WebhookView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    Ok(db::institution_webhooks::list_webhooks(&mut c, &inst.id)
        .await?
        .iter()
        .map(|r| view(r, None))
        .collect())
}

/// Removes a webhook (and what it had not yet received).
pub async fn remove(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<(), IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    if !db::institution_webhooks::delete_webhook(&mut tx, &inst.id, id).await? {
        return Err(IssuerError::not_found(format!("webhook `{id}`")));
    }
    tx.commit().await?;
    Ok(())
}

/// Queues `credential.<state>` for every webhook of the credential's institution, in `c`.
pub(crate) async fn queue(
    app: &Issuer,
    c: &mut AnyConnection,
    cred: &CredentialRow,
    state: &str,
) -> Result<(), IssuerError> {
    queue_all(app, c, &cred.institution_id, &[cred], state).await
}

/// [`queue`] for many credentials of one institution (a group, a batch): its webhooks are read
/// once, and nothing more is done when it has none.
pub(crate) async fn queue_all(
    app: &Issuer,
    c: &mut AnyConnection,
    institution_id: &str,
    creds: &[&CredentialRow],
    state: &str,
) -> Result<(), IssuerError> {
    if creds.is_empty() {
        return Ok(());
    }
    let hooks = db::institution_webhooks::list_webhook_ids(c, institution_id).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let event = format!("credential.{state}");
    let now = db::now();
    let now_ms = i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(now * 1000);
    let payloads: Vec<String> = creds
        .iter()
        .map(|cred| {
            serde_json::json!({
                "event": event,
                "credentialId": cred.vc_id,
                "code": cred.code,
                "verificationUrl": app.urls.verification_page(&cred.code),
                "learnerName": cred.learner_name,
                "at": db::rfc3339(now),
            })
            .to_string()
        })
        .collect();
    let deliveries: Vec<_> = payloads
        .iter()
        .flat_map(|payload| {
            hooks.iter().map(|h| db::webhook_deliveries::NewDelivery {
                webhook_id: h,
                event: &event,
                payload,
                at: now,
                at_ms: now_ms,
            })
        })
        .collect();
    db::webhook_deliveries::insert_deliveries(c, &deliveries).await?;
    Ok(())
}

const LEASE_SECONDS: i64 = 60;

/// Delivers what is due; how many were delivered.
pub async fn deliver_due(
    app: &Issuer,
    http: &microcred_core::outbound::Outbound,
) -> Result<usize, IssuerError> {
    let now = db::now();
    let ids = {
        let mut c = app.db.read().await?;
        db::webhook_deliveries::list_due_deliveries(&mut c, now, 20).await?
    };
    let mut delivered = 0;
    for id in ids {
        let (d, hook) = {
            let mut c = app.db.read().await?;
            let Some(d) =
                db::webhook_deliveries::claim_delivery(&mut c, &id, now, now + LEASE_SECONDS)
                    .await?
            else {
                continue;
            };
            let Some(hook) = db::institution_webhooks::find_webhook(&mut c, &d.webhook_id).await?
            else {
                continue;
            };
            (d, hook)
        };
        let secret = app
            .master
            .decrypt(&hook.secret_encrypted)
            .map_err(|e| IssuerError::stored(format!("webhook {} (secret)", hook.id), e))?;
        let secret = String::from_utf8_lossy(&secret).into_owned();
        let ts = db::now().to_string();
        let request = reqwest::Url::parse(&hook.url)
            .map_err(|e| e.to_string())
            .and_then(|u| http.post(&u).map_err(|e| e.to_string()));
        let outcome = match request {
            Err(why) => Err(why),
            Ok(request) => request
                .header("content-type", "application/json")
                .header("x-microcred-event", &d.event)
                .header("x-microcred-delivery", &d.id)
                .header("x-microcred-timestamp", &ts)
                .header(
                    "x-microcred-signature",
                    secrets::http_signature(&secret, &ts, d.payload.as_bytes()),
                )
                .body(d.payload.clone())
                .send()
                .await
                .map_err(|e| format!("{} did not answer: {e}", hook.url)),
        };
        let error = match outcome {
            Ok(r) if r.status().is_success() => None,
            Ok(r) => Some(format!(
                "{} answered HTTP {}",
                hook.url,
                r.status().as_u16()
            )),
            Err(e) => Some(e),
        };
        let mut c = app.db.read().await?;
        match error {
            None => {
                db::webhook_deliveries::mark_delivered(&mut c, &d.id, db::now()).await?;
                delivered += 1;
            }
            Some(e) => {
                tracing::warn!(webhook = %hook.url, error = %e, attempt = d.attempts, "webhook not delivered; will retry");
                let next = db::now() + backoff::delay(d.attempts, 30, 6 * 3600);
                db::webhook_deliveries::fail_delivery(&mut c, &d.id, &e, next).await?;
            }
        }
    }
    Ok(delivered)
}

/// The HTTP client deliveries use (10 s timeout; public https only unless
/// `insecure_outbound`).
pub fn client(insecure_outbound: bool) -> microcred_core::outbound::Outbound {
    microcred_core::outbound::Outbound::new(
        Duration::from_secs(10),
        concat!("microcred/", env!("CARGO_PKG_VERSION")),
        insecure_outbound,
    )
}
