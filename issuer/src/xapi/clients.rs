//! The credentials an institution gives its xAPI sources: a user name and a secret for HTTP
//! Basic authentication (RFC 7617), as xAPI Communication §4 "Authentication" allows and
//! Moodle's logstore_xapi sends. The secret is shown once and stored as a SHA-256 hash (it is
//! 256 random bits); a client is revoked, never deleted, so stored statements keep naming it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Principal};
use crate::db::{self, xapi_clients::XapiClientRow};
use crate::domain::values::Label;
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// Wire form of a new client.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewClientRequest {
    /// What the source is, e.g. `Moodle logstore_xapi`.
    pub label: String,
}

/// A client as the API shows it (the secret only when it is made).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    /// Its id.
    pub id: String,
    /// What the source is.
    pub label: String,
    /// The LRS endpoint to configure in the source.
    pub endpoint: String,
    /// The Basic-auth user name (Moodle: "Username / key").
    pub username: String,
    /// The Basic-auth password (Moodle: "Password / secret"): shown only now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// When it was made.
    pub created_at: String,
    /// When it was last used.
    pub last_used_at: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<String>,
}

fn view(app: &Issuer, r: &XapiClientRow, secret: Option<String>) -> ClientView {
    ClientView {
        id: r.id.clone(),
        label: r.label.clone(),
        endpoint: format!("{}/xapi/", app.urls.base()),
        username: r.username.clone(),
        secret,
        created_at: db::rfc3339(r.created_at),
        last_used_at: r.last_used_at.map(db::rfc3339),
        revoked_at: r.revoked_at.map(db::rfc3339),
    }
}

/// Makes a client for the institution `slug`.
pub async fn create(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    r: NewClientRequest,
) -> Result<ClientView, IssuerError> {
    let label = Label::parse(&r.label)?;
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let id = secrets::new_id();
    let secret = secrets::new_token().replacen("mc_", "xs_", 1);
    let row = XapiClientRow {
        username: format!("xapi_{}", &id.replace('-', "")[..20]),
        id,
        institution_id: inst.id,
        label: label.as_str().to_owned(),
        secret_hash: secrets::hash_token(&secret),
        created_at: db::now(),
        last_used_at: None,
        revoked_at: None,
    };
    db::xapi_clients::insert_xapi_client(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(view(app, &row, Some(secret)))
}

/// The institution's clients.
pub async fn list(app: &Issuer, p: &Principal, slug: &str) -> Result<Vec<ClientView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    Ok(db::xapi_clients::list_xapi_clients(&mut c, &inst.id)
        .await?
        .iter()
        .map(|r| view(app, r, None))
        .collect())
}

/// Revokes a client: it answers 401 from now on; its statements stay.
pub async fn revoke(app: &Issuer, p: &Principal, slug: &str, id: &str) -> Result<(), IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    if !db::xapi_clients::revoke_xapi_client(&mut tx, &inst.id, id, db::now()).await? {
        return Err(IssuerError::not_found(format!("live xAPI client `{id}`")));
    }
    tx.commit().await?;
    Ok(())
}

/// The client an `Authorization: Basic ...` header names, if its secret is right.
pub async fn authenticate(
    app: &Issuer,
    header: Option<&str>,
) -> Result<XapiClientRow, IssuerError> {
    let wrong = || IssuerError::unauthorized("unknown xAPI client or wrong secret");
    let header = header.ok_or_else(|| {
        IssuerError::unauthorized("send `Authorization: Basic` with the user name and secret of an xAPI client of the institution")
    })?;
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))
        .ok_or_else(|| {
            IssuerError::unauthorized(
                "the Authorization header must be `Basic <base64 of user:secret>`",
            )
        })?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            IssuerError::unauthorized("the Basic credentials are not base64 of `user:secret`")
        })?;
    let (user, secret) = decoded.split_once(':').ok_or_else(wrong)?;
    let mut c = app.db.read().await?;
    let row = db::xapi_clients::find_live_xapi_client(&mut c, user)
        .await?
        .ok_or_else(wrong)?;
    if !secrets::same_secret(&secrets::hash_token(secret), &row.secret_hash) {
        return Err(wrong());
    }
    let now = db::now();
    if row.last_used_at.is_none_or(|t| t < now - 60) {
        db::xapi_clients::touch_xapi_client(&mut c, &row.id, now).await?;
    }
    Ok(row)
}
