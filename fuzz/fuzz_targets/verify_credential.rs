//! A credential from anyone, through the whole verification: data model, proofs (did:key
//! resolved locally, did:web unknown), validity, schema. It must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

use microcred_core::did::StaticResolver;
use microcred_core::status::NoStatusLists;
use microcred_fuzz::runtime;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if microcred_core::api::check_json_depth(&doc).is_err() {
        return;
    }
    let _ = microcred_core::data_model::credential_problems(&doc);
    let _ = runtime().block_on(microcred_core::verify::verify_credential(
        &doc,
        &StaticResolver::new(),
        &NoStatusLists,
        time::OffsetDateTime::UNIX_EPOCH,
    ));
});
