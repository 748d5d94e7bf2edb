//! Data Integrity proofs (W3C VC Data Integrity 1.0 §4) with the EdDSA cryptosuites of
//! W3C Data Integrity EdDSA Cryptosuites v1.0: `eddsa-rdfc-2022` (§3.2) and `eddsa-jcs-2022`
//! (§3.3), Ed25519 keys in Multikey form, `proofValue` in base58-btc multibase.
//!
//! `eddsa-jcs-2022` is not in ssi 0.16: it is implemented here (transformation = RFC 8785 JCS,
//! hashing = SHA-256 of proof configuration then of document, concatenated).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{jcs::canonical_json, rdfc::canonical_nquads};
use crate::did::DidResolver;
use crate::keys::{decode_base58btc, KeyPair, PublicKey};
use crate::model::Did;

/// The proof type of every Data Integrity proof.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// A supported cryptosuite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Cryptosuite {
    /// RDF canonicalization (RDFC-1.0), SHA-256, Ed25519.
    #[default]
    #[serde(rename = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
    /// JSON canonicalization (RFC 8785), SHA-256, Ed25519.
    #[serde(rename = "eddsa-jcs-2022")]
    EddsaJcs2022,
}

impl Cryptosuite {
    /// The `cryptosuite` string.
    pub fn name(self) -> &'static str {
        match self {
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }

    /// Parses a `cryptosuite` string.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "eddsa-rdfc-2022" => Some(Self::EddsaRdfc2022),
            "eddsa-jcs-2022" => Some(Self::EddsaJcs2022),
            _ => None,
        }
    }
}

impl std::str::FromStr for Cryptosuite {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s)
            .ok_or_else(|| format!("unknown cryptosuite `{s}` (eddsa-rdfc-2022 or eddsa-jcs-2022)"))
    }
}

/// The proof options a signer chooses (VC Data Integrity §4.2 "Add Proof").
#[derive(Debug, Clone)]
pub struct ProofOptions {
    /// Cryptosuite.
    pub cryptosuite: Cryptosuite,
    /// DID URL of the key (`did:web:...#key-1`, `did:key:z...#z...`).
    pub verification_method: String,
    /// `created`; second precision, UTC.
    pub created: OffsetDateTime,
    /// `assertionMethod` for credentials, `authentication` for presentations.
    pub proof_purpose: String,
    /// Optional `challenge` (presentations).
    pub challenge: Option<String>,
    /// Optional `domain` (presentations).
    pub domain: Option<String>,
    /// Optional `expires`: after it, the proof is not valid (VC Data Integrity §2.1).
    pub expires: Option<OffsetDateTime>,
    /// Optional proof `id` (needed for a later proof of a chain to name this one).
    pub id: Option<String>,
    /// `previousProof`: the ids of the proofs this one chains to (VC Data Integrity §2.1.2).
    pub previous_proof: Vec<String>,
}

impl ProofOptions {
    /// Options for issuing a credential now with `verification_method`.
    pub fn assertion(cryptosuite: Cryptosuite, verification_method: impl Into<String>) -> Self {
        Self {
            cryptosuite,
            verification_method: verification_method.into(),
            created: OffsetDateTime::now_utc(),
            proof_purpose: "assertionMethod".into(),
            challenge: None,
            domain: None,
            expires: None,
            id: None,
            previous_proof: Vec::new(),
        }
    }

