//! The W3C Data Integrity EdDSA test vectors, reproduced byte for byte.

use microcred_core::did::StaticResolver;
use microcred_core::keys::KeyFile;
use microcred_core::proof::{self, canonical_json, canonical_nquads, Cryptosuite, ProofOptions};
use microcred_core::verify::{verify_credential, CheckName, Outcome};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::fixtures::{json, text};

fn options_from(config: &serde_json::Value) -> ProofOptions {
    ProofOptions {
        cryptosuite: config["cryptosuite"].as_str().unwrap().parse().unwrap(),
        verification_method: config["verificationMethod"].as_str().unwrap().into(),
        created: OffsetDateTime::parse(config["created"].as_str().unwrap(), &Rfc3339).unwrap(),
        proof_purpose: config["proofPurpose"].as_str().unwrap().into(),
        challenge: None,
        domain: None,
        expires: None,
        id: None,
        previous_proof: Vec::new(),
    }
}

fn sign_vector(unsigned: &str, dir: &str, config: &str, sig: &str) -> serde_json::Value {
    let key = serde_json::from_value::<KeyFile>(json("vc-di-eddsa/keyPair.json"))
        .unwrap()
        .key_pair()
        .unwrap();
    let config = json(&format!("{dir}/{config}"));
    let signed = proof::sign(&json(unsigned), &key, &options_from(&config)).unwrap();
    assert_eq!(
        signed["proof"]["proofValue"].as_str().unwrap(),
        text(&format!("{dir}/{sig}")).trim(),
        "proofValue must equal the vector's byte for byte"
    );
    signed
}

#[test]
fn signing_the_vector_credential_with_rdfc_reproduces_the_vector_signature() {
    let signed = sign_vector(
        "vc-di-eddsa/unsigned.json",
        "vc-di-eddsa/eddsa-rdfc-2022",
        "proofConfigDataInt.json",
        "sigBTC58DataInt.txt",
    );
    assert_eq!(
        signed,
        json("vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json")
    );
}

#[test]
fn signing_the_vector_credential_with_jcs_reproduces_the_vector_signature() {
    let signed = sign_vector(
        "vc-di-eddsa/unsigned.json",
        "vc-di-eddsa/eddsa-jcs-2022",
        "proofConfigJCS.json",
        "sigBTC58JCS.txt",
    );
    assert_eq!(signed, json("vc-di-eddsa/eddsa-jcs-2022/signedJCS.json"));
}

#[test]
fn the_canonical_forms_match_the_vectors() {
    let doc = json("vc-di-eddsa/unsigned.json");
    assert_eq!(
        canonical_nquads(&doc).unwrap().concat(),
        text("vc-di-eddsa/eddsa-rdfc-2022/canonDocDataInt.txt")
    );
    let mut config = json("vc-di-eddsa/eddsa-rdfc-2022/proofConfigDataInt.json");
    config["@context"] = doc["@context"].clone();
    assert_eq!(
        canonical_nquads(&config).unwrap().concat(),
        text("vc-di-eddsa/eddsa-rdfc-2022/proofCanonDataInt.txt")
    );
    assert_eq!(
        canonical_json(&doc),
        text("vc-di-eddsa/eddsa-jcs-2022/canonDocJCS.txt").trim_end()
    );
}

async fn report_of(rel: &str) -> microcred_core::verify::VerificationReport {
    verify_credential(
        &json(rel),
        &StaticResolver::new(),
        &microcred_core::status::NoStatusLists,
        OffsetDateTime::now_utc(),
    )
    .await
}

#[tokio::test]
async fn the_vectors_signed_credentials_pass_the_proof_check_but_not_issuer_binding() {
    for rel in [
        "vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json",
        "vc-di-eddsa/eddsa-jcs-2022/signedJCS.json",
    ] {
        let r = report_of(rel).await;
        let proof = r.check(CheckName::Proof).unwrap();
        assert_eq!(proof.outcome, Outcome::Passed, "{rel}: {}", proof.reason);
        let binding = r.check(CheckName::IssuerBinding).unwrap();
        assert_eq!(binding.outcome, Outcome::Failed, "{rel}");
        assert!(
            binding.reason.contains("not established"),
            "{}",
            binding.reason
        );
        assert!(!r.verified, "{rel} must not be reported valid");
    }
}

#[tokio::test]
async fn changing_any_field_of_a_vector_credential_fails_the_proof_check() {
    let signed = json("vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json");
    for (pointer, value) in [
        ("/name", serde_json::json!("Alumni Credential!")),
        (
            "/credentialSubject/alumniOf",
            serde_json::json!("The School of Forgery"),
        ),
        ("/validFrom", serde_json::json!("2023-01-02T00:00:00Z")),
        ("/proof/created", serde_json::json!("2023-02-24T23:36:39Z")),
    ] {
        let mut t = signed.clone();
        *t.pointer_mut(pointer).unwrap() = value;
        let r = verify_credential(
            &t,
            &StaticResolver::new(),
            &microcred_core::status::NoStatusLists,
            OffsetDateTime::now_utc(),
        )
        .await;
        assert_eq!(
            r.check(CheckName::Proof).unwrap().outcome,
            Outcome::Failed,
            "tampering {pointer} must fail"
        );
    }
    // The JCS suite too.
    let mut t = json("vc-di-eddsa/eddsa-jcs-2022/signedJCS.json");
    t["description"] = "changed".into();
    let r = verify_credential(
        &t,
        &StaticResolver::new(),
        &microcred_core::status::NoStatusLists,
        OffsetDateTime::now_utc(),
    )
    .await;
    assert_eq!(r.check(CheckName::Proof).unwrap().outcome, Outcome::Failed);
}

#[test]
fn both_suites_are_named_as_the_spec_names_them() {
    assert_eq!(Cryptosuite::EddsaRdfc2022.name(), "eddsa-rdfc-2022");
    assert_eq!(Cryptosuite::EddsaJcs2022.name(), "eddsa-jcs-2022");
}
