//! The status check against lists served by a test source: active, revoked, and every way a
//! list can be untrustworthy (tampered, signed by someone else, unreachable) ending as
//! "unknown" - never valid.

use std::collections::HashMap;

use microcred_core::did::{DidDocument, StaticResolver, VerificationMethod};
use microcred_core::keys::KeyPair;
use microcred_core::model::Did;
use microcred_core::proof::{self, Cryptosuite, ProofOptions};
use microcred_core::status::{
    status_list_credential, Bitstring, CredentialState, FetchError, FetchFuture, StatusListEntry,
    StatusListSource, StatusPurpose,
};
use microcred_core::verify::{verify_credential, CheckName, Outcome};
use time::OffsetDateTime;

use crate::model::sample_credential;

const LIST: &str = "https://mlearn.example.md/status/apa/revocation/1";

struct Lists(HashMap<String, serde_json::Value>);

impl StatusListSource for Lists {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            self.0
                .get(url)
                .cloned()
                .ok_or_else(|| FetchError(format!("the status list {url} could not be retrieved")))
        })
    }
}

struct Setup {
    resolver: StaticResolver,
    key: KeyPair,
    vm: String,
    did: Did,
}

fn setup() -> Setup {
    let did = Did::new("did:web:mlearn.example.md:institutions:apa").unwrap();
    let key = KeyPair::generate();
    let vm = format!("{did}#key-1");
    let resolver = StaticResolver::new();
    resolver.insert(DidDocument::with_keys(
        &did,
        vec![VerificationMethod::multikey(
            vm.clone(),
            &did,
            &key.public(),
        )],
    ));
    Setup {
        resolver,
        key,
        vm,
        did,
    }
}

fn list(s: &Setup, revoked: &[usize], signer: &KeyPair, vm: &str) -> serde_json::Value {
    let mut bits = Bitstring::new(0);
    for i in revoked {
        bits.set(*i, true);
    }
    let doc = status_list_credential(
        LIST,
        &s.did,
        StatusPurpose::Revocation,
        &bits,
        "2026-06-30T12:00:00Z",
        60_000,
    );
    proof::sign(
        &doc,
        signer,
        &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
    )
    .unwrap()
}

fn credential(s: &Setup, index: u64) -> serde_json::Value {
    let mut c = sample_credential();
    c.status = vec![StatusListEntry::new(LIST, StatusPurpose::Revocation, index)];
    proof::sign(
        &c.to_json(),
        &s.key,
        &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, s.vm.clone()),
    )
    .unwrap()
}

async fn status_of(
    s: &Setup,
    vc: &serde_json::Value,
    lists: Lists,
) -> (CredentialState, Outcome, String, bool) {
    let r = verify_credential(vc, &s.resolver, &lists, OffsetDateTime::now_utc()).await;
    let c = r.check(CheckName::Status).unwrap();
    (r.status, c.outcome, c.reason.clone(), r.verified)
}

#[tokio::test]
async fn a_clear_bit_is_active_and_a_set_bit_is_revoked() {
    let s = setup();
    let vc = credential(&s, 4711);
    let l = list(&s, &[4710, 4712], &s.key, &s.vm);
    let (state, outcome, _, verified) =
        status_of(&s, &vc, Lists(HashMap::from([(LIST.into(), l)]))).await;
    assert_eq!(
        (state, outcome, verified),
        (CredentialState::Active, Outcome::Passed, true)
    );
    let l = list(&s, &[4711], &s.key, &s.vm);
    let (state, outcome, reason, verified) =
        status_of(&s, &vc, Lists(HashMap::from([(LIST.into(), l)]))).await;
    assert_eq!(
        (state, outcome, verified),
        (CredentialState::Revoked, Outcome::Failed, false),
        "{reason}"
    );
}

#[tokio::test]
async fn a_tampered_status_list_makes_the_status_unknown() {
    let s = setup();
    let vc = credential(&s, 4711);
    let mut l = list(&s, &[4711], &s.key, &s.vm);
    // Someone clears the bit but cannot re-sign.
    l["credentialSubject"]["encodedList"] = Bitstring::new(0).encode().into();
    let (state, outcome, reason, verified) =
        status_of(&s, &vc, Lists(HashMap::from([(LIST.into(), l)]))).await;
    assert_eq!(
        (state, outcome, verified),
        (CredentialState::Unknown, Outcome::Failed, false)
    );
    assert!(reason.contains("fails its proof check"), "{reason}");
}

#[tokio::test]
async fn a_list_signed_by_another_key_makes_the_status_unknown() {
    let s = setup();
    let vc = credential(&s, 1);
    let intruder = KeyPair::generate();
    let l = list(&s, &[], &intruder, &intruder.public().did_key_method());
    let (state, _, reason, verified) =
        status_of(&s, &vc, Lists(HashMap::from([(LIST.into(), l)]))).await;
    assert_eq!((state, verified), (CredentialState::Unknown, false));
    assert!(
        reason.contains("not signed by an assertion key"),
        "{reason}"
    );
}

#[tokio::test]
async fn an_unreachable_list_makes_the_status_unknown_never_valid() {
    let s = setup();
    let vc = credential(&s, 1);
    let (state, outcome, reason, verified) = status_of(&s, &vc, Lists(HashMap::new())).await;
    assert_eq!(
        (state, outcome, verified),
        (CredentialState::Unknown, Outcome::Failed, false)
    );
    assert!(reason.starts_with("unknown: the status list"), "{reason}");
}
