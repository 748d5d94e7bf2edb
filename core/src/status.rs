//! W3C Bitstring Status List v1.0: revocation and suspension that any verifier can check.
//!
//! - [`Bitstring`]: the list itself, at least 131,072 bits (§3.1 "minimum bitstring length"),
//!   index 0 the left-most bit of the first byte, published GZIP-compressed and multibase
//!   base64url-encoded (`u...`, §3.2 `encodedList`).
//! - [`StatusListEntry`]: a credential's `credentialStatus` entry (§2.1
//!   `BitstringStatusListEntry`).
//! - [`status_list_credential`]: the list credential (§2.2 `BitstringStatusListCredential`),
//!   with a `ttl` in milliseconds.
//! - [`check_status`]: the verifier's status check (§3.2 "Validate Algorithm"): fetch the list
//!   through a [`StatusListSource`], verify its proof and that its issuer is the credential's,
//!   read the bit. Anything that prevents reading the bit makes the status *unknown*, never
//!   "active".

use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::did::DidResolver;
use crate::model::Did;
use crate::proof;

/// The smallest list the specification allows (16 KiB of bits).
pub const MIN_LIST_BITS: usize = 131_072;
/// Largest list accepted when decoding (a defence against compression bombs).
pub const MAX_LIST_BITS: usize = 64 * 1024 * 1024;

/// What a status list says (§2.1 `statusPurpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusPurpose {
    /// Final withdrawal.
    Revocation,
    /// Temporary withdrawal, reversible.
    Suspension,
}

impl StatusPurpose {
    /// The `statusPurpose` string.
    pub fn name(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
        }
    }

    /// Parses a `statusPurpose` string.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "revocation" => Some(Self::Revocation),
            "suspension" => Some(Self::Suspension),
            _ => None,
        }
    }
}

/// Why a bitstring cannot be decoded.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BitstringError {
    /// Not `u` + base64url.
    #[error("encodedList is not multibase base64url (u...)")]
    Encoding,
    /// Not GZIP, or too large once inflated.
    #[error("encodedList is not a GZIP-compressed bitstring of at most {MAX_LIST_BITS} bits")]
    Compression,
    /// Shorter than the specification allows.
    #[error("the list has {0} bits; the minimum is {MIN_LIST_BITS}")]
    TooShort(usize),
}

/// A status bitstring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitstring(Vec<u8>);

impl Bitstring {
    /// All zeros, `bits` long (rounded up to whole bytes, at least [`MIN_LIST_BITS`]).
    pub fn new(bits: usize) -> Self {
        Self(vec![0; bits.max(MIN_LIST_BITS).div_ceil(8)])
    }

    /// From raw bytes.
    pub fn from_bytes(b: Vec<u8>) -> Result<Self, BitstringError> {
        if b.len() * 8 < MIN_LIST_BITS {
            return Err(BitstringError::TooShort(b.len() * 8));
        }
        Ok(Self(b))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.0.len() * 8
    }

    /// Never empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bit `i` (0 = left-most bit of the first byte); `None` past the end.
    pub fn get(&self, i: usize) -> Option<bool> {
        self.0.get(i / 8).map(|b| b & (0x80 >> (i % 8)) != 0)
    }

    /// Sets bit `i`; false when out of range.
    pub fn set(&mut self, i: usize, value: bool) -> bool {
        match self.0.get_mut(i / 8) {
            Some(b) => {
                if value {
                    *b |= 0x80 >> (i % 8);
                } else {
                    *b &= !(0x80 >> (i % 8));
                }
                true
            }
            None => false,
        }
    }

    /// `u` + base64url(GZIP(bytes)).
    pub fn encode(&self) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&self.0).expect("write to memory");
        format!(
            "u{}",
            URL_SAFE_NO_PAD.encode(gz.finish().expect("write to memory"))
        )
    }

    /// Decodes an `encodedList`.
    pub fn decode(s: &str) -> Result<Self, BitstringError> {
        let b64 = s.strip_prefix('u').ok_or(BitstringError::Encoding)?;
        let gz = URL_SAFE_NO_PAD
            .decode(b64.trim_end_matches('='))
            .map_err(|_| BitstringError::Encoding)?;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .take((MAX_LIST_BITS / 8 + 1) as u64)
            .read_to_end(&mut out)
            .map_err(|_| BitstringError::Compression)?;
        if out.len() > MAX_LIST_BITS / 8 {
            return Err(BitstringError::Compression);
        }
        Self::from_bytes(out)
    }
}

