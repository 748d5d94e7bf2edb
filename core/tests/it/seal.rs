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
    // Its timestamps, made by the EU's DSS with a test TSA: the signature timestamp over the
    // signature value (baseline T), the content timestamp over the payload.
    let sig_tst = r
        .signature_timestamp
        .as_ref()
        .expect("the sample carries sigTst");
    assert!(sig_tst.valid, "{sig_tst:?}");
    assert!(
        sig_tst.tsa.as_deref().unwrap().contains("good-tsa"),
        "{sig_tst:?}"
    );
    assert!(
        sig_tst
            .time
            .as_deref()
            .unwrap()
            .starts_with("2023-09-27T11:54"),
        "{sig_tst:?}"
    );
    let ado_tst = r
        .content_timestamp
        .as_ref()
        .expect("the sample carries adoTst");
    assert!(ado_tst.valid, "{ado_tst:?}");
    let text = r.to_text();
    assert!(
        text.contains("[passed ] signature timestamp (sigTst): 2023-09-27T11:54"),
        "{text}"
    );
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

#[test]
fn a_timestamp_of_other_data_or_with_a_changed_byte_fails_the_seal() {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let doc = sample();
    let protected = doc["signatures"][0]["protected"].as_str().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(protected).unwrap()).unwrap();
    let content_token = header["adoTst"]["tstTokens"][0]["val"].as_str().unwrap();

    // The content timestamp's token put where the signature timestamp goes: other data.
    let mut swapped = doc.clone();
    let component = serde_json::json!({"sigTst": {"tstTokens": [{"val": content_token}]}});
    swapped["signatures"][0]["header"]["etsiU"] =
        serde_json::json!([URL_SAFE_NO_PAD.encode(component.to_string())]);
    let r = verify_seal(&swapped, datetime!(2026-11-23 12:00 UTC)).unwrap();
    assert!(r.signature_valid, "the seal's own signature is untouched");
    let t = r.signature_timestamp.as_ref().unwrap();
    assert!(!t.valid);
    assert!(
        t.problem.as_deref().unwrap().contains("message imprint"),
        "{t:?}"
    );
    assert!(!r.holds());
    assert!(r.to_text().contains("[FAILED ] signature timestamp"));

    // One byte of the token's TSTInfo changed (its serial number): the TSA's signature breaks.
    let mut der = STANDARD.decode(content_token).unwrap();
    let at = der
        .windows(3)
        .position(|w| w == [0x02, 0x10, 0x4b])
        .expect("the TSTInfo serial number");
    der[at + 3] ^= 1;
    let mut changed = doc.clone();
    let component = serde_json::json!({"tstTokens": [{"val": STANDARD.encode(&der)}]});
    let mut header = header.clone();
    header["adoTst"] = component;
    changed["signatures"][0]["protected"] = URL_SAFE_NO_PAD.encode(header.to_string()).into();
    let r = verify_seal(&changed, datetime!(2026-11-23 12:00 UTC)).unwrap();
    let t = r.content_timestamp.as_ref().unwrap();
    assert!(!t.valid);
    assert!(t.problem.as_deref().unwrap().contains("signature"), "{t:?}");
}
