//! A credential's state, its links to what it replaced and what replaced it, and every
//! change with its reason and who made it (dates in RFC 3339).

use serde::Serialize;
use sqlx::AnyConnection;

use super::credential_for;
use crate::auth::Principal;
use crate::db::{self, credential_events::CredentialEventRow, credentials::CredentialRow};
use crate::error::IssuerError;
use crate::Issuer;

/// One recorded change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// The state the credential moved to: `active`, `suspended`, `revoked`, `superseded`.
    pub action: String,
    /// Why.
    pub reason: String,
    /// Who acted (the API token's label).
    pub actor: String,
    /// The API token that acted.
    pub actor_token_id: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

impl From<CredentialEventRow> for EventView {
    fn from(e: CredentialEventRow) -> Self {
        Self {
            action: e.action,
            reason: e.reason,
            actor: e.actor,
            actor_token_id: e.actor_token,
            at: db::rfc3339(e.at),
        }
    }
}

/// A link to another credential.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    /// Its id.
    pub id: String,
    /// Its public code.
    pub code: String,
}

/// A credential's state as the institution sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialStateView {
    /// Public code.
    pub code: String,
    /// Credential id.
    pub id: String,
    /// `active`, `suspended`, `revoked` or `superseded`.
    pub state: String,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// Who issued it (the API token's label).
    pub issued_by: String,
    /// When the state last changed (RFC 3339).
    pub state_changed_at: Option<String>,
    /// Id of the credential this one renews or corrects.
    pub replaces: Option<String>,
    /// Id of the credential that renewed or corrected this one.
    pub replaced_by: Option<String>,
    /// Both links with codes.
    pub links: Links,
    /// Every change, with its reason.
    pub events: Vec<EventView>,
}

/// Links to the credentials before and after this one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Links {
    /// What this one replaced.
    pub replaces: Option<LinkView>,
    /// What replaced this one.
    pub replaced_by: Option<LinkView>,
}

async fn link(c: &mut AnyConnection, key: Option<&str>) -> Result<Option<LinkView>, IssuerError> {
    let Some(key) = key else { return Ok(None) };
    Ok(db::credentials::find_credential(c, key)
        .await?
        .map(|r| LinkView {
            id: r.vc_id,
            code: r.code,
        }))
}

/// The state view of a stored credential (inside a use case's transaction).
pub(crate) async fn credential_state(
    c: &mut AnyConnection,
    r: CredentialRow,
) -> Result<CredentialStateView, IssuerError> {
    let links = Links {
        replaces: link(c, r.replaces.as_deref()).await?,
        replaced_by: link(c, r.replaced_by.as_deref()).await?,
    };
    Ok(CredentialStateView {
        events: db::credential_events::list_credential_events(c, &r.id)
            .await?
            .into_iter()
            .map(EventView::from)
            .collect(),
        code: r.code,
        id: r.vc_id,
        state: r.state,
        issued_at: db::rfc3339(r.issued_at),
        issued_by: r.issued_by,
        state_changed_at: r.state_changed_at.map(db::rfc3339),
        replaces: links.replaces.as_ref().map(|l| l.id.clone()),
        replaced_by: links.replaced_by.as_ref().map(|l| l.id.clone()),
        links,
    })
}

/// The state and history of a credential.
pub async fn get_credential_state(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    code: &str,
) -> Result<CredentialStateView, IssuerError> {
    let mut c = app.db.read().await?;
    let (_, cred) = credential_for(&mut c, p, inst_slug, code).await?;
    credential_state(&mut c, cred).await
}
