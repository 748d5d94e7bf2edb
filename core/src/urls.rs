//! The public URL shapes of a deployment, defined once: the verification page a QR code opens
//! (`/v/{code}`), its QR images and signed JSON, the institutions' DID documents
//! (`did:web`, [DID Web method §3.2](https://w3c-ccg.github.io/did-method-web/#read-resolve)),
//! public achievement definitions, and status lists
//! ([Bitstring Status List v1.0 §2.2](https://www.w3.org/TR/vc-bitstring-status-list/)).
//!
//! The issuer builds these URLs and the verifier reads them back; both go through
//! [`PublicUrls`], so the two can never disagree. Route patterns for axum are the `ROUTE_*`
//! constants beside each builder.

use crate::did::did_web_for;
use crate::model::Did;
use crate::status::StatusPurpose;

/// Route of the public verification page.
pub const ROUTE_VERIFICATION_PAGE: &str = "/v/{code}";
/// Route of the QR code (SVG) of a verification page.
pub const ROUTE_QR_SVG: &str = "/v/{code}/qr.svg";
/// Route of the QR code (PNG) of a verification page.
pub const ROUTE_QR_PNG: &str = "/v/{code}/qr.png";
/// Route of the signed credential behind a verification page.
pub const ROUTE_CREDENTIAL_JSON: &str = "/v/{code}/credential.json";
/// Route of an institution's DID document.
pub const ROUTE_DID_DOCUMENT: &str = "/institutions/{slug}/did.json";
/// Route of a public achievement definition.
pub const ROUTE_ACHIEVEMENT: &str = "/institutions/{slug}/achievements/{achievement}";
/// Route of a status list credential.
pub const ROUTE_STATUS_LIST: &str = "/status/{slug}/{purpose}/{number}";
/// Route of a learner's private page for one credential (the token authenticates).
pub const ROUTE_HOLDER_PAGE: &str = "/holder/{code}/{token}";
/// Route of a download from the learner's private page (`credential.json`, `badge.svg`,
/// `badge.png`).
pub const ROUTE_HOLDER_FILE: &str = "/holder/{code}/{token}/{file}";
/// Route that receives events forwarded by a Moodle site.
pub const ROUTE_MOODLE_HOOK: &str = "/api/v1/hooks/moodle/{connection}";

/// Whether `s` is a valid slug (institution or achievement URL name): 2-40 lower-case ASCII
/// letters, digits and inner hyphens. Slugs are safe in URLs and in `did:web` paths.
pub fn is_slug(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Whether `s` has the form of a verification code: 16 Crockford base32 characters, upper case.
pub fn is_code(s: &str) -> bool {
    s.len() == 16
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"ILOU".contains(&b)))
}

/// A status list's place: institution, purpose, number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListRef {
    /// The institution's slug.
    pub institution: String,
    /// Revocation or suspension.
    pub purpose: StatusPurpose,
    /// The list's number (from 1).
    pub number: i64,
}

/// The public URLs of one deployment, from its base URL (e.g. `https://credentials.example.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrls {
    base: String,
}

impl PublicUrls {
    /// The URLs under `base` (a trailing slash is dropped).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The page a certificate's QR code opens.
    pub fn verification_page(&self, code: &str) -> String {
        format!("{}/v/{code}", self.base)
    }

    /// The code of one of our verification pages (any letter case, as scanners may send).
    pub fn parse_verification_page(&self, url: &str) -> Option<String> {
        let rest = strip_prefix_ignore_case(url, &self.base)?;
        let code = rest
            .strip_prefix("/v/")
            .or_else(|| rest.strip_prefix("/V/"))?
            .to_ascii_uppercase();
        is_code(&code).then_some(code)
    }

    /// The QR code of a verification page, as SVG.
    pub fn qr_svg(&self, code: &str) -> String {
        format!("{}/qr.svg", self.verification_page(code))
    }

    /// The QR code of a verification page, as PNG.
    pub fn qr_png(&self, code: &str) -> String {
        format!("{}/qr.png", self.verification_page(code))
    }

    /// The signed credential behind a verification page.
    pub fn credential_json(&self, code: &str) -> String {
        format!("{}/credential.json", self.verification_page(code))
    }

    /// The learner's private page for a credential.
    pub fn holder_page(&self, code: &str, token: &str) -> String {
        format!("{}/holder/{code}/{token}", self.base)
    }

    /// A download from the learner's private page, e.g. `credential.json`, `badge.png`.
    pub fn holder_file(&self, code: &str, token: &str, file: &str) -> String {
        format!("{}/{file}", self.holder_page(code, token))
    }

    /// Where a Moodle site sends events for connection `id`.
    pub fn moodle_hook(&self, id: &str) -> String {
        format!("{}/api/v1/hooks/moodle/{id}", self.base)
    }

