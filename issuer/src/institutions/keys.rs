//! An institution's Ed25519 signing keys (secret halves encrypted under the master key with
//! XChaCha20-Poly1305) and its DID document
//! ([did:web](https://w3c-ccg.github.io/did-method-web/)): rotation retires a key but keeps
//! it in the document, so credentials it signed still verify.

use microcred_core::did::{DidDocument, VerificationMethod};
use microcred_core::keys::{KeyPair, PublicKey};
use microcred_core::model::Did;
use sqlx::AnyConnection;

use crate::auth::{self, Principal};
use crate::db::{self, institutions::InstitutionRow, signing_keys::SigningKeyRow};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// Adds a new active key to an institution; returns its `kid`.
pub async fn add_key(
    app: &Issuer,
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<String, IssuerError> {
    let n = db::signing_keys::count_signing_keys(c, institution_id).await?;
    let key = KeyPair::generate();
    let kid = format!("key-{}", n + 1);
    db::signing_keys::insert_signing_key(
        c,
        &SigningKeyRow {
            id: secrets::new_id(),
            institution_id: institution_id.to_owned(),
            kid: kid.clone(),
            public_key_multibase: key.public().to_multibase(),
            secret_ciphertext: app.master.encrypt(&key.seed()),
            created_at: db::now(),
            retired_at: None,
        },
    )
    .await?;
    Ok(kid)
}

/// Rotates the institution's signing key: the old one is retired (it stays in the DID
/// document) and a new one signs from now on.
pub async fn rotate_key(app: &Issuer, p: &Principal, slug: &str) -> Result<String, IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    db::signing_keys::retire_signing_keys(&mut tx, &inst.id, db::now()).await?;
    let kid = add_key(app, &mut tx, &inst.id).await?;
    tx.commit().await?;
    Ok(kid)
}

/// The key that signs for an institution now, and its verification method id.
pub async fn active_key(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
) -> Result<(KeyPair, String), IssuerError> {
    let k = db::signing_keys::list_signing_keys(c, &inst.id)
        .await?
        .into_iter()
        .rfind(|k| k.retired_at.is_none())
        .ok_or_else(|| IssuerError::key(&inst.slug, "no active key"))?;
    let seed = app
        .master
        .decrypt(&k.secret_ciphertext)
        .map_err(|e| IssuerError::key(&inst.slug, e))?;
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| IssuerError::key(&inst.slug, format!("key {} is not 32 bytes", k.kid)))?;
    Ok((
        KeyPair::from_seed(seed),
        format!("{}#{}", app.urls.institution_did(&inst.slug), k.kid),
    ))
}

/// The DID document of institution `slug`, every key listed for assertion.
pub async fn did_document(app: &Issuer, slug: &str) -> Result<Option<DidDocument>, IssuerError> {
    let mut c = app.db.read().await?;
    let Some(inst) = db::institutions::find_institution_by_slug(&mut c, slug).await? else {
        return Ok(None);
    };
    let did = app.urls.institution_did(slug);
    let mut methods = Vec::new();
    for k in db::signing_keys::list_signing_keys(&mut c, &inst.id).await? {
        let key = PublicKey::from_multibase(&k.public_key_multibase)
            .map_err(|e| IssuerError::stored(format!("signing key {} of `{slug}`", k.kid), e))?;
        methods.push(VerificationMethod::multikey(
            format!("{did}#{}", k.kid),
            &did,
            &key,
        ));
    }
    Ok(Some(DidDocument::with_keys(&did, methods)))
}

/// The DID document for one of our own DIDs (local resolution, no HTTP to ourselves).
pub async fn resolve_own_did(app: &Issuer, did: &Did) -> Result<Option<DidDocument>, IssuerError> {
    match app.urls.parse_institution_did(did) {
        Some(slug) => did_document(app, &slug).await,
        None => Ok(None),
    }
}
