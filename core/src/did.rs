//! DIDs and DID documents (W3C DID Core 1.0), with the two methods microcred uses:
//! `did:web` for issuers (did:web Method Specification §3.2: the DID maps to an HTTPS URL of a
//! `did.json`) and `did:key` for holders and foreign issuers (did:key Method v0.7, Ed25519).
//!
//! Resolution is behind [`DidResolver`]: core resolves `did:key` itself; `did:web` documents
//! come from whoever implements the trait (the issuer service for our own institutions, an
//! HTTPS client with a cache for foreign ones).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

use crate::keys::PublicKey;
use crate::model::Did;

/// W3C DID v1 context.
pub const DID_V1_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
/// W3C Multikey context.
pub const MULTIKEY_V1_CONTEXT: &str = "https://w3id.org/security/multikey/v1";

/// A verification method of type `Multikey` (Controlled Identifiers §2.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// `did:...#fragment`
    pub id: String,
    /// `Multikey` (or the older `Ed25519VerificationKey2020`, same encoding).
    #[serde(rename = "type")]
    pub kind: String,
    /// The DID that controls the key.
    pub controller: String,
    /// `z6Mk...`
    pub public_key_multibase: String,
}

impl VerificationMethod {
    /// A Multikey method `id` for `key`, controlled by `controller`.
    pub fn multikey(id: String, controller: &Did, key: &PublicKey) -> Self {
        Self {
            id,
            kind: "Multikey".into(),
            controller: controller.to_string(),
            public_key_multibase: key.to_multibase(),
        }
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> Result<PublicKey, crate::keys::KeyError> {
        PublicKey::from_multibase(&self.public_key_multibase)
    }
}

/// A verification relationship entry: a reference to a method or the method itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MethodRef {
    /// A DID URL.
    Reference(String),
    /// An embedded method.
    Embedded(VerificationMethod),
}

impl MethodRef {
    fn id(&self) -> &str {
        match self {
            Self::Reference(s) => s,
            Self::Embedded(m) => &m.id,
        }
    }
}

/// The part of a DID document (DID Core §5) that verification needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocument {
    /// JSON-LD context.
    #[serde(rename = "@context", default)]
    pub context: serde_json::Value,
    /// The DID.
    pub id: String,
    /// Keys.
    #[serde(default)]
    pub verification_method: Vec<VerificationMethod>,
    /// Keys allowed to issue credentials.
    #[serde(default)]
    pub assertion_method: Vec<MethodRef>,
    /// Keys allowed to authenticate (sign presentations).
    #[serde(default)]
    pub authentication: Vec<MethodRef>,
}

impl DidDocument {
    /// A document for `did` whose keys all serve assertion and authentication, the first
    /// `current` ones being in force; older keys stay listed so old credentials still verify.
    pub fn with_keys(did: &Did, methods: Vec<VerificationMethod>) -> Self {
        let refs: Vec<MethodRef> = methods
            .iter()
            .map(|m| MethodRef::Reference(m.id.clone()))
            .collect();
        Self {
            context: serde_json::json!([DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT]),
            id: did.to_string(),
            verification_method: methods,
            assertion_method: refs.clone(),
            authentication: refs,
        }
    }

    /// The method with this id, embedded or listed.
    pub fn method(&self, id: &str) -> Option<&VerificationMethod> {
        self.verification_method
            .iter()
            .find(|m| m.id == id)
            .or_else(|| {
                self.assertion_method
                    .iter()
                    .chain(&self.authentication)
                    .find_map(|r| match r {
                        MethodRef::Embedded(m) if m.id == id => Some(m),
                        _ => None,
                    })
            })
    }

    /// Whether the method is listed under `assertionMethod`.
    pub fn is_assertion_method(&self, id: &str) -> bool {
        self.assertion_method
            .iter()
            .any(|r| self.absolute(r.id()) == id)
    }

    /// Whether the method is listed under `authentication`.
    pub fn is_authentication_method(&self, id: &str) -> bool {
        self.authentication
            .iter()
            .any(|r| self.absolute(r.id()) == id)
    }

    fn absolute(&self, r: &str) -> String {
        if r.starts_with('#') {
            format!("{}{r}", self.id)
        } else {
            r.to_owned()
        }
    }
}

/// Why a DID could not be resolved.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ResolveError {
    /// Not a DID this resolver handles.
    #[error("the DID method of `{0}` is not supported (did:key and did:web are)")]
    UnsupportedMethod(String),
    /// Malformed DID.
    #[error("`{0}` is not a valid DID: {1}")]
    Invalid(String, String),
    /// The DID does not exist (or its document could not be found).
    #[error("`{0}` was not found")]
    NotFound(String),
    /// The document could not be retrieved (network, timeout, size, an address that is not
    /// public); why is logged by the resolver, never told to the caller.
    #[error("the issuer's DID document (`{0}`) could not be retrieved")]
    Unreachable(String),
}

/// A boxed future, so that resolvers can be trait objects.
pub type ResolveFuture<'a> =
    Pin<Box<dyn Future<Output = Result<DidDocument, ResolveError>> + Send + 'a>>;

/// Resolves a DID to its document (DID Core §7.1).
pub trait DidResolver: Send + Sync {
    /// Resolves `did`.
    fn resolve<'a>(&'a self, did: &'a Did) -> ResolveFuture<'a>;
}

