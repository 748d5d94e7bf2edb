//! Institutions (tenants, awarding bodies: Annex I elements 3 and 4): create one with its
//! first signing key, read and list them, and the demo institution of a first `cargo run`.
//! Keys and DID documents are in [`keys`].

pub mod eseal;
pub mod keys;
pub mod logo;

use microcred_core::model::AwardingBody;

use crate::achievements;
use crate::auth::{self, require_platform, tokens, Principal};
use crate::db::{self, institutions::InstitutionRow};
use crate::domain::institution::{InstitutionView, NewInstitution, NewInstitutionDoc};
use crate::error::{IssuerError, OnUnique};
use crate::{secrets, Issuer};

/// The awarding body our credentials name for this institution: its DID and registered
/// details, read from its stored row.
pub fn awarding_body(app: &Issuer, inst: &InstitutionRow) -> Result<AwardingBody, IssuerError> {
    crate::domain::institution::awarding_body(inst, app.urls.institution_did(&inst.slug))
        .map_err(|e| IssuerError::stored(format!("institution `{}`", inst.slug), e))
}

/// How the API shows an institution.
pub fn view(app: &Issuer, r: &InstitutionRow) -> InstitutionView {
    InstitutionView {
        slug: r.slug.clone(),
        did: app.urls.institution_did(&r.slug).to_string(),
        did_document_url: app.urls.did_document(&r.slug),
        legal_name: r.legal_name.clone(),
        registration_number: r.registration_number.clone(),
        country: r.country.clone(),
        street: r.street.clone(),
        locality: r.locality.clone(),
        postal_code: r.postal_code.clone(),
        website: r.website.clone(),
        logo_url: r.logo_url.clone(),
    }
}

/// Creates an institution with its first signing key (administrator only).
pub async fn create_institution(
    app: &Issuer,
    p: &Principal,
    n: NewInstitution,
) -> Result<InstitutionView, IssuerError> {
    require_platform(p)?;
    let row = InstitutionRow {
        id: secrets::new_id(),
        slug: n.slug.as_str().to_owned(),
        legal_name: n.legal_name,
        registration_number: n.registration_number,
        country: n.address.country.to_string(),
        street: n.address.street,
        locality: n.address.locality,
        postal_code: n.address.postal_code,
        website: n.website.map(|u| u.as_str().to_owned()),
        logo_url: n.logo_url.map(|u| u.as_str().to_owned()),
        created_at: db::now(),
    };
    let mut tx = app.db.write().await?;
    db::institutions::insert_institution(&mut tx, &row)
        .await
        .on_unique("slug", || {
            IssuerError::conflict(format!(
                "an institution with slug `{}` already exists",
                row.slug
            ))
        })?;
    keys::add_key(app, &mut tx, &row.id).await?;
    tx.commit().await?;
    Ok(view(app, &row))
}

/// Every institution (administrator only).
pub async fn list_institutions(
    app: &Issuer,
    p: &Principal,
) -> Result<Vec<InstitutionView>, IssuerError> {
    require_platform(p)?;
    let mut c = app.db.read().await?;
    Ok(db::institutions::list_institutions(&mut c)
        .await?
        .iter()
        .map(|r| view(app, r))
        .collect())
}

/// One institution.
pub async fn get_institution(
    app: &Issuer,
    p: &Principal,
    slug: &str,
) -> Result<InstitutionView, IssuerError> {
    let mut c = app.db.read().await?;
    Ok(view(app, &auth::institution_for(&mut c, p, slug).await?))
}

/// On an empty database, creates a demo institution with an achievement and an API token
/// (for `cargo run`); returns the token to print, or `None` when institutions exist.
pub async fn ensure_demo(app: &Issuer) -> Result<Option<String>, IssuerError> {
    if db::institutions::count_institutions(&mut *app.db.read().await?).await? > 0 {
        return Ok(None);
    }
    let admin = Principal::system_admin("demo set-up");
    let inst = NewInstitutionDoc {
        slug: "demo".into(),
        legal_name: "Demo Institute of Public Administration".into(),
        registration_number: "1000000000000".into(),
        country: "MD".into(),
        street: Some("str. Exemplu 1".into()),
        locality: Some("Chișinău".into()),
        postal_code: Some("MD-2001".into()),
        website: None,
        logo_url: None,
    }
    .parse()?;
    create_institution(app, &admin, inst).await?;
    let def: serde_json::Value =
        serde_json::from_str(crate::DEMO_ACHIEVEMENT).expect("demo definition is JSON");
    achievements::create_achievement(app, &admin, "demo", "data-protection", &def).await?;
    Ok(Some(
        tokens::create_institution_token(app, &admin, "demo", "demo registrar")
            .await?
            .token,
    ))
}
