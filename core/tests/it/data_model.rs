//! The W3C VC Data Model rules a verifier must hold a document to (VC 2.0 §4; VC 1.1 for
//! documents that say they are 1.1): every good fixture conforms, every bad one is refused
//! naming its fault, and the verification report fails a signed but malformed credential.

use microcred_core::data_model::{credential_problems, is_date_time_stamp};
use serde_json::Value;

use crate::fixtures::{json, path};

#[test]
fn every_good_fixture_conforms() {
    for entry in std::fs::read_dir(path("vcdm/good")).unwrap() {
        let p = entry.unwrap().path();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(
            credential_problems(&doc),
            Vec::<String>::new(),
            "{}",
            p.display()
        );
    }
}

#[test]
fn every_bad_fixture_is_refused_naming_its_fault() {
    let expected = json("vcdm/bad/expected-problems.json");
    let expected = expected.as_object().unwrap();
    let files: Vec<_> = std::fs::read_dir(path("vcdm/bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("expected-problems.json"))
        .collect();
    assert_eq!(files.len(), expected.len(), "one expectation per fixture");
    for p in files {
        let name = p.file_stem().unwrap().to_str().unwrap();
        let doc = json(&format!("vcdm/bad/{name}.json"));
        let problems = credential_problems(&doc).join("; ");
        let says = expected[name].as_str().unwrap();
        assert!(
            problems.contains(says),
            "{name}: expected `{says}` in `{problems}`"
        );
    }
}

#[test]
fn date_time_stamps_need_a_time_zone() {
    for good in [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.123456Z",
        "2026-01-01T00:00:00+02:00",
        "-0044-03-15T12:00:00-01:00",
        "12026-01-01T00:00:00Z",
    ] {
        assert!(is_date_time_stamp(good), "{good}");
    }
    for bad in [
        "2026-01-01T00:00:00",
        "2026-01-01",
        "2026-01-01 00:00:00Z",
        "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00+0200",
        "26-01-01T00:00:00Z",
        "",
    ] {
        assert!(!is_date_time_stamp(bad), "{bad}");
    }
}

#[tokio::test]
async fn a_signed_but_malformed_credential_is_not_verified() {
    use microcred_core::did::StaticResolver;
    use microcred_core::keys::KeyPair;
    use microcred_core::proof::{sign, Cryptosuite, ProofOptions};
    use microcred_core::status::NoStatusLists;
    use microcred_core::verify::{verify_credential, CheckName, Outcome};

    let key = KeyPair::generate();
    let mut doc = json("vcdm/bad/valid-from-without-time-zone.json");
    doc["issuer"] = key.public().did_key().as_str().into();
    let signed = sign(
        &doc,
        &key,
        &ProofOptions::assertion(Cryptosuite::EddsaJcs2022, key.public().did_key_method()),
    )
    .unwrap();
    let r = verify_credential(
        &signed,
        &StaticResolver::new(),
        &NoStatusLists,
        time::OffsetDateTime::now_utc(),
    )
    .await;
    assert_eq!(r.check(CheckName::Proof).unwrap().outcome, Outcome::Passed);
    let dm = r.check(CheckName::DataModel).unwrap();
    assert_eq!(dm.outcome, Outcome::Failed);
    assert!(dm.reason.contains("validFrom"), "{}", dm.reason);
    assert!(!r.verified);
}

#[tokio::test]
async fn a_proof_past_its_expires_fails_and_one_before_it_holds() {
    use microcred_core::did::StaticResolver;
    use microcred_core::keys::KeyPair;
    use microcred_core::proof::{sign, verify, Cryptosuite, ProofError, ProofOptions};

    let key = KeyPair::generate();
    let mut doc = json("vcdm/good/minimal.json");
    doc["issuer"] = key.public().did_key().as_str().into();
    let now = time::OffsetDateTime::now_utc();
    let signed_until = |expires| {
        let mut o =
            ProofOptions::assertion(Cryptosuite::EddsaJcs2022, key.public().did_key_method());
        o.expires = Some(expires);
        sign(&doc, &key, &o).unwrap()
    };
    let resolver = StaticResolver::new();
    let past = signed_until(now - time::Duration::hours(1));
    let e = verify(&past, &resolver, "assertionMethod")
        .await
        .unwrap_err();
    assert!(matches!(e, ProofError::Expired(_)), "{e}");
    let future = signed_until(now + time::Duration::hours(1));
    verify(&future, &resolver, "assertionMethod").await.unwrap();
    // An unknown cryptosuite is a clear failure, not a crash.
    let mut odd = future.clone();
    odd["proof"]["cryptosuite"] = "ecdsa-sd-2023".into();
    let e = verify(&odd, &resolver, "assertionMethod")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ecdsa-sd-2023"), "{e}");
}

#[tokio::test]
async fn a_proof_chain_verifies_and_breaks_when_an_earlier_proof_is_changed() {
    use microcred_core::did::StaticResolver;
    use microcred_core::keys::KeyPair;
    use microcred_core::proof::{sign, verify, Cryptosuite, ProofOptions};

    let resolver = StaticResolver::new();
    for suite in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
        let (issuer, notary) = (KeyPair::generate(), KeyPair::generate());
        let mut doc = json("vcdm/good/minimal.json");
        doc["issuer"] = issuer.public().did_key().as_str().into();
        let mut first = ProofOptions::assertion(suite, issuer.public().did_key_method());
        first.id = Some("urn:uuid:0c1d9d6e-0000-4000-8000-00000000000a".into());
        let signed = sign(&doc, &issuer, &first).unwrap();
        // A second proof, by another key, chained to the first (VC Data Integrity §2.1.2).
        let mut second = ProofOptions::assertion(suite, notary.public().did_key_method());
        second.previous_proof = vec!["urn:uuid:0c1d9d6e-0000-4000-8000-00000000000a".into()];
        let chained = sign(&signed, &notary, &second).unwrap();
        assert_eq!(chained["proof"].as_array().unwrap().len(), 2);
        let proofs = verify(&chained, &resolver, "assertionMethod")
            .await
            .unwrap();
        assert_eq!(proofs.len(), 2, "{suite:?}");

        // The first proof's value changed: both the first and the chained proof fail.
        let mut broken = chained.clone();
        broken["proof"][0]["created"] = "2020-01-01T00:00:00Z".into();
        assert!(verify(&broken, &resolver, "assertionMethod").await.is_err());
        // A previousProof that names no proof of the document is a named failure.
        let mut dangling = chained.clone();
        dangling["proof"] = serde_json::json!([chained["proof"][1].clone()]);
        let e = verify(&dangling, &resolver, "assertionMethod")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("previousProof"), "{e}");
    }
}
