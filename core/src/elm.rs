//! Europass: the award as a European Digital Credential (European Learning Model v3, EDC
//! application profile, <https://europa.eu/europass/elm-browser/>), modelled on the
//! Commission's own micro-credential sample (`Sample-MC-Annex1-unsigned.jsonld`, ELM repository
//! `european-commission-empl/European-Learning-Model`).
//!
//! An EDC is ELM data in a VC 1.1 envelope (`https://www.w3.org/2018/credentials/v1` +
//! `http://data.europa.eu/snb/model/context/edc-ap`). [`edc`] builds the *uploadable* form's
//! credential: everything except what sealing adds (`issued`, the issuer's eIDAS legal
//! identifier, the mandate evidence) - [`crate::jades::seal`] adds those and seals. Controlled
//! vocabularies are the EU ones (`http://data.europa.eu/snb/...`, the Publications Office
//! authority tables for countries and languages); where the EU has none (assessment type,
//! quality assurance, supervised assessment), the concept is ours, with its labels, as the
//! Commission's sample does for its own assessment type. `docs/europass.md` has the table.

use serde_json::{json, Map, Value};

use crate::model::{rfc3339, AwardingBody, Ects, LangString, MicroCredential};

/// The VC 1.1 context every EDC starts with.
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// The EDC application profile's SHACL validator the credential names (`credentialSchema`).
pub const EDC_SCHEMA: &str = "http://data.europa.eu/snb/model/ap/edc-generic-full";
/// EU "credential type" concept of the generic profile.
const PROFILE_GENERIC: &str = "http://data.europa.eu/snb/credential/e34929035b";
/// EU "education credit" concept of ECTS.
const ECTS_FRAMEWORK: &str = "http://data.europa.eu/snb/education-credit/6fcec5c5af";
/// EU "learning opportunity type" concept: short learning programme (as in the sample).
const SHORT_PROGRAMME: &str = "http://data.europa.eu/snb/learning-opportunity/74a4a268e8";
/// EU encoding concept: base64.
const BASE64: &str = "http://data.europa.eu/snb/encoding/6146cde7dd";
/// EU "evidence type" concept: mandate (the sealing statement).
pub const EVIDENCE_MANDATE: &str = "http://data.europa.eu/snb/evidence-type/c_18016257";
const COUNTRY: &str = "http://publications.europa.eu/resource/authority/country";
const LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language";
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type";
/// Our own concepts (where the EU vocabularies have none).
const OURS: &str = "https://w3id.org/microcred/vocab#";

/// What the mapping needs beyond the credential itself.
#[derive(Debug, Clone)]
pub struct EdcInput<'a> {
    /// The credential's short code (the certificate number and the verification page).
    pub code: &'a str,
    /// Public URL of the verification page.
    pub verification_url: &'a str,
    /// The learner's e-mail, when the institution holds it (Europass delivers by e-mail).
    pub learner_email: Option<&'a str>,
    /// The picture Europass shows for the credential (PNG).
    pub display_png: &'a [u8],
    /// The awarding body's logo (PNG), when the institution has uploaded one.
    pub logo_png: Option<&'a [u8]>,
}

/// A PNG picture as an ELM `MediaObject` (content in base64, file type PNG).
fn png_media(id: String, png: &[u8]) -> Value {
    use base64::Engine;
    json!({
        "id": id,
        "type": "MediaObject",
        "content": base64::engine::general_purpose::STANDARD.encode(png),
        "contentEncoding": concept(BASE64, "http://data.europa.eu/snb/encoding/25831c2", json!({"en": "base64"}), None),
        "contentType": concept(&format!("{FILE_TYPE}/PNG"), FILE_TYPE, json!({"en": "PNG"}), Some("file-type")),
    })
}

/// A controlled-vocabulary concept (`skos:Concept`) with its scheme and labels.
fn concept(iri: &str, scheme: &str, labels: Value, notation: Option<&str>) -> Value {
    let mut c = json!({
        "id": iri,
        "type": "Concept",
        "inScheme": {"id": scheme, "type": "ConceptScheme"},
    });
    if let Some(n) = notation {
        c["notation"] = json!(n);
    }
    c["prefLabel"] = labels;
    c
}

