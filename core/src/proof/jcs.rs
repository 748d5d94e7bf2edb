//! JSON Canonicalization Scheme (RFC 8785), used by `eddsa-jcs-2022` (Data Integrity EdDSA
//! Cryptosuites v1.0 §3.3).

/// The canonical JSON text of `v`.
pub fn canonical_json(v: &serde_json::Value) -> String {
    serde_jcs::to_string(v).expect("a serde_json::Value always serialises")
}
