//! Secrets at rest and in transit: the master key that encrypts institutions' signing keys
//! (XChaCha20-Poly1305, RFC 8439 with a 192-bit nonce), random API tokens stored only as
//! SHA-256 hashes, and the short unguessable codes of public verification URLs.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The 32-byte key that encrypts signing keys and Moodle tokens at rest, and (through a key
/// derived from it) authenticates learners' private holder links.
#[derive(Clone)]
pub struct MasterKey {
    aead: XChaCha20Poly1305,
    mac: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// A master key or ciphertext that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The master key text is not 32 bytes of base64.
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadMasterKey,
    /// Decryption failed: wrong master key or damaged data.
    #[error("a signing key could not be decrypted (wrong master key, or damaged data)")]
    Decrypt,
}

impl MasterKey {
    /// A new random master key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self::from_bytes(k)
    }

    /// From raw bytes.
    pub fn from_bytes(k: [u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"microcred link key\0");
        h.update(k);
        Self {
            aead: XChaCha20Poly1305::new(&k.into()),
            mac: h.finalize().into(),
        }
    }

    /// The secret part of a credential's private holder link: an HMAC-SHA256 (RFC 2104) of
    /// its internal key and the link's generation (`epoch`), so nothing secret is stored, the
    /// link cannot be guessed (128 bits), and moving the epoch on revokes it.
    pub fn holder_token(&self, credential_key: &str, epoch: i64) -> String {
        use hmac::{Hmac, Mac};
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac).expect("any key length");
        m.update(b"holder:");
        m.update(credential_key.as_bytes());
        m.update(format!(":{epoch}").as_bytes());
        URL_SAFE_NO_PAD.encode(&m.finalize().into_bytes()[..16])
    }

    /// Whether `token` is the holder token of `credential_key` (constant-time comparison).
    pub fn is_holder_token(&self, credential_key: &str, epoch: i64, token: &str) -> bool {
        let want = self.holder_token(credential_key, epoch);
        want.len() == token.len()
            && want
                .bytes()
                .zip(token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// From its base64 text (as stored in the key file or the environment).
    pub fn from_base64(s: &str) -> Result<Self, SecretError> {
        let b = STANDARD
            .decode(s.trim())
            .map_err(|_| SecretError::BadMasterKey)?;
        let k: [u8; 32] = b.try_into().map_err(|_| SecretError::BadMasterKey)?;
        Ok(Self::from_bytes(k))
    }

    /// A new random key with its base64 text, to save.
    pub fn generate_base64() -> (Self, String) {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        (Self::from_bytes(k), STANDARD.encode(k))
    }

    /// Encrypts `plain`; the result is base64(nonce || ciphertext).
    pub fn encrypt(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .aead
            .encrypt(&XNonce::from(nonce), plain)
            .expect("encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend(ct);
        STANDARD.encode(out)
    }

    /// Decrypts what [`MasterKey::encrypt`] wrote.
    pub fn decrypt(&self, text: &str) -> Result<Vec<u8>, SecretError> {
        let b = STANDARD.decode(text).map_err(|_| SecretError::Decrypt)?;
        if b.len() < 24 {
            return Err(SecretError::Decrypt);
        }
        let (nonce, ct) = b.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| SecretError::Decrypt)?;
        self.aead
            .decrypt(&XNonce::from(nonce), ct)
            .map_err(|_| SecretError::Decrypt)
    }
}

/// A new API token (`mc_` + 32 random bytes, base64url): shown once, stored hashed.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("mc_{}", URL_SAFE_NO_PAD.encode(b))
}

/// The stored form of a token: hex SHA-256 (tokens are 256-bit random, so a slow hash adds
/// nothing).
pub fn hash_token(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A verification code: 16 Crockford base32 characters (80 random bits), upper case so that
/// the whole verification URL can be QR-encoded in the compact alphanumeric mode.
pub fn new_code() -> String {
    let mut b = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let mut bits: u128 = 0;
    for x in b {
        bits = (bits << 8) | u128::from(x);
    }
    (0..16)
        .rev()
        .map(|i| CROCKFORD[((bits >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// A random salt for hashing learner identifiers (16 bytes, base64url).
pub fn new_salt() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A new random row id (UUID v4).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new credential id (`urn:uuid:`, RFC 9562 / RFC 4122 URN namespace).
pub fn new_credential_id() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// Whether two secrets (or their hashes) are equal, in constant time for equal lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Hex SHA-256 of arbitrary bytes (request fingerprints).
pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signature of a signed HTTP message, ours and the ones we accept: `sha256=` + hex of the
/// HMAC-SHA256 (RFC 2104) under `secret` of `<timestamp>.<body>` (sent as
/// `X-Microcred-Timestamp` and `X-Microcred-Signature`).
pub fn http_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_fails_under_another_master_key() {
        let k = MasterKey::generate();
        let ct = k.encrypt(b"seed");
        assert_eq!(k.decrypt(&ct).unwrap(), b"seed");
        assert!(MasterKey::generate().decrypt(&ct).is_err());
    }

    #[test]
    fn codes_are_sixteen_crockford_characters() {
        let c = new_code();
        assert_eq!(c.len(), 16);
        assert!(c.bytes().all(|b| CROCKFORD.contains(&b)));
        assert_ne!(new_code(), c);
    }
}
