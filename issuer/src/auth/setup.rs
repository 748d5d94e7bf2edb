//! First-run set-up: while no administrator exists, every start prints a new one-time setup
//! token (valid 24 hours; the previous one stops working), which `POST /api/v1/setup`
//! exchanges for the platform administrator's API token.

use time::Duration;

use super::{Role, TokenScope};
use crate::db::{self, api_tokens::ApiTokenRow};
use crate::error::IssuerError;
use crate::secrets;
use crate::Issuer;

/// How long a setup token is valid.
pub const SETUP_TOKEN_LIFETIME: Duration = Duration::hours(24);

/// While set-up is pending, a new setup token (to print) replacing any earlier one;
/// afterwards `None`.
pub async fn bootstrap(app: &Issuer) -> Result<Option<String>, IssuerError> {
    let mut tx = app.db.write().await?;
    if db::platform_setup::is_platform_set_up(&mut tx).await? {
        return Ok(None);
    }
    let token = secrets::new_token();
    let now = db::now();
    let pending = db::platform_setup::upsert_platform_setup(
        &mut tx,
        &secrets::hash_token(&token),
        now,
        now + SETUP_TOKEN_LIFETIME.whole_seconds(),
    )
    .await?;
    tx.commit().await?;
    Ok(pending.then_some(token))
}

/// Exchanges the setup token for the platform administrator's API token (shown once).
pub async fn complete_setup(app: &Issuer, setup_token: &str) -> Result<String, IssuerError> {
    let mut tx = app.db.write().await?;
    let now = db::now();
    if !db::platform_setup::complete_platform_setup(&mut tx, &secrets::hash_token(setup_token), now)
        .await?
    {
        return Err(IssuerError::forbidden(
            "the setup token is wrong, expired (24 h; restart microcred for a new one) or already used",
        ));
    }
    let token = secrets::new_token();
    db::api_tokens::insert_api_token(
        &mut tx,
        &ApiTokenRow {
            id: secrets::new_id(),
            token_hash: secrets::hash_token(&token),
            scope: TokenScope::Platform.as_str().into(),
            institution_id: None,
            role: Role::Admin.as_str().into(),
            label: "platform administrator".into(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}
