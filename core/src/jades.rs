//! Checking the seal of a European Digital Credential: a JAdES signature (ETSI TS 119 182-1)
//! in the JWS JSON serialization (RFC 7515 §7.2) with an unencoded payload (`b64: false`,
//! RFC 7797), as Europass stores credentials sealed with an institution's electronic seal.
//!
//! What is checked: the signature over `ASCII(protected) || "." || payload` with the public key
//! of the first `x5c` certificate (RS256, PS256); that `x5t#S256` is that certificate's
//! digest; the certificate's validity at the claimed signing time (`sigT`) and now; whether the
//! certificate says it is a qualified certificate for electronic seals (ETSI EN 319 412-5
//! QCStatements: QcCompliance and QcType eseal); the RFC 3161 timestamp tokens it carries -
//! the signature timestamp (`sigTst` in the unsigned `etsiU` header, baseline T) over the
//! base64url signature value, and the content timestamp (`adoTst`) over the payload - with
//! [`crate::tsp`]; when the signature timestamp holds, the certificate must have been valid at
//! the time it vouches for. What is not: the chains of the seal and of the timestamp authority
//! up to a trust anchor on the EU Trusted List - the report says so.

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
    #[error("the seal uses {0}, which is not checked here (RS256, PS256, ES256)")]
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
    /// The signature timestamp (`sigTst`, JAdES baseline T), when the seal carries one.
    pub signature_timestamp: Option<TimestampCheck>,
    /// The content timestamp (`adoTst`), when the seal carries one.
    pub content_timestamp: Option<TimestampCheck>,
    /// The sealed credential (the payload).
    #[serde(skip)]
    pub payload: String,
}

/// The check of one RFC 3161 timestamp token in a seal.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TimestampCheck {
    /// The token holds (see [`crate::tsp::verify_token`]).
    pub valid: bool,
    /// The time it vouches for.
    pub time: Option<String>,
    /// The timestamp authority.
    pub tsa: Option<String>,
    /// Why it does not hold.
    pub problem: Option<String>,
}

impl TimestampCheck {
    fn of(r: Result<crate::tsp::Timestamp, String>) -> Self {
        match r {
            Ok(t) => Self {
                valid: true,
                time: Some(rfc3339(t.time)),
                tsa: Some(t.tsa),
                problem: None,
            },
            Err(e) => Self {
                valid: false,
                time: None,
                tsa: None,
                problem: Some(e),
            },
        }
    }
}

