//! An awarded micro-credential: one learner, one achievement, one awarding body, as a W3C
//! Verifiable Credential 2.0 of type `OpenBadgeCredential` (Open Badges 3.0.3 §8.1), with the
//! EU Annex I elements that OB3 lacks carried by our extension context
//! (`https://w3id.org/microcred/v1`, terms mapped to European Learning Model IRIs).
//!
//! [`MicroCredential::to_json`] writes the unsigned credential; [`MicroCredential::from_json`]
//! reads one back (ignoring `proof` and `credentialStatus`), so the model and the JSON Schema
//! `schemas/json/credential.schema.json` can be held to the same fixtures.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::achievement::{
    at_exact, pointer_of, AchievementDefinition, LearningOutcome, QualityAssurance, Stackability,
    Workload,
};
use super::error::{ModelError, ModelErrors};
use super::lang::LangStringDoc;
use super::values::{CountryCode, Ects, EqfLevel, EscoSkill, Hours, HttpUrl};
use super::vocab::{
    AssessmentType, Integration, LearningSetting, ParticipationForm, QfEheaCycle,
    QualityAssuranceType, Supervision,
};

/// W3C Verifiable Credentials Data Model 2.0 context.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// The `@context` of every credential we issue, in order.
pub fn credential_context() -> [&'static str; 3] {
    [
        CREDENTIALS_V2,
        microcred_schemas::OB_V3P0_3_0_3_URL,
        microcred_schemas::MICROCRED_V1_URL,
    ]
}

/// A decentralized identifier (W3C DID Core §3.1): `did:<method>:<method-specific-id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did(String);

impl Did {
    /// Parses a DID (without path, query or fragment).
    pub fn new(s: &str) -> Result<Self, ModelError> {
        let mut parts = s.splitn(3, ':');
        let ok = parts.next() == Some("did")
            && parts.next().is_some_and(|m| {
                !m.is_empty()
                    && m.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            && parts.next().is_some_and(|id| {
                !id.is_empty()
                    && id.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'%')
                    })
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ModelError::new("did", "", format!("`{s}` is not a DID")))
        }
    }

    /// The DID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The DID method, e.g. `web` or `key`.
    pub fn method(&self) -> &str {
        self.0.split(':').nth(1).expect("checked")
    }
}

impl std::fmt::Display for Did {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Postal address of the awarding body (OB3 `Address`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    /// Annex I element 3: country (ISO 3166-1 alpha-2).
    pub country: CountryCode,
    /// Town or city.
    pub locality: Option<String>,
    /// Street and number.
    pub street: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// Annex I element 4, awarding body: the legal identity of the issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardingBody {
    /// The issuer's DID (`did:web` for our institutions).
    pub did: Did,
    /// Legal name.
    pub legal_name: String,
    /// Registration number in the national register (e.g. the Moldovan IDNO).
    pub registration_number: String,
    /// Address, with the country of element 3.
    pub address: PostalAddress,
    /// Public web site.
    pub url: Option<HttpUrl>,
}

/// Kinds of learner identifier (OB3 `IdentifierTypeEnum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityType {
    /// An e-mail address.
    Email,
    /// A national identity number (e.g. IDNP).
    NationalId,
    /// Any other identifier (e.g. the LMS user id).
    Other,
}

impl IdentityType {
    fn code(self) -> &'static str {
        match self {
            Self::Email => "emailAddress",
            Self::NationalId => "nationalIdentityNumber",
            Self::Other => "identifier",
        }
    }

    fn from_code(s: &str) -> Option<Self> {
        [Self::Email, Self::NationalId, Self::Other]
            .into_iter()
            .find(|t| t.code() == s)
    }
}

/// A learner identifier as the credential carries it: salted and hashed (OB3 §B.1.12
/// `IdentityObject`), so the credential does not disclose the learner's e-mail or national id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerIdentity {
    kind: IdentityType,
    hash: String,
    salt: String,
}

