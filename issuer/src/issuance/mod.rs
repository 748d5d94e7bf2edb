//! Issuance: the one signing pipeline ([`pipeline`]) and the entry points that only build an
//! issue command for it - one credential, idempotent ([`single`]); many from a CSV file
//! ([`bulk`]); a whole document given by the caller (W3C VC-API, [`vc_api`]).

pub mod bulk;
pub mod pipeline;
pub mod single;
pub mod vc_api;

use serde::Serialize;

use crate::auth::{self, Principal};
use crate::db::{self, credentials::CredentialRow};
use crate::error::IssuerError;
use crate::Issuer;

/// The result of issuing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// Credential id (`urn:uuid:...`).
    pub id: String,
    /// Short public code.
    pub code: String,
    /// Public verification page (what the QR code points to).
    pub verification_url: String,
    /// QR code links.
    pub qr: QrLinks,
    /// False when an earlier credential was returned for the same idempotency key.
    pub created: bool,
    /// The signed credential.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Links to the QR code of the verification URL.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QrLinks {
    /// SVG.
    pub svg: String,
    /// PNG.
    pub png: String,
}

/// The API's view of a stored credential.
pub fn issued(app: &Issuer, row: &CredentialRow, created: bool) -> Result<Issued, IssuerError> {
    Ok(Issued {
        id: row.vc_id.clone(),
        code: row.code.clone(),
        verification_url: app.urls.verification_page(&row.code),
        qr: QrLinks {
            svg: app.urls.qr_svg(&row.code),
            png: app.urls.qr_png(&row.code),
        },
        created,
        credential: serde_json::from_str(&row.document)
            .map_err(|e| IssuerError::stored(format!("credential {} (document)", row.code), e))?,
    })
}

/// An institution's credentials, newest first (at most `limit`, 1-500).
pub async fn list_credentials(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    limit: i64,
) -> Result<Vec<Issued>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    db::credentials::list_credentials(&mut c, &inst.id, limit.clamp(1, 500))
        .await?
        .iter()
        .map(|r| issued(app, r, false))
        .collect()
}
