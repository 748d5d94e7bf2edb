//! Active contexts for the fast path (JSON-LD 1.1 Processing Algorithms and API §4.1 "Context
//! Processing", §4.2 "Create Term Definition", §5.2 "IRI Expansion"), processed once and kept.
//!
//! Only what the bundled contexts (W3C credentials v1/v2, Data Integrity, Multikey, Open Badges
//! 3.0.3, ELM, ours) use is handled: term definitions with `@id`, `@type`, `@container` (`@set`,
//! `@list`, `@language`, `@graph`), `@language`, `@prefix`, `@protected` and scoped `@context`;
//! `@vocab`, default `@language`, `@version`, `@protected` at context level, null contexts and
//! remote contexts named by URL (bundled only). Anything else - `@base`, `@import`,
//! `@propagate`, `@reverse`, `@nest`, `@index`, `@direction`, a protected term redefined, a context
//! object inside the document - is [`Unsupported`]: the caller then takes the reference path,
//! which either handles it or says what is wrong.
//!
//! Contexts are processed once: a processed context is cached by the context it was processed
//! on and what was applied (bounded; a full cache is emptied, never grown).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Map, Value};

/// The fast path does not handle this input; the reference path must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Result of the fast path's steps.
pub type Fast<T> = Result<T, Unsupported>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A scoped context (`@context` inside a term definition), with an identity for the cache.
#[derive(Debug)]
pub struct Scoped {
    id: u64,
    json: Value,
}

impl PartialEq for Scoped {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

/// Container mapping (JSON-LD 1.1 §4.2 step 19), the kinds the bundled contexts use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Container {
    /// `@set`
    pub set: bool,
    /// `@list`
    pub list: bool,
    /// `@language`
    pub language: bool,
    /// `@graph`
    pub graph: bool,
}

/// A term definition (JSON-LD 1.1 §4.2).
#[derive(Debug, Clone)]
pub struct Term {
    /// IRI mapping: an absolute IRI, a blank node identifier or a keyword; `None` for a term
    /// mapped to null.
    pub iri: Option<String>,
    /// `@id`, `@vocab`, `@json`, `@none` or a datatype IRI.
    pub type_mapping: Option<String>,
    /// Container mapping.
    pub container: Container,
    /// Language mapping: `Some(None)` is an explicit null.
    pub language: Option<Option<String>>,
    /// Scoped context.
    pub context: Option<Arc<Scoped>>,
    /// Prefix flag.
    pub prefix: bool,
    /// Protected flag.
    pub protected: bool,
}

impl PartialEq for Term {
    /// Same definition "other than the value of protected" (§4.2 step 27.1).
    fn eq(&self, o: &Self) -> bool {
        self.iri == o.iri
            && self.type_mapping == o.type_mapping
            && self.container == o.container
            && self.language == o.language
            && self.context == o.context
            && self.prefix == o.prefix
    }
}

/// An active context (JSON-LD 1.1 §4.1).
#[derive(Debug, Clone)]
pub struct ActiveContext {
    id: u64,
    terms: HashMap<String, Term>,
    /// Vocabulary mapping.
    pub vocab: Option<String>,
    /// Default language.
    pub default_language: Option<String>,
    /// Previous context (set by a non-propagated, type-scoped context).
    pub previous: Option<Arc<ActiveContext>>,
}

impl ActiveContext {
    /// The initial (empty) context.
    pub fn initial() -> Arc<Self> {
        static INITIAL: LazyLock<Arc<ActiveContext>> = LazyLock::new(|| {
            Arc::new(ActiveContext {
                id: 0,
                terms: HashMap::new(),
                vocab: None,
                default_language: None,
                previous: None,
            })
        });
        INITIAL.clone()
    }

    /// The definition of `term`.
    pub fn term(&self, term: &str) -> Option<&Term> {
        self.terms.get(term)
    }

    /// IRI expansion (§5.2) of `value` in this context, without a local context.
    pub fn expand_iri(&self, value: &str, vocab: bool) -> Fast<Option<String>> {
        expand_iri(self, value, vocab)
    }
}

/// Whether `s` is a JSON-LD keyword.
pub fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "@base"
            | "@container"
            | "@context"
            | "@direction"
            | "@graph"
            | "@id"
            | "@import"
            | "@included"
            | "@index"
            | "@json"
            | "@language"
            | "@list"
            | "@nest"
            | "@none"
            | "@prefix"
            | "@propagate"
            | "@protected"
            | "@reverse"
            | "@set"
            | "@type"
            | "@value"
            | "@version"
            | "@vocab"
    )
}

/// `@` followed by letters only: reserved for future keywords (§4.2 step 4, §5.2 step 2).
fn looks_like_keyword(s: &str) -> bool {
    s.len() > 1 && s.starts_with('@') && s[1..].bytes().all(|b| b.is_ascii_alphabetic())
}

