//! The seal of a European Digital Credential (JAdES, JWS JSON serialization, unencoded
//! payload), checked on the Commission's own sealed sample.

use microcred_core::jades::{is_sealed, verify_seal, SealError};
use time::macros::datetime;

fn sample() -> serde_json::Value {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/elm/Sample-MC-Annex1-signed.jsonld");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn the_commissions_sealed_sample_verifies_and_its_certificate_has_expired_since() {
    let doc = sample();
    assert!(is_sealed(&doc));
    let r = verify_seal(&doc, datetime!(2026-11-23 12:00 UTC)).unwrap();
    assert!(r.signature_valid, "{r:?}");
    assert!(r.certificate_digest_matches);
    assert!(
        r.valid_at_signing,
        "sealed inside the certificate's validity"
    );
    assert!(r.expired_now, "the certificate expired in 2025");
    assert!(r.holds());
    assert_eq!(r.algorithm, "RS256");
    assert_eq!(r.signed_at.as_deref(), Some("2023-09-27T11:54:17Z"));
    assert!(r.sealed_by.contains("TEST SEAL"), "{}", r.sealed_by);
    assert!(r.qualified, "its QCStatements say qualified, type eseal");
    assert!(!r.chain_checked);
    let text = r.to_text();
    assert!(text.starts_with("SEAL VALID"), "{text}");
    assert!(
        text.contains("expired since") && text.contains("not checked against the EU Trusted List"),
        "{text}"
    );
    let credential: serde_json::Value = serde_json::from_str(&r.payload).unwrap();
    assert!(credential["type"]
        .to_string()
        .contains("EuropeanDigitalCredential"));
}

#[test]
fn a_tampered_copy_of_the_sealed_sample_fails() {
    let mut doc = sample();
    let payload = doc["payload"].as_str().unwrap().replacen("2023", "2024", 1);
    doc["payload"] = payload.into();
    let r = verify_seal(&doc, datetime!(2026-11-23 12:00 UTC)).unwrap();
    assert!(!r.signature_valid);
    assert!(!r.holds());
    assert!(r.to_text().starts_with("SEAL NOT VALID"));
}

#[test]
fn what_is_not_a_seal_says_why() {
    let e = verify_seal(
        &serde_json::json!({"payload": "x", "signatures": []}),
        datetime!(2026-11-23 12:00 UTC),
    )
    .unwrap_err();
    assert!(matches!(e, SealError::NotSealed(_)), "{e}");
    assert!(!is_sealed(&serde_json::json!({"@context": []})));
}
