//! Trusted timestamps: the Time-Stamp Protocol of RFC 3161
//! (<https://www.rfc-editor.org/rfc/rfc3161>) as JAdES baseline T uses it (ETSI TS 119 182-1
//! §5.3.4 `sigTst`): the request we send to a timestamp authority (TSA), the token we take from
//! its answer, and the check of a token - a CMS `SignedData` (RFC 5652) whose content is a
//! `TSTInfo` - against the bytes it is said to timestamp.
//!
//! The ASN.1 structures of RFC 3161 §2.4 are declared here with `der`'s derive (RustCrypto's
//! `x509-tsp` is still on `der` 0.7; the rest of our X.509 is on 0.8); CMS comes from `cms`,
//! certificates are read with `x509-parser`. What a token's check covers: the message imprint
//! (SHA-256/384/512; SHA-1 is refused), the signed attributes (content type, message digest),
//! the TSA's signature (RSA PKCS#1 v1.5 with SHA-256/384/512, ECDSA P-256) with the certificate
//! the token carries, that certificate's `timeStamping` extended key usage and its validity at
//! the time stamped. Not covered: the TSA's chain up to a trust anchor.

use der::asn1::{Any, Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence, Tagged};
use sha2::{Digest, Sha256, Sha384, Sha512};
use time::OffsetDateTime;
use x509_cert::spki::AlgorithmIdentifierOwned;

const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const KP_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";

/// `MessageImprint` (RFC 3161 §2.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// `TimeStampReq` (RFC 3161 §2.4.1), without the fields we never send.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    cert_req: bool,
}

/// `PKIStatusInfo` (RFC 3161 §2.4.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct PkiStatusInfo {
    status: u32,
    #[asn1(optional = "true")]
    status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    fail_info: Option<der::asn1::BitString>,
}

/// `TimeStampResp` (RFC 3161 §2.4.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampResp {
    status: PkiStatusInfo,
    #[asn1(optional = "true")]
    time_stamp_token: Option<Any>,
}

/// `TSTInfo` (RFC 3161 §2.4.2). `genTime` is read by hand: TSAs give fractions of a second,
/// which `der`'s `GeneralizedTime` refuses.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TstInfo {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    gen_time: Any,
    #[asn1(optional = "true")]
    accuracy: Option<Any>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<Any>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Vec<x509_cert::ext::Extension>>,
}

/// Why a timestamp could not be had or does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TspError {
    /// The bytes are not the structure they should be.
    #[error("unreadable {0}")]
    Unreadable(String),
    /// The TSA answered but did not grant a timestamp.
    #[error("the timestamp authority refused: status {status}{text}")]
    Refused {
        /// PKIStatus (2 rejection, 3 waiting, 4 revocation warning, 5 revocation notification).
        status: u32,
        /// Its statusString, prefixed with ": " when there is one.
        text: String,
    },
    /// The token timestamps other bytes.
    #[error("the timestamp is of other data (message imprint differs)")]
    ImprintMismatch,
    /// The answer is not to our request.
    #[error("the timestamp answers another request (nonce differs)")]
    NonceMismatch,
    /// The token's signature or signed attributes do not hold.
    #[error("the timestamp's signature does not hold: {0}")]
    Signature(String),
    /// The TSA's certificate is missing or cannot timestamp.
    #[error("the timestamp authority's certificate: {0}")]
    Certificate(String),
    /// An algorithm not checked here.
    #[error("{0} is not supported in timestamps here")]
    Unsupported(String),
}

/// A timestamp token that holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// The time the TSA vouches for (`genTime`).
    pub time: OffsetDateTime,
    /// The TSA, as its certificate's subject names it.
    pub tsa: String,
    /// Who issued the TSA's certificate.
    pub tsa_issuer: String,
    /// The token's serial number (hex).
    pub serial: String,
    /// The TSA's policy (OID).
    pub policy: String,
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> TspError {
    TspError::Unreadable(format!("{what}: {e}"))
}

