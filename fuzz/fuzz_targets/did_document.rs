//! A DID document as a did:web server may answer, read and used to verify a proof.
#![no_main]
use libfuzzer_sys::fuzz_target;

use microcred_core::did::{DidDocument, StaticResolver};
use microcred_fuzz::runtime;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<DidDocument>(data) else {
        return;
    };
    let resolver = StaticResolver::new();
    let id = doc.id.clone();
    resolver.insert(doc);
    let cred = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": id,
        "credentialSubject": {"id": "did:example:x"},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
            "proofPurpose": "assertionMethod", "verificationMethod": format!("{id}#key-1"),
            "proofValue": "z5C5b2oNtdkuGmJLVfQqkAWyDDaVHZW1PeU1kVCsXf1t4mHnPFKNGRcYdqpjqVFZ1qzxqL8n7BeiqDBjpXt6jXkRz"}
    });
    let _ = runtime().block_on(microcred_core::proof::verify(
        &cred,
        &resolver,
        "assertionMethod",
    ));
});