/// A resolver that resolves each DID once and answers the same document again after that:
/// for one verification (a credential's proof and the proofs of its status lists name the
/// same issuer), so that it sees one document per DID and looks each up once.
pub struct ResolveOnce<'r> {
    inner: &'r dyn DidResolver,
    seen: std::sync::Mutex<Vec<(String, Result<DidDocument, ResolveError>)>>,
}

impl<'r> ResolveOnce<'r> {
    /// Remembers what `inner` answers.
    pub fn new(inner: &'r dyn DidResolver) -> Self {
        Self {
            inner,
            seen: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl DidResolver for ResolveOnce<'_> {
    fn resolve<'a>(&'a self, did: &'a Did) -> ResolveFuture<'a> {
        Box::pin(async move {
            let known = self
                .seen
                .lock()
                .expect("never poisoned")
                .iter()
                .find(|(d, _)| d == did.as_str())
                .map(|(_, r)| r.clone());
            if let Some(r) = known {
                return r;
            }
            let r = self.inner.resolve(did).await;
            self.seen
                .lock()
                .expect("never poisoned")
                .push((did.as_str().to_owned(), r.clone()));
            r
        })
    }
}

/// Resolves `did:key` (Ed25519) from the DID itself.
pub fn resolve_did_key(did: &Did) -> Result<DidDocument, ResolveError> {
    let mb = did
        .as_str()
        .strip_prefix("did:key:")
        .ok_or_else(|| ResolveError::UnsupportedMethod(did.to_string()))?;
    let key = PublicKey::from_multibase(mb)
        .map_err(|e| ResolveError::Invalid(did.to_string(), e.to_string()))?;
    let vm = VerificationMethod::multikey(format!("{did}#{mb}"), did, &key);
    Ok(DidDocument::with_keys(did, vec![vm]))
}

/// The HTTPS URL where a `did:web` document lives (did:web spec §3.2.1):
/// `did:web:example.com` -> `https://example.com/.well-known/did.json`,
/// `did:web:example.com:institutions:ase` -> `https://example.com/institutions/ase/did.json`,
/// with `%3A` in the host decoded to a port separator.
pub fn did_web_url(did: &Did) -> Result<String, ResolveError> {
    let rest = did
        .as_str()
        .strip_prefix("did:web:")
        .ok_or_else(|| ResolveError::UnsupportedMethod(did.to_string()))?;
    let mut parts = rest.split(':');
    let host = parts
        .next()
        .unwrap_or_default()
        .replace("%3A", ":")
        .replace("%3a", ":");
    if host.is_empty() || host.contains('/') {
        return Err(ResolveError::Invalid(did.to_string(), "no host".into()));
    }
    let path: Vec<&str> = parts.collect();
    if path.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
        return Err(ResolveError::Invalid(
            did.to_string(),
            "bad path segment".into(),
        ));
    }
    Ok(if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    })
}

/// The `did:web` DID for a base URL and path, the inverse of [`did_web_url`]
/// (`https://example.com:8443` + `["institutions", "ase"]` ->
/// `did:web:example.com%3A8443:institutions:ase`).
pub fn did_web_for(base_url: &str, path: &[&str]) -> Result<Did, crate::model::ModelError> {
    let host = base_url
        .trim_end_matches('/')
        .split_once("://")
        .map(|(_, h)| h)
        .unwrap_or(base_url);
    let mut s = format!("did:web:{}", host.replace(':', "%3A"));
    for p in path {
        s.push(':');
        s.push_str(p);
    }
    Did::new(&s)
}

/// A resolver for `did:key` plus a fixed table of `did:web` documents (tests, the CLI's
/// `--did-document` option). Unknown `did:web` DIDs are not found.
#[derive(Debug, Default)]
pub struct StaticResolver {
    docs: RwLock<HashMap<String, DidDocument>>,
}

impl StaticResolver {
    /// An empty table (did:key still resolves).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a document.
    pub fn insert(&self, doc: DidDocument) {
        self.docs
            .write()
            .expect("not poisoned")
            .insert(doc.id.clone(), doc);
    }
}

impl DidResolver for StaticResolver {
    fn resolve<'a>(&'a self, did: &'a Did) -> ResolveFuture<'a> {
        Box::pin(async move {
            match did.method() {
                "key" => resolve_did_key(did),
                _ => self
                    .docs
                    .read()
                    .expect("not poisoned")
                    .get(did.as_str())
                    .cloned()
                    .ok_or_else(|| ResolveError::NotFound(did.to_string())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_maps_to_the_path_the_spec_gives() {
        let d = Did::new("did:web:example.com").unwrap();
        assert_eq!(
            did_web_url(&d).unwrap(),
            "https://example.com/.well-known/did.json"
        );
        let d = Did::new("did:web:localhost%3A8080:institutions:ase").unwrap();
        assert_eq!(
            did_web_url(&d).unwrap(),
            "https://localhost:8080/institutions/ase/did.json"
        );
        assert_eq!(
            did_web_for("http://localhost:8080", &["institutions", "ase"]).unwrap(),
            d
        );
    }

    #[test]
    fn did_key_resolves_to_its_own_key_for_assertion() {
        let d = Did::new("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").unwrap();
        let doc = resolve_did_key(&d).unwrap();
        let id = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
        assert!(doc.is_assertion_method(id));
        assert!(doc.method(id).is_some());
    }
}