impl SealReport {
    /// Whether the seal holds: signature valid, certificate named correctly and valid when the
    /// seal was made, and every timestamp it carries valid.
    pub fn holds(&self) -> bool {
        self.signature_valid
            && self.certificate_digest_matches
            && self.valid_at_signing
            && self.signature_timestamp.as_ref().is_none_or(|t| t.valid)
            && self.content_timestamp.as_ref().is_none_or(|t| t.valid)
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
        for (what, t) in [
            ("signature timestamp (sigTst)", &self.signature_timestamp),
            ("content timestamp (adoTst)", &self.content_timestamp),
        ] {
            match t {
                Some(t) if t.valid => s.push_str(&format!(
                    "  [passed ] {what}: {} by {}\n",
                    t.time.as_deref().unwrap_or("?"),
                    t.tsa.as_deref().unwrap_or("?")
                )),
                Some(t) => s.push_str(&format!(
                    "  [FAILED ] {what}: {}\n",
                    t.problem.as_deref().unwrap_or("?")
                )),
                None if what.starts_with("signature") => s.push_str(
                    "  [info   ] no signature timestamp: the signing time is the sealer's own claim (baseline B)\n",
                ),
                None => {}
            }
        }
        s.push_str("  [skipped] trust chains of the seal and the timestamp authority: not checked against the EU Trusted List (no trust anchors configured)\n");
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

/// The first token of a `{"tstTokens": [{"val": base64 DER}]}` object (ETSI TS 119 182-1
/// §5.3.4), checked over `message`.
fn check_tst(
    container: &serde_json::Value,
    message: &[u8],
) -> Result<crate::tsp::Timestamp, String> {
    let val = container["tstTokens"][0]["val"]
        .as_str()
        .ok_or("no tstTokens[0].val")?;
    let der = STANDARD
        .decode(val)
        .map_err(|e| format!("tstTokens[0].val is not base64: {e}"))?;
    crate::tsp::verify_token(&der, message).map_err(|e| e.to_string())
}

/// The components of the unsigned `etsiU` header of `signature`: base64url-encoded JSON (as the
/// EU's DSS writes them) or clear JSON objects.
fn etsi_u(signature: &serde_json::Value) -> Vec<serde_json::Value> {
    signature["header"]["etsiU"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| match c {
                    serde_json::Value::String(s) => {
                        b64url(s).ok().and_then(|b| serde_json::from_slice(&b).ok())
                    }
                    serde_json::Value::Object(_) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The bytes a signature timestamp of `sealed` covers: its base64url-encoded signature value
/// (ETSI TS 119 182-1 §5.3.4).
pub fn signature_timestamp_input(sealed: &serde_json::Value) -> Option<&str> {
    sealed["signatures"][0]["signature"].as_str()
}

/// Adds a signature timestamp token (DER, RFC 3161) to `sealed`, making it JAdES baseline T:
/// `{"sigTst": {"tstTokens": [{"val": ...}]}}`, base64url-encoded, in the unsigned `etsiU`
/// header, as the EU's DSS writes it.
pub fn add_signature_timestamp(sealed: &mut serde_json::Value, token: &[u8]) {
    let component = serde_json::json!({"sigTst": {"tstTokens": [{"val": STANDARD.encode(token)}]}});
    let encoded = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&component).expect("JSON"));
    let sig = &mut sealed["signatures"][0];
    match sig["header"]["etsiU"].as_array_mut() {
        Some(a) => a.push(serde_json::Value::String(encoded)),
        None => sig["header"] = serde_json::json!({ "etsiU": [encoded] }),
    }
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
    let rsa_key = || {
        rsa::RsaPublicKey::from_pkcs1_der(&spki.subject_public_key.data)
            .map_err(|e| SealError::Certificate(format!("not an RSA key: {e}")))
    };
    let signature_valid = match algorithm.as_str() {
        "RS256" => {
            let key = rsa_key()?;
            rsa::pkcs1v15::Signature::try_from(signature.as_slice()).is_ok_and(|s| {
                rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                    .verify(&input, &s)
                    .is_ok()
            })
        }
        "PS256" => {
            let key = rsa_key()?;
            rsa::pss::Signature::try_from(signature.as_slice()).is_ok_and(|s| {
                rsa::pss::VerifyingKey::<Sha256>::new(key)
                    .verify(&input, &s)
                    .is_ok()
            })
        }
        "ES256" => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&spki.subject_public_key.data)
                .map_err(|_| SealError::Certificate("not a P-256 key".into()))?;
            p256::ecdsa::Signature::from_slice(&signature)
                .is_ok_and(|s| key.verify(&input, &s).is_ok())
        }
        other => return Err(SealError::Algorithm(other.to_owned())),
    };
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    let signed_at = header["sigT"]
        .as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
    let valid_then = |t: OffsetDateTime| t >= not_before && t <= not_after;
    let signature_value = sig["signature"].as_str().unwrap_or_default();
    let signature_timestamp = etsi_u(sig)
        .iter()
        .find(|c| c.get("sigTst").is_some())
        .map(|c| TimestampCheck::of(check_tst(&c["sigTst"], signature_value.as_bytes())));
    let content_timestamp = header
        .get("adoTst")
        .map(|c| TimestampCheck::of(check_tst(c, payload.as_bytes())));
    // With a signature timestamp, the certificate must also have been valid at the time the
    // TSA vouches for, which may not precede the claimed signing time.
    let stamped = signature_timestamp
        .as_ref()
        .and_then(|t| t.time.as_deref())
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
    let valid_at_signing = signed_at.is_some_and(valid_then)
        && stamped.is_none_or(|t| {
            valid_then(t) && signed_at.is_some_and(|s| s <= t + ::time::Duration::minutes(5))
        });
    let qualified = crate::eseal::is_qualified_eseal(&cert);
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
        signature_timestamp,
        content_timestamp,
        payload: payload.to_owned(),
    })
}

