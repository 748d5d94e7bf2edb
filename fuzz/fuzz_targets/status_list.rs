//! The Bitstring Status List decoder (multibase base64url, GZIP) on anything a list may hold.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = microcred_core::status::Bitstring::decode(s);
    }
});
