//! QR codes (ISO/IEC 18004) of verification URLs, as SVG and PNG, error-correction level M.
//!
//! When the public URL has no path, the URL is written in upper case (`HTTPS://HOST/V/CODE`:
//! scheme and host are case-insensitive, and codes are upper case) so that the QR encoder can
//! use the alphanumeric mode and the code stays small (version 3-4 for a typical host).

use crate::urls::PublicUrls;
use qrcode::{EcLevel, QrCode};

/// The URL to put in the QR code for `code`: the verification page, upper-cased when the
/// base URL has no path (the `/V/{code}` route serves it; [`PublicUrls::parse_verification_page`]
/// reads either case back).
pub fn qr_url(urls: &PublicUrls, code: &str) -> String {
    let url = urls.verification_page(code);
    let has_path = urls
        .base()
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        url
    } else {
        url.to_uppercase()
    }
}

fn qr(url: &str) -> QrCode {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .expect("a short URL fits in a QR code")
}

/// The QR code as an SVG document.
pub fn svg(url: &str) -> String {
    qr(url)
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build()
}

/// The QR code as a PNG image.
pub fn png(url: &str) -> Vec<u8> {
    let img = qr(url)
        .render::<image::Luma<u8>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encoding to memory");
    out.into_inner()
}

/// The QR version (size) used for `url`: 1-40.
pub fn version(url: &str) -> i16 {
    match qr(url).version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typical_verification_url_fits_a_small_qr_code() {
        let urls = PublicUrls::new("https://credentials.example.md");
        let url = qr_url(&urls, "7K3M9QW2XH4P8RTV");
        assert_eq!(url, "HTTPS://CREDENTIALS.EXAMPLE.MD/V/7K3M9QW2XH4P8RTV");
        assert!(version(&url) <= 4, "version {}", version(&url));
        assert_eq!(
            urls.parse_verification_page(&url).as_deref(),
            Some("7K3M9QW2XH4P8RTV"),
            "the upper-cased URL reads back to the same page"
        );
        assert_eq!(
            qr_url(&PublicUrls::new("https://example.org/credentials"), "ABC"),
            "https://example.org/credentials/v/ABC"
        );
    }
}
