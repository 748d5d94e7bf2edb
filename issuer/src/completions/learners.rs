//! The people an institution knows outside Moodle: a name, an e-mail (to notify them; its
//! xAPI `mbox_sha1sum` - SHA-1 of `mailto:` and the address, xAPI Data §2.4.2.3 - is added with
//! it), a national id (encrypted; matched by a hash keyed by the institution) and xAPI
//! accounts (`homePage` and `name`, xAPI Data §2.4.2.4). Sources name a learner by any of them.

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::auth::{self, Principal};
use crate::db::{
    self,
    learners::{LearnerIdentifierRow, LearnerRow},
};
use crate::domain::values::PersonName;
use crate::error::IssuerError;
use crate::{secrets, Issuer};
use microcred_core::model::{ModelError, ModelErrors};

/// An e-mail address, trimmed and lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address; `path` locates it for the error.
    pub fn parse(s: &str, path: &str) -> Result<Self, ModelError> {
        let e = s.trim().to_lowercase();
        let e = e.strip_prefix("mailto:").unwrap_or(&e).to_owned();
        let ok = e.len() <= 320
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !e.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Self(e))
        } else {
            Err(ModelError::new(
                "learner",
                path,
                format!("`{}` is not an e-mail address", s.trim()),
            ))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its xAPI `mbox_sha1sum`.
    pub fn mbox_sha1sum(&self) -> String {
        hex::encode(Sha1::digest(format!("mailto:{}", self.0).as_bytes()))
    }
}

/// A national identity number (e.g. Moldova's IDNP): letters and digits, 4 to 32.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalId(String);

impl NationalId {
    /// Parses one; `path` locates it for the error.
    pub fn parse(s: &str, path: &str) -> Result<Self, ModelError> {
        let v: String = s.trim().chars().filter(|c| *c != ' ').collect();
        if (4..=32).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Self(v.to_uppercase()))
        } else {
            Err(ModelError::new(
                "learner",
                path,
                "a national id is 4 to 32 letters and digits",
            ))
        }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value matched on: SHA-256 of the institution's id and the number.
    pub fn key(&self, institution_id: &str) -> String {
        secrets::sha256_hex(format!("{institution_id}:{}", self.0).as_bytes())
    }
}

/// An xAPI account: the system's home page and the learner's name in it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountDoc {
    /// The system's address, e.g. `https://lms.example.org`.
    pub home_page: String,
    /// The learner's id or user name there.
    pub name: String,
}

/// Wire form of a new learner.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewLearnerRequest {
    /// Full name, as it should appear on credentials.
    pub name: String,
    /// E-mail (xAPI `mbox`, and where they are told of a credential).
    #[serde(default)]
    pub email: Option<String>,
    /// National identity number (stored encrypted; only its salted hash goes into credentials).
    #[serde(default)]
    pub national_id: Option<String>,
    /// Language for messages (`en`, `ro`).
    #[serde(default)]
    pub language: Option<String>,
    /// xAPI accounts that name this learner.
    #[serde(default)]
    pub accounts: Vec<AccountDoc>,
    /// xAPI OpenIDs that name this learner.
    #[serde(default)]
    pub openids: Vec<String>,
}

/// A learner as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LearnerView {
    /// Its id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Whether a national id is on file (it is never shown).
    pub has_national_id: bool,
    /// Language for messages.
    pub language: Option<String>,
    /// xAPI accounts (`homePage|name`).
    pub accounts: Vec<String>,
    /// xAPI OpenIDs.
    pub openids: Vec<String>,
    /// When it was added.
    pub created_at: String,
}

/// A parsed new learner.
#[derive(Debug, Clone)]
pub struct NewLearner {
    name: String,
    email: Option<Email>,
    national_id: Option<NationalId>,
    language: Option<String>,
    accounts: Vec<String>,
    openids: Vec<String>,
}

impl NewLearner {
    /// A learner named and identified by what a source gives (a completions file).
    pub fn of(
        name: String,
        email: Option<Email>,
        national_id: Option<NationalId>,
        language: Option<String>,
    ) -> Self {
        Self {
            name,
            email,
            national_id,
            language,
            accounts: Vec::new(),
            openids: Vec::new(),
        }
    }

    /// The e-mail.
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }

    /// The national id.
    pub fn national_id(&self) -> Option<&NationalId> {
        self.national_id.as_ref()
    }
}

