//! The fast path from a compact JSON-LD document to its RDF quads: JSON-LD 1.1 Processing
//! Algorithms and API §5.1 "Expansion" and §8.2 "Deserialize JSON-LD to RDF" in one walk, with
//! the active contexts processed once and kept (`context.rs`), for documents whose contexts are
//! bundled URLs - every credential, presentation, proof configuration and status list we issue
//! or see in practice.
//!
//! It produces the same quads as the reference path (ssi's expansion, then the JSON-LD 1.1 API
//! §8.6 literal forms; `super::reference_quads`), checked by the W3C vectors, every fixture and a
//! property test comparing both over generated credentials (`core/tests/it/fast_path.rs`).
//! Whatever it does not handle - a context object inside the document, a relative IRI, an
//! undefined term, `@json`, `@reverse`, a language tag in capitals, ... - is [`Unsupported`] and
//! the caller takes the reference path, which handles it or says what is wrong.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;

use rdf_types::{BlankIdBuf, Id, Literal, LiteralType, Term};
use serde_json::{Map, Value};
use ssi::json_ld::iref::IriBuf;
use ssi::rdf::LexicalQuad;

use super::context::{
    apply_document_context, apply_scoped, has_scheme, is_lowercase_tag, ActiveContext, Fast,
    Unsupported,
};

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDF_FIRST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
const RDF_REST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
const RDF_NIL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

/// Whether `@list` values are written by the fast path (see [`Walk::property`]).
const LISTS_ON_FAST_PATH: bool = false;

/// Deepest nesting of node objects walked (a credential needs about 8; the JSON depth limit
/// of the API is 32).
const MAX_DEPTH: usize = 40;

/// The RDF quads of the compact JSON-LD document `doc`, or [`Unsupported`].
pub fn quads(doc: &Value) -> Fast<Vec<LexicalQuad>> {
    let Value::Object(o) = doc else {
        return Err(Unsupported);
    };
    let mut w = Walk::default();
    w.node(&ActiveContext::initial(), o, &None, 0)?;
    Ok(w.quads)
}

#[derive(Default)]
struct Walk {
    quads: Vec<LexicalQuad>,
    /// The statements written, as text keys (an `IriBuf` hashes slowly: it normalises).
    seen: HashSet<String, RandomState>,
    blank: usize,
    labels: HashMap<String, BlankIdBuf, RandomState>,
}

thread_local! {
    /// Parsed IRIs, kept per thread across documents (the same few hundred terms recur).
    static IRIS: RefCell<HashMap<String, IriBuf, RandomState>> = RefCell::default();
}

/// Most IRIs kept per thread; a full cache is emptied.
const MAX_CACHED_IRIS: usize = 4096;

/// A text key of a statement, for telling repeated ones.
fn quad_key(q: &LexicalQuad) -> String {
    fn id(out: &mut String, i: &Id) {
        match i {
            Id::Iri(i) => out.push_str(i.as_str()),
            Id::Blank(b) => out.push_str(b.as_str()),
        }
    }
    let mut k = String::with_capacity(128);
    id(&mut k, &q.0);
    k.push('\0');
    k.push_str(q.1.as_str());
    k.push('\0');
    match &q.2 {
        Term::Id(i) => id(&mut k, i),
        Term::Literal(l) => {
            k.push('"');
            k.push_str(&l.value);
            k.push('\0');
            match &l.type_ {
                LiteralType::Any(t) => k.push_str(t.as_str()),
                LiteralType::LangString(t) => {
                    k.push('@');
                    k.push_str(t.as_str());
                }
            }
        }
    }
    k.push('\0');
    if let Some(g) = &q.3 {
        id(&mut k, g);
    }
    k
}

type Graph = Option<Id>;

fn iri_term(s: &str) -> Fast<IriBuf> {
    IriBuf::new(s.to_owned()).map_err(|_| Unsupported)
}

impl Walk {
    fn fresh(&mut self) -> Id {
        let b = BlankIdBuf::new(format!("_:f{}", self.blank)).expect("valid blank id");
        self.blank += 1;
        Id::Blank(b)
    }

    fn iri(&mut self, s: &str) -> Fast<IriBuf> {
        IRIS.with(|cache| {
            if let Some(i) = cache.borrow().get(s) {
                return Ok(i.clone());
            }
            let i = iri_term(s)?;
            let mut cache = cache.borrow_mut();
            if cache.len() >= MAX_CACHED_IRIS {
                cache.clear();
            }
            cache.insert(s.to_owned(), i.clone());
            Ok(i)
        })
    }

