//! What the public pages show: the verdict first, then the issuer, the learner and every EU
//! element in plain words, in English or Romanian.

use microcred_core::model::{LangString, MicroCredential};
use microcred_core::status::CredentialState;
use microcred_core::verify::{CheckName, Failure, Outcome, VerificationReport};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::i18n::{words, Lang};
use crate::{RecordState, RegisteredIssuer};

/// The one-word verdict an employer sees first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Genuine and in force.
    Valid,
    /// Signature broken or issuer not confirmed.
    NotGenuine,
    /// Past `validUntil`.
    Expired,
    /// Before `validFrom`.
    NotYetValid,
    /// Failed another check (e.g. schema).
    Invalid,
    /// Revoked by its issuer.
    Revoked,
    /// Suspended by its issuer.
    Suspended,
    /// Replaced by its issuer with a renewal or correction.
    Superseded,
    /// Genuine, but its status could not be checked.
    StatusUnknown,
}

impl Verdict {
    /// The verdict a report leads to; `record` is what the issuer records when the
    /// credential is one of ours (it tells a supersession from a revocation, which the
    /// public status list cannot).
    pub fn of(r: &VerificationReport, record: Option<RecordState>) -> Self {
        let outcome = |n| r.check(n).map(|c| c.outcome);
        if r.verified {
            Self::Valid
        } else if outcome(CheckName::Proof) != Some(Outcome::Passed)
            || outcome(CheckName::IssuerBinding) != Some(Outcome::Passed)
        {
            Self::NotGenuine
        } else if r.status == CredentialState::Revoked {
            if record == Some(RecordState::Superseded) {
                Self::Superseded
            } else {
                Self::Revoked
            }
        } else if r.status == CredentialState::Suspended {
            Self::Suspended
        } else if r.status == CredentialState::Unknown {
            Self::StatusUnknown
        } else {
            match r
                .check(CheckName::ValidityWindow)
                .filter(|c| c.outcome == Outcome::Failed)
                .and_then(|c| c.failure)
            {
                Some(Failure::Expired) => Self::Expired,
                Some(Failure::NotYetValid) => Self::NotYetValid,
                _ => Self::Invalid,
            }
        }
    }

    /// The template key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::NotGenuine => "not_genuine",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::Invalid => "invalid",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
            Self::Superseded => "superseded",
            Self::StatusUnknown => "status_unknown",
        }
    }
}

/// Our credential in plain words.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct CredentialView {
    pub title: String,
    pub description: Option<String>,
    pub learner: String,
    pub issued: String,
    pub valid_until: Option<String>,
    pub grade: Option<String>,
    pub learning_period: Option<String>,
    pub issuer_name: String,
    pub issuer_registration: String,
    pub issuer_country: String,
    pub issuer_address: Option<String>,
    pub issuer_did: String,
    pub outcomes: Vec<String>,
    pub workload: String,
    pub eqf_level: String,
    pub cycle: Option<String>,
    pub assessment: String,
    pub participation: String,
    pub quality_assurance: String,
    pub learning_setting: Option<String>,
    pub criteria: String,
    pub supervision: Option<String>,
    pub prerequisites: Option<String>,
    pub stackability: Option<String>,
    pub further_information: Option<String>,
}

/// Any other credential: what can be read without knowing its vocabulary.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct GenericView {
    pub name: Option<String>,
    pub issuer: Option<String>,
    pub issuer_name: Option<String>,
    pub subject_name: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