fn en_ro(en: &str, ro: &str) -> Value {
    json!({"en": en, "ro": ro})
}

fn lang(s: &LangString) -> Value {
    serde_json::to_value(s).expect("a map of strings")
}

fn note(id: String, text: Value) -> Value {
    json!({"id": id, "type": "Note", "noteLiteral": text})
}

/// The Publications Office country concept of an ISO 3166-1 alpha-2 code (its table uses
/// alpha-3 codes).
pub fn country(alpha2: &str) -> Value {
    let (code, name) = isocountry::CountryCode::for_alpha2_caseless(alpha2)
        .map(|c| (c.alpha3().to_owned(), c.name().to_owned()))
        .unwrap_or_else(|_| (alpha2.to_uppercase(), alpha2.to_uppercase()));
    concept(
        &format!("{COUNTRY}/{code}"),
        COUNTRY,
        json!({ "en": name }),
        Some("country"),
    )
}

/// The Publications Office language concept of a language tag we carry.
fn language(tag: &str) -> Value {
    let (code, en) = match tag {
        "en" => ("ENG", "English"),
        "ro" => ("RON", "Romanian"),
        "ru" => ("RUS", "Russian"),
        "uk" => ("UKR", "Ukrainian"),
        "fr" => ("FRA", "French"),
        "de" => ("DEU", "German"),
        "it" => ("ITA", "Italian"),
        "es" => ("SPA", "Spanish"),
        "pt" => ("POR", "Portuguese"),
        "pl" => ("POL", "Polish"),
        "bg" => ("BUL", "Bulgarian"),
        "hu" => ("HUN", "Hungarian"),
        "nl" => ("NLD", "Dutch"),
        "el" => ("ELL", "Greek"),
        "tr" => ("TUR", "Turkish"),
        _ => ("MUL", "Multiple languages"),
    };
    concept(
        &format!("{LANGUAGE}/{code}"),
        LANGUAGE,
        json!({ "en": en }),
        Some("language"),
    )
}

