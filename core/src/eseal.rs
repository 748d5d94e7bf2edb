//! An institution's electronic seal: the private key and X.509 certificate chain of a
//! "qualified certificate for electronic seals" (eIDAS Regulation (EU) 910/2014 art. 38;
//! ETSI EN 319 412-3 subject fields, EN 319 412-5 QCStatements), read from what trust service
//! providers hand out - a PKCS#12 file (RFC 7292) or PEM (RFC 7468: the certificates and a
//! PKCS#8, PKCS#1 or SEC1 key, optionally encrypted) - and used to make JAdES seals
//! ([`crate::jades::seal`]).
//!
//! RSA keys seal with RS256 (PS256 when the certificate's key is RSASSA-PSS), P-256 keys with
//! ES256 (RFC 7518 §3). The key must match the first certificate, the certificate must be
//! valid now and name the organisation (`O`) and its `organizationIdentifier` (2.5.4.97, e.g.
//! `VATMD-1002600012345`), which becomes the credential issuer's eIDAS legal identifier.

pub mod demo;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Why seal material was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealKeyError {
    /// The PKCS#12 file could not be opened.
    #[error("the PKCS#12 file could not be opened (wrong password, or not a PKCS#12 file): {0}")]
    Pkcs12(String),
    /// The PEM text holds no usable key or certificate.
    #[error("{0}")]
    Pem(String),
    /// The key is of a kind we cannot seal with.
    #[error("the private key is {0}; seals are made with RSA (RS256/PS256) or P-256 (ES256) keys")]
    KeyType(String),
    /// The key does not belong to the certificate.
    #[error("the private key does not belong to the first certificate ({0})")]
    Mismatch(String),
    /// The certificate is unreadable or unfit.
    #[error("the seal certificate {0}")]
    Certificate(String),
}

#[derive(Clone)]
enum Signer {
    Rsa {
        key: Box<rsa::RsaPrivateKey>,
        pss: bool,
    },
    P256(p256::ecdsa::SigningKey),
}

/// What the seal certificate says about its holder and itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealHolder {
    /// The certificate's subject, in full (RFC 4514).
    pub subject: String,
    /// The organisation (`O`).
    pub organisation: String,
    /// The seal's name (`CN`).
    pub common_name: Option<String>,
    /// The organisation identifier (2.5.4.97).
    pub organisation_identifier: String,
    /// The country (`C`), ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// The certificate's issuer (the trust service provider).
    pub issuer: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The certificate says it is a qualified certificate for electronic seals.
    pub qualified: bool,
    /// SHA-256 of the certificate, hex.
    pub fingerprint: String,
}

/// A private key with its certificate chain (leaf first).
#[derive(Clone)]
pub struct SealKey {
    signer: Signer,
    chain: Vec<Vec<u8>>,
    holder: SealHolder,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKey")
            .field("algorithm", &self.algorithm())
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// DER of the OIDs of ETSI EN 319 412-5: QcCompliance and QcType eseal.
const QC_COMPLIANCE: &[u8] = &[0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x01];
const QC_TYPE_ESEAL: &[u8] = &[0x06, 0x07, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, 0x02];

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether a certificate's extensions say "qualified certificate for electronic seals".
pub fn is_qualified_eseal(cert: &x509_parser::certificate::X509Certificate<'_>) -> bool {
    cert.extensions().iter().any(|e| {
        e.oid.to_id_string() == "1.3.6.1.5.5.7.1.3"
            && contains(e.value, QC_COMPLIANCE)
            && contains(e.value, QC_TYPE_ESEAL)
    })
}

fn attr(name: &x509_parser::x509::X509Name<'_>, oid: &str) -> Option<String> {
    name.iter_attributes()
        .find(|a| a.attr_type().to_id_string() == oid)
        .and_then(|a| a.as_str().ok().map(str::to_owned))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Reads the holder's details off a certificate (DER).
pub fn holder_of(der: &[u8]) -> Result<SealHolder, SealKeyError> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| SealKeyError::Certificate(format!("is unreadable: {e}")))?;
    let subject = cert.subject();
    let organisation = attr(subject, "2.5.4.10").ok_or_else(|| {
        SealKeyError::Certificate(format!(
            "names no organisation (O) in its subject `{subject}`"
        ))
    })?;
    let organisation_identifier = attr(subject, "2.5.4.97").ok_or_else(|| {
        SealKeyError::Certificate(format!(
            "has no organizationIdentifier (2.5.4.97, e.g. VATMD-1002600012345) in its subject `{subject}`; Europass needs it as the issuer's eIDAS legal identifier"
        ))
    })?;
    Ok(SealHolder {
        subject: subject.to_string(),
        organisation,
        common_name: attr(subject, "2.5.4.3"),
        organisation_identifier,
        country: attr(subject, "2.5.4.6"),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        qualified: is_qualified_eseal(&cert),
        fingerprint: hex(&Sha256::digest(der)),
    })
}