/// A `credentialStatus` entry of type `BitstringStatusListEntry` (§2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusListEntry {
    /// `{list URL}#{index}`.
    pub id: String,
    /// `BitstringStatusListEntry`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Revocation or suspension.
    pub status_purpose: StatusPurpose,
    /// The index, as a decimal string.
    pub status_list_index: String,
    /// URL of the status list credential.
    pub status_list_credential: String,
}

impl StatusListEntry {
    /// The entry for `index` in the list at `list_url`.
    pub fn new(list_url: &str, purpose: StatusPurpose, index: u64) -> Self {
        Self {
            id: format!("{list_url}#{index}"),
            kind: "BitstringStatusListEntry".into(),
            status_purpose: purpose,
            status_list_index: index.to_string(),
            status_list_credential: list_url.to_owned(),
        }
    }

    /// The entries of a credential's `credentialStatus` (an object or an array).
    pub fn of_credential(doc: &serde_json::Value) -> Result<Vec<Self>, String> {
        let items: Vec<&serde_json::Value> = match doc.get("credentialStatus") {
            None => return Ok(vec![]),
            Some(serde_json::Value::Array(a)) => a.iter().collect(),
            Some(x) => vec![x],
        };
        items
            .into_iter()
            .map(|x| {
                let e: Self = serde_json::from_value(x.clone()).map_err(|e| {
                    format!("credentialStatus is not a BitstringStatusListEntry: {e}")
                })?;
                if e.kind != "BitstringStatusListEntry" {
                    return Err(format!(
                        "credentialStatus type `{}` is not supported",
                        e.kind
                    ));
                }
                e.index()?;
                Ok(e)
            })
            .collect()
    }

    /// The index as a number.
    pub fn index(&self) -> Result<usize, String> {
        self.status_list_index.parse::<usize>().map_err(|_| {
            format!(
                "statusListIndex `{}` is not a non-negative integer",
                self.status_list_index
            )
        })
    }
}

/// The unsigned status list credential (§2.2), valid from `valid_from` (RFC 3339), telling
/// verifiers to cache it for `ttl_ms` milliseconds.
pub fn status_list_credential(
    url: &str,
    issuer: &Did,
    purpose: StatusPurpose,
    bits: &Bitstring,
    valid_from: &str,
    ttl_ms: u64,
) -> serde_json::Value {
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.as_str(),
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose.name(),
            "encodedList": bits.encode(),
            "ttl": ttl_ms
        }
    })
}

/// Why a status list could not be had, as a sentence naming the list.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FetchError(pub String);

/// A boxed future of a fetched list credential.
pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<serde_json::Value, FetchError>> + Send + 'a>>;

/// Gives status list credentials by URL (locally for our own, over HTTPS for others).
pub trait StatusListSource: Send + Sync {
    /// The list credential at `url`.
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a>;
}

/// A source that has no lists (status is then unknown).
#[derive(Debug, Default)]
pub struct NoStatusLists;

impl StatusListSource for NoStatusLists {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            Err(FetchError(format!(
                "the status list {url} cannot be fetched here"
            )))
        })
    }
}

/// The state a status check arrives at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CredentialState {
    /// The credential declares no status list.
    NotDeclared,
    /// Neither revoked nor suspended.
    Active,
    /// Suspended (may be lifted).
    Suspended,
    /// Revoked (final).
    Revoked,
    /// The status could not be established.
    Unknown,
}

/// The outcome of the status check: the state, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOutcome {
    /// The state.
    pub state: CredentialState,
    /// Why, in plain words.
    pub reason: String,
}

fn unknown(reason: impl Into<String>) -> StatusOutcome {
    StatusOutcome {
        state: CredentialState::Unknown,
        reason: format!("unknown: {}", reason.into()),
    }
}

