//! RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) of a JSON-LD document, through
//! `ssi`'s JSON-LD 1.1 expansion (strict: undefined terms are rejected) and its canonicaliser.
//! Used by `eddsa-rdfc-2022` (Data Integrity EdDSA Cryptosuites v1.0 §3.2.3).

use ssi::json_ld::{CompactJsonLd, Expandable};
use ssi::rdf::{AnyLdEnvironment, LdEnvironment};

use crate::contexts::loader;

/// Why a document could not be canonicalised.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("JSON-LD processing failed: {0}")]
pub struct CanonicalizationError(pub String);

/// The canonical N-Quads lines of `doc` (each line ends with `\n`, sorted).
pub fn canonical_nquads(doc: &serde_json::Value) -> Result<Vec<String>, CanonicalizationError> {
    let value = json_syntax::to_value(doc).map_err(|e| CanonicalizationError(e.to_string()))?;
    let doc = CompactJsonLd(value);
    let mut ld = LdEnvironment::default();
    // The loader only reads bundled contexts: the future never waits on I/O.
    let expanded = futures::executor::block_on(doc.expand_with(&mut ld, loader()))
        .map_err(|e| CanonicalizationError(e.to_string()))?;
    ld.canonical_form_of(&expanded)
        .map_err(|e| CanonicalizationError(e.to_string()))
}
