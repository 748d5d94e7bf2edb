//! API tokens: authenticate a bearer token to a [`Principal`]; create (shown once), list
//! (label, created, last used - never the secret) and revoke an institution's tokens. A
//! revoked token answers 401 at once: nothing caches tokens.

use serde::Serialize;

use super::{require_platform, Access, Actor, Principal, Role, TokenScope};
use crate::db::{self, api_tokens::ApiTokenRow};
use crate::domain::values::Label;
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// Who holds this bearer token.
pub async fn authenticate(app: &Issuer, bearer: &str) -> Result<Principal, IssuerError> {
    let invalid = || IssuerError::unauthorized("the API token is not valid (or was revoked)");
    let mut c = app.db.read().await?;
    let row = db::api_tokens::find_api_token(&mut c, &secrets::hash_token(bearer))
        .await?
        .ok_or_else(invalid)?;
    let bad_row = |what: &str| {
        IssuerError::stored(
            format!("api token {} ({what})", row.id),
            format!("unknown {what}"),
        )
    };
    let scope = TokenScope::parse(&row.scope).ok_or_else(|| bad_row("scope"))?;
    let role = Role::parse(&row.role).ok_or_else(|| bad_row("role"))?;
    let access = match (scope, &row.institution_id) {
        (TokenScope::Platform, None) => Access::Platform,
        (TokenScope::Institution, Some(id)) => Access::Institution {
            institution_id: id.clone(),
            role,
        },
        _ => return Err(bad_row("scope")),
    };
    let now = db::now();
    if row.last_used_at.is_none_or(|t| t < now - 60) {
        // Only a write when the last one is a minute old: on SQLite every write waits for
        // the one writer.
        db::api_tokens::update_api_token_last_used(&mut c, &row.id, now).await?;
    }
    Ok(Principal {
        actor: Actor {
            token_id: Some(row.id),
            label: row.label,
        },
        access,
    })
}

/// A token just created: its secret is shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewToken {
    /// The token's id (to revoke it).
    pub id: String,
    /// The API token: keep it secret; it is not shown again.
    pub token: String,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// Id.
    pub id: String,
    /// What it is for.
    pub label: String,
    /// `registrar`.
    pub role: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was last used (RFC 3339; updated at most once a minute).
    pub last_used_at: Option<String>,
    /// When it was revoked (RFC 3339).
    pub revoked_at: Option<String>,
}

impl From<ApiTokenRow> for TokenView {
    fn from(r: ApiTokenRow) -> Self {
        Self {
            id: r.id,
            label: r.label,
            role: r.role,
            created_at: db::rfc3339(r.created_at),
            last_used_at: r.last_used_at.map(db::rfc3339),
            revoked_at: r.revoked_at.map(db::rfc3339),
        }
    }
}

/// Creates an API token for an institution (administrator only).
pub async fn create_institution_token(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    label: &str,
) -> Result<NewToken, IssuerError> {
    require_platform(p)?;
    let label = Label::parse(label)?;
    let mut tx = app.db.write().await?;
    let inst = super::institution_for(&mut tx, p, slug).await?;
    let token = secrets::new_token();
    let id = secrets::new_id();
    db::api_tokens::insert_api_token(
        &mut tx,
        &ApiTokenRow {
            id: id.clone(),
            token_hash: secrets::hash_token(&token),
            scope: TokenScope::Institution.as_str().into(),
            institution_id: Some(inst.id),
            role: Role::Registrar.as_str().into(),
            label: label.as_str().to_owned(),
            created_at: db::now(),
            last_used_at: None,
            revoked_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(NewToken { id, token })
}

/// An institution's tokens (administrator only).
pub async fn list_institution_tokens(
    app: &Issuer,
    p: &Principal,
    slug: &str,
) -> Result<Vec<TokenView>, IssuerError> {
    require_platform(p)?;
    let mut c = app.db.read().await?;
    let inst = super::institution_for(&mut c, p, slug).await?;
    Ok(db::api_tokens::list_api_tokens(&mut c, &inst.id)
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect())
}

/// Revokes one of an institution's tokens (administrator only); it answers 401 from now on.
pub async fn revoke_institution_token(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    token_id: &str,
) -> Result<(), IssuerError> {
    require_platform(p)?;
    let mut tx = app.db.write().await?;
    let inst = super::institution_for(&mut tx, p, slug).await?;
    if !db::api_tokens::revoke_api_token(&mut tx, &inst.id, token_id, db::now()).await? {
        return Err(IssuerError::not_found(format!("live token `{token_id}`")));
    }
    tx.commit().await?;
    Ok(())
}