/// Whether `s` has an IRI scheme (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") ":"`).
pub fn has_scheme(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    let scheme = &s.as_bytes()[..colon];
    !scheme.is_empty()
        && scheme[0].is_ascii_alphabetic()
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// IRI expansion (§5.2) once the local context's terms it needs are defined. `Ok(None)`: the
/// value maps to null.
fn expand_iri(ctx: &ActiveContext, value: &str, vocab: bool) -> Fast<Option<String>> {
    if is_keyword(value) {
        return Ok(Some(value.to_owned()));
    }
    if looks_like_keyword(value) {
        return Err(Unsupported);
    }
    if let Some(t) = ctx.terms.get(value) {
        if let Some(iri) = &t.iri {
            if is_keyword(iri) {
                return Ok(Some(iri.clone()));
            }
        }
        if vocab {
            return Ok(t.iri.clone());
        }
    }
    if let Some((prefix, suffix)) = split_compact(value) {
        if prefix == "_" || suffix.starts_with("//") {
            return Ok(Some(value.to_owned()));
        }
        if let Some(Term {
            iri: Some(iri),
            prefix: true,
            ..
        }) = ctx.terms.get(prefix)
        {
            return Ok(Some(format!("{iri}{suffix}")));
        }
        if has_scheme(value) {
            return Ok(Some(value.to_owned()));
        }
    }
    if vocab {
        if let Some(v) = &ctx.vocab {
            return Ok(Some(format!("{v}{value}")));
        }
    }
    // Document-relative with no base: left as is (the caller refuses what is not absolute).
    Ok(Some(value.to_owned()))
}

/// `prefix:suffix` with the colon after the first character.
fn split_compact(value: &str) -> Option<(&str, &str)> {
    let colon = value.get(1..)?.find(':')? + 1;
    Some((&value[..colon], &value[colon + 1..]))
}

/// One local context being processed into `ctx` (§4.1 step 5.13): its definitions and which
/// terms are done (`true`) or in progress (`false`).
struct Definer<'a> {
    ctx: &'a mut ActiveContext,
    map: &'a Map<String, Value>,
    defined: HashMap<String, bool>,
    protected: bool,
    override_protected: bool,
}

