//! The issuer's operations, independent of HTTP: set-up, institutions and their keys,
//! achievements, issuing (single, idempotent; bulk CSV), and the read side other services need
//! (DID documents, credentials by code), all on one database pool.

use microcred_core::did::{did_web_for, DidDocument, VerificationMethod};
use microcred_core::keys::{KeyPair, PublicKey};
use microcred_core::model::{
    AchievementDefinition, Did, HttpUrl, IssuedAchievement, MicroCredential, ModelError,
    ModelErrors,
};
use microcred_core::proof::{self, Cryptosuite, ProofOptions};
use serde::Serialize;
use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::db::{
    self, achievements::AchievementRow, credentials::CredentialRow, institutions::InstitutionRow,
};
use crate::domain::institution::{awarding_body, is_slug, InstitutionView, NewInstitution};
use crate::domain::issuance::{IssueRequest, IssueRequestDoc};
use crate::error::IssuerError;
use crate::secrets::{self, MasterKey};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The platform administrator.
    PlatformAdmin,
    /// A registrar (or system such as the LMS) of one institution.
    Institution {
        /// Institution id.
        institution_id: String,
        /// Role (`registrar` for now; 2FA and finer roles come later).
        role: String,
    },
}

/// Settings the issuer needs.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// Public base URL of this deployment (DIDs, achievement ids and verification URLs derive
    /// from it), e.g. `https://credentials.example.md`.
    pub public_url: String,
}

/// A credential as stored, for other services (the verifier).
#[derive(Debug, Clone)]
pub struct StoredCredential {
    /// Public code.
    pub code: String,
    /// The signed credential.
    pub document: serde_json::Value,
    /// When its state (revoked / suspended / reinstated) last changed, Unix seconds.
    pub state_changed_at: Option<i64>,
}

/// The result of issuing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// Credential id (`urn:uuid:...`).
    pub id: String,
    /// Short public code.
    pub code: String,
    /// Public verification page (what the QR code points to).
    pub verification_url: String,
    /// QR code links.
    pub qr: QrLinks,
    /// False when an earlier credential was returned for the same idempotency key.
    pub created: bool,
    /// The signed credential.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Links to the QR code of the verification URL.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QrLinks {
    /// SVG.
    pub svg: String,
    /// PNG.
    pub png: String,
}

