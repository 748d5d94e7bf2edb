//! Interop with Digital Bazaar's implementation (`../shared/peer`): credentials it signed verify
//! here, tampered copies fail; a valid signature by a key the issuer does not control fails
//! issuer binding. (The other direction, the peer verifying what we sign, runs in
//! `scripts/peer-interop.sh`, called by `.ci/run`.)

use microcred_core::did::{DidDocument, StaticResolver, VerificationMethod};
use microcred_core::keys::KeyPair;
use microcred_core::model::Did;
use microcred_core::proof::{self, Cryptosuite, ProofOptions};
use microcred_core::verify::{verify_credential, CheckName, Outcome, VerificationReport};
use time::OffsetDateTime;

use crate::fixtures::json;
use crate::model::sample_credential;

async fn verify(doc: &serde_json::Value, resolver: &StaticResolver) -> VerificationReport {
    verify_credential(
        doc,
        resolver,
        &microcred_core::status::NoStatusLists,
        OffsetDateTime::now_utc(),
    )
    .await
}

#[tokio::test]
async fn credentials_signed_by_the_peer_verify() {
    for i in 1..=3 {
        let r = verify(
            &json(&format!("peer/signed-{i}.json")),
            &StaticResolver::new(),
        )
        .await;
        assert!(r.verified, "peer/signed-{i}.json:\n{}", r.to_text());
        assert_eq!(
            r.check(CheckName::IssuerBinding).unwrap().outcome,
            Outcome::Passed
        );
        assert_eq!(
            r.check(CheckName::Schema).unwrap().outcome,
            Outcome::Skipped
        );
    }
}

#[tokio::test]
async fn tampered_copies_of_peer_credentials_fail_the_proof_check() {
    for f in [
        "tampered-achievement-name",
        "tampered-valid-from",
        "tampered-issuer-name",
    ] {
        let r = verify(&json(&format!("peer/{f}.json")), &StaticResolver::new()).await;
        assert!(!r.verified, "{f}");
        let proof = r.check(CheckName::Proof).unwrap();
        assert_eq!(proof.outcome, Outcome::Failed, "{f}");
        assert!(
            proof.reason.contains("signature does not match"),
            "{f}: {}",
            proof.reason
        );
    }
}

fn issuer_setup() -> (StaticResolver, KeyPair, String, Did) {
    let did = Did::new("did:web:mlearn.example.md:institutions:apa").unwrap();
    let key = KeyPair::generate();
    let vm = format!("{did}#key-1");
    let resolver = StaticResolver::new();
    resolver.insert(DidDocument::with_keys(
        &did,
        vec![VerificationMethod::multikey(
            vm.clone(),
            &did,
            &key.public(),
        )],
    ));
    (resolver, key, vm, did)
}

#[tokio::test]
async fn our_credential_signed_by_its_did_web_issuer_is_valid_with_both_suites() {
    let (resolver, key, vm, _) = issuer_setup();
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let signed = proof::sign(
            &sample_credential().to_json(),
            &key,
            &ProofOptions::assertion(suite, vm.clone()),
        )
        .unwrap();
        let r = verify(&signed, &resolver).await;
        assert!(r.verified, "{suite:?}\n{}", r.to_text());
        assert_eq!(r.check(CheckName::Schema).unwrap().outcome, Outcome::Passed);
    }
}

#[tokio::test]
async fn tampering_with_any_eu_element_fails_the_proof_check() {
    let (resolver, key, vm, _) = issuer_setup();
    let signed = proof::sign(
        &sample_credential().to_json(),
        &key,
        &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
    )
    .unwrap();
    for (pointer, value) in [
        ("/credentialSubject/name", serde_json::json!("Ion Popescu")),
        (
            "/credentialSubject/result/0/value",
            serde_json::json!("100%"),
        ),
        (
            "/credentialSubject/achievement/eqfLevel",
            serde_json::json!("http://data.europa.eu/snb/eqf/7"),
        ),
        (
            "/credentialSubject/achievement/creditPoint/point",
            serde_json::json!("5"),
        ),
        (
            "/credentialSubject/achievement/title/ro",
            serde_json::json!("Alt titlu"),
        ),
        (
            "/issuer/registrationNumber",
            serde_json::json!("1002600099999"),
        ),
        ("/validUntil", serde_json::json!("2099-01-01T00:00:00Z")),
    ] {
        let mut t = signed.clone();
        *t.pointer_mut(pointer).unwrap() = value;
        let r = verify(&t, &resolver).await;
        assert_eq!(
            r.check(CheckName::Proof).unwrap().outcome,
            Outcome::Failed,
            "tampering {pointer} must fail"
        );
    }
}