/// A date for people (YYYY-MM-DD).
pub fn date(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn text(v: &serde_json::Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(|x| x.as_str())
        .map(str::to_owned)
}

impl GenericView {
    /// Reads the common VC fields.
    pub fn of(v: &serde_json::Value) -> Self {
        Self {
            name: text(v, "/name"),
            issuer: text(v, "/issuer").or_else(|| text(v, "/issuer/id")),
            issuer_name: text(v, "/issuer/name"),
            subject_name: text(v, "/credentialSubject/name"),
            valid_from: text(v, "/validFrom").or_else(|| text(v, "/issuanceDate")),
            valid_until: text(v, "/validUntil").or_else(|| text(v, "/expirationDate")),
        }
    }
}

impl CredentialView {
    /// Our credential in `lang`.
    pub fn of(c: &MicroCredential, lang: Lang) -> Self {
        let l = lang.code();
        let w = words(lang);
        let t = |s: &LangString| s.get(l).to_owned();
        let d = &c.achievement.definition;
        // Romanian writes a decimal comma.
        let number = |n: String| {
            if lang == Lang::Ro {
                n.replace('.', ",")
            } else {
                n
            }
        };
        let workload = [
            d.workload
                .ects()
                .map(|e| format!("{} {}", number(e.to_string()), w["ects"])),
            d.workload
                .hours()
                .map(|h| format!("{} {}", h.get(), w["hours"])),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        let a = &c.issuer.address;
        let address = [a.street.clone(), a.postal_code.clone(), a.locality.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            title: t(&d.title),
            description: d.description.as_ref().map(t),
            learner: c.learner.name.clone(),
            issued: date(c.issued),
            valid_until: c.valid_until.map(date),
            grade: c.grade.clone(),
            learning_period: match (c.activity_start, c.activity_end) {
                (Some(s), Some(e)) => Some(format!("{} – {}", date(s), date(e))),
                (Some(s), None) => Some(date(s)),
                (None, Some(e)) => Some(date(e)),
                (None, None) => None,
            },
            issuer_name: c.issuer.legal_name.clone(),
            issuer_registration: c.issuer.registration_number.clone(),
            issuer_country: crate::i18n::country(a.country.as_str(), lang),
            issuer_address: (!address.is_empty()).then_some(address),
            issuer_did: c.issuer.did.to_string(),
            outcomes: d.learning_outcomes.iter().map(|o| t(&o.title)).collect(),
            workload,
            eqf_level: d.eqf_level.get().to_string(),
            cycle: d.qf_ehea_cycle.map(|x| x.label(l).to_owned()),
            assessment: d.assessment_type.label(l).to_owned(),
            participation: d.participation_form.label(l).to_owned(),
            quality_assurance: match &d.quality_assurance.note {
                Some(n) => format!("{} — {}", d.quality_assurance.kind.label(l), t(n)),
                None => d.quality_assurance.kind.label(l).to_owned(),
            },
            learning_setting: d.learning_setting.map(|x| x.label(l).to_owned()),
            criteria: t(&d.criteria),
            supervision: d.supervision.map(|x| x.label(l).to_owned()),
            prerequisites: d.prerequisites.as_ref().map(t),
            stackability: d.stackability.as_ref().map(|s| {
                let mut x = s.integration.label(l).to_owned();
                for u in &s.part_of {
                    x.push_str(&format!(" · {}", u.as_str()));
                }
                x
            }),
            further_information: d.further_information.as_ref().map(t),
        }
    }
}

impl CredentialView {
    /// Shows the issuer's registered details instead of what the credential says.
    pub fn with_issuer(mut self, r: &RegisteredIssuer, lang: Lang) -> Self {
        self.issuer_name = r.legal_name.clone();
        self.issuer_registration = r.registration_number.clone();
        self.issuer_country = crate::i18n::country(&r.country, lang);
        self.issuer_address = r.address.clone();
        self
    }
}

/// The page context shared by credential pages.
#[derive(Debug, Serialize)]
pub struct ReportPage {
    /// `en` / `ro`.
    pub lang: &'static str,
    /// Words.
    pub w: std::collections::BTreeMap<&'static str, &'static str>,
    /// Verdict key.
    pub verdict: &'static str,
    /// Our credential, if it is one.
    pub c: Option<CredentialView>,
    /// Otherwise the common fields.
    pub generic: Option<GenericView>,
    /// The checks.
    pub checks: Vec<microcred_core::verify::Check>,
    /// The public code, on `/v/{code}`.
    pub code: Option<String>,
    /// When a revocation or suspension took effect (our own credentials).
    pub state_date: Option<String>,
    /// The code of the credential that superseded this one.
    pub replaced_by: Option<String>,
    /// Whether the issuer shown is registered here (else its name is as the credential
    /// states it).
    pub issuer_registered: bool,
    /// Whether the claims shown are confirmed by the issuer's signature; when not (not
    /// genuine), they are shown apart, as what the document says.
    pub confirmed: bool,
}

impl ReportPage {
    /// The page for a verified document. `registered` is the issuer as registered here (when
    /// it is one of ours): its details replace what the credential states.
    pub fn new(
        doc: &serde_json::Value,
        report: &VerificationReport,
        lang: Lang,
        registered: Option<&RegisteredIssuer>,
        record: Option<RecordState>,
    ) -> Self {
        let c = MicroCredential::from_json(doc).ok().map(|c| {
            let view = CredentialView::of(&c, lang);
            match registered {
                Some(r) => view.with_issuer(r, lang),
                None => view,
            }
        });
        let generic = c.is_none().then(|| {
            let mut g = GenericView::of(doc);
            if let Some(r) = registered {
                g.issuer_name = Some(r.legal_name.clone());
            }
            g
        });
        Self {
            lang: lang.code(),
            w: words(lang),
            verdict: Verdict::of(report, record).key(),
            confirmed: Verdict::of(report, record) != Verdict::NotGenuine,
            generic,
            c,
            checks: report.checks.clone(),
            code: None,
            state_date: None,
            replaced_by: None,
            issuer_registered: registered.is_some(),
        }
    }
}

/// Formats a time for people.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}
