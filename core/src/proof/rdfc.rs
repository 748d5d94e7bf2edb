//! RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) of a JSON-LD document, through
//! `ssi`'s JSON-LD 1.1 expansion (strict: undefined terms are rejected) and its canonicaliser.
//! Used by `eddsa-rdfc-2022` (Data Integrity EdDSA Cryptosuites v1.0 §3.2.3).
//!
//! `json-ld` 0.21 (under ssi 0.16) departs from JSON-LD 1.1 API §8.6 "Object to RDF
//! Conversion" for native JSON literals: a boolean loses a datatype given by the context (OB3
//! types `hashed` as `xsd:boolean` with an `https` namespace), and a typed number keeps its
//! JSON text (`2.5`) instead of the canonical double form (`2.5E0`). Other implementations
//! (Digital Bazaar's jsonld.js) follow the spec, so signatures would not match. We therefore
//! expand, rewrite every native literal into the string and datatype the spec prescribes, and
//! only then convert to RDF.
//!
//! That reference path is kept as the oracle ([`reference_nquads`]). [`canonical_nquads`] first
//! takes the fast path (`fast.rs`: expansion and conversion to RDF in one walk, with the bundled
//! contexts processed once, `context.rs`), and falls back to the reference path for whatever
//! the fast path does not handle; both feed the same poisoning guard and the same RDFC-1.0
//! canonicaliser, so the output is byte-identical (`core/tests/it/fast_path.rs`).

mod context;
mod fast;

use ssi::json_ld::syntax::IntoJsonWithContext;
use ssi::json_ld::{CompactJsonLd, Expandable};
use ssi::rdf::{AnyLdEnvironment, LdEnvironment};

use crate::contexts::loader;

const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
const XSD_DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";

/// Why a document could not be canonicalised.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("JSON-LD processing failed: {0}")]
pub struct CanonicalizationError(pub String);

fn err(e: impl std::fmt::Display) -> CanonicalizationError {
    CanonicalizationError(e.to_string())
}

/// The canonical N-Quads lines of `doc` (each line ends with `\n`, sorted): the fast path,
/// or the reference path for what it does not handle.
///
/// Input from anyone reaches the JSON-LD and IRI crates under `ssi`; an IRI whose
/// percent-escapes are not UTF-8 made one of them panic (found by `fuzz/verify_credential`).
/// Such IRIs are refused first, and any other panic inside is turned into an error.
pub fn canonical_nquads(doc: &serde_json::Value) -> Result<Vec<String>, CanonicalizationError> {
    if let Some(bad) = iri_with_broken_escapes(doc) {
        return Err(broken_escapes(&bad));
    }
    if REFERENCE_ONLY.load(std::sync::atomic::Ordering::Relaxed) {
        return reference_checked(doc);
    }
    let fast = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fast::quads(doc)));
    match fast {
        Ok(Ok(quads)) => canonicalise(&quads),
        Ok(Err(context::Unsupported)) | Err(_) => reference_checked(doc),
    }
}

static REFERENCE_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes [`canonical_nquads`] take the reference path only, in this process (`microcred bench`
/// measures both paths in one run with it; nothing else sets it).
pub fn use_reference_path_only(on: bool) {
    REFERENCE_ONLY.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The canonical N-Quads lines of `doc` by the reference path only (ssi's JSON-LD expansion):
/// the oracle the fast path is tested against.
pub fn reference_nquads(doc: &serde_json::Value) -> Result<Vec<String>, CanonicalizationError> {
    if let Some(bad) = iri_with_broken_escapes(doc) {
        return Err(broken_escapes(&bad));
    }
    reference_checked(doc)
}

/// The reference path for a document whose IRIs were already checked for broken escapes.
fn reference_checked(doc: &serde_json::Value) -> Result<Vec<String>, CanonicalizationError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| canonical_nquads_inner(doc)))
        .unwrap_or_else(|_| {
            Err(CanonicalizationError(
                "the document could not be processed as JSON-LD".into(),
            ))
        })
}

/// Whether the fast path handles `doc` (for tests and benchmarks).
pub fn fast_path_handles(doc: &serde_json::Value) -> bool {
    iri_with_broken_escapes(doc).is_none() && fast::quads(doc).is_ok()
}

fn broken_escapes(bad: &str) -> CanonicalizationError {
    CanonicalizationError(format!(
        "`{bad}` has percent-escapes that are not UTF-8 (RFC 3987 §3.1)"
    ))
}

