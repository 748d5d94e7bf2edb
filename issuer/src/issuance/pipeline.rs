//! The one signing pipeline: check, allocate status, sign, store - in the caller's
//! transaction, so a refused or failed issue leaves no trace (no status index, no row).
//! Every entry point (single, bulk, VC-API, renewal, correction) only builds an
//! [`IssueCommand`] and calls [`issue_in`].

use microcred_core::model::{AwardingBody, MicroCredential, ModelErrors};
use microcred_core::proof::{Cryptosuite, ProofOptions};
use microcred_core::status::StatusListEntry;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::auth::Actor;
use crate::db::{self, credentials::CredentialRow, institutions::InstitutionRow};
use crate::domain::values::IdempotencyKey;
use crate::error::{IssuerError, OnUnique};
use crate::institutions::{self, keys};
use crate::lifecycle::state::CredentialState;
use crate::notifications::{AchievementNames, IssuedMessage};
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

/// An issue that has passed its checks and holds its status entries, ready to be signed:
/// signing needs no connection, so many can be signed at once ([`sign_all`]).
#[derive(Debug)]
pub struct Prepared {
    key: String,
    unsigned: Unsigned,
    signing_key: microcred_core::keys::KeyPair,
    options: ProofOptions,
    /// Whether a failure to sign is the caller's (a VC-API document) rather than ours.
    callers: bool,
    issued_at: OffsetDateTime,
    valid_until: Option<OffsetDateTime>,
    rest: Rest,
}

/// The document to sign, as prepared: ours is written out as JSON and checked against our
/// schema on the signing pool, off the transaction's path.
#[derive(Debug)]
enum Unsigned {
    Ours(Box<MicroCredential>),
    Callers(serde_json::Value),
}

/// The parts of the command that only [`store`] needs.
#[derive(Debug)]
struct Rest {
    achievement: Option<(String, i64)>,
    learner_name: String,
    learner_email: Option<String>,
    learner_language: Option<String>,
    idempotency: Option<(IdempotencyKey, String)>,
    replaces: Option<String>,
    actor: Actor,
}

/// A prepared issue with its proof, ready to be stored.
#[derive(Debug)]
pub struct Signed {
    key: String,
    vc_id: String,
    /// The signed credential as stored.
    document: String,
    /// Its achievement's names, for the learner's message.
    names: AchievementNames,
    issued_at: OffsetDateTime,
    valid_until: Option<OffsetDateTime>,
    rest: Rest,
}

