//! The adapters that let the verifier read what the issuer holds, without either crate
//! importing the other: the verifier declares the traits, this module implements them on the
//! issuer.

use microcred_core::did::DidDocument;
use microcred_core::model::Did;
use microcred_issuer::Issuer;
use microcred_verifier::resolver::{LocalDids, LocalFuture};
use microcred_verifier::status::{LocalListFuture, LocalStatusLists};
use microcred_verifier::{CredentialLookup, IssuedRecord, LookupFuture};

/// Issued credentials, looked up by code in the issuer's store.
#[derive(Debug, Clone)]
pub struct IssuedCredentials(pub Issuer);

impl CredentialLookup for IssuedCredentials {
    fn find_by_code<'a>(&'a self, code: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let Some(c) = self
                .0
                .credential_by_code(code)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(None);
            };
            Ok(Some(IssuedRecord {
                document: c.document,
                state_changed_at: c.state_changed_at,
            }))
        })
    }
}

/// Our institutions' DID documents, resolved locally.
#[derive(Debug, Clone)]
pub struct InstitutionDids(pub Issuer);

impl LocalDids for InstitutionDids {
    fn resolve_local<'a>(&'a self, did: &'a Did) -> LocalFuture<'a> {
        Box::pin(async move {
            match self.0.resolve_own_did(did).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, %did, "local DID resolution failed");
                    None::<DidDocument>
                }
            }
        })
    }
}

/// Our institutions' status lists, read locally.
#[derive(Debug, Clone)]
pub struct InstitutionStatusLists(pub Issuer);

impl LocalStatusLists for InstitutionStatusLists {
    fn local_list<'a>(&'a self, url: &'a str) -> LocalListFuture<'a> {
        Box::pin(async move {
            match self.0.own_status_list(url).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, %url, "local status list lookup failed");
                    None
                }
            }
        })
    }
}
