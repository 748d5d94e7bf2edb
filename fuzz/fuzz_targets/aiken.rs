//! The Aiken question-bank parser on any file a registrar may import.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = microcred_issuer::quizzes::aiken::parse(s);
    }
});