fn digest(alg: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, TspError> {
    Ok(match *alg {
        SHA256 => Sha256::digest(data).to_vec(),
        SHA384 => Sha384::digest(data).to_vec(),
        SHA512 => Sha512::digest(data).to_vec(),
        SHA1 => return Err(TspError::Unsupported("SHA-1".into())),
        other => return Err(TspError::Unsupported(format!("digest algorithm {other}"))),
    })
}

/// A `TimeStampReq` (DER) for the SHA-256 of `message`, asking for the TSA's certificate in
/// the token, with `nonce`.
///
/// The nonce is sent as the positive INTEGER it is, in DER's one shortest form (X.690 §8.3.2):
/// the raw eight bytes would be read as a negative number when the first is 0x80 or more, and
/// are not DER when they begin with a redundant 0x00 (a TSA refuses such a request).
pub fn request(message: &[u8], nonce: u64) -> Vec<u8> {
    TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: SHA256,
                parameters: None,
            },
            hashed_message: OctetString::new(Sha256::digest(message).to_vec()).expect("32 bytes"),
        },
        nonce: Some(nonce_int(nonce)),
        cert_req: true,
    }
    .to_der()
    .expect("a request encodes")
}

/// `n` as a DER INTEGER: big-endian, no redundant leading byte, a 0x00 first when the high
/// bit would otherwise make it negative.
fn nonce_int(n: u64) -> Int {
    let be = n.to_be_bytes();
    let first = be.iter().position(|&b| b != 0).unwrap_or(7);
    let mut bytes = Vec::with_capacity(9);
    if be[first] >= 0x80 {
        bytes.push(0);
    }
    bytes.extend_from_slice(&be[first..]);
    Int::new(&bytes).expect("a DER integer")
}

/// The token in a TSA's `TimeStampResp` (DER) to our [`request`] for `message` with
/// `nonce`, checked (see [`verify_token`]): the token's DER and what it says.
pub fn token_from_response(
    response: &[u8],
    message: &[u8],
    nonce: u64,
    now: OffsetDateTime,
) -> Result<(Vec<u8>, Timestamp), TspError> {
    let resp = TimeStampResp::from_der(response).map_err(|e| unreadable("TimeStampResp", e))?;
    if resp.status.status > 1 {
        let text = resp
            .status
            .status_string
            .map(|s| format!(": {}", s.join("; ")))
            .unwrap_or_default();
        return Err(TspError::Refused {
            status: resp.status.status,
            text,
        });
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| TspError::Unreadable("TimeStampResp: granted without a token".into()))?
        .to_der()
        .map_err(|e| unreadable("timeStampToken", e))?;
    let (info, ts) = check_token(&token, message)?;
    let ours = nonce_int(nonce);
    if info.nonce.as_ref() != Some(&ours) {
        return Err(TspError::NonceMismatch);
    }
    // A TSA clock far from ours is a broken TSA.
    if (ts.time - now).abs() > time::Duration::minutes(10) {
        return Err(TspError::Signature(format!(
            "the timestamp's time {} is more than ten minutes from ours",
            ts.time
        )));
    }
    Ok((token, ts))
}

/// Checks a timestamp token (DER `ContentInfo`) over `message`: see the module's doc.
pub fn verify_token(token: &[u8], message: &[u8]) -> Result<Timestamp, TspError> {
    check_token(token, message).map(|(_, ts)| ts)
}