fn signer_from_pkcs8(der: &[u8]) -> Result<Signer, SealKeyError> {
    use pkcs8::DecodePrivateKey;
    let info = pkcs8::PrivateKeyInfo::try_from(der)
        .map_err(|e| SealKeyError::Pem(format!("the private key is unreadable: {e}")))?;
    let oid = info.algorithm.oid.to_string();
    match oid.as_str() {
        // rsaEncryption, id-RSASSA-PSS
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let key = rsa::RsaPrivateKey::from_pkcs8_der(der)
                .map_err(|e| SealKeyError::Pem(format!("the RSA key is unreadable: {e}")))?;
            Ok(Signer::Rsa {
                key: Box::new(key),
                pss: oid.ends_with(".10"),
            })
        }
        // id-ecPublicKey
        "1.2.840.10045.2.1" => p256::ecdsa::SigningKey::from_pkcs8_der(der)
            .map(Signer::P256)
            .map_err(|_| {
                SealKeyError::KeyType("an elliptic-curve key on a curve other than P-256".into())
            }),
        other => Err(SealKeyError::KeyType(format!("of type {other}"))),
    }
}

impl Signer {
    fn public_spki_der(&self) -> Vec<u8> {
        use pkcs8::EncodePublicKey;
        match self {
            Self::Rsa { key, .. } => key
                .to_public_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .unwrap_or_default(),
            Self::P256(k) => k
                .verifying_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    fn pkcs8_der(&self) -> Vec<u8> {
        use pkcs8::EncodePrivateKey;
        match self {
            Self::Rsa { key, .. } => key.to_pkcs8_der().map(|d| d.as_bytes().to_vec()),
            Self::P256(k) => k.to_pkcs8_der().map(|d| d.as_bytes().to_vec()),
        }
        .unwrap_or_default()
    }
}

impl SealKey {
    /// Checks the key against the first certificate (and the certificate's validity at `now`,
    /// when given).
    fn new(
        signer: Signer,
        chain: Vec<Vec<u8>>,
        now: Option<OffsetDateTime>,
    ) -> Result<Self, SealKeyError> {
        use x509_parser::prelude::*;
        let leaf = chain
            .first()
            .ok_or_else(|| SealKeyError::Certificate("is missing".into()))?;
        let holder = holder_of(leaf)?;
        let (_, cert) = X509Certificate::from_der(leaf)
            .map_err(|e| SealKeyError::Certificate(format!("is unreadable: {e}")))?;
        // Compare the public keys by their subjectPublicKey bits (an RSASSA-PSS certificate
        // may carry parameters the rsaEncryption encoding of the same key does not).
        if public_key_bits(&signer).as_deref()
            != Some(cert.public_key().subject_public_key.data.as_ref())
        {
            return Err(SealKeyError::Mismatch(holder.subject.clone()));
        }
        if now.is_some_and(|now| now > holder.not_after) {
            return Err(SealKeyError::Certificate(format!(
                "expired on {}",
                holder.not_after.date()
            )));
        }
        if now.is_some_and(|now| now < holder.not_before) {
            return Err(SealKeyError::Certificate(format!(
                "is not valid before {}",
                holder.not_before.date()
            )));
        }
        if let Some(ku) = cert.key_usage().ok().flatten() {
            if !ku.value.digital_signature() && !ku.value.non_repudiation() {
                return Err(SealKeyError::Certificate(
                    "does not allow signing (key usage has neither digitalSignature nor nonRepudiation)".into(),
                ));
            }
        }
        Ok(Self {
            signer,
            chain,
            holder,
        })
    }

    /// Reads a PKCS#12 file (as issued by trust service providers; PBES2/AES and the legacy
    /// 3DES/RC2 encryptions) with its password, checked as of `now`.
    pub fn from_pkcs12(
        bytes: &[u8],
        password: &str,
        now: OffsetDateTime,
    ) -> Result<Self, SealKeyError> {
        let ks = p12_keystore::KeyStore::from_pkcs12(
            bytes,
            password,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|e| SealKeyError::Pkcs12(e.to_string()))?;
        let (_, chain) = ks.private_key_chain().ok_or_else(|| {
            SealKeyError::Pkcs12("it holds no private key with a certificate".into())
        })?;
        let signer = signer_from_pkcs8(chain.key().as_der())?;
        let certs: Vec<Vec<u8>> = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
        Self::new(signer, order_chain(certs), Some(now))
    }

    /// Reads PEM text: the certificates (leaf first, or in any order) and one private key
    /// (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY` with `password`, `RSA PRIVATE KEY`,
    /// `EC PRIVATE KEY`), checked as of `now`.
    pub fn from_pem(
        text: &[u8],
        password: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Self, SealKeyError> {
        let (signer, certs) = read_pem(text, password)?;
        Self::new(signer, certs, Some(now))
    }

    /// The form kept at rest (to be encrypted by the caller): PEM, the PKCS#8 key then the chain.
    pub fn to_storage(&self) -> String {
        let mut s = pem_block("PRIVATE KEY", &self.signer.pkcs8_der());
        for c in &self.chain {
            s.push_str(&pem_block("CERTIFICATE", c));
        }
        s
    }

    /// Reads back what [`Self::to_storage`] wrote. The certificate's validity is not checked
    /// here: sealing checks it at the signing time, and says so.
    pub fn from_storage(text: &str) -> Result<Self, SealKeyError> {
        let (signer, certs) = read_pem(text.as_bytes(), None)?;
        Self::new(signer, certs, None)
    }

    /// The JWS algorithm this key seals with.
    pub fn algorithm(&self) -> &'static str {
        match &self.signer {
            Signer::Rsa { pss: false, .. } => "RS256",
            Signer::Rsa { pss: true, .. } => "PS256",
            Signer::P256(_) => "ES256",
        }
    }

    /// The holder as the certificate names it.
    pub fn holder(&self) -> &SealHolder {
        &self.holder
    }

    /// The chain, DER, leaf first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// Signs `input` (RFC 7518 encodings: PKCS#1 v1.5 / PSS bytes, or R || S for ES256).
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer as _};
        match &self.signer {
            Signer::Rsa { key, pss: false } => {
                rsa::pkcs1v15::SigningKey::<Sha256>::new((**key).clone())
                    .sign(input)
                    .to_vec()
            }
            Signer::Rsa { key, pss: true } => {
                rsa::pss::BlindedSigningKey::<Sha256>::new((**key).clone())
                    .sign_with_rng(&mut OsRng, input)
                    .to_vec()
            }
            Signer::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(input);
                s.to_bytes().to_vec()
            }
        }
    }

    /// The JAdES `kid`: base64 of the DER `IssuerSerial` (RFC 5035) of the certificate, as the
    /// Commission's sealed credentials carry it.
    pub fn kid(&self) -> Result<String, SealKeyError> {
        use der::{Decode, Encode};
        #[derive(der::Sequence)]
        struct IssuerSerial {
            issuer: x509_cert::ext::pkix::name::GeneralNames,
            serial: x509_cert::serial_number::SerialNumber,
        }
        let cert = x509_cert::Certificate::from_der(&self.chain[0])
            .map_err(|e| SealKeyError::Certificate(format!("is unreadable: {e}")))?;
        let tbs = cert.tbs_certificate();
        let v = IssuerSerial {
            issuer: vec![x509_cert::ext::pkix::name::GeneralName::DirectoryName(
                tbs.issuer().clone(),
            )],
            serial: tbs.serial_number().clone(),
        };
        let der = v
            .to_der()
            .map_err(|e| SealKeyError::Certificate(format!("issuer and serial: {e}")))?;
        Ok(STANDARD.encode(der))
    }
}