    /// A node identifier from an expanded `@id` (or `@type: @id` value): an absolute IRI or a
    /// blank node identifier (relabelled; the canonicaliser relabels anyway).
    fn id(&mut self, expanded: &str) -> Fast<Id> {
        if let Some(label) = expanded.strip_prefix("_:") {
            if label.is_empty() {
                return Err(Unsupported);
            }
            if let Some(b) = self.labels.get(expanded) {
                return Ok(Id::Blank(b.clone()));
            }
            let b = BlankIdBuf::new(format!("_:d{}", self.labels.len())).expect("valid");
            self.labels.insert(expanded.to_owned(), b.clone());
            return Ok(Id::Blank(b));
        }
        if !has_scheme(expanded) {
            return Err(Unsupported); // relative IRI: the reference path decides
        }
        Ok(Id::Iri(self.iri(expanded)?))
    }

    fn emit(&mut self, s: &Id, p: &str, o: Term, g: &Graph) -> Fast<()> {
        let q = rdf_types::Quad(s.clone(), self.iri(p)?, o, g.clone());
        // The same statement twice (a type or value repeated): RDF has it once, and jsonld.js
        // merges it once, but the reference path keeps both and canonicalises differently;
        // leave the document to the reference path so that the output stays byte-identical.
        if !self.seen.insert(quad_key(&q)) {
            return Err(Unsupported);
        }
        self.quads.push(q);
        Ok(())
    }

    /// A node object (§5.1.2 steps 7-20 for maps that are not value objects), its quads into
    /// `graph`; the node's identifier.
    fn node(
        &mut self,
        ctx: &Arc<ActiveContext>,
        o: &Map<String, Value>,
        graph: &Graph,
        depth: usize,
    ) -> Fast<Id> {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        // Step 7: a non-propagated context does not apply to a new node object (unless it is
        // only a reference).
        let mut ctx = ctx.clone();
        if let Some(prev) = &ctx.previous {
            let only_id = o.len() == 1
                && o.keys().next().is_some_and(|k| {
                    ctx.expand_iri(k, true).ok().flatten().as_deref() == Some("@id")
                });
            if !only_id {
                ctx = prev.clone();
            }
        }
        // Step 9: an embedded context (bundled URLs only).
        if let Some(local) = o.get("@context") {
            ctx = apply_document_context(&ctx, local)?;
        }
        // Steps 10-11: type-scoped contexts, in lexicographic order of the types.
        let type_scoped = ctx.clone();
        let mut types: Vec<&str> = Vec::new();
        let mut id: Option<&str> = None;
        for (k, v) in o {
            if k == "@context" {
                continue;
            }
            match type_scoped.expand_iri(k, true)?.as_deref() {
                Some("@type") => match v {
                    Value::String(s) => types.push(s),
                    Value::Array(a) => {
                        for t in a {
                            types.push(t.as_str().ok_or(Unsupported)?);
                        }
                    }
                    _ => return Err(Unsupported),
                },
                Some("@id") => {
                    if id.is_some() {
                        return Err(Unsupported);
                    }
                    id = Some(v.as_str().ok_or(Unsupported)?);
                }
                _ => {}
            }
        }
        let mut sorted = types.clone();
        sorted.sort_unstable();
        for t in &sorted {
            if let Some(scoped) = type_scoped.term(t).and_then(|d| d.context.clone()) {
                ctx = apply_scoped(&ctx, &scoped, false, false)?;
            }
        }
        let subject = match id {
            Some(i) => {
                let e = ctx.expand_iri(i, false)?.ok_or(Unsupported)?;
                self.id(&e)?
            }
            None => self.fresh(),
        };
        for t in types {
            let e = type_scoped.expand_iri(t, true)?.ok_or(Unsupported)?;
            if e.starts_with("_:") || !has_scheme(&e) {
                return Err(Unsupported);
            }
            let o = Term::Id(Id::Iri(self.iri(&e)?));
            self.emit(&subject, RDF_TYPE, o, graph)?;
        }
        // Step 13: the other entries.
        for (k, v) in o {
            if k == "@context" {
                continue;
            }
            let p = ctx.expand_iri(k, true)?.ok_or(Unsupported)?;
            match p.as_str() {
                "@id" | "@type" => continue,
                _ if p.starts_with('@') || p.starts_with("_:") || !has_scheme(&p) => {
                    return Err(Unsupported);
                }
                _ => {}
            }
            self.property(&ctx, &subject, k, &p, v, graph, depth)?;
        }
        Ok(subject)
    }