fn check_token(token: &[u8], message: &[u8]) -> Result<(TstInfo, Timestamp), TspError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};
    use x509_parser::prelude::*;

    let ci = ContentInfo::from_der(token).map_err(|e| unreadable("timestamp token", e))?;
    if ci.content_type != SIGNED_DATA {
        return Err(TspError::Unreadable(format!(
            "timestamp token: content type {} is not SignedData",
            ci.content_type
        )));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| unreadable("timestamp token (SignedData)", e))?;
    if sd.encap_content_info.econtent_type != TST_INFO {
        return Err(TspError::Unreadable(
            "timestamp token: the content is not a TSTInfo".into(),
        ));
    }
    let econtent: OctetString = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| TspError::Unreadable("timestamp token: no TSTInfo".into()))?
        .decode_as()
        .map_err(|e| unreadable("timestamp token (eContent)", e))?;
    let info = TstInfo::from_der(econtent.as_bytes()).map_err(|e| unreadable("TSTInfo", e))?;

    // 1. It timestamps `message`.
    let imprint = digest(&info.message_imprint.hash_algorithm.oid, message)?;
    if imprint != info.message_imprint.hashed_message.as_bytes() {
        return Err(TspError::ImprintMismatch);
    }
    let time = gen_time(&info.gen_time)?;

    // 2. One signer, whose signed attributes bind the TSTInfo.
    let signers: Vec<_> = sd.signer_infos.0.iter().collect();
    let [si] = signers.as_slice() else {
        return Err(TspError::Signature(format!(
            "{} signers, expected one",
            signers.len()
        )));
    };
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| TspError::Signature("no signed attributes".into()))?;
    let attr = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
            .ok_or_else(|| TspError::Signature(format!("no signed attribute {oid}")))
    };
    let content_type: ObjectIdentifier = attr(CONTENT_TYPE)?
        .decode_as()
        .map_err(|e| unreadable("content-type attribute", e))?;
    if content_type != TST_INFO {
        return Err(TspError::Signature("content-type is not TSTInfo".into()));
    }
    let md: OctetString = attr(MESSAGE_DIGEST)?
        .decode_as()
        .map_err(|e| unreadable("message-digest attribute", e))?;
    if md.as_bytes() != digest(&si.digest_alg.oid, econtent.as_bytes())? {
        return Err(TspError::Signature(
            "message-digest does not match the TSTInfo".into(),
        ));
    }
    let signed = attrs
        .to_der()
        .map_err(|e| unreadable("signed attributes", e))?;

    // 3. The signer's certificate, carried in the token.
    let certs: Vec<Vec<u8>> = sd
        .certificates
        .as_ref()
        .map(|s| {
            s.0.iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let signer_der = certs
        .iter()
        .find(|der| {
            let Ok((_, cert)) = X509Certificate::from_der(der) else {
                return false;
            };
            match &si.sid {
                SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    cert.raw_serial() == ias.serial_number.as_bytes()
                        && ias
                            .issuer
                            .to_der()
                            .is_ok_and(|n| n == cert.tbs_certificate.issuer.as_raw())
                }
                SignerIdentifier::SubjectKeyIdentifier(ski) => {
                    cert.extensions()
                        .iter()
                        .any(|e| match e.parsed_extension() {
                            ParsedExtension::SubjectKeyIdentifier(k) => k.0 == ski.0.as_bytes(),
                            _ => false,
                        })
                }
            }
        })
        .ok_or_else(|| {
            TspError::Certificate("the token does not carry the certificate of its signer".into())
        })?;
    let (_, cert) =
        X509Certificate::from_der(signer_der).map_err(|e| TspError::Certificate(e.to_string()))?;

    // 4. The signature.
    let sig = si.signature.as_bytes();
    let key = &cert.public_key().subject_public_key.data;
    let alg = si.signature_algorithm.oid;
    let hash = if alg == RSA { si.digest_alg.oid } else { alg };
    let valid = match (alg, hash) {
        (RSA | RSA_SHA256 | RSA_SHA384 | RSA_SHA512, _) => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            use rsa::signature::Verifier;
            let key = rsa::RsaPublicKey::from_pkcs1_der(key)
                .map_err(|e| TspError::Certificate(format!("not an RSA key: {e}")))?;
            let s = rsa::pkcs1v15::Signature::try_from(sig)
                .map_err(|e| TspError::Signature(e.to_string()))?;
            match hash {
                SHA256 | RSA_SHA256 => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                    .verify(&signed, &s)
                    .is_ok(),
                SHA384 | RSA_SHA384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key)
                    .verify(&signed, &s)
                    .is_ok(),
                SHA512 | RSA_SHA512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key)
                    .verify(&signed, &s)
                    .is_ok(),
                other => return Err(TspError::Unsupported(format!("RSA with {other}"))),
            }
        }
        (ECDSA_SHA256, _) => {
            use p256::ecdsa::signature::Verifier;
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|_| TspError::Unsupported("an ECDSA key other than P-256".into()))?;
            p256::ecdsa::Signature::from_der(sig).is_ok_and(|s| key.verify(&signed, &s).is_ok())
        }
        (other, _) => {
            return Err(TspError::Unsupported(format!(
                "signature algorithm {other}"
            )))
        }
    };
    if !valid {
        return Err(TspError::Signature(
            "the signature does not match the TSA's certificate".into(),
        ));
    }

    // 5. The certificate may timestamp, and was valid then.
    let may_timestamp = cert.extended_key_usage().ok().flatten().is_some_and(|eku| {
        eku.value.time_stamping
            || eku
                .value
                .other
                .iter()
                .any(|o| o.to_id_string() == KP_TIME_STAMPING)
    });
    if !may_timestamp {
        return Err(TspError::Certificate(
            "it lacks the timeStamping extended key usage".into(),
        ));
    }
    let (nb, na) = (
        cert.validity().not_before.to_datetime(),
        cert.validity().not_after.to_datetime(),
    );
    if time < nb || time > na {
        return Err(TspError::Certificate(format!(
            "it was not valid at the time stamped ({time}; valid {nb} to {na})"
        )));
    }
    let ts = Timestamp {
        time,
        tsa: cert.subject().to_string(),
        tsa_issuer: cert.issuer().to_string(),
        serial: hex::encode(info.serial_number.as_bytes()),
        policy: info.policy.to_string(),
    };
    Ok((info, ts))
}

