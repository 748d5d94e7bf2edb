//! What the issuer publishes for other services (the verifier, through traits the binary
//! wires): a credential by its public code with its state and replacement, our
//! institutions' DID documents and registered details, and our status lists.

use microcred_core::did::DidDocument;
use microcred_core::model::Did;

use crate::db;
use crate::domain::institution::InstitutionView;
use crate::error::IssuerError;
use crate::lifecycle::state::CredentialState;
use crate::{institutions, status_lists, Issuer};

/// A credential as the public page may show it.
#[derive(Debug, Clone)]
pub struct PublishedCredential {
    /// The signed credential.
    pub document: serde_json::Value,
    /// Its state.
    pub state: CredentialState,
    /// When its state last changed, Unix seconds.
    pub state_changed_at: Option<i64>,
    /// The public code of the credential that superseded it.
    pub replaced_by_code: Option<String>,
    /// Its institution's registered details (never text taken from the credential).
    pub issuer: InstitutionView,
}

/// The credential with this public code.
pub async fn credential_by_code(
    app: &Issuer,
    code: &str,
) -> Result<Option<PublishedCredential>, IssuerError> {
    let mut c = app.db.read().await?;
    let Some(row) = db::credentials::find_credential_by_code(&mut c, code).await? else {
        return Ok(None);
    };
    let inst = db::institutions::find_institution(&mut c, &row.institution_id)
        .await?
        .ok_or_else(|| {
            IssuerError::stored(format!("credential {code} (institution)"), "missing")
        })?;
    let replaced_by_code = match &row.replaced_by {
        Some(key) => db::credentials::find_credential(&mut c, key)
            .await?
            .map(|r| r.code),
        None => None,
    };
    Ok(Some(PublishedCredential {
        document: serde_json::from_str(&row.document)
            .map_err(|e| IssuerError::stored(format!("credential {code} (document)"), e))?,
        state: crate::lifecycle::state_of(&row)?,
        state_changed_at: row.state_changed_at,
        replaced_by_code,
        issuer: institutions::view(app, &inst),
    }))
}

/// The registered details of the institution whose DID this is, if it is one of ours.
pub async fn registered_issuer(
    app: &Issuer,
    did: &Did,
) -> Result<Option<InstitutionView>, IssuerError> {
    let Some(slug) = app.urls.parse_institution_did(did) else {
        return Ok(None);
    };
    let mut c = app.db.read().await?;
    Ok(db::institutions::find_institution_by_slug(&mut c, &slug)
        .await?
        .map(|r| institutions::view(app, &r)))
}

/// The DID document for one of our own DIDs (no HTTP to ourselves).
pub async fn own_did_document(app: &Issuer, did: &Did) -> Result<Option<DidDocument>, IssuerError> {
    institutions::keys::resolve_own_did(app, did).await
}

/// The status list credential at one of our own URLs.
pub async fn own_status_list(
    app: &Issuer,
    url: &str,
) -> Result<Option<serde_json::Value>, IssuerError> {
    status_lists::own_list(app, url).await
}