/// A string of `v` (key or value) that looks like an IRI (a scheme, no white space) and holds
/// `%XX` escapes that do not decode to UTF-8.
fn iri_with_broken_escapes(v: &serde_json::Value) -> Option<String> {
    fn broken(s: &str) -> bool {
        if !s.contains('%') || s.contains(char::is_whitespace) || !s.contains(':') {
            return false;
        }
        let b = s.as_bytes();
        let mut decoded = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%'
                && i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit()
            {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("00");
                decoded.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 3;
            } else {
                decoded.push(b[i]);
                i += 1;
            }
        }
        std::str::from_utf8(&decoded).is_err()
    }
    match v {
        serde_json::Value::String(s) if broken(s) => Some(s.clone()),
        serde_json::Value::Array(a) => a.iter().find_map(iri_with_broken_escapes),
        serde_json::Value::Object(o) => o.iter().find_map(|(k, x)| {
            if broken(k) {
                Some(k.clone())
            } else {
                iri_with_broken_escapes(x)
            }
        }),
        _ => None,
    }
}

fn canonical_nquads_inner(doc: &serde_json::Value) -> Result<Vec<String>, CanonicalizationError> {
    // 1. Expand with the bundled contexts (the loader never waits on I/O).
    let compact = CompactJsonLd(json_syntax::to_value(doc).map_err(err)?);
    let mut ld = LdEnvironment::default();
    let expanded =
        futures::executor::block_on(compact.expand_with(&mut ld, loader())).map_err(err)?;

    // Without native booleans or numbers (outside @context) there is nothing to rewrite.
    if !has_native_literal(doc) {
        return canonicalise(&ld.quads_of(&expanded).map_err(err)?);
    }

    // 2. Native literals to their RDF lexical forms, as JSON-LD 1.1 API §8.6 says.
    let mut objects = Vec::new();
    for o in expanded {
        let json: serde_json::Value =
            json_syntax::from_value(o.into_json_with(&ld.vocabulary)).map_err(err)?;
        objects.push(json);
    }
    let mut expanded_json = serde_json::Value::Array(objects);
    rewrite_native_literals(&mut expanded_json);

    // 3. The expanded form is context-free JSON-LD: expand it again (cheap) and canonicalise.
    let again = CompactJsonLd(json_syntax::to_value(&expanded_json).map_err(err)?);
    let mut ld = LdEnvironment::default();
    let expanded =
        futures::executor::block_on(again.expand_with(&mut ld, loader())).map_err(err)?;
    canonicalise(&ld.quads_of(&expanded).map_err(err)?)
}

/// Most blank nodes that share their first-degree hash with another (RDFC-1.0 §4.4 step 5).
/// Only those reach the N-degree hash algorithm (§4.8), whose work grows factorially with how
/// many cannot be told apart - RDFC-1.0 §6 "dataset poisoning". Credentials have none or a few
/// (two identical results); a poisoned graph has many.
pub const MAX_INDISTINCT_BLANK_NODES: usize = 6;

/// The dataset `quads`, checked against poisoning, then canonicalised.
fn canonicalise(quads: &[ssi::rdf::LexicalQuad]) -> Result<Vec<String>, CanonicalizationError> {
    let indistinct = indistinct_blank_nodes(quads);
    if indistinct > MAX_INDISTINCT_BLANK_NODES {
        return Err(CanonicalizationError(format!(
            "the document's graph has {indistinct} blank nodes that cannot be told apart (more than {MAX_INDISTINCT_BLANK_NODES}); canonicalising it would take unbounded work (RDF Dataset Canonicalization §6, dataset poisoning)"
        )));
    }
    let mut lines: Vec<String> =
        ssi::rdf::urdna2015::normalize(quads.iter().map(|q| q.as_lexical_quad_ref()))
            .map(|q| nquad_line(&q))
            .collect();
    lines.sort_unstable();
    lines.dedup();
    Ok(lines)
}

