//! Checking the seal of a European Digital Credential: a JAdES signature (ETSI TS 119 182-1)
//! in the JWS JSON serialization (RFC 7515 §7.2) with an unencoded payload (`b64: false`,
//! RFC 7797), as Europass stores credentials sealed with an institution's electronic seal.
//!
//! What is checked: the signature over `ASCII(protected) || "." || payload` with the public key
//! of the first `x5c` certificate (RS256, PS256); that `x5t#S256` is that certificate's
//! digest; the certificate's validity at the claimed signing time (`sigT`) and now; whether the
//! certificate says it is a qualified certificate for electronic seals (ETSI EN 319 412-5
//! QCStatements: QcCompliance and QcType eseal). What is not: the chain up to a trust anchor on
//! the EU Trusted List, and the RFC 3161 timestamp token - the report says so.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Why a document's seal could not be checked at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// Not a JWS JSON serialization with one signature.
    #[error("not a sealed credential (JWS JSON serialization): {0}")]
    NotSealed(String),
    /// The protected header is unreadable.
    #[error("the protected header is unreadable: {0}")]
    Header(String),
    /// The certificate is missing or unreadable.
    #[error("the seal's certificate is unreadable: {0}")]
    Certificate(String),
    /// An algorithm we do not check.
    #[error("the seal uses {0}, which is not checked here (RS256, PS256)")]
    Algorithm(String),
}

/// The seal check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SealReport {
    /// The JWS algorithm.
    pub algorithm: String,
    /// The signature matches the payload and the certificate's key.
    pub signature_valid: bool,
    /// `x5t#S256` names the certificate given (absent counts as matching).
    pub certificate_digest_matches: bool,
    /// The claimed signing time (`sigT`).
    pub signed_at: Option<String>,
    /// The sealing organisation, from the certificate's subject.
    pub sealed_by: String,
    /// The certificate's issuer (the trust service provider).
    pub certificate_issuer: String,
    /// Validity of the certificate.
    pub certificate_not_before: String,
    /// Validity of the certificate.
    pub certificate_not_after: String,
    /// The certificate was valid at the signing time.
    pub valid_at_signing: bool,
    /// The certificate has expired since (normal for older seals; the seal stays valid if it
    /// was made while the certificate was valid).
    pub expired_now: bool,
    /// The certificate says it is a qualified certificate for electronic seals.
    pub qualified: bool,
    /// Always false here: the chain was not checked against the EU Trusted List.
    pub chain_checked: bool,
    /// The sealed credential (the payload).
    #[serde(skip)]
    pub payload: String,
}

impl SealReport {
    /// Whether the seal holds: signature valid, certificate named correctly and valid when the
    /// seal was made.
    pub fn holds(&self) -> bool {
        self.signature_valid && self.certificate_digest_matches && self.valid_at_signing
    }

    /// The report in words.
    pub fn to_text(&self) -> String {
        let mark = |b: bool| if b { "passed " } else { "FAILED " };
        let mut s = format!(
            "{}\n  sealed by:  {}\n  certificate issued by: {}\n",
            if self.holds() {
                "SEAL VALID"
            } else {
                "SEAL NOT VALID"
            },
            self.sealed_by,
            self.certificate_issuer
        );
        s.push_str(&format!(
            "  [{}] signature: {} over the credential with the certificate's key\n",
            mark(self.signature_valid),
            self.algorithm
        ));
        s.push_str(&format!(
            "  [{}] certificate digest (x5t#S256)\n",
            mark(self.certificate_digest_matches)
        ));
        s.push_str(&format!(
            "  [{}] certificate valid when sealed: sealed at {}, certificate valid {} to {}{}\n",
            mark(self.valid_at_signing),
            self.signed_at.as_deref().unwrap_or("(no sigT)"),
            self.certificate_not_before,
            self.certificate_not_after,
            if self.expired_now {
                "; the certificate has expired since"
            } else {
                ""
            }
        ));
        s.push_str(&format!(
            "  [info   ] {}\n",
            if self.qualified {
                "the certificate says it is a qualified certificate for electronic seals (eIDAS)"
            } else {
                "the certificate does not say it is qualified"
            }
        ));
        s.push_str("  [skipped] trust chain: not checked against the EU Trusted List (no trust anchors configured); the timestamp token is not checked\n");
        s
    }
}

