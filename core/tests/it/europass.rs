//! Europass: our award as a European Digital Credential, sealed with throw-away seal
//! certificates made here, checked against the EDC SHACL shapes (pySHACL over the RDF our own
//! strict JSON-LD processor reads) and by our seal check.

use microcred_core::elm::{edc, EdcInput};
use microcred_core::eseal::demo::{demo_seal, DemoKey, DemoSubject};
use microcred_core::eseal::{SealKey, SealKeyError};
use microcred_core::jades::{seal, verify_seal};
use microcred_core::model::MicroCredential;
use microcred_core::proof::canonical_nquads;
use serde_json::Value;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::fixtures::{json, path};

const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn award() -> MicroCredential {
    MicroCredential::from_json(&json("credentials/good/data-protection.json")).unwrap()
}

fn uploadable() -> Value {
    let logo = std::fs::read(path("logos/academy.png")).unwrap();
    edc(
        &award(),
        &EdcInput {
            code: "K7QX2M9P",
            verification_url: "https://mlearn.example.md/v/K7QX2M9P",
            learner_email: Some("ana.popescu@example.md"),
            display_png: &microcred_core::qr::png("https://mlearn.example.md/v/K7QX2M9P"),
            logo_png: Some(&logo),
        },
    )
}

fn subject(qualified: bool) -> DemoSubject<'static> {
    DemoSubject {
        organisation: "Academia de Administrare Publică",
        organisation_identifier: "VATMD-1002600012345",
        country: "MD",
        qualified_statements: qualified,
        not_before: datetime!(2026-01-01 0:00 UTC),
        not_after: datetime!(2028-01-01 0:00 UTC),
    }
}

struct Shacl {
    conforms: bool,
    triples: u64,
    violations: Vec<String>,
}

