//! Data Integrity proofs: canonicalisation (RDFC-1.0 and RFC 8785 JCS) and the EdDSA
//! cryptosuites `eddsa-rdfc-2022` and `eddsa-jcs-2022` (W3C Data Integrity EdDSA Cryptosuites
//! v1.0).

mod data_integrity;
mod jcs;
mod rdfc;

pub use data_integrity::{
    proof_is_remembered, sign, verify, Cryptosuite, ProofError, ProofOptions, SignError,
    VerifiedProof, DATA_INTEGRITY_PROOF,
};
pub use jcs::canonical_json;
pub use rdfc::{
    canonical_nquads, fast_path_handles, reference_nquads, use_reference_path_only,
    CanonicalizationError, MAX_INDISTINCT_BLANK_NODES,
};
