//! Exports: the credential in the forms learners take elsewhere. [`badge`]: an Open Badges 3.0
//! baked badge (the signed credential inside an SVG and a PNG image, OB 3.0 §5.3 "Baked
//! Badge", <https://www.imsglobal.org/spec/ob/v3p0/#baked-badge>), for any OB3 backpack.
//! [`pdf`]: the printable A4 certificate with every EU element and the QR code.
//! [`europass`]: the European Digital Credential (ELM), uploadable and sealed, with a trusted
//! timestamp from [`timestamps`] when a timestamp authority is configured.

pub mod badge;
pub mod europass;
pub mod pdf;
pub mod timestamps;

use crate::auth::{self, Principal};
use crate::db::{self, credentials::CredentialRow};
use crate::error::IssuerError;
use crate::Issuer;

/// An export: bytes, their media type and a file name.
#[derive(Debug, Clone)]
pub struct Download {
    /// The content.
    pub bytes: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
    /// A file name for `Content-Disposition`.
    pub file_name: String,
}

/// The forms a credential can be downloaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The signed credential (W3C VC 2.0 / OB 3.0 JSON).
    Json,
    /// An SVG badge with the credential baked in.
    BadgeSvg,
    /// A PNG badge with the credential baked in.
    BadgePng,
    /// The printable certificate, in English or Romanian.
    Pdf(&'static str),
    /// The European Digital Credential for the EU's sealing tools (`{"credential": ...}`).
    EuropassUploadable,
    /// The European Digital Credential sealed with the institution's electronic seal.
    EuropassSealed,
}

impl Format {
    /// From the file name asked for (`credential.json`, `badge.svg`, `badge.png`).
    pub fn from_file(name: &str) -> Option<Self> {
        match name {
            "credential.json" => Some(Self::Json),
            "badge.svg" => Some(Self::BadgeSvg),
            "badge.png" => Some(Self::BadgePng),
            "certificate.pdf" => Some(Self::Pdf("en")),
            "certificate-ro.pdf" => Some(Self::Pdf("ro")),
            "europass.json" => Some(Self::EuropassUploadable),
            "europass-sealed.jsonld" => Some(Self::EuropassSealed),
            _ => None,
        }
    }
}

/// `cred` in `format`.
pub async fn export(
    app: &Issuer,
    cred: &CredentialRow,
    format: Format,
) -> Result<Download, IssuerError> {
    let code = &cred.code;
    let logo = match format {
        Format::Pdf(_) | Format::EuropassUploadable | Format::EuropassSealed => {
            let mut c = app.db.read().await?;
            crate::institutions::logo::logo_png(&mut c, &cred.institution_id).await?
        }
        _ => None,
    };
    let logo = logo.as_deref();
    Ok(match format {
        Format::Json => Download {
            bytes: cred.document.clone().into_bytes(),
            content_type: "application/vc+ld+json",
            file_name: format!("credential-{code}.json"),
        },
        Format::BadgeSvg => Download {
            bytes: badge::baked_svg(app, cred)?.into_bytes(),
            content_type: "image/svg+xml",
            file_name: format!("badge-{code}.svg"),
        },
        Format::BadgePng => Download {
            bytes: badge::baked_png(app, cred)?,
            content_type: "image/png",
            file_name: format!("badge-{code}.png"),
        },
        Format::Pdf(lang) => Download {
            bytes: pdf::certificate(app, cred, lang, logo)?,
            content_type: "application/pdf",
            file_name: format!("certificate-{code}-{lang}.pdf"),
        },
        Format::EuropassUploadable => Download {
            bytes: europass::uploadable(app, cred, logo)?,
            content_type: "application/json",
            file_name: format!("europass-{code}.json"),
        },
        Format::EuropassSealed => Download {
            bytes: europass::sealed(app, cred, logo).await?,
            content_type: "application/ld+json",
            file_name: format!("europass-sealed-{code}.jsonld"),
        },
    })
}

/// One of the institution's credentials, by code, in the form named by `file`.
pub async fn institution_export(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    code: &str,
    file: &str,
) -> Result<Download, IssuerError> {
    let format = Format::from_file(file).ok_or_else(|| {
        IssuerError::not_found(format!(
            "export `{file}` (credential.json, badge.svg, badge.png, certificate.pdf, certificate-ro.pdf, europass.json, europass-sealed.jsonld)"
        ))
    })?;
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    let cred = db::credentials::find_institution_credential(&mut c, &inst.id, code)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("credential `{code}`")))?;
    drop(c);
    export(app, &cred, format).await
}
