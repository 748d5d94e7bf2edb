//! JSON Schemas (2020-12) and the JSON-LD contexts that microcred credentials use, bundled as
//! static text so that no context is ever fetched at run time.
//!
//! - Our extension context ([`MICROCRED_V1_URL`]) carries the EU Council Recommendation
//!   (2022/C 243/02) Annex I elements that Open Badges 3.0 lacks; its terms map to European
//!   Learning Model IRIs where ELM has one (`http://data.europa.eu/snb/model/elm/`).
//! - Open Badges 3.0.3 ([`OB_V3P0_3_0_3_URL`]) and the European Learning Model EDC context
//!   ([`ELM_EDC_AP_URL`]) are copies of the published files.
//! - W3C credentials v2, Data Integrity, Multikey and DID v1 ship inside `ssi`.

/// URL of our extension context (JSON-LD 1.1, `@protected`).
pub const MICROCRED_V1_URL: &str = "https://w3id.org/microcred/v1";
/// Our extension context document.
pub const MICROCRED_V1: &str = include_str!("../contexts/microcred-v1.jsonld");
/// Namespace of our own vocabulary terms (where ELM has no matching property).
pub const MICROCRED_VOCAB: &str = "https://w3id.org/microcred/vocab#";

/// URL of the Open Badges 3.0.3 context (the versioned one: `ssi` maps the unversioned URL to
/// an older file).
pub const OB_V3P0_3_0_3_URL: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// The Open Badges 3.0.3 context document.
pub const OB_V3P0_3_0_3: &str = include_str!("../contexts/ob-v3p0-context-3.0.3.json");

/// URL of the European Learning Model EDC application-profile context.
pub const ELM_EDC_AP_URL: &str = "http://data.europa.eu/snb/model/context/edc-ap";
/// The European Learning Model EDC application-profile context document.
pub const ELM_EDC_AP: &str = include_str!("../contexts/elm-edc-ap-context.jsonld");

/// JSON Schema of an achievement definition (what an institution defines once).
pub const ACHIEVEMENT_DEFINITION_SCHEMA: &str =
    include_str!("../json/achievement-definition.schema.json");
/// JSON Schema of an issued micro-credential (an Open Badges 3.0 `OpenBadgeCredential`).
pub const CREDENTIAL_SCHEMA: &str = include_str!("../json/credential.schema.json");

/// Every bundled context this crate provides, as `(url, document)` pairs.
pub fn contexts() -> [(&'static str, &'static str); 3] {
    [
        (MICROCRED_V1_URL, MICROCRED_V1),
        (OB_V3P0_3_0_3_URL, OB_V3P0_3_0_3),
        (ELM_EDC_AP_URL, ELM_EDC_AP),
    ]
}