/// One N-Quads statement, byte for byte as ssi's `NQuadsStatement` writes it (rdf-types 0.22's
/// `Display`, which `IntoNQuads::into_nquads_lines` uses), but written in runs instead of
/// one `fmt` call per character. Subject, object and graph IRIs are written as they are;
/// predicate and datatype IRIs escape `\x00`-`\x20` and `<>"{}|^`\\` as rdf-types does;
/// literal values escape `"`, `\\`, newline and carriage return. The test
/// `the_nquads_writer_writes_what_ssi_writes` holds the two together.
fn nquad_line(q: &ssi::rdf::LexicalQuad) -> String {
    let mut out = String::with_capacity(160);
    push_id(&mut out, &q.0);
    out.push(' ');
    push_escaped_iri(&mut out, q.1.as_str());
    out.push(' ');
    match &q.2 {
        rdf_types::Term::Id(id) => push_id(&mut out, id),
        rdf_types::Term::Literal(l) => {
            push_literal_value(&mut out, &l.value);
            match &l.type_ {
                rdf_types::LiteralType::Any(t) if t.as_str() == XSD_STRING => {}
                rdf_types::LiteralType::Any(t) => {
                    out.push_str("^^");
                    push_escaped_iri(&mut out, t.as_str());
                }
                rdf_types::LiteralType::LangString(tag) => {
                    out.push('@');
                    out.push_str(tag.as_str());
                }
            }
        }
    }
    if let Some(g) = &q.3 {
        out.push(' ');
        push_id(&mut out, g);
    }
    out.push_str(" .\n");
    out
}

const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

fn push_id(out: &mut String, id: &rdf_types::Id) {
    match id {
        rdf_types::Id::Blank(b) => out.push_str(b.as_str()),
        rdf_types::Id::Iri(i) => {
            out.push('<');
            out.push_str(i.as_str());
            out.push('>');
        }
    }
}

fn push_escaped_iri(out: &mut String, iri: &str) {
    use std::fmt::Write;
    out.push('<');
    let mut start = 0;
    for (i, c) in iri.char_indices() {
        if matches!(
            c,
            '\x00'..='\x20' | '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\'
        ) {
            out.push_str(&iri[start..i]);
            // rdf-types writes `{:#04x}`: `\u0x20`, as it is (what ssi signs).
            let _ = write!(out, "\\u{:#04x}", u32::from(c));
            start = i + c.len_utf8();
        }
    }
    out.push_str(&iri[start..]);
    out.push('>');
}

fn push_literal_value(out: &mut String, v: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in v.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            _ => continue,
        };
        out.push_str(&v[start..i]);
        out.push_str(esc);
        start = i + 1;
    }
    out.push_str(&v[start..]);
    out.push('"');
}

/// One position of a statement as the first-degree signature of a blank node sees it
/// (RDFC-1.0 §4.6: the node itself as `_:a`, any other blank node as `_:z`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum SigTerm<'a> {
    Me,
    OtherBlank,
    Iri(&'a str),
    Literal(&'a str, &'a str, bool),
    DefaultGraph,
}

/// How many blank nodes of `quads` share their first-degree signature with another.
fn indistinct_blank_nodes(quads: &[ssi::rdf::LexicalQuad]) -> usize {
    use std::collections::HashMap;
    fn blank_of(id: &rdf_types::Id) -> Option<&str> {
        match id {
            rdf_types::Id::Blank(b) => Some(b.as_str()),
            rdf_types::Id::Iri(_) => None,
        }
    }
    fn sig<'a>(id: &'a rdf_types::Id, me: &str) -> SigTerm<'a> {
        match id {
            rdf_types::Id::Blank(b) if b.as_str() == me => SigTerm::Me,
            rdf_types::Id::Blank(_) => SigTerm::OtherBlank,
            rdf_types::Id::Iri(i) => SigTerm::Iri(i.as_str()),
        }
    }
    let mut by_node: HashMap<&str, Vec<usize>, foldhash::fast::RandomState> = HashMap::default();
    for (n, q) in quads.iter().enumerate() {
        let object = match &q.2 {
            rdf_types::Term::Id(i) => blank_of(i),
            rdf_types::Term::Literal(_) => None,
        };
        for b in [blank_of(&q.0), object, q.3.as_ref().and_then(blank_of)]
            .into_iter()
            .flatten()
        {
            let e = by_node.entry(b).or_default();
            if e.last() != Some(&n) {
                e.push(n);
            }
        }
    }
    let mut groups: HashMap<Vec<[SigTerm; 4]>, usize, foldhash::fast::RandomState> =
        HashMap::default();
    for (node, statements) in &by_node {
        let mut signature: Vec<[SigTerm; 4]> = statements
            .iter()
            .map(|&n| {
                let q = &quads[n];
                let object = match &q.2 {
                    rdf_types::Term::Id(i) => sig(i, node),
                    rdf_types::Term::Literal(l) => match &l.type_ {
                        rdf_types::LiteralType::Any(t) => {
                            SigTerm::Literal(l.value.as_str(), t.as_str(), false)
                        }
                        rdf_types::LiteralType::LangString(t) => {
                            SigTerm::Literal(l.value.as_str(), t.as_str(), true)
                        }
                    },
                };
                [
                    sig(&q.0, node),
                    SigTerm::Iri(q.1.as_str()),
                    object,
                    q.3.as_ref()
                        .map(|g| sig(g, node))
                        .unwrap_or(SigTerm::DefaultGraph),
                ]
            })
            .collect();
        signature.sort();
        *groups.entry(signature).or_default() += 1;
    }
    groups.values().filter(|&&n| n > 1).sum()
}

