//! A credential from anyone, through the whole verification: data model, proofs (did:key
//! resolved locally, did:web unknown), validity, schema. It must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// A current-thread runtime (canonicalisation runs its own `futures` executor inside, so
/// the target cannot use one itself).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}
use microcred_core::did::StaticResolver;
use microcred_core::status::NoStatusLists;

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
