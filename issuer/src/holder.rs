//! The learner's private page for one credential, reached from the link in their e-mail
//! (`/holder/{code}/{token}`, the token an HMAC of the credential's key under a key derived
//! from the master key): the credential's state, its verification link to share, and the
//! downloads of `exports` (the signed credential for a wallet, baked Open Badges images).

use crate::db::{self, credentials::CredentialRow};
use crate::error::IssuerError;
use crate::Issuer;

/// What the private page shows.
#[derive(Debug, Clone)]
pub struct Holding {
    /// The stored credential.
    pub credential: CredentialRow,
    /// The title (English).
    pub title: String,
    /// The institution's legal name.
    pub institution: String,
    /// The page to share.
    pub verification_url: String,
    /// The downloads: (label, link).
    pub downloads: Vec<(&'static str, String)>,
}

/// The credential behind a private link, if the token is right (else "not found", the same
/// answer as for an unknown code, so a wrong token reveals nothing).
pub async fn holding(app: &Issuer, code: &str, token: &str) -> Result<Holding, IssuerError> {
    let not_found = || IssuerError::not_found("this private link");
    if !microcred_core::urls::is_code(code) || token.len() > 64 {
        return Err(not_found());
    }
    let mut c = app.db.read().await?;
    let cred = db::credentials::find_credential_by_code(&mut c, code)
        .await?
        .ok_or_else(not_found)?;
    if !app
        .master
        .is_holder_token(&cred.id, cred.holder_epoch, token)
    {
        return Err(not_found());
    }
    let inst = db::institutions::find_institution(&mut c, &cred.institution_id)
        .await?
        .ok_or_else(not_found)?;
    let doc: serde_json::Value = serde_json::from_str(&cred.document)
        .map_err(|e| IssuerError::stored(format!("credential {} (document)", cred.code), e))?;
    let achievement = &doc["credentialSubject"]["achievement"];
    let title = achievement["name"]
        .as_str()
        .unwrap_or("Micro-credential")
        .to_owned();
    let sealed_available = cred.state == "active"
        && db::institution_eseals::find_eseal(&mut c, &cred.institution_id)
            .await?
            .is_some();
    let mut h = Holding {
        title,
        institution: inst.legal_name,
        verification_url: app.urls.verification_page(&cred.code),
        downloads: vec![
            (
                "Signed credential (W3C Verifiable Credential / Open Badges 3.0, JSON) - for a wallet",
                app.urls.holder_file(&cred.code, token, "credential.json"),
            ),
            (
                "Badge image with the credential inside (PNG) - for an Open Badges backpack",
                app.urls.holder_file(&cred.code, token, "badge.png"),
            ),
            (
                "Badge image with the credential inside (SVG)",
                app.urls.holder_file(&cred.code, token, "badge.svg"),
            ),
            (
                "Printable certificate (PDF, English)",
                app.urls.holder_file(&cred.code, token, "certificate.pdf"),
            ),
            (
                "Certificat imprimabil (PDF, română)",
                app.urls.holder_file(&cred.code, token, "certificate-ro.pdf"),
            ),
            (
                "Europass: European Digital Credential (JSON) - for the EU's sealing tools",
                app.urls.holder_file(&cred.code, token, "europass.json"),
            ),
        ],
        credential: cred,
    };
    if sealed_available {
        h.downloads.insert(
            5,
            (
                "Europass: European Digital Credential sealed by the institution - for your Europass wallet",
                app.urls.holder_file(&h.credential.code, token, "europass-sealed.jsonld"),
            ),
        );
    }
    Ok(h)
}

/// The learner's private link of a credential, as it is now.
pub fn link(app: &Issuer, cred: &CredentialRow) -> String {
    app.urls.holder_page(
        &cred.code,
        &app.master.holder_token(&cred.id, cred.holder_epoch),
    )
}

/// What a registrar did to a holder link.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HolderLinkChange {
    /// Whether the old link was revoked (a new one made).
    pub revoked: bool,
    /// Whether an e-mail with the current link was queued.
    pub sent_to: Option<String>,
}

/// Revokes the learner's private link of credential `code` (a new one replaces it) and/or
/// sends the current one again, by e-mail.
pub async fn change_link(
    app: &Issuer,
    p: &crate::auth::Principal,
    inst_slug: &str,
    code: &str,
    revoke: bool,
) -> Result<HolderLinkChange, IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = crate::auth::institution_for(&mut tx, p, inst_slug).await?;
    let cred = db::credentials::find_institution_credential(&mut tx, &inst.id, code)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("credential `{code}`")))?;
    if revoke {
        db::credentials::update_holder_epoch(&mut tx, &cred.id).await?;
    }
    let sent_to = match &cred.learner_email {
        Some(email) => {
            crate::notifications::queue_issued(&mut tx, &inst, &cred, email, None).await?;
            Some(email.clone())
        }
        None => None,
    };
    tx.commit().await?;
    Ok(HolderLinkChange {
        revoked: revoke,
        sent_to,
    })
}
