//! Open Badges 3.0 baked badges (OB 3.0 §5.3, <https://www.imsglobal.org/spec/ob/v3p0/#baked-badge>):
//! the signed credential (embedded proof, so its JSON) in an SVG - `xmlns:openbadges=
//! "https://purl.imsglobal.org/ob/v3p0"` and one `<openbadges:credential>` right after the
//! `<svg>` tag, the JSON in CDATA - and in a PNG - one uncompressed `iTXt` chunk with the
//! keyword `openbadgecredential` (PNG, W3C REC §11.3.4.5). The SVG image shows the title, the
//! awarding body and the EQF level; the PNG image is the QR code of the verification page.

use crate::db::credentials::CredentialRow;
use crate::error::IssuerError;
use crate::Issuer;

/// The SVG namespace of OB 3.0 baking.
pub const OB_NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";
/// The PNG `iTXt` keyword of OB 3.0 baking.
pub const PNG_KEYWORD: &str = "openbadgecredential";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Splits `text` into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= width => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

fn document(cred: &CredentialRow) -> Result<serde_json::Value, IssuerError> {
    serde_json::from_str(&cred.document)
        .map_err(|e| IssuerError::stored(format!("credential {} (document)", cred.code), e))
}

/// The badge image (SVG) of a credential, not yet baked.
pub fn badge_svg(doc: &serde_json::Value) -> String {
    let a = &doc["credentialSubject"]["achievement"];
    let title = a["name"].as_str().unwrap_or("Micro-credential");
    let issuer = doc["issuer"]["name"].as_str().unwrap_or_default();
    let eqf = a["eqfLevel"]
        .as_str()
        .and_then(|iri| iri.rsplit('/').next())
        .map(|l| format!("EQF {l}"))
        .unwrap_or_default();
    let mut text = String::new();
    let lines = wrap(title, 22);
    let start = 236 - (i32::try_from(lines.len()).unwrap_or(4).min(5) - 1) * 16;
    for (i, l) in lines.iter().take(5).enumerate() {
        let y = start + i32::try_from(i).unwrap_or(0) * 32;
        text.push_str(&format!(
            "<text x=\"256\" y=\"{y}\" text-anchor=\"middle\" font-size=\"28\" font-weight=\"bold\" fill=\"#ffffff\">{}</text>",
            escape(l)
        ));
    }
    for (i, l) in wrap(issuer, 34).iter().take(2).enumerate() {
        let y = 372 + i32::try_from(i).unwrap_or(0) * 22;
        text.push_str(&format!(
            "<text x=\"256\" y=\"{y}\" text-anchor=\"middle\" font-size=\"18\" fill=\"#dbe7ff\">{}</text>",
            escape(l)
        ));
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 512 512\" width=\"512\" height=\"512\" font-family=\"DejaVu Sans, Arial, sans-serif\"><title>{t}</title><circle cx=\"256\" cy=\"256\" r=\"250\" fill=\"#003399\"/><circle cx=\"256\" cy=\"256\" r=\"226\" fill=\"none\" stroke=\"#ffcc00\" stroke-width=\"6\" stroke-dasharray=\"4 14\"/><text x=\"256\" y=\"120\" text-anchor=\"middle\" font-size=\"20\" letter-spacing=\"3\" fill=\"#ffcc00\">MICRO-CREDENTIAL</text>{text}<text x=\"256\" y=\"440\" text-anchor=\"middle\" font-size=\"20\" fill=\"#ffcc00\">{e}</text></svg>",
        t = escape(title),
        e = escape(&eqf),
    )
}

/// Bakes `credential_json` into `svg` (which must not already carry one).
pub fn bake_svg(svg: &str, credential_json: &str) -> Result<String, &'static str> {
    if svg.contains("<openbadges:credential") {
        return Err("the image already carries a credential");
    }
    let open = svg.find("<svg").ok_or("not an SVG image")?;
    let end = open + svg[open..].find('>').ok_or("not an SVG image")?;
    // `]]>` cannot occur in CDATA; JSON escapes `>` as `\u003e` equally well.
    let json = credential_json.replace("]]>", "]]\\u003e");
    Ok(format!(
        "{} xmlns:openbadges=\"{OB_NAMESPACE}\">\n<openbadges:credential><![CDATA[{json}]]></openbadges:credential>{}",
        &svg[..end].trim_end_matches('/'),
        &svg[end + 1..]
    ))
}

