//! The model and the JSON Schemas agree: the same good and bad fixtures go to both.

use microcred_core::model::{
    AchievementDefinition, AwardingBody, CountryCode, Did, Evidence, HttpUrl, IdentityType,
    IssuedAchievement, Learner, LearnerIdentity, MicroCredential, PostalAddress,
};
use microcred_core::schema::{validate_achievement_definition, validate_credential};
use time::macros::datetime;

use crate::fixtures::{json, path};

fn files(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(path(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") && n != "expected-errors.json")
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no fixtures in {dir}");
    v
}

#[test]
fn good_achievement_definitions_pass_both_the_schema_and_the_model() {
    for f in files("achievements/good") {
        let doc = json(&format!("achievements/good/{f}"));
        let schema_errors = validate_achievement_definition(&doc);
        assert!(
            schema_errors.is_empty(),
            "{f}: schema says {schema_errors:?}"
        );
        let def = AchievementDefinition::from_json(&doc).unwrap_or_else(|e| panic!("{f}: {e}"));
        // The wire form round-trips.
        let again = serde_json::to_value(def.to_doc()).unwrap();
        assert_eq!(
            AchievementDefinition::from_json(&again).unwrap(),
            def,
            "{f}"
        );
    }
}

#[test]
fn bad_achievement_definitions_fail_both_the_schema_and_the_model_naming_the_element() {
    let expected = json("achievements/bad/expected-errors.json");
    let files = files("achievements/bad");
    assert_eq!(
        files.len(),
        expected.as_object().unwrap().len(),
        "every bad fixture has an expected error"
    );
    for f in files {
        let doc = json(&format!("achievements/bad/{f}"));
        assert!(
            !validate_achievement_definition(&doc).is_empty(),
            "{f}: the schema accepted it"
        );
        let err = AchievementDefinition::from_json(&doc)
            .err()
            .unwrap_or_else(|| panic!("{f}: the model accepted it"));
        let want = expected[&f].as_str().unwrap();
        assert!(
            err.to_string().contains(want),
            "{f}: got `{err}`, want `{want}`"
        );
    }
}

#[test]
fn errors_name_the_json_path_of_the_bad_value() {
    let mut doc = json("achievements/good/data-protection.json");
    doc["learningOutcomes"][1]["title"]["en"] = "".into();
    let err = AchievementDefinition::from_json(&doc).unwrap_err();
    assert_eq!(err.0[0].path, "/learningOutcomes/1/title/en");
    assert_eq!(err.0[0].element, "learningOutcomes");
}

#[test]
fn every_broken_rule_is_reported_at_once() {
    let mut doc = json("achievements/good/minimal-hours-only.json");
    doc["eqfLevel"] = 12.into();
    doc["participationForm"] = "remote".into();
    doc.as_object_mut().unwrap().remove("learningOutcomes");
    let err = AchievementDefinition::from_json(&doc).unwrap_err();
    let elements: Vec<_> = err.0.iter().map(|e| e.element.as_str()).collect();
    assert_eq!(
        elements,
        ["learningOutcomes", "eqfLevel", "participationForm"]
    );
}

/// The sample credential the fixtures are made from.
pub fn sample_credential() -> MicroCredential {
    let mut definition =
        AchievementDefinition::from_json(&json("achievements/good/data-protection.json")).unwrap();
    // Issuance policy, not carried in the credential.
    definition.validity_period = None;
    MicroCredential {
        id: "urn:uuid:2f1d3c4e-8a5b-4c6d-9e7f-0a1b2c3d4e5f".into(),
        issuer: AwardingBody {
            did: Did::new("did:web:mlearn.example.md:institutions:apa").unwrap(),
            legal_name: "Academia de Administrare Publică".into(),
            registration_number: "1002600012345".into(),
            address: PostalAddress {
                country: CountryCode::new("MD").unwrap(),
                locality: Some("Chișinău".into()),
                street: Some("str. Ion Creangă 21".into()),
                postal_code: Some("MD-2064".into()),
            },
            url: Some(HttpUrl::new("issuer", "https://aap.example.md").unwrap()),
        },
        learner: Learner {
            name: "Ana Popescu".into(),
            did: Some(
                Did::new("did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r").unwrap(),
            ),
            identities: vec![LearnerIdentity::hashed(
                IdentityType::Email,
                "ana.popescu@example.md",
                "c2FsdC0xMjM0NTY3OA",
            )
            .unwrap()],
        },
        achievement: IssuedAchievement {
            id: HttpUrl::new(
                "achievement",
                "https://mlearn.example.md/institutions/apa/achievements/gdpr-101",
            )
            .unwrap(),
            version: 2,
            definition,
        },
        issued: datetime!(2026-06-30 12:00:00 UTC),
        valid_until: Some(datetime!(2031-06-30 12:00:00 UTC)),
        grade: Some("92%".into()),
        activity_start: Some(datetime!(2026-05-04 00:00:00 UTC)),
        activity_end: Some(datetime!(2026-06-28 00:00:00 UTC)),
        evidence: vec![Evidence {
            url: Some(
                HttpUrl::new(
                    "evidence",
                    "https://mlearn.example.md/mod/quiz/review.php?attempt=4711",
                )
                .unwrap(),
            ),
            name: Some("Final quiz attempt".into()),
            narrative: Some("Scored 92% (pass mark 80%).".into()),
        }],
        status: vec![],
    }
}

#[test]
fn the_sample_credential_matches_its_fixture_and_round_trips() {
    let c = sample_credential();
    let v = c.to_json();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(
            path("credentials/good/data-protection.json"),
            serde_json::to_string_pretty(&v).unwrap() + "\n",
        )
        .unwrap();
    }
    assert_eq!(v, json("credentials/good/data-protection.json"));
    assert_eq!(MicroCredential::from_json(&v).unwrap(), c);
    assert!(c.learner.identities[0].matches("Ana.Popescu@example.md "));
    assert!(!c.learner.identities[0].matches("someone@example.md"));
}

#[test]
fn good_credentials_pass_both_the_schema_and_the_model() {
    for f in files("credentials/good") {
        let doc = json(&format!("credentials/good/{f}"));
        let schema_errors = validate_credential(&doc);
        assert!(
            schema_errors.is_empty(),
            "{f}: schema says {schema_errors:?}"
        );
        MicroCredential::from_json(&doc).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn bad_credentials_fail_both_the_schema_and_the_model_naming_the_element() {
    let expected = json("credentials/bad/expected-errors.json");
    let files = files("credentials/bad");
    assert_eq!(files.len(), expected.as_object().unwrap().len());
    for f in files {
        let doc = json(&format!("credentials/bad/{f}"));
        assert!(
            !validate_credential(&doc).is_empty(),
            "{f}: the schema accepted it"
        );
        let err = MicroCredential::from_json(&doc)
            .err()
            .unwrap_or_else(|| panic!("{f}: the model accepted it"));
        let want = expected[&f].as_str().unwrap();
        assert!(
            err.to_string().contains(want),
            "{f}: got `{err}`, want `{want}`"
        );
    }
}