    fn configuration(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        if let Some(id) = &self.id {
            m.insert("id".into(), id.clone().into());
        }
        m.insert("type".into(), DATA_INTEGRITY_PROOF.into());
        m.insert("cryptosuite".into(), self.cryptosuite.name().into());
        let created = self
            .created
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .expect("valid")
            .format(&Rfc3339)
            .expect("formats");
        m.insert("created".into(), created.into());
        m.insert(
            "verificationMethod".into(),
            self.verification_method.clone().into(),
        );
        m.insert("proofPurpose".into(), self.proof_purpose.clone().into());
        if let Some(c) = &self.challenge {
            m.insert("challenge".into(), c.clone().into());
        }
        if let Some(d) = &self.domain {
            m.insert("domain".into(), d.clone().into());
        }
        if let Some(e) = self.expires {
            let e = e
                .to_offset(time::UtcOffset::UTC)
                .replace_nanosecond(0)
                .expect("valid")
                .format(&Rfc3339)
                .expect("formats");
            m.insert("expires".into(), e.into());
        }
        match self.previous_proof.as_slice() {
            [] => {}
            [one] => {
                m.insert("previousProof".into(), one.clone().into());
            }
            many => {
                m.insert("previousProof".into(), many.to_vec().into());
            }
        }
        m
    }
}

/// Why signing failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    /// The input is not a JSON object.
    #[error("the document to sign must be a JSON object")]
    NotAnObject,
    /// The input already carries a proof.
    #[error("the document already has a proof; remove it first")]
    AlreadySigned,
    /// JSON-LD processing failed (an undefined term, an unknown context...).
    #[error(transparent)]
    Canonicalization(#[from] super::rdfc::CanonicalizationError),
}

/// Why a proof does not verify. Each message says what is wrong in plain words.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// No proof at all.
    #[error("the credential has no proof")]
    Missing,
    /// The proof is not a Data Integrity proof we can check.
    #[error("unsupported proof: {0}")]
    Unsupported(String),
    /// A proof field is missing or malformed.
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The verification method could not be resolved to a key.
    #[error("the verification method could not be resolved: {0}")]
    Unresolvable(String),
    /// JSON-LD processing failed.
    #[error(transparent)]
    Canonicalization(#[from] super::rdfc::CanonicalizationError),
    /// The signature does not match the document and key.
    #[error("the signature does not match: the credential was altered after signing, or was signed with another key")]
    BadSignature,
    /// The proof's `expires` has passed (VC Data Integrity §2.1).
    #[error("the proof expired on {0}")]
    Expired(String),
}

/// A proof that verified: which key signed, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The cryptosuite used.
    pub cryptosuite: Cryptosuite,
    /// The verification method id.
    pub verification_method: String,
    /// The DID that controls the method (the method id before `#`), with its document.
    pub controller: Did,
    /// Whether the controller's DID document lists the method under the proof purpose.
    pub purpose_authorized: bool,
    /// `proofPurpose`.
    pub proof_purpose: String,
    /// `created`, if present and well-formed.
    pub created: Option<OffsetDateTime>,
}

/// The bytes an EdDSA cryptosuite signs: SHA-256(proof configuration) || SHA-256(document).
fn hash_data(
    suite: Cryptosuite,
    document: &serde_json::Value,
    config: &serde_json::Value,
) -> Result<[u8; 64], super::rdfc::CanonicalizationError> {
    let (config_hash, doc_hash) = match suite {
        Cryptosuite::EddsaRdfc2022 => {
            let c = canonical_nquads(config)?;
            let d = canonical_nquads(document)?;
            (sha256_lines(&c), sha256_lines(&d))
        }
        Cryptosuite::EddsaJcs2022 => (
            Sha256::digest(canonical_json(config).as_bytes()).into(),
            Sha256::digest(canonical_json(document).as_bytes()).into(),
        ),
    };
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&config_hash);
    out[32..].copy_from_slice(&doc_hash);
    Ok(out)
}

/// Most verification hashes remembered (each entry about 100 bytes).
const MAX_REMEMBERED_HASHES: u64 = 20_000;

/// [`hash_data`] for verification, remembered: the hash of a document and proof configuration
/// is a pure function of their JSON, so the credential shown on a public page and the status
/// lists it names (immutable for a given version) are canonicalised once, not on every view.
/// The key is the SHA-256 of their JSON text; the signature is still checked every time,
/// against the key resolved every time.
fn remembered_hash_data(
    suite: Cryptosuite,
    document: &serde_json::Value,
    config: &serde_json::Value,
) -> Result<[u8; 64], super::rdfc::CanonicalizationError> {
    let key = memo_key(suite, document, config);
    if let Some(data) = REMEMBERED.get(&key) {
        return Ok(data);
    }
    let data = hash_data(suite, document, config)?;
    REMEMBERED.insert(key, data);
    Ok(data)
}

