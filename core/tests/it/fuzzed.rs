//! Inputs `cargo fuzz` found that broke something, kept as fixtures: each must now be
//! refused with a reason, never panic.

use microcred_core::did::StaticResolver;
use microcred_core::status::NoStatusLists;
use microcred_core::verify::{verify_credential, CheckName, Outcome};

use crate::fixtures::json;

#[tokio::test]
async fn an_iri_whose_percent_escapes_are_not_utf8_is_refused_not_a_panic() {
    // fuzz/verify_credential: `did:key:...#z6Mk...ih%ecSAc...` made pct-str panic while
    // JSON-LD hashed the IRI.
    let doc = json("fuzzed/iri-with-escapes-that-are-not-utf8.json");
    let r = verify_credential(
        &doc,
        &StaticResolver::new(),
        &NoStatusLists,
        time::OffsetDateTime::now_utc(),
    )
    .await;
    let proof = r.check(CheckName::Proof).unwrap();
    assert_eq!(proof.outcome, Outcome::Failed);
    assert!(proof.reason.contains("percent-escapes"), "{}", proof.reason);
}
