//! Ed25519 keys in the Multikey format (W3C Controlled Identifiers v1.0 §2.2.2): public keys as
//! `z6Mk...` (multicodec `ed25519-pub` 0xed), secret keys as `z3u2...` (`ed25519-priv` 0x1300),
//! both base58-btc multibase. The key file format is the one of the W3C test vectors'
//! `keyPair.json`.

use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};

use crate::model::Did;

const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// What can go wrong with a key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The multibase text could not be decoded.
    #[error("`{0}` is not a base58-btc multibase value")]
    Multibase(String),
    /// The bytes are not an Ed25519 key with its multicodec prefix.
    #[error("not an Ed25519 {0} key (expected multicodec prefix and 32 bytes)")]
    NotEd25519(&'static str),
    /// The public key does not belong to the secret key.
    #[error("the public key does not match the secret key")]
    Mismatch,
}

/// An Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// Decodes a `publicKeyMultibase` value (`z6Mk...`). Decoded keys are kept per thread
    /// (bounded): decompressing the curve point is most of a DID resolution's cost, and the
    /// same issuer keys recur.
    pub fn from_multibase(s: &str) -> Result<Self, KeyError> {
        thread_local! {
            static DECODED: std::cell::RefCell<std::collections::HashMap<String, PublicKey>> =
                std::cell::RefCell::default();
        }
        if let Some(k) = DECODED.with(|d| d.borrow().get(s).copied()) {
            return Ok(k);
        }
        let key = Self::decode_multibase(s)?;
        DECODED.with(|d| {
            let mut d = d.borrow_mut();
            if d.len() >= 1024 {
                d.clear();
            }
            d.insert(s.to_owned(), key);
        });
        Ok(key)
    }

    fn decode_multibase(s: &str) -> Result<Self, KeyError> {
        let bytes = decode_base58btc(s)?;
        let raw = bytes
            .strip_prefix(&ED25519_PUB)
            .filter(|r| r.len() == 32)
            .ok_or(KeyError::NotEd25519("public"))?;
        let arr: [u8; 32] = raw.try_into().expect("32 bytes");
        ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map(Self)
            .map_err(|_| KeyError::NotEd25519("public"))
    }

    /// The `publicKeyMultibase` value.
    pub fn to_multibase(&self) -> String {
        let mut b = ED25519_PUB.to_vec();
        b.extend_from_slice(self.0.as_bytes());
        multibase::encode(multibase::Base::Base58Btc, b)
    }

    /// The `did:key` of this key.
    pub fn did_key(&self) -> Did {
        Did::new(&format!("did:key:{}", self.to_multibase())).expect("valid did:key")
    }

    /// The verification method id of this key's `did:key`.
    pub fn did_key_method(&self) -> String {
        format!("{}#{}", self.did_key(), self.to_multibase())
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` (strict verification:
    /// RFC 8032 §5.1.7, rejecting non-canonical and small-order encodings; it passes only
    /// where the plain check passes too).
    ///
    /// Signatures found valid are remembered (bounded), by the SHA-256 of key, signature and
    /// message: the same stored credential and status lists, shown on every view of a public
    /// page, are checked once. A pure function of its inputs, so nothing can go stale.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        static VALID: std::sync::LazyLock<moka::sync::Cache<[u8; 32], ()>> =
            std::sync::LazyLock::new(|| moka::sync::Cache::new(20_000));
        let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        let key: [u8; 32] = Sha256::new()
            .chain_update(self.0.as_bytes())
            .chain_update(signature)
            .chain_update(message)
            .finalize()
            .into();
        if VALID.contains_key(&key) {
            return true;
        }
        let valid = self.0.verify_strict(message, &sig).is_ok();
        if valid {
            VALID.insert(key, ());
        }
        valid
    }
}

/// An Ed25519 signing key.
#[derive(Clone)]
pub struct KeyPair(ed25519_dalek::SigningKey);

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({})", self.public().to_multibase())
    }
}

impl KeyPair {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// A key from its 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The 32-byte seed (keep it secret).
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Decodes a `secretKeyMultibase` / `privateKeyMultibase` value (`z3u2...`).
    pub fn from_multibase(s: &str) -> Result<Self, KeyError> {
        let bytes = decode_base58btc(s)?;
        let raw = bytes
            .strip_prefix(&ED25519_PRIV)
            .filter(|r| r.len() == 32)
            .ok_or(KeyError::NotEd25519("secret"))?;
        Ok(Self::from_seed(raw.try_into().expect("32 bytes")))
    }

    /// The secret key as multibase (`z3u2...`).
    pub fn to_multibase(&self) -> String {
        let mut b = ED25519_PRIV.to_vec();
        b.extend_from_slice(&self.0.to_bytes());
        multibase::encode(multibase::Base::Base58Btc, b)
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (Ed25519, RFC 8032; deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// The JSON key file written by `microcred keygen` (same shape as the W3C vectors'
/// `keyPair.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFile {
    /// `z6Mk...`
    pub public_key_multibase: String,
    /// `z3u2...`
    #[serde(alias = "secretKeyMultibase")]
    pub private_key_multibase: String,
}

impl KeyFile {
    /// The key file of `key`.
    pub fn of(key: &KeyPair) -> Self {
        Self {
            public_key_multibase: key.public().to_multibase(),
            private_key_multibase: key.to_multibase(),
        }
    }

    /// The key pair, checking that both halves belong together.
    pub fn key_pair(&self) -> Result<KeyPair, KeyError> {
        let key = KeyPair::from_multibase(&self.private_key_multibase)?;
        if key.public() != PublicKey::from_multibase(&self.public_key_multibase)? {
            return Err(KeyError::Mismatch);
        }
        Ok(key)
    }
}

/// Decodes base58-btc multibase (`z...`) only.
pub fn decode_base58btc(s: &str) -> Result<Vec<u8>, KeyError> {
    match multibase::decode(s) {
        Ok((multibase::Base::Base58Btc, b)) => Ok(b),
        _ => Err(KeyError::Multibase(s.chars().take(80).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vector_key_pair_decodes_and_matches() {
        let kf = KeyFile {
            public_key_multibase: "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2".into(),
            private_key_multibase: "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq".into(),
        };
        let k = kf.key_pair().unwrap();
        assert_eq!(k.public().to_multibase(), kf.public_key_multibase);
        assert_eq!(k.to_multibase(), kf.private_key_multibase);
    }

    #[test]
    fn a_key_file_with_halves_of_two_keys_is_refused() {
        let a = KeyPair::generate();
        let b = KeyPair::generate();
        let kf = KeyFile {
            public_key_multibase: a.public().to_multibase(),
            private_key_multibase: b.to_multibase(),
        };
        assert_eq!(kf.key_pair().unwrap_err(), KeyError::Mismatch);
    }
}
