//! An institution's logo, shown on its PDF certificates and, as the awarding body's `logo`
//! (ELM `MediaObject`), in its Europass credentials. Uploaded as a PNG or JPEG file; what is
//! kept is the decoded pixels re-encoded as a PNG at most [`LOGO_SIDE`] pixels on its longer
//! side, so no metadata, script or oddity of the uploaded file survives, and nothing is
//! fetched from the institution's `logoUrl` when a certificate is made.

use std::io::Cursor;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use image::{ImageFormat, ImageReader, Limits};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::{self, Principal};
use crate::db::{self, institution_logos::LogoRow};
use crate::error::IssuerError;
use crate::Issuer;

/// Most bytes of an uploaded logo file.
pub const MAX_LOGO_FILE: usize = 1024 * 1024;
/// Most pixels on either side of an uploaded logo.
pub const MAX_LOGO_PIXELS: u32 = 4096;
/// Longer side of the stored logo; larger uploads are scaled down to it.
pub const LOGO_SIDE: u32 = 512;

/// What the stored logo is.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogoView {
    /// Media type of the stored logo (always `image/png`).
    pub content_type: &'static str,
    /// Width in pixels, after scaling.
    pub width: u32,
    /// Height in pixels, after scaling.
    pub height: u32,
    /// SHA-256 (hex) of the stored PNG.
    pub sha256: String,
    /// When it was uploaded.
    pub uploaded_at: String,
    /// The API token's label.
    pub uploaded_by: String,
}

fn view(r: &LogoRow) -> LogoView {
    LogoView {
        content_type: "image/png",
        width: u32::try_from(r.width).unwrap_or(0),
        height: u32::try_from(r.height).unwrap_or(0),
        sha256: r.sha256.clone(),
        uploaded_at: db::rfc3339(r.uploaded_at),
        uploaded_by: r.uploaded_by.clone(),
    }
}

fn refused(message: impl Into<String>) -> IssuerError {
    IssuerError::invalid("logo", "", message)
}

/// A normalised logo: PNG bytes and their size in pixels.
#[derive(Debug, Clone)]
pub struct Logo {
    /// The PNG.
    pub png: Vec<u8>,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Reads an uploaded PNG or JPEG file (the format is read from its bytes, not from the
/// request's media type) into a normalised logo. Refuses, saying why, a file that is empty,
/// too large, of another format, broken, or more than [`MAX_LOGO_PIXELS`] on a side.
pub fn normalise(bytes: &[u8]) -> Result<Logo, IssuerError> {
    if bytes.is_empty() {
        return Err(refused(
            "the request has no body: send the PNG or JPEG file itself (curl -T logo.png)",
        ));
    }
    if bytes.len() > MAX_LOGO_FILE {
        return Err(refused(format!(
            "the file is {} bytes; a logo may be at most {MAX_LOGO_FILE} bytes",
            bytes.len()
        )));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| refused(format!("the file cannot be read: {e}")))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        Some(other) => {
            return Err(refused(format!(
                "the file is {} ({}); a logo must be a PNG or JPEG image",
                other.to_mime_type(),
                other.extensions_str().first().copied().unwrap_or("?")
            )))
        }
        None => {
            return Err(refused(
                "the file is not an image this service reads; a logo must be a PNG or JPEG image",
            ))
        }
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_LOGO_PIXELS);
    limits.max_image_height = Some(MAX_LOGO_PIXELS);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => refused(format!(
            "the image is larger than {MAX_LOGO_PIXELS}×{MAX_LOGO_PIXELS} pixels; scale it down"
        )),
        e => refused(format!("the image is broken: {e}")),
    })?;
    let img = if img.width() > LOGO_SIDE || img.height() > LOGO_SIDE {
        img.thumbnail(LOGO_SIDE, LOGO_SIDE)
    } else {
        img
    };
    let img = image::DynamicImage::ImageRgba8(img.to_rgba8());
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| IssuerError::internal("the institution's logo (PNG)", e))?;
    Ok(Logo {
        png,
        width: img.width(),
        height: img.height(),
    })
}

/// Stores the institution's logo (replacing the one it had) and says what was stored.
pub async fn upload(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    bytes: &[u8],
) -> Result<LogoView, IssuerError> {
    let logo = normalise(bytes)?;
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let row = LogoRow {
        institution_id: inst.id,
        png_base64: STANDARD.encode(&logo.png),
        width: i64::from(logo.width),
        height: i64::from(logo.height),
        sha256: hex::encode(Sha256::digest(&logo.png)),
        uploaded_at: db::now(),
        uploaded_by: p.actor.label.clone(),
    };
    db::institution_logos::replace_logo(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// The institution's stored logo (PNG bytes).
pub async fn show(app: &Issuer, p: &Principal, slug: &str) -> Result<Vec<u8>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    logo_png(&mut c, &inst.id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("a logo of `{slug}`")))
}

/// Removes the institution's logo (certificates are then made without one).
pub async fn remove(app: &Issuer, p: &Principal, slug: &str) -> Result<(), IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    if !db::institution_logos::delete_logo(&mut tx, &inst.id).await? {
        return Err(IssuerError::not_found(format!("a logo of `{slug}`")));
    }
    tx.commit().await?;
    Ok(())
}

/// The institution's logo as PNG bytes, if it has one.
pub async fn logo_png(
    c: &mut sqlx::AnyConnection,
    institution_id: &str,
) -> Result<Option<Vec<u8>>, IssuerError> {
    let Some(r) = db::institution_logos::find_logo(c, institution_id).await? else {
        return Ok(None);
    };
    STANDARD
        .decode(&r.png_base64)
        .map(Some)
        .map_err(|e| IssuerError::stored(format!("logo of institution {institution_id}"), e))
}