impl NewLearnerRequest {
    /// Checks every field, listing every problem.
    pub fn parse(self) -> Result<NewLearner, ModelErrors> {
        let mut errs = ModelErrors::default();
        let name = errs
            .take(PersonName::parse_at(&self.name, "/name"))
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default();
        let email = self
            .email
            .filter(|e| !e.trim().is_empty())
            .and_then(|e| errs.take(Email::parse(&e, "/email")));
        let national_id = self
            .national_id
            .filter(|e| !e.trim().is_empty())
            .and_then(|n| errs.take(NationalId::parse(&n, "/nationalId")));
        let language = self
            .language
            .filter(|l| !l.trim().is_empty())
            .and_then(|l| {
                let l = l.trim().to_lowercase();
                if l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()) {
                    Some(l)
                } else {
                    errs.push(ModelError::new(
                        "learner",
                        "/language",
                        format!("`{l}` is not a two-letter language code (en, ro)"),
                    ));
                    None
                }
            });
        if self.accounts.len() + self.openids.len() > 20 {
            errs.push(ModelError::new(
                "learner",
                "/accounts",
                "at most 20 accounts and OpenIDs",
            ));
        }
        let mut accounts = Vec::new();
        for (i, a) in self.accounts.iter().enumerate() {
            let home = a.home_page.trim();
            let name = a.name.trim();
            if url::Url::parse(home).is_err() || home.len() > 2000 {
                errs.push(ModelError::new(
                    "learner",
                    format!("/accounts/{i}/homePage"),
                    "the account's homePage must be an absolute URL (xAPI Data §2.4.2.4)",
                ));
            }
            if name.is_empty() || name.len() > 500 {
                errs.push(ModelError::new(
                    "learner",
                    format!("/accounts/{i}/name"),
                    "the account's name is required (at most 500 characters)",
                ));
            }
            accounts.push(format!("{home}|{name}"));
        }
        let mut openids = Vec::new();
        for (i, o) in self.openids.iter().enumerate() {
            if url::Url::parse(o.trim()).is_err() {
                errs.push(ModelError::new(
                    "learner",
                    format!("/openids/{i}"),
                    "an OpenID is a URI",
                ));
            }
            openids.push(o.trim().to_owned());
        }
        if email.is_none() && national_id.is_none() && accounts.is_empty() && openids.is_empty() {
            errs.push(ModelError::new(
                "learner",
                "/",
                "identify the learner by email, nationalId, accounts or openids",
            ));
        }
        errs.finish(|| NewLearner {
            name,
            email,
            national_id,
            language,
            accounts,
            openids,
        })
    }
}

fn identifiers(inst: &str, l: &NewLearner) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    if let Some(e) = &l.email {
        ids.push(("email", e.as_str().to_owned()));
        ids.push(("mbox_sha1sum", e.mbox_sha1sum()));
    }
    if let Some(n) = &l.national_id {
        ids.push(("national_id", n.key(inst)));
    }
    ids.extend(l.accounts.iter().map(|a| ("account", a.clone())));
    ids.extend(l.openids.iter().map(|o| ("openid", o.clone())));
    ids
}

/// What to say of an identifier already taken.
fn taken(kind: &str) -> &'static str {
    match kind {
        "email" | "mbox_sha1sum" => "this e-mail",
        "national_id" => "this national id",
        "account" => "this xAPI account",
        _ => "this OpenID",
    }
}

/// Adds a learner in `c`'s transaction; refused (409) when one of its identifiers already
/// names someone else of the institution.
pub async fn insert(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    institution_id: &str,
    l: &NewLearner,
) -> Result<LearnerRow, IssuerError> {
    let row = LearnerRow {
        id: secrets::new_id(),
        institution_id: institution_id.to_owned(),
        name: l.name.clone(),
        email: l.email.as_ref().map(|e| e.as_str().to_owned()),
        national_id_encrypted: l
            .national_id
            .as_ref()
            .map(|n| app.master.encrypt(n.as_str().as_bytes())),
        language: l.language.clone(),
        created_at: db::now(),
    };
    db::learners::insert_learner(c, &row).await?;
    for (kind, value) in identifiers(institution_id, l) {
        let added = db::learners::insert_learner_identifier(
            c,
            &LearnerIdentifierRow {
                institution_id: institution_id.to_owned(),
                kind: kind.to_owned(),
                value,
                learner_id: row.id.clone(),
            },
        )
        .await?;
        if !added {
            return Err(IssuerError::conflict(format!(
                "{} already names another learner of the institution",
                taken(kind)
            )));
        }
    }
    Ok(row)
}

