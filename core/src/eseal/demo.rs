//! Throw-away seal certificates, for trying the Europass export before a trust service
//! provider has issued the real one, and for tests: a self-made CA and a seal certificate under
//! it with the ETSI EN 319 412-3 subject (`O`, `organizationIdentifier`, `C`, `CN`), optionally
//! the EN 319 412-5 QCStatements of a qualified eseal (which only a qualified trust service
//! provider may truthfully put there - a demo certificate is never on the EU Trusted List).
//! Written as PEM and as PKCS#12 (RFC 7292, PBES2/AES-256), the two forms the upload accepts.

use rand::rngs::OsRng;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use time::OffsetDateTime;

use super::SealKeyError;

/// The key kind of a demo certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoKey {
    /// RSA 2048, sealing with RS256 (as the Commission's sample).
    Rsa,
    /// ECDSA P-256, sealing with ES256.
    P256,
}

/// What the demo certificate says.
#[derive(Debug, Clone)]
pub struct DemoSubject<'a> {
    /// Organisation (`O`).
    pub organisation: &'a str,
    /// `organizationIdentifier` (2.5.4.97), e.g. `VATMD-1002600012345`.
    pub organisation_identifier: &'a str,
    /// Country (`C`), ISO 3166-1 alpha-2.
    pub country: &'a str,
    /// Put the QCStatements of a qualified eseal in (tests of the "qualified" report).
    pub qualified_statements: bool,
    /// Validity.
    pub not_before: OffsetDateTime,
    /// Validity.
    pub not_after: OffsetDateTime,
}

/// A demo seal: the PEM bundle (key, certificate, CA certificate).
#[derive(Debug, Clone)]
pub struct DemoSeal {
    /// PKCS#8 key, the seal certificate, then the CA certificate.
    pub pem: String,
    /// The seal certificate (DER).
    pub certificate: Vec<u8>,
    /// The CA certificate (DER).
    pub ca_certificate: Vec<u8>,
    key_der: Vec<u8>,
}

/// QCStatements (1.3.6.1.5.5.7.1.3) with QcCompliance and QcType eseal, DER.
const QC_STATEMENTS: &[u8] = &[
    0x30, 0x1f, 0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x01, 0x30, 0x13, 0x06, 0x06,
    0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, 0x30, 0x09, 0x06, 0x07, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06,
    0x02,
];

fn err(e: impl std::fmt::Display) -> SealKeyError {
    SealKeyError::Certificate(format!("could not be made: {e}"))
}

/// Makes a CA and a seal certificate signed by it.
pub fn demo_seal(subject: &DemoSubject<'_>, key: DemoKey) -> Result<DemoSeal, SealKeyError> {
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(
        DnType::CommonName,
        "microcred demo CA (not a trust service provider)",
    );
    ca.distinguished_name
        .push(DnType::CountryName, subject.country);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = subject.not_before - time::Duration::days(1);
    ca.not_after = subject.not_after + time::Duration::days(1);
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);

    let leaf_key = match key {
        DemoKey::P256 => KeyPair::generate().map_err(err)?,
        DemoKey::Rsa => {
            use pkcs8::EncodePrivateKey;
            let k = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(err)?;
            let pem = k.to_pkcs8_pem(pkcs8::LineEnding::LF).map_err(err)?;
            KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).map_err(err)?
        }
    };
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    p.distinguished_name
        .push(DnType::CountryName, subject.country);
    p.distinguished_name
        .push(DnType::OrganizationName, subject.organisation);
    p.distinguished_name.push(
        DnType::CustomDnType(vec![2, 5, 4, 97]),
        subject.organisation_identifier,
    );
    p.distinguished_name.push(
        DnType::CommonName,
        format!("{} (demo seal)", subject.organisation),
    );
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    p.not_before = subject.not_before;
    p.not_after = subject.not_after;
    if subject.qualified_statements {
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 5, 5, 7, 1, 3],
            QC_STATEMENTS.to_vec(),
        ));
    }
    let leaf = p.signed_by(&leaf_key, &issuer).map_err(err)?;
    let pem = format!(
        "{}{}{}",
        leaf_key.serialize_pem(),
        leaf.pem(),
        ca_cert.pem()
    );
    Ok(DemoSeal {
        pem,
        certificate: leaf.der().to_vec(),
        ca_certificate: ca_cert.der().to_vec(),
        key_der: leaf_key.serialize_der(),
    })
}

impl DemoSeal {
    /// The same key and certificates as a PKCS#12 file under `password`.
    pub fn pkcs12(&self, password: &str) -> Result<Vec<u8>, SealKeyError> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let key = PrivateKey::from_der(&self.key_der).map_err(err)?;
        let certs = [&self.certificate, &self.ca_certificate]
            .into_iter()
            .map(|d| Certificate::from_der(d).map_err(err))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ks = KeyStore::new();
        ks.add_entry(
            "seal",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"seal".to_vec(), key, certs)),
        );
        ks.writer(password).write().map_err(err)
    }
}