/// Whether `v` holds a JSON boolean or number anywhere but in a `@context`.
fn has_native_literal(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Bool(_) | serde_json::Value::Number(_) => true,
        serde_json::Value::Array(a) => a.iter().any(has_native_literal),
        serde_json::Value::Object(o) => o
            .iter()
            .any(|(k, x)| k != "@context" && has_native_literal(x)),
        _ => false,
    }
}

/// Rewrites every value object `{"@value": <boolean|number>, "@type"?: T}` of an expanded
/// document into `{"@value": "<lexical>", "@type": T'}`, per JSON-LD 1.1 API §8.6 steps 10-12.
fn rewrite_native_literals(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Array(a) => a.iter_mut().for_each(rewrite_native_literals),
        serde_json::Value::Object(o) => {
            let ty = o.get("@type").and_then(|t| t.as_str()).map(str::to_owned);
            if ty.as_deref() == Some("@json") {
                return;
            }
            match o.get("@value") {
                Some(v @ (serde_json::Value::Bool(_) | serde_json::Value::Number(_))) => {
                    let (lexical, datatype) = native_literal(v, ty.as_deref()).expect("native");
                    o.insert("@value".into(), lexical.into());
                    o.insert("@type".into(), datatype.into());
                }
                Some(_) => {}
                None => o.values_mut().for_each(rewrite_native_literals),
            }
        }
        _ => {}
    }
}

/// The lexical form and datatype of a native JSON boolean or number whose value object has the
/// datatype `datatype` (if any), as JSON-LD 1.1 API §8.6 steps 10-12 say; `None` for any other
/// value. The one place of this rule for both paths.
fn native_literal(v: &serde_json::Value, datatype: Option<&str>) -> Option<(String, String)> {
    match v {
        serde_json::Value::Bool(b) => Some((
            if *b { "true" } else { "false" }.to_owned(),
            datatype.unwrap_or(XSD_BOOLEAN).to_owned(),
        )),
        serde_json::Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let is_double = f.fract() != 0.0 || f.abs() >= 1e21 || datatype == Some(XSD_DOUBLE);
            Some(if is_double {
                (
                    canonical_double(f),
                    datatype.unwrap_or(XSD_DOUBLE).to_owned(),
                )
            } else {
                (
                    format!("{f:.0}"),
                    datatype.unwrap_or(XSD_INTEGER).to_owned(),
                )
            })
        }
        _ => None,
    }
}