impl Signed {
    /// The credential's internal key.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Checks, allocates the status entries, signs and stores, in `c` (a transaction).
pub async fn issue_in(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cmd: IssueCommand,
) -> Result<Outcome, IssuerError> {
    let prepared = prepare(app, c, inst, cmd).await?;
    let signed = sign(prepared).await?;
    store(app, c, inst, signed).await
}

/// Step 1, in the transaction: the credential's internal key, its status entries, its id and
/// date, checked against our own schema; the institution's active key to sign it with.
pub async fn prepare(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cmd: IssueCommand,
) -> Result<Prepared, IssuerError> {
    let signer = keys::active_key(app, c, inst).await?;
    let mut all = prepare_all_signed_by(app, c, inst, vec![cmd], signer).await?;
    Ok(all.pop().expect("one per command"))
}

/// [`prepare`] for many commands of one institution (a group, a batch), with its active key and
/// verification method already read (once for all): their status entries are allocated
/// together ([`status_lists::allocate_many`]). All or nothing: an error concerns them all, and
/// nothing was allocated when it is a refusal of the institution's data.
pub async fn prepare_all_signed_by(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cmds: Vec<IssueCommand>,
    (signing_key, vm): (microcred_core::keys::KeyPair, String),
) -> Result<Vec<Prepared>, IssuerError> {
    let issuer = issuer_for(app, inst, &cmds)?;
    let keys: Vec<String> = cmds.iter().map(|_| secrets::new_id()).collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let statuses = status_lists::allocate_many(app, c, inst, &key_refs).await?;
    cmds.into_iter()
        .zip(keys)
        .zip(statuses)
        .map(|((cmd, key), status)| ready(issuer.as_ref(), cmd, key, status, &signing_key, &vm))
        .collect()
}

/// [`prepare`] of a single issue whose status entries were picked ahead
/// ([`status_lists::picks`]): no transaction is needed; the picks are claimed when it is
/// stored. `key` is the credential's internal key, which the claims name.
pub fn prepare_picked(
    app: &Issuer,
    inst: &InstitutionRow,
    cmd: IssueCommand,
    (signing_key, vm): (microcred_core::keys::KeyPair, String),
    key: String,
    picks: &[status_lists::picks::Pick],
) -> Result<Prepared, IssuerError> {
    let issuer = issuer_for(app, inst, std::slice::from_ref(&cmd))?;
    let status = picks.iter().map(|p| p.entry.clone()).collect();
    ready(issuer.as_ref(), cmd, key, status, &signing_key, &vm)
}

/// The institution as our documents name their issuer, read when any of `cmds` is ours.
fn issuer_for(
    app: &Issuer,
    inst: &InstitutionRow,
    cmds: &[IssueCommand],
) -> Result<Option<AwardingBody>, IssuerError> {
    if cmds.iter().any(|c| matches!(c.document, Document::Ours(_))) {
        Ok(Some(institutions::awarding_body(app, inst)?))
    } else {
        Ok(None)
    }
}

/// One command made ready to sign, with its internal key and status entries.
fn ready(
    issuer: Option<&AwardingBody>,
    cmd: IssueCommand,
    key: String,
    status: Vec<StatusListEntry>,
    signing_key: &microcred_core::keys::KeyPair,
    vm: &str,
) -> Result<Prepared, IssuerError> {
    let rest = Rest {
        achievement: cmd.achievement,
        learner_name: cmd.learner_name,
        learner_email: cmd.learner_email,
        learner_language: cmd.learner_language,
        idempotency: cmd.idempotency,
        replaces: cmd.replaces,
        actor: cmd.actor,
    };
    match cmd.document {
        Document::Ours(mut mc) => {
            mc.id = secrets::new_credential_id();
            mc.issued = now_seconds();
            mc.issuer = issuer.cloned().expect("read for our documents");
            mc.status = status;
            Ok(Prepared {
                key,
                issued_at: mc.issued,
                valid_until: mc.valid_until,
                unsigned: Unsigned::Ours(mc),
                signing_key: signing_key.clone(),
                options: ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm.to_owned()),
                callers: false,
                rest,
            })
        }
        Document::Callers(mut doc, choice) => {
            let obj = doc
                .as_object_mut()
                .expect("checked by the VC-API entry point");
            obj.insert(
                "credentialStatus".into(),
                serde_json::to_value(status).expect("serialisable"),
            );
            let mut options = ProofOptions::assertion(choice.cryptosuite, vm.to_owned());
            if let Some(t) = choice.created {
                options.created = t;
            }
            options.challenge = choice.challenge;
            options.domain = choice.domain;
            Ok(Prepared {
                key,
                unsigned: Unsigned::Callers(doc),
                signing_key: signing_key.clone(),
                options,
                callers: true,
                issued_at: now_seconds(),
                valid_until: None,
                rest,
            })
        }
    }
}

/// Step 2, outside any connection, on the signing pool: our document written out and checked
/// against our own schema (belt and braces: what we sign must pass it), then the proof.
pub async fn sign(p: Prepared) -> Result<Signed, IssuerError> {
    let Prepared {
        key,
        unsigned,
        signing_key,
        options,
        callers,
        issued_at,
        valid_until,
        rest,
    } = p;
    let (vc_id, document, names) = crate::signing::on_pool(move || {
        let doc = match unsigned {
            Unsigned::Ours(mc) => {
                let doc = mc.to_json();
                let errors = microcred_core::schema::validate_credential(&doc);
                if !errors.is_empty() {
                    return Err(IssuerError::internal(
                        format!("credential {}", mc.id),
                        ModelErrors(errors),
                    ));
                }
                doc
            }
            Unsigned::Callers(doc) => doc,
        };
        let what = doc["id"].as_str().unwrap_or_default().to_owned();
        match microcred_core::proof::sign(&doc, &signing_key, &options) {
            Ok(signed) => Ok((
                what,
                serde_json::to_string(&signed).expect("serialisable"),
                AchievementNames::of(&doc),
            )),
            Err(e) if callers => Err(IssuerError::CannotSign(e)),
            Err(e) => Err(IssuerError::internal(format!("credential {what}"), e)),
        }
    })
    .await?;
    Ok(Signed {
        key,
        vc_id,
        document,
        names,
        issued_at,
        valid_until,
        rest,
    })
}

