//! A sealed European Digital Credential (JAdES) from anyone: the seal check, its certificate
//! and its RFC 3161 timestamp tokens.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        if microcred_core::jades::is_sealed(&doc) {
            let _ = microcred_core::jades::verify_seal(&doc, time::OffsetDateTime::UNIX_EPOCH);
        }
    }
    // The token parser on raw bytes.
    let _ = microcred_core::tsp::verify_token(data, b"message");
});