/// The canonical lexical form of an `xsd:double` as jsonld.js writes it
/// (`value.toExponential(15)` with trailing zeros dropped): `2.5E0`, `1.0E-1`, `1.0E21`.
fn canonical_double(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "INF".into()
        } else {
            "-INF".into()
        };
    }
    let s = format!("{f:.15e}"); // e.g. 2.500000000000000e0
    let (mantissa, exp) = s.split_once('e').expect("exponent");
    let (int, frac) = mantissa.split_once('.').expect("15 decimals");
    let frac = frac.trim_end_matches('0');
    let frac = if frac.is_empty() { "0" } else { frac };
    format!("{int}.{frac}E{exp}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quad(
        value: &str,
        kind: u8,
        lang: &str,
        iri_tail: &str,
        graph: bool,
    ) -> ssi::rdf::LexicalQuad {
        let iri = |s: &str| rdf_types::IriBuf::new(s.to_owned()).unwrap();
        let blank =
            |s: &str| rdf_types::Id::Blank(rdf_types::BlankIdBuf::new(s.to_owned()).unwrap());
        let ty = match kind % 4 {
            0 => rdf_types::LiteralType::Any(iri(XSD_STRING)),
            1 => rdf_types::LiteralType::Any(iri(&format!("https://ex.org/t{iri_tail}"))),
            2 => rdf_types::LiteralType::LangString(
                langtag::LangTagBuf::new(lang.to_owned()).unwrap(),
            ),
            _ => rdf_types::LiteralType::Any(iri("http://www.w3.org/2001/XMLSchema#dateTime")),
        };
        let object = if kind >= 4 {
            rdf_types::Term::Id(rdf_types::Id::Iri(iri(&format!(
                "https://ex.org/o{iri_tail}"
            ))))
        } else {
            rdf_types::Term::Literal(rdf_types::Literal::new(value.to_owned(), ty))
        };
        rdf_types::Quad(
            blank("_:c14n0"),
            iri(&format!("https://ex.org/p{iri_tail}")),
            object,
            graph.then(|| blank("_:c14n1")),
        )
    }

    #[test]
    fn the_nquads_writer_writes_what_ssi_writes() {
        for (value, kind) in [
            ("plain", 0),
            ("say \"hi\"\\ back\nand\r\tok ș €", 0),
            ("typed", 1),
            ("limba română", 2),
            ("2026-12-06T00:00:00Z", 3),
            ("", 0),
            ("ignored", 4),
        ] {
            for graph in [false, true] {
                let q = quad(value, kind, "ro-MD", "/a?b=c&d#e", graph);
                assert_eq!(nquad_line(&q), ssi::rdf::NQuadsStatement(&q).to_string());
            }
        }
    }

    proptest! {
        #[test]
        fn any_literal_is_written_as_ssi_writes_it(
            value in "\\PC*|[\"\\\\\n\r\t a-zé]{0,20}",
            kind in 0u8..5,
            tail in "[a-z0-9/?=&~._-]{0,12}",
            graph: bool,
        ) {
            let q = quad(&value, kind, "en-GB", &tail, graph);
            prop_assert_eq!(nquad_line(&q), ssi::rdf::NQuadsStatement(&q).to_string());
        }
    }

    #[test]
    fn doubles_are_written_in_canonical_form() {
        assert_eq!(canonical_double(2.5), "2.5E0");
        assert_eq!(canonical_double(0.1), "1.0E-1");
        assert_eq!(canonical_double(1e21), "1.0E21");
        assert_eq!(canonical_double(-1234.5), "-1.2345E3");
        assert_eq!(
            canonical_double(333_333_333.333_333_3),
            "3.333333333333333E8"
        );
    }

    #[test]
    fn native_literals_follow_the_spec_for_typed_and_untyped_values() {
        let doc = serde_json::json!({
            "@context": {
                "n": "http://ex.org/n",
                "f": {"@id": "http://ex.org/f", "@type": "http://ex.org/float"},
                "b": {"@id": "http://ex.org/b", "@type": "https://www.w3.org/2001/XMLSchema#boolean"},
                "c": "http://ex.org/c"
            },
            "@id": "http://ex.org/s",
            "n": [5, 5.0, 2.5],
            "f": [2.5, 5],
            "b": true,
            "c": false
        });
        let nq = canonical_nquads(&doc).unwrap().concat();
        for line in [
            r#"<http://ex.org/s> <http://ex.org/n> "5"^^<http://www.w3.org/2001/XMLSchema#integer> ."#,
            r#"<http://ex.org/s> <http://ex.org/n> "2.5E0"^^<http://www.w3.org/2001/XMLSchema#double> ."#,
            r#"<http://ex.org/s> <http://ex.org/f> "2.5E0"^^<http://ex.org/float> ."#,
            r#"<http://ex.org/s> <http://ex.org/f> "5"^^<http://ex.org/float> ."#,
            r#"<http://ex.org/s> <http://ex.org/b> "true"^^<https://www.w3.org/2001/XMLSchema#boolean> ."#,
            r#"<http://ex.org/s> <http://ex.org/c> "false"^^<http://www.w3.org/2001/XMLSchema#boolean> ."#,
        ] {
            assert!(nq.contains(line), "missing {line}\nin\n{nq}");
        }
        assert_eq!(
            nq.lines().filter(|l| l.contains("/n>")).count(),
            2,
            "5 and 5.0 are the same integer"
        );
    }
}
