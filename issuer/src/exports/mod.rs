//! Exports: the credential in the forms learners take elsewhere. [`badge`]: an Open Badges 3.0
//! baked badge (the signed credential inside an SVG and a PNG image, OB 3.0 §5.3 "Baked
//! Badge", <https://www.imsglobal.org/spec/ob/v3p0/#baked-badge>), for any OB3 backpack.
//! [`pdf`]: the printable A4 certificate with every EU element and the QR code. Europass
//! (ELM) joins this room next.

pub mod badge;
pub mod pdf;

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
            _ => None,
        }
    }
}

/// `cred` in `format`.
pub fn export(app: &Issuer, cred: &CredentialRow, format: Format) -> Result<Download, IssuerError> {
    let code = &cred.code;
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
            bytes: pdf::certificate(app, cred, lang)?,
            content_type: "application/pdf",
            file_name: format!("certificate-{code}-{lang}.pdf"),
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
            "export `{file}` (credential.json, badge.svg, badge.png, certificate.pdf, certificate-ro.pdf)"
        ))
    })?;
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    let cred = db::credentials::find_institution_credential(&mut c, &inst.id, code)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("credential `{code}`")))?;
    export(app, &cred, format)
}