/// The private key and the certificates (the key's own certificate first) of PEM text.
fn read_pem(text: &[u8], password: Option<&str>) -> Result<(Signer, Vec<Vec<u8>>), SealKeyError> {
    let mut certs = Vec::new();
    let mut signer = None;
    for pem in x509_parser::pem::Pem::iter_from_buffer(text) {
        let pem = pem.map_err(|e| SealKeyError::Pem(format!("the PEM text is unreadable: {e}")))?;
        let found = match pem.label.as_str() {
            "CERTIFICATE" => {
                certs.push(pem.contents);
                None
            }
            "PRIVATE KEY" => Some(signer_from_pkcs8(&pem.contents)?),
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or_else(|| {
                    SealKeyError::Pem("the private key is encrypted: give its password".into())
                })?;
                let enc = pkcs8::EncryptedPrivateKeyInfo::try_from(pem.contents.as_slice())
                    .map_err(|e| {
                        SealKeyError::Pem(format!("the encrypted key is unreadable: {e}"))
                    })?;
                let doc = enc.decrypt(password).map_err(|_| {
                    SealKeyError::Pem(
                        "the private key could not be decrypted (wrong password?)".into(),
                    )
                })?;
                Some(signer_from_pkcs8(doc.as_bytes())?)
            }
            "RSA PRIVATE KEY" => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                let key = rsa::RsaPrivateKey::from_pkcs1_der(&pem.contents)
                    .map_err(|e| SealKeyError::Pem(format!("the RSA key is unreadable: {e}")))?;
                Some(Signer::Rsa {
                    key: Box::new(key),
                    pss: false,
                })
            }
            "EC PRIVATE KEY" => {
                let key = p256::SecretKey::from_sec1_der(&pem.contents).map_err(|_| {
                    SealKeyError::KeyType(
                        "an elliptic-curve key that is not P-256, or unreadable".into(),
                    )
                })?;
                Some(Signer::P256(key.into()))
            }
            other => {
                return Err(SealKeyError::Pem(format!(
                    "unexpected PEM block `{other}` (expected CERTIFICATE and one PRIVATE KEY)"
                )))
            }
        };
        if let Some(s) = found {
            if signer.replace(s).is_some() {
                return Err(SealKeyError::Pem(
                    "the PEM text holds more than one private key".into(),
                ));
            }
        }
    }
    let signer =
        signer.ok_or_else(|| SealKeyError::Pem("the PEM text holds no private key".into()))?;
    if certs.is_empty() {
        return Err(SealKeyError::Pem(
            "the PEM text holds no certificate".into(),
        ));
    }
    // Put the key's own certificate first.
    let bits = public_key_bits(&signer);
    if let Some(pos) = certs.iter().position(|c| {
        use x509_parser::prelude::*;
        X509Certificate::from_der(c)
            .is_ok_and(|(_, c)| Some(c.public_key().subject_public_key.data.to_vec()) == bits)
    }) {
        let leaf = certs.remove(pos);
        certs.insert(0, leaf);
    }
    Ok((signer, certs))
}

/// The subjectPublicKey bits of the signer's public key.
fn public_key_bits(signer: &Signer) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    let spki = signer.public_spki_der();
    x509_parser::x509::SubjectPublicKeyInfo::from_der(&spki)
        .ok()
        .map(|(_, k)| k.subject_public_key.data.to_vec())
}

/// Leaf first: the certificate that issued no other in the set.
fn order_chain(mut certs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    use x509_parser::prelude::*;
    let names: Vec<(String, String)> = certs
        .iter()
        .filter_map(|c| X509Certificate::from_der(c).ok())
        .map(|(_, c)| (c.subject().to_string(), c.issuer().to_string()))
        .collect();
    if names.len() != certs.len() {
        return certs;
    }
    if let Some(leaf) = (0..certs.len()).find(|&i| {
        !names
            .iter()
            .enumerate()
            .any(|(j, (_, issuer))| j != i && *issuer == names[i].0)
    }) {
        let l = certs.remove(leaf);
        certs.insert(0, l);
    }
    certs
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}