/// Reads `doc` with our strict JSON-LD processor (an undefined term fails) and checks the
/// graph against the EDC shapes with pySHACL.
fn shacl(doc: &Value) -> Shacl {
    let nquads = canonical_nquads(doc).expect("every term expands under the bundled contexts");
    let dir = std::env::temp_dir().join(format!("microcred-shacl-{}", uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data.nt");
    std::fs::write(&data, nquads.concat()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/shacl-check.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(path("elm/EDC-generic-no-cv.ttl"))
        .arg(&data)
        .output()
        .expect("python3 runs");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "pySHACL failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    Shacl {
        conforms: r["conforms"].as_bool().unwrap(),
        triples: r["triples"].as_u64().unwrap(),
        violations: r["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| format!("{} {}: {}", v["focus"], v["path"], v["message"]))
            .collect(),
    }
}

fn uuid() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[test]
fn an_award_maps_to_the_elm_classes_of_the_commissions_sample() {
    let c = uploadable();
    assert_eq!(
        c["@context"],
        serde_json::json!([
            "https://www.w3.org/2018/credentials/v1",
            "http://data.europa.eu/snb/model/context/edc-ap"
        ])
    );
    assert_eq!(c["type"][1], "EuropeanDigitalCredential");
    let subject = &c["credentialSubject"];
    assert_eq!(subject["fullName"]["en"], "Ana Popescu");
    assert_eq!(
        subject["contactPoint"]["emailAddress"]["id"],
        "mailto:ana.popescu@example.md"
    );
    let a = &subject["hasClaim"];
    assert_eq!(a["type"], "LearningAchievement");
    assert_eq!(
        a["awardedBy"]["awardingBody"]["legalName"]["en"],
        "Academia de Administrare Publică"
    );
    assert_eq!(
        a["awardedBy"]["awardingBody"]["registration"]["notation"],
        "1002600012345"
    );
    assert_eq!(
        a["awardedBy"]["awardingBody"]["location"]["address"]["countryCode"]["id"],
        "http://publications.europa.eu/resource/authority/country/MDA"
    );
    let logo = &a["awardedBy"]["awardingBody"]["logo"];
    assert_eq!(logo["type"], "MediaObject");
    assert_eq!(
        logo["contentType"]["id"],
        "http://publications.europa.eu/resource/authority/file-type/PNG"
    );
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(logo["content"].as_str().unwrap())
            .unwrap(),
        std::fs::read(path("logos/academy.png")).unwrap()
    );
    let spec = &a["specifiedBy"];
    assert_eq!(spec["type"], "Qualification");
    assert!(spec["eqfLevel"]["id"]
        .as_str()
        .unwrap()
        .starts_with("http://data.europa.eu/snb/eqf/"));
    assert_eq!(
        spec["creditPoint"]["framework"]["id"],
        "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    );
    assert!(spec["learningOutcome"][0]["title"]["en"].is_string());
    assert!(spec["mode"]["id"]
        .as_str()
        .unwrap()
        .starts_with("http://data.europa.eu/snb/learning-assessment/"));
    let assessment = &a["provenBy"];
    assert_eq!(assessment["type"], "LearningAssessment");
    assert_eq!(assessment["grade"]["noteLiteral"]["en"], "92%");
    assert_eq!(
        a["influencedBy"]["temporal"]["startDate"],
        "2026-05-04T00:00:00Z"
    );
    assert_eq!(c["validFrom"], "2026-06-30T12:00:00Z");
    assert_eq!(c["expirationDate"], "2031-06-30T12:00:00Z");
    assert_eq!(c["identifier"]["notation"], "K7QX2M9P");
    assert!(c.get("issued").is_none(), "sealing adds it");
}

#[test]
fn the_uploadable_form_conforms_except_for_what_sealing_adds() {
    let r = shacl(&uploadable());
    assert!(!r.conforms);
    let mut paths: Vec<&str> = r
        .violations
        .iter()
        .map(|v| {
            if v.contains("eidasLegalIdentifier") || v.contains("IssuerNodeShape") {
                "eidasLegalIdentifier"
            } else if v.contains("cred#issued") || v.contains("credentials#issued") {
                "issued"
            } else {
                v.as_str()
            }
        })
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        ["eidasLegalIdentifier", "issued"],
        "{:#?}",
        r.violations
    );
}

#[test]
fn a_sealed_credential_conforms_to_the_edc_shapes_and_its_seal_verifies() {
    for (kind, alg) in [(DemoKey::P256, "ES256"), (DemoKey::Rsa, "RS256")] {
        let demo = demo_seal(&subject(true), kind).unwrap();
        let key = SealKey::from_pem(demo.pem.as_bytes(), None, NOW).unwrap();
        assert_eq!(key.algorithm(), alg);
        let sealed = seal(&uploadable(), &key, NOW).unwrap();

        let header = &sealed["signatures"][0]["protected"];
        let header: Value = serde_json::from_slice(&base64_url(header.as_str().unwrap())).unwrap();
        assert_eq!(header["alg"], alg);
        assert_eq!(header["b64"], false);
        assert_eq!(header["sigT"], "2026-11-23T12:00:00Z");
        assert_eq!(header["crit"], serde_json::json!(["b64", "sigT"]));
        assert_eq!(header["x5c"].as_array().unwrap().len(), 2, "leaf and CA");
        assert!(header["kid"].is_string() && header["x5t#S256"].is_string());

        let report = verify_seal(&sealed, NOW).unwrap();
        assert!(report.holds(), "{alg}: {}", report.to_text());
        assert!(report.qualified);
        assert!(
            report.sealed_by.contains("Academia de Administrare"),
            "{}",
            report.sealed_by
        );

        let payload: Value = serde_json::from_str(&report.payload).unwrap();
        assert_eq!(payload["issued"], "2026-11-23T12:00:00Z");
        assert_eq!(
            payload["issuer"]["eIDASIdentifier"]["notation"],
            "VATMD-1002600012345"
        );
        let r = shacl(&payload);
        assert!(r.conforms, "{alg}: {:#?}", r.violations);
        assert!(r.triples > 150, "{} triples", r.triples);
    }
}

#[test]
fn a_changed_byte_breaks_our_seal() {
    let demo = demo_seal(&subject(false), DemoKey::P256).unwrap();
    let key = SealKey::from_pem(demo.pem.as_bytes(), None, NOW).unwrap();
    let mut sealed = seal(&uploadable(), &key, NOW).unwrap();
    let report = verify_seal(&sealed, NOW).unwrap();
    assert!(report.holds() && !report.qualified, "{}", report.to_text());
    assert!(report.to_text().contains("does not say it is qualified"));
    let tampered = sealed["payload"]
        .as_str()
        .unwrap()
        .replace("Ana Popescu", "Ana Popesco");
    sealed["payload"] = tampered.into();
    assert!(!verify_seal(&sealed, NOW).unwrap().holds());
}

#[test]
fn the_commissions_sealed_sample_conforms_through_our_json_ld_processor() {
    let doc = json("elm/Sample-MC-Annex1-signed.jsonld");
    let payload: Value = serde_json::from_str(doc["payload"].as_str().unwrap()).unwrap();
    let r = shacl(&payload);
    assert!(r.conforms, "{:#?}", r.violations);
    assert_eq!(
        r.triples, 353,
        "as pySHACL reads it with rdflib's JSON-LD parser"
    );
    let unsigned = shacl(&json("elm/Sample-MC-Annex1-unsigned.jsonld"));
    assert!(!unsigned.conforms);
}

#[test]
fn a_pkcs12_seal_file_opens_with_its_password_only() {
    let demo = demo_seal(&subject(true), DemoKey::Rsa).unwrap();
    let p12 = demo.pkcs12("correct horse").unwrap();
    let key = SealKey::from_pkcs12(&p12, "correct horse", NOW).unwrap();
    assert_eq!(key.algorithm(), "RS256");
    assert_eq!(key.chain().len(), 2);
    assert_eq!(
        key.chain()[0],
        demo.certificate,
        "the seal certificate first"
    );
    assert_eq!(key.holder().organisation_identifier, "VATMD-1002600012345");
    let e = SealKey::from_pkcs12(&p12, "wrong", NOW).unwrap_err();
    assert!(matches!(e, SealKeyError::Pkcs12(_)), "{e}");

    // What is kept at rest reads back to the same key.
    let again = SealKey::from_storage(&key.to_storage()).unwrap();
    assert_eq!(again.holder(), key.holder());
    let sealed = seal(&uploadable(), &again, NOW).unwrap();
    assert!(verify_seal(&sealed, NOW).unwrap().holds());
}

#[test]
fn unfit_seal_material_is_refused_with_the_reason() {
    let a = demo_seal(&subject(true), DemoKey::P256).unwrap();
    let b = demo_seal(&subject(true), DemoKey::P256).unwrap();
    // b's key with a's certificates.
    let b_key = &b.pem[..b.pem.find("-----BEGIN CERTIFICATE").unwrap()];
    let a_certs = &a.pem[a.pem.find("-----BEGIN CERTIFICATE").unwrap()..];
    let e = SealKey::from_pem(format!("{b_key}{a_certs}").as_bytes(), None, NOW).unwrap_err();
    assert!(matches!(e, SealKeyError::Mismatch(_)), "{e}");

    let e = SealKey::from_pem(a.pem.as_bytes(), None, datetime!(2029-01-01 0:00 UTC)).unwrap_err();
    assert_eq!(e.to_string(), "the seal certificate expired on 2028-01-01");

    let e = SealKey::from_pem(a_certs.as_bytes(), None, NOW).unwrap_err();
    assert_eq!(e.to_string(), "the PEM text holds no private key");

    let e = SealKey::from_pem(b"not pem at all", None, NOW).unwrap_err();
    assert!(
        e.to_string().contains("no private key") || e.to_string().contains("unreadable"),
        "{e}"
    );

    let key = SealKey::from_pem(a.pem.as_bytes(), None, NOW).unwrap();
    let e = seal(&uploadable(), &key, datetime!(2030-01-01 0:00 UTC)).unwrap_err();
    assert!(
        e.to_string()
            .contains("is not valid at 2030-01-01T00:00:00Z"),
        "{e}"
    );
}

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}
