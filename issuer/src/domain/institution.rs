//! An institution (tenant, awarding body): its legal identity (Annex I element 4), country
//! (element 3) and its did:web identifier.

use microcred_core::model::{
    AwardingBody, CountryCode, Did, HttpUrl, ModelError, ModelErrors, PostalAddress,
};
use serde::{Deserialize, Serialize};

use super::values::{self, Slug};
use crate::db::institutions::InstitutionRow;

/// Wire form of a new institution.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewInstitutionDoc {
    /// URL name: lower-case letters, digits and hyphens, 2-40 characters (`ase`, `usm-fmi`).
    pub slug: String,
    /// Legal name.
    pub legal_name: String,
    /// Registration number in the national register (e.g. IDNO).
    pub registration_number: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Street and number.
    #[serde(default)]
    pub street: Option<String>,
    /// Town or city.
    #[serde(default)]
    pub locality: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Public web site.
    #[serde(default)]
    pub website: Option<String>,
    /// Logo (https URL of a PNG or SVG).
    #[serde(default)]
    pub logo_url: Option<String>,
}

/// A checked new institution.
#[derive(Debug, Clone)]
pub struct NewInstitution {
    /// Slug.
    pub slug: Slug,
    /// Legal name.
    pub legal_name: String,
    /// Registration number.
    pub registration_number: String,
    /// Address with country.
    pub address: PostalAddress,
    /// Web site.
    pub website: Option<HttpUrl>,
    /// Logo URL.
    pub logo_url: Option<HttpUrl>,
}

fn text(errs: &mut ModelErrors, element: &str, v: &str, max: usize) -> Option<String> {
    errs.take(values::line(element, &format!("/{element}"), v, max))
}

impl NewInstitutionDoc {
    /// Checks every field, listing every problem.
    pub fn parse(self) -> Result<NewInstitution, ModelErrors> {
        let mut errs = ModelErrors::default();
        let slug = errs.take(Slug::parse(&self.slug));
        let legal_name = text(&mut errs, "legalName", &self.legal_name, 300);
        let registration_number = text(
            &mut errs,
            "registrationNumber",
            &self.registration_number,
            64,
        );
        let country = errs.take(CountryCode::new(&self.country).map_err(|mut e| {
            e.path = "/country".into();
            e
        }));
        let opt = |errs: &mut ModelErrors, v: Option<String>, el: &str, max: usize| {
            v.filter(|s| !s.trim().is_empty())
                .and_then(|s| text(errs, el, &s, max))
        };
        let street = opt(&mut errs, self.street, "street", 300);
        let locality = opt(&mut errs, self.locality, "locality", 200);
        let postal_code = opt(&mut errs, self.postal_code, "postalCode", 20);
        let url = |errs: &mut ModelErrors, v: Option<String>, el: &str| {
            v.and_then(|u| {
                errs.take(HttpUrl::new(el, &u).map_err(|mut e| {
                    e.path = format!("/{el}");
                    e
                }))
            })
        };
        let website = url(&mut errs, self.website, "website");
        let logo_url = url(&mut errs, self.logo_url, "logoUrl");
        errs.finish(|| NewInstitution {
            slug: slug.expect("checked"),
            legal_name: legal_name.expect("checked"),
            registration_number: registration_number.expect("checked"),
            address: PostalAddress {
                country: country.expect("checked"),
                locality,
                street,
                postal_code,
            },
            website,
            logo_url,
        })
    }
}

/// An institution as stored, with its DID.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstitutionView {
    /// Slug.
    pub slug: String,
    /// did:web identifier.
    pub did: String,
    /// Where the DID document is served.
    pub did_document_url: String,
    /// Legal name.
    pub legal_name: String,
    /// Registration number.
    pub registration_number: String,
    /// Country.
    pub country: String,
    /// Street.
    pub street: Option<String>,
    /// Locality.
    pub locality: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
}

/// The awarding body of credentials this institution issues: its registered details, read
/// back from its stored row.
pub fn awarding_body(row: &InstitutionRow, did: Did) -> Result<AwardingBody, ModelError> {
    Ok(AwardingBody {
        did,
        legal_name: row.legal_name.clone(),
        registration_number: row.registration_number.clone(),
        address: PostalAddress {
            country: CountryCode::new(&row.country)?,
            locality: row.locality.clone(),
            street: row.street.clone(),
            postal_code: row.postal_code.clone(),
        },
        url: row
            .website
            .as_deref()
            .map(|u| HttpUrl::new("website", u))
            .transpose()?,
    })
}