/// Checks every status entry of `doc` (§3.2): revoked wins over suspended, which wins over
/// active; any entry that cannot be read makes the result unknown.
pub async fn check_status(
    doc: &serde_json::Value,
    resolver: &dyn DidResolver,
    source: &dyn StatusListSource,
) -> StatusOutcome {
    let entries = match StatusListEntry::of_credential(doc) {
        Ok(e) if e.is_empty() => {
            return StatusOutcome {
                state: CredentialState::NotDeclared,
                reason: "the credential declares no revocation status".into(),
            }
        }
        Ok(e) => e,
        Err(e) => return unknown(e),
    };
    let issuer = match doc.get("issuer") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Object(o)) => {
            o.get("id").and_then(|v| v.as_str()).map(String::from)
        }
        _ => None,
    };
    let Some(issuer) = issuer else {
        return unknown("the credential names no issuer");
    };
    let mut revoked = false;
    let mut suspended = false;
    for e in &entries {
        let list = match source.fetch(&e.status_list_credential).await {
            Ok(l) => l,
            Err(err) => return unknown(err.to_string()),
        };
        match read_bit(&list, e, &issuer, resolver).await {
            Ok(true) if e.status_purpose == StatusPurpose::Revocation => revoked = true,
            Ok(true) => suspended = true,
            Ok(false) => {}
            Err(why) => return unknown(why),
        }
    }
    if revoked {
        StatusOutcome {
            state: CredentialState::Revoked,
            reason: "revoked by its issuer".into(),
        }
    } else if suspended {
        StatusOutcome {
            state: CredentialState::Suspended,
            reason: "suspended by its issuer".into(),
        }
    } else {
        StatusOutcome {
            state: CredentialState::Active,
            reason: format!(
                "active: checked {} status list(s) ({})",
                entries.len(),
                entries
                    .iter()
                    .map(|e| e.status_purpose.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

async fn read_bit(
    list: &serde_json::Value,
    e: &StatusListEntry,
    issuer: &str,
    resolver: &dyn DidResolver,
) -> Result<bool, String> {
    let url = &e.status_list_credential;
    if list.get("id").and_then(|v| v.as_str()) != Some(url.as_str()) {
        return Err(format!(
            "the document fetched from {url} is not that status list"
        ));
    }
    let list_issuer = match list.get("issuer") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Object(o)) => o
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    if list_issuer != issuer {
        return Err(format!(
            "the status list {url} was issued by `{list_issuer}`, not by the credential's issuer"
        ));
    }
    let proofs = proof::verify(list, resolver, "assertionMethod")
        .await
        .map_err(|err| format!("the status list {url} fails its proof check: {err}"))?;
    let issuer_did = Did::new(issuer).map_err(|_| format!("the issuer `{issuer}` is not a DID"))?;
    if proofs
        .iter()
        .any(|p| p.controller != issuer_did || !p.purpose_authorized)
    {
        return Err(format!(
            "the status list {url} is not signed by an assertion key of {issuer}"
        ));
    }
    if let Some(until) = list.get("validUntil").and_then(|v| v.as_str()) {
        let until =
            crate::model::parse_datetime("validUntil", "", until).map_err(|e| e.to_string())?;
        if until < time::OffsetDateTime::now_utc() {
            return Err(format!("the status list {url} has expired"));
        }
    }
    let subject = list
        .get("credentialSubject")
        .ok_or_else(|| format!("the status list {url} has no credentialSubject"))?;
    if subject.get("type").and_then(|v| v.as_str()) != Some("BitstringStatusList") {
        return Err(format!("{url} is not a BitstringStatusList"));
    }
    if subject.get("statusPurpose").and_then(|v| v.as_str()) != Some(e.status_purpose.name()) {
        return Err(format!(
            "the status list {url} is not for {}",
            e.status_purpose.name()
        ));
    }
    let bits = Bitstring::decode(
        subject
            .get("encodedList")
            .and_then(|v| v.as_str())
            .unwrap_or_default(),
    )
    .map_err(|err| format!("the status list {url}: {err}"))?;
    let i = e.index()?;
    bits.get(i)
        .ok_or_else(|| format!("index {i} is past the end of the status list {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_empty_list_decodes_to_131072_zero_bits() {
        // Bitstring Status List v1.0, Example "BitstringStatusListCredential".
        let b = Bitstring::decode(
            "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
        )
        .unwrap();
        assert_eq!(b.len(), MIN_LIST_BITS);
        assert!((0..b.len()).all(|i| b.get(i) == Some(false)));
    }

    #[test]
    fn bits_round_trip_left_most_first() {
        let mut b = Bitstring::new(0);
        assert!(b.set(0, true) && b.set(94_567, true) && b.set(131_071, true));
        assert!(!b.set(131_072, true));
        let d = Bitstring::decode(&b.encode()).unwrap();
        assert_eq!(d.as_bytes()[0], 0x80);
        assert_eq!(d.get(94_567), Some(true));
        assert_eq!(d.get(94_568), Some(false));
        assert_eq!(d.get(131_071), Some(true));
        assert!(d.encode().len() < 400, "a sparse list compresses well");
    }

    #[test]
    fn short_or_malformed_lists_are_refused() {
        assert_eq!(
            Bitstring::from_bytes(vec![0; 10]).unwrap_err(),
            BitstringError::TooShort(80)
        );
        assert_eq!(
            Bitstring::decode("zabc").unwrap_err(),
            BitstringError::Encoding
        );
        assert_eq!(
            Bitstring::decode("uAAAA").unwrap_err(),
            BitstringError::Compression
        );
    }
}
