//! RDF Dataset Canonicalization §6 "dataset poisoning": a graph whose blank nodes cannot be
//! told apart makes the N-degree hash algorithm do factorial work. Such documents are refused
//! before canonicalisation, with the reason; every real credential canonicalises as before
//! (the W3C vectors and the interop fixtures, in their own tests).

use microcred_core::proof::{canonical_nquads, MAX_INDISTINCT_BLANK_NODES};
use serde_json::{json, Value};

/// A credential whose subject holds `n` identical blank nodes that all point at each other.
fn clique(n: usize) -> Value {
    let nodes: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": format!("_:b{i}"),
                "https://example.org/knows": (0..n).filter(|&j| j != i)
                    .map(|j| json!({"id": format!("_:b{j}")})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"https://example.org/holds": nodes},
    })
}

#[test]
fn a_graph_of_a_dozen_indistinct_blank_nodes_is_refused_with_the_reason() {
    let e = canonical_nquads(&clique(12)).unwrap_err();
    assert!(e.to_string().contains("cannot be told apart"), "{e}");
    assert!(e.to_string().contains("dataset poisoning"), "{e}");
}

#[test]
fn a_few_indistinct_blank_nodes_still_canonicalise() {
    let started = std::time::Instant::now();
    let lines = canonical_nquads(&clique(MAX_INDISTINCT_BLANK_NODES)).unwrap();
    eprintln!(
        "{MAX_INDISTINCT_BLANK_NODES}-clique canonicalised in {:?}",
        started.elapsed()
    );
    assert!(lines.iter().any(|l| l.contains("_:c14n0")));
    // The same graph with its blank nodes named otherwise: the same canonical form.
    let renamed = clique(MAX_INDISTINCT_BLANK_NODES)
        .to_string()
        .replace("_:b", "_:other");
    let renamed: Value = serde_json::from_str(&renamed).unwrap();
    assert_eq!(canonical_nquads(&renamed).unwrap(), lines);
}
