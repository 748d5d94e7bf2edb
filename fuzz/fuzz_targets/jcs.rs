//! JSON Canonicalization Scheme (RFC 8785): any JSON canonicalises to JSON that parses back to
//! the same value and canonicalises to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let c = microcred_core::proof::canonical_json(&v);
    let back: serde_json::Value = serde_json::from_str(&c).expect("JCS output is JSON");
    assert_eq!(
        microcred_core::proof::canonical_json(&back),
        c,
        "JCS is idempotent"
    );
});