static REMEMBERED: std::sync::LazyLock<moka::sync::Cache<[u8; 32], [u8; 64]>> =
    std::sync::LazyLock::new(|| moka::sync::Cache::new(MAX_REMEMBERED_HASHES));

fn memo_key(
    suite: Cryptosuite,
    document: &serde_json::Value,
    config: &serde_json::Value,
) -> [u8; 32] {
    Sha256::new()
        .chain_update(suite.name().as_bytes())
        .chain_update([0])
        .chain_update(serde_json::to_vec(document).unwrap_or_default())
        .chain_update([0])
        .chain_update(serde_json::to_vec(config).unwrap_or_default())
        .finalize()
        .into()
}

/// The proof configuration: the proof without `proofValue`, with `@context` as the suite
/// requires (eddsa-rdfc-2022: the document's; eddsa-jcs-2022: its own, a prefix of the
/// document's).
fn proof_configuration(
    p: &serde_json::Map<String, serde_json::Value>,
    suite: Cryptosuite,
    doc_ctx: Option<&serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, ProofError> {
    let mut config = p.clone();
    config.remove("proofValue");
    match suite {
        Cryptosuite::EddsaRdfc2022 => {
            if let Some(ctx) = doc_ctx {
                config.insert("@context".into(), ctx.clone());
            }
        }
        Cryptosuite::EddsaJcs2022 => {
            if let Some(pctx) = config.get("@context") {
                let starts_with = match (pctx, doc_ctx) {
                    (serde_json::Value::Array(pc), Some(serde_json::Value::Array(dc))) => {
                        dc.len() >= pc.len() && dc[..pc.len()] == pc[..]
                    }
                    (a, Some(b)) => a == b,
                    (_, None) => false,
                };
                if !starts_with {
                    return Err(ProofError::Malformed(
                        "proof.@context is not a prefix of the document's @context".into(),
                    ));
                }
            }
        }
    }
    Ok(config)
}

/// Whether the hash of `document`'s one `eddsa-rdfc-2022` proof is remembered from an earlier
/// verification, so that verifying it again costs a signature check at most (a caller may then
/// verify it in place instead of queueing it for the verification pool).
pub fn proof_is_remembered(document: &serde_json::Value) -> bool {
    let Some(obj) = document.as_object() else {
        return false;
    };
    let Some(serde_json::Value::Object(proof)) = obj.get("proof") else {
        return false;
    };
    if proof.contains_key("previousProof")
        || proof.get("cryptosuite").and_then(|c| c.as_str()) != Some("eddsa-rdfc-2022")
    {
        return false;
    }
    let Ok(config) = proof_configuration(proof, Cryptosuite::EddsaRdfc2022, obj.get("@context"))
    else {
        return false;
    };
    let mut unsecured = obj.clone();
    unsecured.remove("proof");
    REMEMBERED.contains_key(&memo_key(
        Cryptosuite::EddsaRdfc2022,
        &serde_json::Value::Object(unsecured),
        &serde_json::Value::Object(config),
    ))
}

fn sha256_lines(lines: &[String]) -> [u8; 32] {
    lines
        .iter()
        .fold(Sha256::new(), |h, l| h.chain_update(l.as_bytes()))
        .finalize()
        .into()
}

/// Signs `document` (VC Data Integrity §4.2 "Add Proof"), returning it with a `proof`.
pub fn sign(
    document: &serde_json::Value,
    key: &KeyPair,
    options: &ProofOptions,
) -> Result<serde_json::Value, SignError> {
    let obj = document.as_object().ok_or(SignError::NotAnObject)?;
    // A document that already has proofs is signed again only as a chain or set member that
    // says which earlier proofs it covers (VC Data Integrity §4.2).
    let existing: Vec<serde_json::Value> = match obj.get("proof") {
        None => Vec::new(),
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(p) => vec![p.clone()],
    };
    if !existing.is_empty() && options.previous_proof.is_empty() {
        return Err(SignError::AlreadySigned);
    }
    let previous = matching_proofs(&existing, &options.previous_proof)
        .map_err(|_| SignError::AlreadySigned)?;
    let mut unsecured = obj.clone();
    unsecured.remove("proof");
    let mut input = unsecured.clone();
    if !previous.is_empty() {
        input.insert("proof".into(), serde_json::Value::Array(previous));
    }
    let document = &serde_json::Value::Object(input);
    let obj = &unsecured;
    let mut config = options.configuration();
    if let Some(ctx) = obj.get("@context") {
        config.insert("@context".into(), ctx.clone());
    }
    let config_value = serde_json::Value::Object(config.clone());
    let data = hash_data(options.cryptosuite, document, &config_value)?;
    let signature = key.sign(&data);

    // rdfc: the proof omits @context (it inherits the document's); jcs keeps it (§3.3.6).
    if options.cryptosuite == Cryptosuite::EddsaRdfc2022 {
        config.remove("@context");
    }
    config.insert(
        "proofValue".into(),
        multibase::encode(multibase::Base::Base58Btc, signature).into(),
    );
    let mut out = obj.clone();
    if existing.is_empty() {
        out.insert("proof".into(), serde_json::Value::Object(config));
    } else {
        let mut all = existing;
        all.push(serde_json::Value::Object(config));
        out.insert("proof".into(), serde_json::Value::Array(all));
    }
    Ok(serde_json::Value::Object(out))
}

/// The proofs of `all` whose `id` is one of `ids` (VC Data Integrity §4.2 step 5, §4.3 step
/// 4): all must be found.
fn matching_proofs(
    all: &[serde_json::Value],
    ids: &[String],
) -> Result<Vec<serde_json::Value>, String> {
    ids.iter()
        .map(|id| {
            all.iter()
                .find(|p| p.get("id").and_then(|v| v.as_str()) == Some(id.as_str()))
                .cloned()
                .ok_or_else(|| format!("previousProof `{id}` is not among the document's proofs"))
        })
        .collect()
}

/// Verifies every proof on `document` (VC Data Integrity §4.3 "Verify Proof"), resolving
/// keys through `resolver`. `expected_purpose` is `assertionMethod` for credentials.
pub async fn verify(
    document: &serde_json::Value,
    resolver: &dyn DidResolver,
    expected_purpose: &str,
) -> Result<Vec<VerifiedProof>, ProofError> {
    let obj = document
        .as_object()
        .ok_or_else(|| ProofError::Malformed("the document is not a JSON object".into()))?;
    let proofs: Vec<&serde_json::Value> = match obj.get("proof") {
        None => return Err(ProofError::Missing),
        Some(serde_json::Value::Array(a)) if a.is_empty() => return Err(ProofError::Missing),
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(p) => vec![p],
    };
    let mut unsecured = obj.clone();
    unsecured.remove("proof");
    let unsecured = serde_json::Value::Object(unsecured);

    let all: Vec<serde_json::Value> = proofs.iter().map(|p| (*p).clone()).collect();
    let mut out = Vec::new();
    for proof in proofs {
        // A proof of a chain covers the document with the proofs it names (§4.3 step 4).
        let previous: Vec<String> = match proof.get("previousProof") {
            None => Vec::new(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ProofError::Malformed("previousProof must be ids".into()))?,
            Some(_) => return Err(ProofError::Malformed("previousProof must be ids".into())),
        };
        let input = if previous.is_empty() {
            unsecured.clone()
        } else {
            let matching = matching_proofs(&all, &previous).map_err(ProofError::Malformed)?;
            let mut input = unsecured.as_object().expect("an object").clone();
            input.insert("proof".into(), serde_json::Value::Array(matching));
            serde_json::Value::Object(input)
        };
        out.push(verify_one(&input, proof, resolver, expected_purpose).await?);
    }
    Ok(out)
}

async fn verify_one(
    unsecured: &serde_json::Value,
    proof: &serde_json::Value,
    resolver: &dyn DidResolver,
    expected_purpose: &str,
) -> Result<VerifiedProof, ProofError> {
    let p = proof
        .as_object()
        .ok_or_else(|| ProofError::Malformed("proof is not an object".into()))?;
    let field = |name: &str| -> Result<&str, ProofError> {
        p.get(name).and_then(|v| v.as_str()).ok_or_else(|| {
            ProofError::Malformed(format!("proof.{name} is missing or not a string"))
        })
    };
    let ty = field("type")?;
    if ty != DATA_INTEGRITY_PROOF {
        return Err(ProofError::Unsupported(format!(
            "proof type `{ty}` (only DataIntegrityProof is accepted)"
        )));
    }
    let suite_name = field("cryptosuite")?;
    let suite = Cryptosuite::from_name(suite_name).ok_or_else(|| {
        ProofError::Unsupported(format!(
            "cryptosuite `{suite_name}` (eddsa-rdfc-2022 and eddsa-jcs-2022 are accepted)"
        ))
    })?;
    let purpose = field("proofPurpose")?;
    if purpose != expected_purpose {
        return Err(ProofError::Malformed(format!(
            "proofPurpose is `{purpose}`, expected `{expected_purpose}`"
        )));
    }
    let created = match p.get("created") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
                .ok_or_else(|| ProofError::Malformed("proof.created is not a date-time".into()))?,
        ),
    };
    // VC Data Integrity §2.1: a proof whose `expires` has passed is not valid.
    if let Some(v) = p.get("expires") {
        let expires = v
            .as_str()
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .ok_or_else(|| ProofError::Malformed("proof.expires is not a date-time".into()))?;
        if expires < OffsetDateTime::now_utc() {
            return Err(ProofError::Expired(
                v.as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    let vm_id = field("verificationMethod")?;
    let proof_value = field("proofValue")?;
    let signature = decode_base58btc(proof_value)
        .map_err(|_| ProofError::Malformed("proofValue is not base58-btc multibase".into()))?;
    if signature.len() != 64 {
        return Err(ProofError::Malformed(format!(
            "proofValue holds {} bytes, an Ed25519 signature has 64",
            signature.len()
        )));
    }

    let config = proof_configuration(p, suite, unsecured.get("@context"))?;
    let data = remembered_hash_data(suite, unsecured, &serde_json::Value::Object(config))?;

    // Resolve the key.
    let (did_part, _) = vm_id.split_once('#').ok_or_else(|| {
        ProofError::Unresolvable(format!("`{vm_id}` is not a DID URL with a fragment"))
    })?;
    let controller = Did::new(did_part).map_err(|e| ProofError::Unresolvable(e.to_string()))?;
    let doc = resolver
        .resolve(&controller)
        .await
        .map_err(|e| ProofError::Unresolvable(e.to_string()))?;
    let vm = doc.method(vm_id).ok_or_else(|| {
        ProofError::Unresolvable(format!(
            "`{vm_id}` is not in the DID document of {controller}"
        ))
    })?;
    if vm.controller != controller.as_str() {
        return Err(ProofError::Unresolvable(format!(
            "`{vm_id}` is controlled by {}, not {controller}",
            vm.controller
        )));
    }
    let key: PublicKey = vm
        .public_key()
        .map_err(|e| ProofError::Unresolvable(e.to_string()))?;
    if !key.verify(&data, &signature) {
        return Err(ProofError::BadSignature);
    }
    let purpose_authorized = match purpose {
        "authentication" => doc.is_authentication_method(vm_id),
        _ => doc.is_assertion_method(vm_id),
    };
    Ok(VerifiedProof {
        cryptosuite: suite,
        verification_method: vm_id.to_owned(),
        controller,
        purpose_authorized,
        proof_purpose: purpose.to_owned(),
        created,
    })
}