    /// The `did:web` of institution `slug`: `did:web:{host}:institutions:{slug}`.
    pub fn institution_did(&self, slug: &str) -> Did {
        did_web_for(&self.base, &["institutions", slug]).expect("a slug is DID-safe")
    }

    /// The slug of one of our institutions' DIDs.
    pub fn parse_institution_did(&self, did: &Did) -> Option<String> {
        let prefix = format!(
            "{}:institutions:",
            did_web_for(&self.base, &[]).ok()?.as_str()
        );
        let slug = did.as_str().strip_prefix(&prefix)?;
        is_slug(slug).then(|| slug.to_owned())
    }

    /// Where the DID document of institution `slug` is served (what did:web resolves to).
    pub fn did_document(&self, slug: &str) -> String {
        format!("{}/institutions/{slug}/did.json", self.base)
    }

    /// The public definition of an achievement (the `id` of `Achievement` in credentials).
    pub fn achievement(&self, institution: &str, achievement: &str) -> String {
        format!(
            "{}/institutions/{institution}/achievements/{achievement}",
            self.base
        )
    }

    /// A status list credential.
    pub fn status_list(&self, list: &StatusListRef) -> String {
        format!(
            "{}/status/{}/{}/{}",
            self.base,
            list.institution,
            list.purpose.name(),
            list.number
        )
    }

    /// The place of one of our status lists, from its URL.
    pub fn parse_status_list(&self, url: &str) -> Option<StatusListRef> {
        let rest = url.strip_prefix(&self.base)?.strip_prefix("/status/")?;
        let mut parts = rest.split('/');
        let (slug, purpose, number) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !is_slug(slug) {
            return None;
        }
        let number: i64 = number.parse().ok().filter(|n| *n >= 1)?;
        Some(StatusListRef {
            institution: slug.to_owned(),
            purpose: StatusPurpose::from_name(purpose)?,
            number,
        })
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> PublicUrls {
        PublicUrls::new("https://credentials.example.md:8443/")
    }

    #[test]
    fn a_verification_page_round_trips_in_any_letter_case() {
        let u = urls();
        let page = u.verification_page("5CC3MDFX7N0K5FT8");
        assert_eq!(
            page,
            "https://credentials.example.md:8443/v/5CC3MDFX7N0K5FT8"
        );
        assert_eq!(
            u.parse_verification_page(&page).as_deref(),
            Some("5CC3MDFX7N0K5FT8")
        );
        assert_eq!(
            u.parse_verification_page(&page.to_ascii_uppercase())
                .as_deref(),
            Some("5CC3MDFX7N0K5FT8")
        );
        assert_eq!(u.parse_verification_page(&format!("{page}/x")), None);
        assert_eq!(
            u.parse_verification_page("https://evil.example/v/5CC3MDFX7N0K5FT8"),
            None
        );
    }

    #[test]
    fn a_status_list_url_round_trips() {
        let u = urls();
        let list = StatusListRef {
            institution: "ase".into(),
            purpose: StatusPurpose::Suspension,
            number: 3,
        };
        let url = u.status_list(&list);
        assert_eq!(
            url,
            "https://credentials.example.md:8443/status/ase/suspension/3"
        );
        assert_eq!(u.parse_status_list(&url), Some(list));
        for bad in [
            "https://credentials.example.md:8443/status/ase/other/3",
            "https://credentials.example.md:8443/status/ase/revocation/0",
            "https://credentials.example.md:8443/status/ase/revocation/3/x",
            "https://credentials.example.md:8443/status/A_B/revocation/3",
            "https://other.example/status/ase/revocation/3",
        ] {
            assert_eq!(u.parse_status_list(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_institution_did_round_trips_and_names_its_document() {
        let u = urls();
        let did = u.institution_did("usm-fmi");
        assert_eq!(
            did.as_str(),
            "did:web:credentials.example.md%3A8443:institutions:usm-fmi"
        );
        assert_eq!(u.parse_institution_did(&did).as_deref(), Some("usm-fmi"));
        assert_eq!(
            crate::did::did_web_url(&did).unwrap(),
            u.did_document("usm-fmi")
        );
        let foreign = Did::new("did:web:other.example:institutions:ase").unwrap();
        assert_eq!(u.parse_institution_did(&foreign), None);
    }

    #[test]
    fn slugs_and_codes_have_one_definition() {
        assert!(is_slug("ase") && is_slug("usm-fmi") && !is_slug("-a") && !is_slug("A"));
        assert!(is_code("5CC3MDFX7N0K5FT8") && !is_code("5cc3mdfx7n0k5ft8") && !is_code("X"));
    }
}