/// Step 2 for many: every prepared issue signed at once (the signing pool runs one per CPU),
/// in the order given.
pub async fn sign_all(prepared: Vec<Prepared>) -> Vec<Result<Signed, IssuerError>> {
    futures::future::join_all(prepared.into_iter().map(sign)).await
}

/// How storing ended.
#[derive(Debug)]
pub enum StoredAll {
    /// Every row stored, in the order given.
    Issued(Vec<CredentialRow>),
    /// An idempotency key is already stored (by a concurrent request): the transaction must be
    /// rolled back.
    KeyTaken,
}

/// Step 3, in the transaction: the credential row, its webhook and the learner's e-mail.
/// [`Outcome::KeyTaken`] when its idempotency key is already stored (the transaction must then
/// be rolled back).
pub async fn store(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    s: Signed,
) -> Result<Outcome, IssuerError> {
    Ok(match store_all(app, c, inst, vec![s]).await? {
        StoredAll::Issued(mut rows) => Outcome::Issued(Box::new(rows.pop().expect("one"))),
        StoredAll::KeyTaken => Outcome::KeyTaken,
    })
}

/// [`store`] for many credentials of one institution (a group, a batch): the rows, their
/// webhooks and their e-mails each written by one statement for all.
pub async fn store_all(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    signed: Vec<Signed>,
) -> Result<StoredAll, IssuerError> {
    let created_at = db::now();
    let mut extra = Vec::with_capacity(signed.len());
    let rows: Vec<CredentialRow> = signed
        .into_iter()
        .map(|s| {
            let Signed {
                key,
                vc_id,
                document,
                names,
                issued_at,
                valid_until,
                rest: cmd,
            } = s;
            let (idempotency_key, request_hash) = match cmd.idempotency {
                Some((k, h)) => (Some(k.as_str().to_owned()), Some(h)),
                None => (None, None),
            };
            extra.push((names, cmd.learner_language));
            CredentialRow {
                id: key,
                vc_id,
                code: secrets::new_code(),
                institution_id: inst.id.clone(),
                achievement_id: cmd.achievement.as_ref().map(|a| a.0.clone()),
                achievement_version: cmd.achievement.map(|a| a.1),
                learner_name: cmd.learner_name,
                learner_email: cmd.learner_email,
                idempotency_key,
                request_hash,
                document,
                issued_at: issued_at.unix_timestamp(),
                valid_until: valid_until.map(|t| t.unix_timestamp()),
                created_at,
                state: CredentialState::Active.as_str().into(),
                state_changed_at: None,
                replaces: cmd.replaces,
                replaced_by: None,
                issued_by_token: cmd.actor.token_id,
                issued_by: cmd.actor.label,
                holder_epoch: 0,
            }
        })
        .collect();
    match db::credentials::insert_credentials(c, &rows).await {
        Err(e) if db::unique_violation_on(&e, "idempotency_key") => return Ok(StoredAll::KeyTaken),
        r => r.on_unique("vc_id", || match rows.as_slice() {
            [one] => {
                IssuerError::conflict(format!("a credential with id {} already exists", one.vc_id))
            }
            _ => IssuerError::conflict("a credential with one of these ids already exists"),
        })?,
    }
    let refs: Vec<&CredentialRow> = rows.iter().collect();
    crate::notifications::webhooks::queue_all(app, c, &inst.id, &refs, "issued").await?;
    let messages: Vec<IssuedMessage<'_>> = rows
        .iter()
        .zip(&extra)
        .filter_map(|(cred, (names, language))| {
            cred.learner_email.as_deref().map(|email| IssuedMessage {
                cred,
                email,
                language: language.as_deref(),
                names,
            })
        })
        .collect();
    if !messages.is_empty() {
        crate::notifications::queue_issued_all(c, inst, &messages).await?;
    }
    Ok(StoredAll::Issued(rows))
}