/// Whether `doc` looks like a sealed credential (JWS JSON serialization).
pub fn is_sealed(doc: &serde_json::Value) -> bool {
    doc.get("payload").is_some_and(|p| p.is_string())
        && doc.get("signatures").is_some_and(|s| s.is_array())
}

fn b64url(s: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| e.to_string())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// DER of the OIDs of ETSI EN 319 412-5: QcCompliance (0.4.0.1862.1.1) and the eseal QcType
/// (0.4.0.1862.1.6.2).
const QC_COMPLIANCE: &[u8] = &[0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x01];
const QC_TYPE_ESEAL: &[u8] = &[0x06, 0x07, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, 0x02];

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Checks the seal of `doc` at `now`.
pub fn verify_seal(doc: &serde_json::Value, now: OffsetDateTime) -> Result<SealReport, SealError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::signature::Verifier;
    use x509_parser::prelude::*;

    let payload = doc["payload"]
        .as_str()
        .ok_or_else(|| SealError::NotSealed("no payload".into()))?;
    let sigs = doc["signatures"]
        .as_array()
        .ok_or_else(|| SealError::NotSealed("no signatures".into()))?;
    let [sig] = sigs.as_slice() else {
        return Err(SealError::NotSealed(format!(
            "{} signatures, expected one",
            sigs.len()
        )));
    };
    let protected = sig["protected"]
        .as_str()
        .ok_or_else(|| SealError::Header("no protected header".into()))?;
    let header: serde_json::Value =
        serde_json::from_slice(&b64url(protected).map_err(SealError::Header)?)
            .map_err(|e| SealError::Header(e.to_string()))?;
    if header["b64"] != serde_json::Value::Bool(false) {
        return Err(SealError::Header(
            "only unencoded payloads (b64: false) are checked here".into(),
        ));
    }
    let algorithm = header["alg"].as_str().unwrap_or_default().to_owned();
    let leaf_b64 = header["x5c"][0]
        .as_str()
        .ok_or_else(|| SealError::Certificate("no x5c certificate".into()))?;
    let der = STANDARD
        .decode(leaf_b64)
        .map_err(|e| SealError::Certificate(e.to_string()))?;
    let digest_matches = match header["x5t#S256"].as_str() {
        Some(t) => b64url(t).is_ok_and(|d| d[..] == Sha256::digest(&der)[..]),
        None => true,
    };
    let (_, cert) =
        X509Certificate::from_der(&der).map_err(|e| SealError::Certificate(e.to_string()))?;
    let signature = b64url(sig["signature"].as_str().unwrap_or_default())
        .map_err(|e| SealError::NotSealed(format!("signature: {e}")))?;
    let input = [protected.as_bytes(), b".", payload.as_bytes()].concat();
    let spki = cert.public_key();
    let key = rsa::RsaPublicKey::from_pkcs1_der(&spki.subject_public_key.data)
        .map_err(|e| SealError::Certificate(format!("not an RSA key: {e}")))?;
    let signature_valid = match algorithm.as_str() {
        "RS256" => rsa::pkcs1v15::Signature::try_from(signature.as_slice()).is_ok_and(|s| {
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                .verify(&input, &s)
                .is_ok()
        }),
        "PS256" => rsa::pss::Signature::try_from(signature.as_slice()).is_ok_and(|s| {
            rsa::pss::VerifyingKey::<Sha256>::new(key)
                .verify(&input, &s)
                .is_ok()
        }),
        other => return Err(SealError::Algorithm(other.to_owned())),
    };
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    let signed_at = header["sigT"]
        .as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
    let valid_at_signing = signed_at.is_some_and(|t| t >= not_before && t <= not_after);
    let qualified = cert.extensions().iter().any(|e| {
        e.oid.to_id_string() == "1.3.6.1.5.5.7.1.3"
            && contains(e.value, QC_COMPLIANCE)
            && contains(e.value, QC_TYPE_ESEAL)
    });
    Ok(SealReport {
        algorithm,
        signature_valid,
        certificate_digest_matches: digest_matches,
        signed_at: signed_at.map(rfc3339),
        sealed_by: cert.subject().to_string(),
        certificate_issuer: cert.issuer().to_string(),
        certificate_not_before: rfc3339(not_before),
        certificate_not_after: rfc3339(not_after),
        valid_at_signing,
        expired_now: now > not_after,
        qualified,
        chain_checked: false,
        payload: payload.to_owned(),
    })
}