impl Definer<'_> {
    /// IRI expansion with the local context: its terms are defined first when named (§5.2
    /// steps 3 and 6.3).
    fn expand(&mut self, value: &str, vocab: bool) -> Fast<Option<String>> {
        if self.map.contains_key(value) && self.defined.get(value) != Some(&true) {
            self.define(value)?;
        }
        if let Some((prefix, _)) = split_compact(value) {
            if self.map.contains_key(prefix) && self.defined.get(prefix) != Some(&true) {
                self.define(prefix)?;
            }
        }
        expand_iri(self.ctx, value, vocab)
    }

    /// Create Term Definition (§4.2) of `term`.
    fn define(&mut self, term: &str) -> Fast<()> {
        match self.defined.get(term) {
            Some(true) => return Ok(()),
            Some(false) => return Err(Unsupported), // cyclic IRI mapping
            None => {}
        }
        if term.is_empty() || is_keyword(term) || looks_like_keyword(term) {
            return Err(Unsupported);
        }
        self.defined.insert(term.to_owned(), false);
        let value = self.map.get(term).cloned().unwrap_or(Value::Null);
        let previous = self.ctx.terms.remove(term);
        let (def, simple) = match &value {
            Value::Null => (Map::from_iter([("@id".to_owned(), Value::Null)]), false),
            Value::String(s) => (
                Map::from_iter([("@id".to_owned(), Value::String(s.clone()))]),
                true,
            ),
            Value::Object(o) => (o.clone(), false),
            _ => return Err(Unsupported),
        };
        for k in def.keys() {
            if !matches!(
                k.as_str(),
                "@id"
                    | "@type"
                    | "@container"
                    | "@context"
                    | "@language"
                    | "@prefix"
                    | "@protected"
            ) {
                return Err(Unsupported);
            }
        }
        let mut t = Term {
            iri: None,
            type_mapping: None,
            container: Container::default(),
            language: None,
            context: None,
            prefix: false,
            protected: match def.get("@protected") {
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(Unsupported),
                None => self.protected,
            },
        };
        if let Some(ty) = def.get("@type") {
            let Value::String(ty) = ty else {
                return Err(Unsupported);
            };
            let ty = self.expand(ty, true)?.ok_or(Unsupported)?;
            if !(matches!(ty.as_str(), "@id" | "@vocab" | "@json" | "@none")
                || (has_scheme(&ty) && !ty.starts_with("_:")))
            {
                return Err(Unsupported);
            }
            t.type_mapping = Some(ty);
        }
        match def.get("@id") {
            Some(id) if id.as_str() != Some(term) => match id {
                Value::Null => t.iri = None,
                Value::String(id) => {
                    if !is_keyword(id) && looks_like_keyword(id) {
                        return Err(Unsupported);
                    }
                    let iri = self.expand(id, true)?.ok_or(Unsupported)?;
                    if iri == "@context" || !(is_keyword(&iri) || has_scheme(&iri)) {
                        return Err(Unsupported);
                    }
                    let inner = &term[..term.len().saturating_sub(1)];
                    if inner.get(1..).is_some_and(|s| s.contains(':')) || term.contains('/') {
                        self.defined.insert(term.to_owned(), true);
                        if self.expand(term, true)?.as_deref() != Some(iri.as_str()) {
                            return Err(Unsupported);
                        }
                    }
                    if !term.contains(':')
                        && !term.contains('/')
                        && simple
                        && iri.ends_with([':', '/', '?', '#', '[', ']', '@'])
                    {
                        t.prefix = true;
                    }
                    t.iri = Some(iri);
                }
                _ => return Err(Unsupported),
            },
            _ => {
                if let Some((prefix, suffix)) = split_compact(term) {
                    if self.map.contains_key(prefix) {
                        self.define(prefix)?;
                    }
                    t.iri = Some(match self.ctx.terms.get(prefix) {
                        Some(Term { iri: Some(p), .. }) => format!("{p}{suffix}"),
                        _ if has_scheme(term) => term.to_owned(),
                        _ => return Err(Unsupported),
                    });
                } else if term.contains('/') {
                    return Err(Unsupported);
                } else if let Some(v) = &self.ctx.vocab {
                    t.iri = Some(format!("{v}{term}"));
                } else {
                    return Err(Unsupported);
                }
            }
        }
        if let Some(c) = def.get("@container") {
            let items: Vec<&Value> = match c {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for i in items {
                match i.as_str() {
                    Some("@set") => t.container.set = true,
                    Some("@list") => t.container.list = true,
                    Some("@language") => t.container.language = true,
                    Some("@graph") => t.container.graph = true,
                    _ => return Err(Unsupported),
                }
            }
            let c = t.container;
            if (c.list && (c.set || c.language || c.graph)) || (c.language && c.graph) {
                return Err(Unsupported);
            }
        }
        if let Some(scoped) = def.get("@context") {
            t.context = Some(Arc::new(Scoped {
                id: next_id(),
                json: scoped.clone(),
            }));
        }
        if let (Some(lang), None) = (def.get("@language"), def.get("@type")) {
            t.language = Some(match lang {
                Value::Null => None,
                Value::String(s) if is_lowercase_tag(s) => Some(s.clone()),
                _ => return Err(Unsupported),
            });
        }
        if let Some(p) = def.get("@prefix") {
            match p {
                Value::Bool(b) if !term.contains(':') && !term.contains('/') => t.prefix = *b,
                _ => return Err(Unsupported),
            }
            if t.prefix && t.iri.as_deref().is_some_and(is_keyword) {
                return Err(Unsupported);
            }
        }
        if let Some(prev) = previous {
            if !self.override_protected && prev.protected {
                if prev != t {
                    return Err(Unsupported); // protected term redefinition (an error)
                }
                t = prev;
            }
        }
        self.ctx.terms.insert(term.to_owned(), t);
        self.defined.insert(term.to_owned(), true);
        Ok(())
    }
}