impl LearnerIdentity {
    /// Hashes `value` (trimmed; e-mail addresses lower-cased) with `salt`, as OB3 specifies:
    /// `sha256$` + hex(SHA-256(value + salt)).
    pub fn hashed(kind: IdentityType, value: &str, salt: &str) -> Result<Self, ModelError> {
        let mut v = value.trim().to_owned();
        if v.is_empty() {
            return Err(ModelError::new(
                "learner",
                "/identifier",
                "the identifier is empty",
            ));
        }
        if kind == IdentityType::Email {
            if !v.contains('@') || v.starts_with('@') || v.ends_with('@') {
                return Err(ModelError::new(
                    "learner",
                    "/email",
                    format!("`{v}` is not an e-mail address"),
                ));
            }
            v = v.to_lowercase();
        }
        let hash = Sha256::digest(format!("{v}{salt}").as_bytes());
        Ok(Self {
            kind,
            hash: format!("sha256${}", hex(&hash)),
            salt: salt.to_owned(),
        })
    }

    /// Whether `value` is the identifier this hash was made from.
    pub fn matches(&self, value: &str) -> bool {
        Self::hashed(self.kind, value, &self.salt).is_ok_and(|o| o.hash == self.hash)
    }

    /// The kind of identifier.
    pub fn kind(&self) -> IdentityType {
        self.kind
    }
}

/// Annex I element 1, identification of the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    /// Full name.
    pub name: String,
    /// The learner's DID, when they have a wallet (becomes `credentialSubject.id`).
    pub did: Option<Did>,
    /// Hashed identifiers (e-mail, national id, LMS id).
    pub identities: Vec<LearnerIdentity>,
}

/// The achievement as issued: its public id and version, and its definition at that version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedAchievement {
    /// Public URL of the achievement (OB3 `Achievement.id`).
    pub id: HttpUrl,
    /// Version the credential was issued under.
    pub version: u32,
    /// The definition at that version.
    pub definition: AchievementDefinition,
}

/// Evidence of the learning (VC 2.0 §5.6, OB3 `Evidence`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Where the evidence can be seen.
    pub url: Option<HttpUrl>,
    /// What it is.
    pub name: Option<String>,
    /// A narrative of what was done.
    pub narrative: Option<String>,
}

/// A micro-credential awarded to one learner, unsigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicroCredential {
    /// The credential's id (`urn:uuid:...`).
    pub id: String,
    /// Element 4 (and 3): the awarding body.
    pub issuer: AwardingBody,
    /// Element 1: the learner.
    pub learner: Learner,
    /// Elements 2, 6-11 and the optional ones.
    pub achievement: IssuedAchievement,
    /// Element 5: date of issuing (`validFrom` and `awardedDate`).
    pub issued: OffsetDateTime,
    /// End of validity, if the achievement expires.
    pub valid_until: Option<OffsetDateTime>,
    /// Optional element: grade achieved.
    pub grade: Option<String>,
    /// When the learning started.
    pub activity_start: Option<OffsetDateTime>,
    /// When the learning ended.
    pub activity_end: Option<OffsetDateTime>,
    /// Evidence.
    pub evidence: Vec<Evidence>,
    /// Revocation and suspension entries (W3C Bitstring Status List v1.0).
    pub status: Vec<crate::status::StatusListEntry>,
}