    /// The values of one property of `subject` (§5.1.2 step 13.4-13.9, then §8.2).
    #[allow(clippy::too_many_arguments)]
    fn property(
        &mut self,
        ctx: &Arc<ActiveContext>,
        subject: &Id,
        key: &str,
        p: &str,
        v: &Value,
        graph: &Graph,
        depth: usize,
    ) -> Fast<()> {
        let def = ctx.term(key);
        let container = def.map(|d| d.container).unwrap_or_default();
        // Step 3/8 of the recursive call: a property-scoped context.
        let inner = match def.and_then(|d| d.context.clone()) {
            Some(scoped) => apply_scoped(ctx, &scoped, true, true)?,
            None => ctx.clone(),
        };
        if container.language {
            if let Value::Object(m) = v {
                for (lang, item) in m {
                    if !is_lowercase_tag(lang) {
                        return Err(Unsupported);
                    }
                    let items: &[Value] = match item {
                        Value::Array(a) => a,
                        other => std::slice::from_ref(other),
                    };
                    for s in items {
                        match s {
                            Value::Null => {}
                            Value::String(s) => {
                                let lit = lang_literal(s, lang)?;
                                self.emit(subject, p, lit, graph)?;
                            }
                            _ => return Err(Unsupported),
                        }
                    }
                }
                return Ok(());
            }
        }
        let items: &[Value] = match v {
            Value::Array(a) => a,
            other => std::slice::from_ref(other),
        };
        if container.list {
            // ssi 0.16's conversion to RDF (the reference path) loses the items of a list
            // (`rdf:first`) and ends an empty one with a blank node instead of `rdf:nil`; the
            // fast path would write the list as JSON-LD 1.1 API §8.4 says, which would change
            // today's output. Lists stay on the reference path until that is settled.
            if !LISTS_ON_FAST_PATH {
                return Err(Unsupported);
            }
            let mut objects = Vec::new();
            for item in items {
                if item.is_array() {
                    return Err(Unsupported);
                }
                if let Some(o) = self.value(&inner, key, item, graph, depth)? {
                    objects.push(o);
                }
            }
            let head = self.list(objects, graph)?;
            return self.emit(subject, p, head, graph);
        }
        let mut flat = Vec::with_capacity(items.len());
        flatten(items, &mut flat, 0)?;
        for item in flat {
            if container.graph {
                let Value::Object(node) = item else {
                    return Err(Unsupported);
                };
                if is_value_object(&inner, node)? {
                    return Err(Unsupported);
                }
                let name = self.fresh();
                self.node(&inner, node, &Some(name.clone()), depth + 1)?;
                self.emit(subject, p, Term::Id(name), graph)?;
                continue;
            }
            if let Some(o) = self.value(&inner, key, item, graph, depth)? {
                self.emit(subject, p, o, graph)?;
            }
        }
        Ok(())
    }

    /// An RDF list of `items` (§8.4 "List to RDF Conversion"); its head.
    fn list(&mut self, items: Vec<Term>, graph: &Graph) -> Fast<Term> {
        if items.is_empty() {
            return Ok(Term::Id(Id::Iri(self.iri(RDF_NIL)?)));
        }
        let nodes: Vec<Id> = items.iter().map(|_| self.fresh()).collect();
        for (i, item) in items.into_iter().enumerate() {
            self.emit(&nodes[i], RDF_FIRST, item, graph)?;
            let rest = match nodes.get(i + 1) {
                Some(n) => Term::Id(n.clone()),
                None => Term::Id(Id::Iri(self.iri(RDF_NIL)?)),
            };
            self.emit(&nodes[i], RDF_REST, rest, graph)?;
        }
        Ok(Term::Id(nodes[0].clone()))
    }

    /// One value of the property `key` in the context `ctx` (property-scoped context applied):
    /// a literal, an IRI, or a nested node's identifier; `None` for null.
    fn value(
        &mut self,
        ctx: &Arc<ActiveContext>,
        key: &str,
        item: &Value,
        graph: &Graph,
        depth: usize,
    ) -> Fast<Option<Term>> {
        let def = ctx.term(key);
        let type_mapping = def.and_then(|d| d.type_mapping.as_deref());
        match item {
            Value::Null => Ok(None),
            Value::String(s) => match type_mapping {
                Some("@id") => {
                    let e = ctx.expand_iri(s, false)?.ok_or(Unsupported)?;
                    Ok(Some(Term::Id(self.id(&e)?)))
                }
                Some("@vocab") => {
                    let e = ctx.expand_iri(s, true)?.ok_or(Unsupported)?;
                    Ok(Some(Term::Id(self.id(&e)?)))
                }
                Some("@json") => Err(Unsupported),
                Some("@none") | None => {
                    let language = match def.and_then(|d| d.language.clone()) {
                        Some(l) => l,
                        None => ctx.default_language.clone(),
                    };
                    Ok(Some(match language {
                        Some(l) => lang_literal(s, &l)?,
                        None => self.typed(s.clone(), XSD_STRING)?,
                    }))
                }
                Some(datatype) => Ok(Some(self.typed(s.clone(), datatype)?)),
            },
            Value::Bool(_) | Value::Number(_) => {
                let datatype = match type_mapping {
                    Some("@json") => return Err(Unsupported),
                    Some("@id" | "@vocab" | "@none") | None => None,
                    Some(t) => Some(t),
                };
                Ok(Some(self.native(item, datatype)?))
            }
            Value::Object(o) => {
                if is_value_object(ctx, o)? {
                    return self.value_object(ctx, o);
                }
                for k in o.keys() {
                    if k != "@context"
                        && matches!(
                            ctx.expand_iri(k, true)?.as_deref(),
                            Some("@list" | "@set" | "@graph" | "@included" | "@reverse" | "@nest")
                        )
                    {
                        return Err(Unsupported);
                    }
                }
                let id = self.node(ctx, o, graph, depth + 1)?;
                Ok(Some(Term::Id(id)))
            }
            Value::Array(_) => Err(Unsupported),
        }
    }