/// The learner `l` names, made when none does; refused when its identifiers name two
/// different learners. What the learner lacked (an e-mail, a national id) is added.
pub async fn find_or_insert(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    institution_id: &str,
    l: &NewLearner,
) -> Result<(LearnerRow, bool), IssuerError> {
    let mut found: Option<LearnerRow> = None;
    for (kind, value) in identifiers(institution_id, l) {
        if let Some(r) =
            db::learners::find_learner_by_identifier(c, institution_id, kind, &value).await?
        {
            match &found {
                Some(f) if f.id != r.id => {
                    return Err(IssuerError::conflict(format!(
                        "the e-mail and the national id name two different learners ({} and {})",
                        f.name, r.name
                    )))
                }
                _ => found = Some(r),
            }
        }
    }
    let Some(existing) = found else {
        return Ok((insert(app, c, institution_id, l).await?, true));
    };
    for (kind, value) in identifiers(institution_id, l) {
        db::learners::insert_learner_identifier(
            c,
            &LearnerIdentifierRow {
                institution_id: institution_id.to_owned(),
                kind: kind.to_owned(),
                value,
                learner_id: existing.id.clone(),
            },
        )
        .await?;
    }
    let email = existing
        .email
        .is_none()
        .then(|| l.email.as_ref().map(|e| e.as_str().to_owned()))
        .flatten();
    let nid = existing
        .national_id_encrypted
        .is_none()
        .then(|| {
            l.national_id
                .as_ref()
                .map(|n| app.master.encrypt(n.as_str().as_bytes()))
        })
        .flatten();
    if email.is_some() || nid.is_some() || (existing.language.is_none() && l.language.is_some()) {
        db::learners::complete_learner(
            c,
            &existing.id,
            email.as_deref(),
            nid.as_deref(),
            l.language.as_deref(),
        )
        .await?;
        let again = db::learners::find_learner(c, institution_id, &existing.id)
            .await?
            .ok_or_else(|| IssuerError::not_found(format!("learner {}", existing.id)))?;
        return Ok((again, false));
    }
    Ok((existing, false))
}

async fn view(c: &mut sqlx::AnyConnection, r: &LearnerRow) -> Result<LearnerView, IssuerError> {
    let ids = db::learners::list_learner_identifiers(c, &r.id).await?;
    let of = |k: &str| {
        ids.iter()
            .filter(|i| i.kind == k)
            .map(|i| i.value.clone())
            .collect::<Vec<_>>()
    };
    Ok(LearnerView {
        id: r.id.clone(),
        name: r.name.clone(),
        email: r.email.clone(),
        has_national_id: r.national_id_encrypted.is_some(),
        language: r.language.clone(),
        accounts: of("account"),
        openids: of("openid"),
        created_at: db::rfc3339(r.created_at),
    })
}

/// `POST .../learners`: adds a learner.
pub async fn create(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    r: NewLearnerRequest,
) -> Result<LearnerView, IssuerError> {
    let l = r.parse()?;
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let row = insert(app, &mut tx, &inst.id, &l).await?;
    let v = view(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(v)
}

/// `GET .../learners`: a page of the institution's learners, newest first.
pub async fn list(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<Vec<LearnerView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    let rows = db::learners::list_learners(
        &mut c,
        &inst.id,
        limit.unwrap_or(100).clamp(1, 500),
        offset.unwrap_or(0).max(0),
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(view(&mut c, r).await?);
    }
    Ok(out)
}

/// The national id on file, decrypted (to be salted and hashed into a credential).
pub fn national_id_of(app: &Issuer, r: &LearnerRow) -> Result<Option<String>, IssuerError> {
    r.national_id_encrypted
        .as_deref()
        .map(|e| {
            app.master
                .decrypt(e)
                .map_err(|x| IssuerError::stored(format!("learner {} (national id)", r.id), x))
                .and_then(|b| {
                    String::from_utf8(b).map_err(|x| {
                        IssuerError::stored(format!("learner {} (national id)", r.id), x)
                    })
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_lowercased_and_gives_the_xapi_mbox_sha1sum() {
        let e = Email::parse(" Mailto:Ana@Example.MD ", "/email").unwrap();
        assert_eq!(e.as_str(), "ana@example.md");
        // sha1("mailto:ana@example.md")
        assert_eq!(e.mbox_sha1sum(), "c53d167f91b38b9e9191c64f84b0cd98efc31b7e");
        for bad in ["ana", "ana@", "@x.md", "ana@x", "a b@x.md", "ana@x.md."] {
            assert!(Email::parse(bad, "/email").is_err(), "{bad}");
        }
    }

    #[test]
    fn a_national_id_is_matched_by_a_hash_of_the_institution_and_the_number() {
        let n = NationalId::parse("2001 2345 67890", "/nationalId").unwrap();
        assert_eq!(n.as_str(), "2001234567890");
        assert_ne!(n.key("a"), n.key("b"));
        assert!(!n.key("a").contains("2001234567890"));
        assert!(NationalId::parse("12", "/nationalId").is_err());
        assert!(NationalId::parse("2001-234", "/nationalId").is_err());
    }
}
