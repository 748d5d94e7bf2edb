//! The bulk-issuance CSV parser on any text a registrar may upload.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = microcred_issuer::issuance::bulk::parse_csv(s, "gdpr-101");
    }
});
