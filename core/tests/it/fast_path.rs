//! The fast canonicalisation path against the reference path (ssi's JSON-LD expansion): the
//! same canonical N-Quads, or the same refusal, for every fixture, the W3C vectors, the
//! examples and generated credentials (proptest).

use std::path::{Path, PathBuf};

use microcred_core::proof::{canonical_nquads, fast_path_handles, reference_nquads};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json" || x == "jsonld") {
            out.push(p);
        }
    }
}

/// The document, the document without its proofs, and each proof's configuration (what
/// eddsa-rdfc-2022 canonicalises).
fn variants(doc: &Value) -> Vec<Value> {
    let mut out = vec![doc.clone()];
    if let Some(o) = doc.as_object() {
        if let Some(proof) = o.get("proof") {
            let mut bare = o.clone();
            bare.remove("proof");
            out.push(Value::Object(bare));
            let proofs = match proof {
                Value::Array(a) => a.clone(),
                p => vec![p.clone()],
            };
            for p in proofs {
                if let Value::Object(mut p) = p {
                    p.remove("proofValue");
                    if let Some(c) = o.get("@context") {
                        p.insert("@context".into(), c.clone());
                    }
                    out.push(Value::Object(p));
                }
            }
        }
        // Embedded credentials of a presentation.
        if let Some(Value::Array(vcs)) = o.get("verifiableCredential") {
            for vc in vcs {
                out.extend(variants(vc));
            }
        }
    }
    out
}

fn same_on_both_paths(doc: &Value) -> Result<(), String> {
    let fast = canonical_nquads(doc).map_err(|e| e.to_string());
    let reference = reference_nquads(doc).map_err(|e| e.to_string());
    match (&fast, &reference) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        _ => Err(format!(
            "fast path and reference differ for\n{}\nfast:\n{}\nreference:\n{}",
            serde_json::to_string_pretty(doc).unwrap(),
            fast.map(|l| l.concat()).unwrap_or_else(|e| e),
            reference.map(|l| l.concat()).unwrap_or_else(|e| e),
        )),
    }
}

#[test]
fn every_fixture_and_example_canonicalises_the_same_on_both_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    json_files(&root.join("tests/fixtures"), &mut files);
    json_files(&root.join("../examples"), &mut files);
    let mut checked = 0;
    let mut fast = 0;
    for f in &files {
        let Ok(doc) = serde_json::from_str::<Value>(&std::fs::read_to_string(f).unwrap()) else {
            continue;
        };
        if doc.get("@context").is_none() {
            continue;
        }
        for v in variants(&doc) {
            if let Err(e) = same_on_both_paths(&v) {
                panic!("{}: {e}", f.display());
            }
            checked += 1;
            fast += usize::from(fast_path_handles(&v));
        }
    }
    assert!(checked > 60, "only {checked} documents found");
    assert!(
        fast * 10 >= checked * 7,
        "the fast path handled only {fast} of {checked} documents"
    );
}

#[test]
fn the_credentials_we_issue_and_the_w3c_vectors_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in [
        "tests/fixtures/vc-di-eddsa/unsigned.json",
        "tests/fixtures/vc-di-eddsa/eddsa-rdfc-2022/proofConfigDataInt.json",
        "tests/fixtures/peer/unsigned-badge.json",
        "tests/fixtures/peer/signed-1.json",
        "tests/fixtures/credentials/good/data-protection.json",
        "../examples/credential-data-protection.json",
    ] {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(f)).unwrap()).unwrap();
        for v in variants(&doc) {
            assert!(fast_path_handles(&v), "{f} does not take the fast path");
        }
    }
}

#[test]
fn presentations_and_graphs_take_the_fast_path_and_lists_the_reference_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peer");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root.join(f)).unwrap()).unwrap()
    };
    let signed = read("signed-1.json");
    let eu = read("eu-signed-by-peer.json");
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r",
        "verifiableCredential": [signed, eu],
        "proof": signed["proof"].clone(),
    });
    let mut with_lists = read("unsigned-badge.json");
    with_lists["credentialSubject"]["achievement"]["resultDescription"] = json!([
        {"id": "urn:uuid:0b6e1d1c-4c6f-4a44-9a55-0b0c6a0c7a12", "type": ["ResultDescription"],
         "name": "Grade", "resultType": "LetterGrade", "allowedValue": ["A", "B", "C", "A"]},
        {"id": "urn:uuid:0b6e1d1c-4c6f-4a44-9a55-0b0c6a0c7a13", "type": ["ResultDescription"],
         "name": "Pass", "resultType": "Status", "allowedValue": []}
    ]);
    same_on_both_paths(&presentation).unwrap();
    assert!(fast_path_handles(&presentation));
    // Lists stay on the reference path (ssi 0.16 loses their items; see fast.rs).
    same_on_both_paths(&with_lists).unwrap();
    assert!(!fast_path_handles(&with_lists));
}

// ---- generated credentials ----