/// The credential baked in an SVG, if any.
pub fn extract_svg(svg: &str) -> Option<String> {
    let start = svg.find("<openbadges:credential")?;
    let body = &svg[start..];
    let cdata = body.find("<![CDATA[")? + "<![CDATA[".len();
    let end = body[cdata..].find("]]>")?;
    Some(body[cdata..cdata + end].to_owned())
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 12);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Bakes `credential_json` into `png`: an uncompressed `iTXt` chunk right after `IHDR`.
pub fn bake_png(png: &[u8], credential_json: &str) -> Result<Vec<u8>, &'static str> {
    if !png.starts_with(PNG_SIGNATURE) || png.len() < 33 || &png[12..16] != b"IHDR" {
        return Err("not a PNG image");
    }
    if extract_png(png).is_some() {
        return Err("the image already carries a credential");
    }
    let ihdr_end = 8 + 12 + 13;
    let mut data = Vec::new();
    data.extend_from_slice(PNG_KEYWORD.as_bytes());
    data.extend_from_slice(&[0, 0, 0]); // separator, compression flag, method
    data.push(0); // empty language tag
    data.push(0); // empty translated keyword
    data.extend_from_slice(credential_json.as_bytes());
    let mut out = png[..ihdr_end].to_vec();
    out.extend(chunk(b"iTXt", &data));
    out.extend_from_slice(&png[ihdr_end..]);
    Ok(out)
}

/// The credential baked in a PNG (the first `iTXt` chunk with our keyword), if any.
pub fn extract_png(png: &[u8]) -> Option<String> {
    let mut at = PNG_SIGNATURE.len();
    while at + 8 <= png.len() {
        let len = usize::try_from(u32::from_be_bytes(png[at..at + 4].try_into().ok()?)).ok()?;
        let kind = &png[at + 4..at + 8];
        let data = png.get(at + 8..at + 8 + len)?;
        if kind == b"iTXt" {
            let mut parts = data.splitn(2, |b| *b == 0);
            let keyword = parts.next()?;
            let rest = parts.next()?;
            if keyword == PNG_KEYWORD.as_bytes() && rest.len() >= 2 && rest[0] == 0 {
                // compression flag 0, method, then language tag and translated keyword.
                let after = &rest[2..];
                let lang_end = after.iter().position(|b| *b == 0)?;
                let after = &after[lang_end + 1..];
                let tk_end = after.iter().position(|b| *b == 0)?;
                return String::from_utf8(after[tk_end + 1..].to_vec()).ok();
            }
        }
        if kind == b"IEND" {
            return None;
        }
        at += 12 + len;
    }
    None
}

/// The SVG badge of `cred`, baked.
pub fn baked_svg(_app: &Issuer, cred: &CredentialRow) -> Result<String, IssuerError> {
    let doc = document(cred)?;
    bake_svg(&badge_svg(&doc), &cred.document)
        .map_err(|e| IssuerError::internal(format!("badge of {}", cred.code), e))
}

/// The PNG badge of `cred` (the QR code of its verification page), baked.
pub fn baked_png(app: &Issuer, cred: &CredentialRow) -> Result<Vec<u8>, IssuerError> {
    let image = microcred_core::qr::png(&microcred_core::qr::qr_url(&app.urls, &cred.code));
    bake_png(&image, &cred.document)
        .map_err(|e| IssuerError::internal(format!("badge of {}", cred.code), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_baked_into_an_svg_comes_out_whole() {
        let doc = serde_json::json!({"issuer": {"name": "ASE & Co"}, "credentialSubject": {"achievement": {"name": "Protecția datelor <GDPR>", "eqfLevel": "http://data.europa.eu/snb/eqf/5"}}, "x": "a]]>b"});
        let json = doc.to_string();
        let svg = bake_svg(&badge_svg(&doc), &json).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(
            "xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\">\n<openbadges:credential>"
        ));
        assert!(svg.contains("Protecția datelor &lt;GDPR&gt;") && svg.contains("EQF 5"));
        let back: serde_json::Value = serde_json::from_str(&extract_svg(&svg).unwrap()).unwrap();
        assert_eq!(back, doc, "the same JSON, `]]>` escaped inside strings");
        assert!(
            bake_svg(&svg, &json).is_err(),
            "only one credential per image"
        );
    }

    #[test]
    fn a_credential_baked_into_a_png_comes_out_whole_and_the_image_still_decodes() {
        let png = microcred_core::qr::png("HTTPS://EXAMPLE.ORG/V/ABC");
        let json = r#"{"name":"Protecția datelor"}"#;
        let baked = bake_png(&png, json).unwrap();
        assert_eq!(extract_png(&baked).as_deref(), Some(json));
        assert_eq!(extract_png(&png), None);
        assert!(bake_png(&baked, json).is_err());
        assert!(bake_png(b"GIF89a", json).is_err());
        let img = image::load_from_memory(&baked).expect("still a valid PNG (chunk CRC right)");
        assert!(img.width() >= 240);
    }
}