// ---------------------------------------------------------------------------------------
// Wire types: the JSON of the credential, field for field.
// ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialDoc {
    #[serde(rename = "@context")]
    context: Vec<String>,
    id: String,
    #[serde(rename = "type")]
    types: Vec<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    issuer: ProfileDoc,
    valid_from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_until: Option<String>,
    awarded_date: String,
    credential_subject: SubjectDoc,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<EvidenceDoc>,
    // Present on signed or status-bearing credentials; not part of the model.
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    proof: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    credential_status: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProfileDoc {
    id: String,
    #[serde(rename = "type")]
    types: Vec<String>,
    name: String,
    registration_number: String,
    address: AddressDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddressDoc {
    #[serde(rename = "type")]
    types: Vec<String>,
    address_country_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address_locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    postal_code: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubjectDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "type")]
    types: Vec<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    identifier: Vec<IdentityObjectDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    activity_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    activity_end_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    result: Vec<ResultDoc>,
    achievement: AchievementDoc,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdentityObjectDoc {
    #[serde(rename = "type")]
    kind: String,
    identity_hash: String,
    identity_type: String,
    hashed: bool,
    salt: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResultDoc {
    #[serde(rename = "type")]
    types: Vec<String>,
    value: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EvidenceDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "type")]
    types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    narrative: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CriteriaDoc {
    narrative: String,
    multilingual_narrative: LangStringDoc,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OutcomeDoc {
    #[serde(rename = "type")]
    kind: String,
    title: LangStringDoc,
    #[serde(
        rename = "relatedESCOSkill",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    related_esco_skill: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreditPointDoc {
    #[serde(rename = "type")]
    kind: String,
    framework: String,
    point: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AchievementDoc {
    id: String,
    #[serde(rename = "type")]
    types: Vec<String>,
    achievement_type: String,
    version: String,
    name: String,
    title: LangStringDoc,
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multilingual_description: Option<LangStringDoc>,
    criteria: CriteriaDoc,
    learning_outcome: Vec<OutcomeDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credits_available: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credit_point: Option<CreditPointDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    volume_of_learning: Option<String>,
    eqf_level: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qf_ehea_cycle: Option<String>,
    assessment_type: String,
    mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    learning_setting: Option<String>,
    quality_assurance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quality_assurance_note: Option<LangStringDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prerequisites: Option<LangStringDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_verification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    integration: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    is_part_of: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    further_information: Option<LangStringDoc>,
}

/// A time as the credentials carry it: UTC, whole seconds, RFC 3339.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .expect("0 is valid")
        .format(&Rfc3339)
        .expect("formats")
}

/// Parses an RFC 3339 / XML Schema dateTime with a time zone.
pub fn parse_datetime(element: &str, path: &str, s: &str) -> Result<OffsetDateTime, ModelError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        ModelError::new(
            element,
            path,
            format!("`{s}` is not a date-time with a time zone (e.g. 2026-06-30T12:00:00Z)"),
        )
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AwardingBody {
    fn to_doc(&self) -> ProfileDoc {
        ProfileDoc {
            id: self.did.to_string(),
            types: vec!["Profile".into()],
            name: self.legal_name.clone(),
            registration_number: self.registration_number.clone(),
            address: AddressDoc {
                types: vec!["Address".into()],
                address_country_code: self.address.country.to_string(),
                address_locality: self.address.locality.clone(),
                street_address: self.address.street.clone(),
                postal_code: self.address.postal_code.clone(),
            },
            url: self.url.as_ref().map(|u| u.as_str().to_owned()),
        }
    }

    /// The issuer object (OB 3.0.3 `Profile`) exactly as our credentials carry it; the
    /// `registrationNumber` term needs our context
    /// (<https://w3id.org/microcred/v1>), the rest is Open Badges 3.0.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.to_doc()).expect("serialisable")
    }
}

impl MicroCredential {
    /// The unsigned credential as JSON-LD (VC 2.0 + OB 3.0.3 + our context).
    pub fn to_json(&self) -> serde_json::Value {
        let d = &self.achievement.definition;
        let doc = CredentialDoc {
            context: credential_context().iter().map(|s| s.to_string()).collect(),
            id: self.id.clone(),
            types: vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            name: d.title.english().to_owned(),
            description: d.description.as_ref().map(|x| x.english().to_owned()),
            issuer: self.issuer.to_doc(),
            valid_from: rfc3339(self.issued),
            valid_until: self.valid_until.map(rfc3339),
            awarded_date: rfc3339(self.issued),
            credential_subject: SubjectDoc {
                id: self.learner.did.as_ref().map(|d| d.to_string()),
                types: vec!["AchievementSubject".into()],
                name: self.learner.name.clone(),
                identifier: self
                    .learner
                    .identities
                    .iter()
                    .map(|i| IdentityObjectDoc {
                        kind: "IdentityObject".into(),
                        identity_hash: i.hash.clone(),
                        identity_type: i.kind.code().into(),
                        hashed: true,
                        salt: i.salt.clone(),
                    })
                    .collect(),
                activity_start_date: self.activity_start.map(rfc3339),
                activity_end_date: self.activity_end.map(rfc3339),
                result: self
                    .grade
                    .iter()
                    .map(|g| ResultDoc {
                        types: vec!["Result".into()],
                        value: g.clone(),
                    })
                    .collect(),
                achievement: AchievementDoc {
                    id: self.achievement.id.as_str().to_owned(),
                    types: vec!["Achievement".into()],
                    achievement_type: "MicroCredential".into(),
                    version: self.achievement.version.to_string(),
                    name: d.title.english().to_owned(),
                    title: (&d.title).into(),
                    description: d
                        .description
                        .as_ref()
                        .unwrap_or(&d.title)
                        .english()
                        .to_owned(),
                    multilingual_description: d.description.as_ref().map(Into::into),
                    criteria: CriteriaDoc {
                        narrative: d.criteria.english().to_owned(),
                        multilingual_narrative: (&d.criteria).into(),
                    },
                    learning_outcome: d
                        .learning_outcomes
                        .iter()
                        .map(|lo| OutcomeDoc {
                            kind: "LearningOutcome".into(),
                            title: (&lo.title).into(),
                            related_esco_skill: lo
                                .esco_skills
                                .iter()
                                .map(|s| s.as_str().to_owned())
                                .collect(),
                        })
                        .collect(),
                    credits_available: None,
                    credit_point: d.workload.ects().map(|e| CreditPointDoc {
                        kind: "CreditPoint".into(),
                        framework: Ects::FRAMEWORK.into(),
                        point: e.to_decimal_string(),
                    }),
                    volume_of_learning: d.workload.hours().map(Hours::to_duration),
                    eqf_level: d.eqf_level.iri(),
                    qf_ehea_cycle: d.qf_ehea_cycle.map(|c| c.iri().to_owned()),
                    assessment_type: d.assessment_type.iri().to_owned(),
                    mode: d.participation_form.iri().to_owned(),
                    learning_setting: d.learning_setting.map(|c| c.iri().to_owned()),
                    quality_assurance: d.quality_assurance.kind.iri().to_owned(),
                    quality_assurance_note: d.quality_assurance.note.as_ref().map(Into::into),
                    prerequisites: d.prerequisites.as_ref().map(Into::into),
                    id_verification: d.supervision.map(|c| c.iri().to_owned()),
                    integration: d
                        .stackability
                        .as_ref()
                        .map(|s| s.integration.iri().to_owned()),
                    is_part_of: d
                        .stackability
                        .iter()
                        .flat_map(|s| s.part_of.iter().map(|u| u.as_str().to_owned()))
                        .collect(),
                    further_information: d.further_information.as_ref().map(Into::into),
                },
            },
            evidence: self
                .evidence
                .iter()
                .map(|e| EvidenceDoc {
                    id: e.url.as_ref().map(|u| u.as_str().to_owned()),
                    types: vec!["Evidence".into()],
                    name: e.name.clone(),
                    narrative: e.narrative.clone(),
                })
                .collect(),
            proof: None,
            credential_status: None,
        };
        let mut v = serde_json::to_value(doc).expect("serialisable");
        if !self.status.is_empty() {
            v["credentialStatus"] = serde_json::to_value(&self.status).expect("serialisable");
        }
        // OB3 wallets show creditsAvailable; an integer when whole so that every JSON-LD
        // processor canonicalises it alike.
        if let Some(e) = d.workload.ects() {
            v["credentialSubject"]["achievement"]["creditsAvailable"] =
                serde_json::Value::Number(e.to_json_number());
        }
        v
    }

    /// Reads a credential back into the model, listing every broken rule with its JSON path.
    /// `proof` and `credentialStatus` are ignored.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, ModelErrors> {
        let doc: CredentialDoc = serde_path_to_error::deserialize(v).map_err(|e| {
            ModelError::new("credential", pointer_of(e.path()), e.inner().to_string())
        })?;
        let mut errs = ModelErrors::default();

        let expected = credential_context();
        if doc.context.len() < 3 || doc.context[..3] != expected.map(String::from) {
            errs.push(ModelError::new(
                "@context",
                "/@context",
                format!("must start with {}", expected.join(", ")),
            ));
        }
        if !doc.types.iter().any(|t| t == "VerifiableCredential")
            || !doc.types.iter().any(|t| t == "OpenBadgeCredential")
        {
            errs.push(ModelError::new(
                "type",
                "/type",
                "must include VerifiableCredential and OpenBadgeCredential",
            ));
        }
        if !doc.id.starts_with("urn:uuid:") {
            errs.push(ModelError::new(
                "id",
                "/id",
                "must be a urn:uuid: identifier",
            ));
        }

        // Element 4 and 3: awarding body.
        let p = &doc.issuer;
        let did = errs.take(at_exact(Did::new(&p.id), "/issuer/id"));
        let country = errs.take(at_exact(
            CountryCode::new(&p.address.address_country_code),
            "/issuer/address/addressCountryCode",
        ));
        let url = p
            .url
            .as_deref()
            .and_then(|u| errs.take(at_exact(HttpUrl::new("issuer", u), "/issuer/url")));
        if p.name.trim().is_empty() {
            errs.push(ModelError::new(
                "awardingBody",
                "/issuer/name",
                "the legal name is empty",
            ));
        }
        if p.registration_number.trim().is_empty() {
            errs.push(ModelError::new(
                "awardingBody",
                "/issuer/registrationNumber",
                "the registration number is empty",
            ));
        }

        // Element 5: dates.
        let issued = errs.take(parse_datetime("validFrom", "/validFrom", &doc.valid_from));
        if let Some(i) = issued {
            if errs
                .take(parse_datetime(
                    "awardedDate",
                    "/awardedDate",
                    &doc.awarded_date,
                ))
                .is_some_and(|a| a != i)
            {
                errs.push(ModelError::new(
                    "awardedDate",
                    "/awardedDate",
                    "must equal validFrom (the date of issuing)",
                ));
            }
        }
        let valid_until = doc
            .valid_until
            .as_deref()
            .and_then(|s| errs.take(parse_datetime("validUntil", "/validUntil", s)));
        if let (Some(f), Some(u)) = (issued, valid_until) {
            if u <= f {
                errs.push(ModelError::new(
                    "validUntil",
                    "/validUntil",
                    "must be after validFrom",
                ));
            }
        }

        // Element 1: learner.
        let s = &doc.credential_subject;
        if s.name.trim().is_empty() {
            errs.push(ModelError::new(
                "learner",
                "/credentialSubject/name",
                "the learner's name is empty",
            ));
        }
        let learner_did =
            s.id.as_deref()
                .and_then(|d| errs.take(at_exact(Did::new(d), "/credentialSubject/id")));
        if s.id.is_none() && s.identifier.is_empty() {
            errs.push(ModelError::new(
                "learner",
                "/credentialSubject",
                "the learner needs an id (DID) or an identifier",
            ));
        }
        let mut identities = Vec::new();
        for (i, o) in s.identifier.iter().enumerate() {
            let path = format!("/credentialSubject/identifier/{i}");
            match IdentityType::from_code(&o.identity_type) {
                Some(kind)
                    if o.hashed
                        && o.kind == "IdentityObject"
                        && o.identity_hash.starts_with("sha256$")
                        && o.identity_hash.len() == 71 =>
                {
                    identities.push(LearnerIdentity {
                        kind,
                        hash: o.identity_hash.clone(),
                        salt: o.salt.clone(),
                    })
                }
                _ => errs.push(ModelError::new(
                    "learner",
                    path,
                    "an identifier must be a hashed IdentityObject (sha256$<hex>) of type emailAddress, nationalIdentityNumber or identifier",
                )),
            }
        }
        let activity_start = s.activity_start_date.as_deref().and_then(|d| {
            errs.take(parse_datetime(
                "activityStartDate",
                "/credentialSubject/activityStartDate",
                d,
            ))
        });
        let activity_end = s.activity_end_date.as_deref().and_then(|d| {
            errs.take(parse_datetime(
                "activityEndDate",
                "/credentialSubject/activityEndDate",
                d,
            ))
        });
        if s.result.len() > 1 {
            errs.push(ModelError::new(
                "grade",
                "/credentialSubject/result",
                "at most one result (the grade) is expected",
            ));
        }
        let grade = s.result.first().map(|r| r.value.clone());

        // The achievement: elements 2, 6-11 and the optional ones.
        let a = &s.achievement;
        let base = "/credentialSubject/achievement";
        let ach_id = errs.take(at_exact(
            HttpUrl::new("achievement", &a.id),
            &format!("{base}/id"),
        ));
        let version = a.version.parse::<u32>().ok().filter(|v| *v >= 1);
        if version.is_none() {
            errs.push(ModelError::new(
                "achievement",
                format!("{base}/version"),
                "the version must be a positive whole number",
            ));
        }
        if a.achievement_type != "MicroCredential" {
            errs.push(ModelError::new(
                "achievement",
                format!("{base}/achievementType"),
                "must be MicroCredential",
            ));
        }
        let title = errs.take(a.title.clone().parse("title", &format!("{base}/title")));
        if let Some(t) = &title {
            if a.name != t.english() {
                errs.push(ModelError::new(
                    "title",
                    format!("{base}/name"),
                    "name must be the English title",
                ));
            }
        }
        let description = a.multilingual_description.clone().and_then(|d| {
            errs.take(d.parse("description", &format!("{base}/multilingualDescription")))
        });
        let criteria = errs.take(a.criteria.multilingual_narrative.clone().parse(
            "criteria",
            &format!("{base}/criteria/multilingualNarrative"),
        ));
        if a.learning_outcome.is_empty() {
            errs.push(ModelError::new(
                "learningOutcomes",
                format!("{base}/learningOutcome"),
                "at least one outcome is required",
            ));
        }
        let mut outcomes = Vec::new();
        for (i, o) in a.learning_outcome.iter().enumerate() {
            let p = format!("{base}/learningOutcome/{i}");
            let t = errs.take(
                o.title
                    .clone()
                    .parse("learningOutcomes", &format!("{p}/title")),
            );
            let skills: Vec<_> = o
                .related_esco_skill
                .iter()
                .enumerate()
                .filter_map(|(j, s)| {
                    errs.take(at_exact(
                        EscoSkill::new(s),
                        &format!("{p}/relatedESCOSkill/{j}"),
                    ))
                })
                .collect();
            if let Some(title) = t {
                outcomes.push(LearningOutcome {
                    title,
                    esco_skills: skills,
                });
            }
        }
        let ects = a.credit_point.as_ref().and_then(|c| {
            if c.framework != Ects::FRAMEWORK || c.kind != "CreditPoint" {
                errs.push(ModelError::new(
                    "workload",
                    format!("{base}/creditPoint/framework"),
                    format!("the credit framework must be ECTS ({})", Ects::FRAMEWORK),
                ));
            }
            errs.take(at_exact(
                Ects::from_decimal_str(&c.point),
                &format!("{base}/creditPoint/point"),
            ))
        });
        if let (Some(e), Some(avail)) = (ects, a.credits_available) {
            if Ects::from_f64(avail).ok() != Some(e) {
                errs.push(ModelError::new(
                    "workload",
                    format!("{base}/creditsAvailable"),
                    "creditsAvailable must equal creditPoint.point",
                ));
            }
        }
        let hours = a.volume_of_learning.as_deref().and_then(|h| {
            errs.take(at_exact(
                Hours::from_duration(h),
                &format!("{base}/volumeOfLearning"),
            ))
        });
        let workload = if ects.is_none() && hours.is_none() {
            if a.credit_point.is_none() && a.volume_of_learning.is_none() {
                errs.push(ModelError::new(
                    "workload",
                    format!("{base}/creditPoint"),
                    "the notional workload is required (creditPoint in ECTS or volumeOfLearning in hours)",
                ));
            }
            None
        } else {
            Workload::new(ects, hours).ok()
        };
        let eqf = errs.take(at_exact(
            EqfLevel::from_iri(&a.eqf_level),
            &format!("{base}/eqfLevel"),
        ));
        let cycle = a.qf_ehea_cycle.as_deref().and_then(|c| {
            errs.take(at_exact(
                QfEheaCycle::from_iri(c),
                &format!("{base}/qfEheaCycle"),
            ))
        });
        let assessment = errs.take(at_exact(
            AssessmentType::from_iri(&a.assessment_type),
            &format!("{base}/assessmentType"),
        ));
        let mode = errs.take(at_exact(
            ParticipationForm::from_iri(&a.mode),
            &format!("{base}/mode"),
        ));
        let setting = a.learning_setting.as_deref().and_then(|c| {
            errs.take(at_exact(
                LearningSetting::from_iri(c),
                &format!("{base}/learningSetting"),
            ))
        });
        let qa = errs.take(at_exact(
            QualityAssuranceType::from_iri(&a.quality_assurance),
            &format!("{base}/qualityAssurance"),
        ));
        let qa_note = a.quality_assurance_note.clone().and_then(|n| {
            errs.take(n.parse("qualityAssurance", &format!("{base}/qualityAssuranceNote")))
        });
        let prerequisites = a
            .prerequisites
            .clone()
            .and_then(|n| errs.take(n.parse("prerequisites", &format!("{base}/prerequisites"))));
        let supervision = a.id_verification.as_deref().and_then(|c| {
            errs.take(at_exact(
                Supervision::from_iri(c),
                &format!("{base}/idVerification"),
            ))
        });
        let integration = a.integration.as_deref().and_then(|c| {
            errs.take(at_exact(
                Integration::from_iri(c),
                &format!("{base}/integration"),
            ))
        });
        if integration.is_none() && !a.is_part_of.is_empty() {
            errs.push(ModelError::new(
                "stackability",
                format!("{base}/integration"),
                "isPartOf needs integration",
            ));
        }
        let part_of: Vec<_> = a
            .is_part_of
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                errs.take(at_exact(
                    HttpUrl::new("stackability", u),
                    &format!("{base}/isPartOf/{i}"),
                ))
            })
            .collect();
        let further = a.further_information.clone().and_then(|n| {
            errs.take(n.parse("furtherInformation", &format!("{base}/furtherInformation")))
        });

        let evidence: Vec<_> = doc
            .evidence
            .iter()
            .enumerate()
            .map(|(i, e)| Evidence {
                url: e.id.as_deref().and_then(|u| {
                    errs.take(at_exact(
                        HttpUrl::new("evidence", u),
                        &format!("/evidence/{i}/id"),
                    ))
                }),
                name: e.name.clone(),
                narrative: e.narrative.clone(),
            })
            .collect();

        let status = match crate::status::StatusListEntry::of_credential(v) {
            Ok(s) => s,
            Err(m) => {
                errs.push(ModelError::new("credentialStatus", "/credentialStatus", m));
                Vec::new()
            }
        };

        if !errs.is_empty() {
            return Err(errs);
        }
        let (Some(did), Some(country), Some(issued), Some(ach_id), Some(version)) =
            (did, country, issued, ach_id, version)
        else {
            unreachable!("every missing value recorded an error")
        };
        let (
            Some(title),
            Some(criteria),
            Some(workload),
            Some(eqf),
            Some(assessment),
            Some(mode),
            Some(qa),
        ) = (title, criteria, workload, eqf, assessment, mode, qa)
        else {
            unreachable!("every missing value recorded an error")
        };
        Ok(Self {
            id: doc.id,
            issuer: AwardingBody {
                did,
                legal_name: doc.issuer.name,
                registration_number: doc.issuer.registration_number,
                address: PostalAddress {
                    country,
                    locality: doc.issuer.address.address_locality,
                    street: doc.issuer.address.street_address,
                    postal_code: doc.issuer.address.postal_code,
                },
                url,
            },
            learner: Learner {
                name: doc.credential_subject.name,
                did: learner_did,
                identities,
            },
            achievement: IssuedAchievement {
                id: ach_id,
                version,
                definition: AchievementDefinition {
                    title,
                    description,
                    learning_outcomes: outcomes,
                    workload,
                    eqf_level: eqf,
                    qf_ehea_cycle: cycle,
                    assessment_type: assessment,
                    participation_form: mode,
                    learning_setting: setting,
                    quality_assurance: QualityAssurance {
                        kind: qa,
                        note: qa_note,
                    },
                    criteria,
                    prerequisites,
                    supervision,
                    stackability: integration.map(|integration| Stackability {
                        integration,
                        part_of,
                    }),
                    further_information: further,
                    validity_period: None,
                    earning_rules: None,
                },
            },
            issued,
            valid_until,
            grade,
            activity_start,
            activity_end,
            evidence,
            status,
        })
    }
}