const CONTEXTS: &[&[&str]] = &[
    &["https://www.w3.org/ns/credentials/v2"],
    &[
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    &[
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://w3id.org/microcred/v1",
    ],
    &[
        "https://www.w3.org/ns/credentials/v2",
        "https://w3id.org/microcred/v1",
    ],
    &[
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
];

/// Terms the bundled contexts define (and a few they do not), for keys.
const KEYS: &[&str] = &[
    "name",
    "description",
    "id",
    "type",
    "achievement",
    "criteria",
    "narrative",
    "result",
    "value",
    "hashed",
    "salt",
    "identityHash",
    "title",
    "learningOutcome",
    "creditPoint",
    "point",
    "eqfLevel",
    "volumeOfLearning",
    "awardedDate",
    "validFrom",
    "image",
    "alignment",
    "targetUrl",
    "endorsement",
    "resultDescription",
    "achievementType",
    "tag",
    "inLanguage",
    "undefinedTerm",
    "ex:custom",
    "https://example.org/vocab#x",
    "multilingualDescription",
    "evidence",
    "termsOfUse",
    "credentialStatus",
    "statusPurpose",
    "statusListIndex",
    "address",
    "geo",
    "latitude",
];

const TYPES: &[&str] = &[
    "Achievement",
    "AchievementSubject",
    "Profile",
    "Result",
    "ResultDescription",
    "IdentityObject",
    "Evidence",
    "Address",
    "LearningOutcome",
    "CreditPoint",
    "Image",
    "Alignment",
    "EndorsementCredential",
    "BitstringStatusListEntry",
    "UnknownType",
    "https://example.org/T",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => "[a-zA-Z0-9 \"\\\\\n\r\tăîșțĂ€😀<>]{0,12}".prop_map(Value::String),
        2 => Just(json!("https://example.org/a")),
        2 => Just(json!("urn:uuid:0b6e1d1c-4c6f-4a44-9a55-0b0c6a0c7a11")),
        1 => Just(json!("did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r")),
        1 => Just(json!("_:b1")),
        1 => Just(json!("relative/path")),
        2 => Just(json!("2026-06-30T12:00:00Z")),
        3 => any::<i32>().prop_map(|i| json!(i)),
        3 => (-1e6f64..1e6).prop_map(|f| json!(f)),
        1 => Just(json!(2.5)),
        1 => Just(json!(1e21)),
        3 => any::<bool>().prop_map(|b| json!(b)),
        1 => Just(Value::Null),
        1 => Just(json!({"@value": "x", "@language": "en"})),
        1 => Just(json!({"@value": "x", "@language": "EN"})),
        1 => Just(json!({"@value": "5", "@type": "http://www.w3.org/2001/XMLSchema#integer"})),
        2 => Just(json!({"en": "English", "ro": "Română"})),
        1 => Just(json!({"en": ["a", "b"], "ro-md": "c"})),
    ]
}

fn node() -> impl Strategy<Value = Value> {
    let leaf = scalar();
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            (
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6),
                prop::option::of(prop::collection::vec(prop::sample::select(TYPES), 1..3)),
            )
                .prop_map(|(entries, types)| {
                    let mut m = Map::new();
                    for (k, v) in entries {
                        m.insert(k.to_owned(), v);
                    }
                    if let Some(t) = types {
                        m.insert("type".into(), json!(t));
                    }
                    Value::Object(m)
                }),
        ]
    })
}

fn credential() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(CONTEXTS),
        node(),
        node(),
        prop::collection::vec(
            prop::sample::select(
                &[
                    "OpenBadgeCredential",
                    "EndorsementCredential",
                    "AchievementCredential",
                ][..],
            ),
            0..2,
        ),
    )
        .prop_map(|(ctx, subject, extra, types)| {
            let mut t = vec!["VerifiableCredential"];
            t.extend(types);
            let mut subject = match subject {
                Value::Object(o) => o,
                other => Map::from_iter([("name".to_owned(), other)]),
            };
            subject
                .entry("type")
                .or_insert(json!(["AchievementSubject"]));
            json!({
                "@context": ctx,
                "id": "urn:uuid:2f1d3c4e-8a5b-4c6d-9e7f-0a1b2c3d4e5f",
                "type": t,
                "issuer": {"id": "did:web:example.org", "type": ["Profile"], "name": "Example"},
                "validFrom": "2026-06-30T12:00:00Z",
                "name": extra,
                "credentialSubject": subject,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_credentials_canonicalise_the_same_on_both_paths(doc in credential()) {
        if let Err(e) = same_on_both_paths(&doc) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_property_test_exercises_the_fast_path() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = credential();
    let (mut fast, mut accepted) = (0, 0);
    for _ in 0..400 {
        let doc = strategy.new_tree(&mut runner).unwrap().current();
        if reference_nquads(&doc).is_ok() {
            accepted += 1;
            fast += usize::from(fast_path_handles(&doc));
        }
    }
    eprintln!("{fast} of the {accepted} generated credentials the reference path accepts take the fast path");
    assert!(
        accepted >= 100,
        "only {accepted} of 400 generated credentials are valid JSON-LD"
    );
    assert!(
        fast * 10 >= accepted * 7,
        "only {fast} of {accepted} take the fast path"
    );
}
