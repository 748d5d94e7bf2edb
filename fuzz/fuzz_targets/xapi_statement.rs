//! The xAPI statement validator on any JSON an LRS client may post.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        match &v {
            serde_json::Value::Array(items) => {
                for (i, s) in items.iter().enumerate().take(50) {
                    let _ = microcred_issuer::xapi::statement::parse(s, &format!("/{i}"));
                }
            }
            s => {
                let _ = microcred_issuer::xapi::statement::parse(s, "");
            }
        }
    }
});
