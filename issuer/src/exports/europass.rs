//! Europass: the credential as a European Digital Credential (ELM v3, see
//! `microcred_core::elm`), in the two forms Europass users need - the *uploadable* form
//! `{"credential": {...}}` that the EU's EDC issuing tools accept for sealing, and, when the
//! institution has uploaded its electronic seal, the *sealed* form (JAdES baseline B, or
//! baseline T with a timestamp from the configured timestamp authority) that Europass wallets
//! store. A credential that is revoked, suspended or superseded is not sealed.

use microcred_core::elm::{edc, EdcInput};
use microcred_core::model::MicroCredential;
use time::OffsetDateTime;

use crate::db::credentials::CredentialRow;
use crate::error::IssuerError;
use crate::institutions::eseal;
use crate::Issuer;

/// The European Digital Credential of `cred`, before sealing.
/// `logo` is the institution's logo (PNG), shown as the awarding body's.
pub fn credential(
    app: &Issuer,
    cred: &CredentialRow,
    logo: Option<&[u8]>,
) -> Result<serde_json::Value, IssuerError> {
    let doc: serde_json::Value = serde_json::from_str(&cred.document)
        .map_err(|e| IssuerError::stored(format!("credential {} (document)", cred.code), e))?;
    let model = MicroCredential::from_json(&doc)
        .map_err(|e| IssuerError::stored(format!("credential {} (model)", cred.code), e))?;
    let url = app.urls.verification_page(&cred.code);
    let png = microcred_core::qr::png(&url);
    Ok(edc(
        &model,
        &EdcInput {
            code: &cred.code,
            verification_url: &url,
            learner_email: cred.learner_email.as_deref(),
            display_png: &png,
            logo_png: logo,
        },
    ))
}

/// The uploadable form: `{"credential": ...}`.
pub fn uploadable(
    app: &Issuer,
    cred: &CredentialRow,
    logo: Option<&[u8]>,
) -> Result<Vec<u8>, IssuerError> {
    let v = serde_json::json!({ "credential": credential(app, cred, logo)? });
    Ok(serde_json::to_vec_pretty(&v).expect("JSON"))
}

/// The sealed form, sealed now with the institution's electronic seal.
pub async fn sealed(
    app: &Issuer,
    cred: &CredentialRow,
    logo: Option<&[u8]>,
) -> Result<Vec<u8>, IssuerError> {
    if cred.state != "active" {
        return Err(IssuerError::conflict(format!(
            "credential {} is {}: a sealed Europass credential is made only of an active one",
            cred.code, cred.state
        )));
    }
    let mut c = app.db.read().await?;
    let key = eseal::seal_key(app, &mut c, &cred.institution_id)
        .await?
        .ok_or_else(|| {
            IssuerError::not_found(
                "a sealed Europass credential: the institution has not uploaded its electronic seal (the uploadable form, europass.json, can be sealed with the EU's EDC tools)",
            )
        })?;
    drop(c);
    let now = OffsetDateTime::now_utc();
    let mut sealed =
        microcred_core::jades::seal(&credential(app, cred, logo)?, &key, now).map_err(|e| {
            IssuerError::conflict(format!(
                "the institution's electronic seal cannot seal now: {e}; it must upload a valid certificate"
            ))
        })?;
    // Baseline T: a trusted time for the seal, from the configured timestamp authority.
    if let Some(tsa) = &app.tsa {
        let input = microcred_core::jades::signature_timestamp_input(&sealed)
            .expect("a seal has a signature")
            .to_owned();
        let token = tsa.stamp(input.as_bytes()).await?;
        microcred_core::jades::add_signature_timestamp(&mut sealed, &token);
    }
    Ok(serde_json::to_vec(&sealed).expect("JSON"))
}
