//! An institution's electronic seal (eIDAS qualified certificate for electronic seals), which
//! seals its Europass credentials (JAdES, see `microcred_core::jades::seal`): upload it as a
//! PKCS#12 file or PEM text, see what its certificate says, remove it. The key and chain are
//! kept encrypted under the master key, like signing keys; the password of a PKCS#12 file is
//! used once to open it and never stored.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use microcred_core::eseal::{SealKey, SealKeyError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::{self, Principal};
use crate::db::{self, institution_eseals::EsealRow};
use crate::error::IssuerError;
use crate::Issuer;

/// Most bytes of an uploaded seal file (a PKCS#12 file with a chain is a few KiB).
pub const MAX_SEAL_FILE: usize = 64 * 1024;

/// The upload: exactly one of `pkcs12` (base64 of the `.p12`/`.pfx` file) and `pem` (the
/// certificates and the private key), with the password of the file or encrypted key.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EsealUpload {
    /// Base64 of a PKCS#12 file.
    #[serde(default)]
    pub pkcs12: Option<String>,
    /// PEM text: `CERTIFICATE` blocks and one private key.
    #[serde(default)]
    pub pem: Option<String>,
    /// Password of the PKCS#12 file or of an `ENCRYPTED PRIVATE KEY`.
    #[serde(default)]
    pub password: Option<String>,
}

/// What the institution's seal certificate says.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EsealView {
    /// JWS algorithm of the seals (RS256, PS256, ES256).
    pub algorithm: String,
    /// The certificate's subject.
    pub subject: String,
    /// Organisation (`O`), the issuer Europass shows.
    pub organisation: String,
    /// `organizationIdentifier`, the issuer's eIDAS legal identifier.
    pub organisation_identifier: String,
    /// The trust service provider that issued the certificate.
    pub certificate_issuer: String,
    /// Validity.
    pub not_before: String,
    /// Validity.
    pub not_after: String,
    /// The certificate says it is a qualified certificate for electronic seals.
    pub qualified: bool,
    /// SHA-256 of the certificate.
    pub fingerprint: String,
    /// When it was uploaded, and by whom.
    pub uploaded_at: String,
    /// The API token's label.
    pub uploaded_by: String,
}

fn view(r: &EsealRow) -> EsealView {
    EsealView {
        algorithm: r.algorithm.clone(),
        subject: r.subject.clone(),
        organisation: r.organisation.clone(),
        organisation_identifier: r.organisation_identifier.clone(),
        certificate_issuer: r.certificate_issuer.clone(),
        not_before: db::rfc3339(r.not_before),
        not_after: db::rfc3339(r.not_after),
        qualified: r.qualified != 0,
        fingerprint: r.fingerprint.clone(),
        uploaded_at: db::rfc3339(r.uploaded_at),
        uploaded_by: r.uploaded_by.clone(),
    }
}

fn refused(path: &str, e: SealKeyError) -> IssuerError {
    IssuerError::invalid("eseal", path, e.to_string())
}

/// Reads the upload into a seal key, checked as of `now`.
pub fn parse_upload(u: &EsealUpload, now: OffsetDateTime) -> Result<SealKey, IssuerError> {
    match (&u.pkcs12, &u.pem) {
        (Some(b64), None) => {
            let bytes = STANDARD
                .decode(b64.trim().replace(['\n', '\r'], ""))
                .map_err(|_| {
                    IssuerError::invalid(
                        "eseal",
                        "/pkcs12",
                        "is not base64 (encode the .p12 file, e.g. `base64 -w0 seal.p12`)",
                    )
                })?;
            if bytes.len() > MAX_SEAL_FILE {
                return Err(IssuerError::invalid(
                    "eseal",
                    "/pkcs12",
                    format!("is larger than {MAX_SEAL_FILE} bytes"),
                ));
            }
            SealKey::from_pkcs12(&bytes, u.password.as_deref().unwrap_or(""), now)
                .map_err(|e| refused("/pkcs12", e))
        }
        (None, Some(pem)) => {
            if pem.len() > MAX_SEAL_FILE {
                return Err(IssuerError::invalid(
                    "eseal",
                    "/pem",
                    format!("is longer than {MAX_SEAL_FILE} characters"),
                ));
            }
            SealKey::from_pem(pem.as_bytes(), u.password.as_deref(), now)
                .map_err(|e| refused("/pem", e))
        }
        _ => Err(IssuerError::invalid(
            "eseal",
            "",
            "give exactly one of `pkcs12` (base64 of the .p12 file) and `pem`",
        )),
    }
}

/// Stores the institution's seal (replacing the one it had) and says what its certificate says.
pub async fn upload(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    u: &EsealUpload,
) -> Result<EsealView, IssuerError> {
    let now = OffsetDateTime::now_utc();
    let key = parse_upload(u, now)?;
    let h = key.holder();
    let row = EsealRow {
        institution_id: String::new(),
        material_encrypted: app.master.encrypt(key.to_storage().as_bytes()),
        algorithm: key.algorithm().to_owned(),
        subject: h.subject.clone(),
        organisation: h.organisation.clone(),
        organisation_identifier: h.organisation_identifier.clone(),
        certificate_issuer: h.issuer.clone(),
        not_before: h.not_before.unix_timestamp(),
        not_after: h.not_after.unix_timestamp(),
        qualified: i64::from(h.qualified),
        fingerprint: h.fingerprint.clone(),
        uploaded_at: db::now(),
        uploaded_by: p.actor.label.clone(),
    };
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let row = EsealRow {
        institution_id: inst.id,
        ..row
    };
    db::institution_eseals::replace_eseal(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// What the institution's seal certificate says.
pub async fn show(app: &Issuer, p: &Principal, slug: &str) -> Result<EsealView, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    db::institution_eseals::find_eseal(&mut c, &inst.id)
        .await?
        .map(|r| view(&r))
        .ok_or_else(|| IssuerError::not_found(format!("an electronic seal of `{slug}`")))
}

/// Removes the institution's seal (Europass downloads are then unsealed only).
pub async fn remove(app: &Issuer, p: &Principal, slug: &str) -> Result<(), IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    if !db::institution_eseals::delete_eseal(&mut tx, &inst.id).await? {
        return Err(IssuerError::not_found(format!(
            "an electronic seal of `{slug}`"
        )));
    }
    tx.commit().await?;
    Ok(())
}

/// The institution's seal key, decrypted, if it has one.
pub async fn seal_key(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    institution_id: &str,
) -> Result<Option<SealKey>, IssuerError> {
    let Some(r) = db::institution_eseals::find_eseal(c, institution_id).await? else {
        return Ok(None);
    };
    let plain = app
        .master
        .decrypt(&r.material_encrypted)
        .map_err(|e| IssuerError::key(institution_id, e))?;
    let text = String::from_utf8(plain).map_err(|e| IssuerError::stored("electronic seal", e))?;
    SealKey::from_storage(&text)
        .map(Some)
        .map_err(|e| IssuerError::stored("electronic seal", e))
}
