//! The one signing pipeline: check, allocate status, sign, store - in the caller's
//! transaction, so a refused or failed issue leaves no trace (no status index, no row).
//! Every entry point (single, bulk, VC-API, renewal, correction) only builds an
//! [`IssueCommand`] and calls [`issue_in`].

use microcred_core::model::{MicroCredential, ModelErrors};
use microcred_core::proof::{Cryptosuite, ProofOptions};
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::auth::Actor;
use crate::db::{self, credentials::CredentialRow, institutions::InstitutionRow};
use crate::domain::values::IdempotencyKey;
use crate::error::{IssuerError, OnUnique};
use crate::institutions::{self, keys};
use crate::lifecycle::state::CredentialState;
use crate::{secrets, status_lists, Issuer};

/// What is signed.
#[derive(Debug, Clone)]
pub enum Document {
    /// A micro-credential we build from an achievement; the issuer, id and status are set
    /// here. A failure to sign it is ours (500).
    Ours(Box<MicroCredential>),
    /// A caller's VC 2.0 document (VC-API), already checked and given our issuer object;
    /// the status entries are added here, and it is signed with the caller's choice of
    /// cryptosuite and proof options. A failure to sign it is the caller's (422).
    Callers(serde_json::Value, CallerProof),
}

/// What a VC-API caller chooses of the proof (VC-API `IssueCredentialOptions`).
#[derive(Debug, Clone)]
pub struct CallerProof {
    /// `eddsa-rdfc-2022` (default) or `eddsa-jcs-2022`.
    pub cryptosuite: Cryptosuite,
    /// The proof's `created`, when the caller gives one.
    pub created: Option<time::OffsetDateTime>,
    /// The proof's `challenge`.
    pub challenge: Option<String>,
    /// The proof's `domain`.
    pub domain: Option<String>,
}

impl Default for CallerProof {
    fn default() -> Self {
        Self {
            cryptosuite: Cryptosuite::EddsaRdfc2022,
            created: None,
            challenge: None,
            domain: None,
        }
    }
}

/// Everything needed to issue one credential.
#[derive(Debug, Clone)]
pub struct IssueCommand {
    /// What to sign.
    pub document: Document,
    /// The achievement and version it certifies (ours only).
    pub achievement: Option<(String, i64)>,
    /// The learner's name, for the institution's lists.
    pub learner_name: String,
    /// The learner's e-mail in clear, to notify them.
    pub learner_email: Option<String>,
    /// The learner's language for that message (`en`, `ro`), if known.
    pub learner_language: Option<String>,
    /// Idempotency key and request fingerprint.
    pub idempotency: Option<(IdempotencyKey, String)>,
    /// Internal key of the credential this one renews or corrects.
    pub replaces: Option<String>,
    /// Who issues.
    pub actor: Actor,
}

/// How an issue ended.
#[derive(Debug)]
pub enum Outcome {
    /// Stored.
    Issued(Box<CredentialRow>),
    /// The idempotency key is taken (by a concurrent request): the transaction must be
    /// rolled back and the first credential returned.
    KeyTaken,
}

fn now_seconds() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("valid")
}

/// Checks, allocates the status entries, signs and stores, in `c` (a transaction).
pub async fn issue_in(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cmd: IssueCommand,
) -> Result<Outcome, IssuerError> {
    let key = secrets::new_id();
    let status = status_lists::allocate(app, c, inst, &key).await?;
    let (signing_key, vm) = keys::active_key(app, c, inst).await?;
    let options = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm);
    let (signed, issued_at, valid_until) = match cmd.document {
        Document::Ours(mut mc) => {
            mc.id = secrets::new_credential_id();
            mc.issued = now_seconds();
            mc.issuer = institutions::awarding_body(app, inst)?;
            mc.status = status;
            let unsigned = mc.to_json();
            // Belt and braces: what we sign must pass our own schema.
            let errors = microcred_core::schema::validate_credential(&unsigned);
            if !errors.is_empty() {
                return Err(IssuerError::internal(
                    format!("credential {}", mc.id),
                    ModelErrors(errors),
                ));
            }
            let signed = crate::signing::sign(unsigned, signing_key.clone(), options.clone())
                .await
                .map_err(|e| IssuerError::internal(format!("credential {}", mc.id), e))?;
            (signed, mc.issued, mc.valid_until)
        }
        Document::Callers(mut doc, choice) => {
            let obj = doc
                .as_object_mut()
                .expect("checked by the VC-API entry point");
            obj.insert(
                "credentialStatus".into(),
                serde_json::to_value(status).expect("serialisable"),
            );
            let mut options =
                ProofOptions::assertion(choice.cryptosuite, options.verification_method);
            if let Some(t) = choice.created {
                options.created = t;
            }
            options.challenge = choice.challenge;
            options.domain = choice.domain;
            let signed = crate::signing::sign(doc, signing_key.clone(), options)
                .await
                .map_err(IssuerError::CannotSign)?;
            (signed, now_seconds(), None)
        }
    };
    let vc_id = signed["id"].as_str().unwrap_or_default().to_owned();
    let (idempotency_key, request_hash) = match cmd.idempotency {
        Some((k, h)) => (Some(k.as_str().to_owned()), Some(h)),
        None => (None, None),
    };
    let row = CredentialRow {
        id: key,
        vc_id: vc_id.clone(),
        code: secrets::new_code(),
        institution_id: inst.id.clone(),
        achievement_id: cmd.achievement.as_ref().map(|a| a.0.clone()),
        achievement_version: cmd.achievement.map(|a| a.1),
        learner_name: cmd.learner_name,
        learner_email: cmd.learner_email,
        idempotency_key,
        request_hash,
        document: serde_json::to_string(&signed).expect("serialisable"),
        issued_at: issued_at.unix_timestamp(),
        valid_until: valid_until.map(|t| t.unix_timestamp()),
        created_at: db::now(),
        state: CredentialState::Active.as_str().into(),
        state_changed_at: None,
        replaces: cmd.replaces,
        replaced_by: None,
        issued_by_token: cmd.actor.token_id,
        issued_by: cmd.actor.label,
        holder_epoch: 0,
    };
    match db::credentials::insert_credential(c, &row).await {
        Err(e) if db::unique_violation_on(&e, "idempotency_key") => return Ok(Outcome::KeyTaken),
        r => r.on_unique("vc_id", || {
            IssuerError::conflict(format!("a credential with id {vc_id} already exists"))
        })?,
    }
    crate::notifications::webhooks::queue(app, c, &row, "issued").await?;
    if let Some(email) = &row.learner_email {
        crate::notifications::queue_issued(c, inst, &row, email, cmd.learner_language.as_deref())
            .await?;
    }
    Ok(Outcome::Issued(Box::new(row)))
}