    /// A value object written in the document (`{"@value": ..., "@type"|"@language": ...}`).
    fn value_object(&mut self, ctx: &ActiveContext, o: &Map<String, Value>) -> Fast<Option<Term>> {
        let mut value = None;
        let mut ty = None;
        let mut lang = None;
        for (k, v) in o {
            match ctx.expand_iri(k, true)?.as_deref() {
                Some("@value") => value = Some(v),
                Some("@type") => {
                    let t = v.as_str().ok_or(Unsupported)?;
                    let e = ctx.expand_iri(t, true)?.ok_or(Unsupported)?;
                    if e.starts_with('@') || e.starts_with("_:") || !has_scheme(&e) {
                        return Err(Unsupported);
                    }
                    ty = Some(e);
                }
                Some("@language") => lang = Some(v.as_str().ok_or(Unsupported)?),
                _ => return Err(Unsupported),
            }
        }
        let value = value.ok_or(Unsupported)?;
        match (value, ty, lang) {
            (Value::Null, _, _) => Err(Unsupported),
            (_, Some(_), Some(_)) => Err(Unsupported),
            (Value::String(s), None, Some(l)) => {
                if !is_lowercase_tag(l) {
                    return Err(Unsupported);
                }
                Ok(Some(lang_literal(s, l)?))
            }
            (Value::String(s), Some(t), None) => Ok(Some(self.typed(s.clone(), &t)?)),
            (Value::String(s), None, None) => Ok(Some(self.typed(s.clone(), XSD_STRING)?)),
            (v @ (Value::Bool(_) | Value::Number(_)), t, None) => {
                Ok(Some(self.native(v, t.as_deref())?))
            }
            _ => Err(Unsupported),
        }
    }

    fn typed(&mut self, value: String, datatype: &str) -> Fast<Term> {
        Ok(Term::Literal(Literal {
            value,
            type_: LiteralType::Any(self.iri(datatype)?),
        }))
    }

    /// A JSON boolean or number as JSON-LD 1.1 API §8.6 steps 10-12 write it
    /// (`super::native_literal`, shared with the reference path's rewrite).
    fn native(&mut self, v: &Value, datatype: Option<&str>) -> Fast<Term> {
        let (lexical, datatype) = super::native_literal(v, datatype).ok_or(Unsupported)?;
        self.typed(lexical, &datatype)
    }
}

/// Arrays in arrays are flattened for properties that are not lists (JSON-LD 1.1 API §5.1.2
/// step 5.2.3).
fn flatten<'a>(items: &'a [Value], out: &mut Vec<&'a Value>, depth: usize) -> Fast<()> {
    if depth > MAX_DEPTH {
        return Err(Unsupported);
    }
    for i in items {
        match i {
            Value::Array(a) => flatten(a, out, depth + 1)?,
            v => out.push(v),
        }
    }
    Ok(())
}

fn lang_literal(s: &str, lang: &str) -> Fast<Term> {
    let tag = langtag::LangTagBuf::new(lang.to_owned()).map_err(|_| Unsupported)?;
    Ok(Term::Literal(Literal {
        value: s.to_owned(),
        type_: LiteralType::LangString(tag),
    }))
}

/// Whether the map has an entry that expands to `@value`.
fn is_value_object(ctx: &ActiveContext, o: &Map<String, Value>) -> Fast<bool> {
    for k in o.keys() {
        if ctx.expand_iri(k, true)?.as_deref() == Some("@value") {
            return Ok(true);
        }
    }
    Ok(false)
}