/// A language tag the fast path takes as it is: lowercase ASCII letters, digits and hyphens
/// (so that no implementation's case folding can differ).
pub fn is_lowercase_tag(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn empty_like() -> ActiveContext {
    ActiveContext {
        id: 0,
        terms: HashMap::new(),
        vocab: None,
        default_language: None,
        previous: None,
    }
}

/// Processed contexts, by (context id, what was applied, propagate, override protected).
type CacheKey = (u64, String, bool, bool);

static CACHE: LazyLock<Mutex<HashMap<CacheKey, Arc<ActiveContext>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Most processed contexts kept (each derived from bundled contexts only, so a few dozen are
/// used in practice; a caller naming many combinations empties the cache instead of growing
/// it).
const MAX_CACHED: usize = 512;

/// Processes a context named in a document (a URL, or an array of URLs, or null) on `active`.
pub fn apply_document_context(
    active: &Arc<ActiveContext>,
    local: &Value,
) -> Fast<Arc<ActiveContext>> {
    let key_text = match local {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(Value::is_string) => {
            serde_json::to_string(local).expect("serialisable")
        }
        Value::Null => "null".to_owned(),
        _ => return Err(Unsupported), // a context object in the document
    };
    cached((active.id, format!("doc:{key_text}"), true, false), || {
        process(active, local, true, false, 0)
    })
}

/// Processes the scoped context of a term: type-scoped (`propagate` false) or property-scoped
/// (`override_protected` true).
pub fn apply_scoped(
    active: &Arc<ActiveContext>,
    scoped: &Arc<Scoped>,
    propagate: bool,
    override_protected: bool,
) -> Fast<Arc<ActiveContext>> {
    cached(
        (
            active.id,
            format!("scoped:{}", scoped.id),
            propagate,
            override_protected,
        ),
        || process(active, &scoped.json, propagate, override_protected, 0),
    )
}

fn cached(
    key: CacheKey,
    make: impl FnOnce() -> Fast<Arc<ActiveContext>>,
) -> Fast<Arc<ActiveContext>> {
    if let Some(c) = CACHE.lock().expect("cache lock").get(&key) {
        return Ok(c.clone());
    }
    let c = make()?;
    let mut cache = CACHE.lock().expect("cache lock");
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    Ok(cache.entry(key).or_insert(c).clone())
}

/// The bundled context document at `url` (its `@context` value).
fn load(url: &str) -> Fast<Value> {
    static LOADED: LazyLock<Mutex<HashMap<String, Value>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    if let Some(v) = LOADED.lock().expect("lock").get(url) {
        return Ok(v.clone());
    }
    use ssi::json_ld::Loader;
    let iri = ssi::json_ld::iref::IriBuf::new(url.to_owned()).map_err(|_| Unsupported)?;
    let doc = futures::executor::block_on(crate::contexts::loader().load(&iri))
        .map_err(|_| Unsupported)?;
    let json: Value = json_syntax::from_value(doc.document().clone()).map_err(|_| Unsupported)?;
    let ctx = json.get("@context").cloned().ok_or(Unsupported)?;
    let mut loaded = LOADED.lock().expect("lock");
    if loaded.len() < 64 {
        loaded.insert(url.to_owned(), ctx.clone());
    }
    Ok(ctx)
}

/// Context Processing (§4.1).
fn process(
    active: &Arc<ActiveContext>,
    local: &Value,
    propagate: bool,
    override_protected: bool,
    depth: usize,
) -> Fast<Arc<ActiveContext>> {
    if depth > 8 {
        return Err(Unsupported);
    }
    let mut result: ActiveContext = ActiveContext::clone(active);
    result.id = next_id();
    if let Value::Object(o) = local {
        if o.contains_key("@propagate") {
            return Err(Unsupported);
        }
    }
    if !propagate && result.previous.is_none() {
        result.previous = Some(active.clone());
    }
    let items: Vec<&Value> = match local {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for item in items {
        match item {
            Value::Null => {
                if !override_protected && result.terms.values().any(|t| t.protected) {
                    return Err(Unsupported);
                }
                let previous = result.previous.take();
                result = empty_like();
                result.id = next_id();
                if !propagate {
                    result.previous = previous;
                }
            }
            Value::String(url) => {
                if !url.starts_with("http://") && !url.starts_with("https://") {
                    return Err(Unsupported);
                }
                let loaded = load(url)?;
                let r = process(&Arc::new(result), &loaded, true, false, depth + 1)?;
                result = ActiveContext::clone(&r);
                // the remote context's result keeps the previous context we set
            }
            Value::Object(o) => {
                for k in o.keys() {
                    if matches!(
                        k.as_str(),
                        "@base" | "@import" | "@direction" | "@propagate"
                    ) {
                        return Err(Unsupported);
                    }
                }
                if let Some(v) = o.get("@version") {
                    if v.as_f64() != Some(1.1) {
                        return Err(Unsupported);
                    }
                }
                if let Some(v) = o.get("@vocab") {
                    result.vocab = match v {
                        Value::Null => None,
                        Value::String(s) if has_scheme(s) && !s.starts_with("_:") => {
                            Some(s.clone())
                        }
                        _ => return Err(Unsupported),
                    };
                }
                if let Some(v) = o.get("@language") {
                    result.default_language = match v {
                        Value::Null => None,
                        Value::String(s) if is_lowercase_tag(s) => Some(s.clone()),
                        _ => return Err(Unsupported),
                    };
                }
                let protected = match o.get("@protected") {
                    None => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(Unsupported),
                };
                let mut definer = Definer {
                    ctx: &mut result,
                    map: o,
                    defined: HashMap::new(),
                    protected,
                    override_protected,
                };
                for k in o.keys() {
                    if matches!(
                        k.as_str(),
                        "@version" | "@vocab" | "@language" | "@protected"
                    ) {
                        continue;
                    }
                    definer.define(k)?;
                }
            }
            _ => return Err(Unsupported),
        }
    }
    Ok(Arc::new(result))
}
