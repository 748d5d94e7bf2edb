//! The completions-file reader on any text a registrar may upload.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = microcred_issuer::completions::csv::check(s);
    }
});