/// An achievement as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AchievementView {
    /// Slug.
    pub slug: String,
    /// Public id (URL).
    pub id: String,
    /// Current version.
    pub version: i64,
    /// The definition at that version.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// The issuer.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub(crate) pool: AnyPool,
    pub(crate) master: MasterKey,
    pub(crate) config: IssuerConfig,
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Issuer {
    /// An issuer on `pool` (migrated), with signing keys encrypted under `master`.
    pub fn new(pool: AnyPool, master: MasterKey, config: IssuerConfig) -> Self {
        let mut config = config;
        config.public_url = config.public_url.trim_end_matches('/').to_owned();
        Self {
            pool,
            master,
            config,
        }
    }

    /// The public base URL.
    pub fn public_url(&self) -> &str {
        &self.config.public_url
    }

    // ----- set-up and authentication -------------------------------------------------

    /// On first run, creates the one-time setup token and returns it (to print); afterwards
    /// `None`.
    pub async fn bootstrap(&self) -> Result<Option<String>, IssuerError> {
        let token = secrets::new_token();
        let mut c = self.pool.acquire().await?;
        let created = db::platform_setup::insert_platform_setup(
            &mut c,
            &secrets::hash_token(&token),
            db::now(),
        )
        .await?;
        Ok(created.then_some(token))
    }

    /// Exchanges the setup token for the platform administrator's API token (shown once).
    pub async fn complete_setup(&self, setup_token: &str) -> Result<String, IssuerError> {
        let mut tx = self.pool.begin().await?;
        if !db::platform_setup::complete_platform_setup(
            &mut tx,
            &secrets::hash_token(setup_token),
            db::now(),
        )
        .await?
        {
            return Err(IssuerError::Forbidden(
                "the setup token is wrong or was already used".into(),
            ));
        }
        let token = secrets::new_token();
        db::api_tokens::insert_api_token(
            &mut tx,
            &db::api_tokens::ApiTokenRow {
                id: new_id(),
                token_hash: secrets::hash_token(&token),
                scope: "platform".into(),
                institution_id: None,
                role: "admin".into(),
                label: "platform administrator".into(),
                created_at: db::now(),
                revoked_at: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Who holds this bearer token.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, IssuerError> {
        let row = db::api_tokens::find_api_token(&self.pool, &secrets::hash_token(bearer))
            .await?
            .ok_or_else(|| IssuerError::Unauthorized("the API token is not valid".into()))?;
        Ok(match (row.scope.as_str(), row.institution_id) {
            ("platform", _) => Principal::PlatformAdmin,
            ("institution", Some(institution_id)) => Principal::Institution {
                institution_id,
                role: row.role,
            },
            _ => {
                return Err(IssuerError::Unauthorized(
                    "the API token is not valid".into(),
                ))
            }
        })
    }

    fn require_admin(p: &Principal) -> Result<(), IssuerError> {
        match p {
            Principal::PlatformAdmin => Ok(()),
            _ => Err(IssuerError::Forbidden(
                "only the platform administrator can do this".into(),
            )),
        }
    }

    /// The institution `slug`, if the caller may act for it (the admin may act for any).
    pub(crate) async fn institution_for(
        &self,
        p: &Principal,
        slug: &str,
    ) -> Result<InstitutionRow, IssuerError> {
        let row = db::institutions::find_institution_by_slug(&self.pool, slug)
            .await?
            .ok_or_else(|| IssuerError::NotFound(format!("institution `{slug}`")))?;
        match p {
            Principal::PlatformAdmin => Ok(row),
            Principal::Institution { institution_id, .. } if *institution_id == row.id => Ok(row),
            // Do not reveal other tenants.
            Principal::Institution { .. } => {
                Err(IssuerError::NotFound(format!("institution `{slug}`")))
            }
        }
    }

    // ----- institutions and keys ------------------------------------------------------

    /// The did:web of an institution: `did:web:{host}:institutions:{slug}`.
    pub fn institution_did(&self, slug: &str) -> Did {
        did_web_for(&self.config.public_url, &["institutions", slug]).expect("slug is DID-safe")
    }

    fn view(&self, r: &InstitutionRow) -> InstitutionView {
        InstitutionView {
            slug: r.slug.clone(),
            did: self.institution_did(&r.slug).to_string(),
            did_document_url: format!(
                "{}/institutions/{}/did.json",
                self.config.public_url, r.slug
            ),
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

    /// Creates an institution with its first signing key (admin only).
    pub async fn create_institution(
        &self,
        p: &Principal,
        n: NewInstitution,
    ) -> Result<InstitutionView, IssuerError> {
        Self::require_admin(p)?;
        let row = InstitutionRow {
            id: new_id(),
            slug: n.slug.clone(),
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
        let mut tx = self.pool.begin().await?;
        if let Err(e) = db::institutions::insert_institution(&mut tx, &row).await {
            return Err(if db::is_unique_violation(&e) {
                IssuerError::Conflict(format!(
                    "an institution with slug `{}` already exists",
                    n.slug
                ))
            } else {
                e.into()
            });
        }
        self.add_key(&mut tx, &row.id).await?;
        tx.commit().await?;
        Ok(self.view(&row))
    }

    async fn add_key(
        &self,
        c: &mut sqlx::AnyConnection,
        institution_id: &str,
    ) -> Result<String, IssuerError> {
        let n = db::signing_keys::count_signing_keys(c, institution_id).await?;
        let key = KeyPair::generate();
        let kid = format!("key-{}", n + 1);
        db::signing_keys::insert_signing_key(
            c,
            &db::signing_keys::SigningKeyRow {
                id: new_id(),
                institution_id: institution_id.to_owned(),
                kid: kid.clone(),
                public_key_multibase: key.public().to_multibase(),
                secret_ciphertext: self.master.encrypt(&key.seed()),
                created_at: db::now(),
                retired_at: None,
            },
        )
        .await?;
        Ok(kid)
    }

    /// Every institution (admin only).
    pub async fn list_institutions(
        &self,
        p: &Principal,
    ) -> Result<Vec<InstitutionView>, IssuerError> {
        Self::require_admin(p)?;
        Ok(db::institutions::list_institutions(&self.pool)
            .await?
            .iter()
            .map(|r| self.view(r))
            .collect())
    }

    /// One institution.
    pub async fn get_institution(
        &self,
        p: &Principal,
        slug: &str,
    ) -> Result<InstitutionView, IssuerError> {
        Ok(self.view(&self.institution_for(p, slug).await?))
    }

    /// Creates an API token for an institution (admin only); returns it once.
    pub async fn create_institution_token(
        &self,
        p: &Principal,
        slug: &str,
        label: &str,
    ) -> Result<String, IssuerError> {
        Self::require_admin(p)?;
        let inst = self.institution_for(p, slug).await?;
        let label = label.trim();
        if label.is_empty() || label.len() > 100 {
            return Err(
                ModelError::new("label", "/label", "give a label of 1-100 characters").into(),
            );
        }
        let token = secrets::new_token();
        let mut c = self.pool.acquire().await?;
        db::api_tokens::insert_api_token(
            &mut c,
            &db::api_tokens::ApiTokenRow {
                id: new_id(),
                token_hash: secrets::hash_token(&token),
                scope: "institution".into(),
                institution_id: Some(inst.id),
                role: "registrar".into(),
                label: label.to_owned(),
                created_at: db::now(),
                revoked_at: None,
            },
        )
        .await?;
        Ok(token)
    }

    /// Rotates the institution's signing key: the old one is retired (it stays in the DID
    /// document, so credentials it signed still verify) and a new one signs from now on.
    pub async fn rotate_key(&self, p: &Principal, slug: &str) -> Result<String, IssuerError> {
        let inst = self.institution_for(p, slug).await?;
        let mut tx = self.pool.begin().await?;
        db::signing_keys::retire_signing_keys(&mut tx, &inst.id, db::now()).await?;
        let kid = self.add_key(&mut tx, &inst.id).await?;
        tx.commit().await?;
        Ok(kid)
    }

    /// The DID document of institution `slug`, all keys listed for assertion.
    pub async fn did_document(&self, slug: &str) -> Result<Option<DidDocument>, IssuerError> {
        let Some(inst) = db::institutions::find_institution_by_slug(&self.pool, slug).await? else {
            return Ok(None);
        };
        let did = self.institution_did(slug);
        let mut methods = Vec::new();
        for k in db::signing_keys::list_signing_keys(&self.pool, &inst.id).await? {
            let key = PublicKey::from_multibase(&k.public_key_multibase)
                .map_err(|e| IssuerError::Key(e.to_string()))?;
            methods.push(VerificationMethod::multikey(
                format!("{did}#{}", k.kid),
                &did,
                &key,
            ));
        }
        Ok(Some(DidDocument::with_keys(&did, methods)))
    }

    /// The DID document for one of our own DIDs (local resolution, no HTTP to ourselves).
    pub async fn resolve_own_did(&self, did: &Did) -> Result<Option<DidDocument>, IssuerError> {
        let prefix = format!(
            "{}:institutions:",
            did_web_for(&self.config.public_url, &[]).map_err(IssuerError::from)?
        );
        match did.as_str().strip_prefix(&prefix) {
            Some(slug) if is_slug(slug) => self.did_document(slug).await,
            _ => Ok(None),
        }
    }

    pub(crate) async fn active_key(
        &self,
        institution_id: &str,
        slug: &str,
    ) -> Result<(KeyPair, String), IssuerError> {
        let k = db::signing_keys::list_signing_keys(&self.pool, institution_id)
            .await?
            .into_iter()
            .rfind(|k| k.retired_at.is_none())
            .ok_or_else(|| IssuerError::Key(format!("institution {slug} has no active key")))?;
        let seed = self
            .master
            .decrypt(&k.secret_ciphertext)
            .map_err(|e| IssuerError::Key(e.to_string()))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| IssuerError::Key("stored key is not 32 bytes".into()))?;
        Ok((
            KeyPair::from_seed(seed),
            format!("{}#{}", self.institution_did(slug), k.kid),
        ))
    }

    // ----- achievements ------------------------------------------------------------------

    pub(crate) fn achievement_url(&self, inst_slug: &str, slug: &str) -> String {
        format!(
            "{}/institutions/{inst_slug}/achievements/{slug}",
            self.config.public_url
        )
    }

    fn achievement_view(&self, inst_slug: &str, r: &AchievementRow) -> AchievementView {
        AchievementView {
            slug: r.slug.clone(),
            id: self.achievement_url(inst_slug, &r.slug),
            version: r.version,
            definition: serde_json::from_str(&r.definition).unwrap_or_default(),
        }
    }

    /// Creates an achievement (version 1) from a definition (JSON, wire form).
    pub async fn create_achievement(
        &self,
        p: &Principal,
        inst_slug: &str,
        slug: &str,
        definition: &serde_json::Value,
    ) -> Result<AchievementView, IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        if !is_slug(slug) {
            return Err(ModelError::new(
                "slug",
                "/slug",
                "use 2-40 lower-case letters, digits and hyphens",
            )
            .into());
        }
        let def = AchievementDefinition::from_json(definition)?;
        let text = serde_json::to_string(&def.to_doc()).expect("serialisable");
        let mut tx = self.pool.begin().await?;
        if let Err(e) = db::achievements::insert_achievement(
            &mut tx,
            &new_id(),
            &inst.id,
            slug,
            &text,
            db::now(),
        )
        .await
        {
            return Err(if db::is_unique_violation(&e) {
                IssuerError::Conflict(format!(
                    "achievement `{slug}` already exists; PUT it to make a new version"
                ))
            } else {
                e.into()
            });
        }
        tx.commit().await?;
        self.get_achievement(p, inst_slug, slug).await
    }

    /// Makes a new version of an achievement; credentials already issued keep theirs.
    pub async fn update_achievement(
        &self,
        p: &Principal,
        inst_slug: &str,
        slug: &str,
        definition: &serde_json::Value,
    ) -> Result<AchievementView, IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        let def = AchievementDefinition::from_json(definition)?;
        let current = db::achievements::find_achievement(&self.pool, &inst.id, slug)
            .await?
            .ok_or_else(|| IssuerError::NotFound(format!("achievement `{slug}`")))?;
        let text = serde_json::to_string(&def.to_doc()).expect("serialisable");
        let mut tx = self.pool.begin().await?;
        if let Err(e) = db::achievements::insert_achievement_version(
            &mut tx,
            &current.id,
            current.current_version + 1,
            &text,
            db::now(),
        )
        .await
        {
            return Err(if db::is_unique_violation(&e) {
                IssuerError::Conflict("the achievement was changed at the same time; retry".into())
            } else {
                e.into()
            });
        }
        tx.commit().await?;
        self.get_achievement(p, inst_slug, slug).await
    }

    /// An achievement at its current version.
    pub async fn get_achievement(
        &self,
        p: &Principal,
        inst_slug: &str,
        slug: &str,
    ) -> Result<AchievementView, IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        let r = db::achievements::find_achievement(&self.pool, &inst.id, slug)
            .await?
            .ok_or_else(|| IssuerError::NotFound(format!("achievement `{slug}`")))?;
        Ok(self.achievement_view(inst_slug, &r))
    }

    /// The public view of an achievement (anyone may read a definition).
    pub async fn public_achievement(
        &self,
        inst_slug: &str,
        slug: &str,
    ) -> Result<AchievementView, IssuerError> {
        self.get_achievement(&Principal::PlatformAdmin, inst_slug, slug)
            .await
    }

    /// An institution's achievements.
    pub async fn list_achievements(
        &self,
        p: &Principal,
        inst_slug: &str,
    ) -> Result<Vec<AchievementView>, IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        Ok(db::achievements::list_achievements(&self.pool, &inst.id)
            .await?
            .iter()
            .map(|r| self.achievement_view(inst_slug, r))
            .collect())
    }

    // ----- issuing -----------------------------------------------------------------------

    pub(crate) fn issued(&self, row: &CredentialRow, created: bool) -> Issued {
        let url = format!("{}/v/{}", self.config.public_url, row.code);
        Issued {
            id: row.id.clone(),
            code: row.code.clone(),
            qr: QrLinks {
                svg: format!("{url}/qr.svg"),
                png: format!("{url}/qr.png"),
            },
            verification_url: url,
            created,
            credential: serde_json::from_str(&row.document).unwrap_or_default(),
        }
    }

    /// Issues one credential. With an idempotency key already used for the same request, the
    /// first credential is returned (`created: false`); for a different request, a conflict.
    pub async fn issue(
        &self,
        p: &Principal,
        inst_slug: &str,
        doc: IssueRequestDoc,
        header_key: Option<String>,
    ) -> Result<Issued, IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        let fingerprint = doc.fingerprint();
        let req = doc.parse(header_key, &secrets::new_salt())?;
        self.issue_parsed(&inst, req, &fingerprint).await
    }

    async fn issue_parsed(
        &self,
        inst: &InstitutionRow,
        req: IssueRequest,
        fingerprint: &str,
    ) -> Result<Issued, IssuerError> {
        if let Some(key) = &req.idempotency_key {
            if let Some(existing) =
                db::credentials::find_credential_by_idempotency_key(&self.pool, &inst.id, key)
                    .await?
            {
                return self.replay(existing, fingerprint);
            }
        }
        let ach = db::achievements::find_achievement(&self.pool, &inst.id, &req.achievement)
            .await?
            .ok_or_else(|| {
                IssuerError::Validation(
                    ModelError::new(
                        "achievement",
                        "/achievement",
                        format!("no achievement `{}` in this institution", req.achievement),
                    )
                    .into(),
                )
            })?;
        let definition = AchievementDefinition::from_json(
            &serde_json::from_str(&ach.definition)
                .map_err(|e| IssuerError::Key(format!("stored definition: {e}")))?,
        )
        .map_err(|e| IssuerError::Key(format!("stored definition: {e}")))?;
        let issued_at = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("valid");
        let valid_until = req
            .valid_until
            .or_else(|| definition.validity_period.map(|p| p.after(issued_at)));
        let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        let status = self.allocate_status(inst, &id).await?;
        let credential = MicroCredential {
            id,
            issuer: awarding_body(inst, self.institution_did(&inst.slug))?,
            learner: req.learner.clone(),
            achievement: IssuedAchievement {
                id: HttpUrl::new("achievement", &self.achievement_url(&inst.slug, &ach.slug))?,
                version: u32::try_from(ach.version).unwrap_or(u32::MAX),
                definition,
            },
            issued: issued_at,
            valid_until,
            grade: req.grade.clone(),
            activity_start: req.activity_start,
            activity_end: req.activity_end,
            evidence: req.evidence.clone(),
            status,
        };
        let unsigned = credential.to_json();
        // Belt and braces: what we sign must pass our own schema.
        let schema_errors = microcred_core::schema::validate_credential(&unsigned);
        if !schema_errors.is_empty() {
            return Err(IssuerError::Validation(ModelErrors(schema_errors)));
        }
        let (key, vm) = self.active_key(&inst.id, &inst.slug).await?;
        let signed = proof::sign(
            &unsigned,
            &key,
            &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
        )?;
        let row = CredentialRow {
            id: credential.id.clone(),
            code: secrets::new_code(),
            institution_id: inst.id.clone(),
            achievement_id: Some(ach.id.clone()),
            achievement_version: Some(ach.version),
            learner_name: req.learner.name.clone(),
            learner_email: req.learner_email.clone(),
            idempotency_key: req.idempotency_key.clone(),
            request_hash: Some(fingerprint.to_owned()),
            document: serde_json::to_string(&signed).expect("serialisable"),
            issued_at: issued_at.unix_timestamp(),
            valid_until: valid_until.map(|t| t.unix_timestamp()),
            created_at: db::now(),
            state: "active".into(),
            state_changed_at: None,
            replaces: None,
            replaced_by: None,
        };
        let mut c = self.pool.acquire().await?;
        match db::credentials::insert_credential(&mut c, &row).await {
            Ok(()) => Ok(self.issued(&row, true)),
            Err(e) if db::is_unique_violation(&e) && req.idempotency_key.is_some() => {
                // A concurrent request with the same key won: return its credential.
                let key = req.idempotency_key.as_deref().expect("checked");
                let existing =
                    db::credentials::find_credential_by_idempotency_key(&self.pool, &inst.id, key)
                        .await?
                        .ok_or(IssuerError::Database(e))?;
                self.replay(existing, fingerprint)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn replay(
        &self,
        existing: CredentialRow,
        fingerprint: &str,
    ) -> Result<Issued, IssuerError> {
        if existing.request_hash.as_deref() == Some(fingerprint) {
            Ok(self.issued(&existing, false))
        } else {
            Err(IssuerError::Conflict(
                "this idempotency key was already used for a different request".into(),
            ))
        }
    }

    /// Issues one credential per CSV row for achievement `slug`. Every row is checked first;
    /// each row is issued in full or not at all, and reported as issued or with its errors.
    /// Rows without an idempotency key get one derived from the achievement and the learner's
    /// identifiers, so uploading the same file twice issues nothing twice.
    pub async fn issue_bulk(
        &self,
        p: &Principal,
        inst_slug: &str,
        slug: &str,
        csv_text: &str,
    ) -> Result<crate::bulk::BulkReport, IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        db::achievements::find_achievement(&self.pool, &inst.id, slug)
            .await?
            .ok_or_else(|| IssuerError::NotFound(format!("achievement `{slug}`")))?;
        let rows = crate::bulk::parse_csv(csv_text, slug)?;
        let mut report = crate::bulk::BulkReport::default();
        for row in rows {
            let line = row.line;
            let outcome = match row.request {
                Err(errors) => crate::bulk::RowOutcome::Error {
                    line,
                    errors: errors.0,
                },
                Ok(doc) => {
                    let fingerprint = doc.fingerprint();
                    match doc.parse(None, &secrets::new_salt()) {
                        Err(errors) => crate::bulk::RowOutcome::Error {
                            line,
                            errors: errors.0,
                        },
                        Ok(req) => match self.issue_parsed(&inst, req, &fingerprint).await {
                            Ok(i) => crate::bulk::RowOutcome::Issued {
                                line,
                                id: i.id,
                                code: i.code,
                                verification_url: i.verification_url,
                                created: i.created,
                            },
                            Err(IssuerError::Validation(e)) => {
                                crate::bulk::RowOutcome::Error { line, errors: e.0 }
                            }
                            Err(IssuerError::Conflict(m)) => crate::bulk::RowOutcome::Error {
                                line,
                                errors: vec![ModelError::new("idempotencyKey", "", m)],
                            },
                            Err(e) => return Err(e),
                        },
                    }
                }
            };
            report.push(outcome);
        }
        Ok(report)
    }

    /// Signs a credential given whole (W3C VC-API `POST /credentials/issue`), as the caller's
    /// institution, and stores it under a new code. Our own credentials must pass our schema.
    pub async fn issue_document(
        &self,
        p: &Principal,
        mut credential: serde_json::Value,
    ) -> Result<Issued, IssuerError> {
        let Principal::Institution { institution_id, .. } = p else {
            return Err(IssuerError::Forbidden(
                "use an institution's API token to issue".into(),
            ));
        };
        let inst = db::institutions::find_institution_by_id(&self.pool, institution_id)
            .await?
            .ok_or_else(|| IssuerError::NotFound("institution".into()))?;
        let did = self.institution_did(&inst.slug).to_string();
        let Some(obj) = credential.as_object_mut() else {
            return Err(
                ModelError::new("credential", "/credential", "must be a JSON object").into(),
            );
        };
        obj.remove("proof");
        match obj.get_mut("issuer") {
            None => {
                obj.insert("issuer".into(), did.clone().into());
            }
            Some(serde_json::Value::String(s)) if *s == did => {}
            Some(serde_json::Value::Object(o))
                if o.get("id").and_then(|v| v.as_str()) == Some(&did) => {}
            Some(_) => {
                return Err(ModelError::new(
                    "issuer",
                    "/credential/issuer",
                    format!("the issuer must be this institution ({did})"),
                )
                .into())
            }
        }
        if !obj.contains_key("id") {
            obj.insert(
                "id".into(),
                format!("urn:uuid:{}", uuid::Uuid::new_v4()).into(),
            );
        }
        if !obj.contains_key("validFrom") {
            let now = OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .expect("valid")
                .format(&time::format_description::well_known::Rfc3339)
                .expect("formats");
            obj.insert("validFrom".into(), now.into());
        }
        if microcred_core::verify::is_microcred_credential(&credential) {
            let errs = microcred_core::schema::validate_credential(&credential);
            if !errs.is_empty() {
                return Err(IssuerError::Validation(ModelErrors(
                    errs.into_iter().map(|e| e.under("/credential")).collect(),
                )));
            }
        }
        let obj = credential.as_object_mut().expect("checked above");
        let v2 = obj
            .get("@context")
            .and_then(|c| c.as_array())
            .is_some_and(|a| {
                a.first().and_then(|x| x.as_str()) == Some(microcred_core::model::CREDENTIALS_V2)
            });
        if v2 && !obj.contains_key("credentialStatus") {
            let id = obj
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let status = self.allocate_status(&inst, &id).await?;
            obj.insert(
                "credentialStatus".into(),
                serde_json::to_value(status).expect("serialisable"),
            );
        }
        let (key, vm) = self.active_key(&inst.id, &inst.slug).await?;
        let signed = proof::sign(
            &credential,
            &key,
            &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
        )?;
        let id = signed["id"].as_str().unwrap_or_default().to_owned();
        let name = signed
            .pointer("/credentialSubject/name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let row = CredentialRow {
            id: id.clone(),
            code: secrets::new_code(),
            institution_id: inst.id.clone(),
            achievement_id: None,
            achievement_version: None,
            learner_name: name,
            learner_email: None,
            idempotency_key: None,
            request_hash: None,
            document: serde_json::to_string(&signed).expect("serialisable"),
            issued_at: db::now(),
            valid_until: None,
            created_at: db::now(),
            state: "active".into(),
            state_changed_at: None,
            replaces: None,
            replaced_by: None,
        };
        let mut c = self.pool.acquire().await?;
        db::credentials::insert_credential(&mut c, &row)
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    IssuerError::Conflict(format!("a credential with id {id} already exists"))
                } else {
                    e.into()
                }
            })?;
        Ok(self.issued(&row, true))
    }

    /// An institution's credentials, newest first (at most `limit`).
    pub async fn list_credentials(
        &self,
        p: &Principal,
        inst_slug: &str,
        limit: i64,
    ) -> Result<Vec<Issued>, IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        Ok(
            db::credentials::list_credentials(&self.pool, &inst.id, limit.clamp(1, 500))
                .await?
                .iter()
                .map(|r| self.issued(r, false))
                .collect(),
        )
    }

    /// The credential with this public code (for the verifier).
    pub async fn credential_by_code(
        &self,
        code: &str,
    ) -> Result<Option<StoredCredential>, IssuerError> {
        let Some(row) = db::credentials::find_credential_by_code(&self.pool, code).await? else {
            return Ok(None);
        };
        Ok(Some(StoredCredential {
            code: row.code,
            document: serde_json::from_str(&row.document)
                .map_err(|e| IssuerError::Key(e.to_string()))?,
            state_changed_at: row.state_changed_at,
        }))
    }

    /// On an empty database, creates a demo institution with an achievement and an API token
    /// (for `cargo run`); returns the token to print, or `None` when institutions exist.
    pub async fn ensure_demo(&self) -> Result<Option<String>, IssuerError> {
        if db::institutions::count_institutions(&self.pool).await? > 0 {
            return Ok(None);
        }
        let admin = Principal::PlatformAdmin;
        let inst = crate::domain::institution::NewInstitutionDoc {
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
        self.create_institution(&admin, inst).await?;
        let def: serde_json::Value =
            serde_json::from_str(crate::DEMO_ACHIEVEMENT).expect("demo definition is JSON");
        self.create_achievement(&admin, "demo", "data-protection", &def)
            .await?;
        Ok(Some(
            self.create_institution_token(&admin, "demo", "demo registrar")
                .await?,
        ))
    }
}
