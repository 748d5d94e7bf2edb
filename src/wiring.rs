//! The adapters that let the verifier read what the issuer publishes, without either crate
//! importing the other: the verifier declares the traits, this module implements them on the
//! issuer's `published` room.

use microcred_core::did::DidDocument;
use microcred_core::model::Did;
use microcred_issuer::domain::institution::InstitutionView;
use microcred_issuer::lifecycle::state::CredentialState;
use microcred_issuer::{published, Issuer};
use microcred_verifier::resolver::{LocalDids, LocalFuture};
use microcred_verifier::status::{LocalListFuture, LocalStatusLists};
use microcred_verifier::{
    CredentialLookup, IssuedRecord, IssuerFuture, LookupFuture, RecordState, RegisteredIssuer,
};

fn registered(i: InstitutionView) -> RegisteredIssuer {
    let address = [i.street, i.postal_code, i.locality]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    RegisteredIssuer {
        legal_name: i.legal_name,
        registration_number: i.registration_number,
        country: i.country,
        address: (!address.is_empty()).then_some(address),
    }
}

fn record_state(s: CredentialState) -> RecordState {
    match s {
        CredentialState::Active => RecordState::Active,
        CredentialState::Suspended => RecordState::Suspended,
        CredentialState::Revoked => RecordState::Revoked,
        CredentialState::Superseded => RecordState::Superseded,
    }
}

/// Issued credentials and registered institutions, from the issuer's store.
#[derive(Debug, Clone)]
pub struct IssuedCredentials(pub Issuer);

impl CredentialLookup for IssuedCredentials {
    fn find_by_code<'a>(&'a self, code: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let Some(c) = published::credential_by_code(&self.0, code)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(None);
            };
            Ok(Some(IssuedRecord {
                document: c.document,
                state: record_state(c.state),
                state_changed_at: c.state_changed_at,
                replaced_by: c.replaced_by_code,
                issuer: registered(c.issuer),
            }))
        })
    }

    fn registered_issuer<'a>(&'a self, did: &'a Did) -> IssuerFuture<'a> {
        Box::pin(async move {
            Ok(published::registered_issuer(&self.0, did)
                .await
                .map_err(|e| e.to_string())?
                .map(registered))
        })
    }
}

/// Our institutions' DID documents, resolved locally.
#[derive(Debug, Clone)]
pub struct InstitutionDids(pub Issuer);

impl LocalDids for InstitutionDids {
    fn resolve_local<'a>(&'a self, did: &'a Did) -> LocalFuture<'a> {
        Box::pin(async move {
            match published::own_did_document(&self.0, did).await {
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
            match published::own_status_list(&self.0, url).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, %url, "local status list lookup failed");
                    None
                }
            }
        })
    }
}