/// The statement the Commission's sealed credentials carry as their evidence: the seal
/// vouches for the origin of the awarding body's claims.
pub const MANDATE_STATEMENT: &str = "Every claim inside this credential is to be construed as having been made by the indicated awarding body, who maintains sole responsibility for said claim. By applying its electronic seal, the signing organisation certifies the correctness of origin of each claim, as having been made by the indicated awarding body.";

/// Seals a European Digital Credential (the uploadable form's `credential`, from
/// [`crate::elm::edc`]) with `key` at `at`: JAdES baseline B (ETSI TS 119 182-1) in the JWS
/// JSON serialization, unencoded payload (`b64: false`, RFC 7797), `sigT`, `x5c`, `x5t#S256`,
/// `kid` (IssuerSerial), `crit: ["b64", "sigT"]` - the header of the Commission's sealed
/// sample less its timestamp. What sealing adds to the credential, as the EU's EDC issuer
/// does: `issued`/`issuanceDate`, the issuer as the certificate names it (organisation,
/// seal name, eIDAS legal identifier from `organizationIdentifier`, the certificate's
/// country), and the mandate evidence.
pub fn seal(
    credential: &serde_json::Value,
    key: &crate::eseal::SealKey,
    at: OffsetDateTime,
) -> Result<serde_json::Value, crate::eseal::SealKeyError> {
    use serde_json::json;
    let holder = key.holder();
    if at > holder.not_after || at < holder.not_before {
        return Err(crate::eseal::SealKeyError::Certificate(format!(
            "is not valid at {} (valid {} to {})",
            rfc3339(at),
            rfc3339(holder.not_before),
            rfc3339(holder.not_after)
        )));
    }
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    let sig_t = rfc3339(at);
    let mut c = credential.clone();
    let mut issuer = c["issuer"].clone();
    issuer["id"] = json!(format!("urn:epass:org:seal:{}", &holder.fingerprint[..16]));
    issuer["legalName"] = json!({ "en": holder.organisation });
    if let Some(cn) = &holder.common_name {
        issuer["altLabel"] = json!({ "en": cn });
    }
    let spatial = crate::elm::country(holder.country.as_deref().unwrap_or("ZZ"));
    issuer["eIDASIdentifier"] = json!({
        "id": "urn:epass:legalIdentifier:eidas",
        "type": "LegalIdentifier",
        "notation": holder.organisation_identifier,
        "spatial": spatial,
    });
    if let Some(country) = &holder.country {
        let seal_location = json!({
            "id": "urn:epass:location:seal",
            "type": "Location",
            "address": {
                "id": "urn:epass:address:seal",
                "type": "Address",
                "countryCode": crate::elm::country(country),
            },
        });
        let mut locations = match issuer["location"].take() {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Null => vec![],
            one => vec![one],
        };
        locations.push(seal_location);
        issuer["location"] = serde_json::Value::Array(locations);
    }
    c["issuer"] = issuer;
    c["issuanceDate"] = json!(sig_t);
    c["issued"] = json!(sig_t);
    c["evidence"] = json!({
        "id": format!("urn:epass:evidence:seal:{}", &holder.fingerprint[..16]),
        "type": "Evidence",
        "evidenceStatement": MANDATE_STATEMENT,
        "dcType": {
            "id": crate::elm::EVIDENCE_MANDATE,
            "type": "Concept",
            "inScheme": {"id": "http://data.europa.eu/snb/evidence-type/25831c2", "type": "ConceptScheme"},
            "prefLabel": {"en": "Mandate", "ro": "Mandat"},
        },
    });
    let payload = serde_json::to_string(&c).expect("JSON");
    let header = json!({
        "alg": key.algorithm(),
        "cty": "octet-stream",
        "typ": "jose+json",
        "kid": key.kid()?,
        "x5t#S256": URL_SAFE_NO_PAD.encode(Sha256::digest(&key.chain()[0])),
        "x5c": key.chain().iter().map(|c| STANDARD.encode(c)).collect::<Vec<_>>(),
        "b64": false,
        "sigT": sig_t,
        "crit": ["b64", "sigT"],
    });
    let protected = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("JSON"));
    let input = [protected.as_bytes(), b".", payload.as_bytes()].concat();
    let signature = URL_SAFE_NO_PAD.encode(key.sign(&input));
    Ok(json!({
        "payload": payload,
        "signatures": [{ "protected": protected, "signature": signature }],
    }))
}