#[tokio::test]
async fn a_valid_signature_by_a_key_the_issuer_does_not_control_fails_issuer_binding() {
    let (resolver, _, _, _) = issuer_setup();
    let intruder = KeyPair::generate();
    let signed = proof::sign(
        &sample_credential().to_json(),
        &intruder,
        &ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            intruder.public().did_key_method(),
        ),
    )
    .unwrap();
    let r = verify(&signed, &resolver).await;
    assert_eq!(r.check(CheckName::Proof).unwrap().outcome, Outcome::Passed);
    let b = r.check(CheckName::IssuerBinding).unwrap();
    assert_eq!(b.outcome, Outcome::Failed);
    assert!(b.reason.contains("not of the issuer"), "{}", b.reason);
    assert!(!r.verified);
}

#[tokio::test]
async fn a_key_of_the_issuer_not_listed_for_assertion_fails_issuer_binding() {
    let did = Did::new("did:web:mlearn.example.md:institutions:apa").unwrap();
    let key = KeyPair::generate();
    let vm = format!("{did}#key-1");
    let mut doc = DidDocument::with_keys(
        &did,
        vec![VerificationMethod::multikey(
            vm.clone(),
            &did,
            &key.public(),
        )],
    );
    doc.assertion_method.clear();
    let resolver = StaticResolver::new();
    resolver.insert(doc);
    let signed = proof::sign(
        &sample_credential().to_json(),
        &key,
        &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
    )
    .unwrap();
    let r = verify(&signed, &resolver).await;
    let b = r.check(CheckName::IssuerBinding).unwrap();
    assert_eq!(b.outcome, Outcome::Failed, "{}", r.to_text());
    assert!(b.reason.contains("assertionMethod"));
}

#[tokio::test]
async fn an_expired_credential_fails_the_validity_window() {
    let (resolver, key, vm, _) = issuer_setup();
    let signed = proof::sign(
        &sample_credential().to_json(),
        &key,
        &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
    )
    .unwrap();
    let later = time::macros::datetime!(2032-01-01 00:00:00 UTC);
    let r = verify_credential(
        &signed,
        &resolver,
        &microcred_core::status::NoStatusLists,
        later,
    )
    .await;
    let w = r.check(CheckName::ValidityWindow).unwrap();
    assert_eq!(w.outcome, Outcome::Failed);
    assert!(
        w.reason.starts_with("expired on 2031-06-30"),
        "{}",
        w.reason
    );
    assert!(!r.verified);
    let before = time::macros::datetime!(2026-01-01 00:00:00 UTC);
    let r = verify_credential(
        &signed,
        &resolver,
        &microcred_core::status::NoStatusLists,
        before,
    )
    .await;
    assert!(r
        .check(CheckName::ValidityWindow)
        .unwrap()
        .reason
        .starts_with("not valid before"));
}

#[tokio::test]
async fn an_unknown_did_web_issuer_fails_the_proof_check_with_the_reason() {
    let (_, key, vm, _) = issuer_setup();
    let signed = proof::sign(
        &sample_credential().to_json(),
        &key,
        &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
    )
    .unwrap();
    let r = verify(&signed, &StaticResolver::new()).await;
    let p = r.check(CheckName::Proof).unwrap();
    assert_eq!(p.outcome, Outcome::Failed);
    assert!(p.reason.contains("could not be resolved"), "{}", p.reason);
    assert_eq!(
        r.check(CheckName::Status).unwrap().outcome,
        Outcome::Skipped
    );
}

#[tokio::test]
async fn an_eu_micro_credential_signed_by_the_peer_verifies_and_conforms() {
    let r = verify(&json("peer/eu-signed-by-peer.json"), &StaticResolver::new()).await;
    assert!(r.verified, "{}", r.to_text());
    assert_eq!(r.check(CheckName::Schema).unwrap().outcome, Outcome::Passed);
    let r = verify(
        &json("peer/eu-signed-by-peer-tampered-credits.json"),
        &StaticResolver::new(),
    )
    .await;
    assert_eq!(r.check(CheckName::Proof).unwrap().outcome, Outcome::Failed);
}