/// The awarding body as an ELM `Organisation`: legal name, national registration (legal
/// identifier with its country), address with its country, web site and DID.
pub fn organisation(body: &AwardingBody, id: &str) -> Value {
    let c = body.address.country.as_str();
    let full_address: Vec<&str> = [
        body.address.street.as_deref(),
        body.address.postal_code.as_deref(),
        body.address.locality.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut address = json!({
        "id": format!("{id}:address"),
        "type": "Address",
        "countryCode": country(c),
    });
    if !full_address.is_empty() {
        address["fullAddress"] = note(
            format!("{id}:address:full"),
            json!({ "en": full_address.join(", ") }),
        );
    }
    let mut org = json!({
        "id": id,
        "type": "Organisation",
        "legalName": { "en": body.legal_name },
        "registration": {
            "id": format!("{id}:registration"),
            "type": "LegalIdentifier",
            "notation": body.registration_number,
            "spatial": country(c),
        },
        "identifier": {
            "id": format!("{id}:did"),
            "type": "Identifier",
            "schemeName": "DID",
            "notation": body.did.as_str(),
        },
        "location": {
            "id": format!("{id}:location"),
            "type": "Location",
            "address": address,
        },
    });
    if let Some(url) = &body.url {
        org["homepage"] = json!({
            "id": format!("{id}:homepage"),
            "type": "WebResource",
            "contentURL": url.as_str(),
        });
    }
    org
}

/// The uploadable credential (without what sealing adds), as the EU's EDC issuing tools take
/// it inside `{"credential": ...}`.
pub fn edc(cred: &MicroCredential, input: &EdcInput<'_>) -> Value {
    let d = &cred.achievement.definition;
    let org_id = "urn:epass:org:1";
    let org = organisation(&cred.issuer, org_id);
    // The logo once, on the awarding body (the same node, by id, wherever else it appears).
    let mut awarding_body = org.clone();
    if let Some(logo) = input.logo_png {
        awarding_body["logo"] = png_media(format!("{org_id}:logo"), logo);
    }
    let awarded_by = json!({
        "id": "urn:epass:awardingProcess:1",
        "type": "AwardingProcess",
        "awardingBody": awarding_body,
        "awardingDate": rfc3339(cred.issued),
    });
    let langs: Vec<&str> = d.title.iter().map(|(l, _)| l).collect();

    // Element 9 (type of assessment), 10 (form of participation), supervision and
    // identity verification, and the grade (optional element).
    let assessment_type = concept(
        d.assessment_type.iri(),
        &format!("{OURS}assessment-type"),
        en_ro(d.assessment_type.label("en"), d.assessment_type.label("ro")),
        None,
    );
    let mode = concept(
        d.participation_form.iri(),
        crate::model::ParticipationForm::SCHEME,
        en_ro(
            d.participation_form.label("en"),
            d.participation_form.label("ro"),
        ),
        None,
    );
    let grade = cred
        .grade
        .as_deref()
        .map(|g| json!({ "en": g }))
        .unwrap_or_else(|| en_ro("Passed", "Promovat"));
    let mut assessment = json!({
        "id": "urn:epass:learningAssessment:1",
        "type": "LearningAssessment",
        "title": {
            "en": format!("Assessment: {}", d.assessment_type.label("en")),
            "ro": format!("Evaluare: {}", d.assessment_type.label("ro")),
        },
        "grade": note("urn:epass:note:grade".into(), grade),
        "awardedBy": awarded_by.clone(),
        "assessedBy": org.clone(),
        "specifiedBy": {
            "id": "urn:epass:learningAssessmentSpec:1",
            "type": "LearningAssessmentSpecification",
            "title": {
                "en": format!("Assessment: {}", d.assessment_type.label("en")),
                "ro": format!("Evaluare: {}", d.assessment_type.label("ro")),
            },
            "dcType": assessment_type,
            "mode": mode.clone(),
            "gradingScheme": {
                "id": "urn:epass:gradingScheme:1",
                "type": "GradingScheme",
                "title": en_ro("Assessment criteria", "Criterii de evaluare"),
                "description": lang(&d.criteria),
            },
        },
    });
    if let Some(s) = d.supervision {
        assessment["idVerification"] = concept(
            s.iri(),
            supervision_scheme(s.iri()),
            en_ro(s.label("en"), s.label("ro")),
            None,
        );
    }

    // Elements 2, 6, 7, 8, 10 and the optional ones: the specification of the achievement.
    let mut spec = Map::new();
    spec.insert("id".into(), json!("urn:epass:qualification:1"));
    spec.insert("type".into(), json!("Qualification"));
    spec.insert("title".into(), lang(&d.title));
    if let Some(desc) = &d.description {
        spec.insert("description".into(), lang(desc));
    }
    spec.insert(
        "dcType".into(),
        concept(
            SHORT_PROGRAMME,
            "http://data.europa.eu/snb/learning-opportunity/25831c2",
            json!({ "en": "Short learning programme" }),
            None,
        ),
    );
    spec.insert(
        "eqfLevel".into(),
        concept(
            &d.eqf_level.iri(),
            crate::model::EqfLevel::SCHEME,
            json!({ "en": format!("Level {}", d.eqf_level.get()) }),
            None,
        ),
    );
    if let Some(e) = d.workload.ects() {
        spec.insert(
            "creditPoint".into(),
            json!({
                "id": "urn:epass:creditPoint:1",
                "type": "CreditPoint",
                "framework": concept(
                    ECTS_FRAMEWORK,
                    "http://data.europa.eu/snb/education-credit/25831c2",
                    json!({ "en": "European Credit Transfer System" }),
                    None,
                ),
                "point": e.to_decimal_string(),
            }),
        );
    }
    debug_assert_eq!(Ects::FRAMEWORK, ECTS_FRAMEWORK);
    if let Some(h) = d.workload.hours() {
        spec.insert("volumeOfLearning".into(), json!(h.to_duration()));
    }
    spec.insert(
        "learningOutcome".into(),
        Value::Array(
            d.learning_outcomes
                .iter()
                .enumerate()
                .map(|(i, lo)| {
                    let mut o = json!({
                        "id": format!("urn:epass:learningOutcome:{}", i + 1),
                        "type": "LearningOutcome",
                        "title": lang(&lo.title),
                    });
                    if !lo.esco_skills.is_empty() {
                        o["relatedESCOSkill"] = Value::Array(
                            lo.esco_skills
                                .iter()
                                .map(|s| {
                                    concept(
                                        s.as_str(),
                                        "http://data.europa.eu/esco/concept-scheme/skills",
                                        json!({ "en": s.as_str().rsplit('/').next().unwrap_or("") }),
                                        None,
                                    )
                                })
                                .collect(),
                        );
                    }
                    o
                })
                .collect(),
        ),
    );
    if let Some(s) = d.learning_setting {
        spec.insert(
            "learningSetting".into(),
            concept(
                s.iri(),
                crate::model::LearningSetting::SCHEME,
                en_ro(s.label("en"), s.label("ro")),
                None,
            ),
        );
    }
    spec.insert("mode".into(), mode);
    spec.insert(
        "language".into(),
        Value::Array(langs.iter().map(|l| language(l)).collect()),
    );
    if let Some(p) = &d.prerequisites {
        spec.insert(
            "entryRequirement".into(),
            note("urn:epass:note:entryRequirement".into(), lang(p)),
        );
    }
    if let Some(s) = &d.stackability {
        spec.insert(
            "isPartialQualification".into(),
            json!(s.integration == crate::model::Integration::Stackable),
        );
    }
    // Element 11 (quality assurance), QF-EHEA cycle, stackability and further information
    // have no ELM property of their own: notes whose subject is the concept.
    let mut notes = Vec::new();
    let qa = &d.quality_assurance;
    let mut qa_text = Map::new();
    for (l, _) in d.title.iter() {
        let label = qa.kind.label(l);
        let extra = qa.note.as_ref().map(|n| n.get(l)).unwrap_or_default();
        let text = if extra.is_empty() {
            label.to_owned()
        } else {
            format!("{label}: {extra}")
        };
        qa_text.insert(l.to_owned(), json!(text));
    }
    notes.push(subject_note(
        "qualityAssurance",
        concept(
            qa.kind.iri(),
            &format!("{OURS}quality-assurance"),
            en_ro(qa.kind.label("en"), qa.kind.label("ro")),
            None,
        ),
        Value::Object(qa_text),
    ));
    if let Some(c) = d.qf_ehea_cycle {
        notes.push(subject_note(
            "qfEheaCycle",
            concept(
                c.iri(),
                &format!("{OURS}qf-ehea-cycle"),
                en_ro(c.label("en"), c.label("ro")),
                None,
            ),
            json!({ "en": format!("QF-EHEA: {}", c.label("en")), "ro": format!("QF-EHEA: {}", c.label("ro")) }),
        ));
    }
    if let Some(s) = &d.stackability {
        let parts: Vec<&str> = s.part_of.iter().map(|u| u.as_str()).collect();
        let (en, ro) = if parts.is_empty() {
            (
                s.integration.label("en").to_owned(),
                s.integration.label("ro").to_owned(),
            )
        } else {
            (
                format!("{}: {}", s.integration.label("en"), parts.join(", ")),
                format!("{}: {}", s.integration.label("ro"), parts.join(", ")),
            )
        };
        notes.push(subject_note(
            "integration",
            concept(
                s.integration.iri(),
                &format!("{OURS}integration"),
                en_ro(s.integration.label("en"), s.integration.label("ro")),
                None,
            ),
            en_ro(&en, &ro),
        ));
    }
    if let Some(f) = &d.further_information {
        notes.push(note("urn:epass:note:furtherInformation".into(), lang(f)));
    }
    spec.insert("additionalNote".into(), Value::Array(notes));
    spec.insert(
        "homepage".into(),
        json!({
            "id": "urn:epass:webResource:achievement",
            "type": "WebResource",
            "contentURL": cred.achievement.id.as_str(),
        }),
    );

    let mut achievement = json!({
        "id": "urn:epass:learningAchievement:1",
        "type": "LearningAchievement",
        "title": lang(&d.title),
        "awardedBy": awarded_by.clone(),
        "provenBy": assessment,
        "specifiedBy": Value::Object(spec),
    });
    if cred.activity_start.is_some() || cred.activity_end.is_some() {
        let mut period = json!({"id": "urn:epass:period:1", "type": "PeriodOfTime"});
        if let Some(t) = cred.activity_start {
            period["startDate"] = json!(rfc3339(t));
        }
        if let Some(t) = cred.activity_end {
            period["endDate"] = json!(rfc3339(t));
        }
        achievement["influencedBy"] = json!({
            "id": "urn:epass:activity:1",
            "type": "LearningActivity",
            "title": lang(&d.title),
            "awardedBy": awarded_by,
            "directedBy": org.clone(),
            "temporal": period,
        });
    }

    // Element 1: the learner.
    let mut person = json!({
        "id": cred.learner.did.as_ref().map(|d| d.as_str().to_owned())
            .unwrap_or_else(|| "urn:epass:person:1".into()),
        "type": "Person",
        "fullName": { "en": cred.learner.name },
        "hasClaim": achievement,
    });
    if let Some(email) = input.learner_email {
        person["contactPoint"] = json!({
            "id": "urn:epass:contactPoint:learner",
            "type": "ContactPoint",
            "emailAddress": {"id": format!("mailto:{email}"), "type": "Mailbox"},
        });
    }

    let primary = language("en");
    let displays: Vec<Value> = langs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({
                "id": format!("urn:epass:individualDisplay:{}", i + 1),
                "type": "IndividualDisplay",
                "language": language(l),
                "displayDetail": {
                    "id": format!("urn:epass:displayDetail:{}", i + 1),
                    "type": "DisplayDetail",
                    "page": 1,
                    "image": png_media(format!("urn:epass:mediaObject:display:{}", i + 1), input.display_png),
                },
            })
        })
        .collect();

    let mut v = json!({
        "@context": [CREDENTIALS_V1, microcred_schemas::ELM_EDC_AP_URL],
        "id": format!("urn:credential:{}", cred.id.trim_start_matches("urn:uuid:")),
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": concept(PROFILE_GENERIC, "http://data.europa.eu/snb/credential/25831c2", json!({"en": "Generic"}), None),
        "displayParameter": {
            "id": "urn:epass:displayParameter:1",
            "type": "DisplayParameter",
            "title": en_ro("Micro-credential", "Micro-certificat"),
            "description": en_ro(
                &format!("has successfully completed {}", d.title.english()),
                &format!("a absolvit cu succes {}", d.title.get("ro")),
            ),
            "primaryLanguage": primary,
            "language": Value::Array(langs.iter().map(|l| language(l)).collect()),
            "individualDisplay": displays,
        },
        "identifier": {
            "id": "urn:epass:identifier:certificate",
            "type": "Identifier",
            "schemeName": "Verification code",
            "notation": input.code,
        },
        "credentialSchema": {"id": EDC_SCHEMA, "type": "ShaclValidator2017"},
        "credentialSubject": person,
        "issuer": org,
        "validFrom": rfc3339(cred.issued),
    });
    if let Some(t) = cred.valid_until {
        v["expirationDate"] = json!(rfc3339(t));
    }
    // Where the original W3C credential is verified (VC 1.1 evidence would be replaced by the
    // sealing mandate, so it is a supplementary document of the achievement).
    v["credentialSubject"]["hasClaim"]["specifiedBy"]["supplementaryDocument"] = json!({
        "id": "urn:epass:webResource:verification",
        "type": "WebResource",
        "contentURL": input.verification_url,
        "title": en_ro("Verification page", "Pagina de verificare"),
    });
    v
}

fn subject_note(name: &str, subject: Value, text: Value) -> Value {
    json!({
        "id": format!("urn:epass:note:{name}"),
        "type": "Note",
        "subject": subject,
        "noteLiteral": text,
    })
}

fn supervision_scheme(iri: &str) -> &'static str {
    if iri.starts_with("http://data.europa.eu/snb/supervision-verification/") {
        "http://data.europa.eu/snb/supervision-verification/25831c2"
    } else {
        "https://w3id.org/microcred/vocab#supervision"
    }
}