/// `genTime`: `YYYYMMDDHHMMSS[.f+]Z` (RFC 3161 §2.4.2).
fn gen_time(any: &Any) -> Result<OffsetDateTime, TspError> {
    let bad = |why: &str| TspError::Unreadable(format!("genTime: {why}"));
    if any.tag() != der::Tag::GeneralizedTime {
        return Err(bad("not a GeneralizedTime"));
    }
    let s = std::str::from_utf8(any.value()).map_err(|_| bad("not ASCII"))?;
    let s = s.strip_suffix('Z').ok_or_else(|| bad("not in UTC"))?;
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not YYYYMMDDHHMMSS"));
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<u32>().map_err(|_| bad("digits"));
    let date = time::Date::from_calendar_date(
        i32::try_from(n(0..4)?).map_err(|_| bad("year"))?,
        time::Month::try_from(u8::try_from(n(4..6)?).map_err(|_| bad("month"))?)
            .map_err(|_| bad("month"))?,
        u8::try_from(n(6..8)?).map_err(|_| bad("day"))?,
    )
    .map_err(|_| bad("date"))?;
    let mut nanos = 0u32;
    for (i, c) in fraction.bytes().take(9).enumerate() {
        if !c.is_ascii_digit() {
            return Err(bad("fraction"));
        }
        nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
    }
    let t = time::Time::from_hms_nano(
        u8::try_from(n(8..10)?).map_err(|_| bad("hour"))?,
        u8::try_from(n(10..12)?).map_err(|_| bad("minute"))?,
        u8::try_from(n(12..14)?).map_err(|_| bad("second"))?,
        nanos,
    )
    .map_err(|_| bad("time"))?;
    Ok(date.with_time(t).assume_utc())
}

#[cfg(test)]
mod tests {
    use der::{Decode, Encode};

    #[test]
    fn every_nonce_is_sent_as_the_positive_integer_in_its_one_der_form() {
        for n in [
            0,
            1,
            0x7f,
            0x80,
            0xff,
            0x0012_3456_789a_bcde,
            0x0080_0000_0000_0000,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            0xff00_0000_0000_0001,
            u64::MAX,
        ] {
            let der = super::nonce_int(n).to_der().unwrap();
            // The decoder refuses what is not DER (a redundant leading byte).
            let back = der::asn1::Int::from_der(&der).unwrap();
            let bytes = back.as_bytes();
            assert!(bytes[0] < 0x80, "{n:#x} is positive");
            let tail = bytes.strip_prefix(&[0]).unwrap_or(bytes);
            let mut be = [0u8; 8];
            be[8 - tail.len()..].copy_from_slice(tail);
            assert_eq!(u64::from_be_bytes(be), n);
        }
    }
}
