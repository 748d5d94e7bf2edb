//! A credential's life after issuing (W3C Bitstring Status List v1.0): revocation (final),
//! suspension and its lifting, renewal (a new credential linked to the old one) and correction
//! (a new credential with the fix; the old one revoked as superseded - the right to
//! rectification). Also the institution's status lists: random index allocation, publication
//! and re-signing.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use microcred_core::model::{MicroCredential, ModelError};
use microcred_core::proof::{self, Cryptosuite, ProofOptions};
use microcred_core::status::{status_list_credential, Bitstring, StatusListEntry, StatusPurpose};
use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::db::{
    self, credentials::CredentialRow, institutions::InstitutionRow, status_lists::StatusListRow,
};
use crate::domain::issuance::parse_date_or_datetime;
use crate::error::IssuerError;
use crate::secrets;
use crate::service::{new_id, Issued, Issuer, Principal};

/// Bits per status list (the specification's minimum, 16 KiB).
pub const LIST_SIZE: i64 = 131_072;
/// A list counts as full at 90 % so that random picks stay quick.
const FULL_AT: i64 = LIST_SIZE / 10 * 9;
/// Verifiers may cache a list this long (`ttl`, and `Cache-Control: max-age`): a withdrawal is
/// visible everywhere within a minute.
pub const LIST_TTL_SECONDS: u64 = 60;

/// One status change: which list, which bit value, and the credential's state transition.
struct Change<'a> {
    purpose: StatusPurpose,
    bit: bool,
    from: &'a str,
    to: &'a str,
    reason: &'a str,
}

/// A status change request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    /// Why (kept for the audit trail; never shown publicly).
    pub reason: String,
}

/// A credential's state as the institution sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialStateView {
    /// Public code.
    pub code: String,
    /// Credential id.
    pub id: String,
    /// `active`, `suspended` or `revoked`.
    pub state: String,
    /// When the state last changed (Unix seconds).
    pub state_changed_at: Option<i64>,
    /// The credential this one renews or corrects.
    pub replaces: Option<String>,
    /// The credential that corrected this one.
    pub replaced_by: Option<String>,
    /// Every change, with its reason.
    pub events: Vec<db::credential_events::CredentialEventRow>,
}

/// What a correction changes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorrectionRequest {
    /// Why (kept for the audit trail).
    pub reason: String,
    /// The learner's corrected name.
    #[serde(default)]
    pub learner_name: Option<String>,
    /// The corrected grade.
    #[serde(default)]
    pub grade: Option<String>,
    /// The corrected start of learning (RFC 3339 or YYYY-MM-DD).
    #[serde(default)]
    pub activity_start_date: Option<String>,
    /// The corrected end of learning (RFC 3339 or YYYY-MM-DD).
    #[serde(default)]
    pub activity_end_date: Option<String>,
}

/// A renewal request.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenewalRequest {
    /// End of validity of the new credential; default: the achievement's validity period.
    #[serde(default)]
    pub valid_until: Option<String>,
}

fn check_reason(reason: &str) -> Result<String, IssuerError> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 500 {
        return Err(
            ModelError::new("reason", "/reason", "give a reason of 1-500 characters").into(),
        );
    }
    Ok(r.to_owned())
}

fn actor(p: &Principal) -> String {
    match p {
        Principal::PlatformAdmin => "platform administrator".into(),
        Principal::Institution { role, .. } => format!("institution {role}"),
    }
}

impl Issuer {
    /// The public URL of a status list.
    pub fn status_list_url(&self, inst_slug: &str, purpose: StatusPurpose, number: i64) -> String {
        format!(
            "{}/status/{inst_slug}/{}/{number}",
            self.config.public_url,
            purpose.name()
        )
    }

    async fn sign_list(
        &self,
        inst: &InstitutionRow,
        purpose: StatusPurpose,
        number: i64,
        bits: &Bitstring,
    ) -> Result<String, IssuerError> {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("valid")
            .format(&time::format_description::well_known::Rfc3339)
            .expect("formats");
        let doc = status_list_credential(
            &self.status_list_url(&inst.slug, purpose, number),
            &self.institution_did(&inst.slug),
            purpose,
            bits,
            &now,
            LIST_TTL_SECONDS * 1000,
        );
        let (key, vm) = self.active_key(&inst.id, &inst.slug).await?;
        let signed = proof::sign(
            &doc,
            &key,
            &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
        )?;
        Ok(serde_json::to_string(&signed).expect("serialisable"))
    }

    /// The list to allocate from, creating the next one when the newest is full.
    async fn open_list(
        &self,
        inst: &InstitutionRow,
        purpose: StatusPurpose,
    ) -> Result<StatusListRow, IssuerError> {
        for _ in 0..5 {
            let latest =
                db::status_lists::find_latest_status_list(&self.pool, &inst.id, purpose.name())
                    .await?;
            let number = match &latest {
                Some(l) if l.allocated < FULL_AT => return Ok(l.clone()),
                Some(l) => l.list_number + 1,
                None => 1,
            };
            let bits = Bitstring::new(LIST_SIZE as usize);
            let row = StatusListRow {
                id: new_id(),
                institution_id: inst.id.clone(),
                purpose: purpose.name().into(),
                list_number: number,
                size: LIST_SIZE,
                allocated: 0,
                bits: STANDARD.encode(bits.as_bytes()),
                version: 1,
                document: self.sign_list(inst, purpose, number, &bits).await?,
                updated_at: db::now(),
            };
            // Another instance may create the same number at the same time: one wins, and
            // both then use it.
            db::status_lists::insert_status_list(&self.pool, &row).await?;
        }
        Err(IssuerError::Conflict(
            "could not open a status list; retry".into(),
        ))
    }

    /// Allocates a random, never-used index in a revocation list and in a suspension list.
    pub(crate) async fn allocate_status(
        &self,
        inst: &InstitutionRow,
        credential_id: &str,
    ) -> Result<Vec<StatusListEntry>, IssuerError> {
        let mut out = Vec::new();
        for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
            'lists: loop {
                let list = self.open_list(inst, purpose).await?;
                for _ in 0..64 {
                    let idx = rand::rngs::OsRng.gen_range(0..list.size);
                    if db::status_allocations::insert_status_allocation(
                        &self.pool,
                        &list.id,
                        idx,
                        credential_id,
                    )
                    .await?
                    {
                        db::status_lists::increment_allocated(&self.pool, &list.id).await?;
                        out.push(StatusListEntry::new(
                            &self.status_list_url(&inst.slug, purpose, list.list_number),
                            purpose,
                            idx as u64,
                        ));
                        break 'lists;
                    }
                }
                // 64 collisions in a row: the list is nearly full; move on to a new one.
                db::status_lists::fill_status_list(&self.pool, &list.id).await?;
            }
        }
        Ok(out)
    }

    /// The signed status list credential and its version (for `ETag`).
    pub async fn status_list_document(
        &self,
        inst_slug: &str,
        purpose: &str,
        number: i64,
    ) -> Result<Option<(serde_json::Value, String)>, IssuerError> {
        let Some(inst) = db::institutions::find_institution_by_slug(&self.pool, inst_slug).await?
        else {
            return Ok(None);
        };
        let Some(row) =
            db::status_lists::find_status_list(&self.pool, &inst.id, purpose, number).await?
        else {
            return Ok(None);
        };
        let doc =
            serde_json::from_str(&row.document).map_err(|e| IssuerError::Key(e.to_string()))?;
        Ok(Some((doc, format!("\"{}-{}\"", row.id, row.version))))
    }

    /// The list credential at one of our own URLs (local resolution for the verifier).
    pub async fn own_status_list(
        &self,
        url: &str,
    ) -> Result<Option<serde_json::Value>, IssuerError> {
        let Some(rest) = url.strip_prefix(&format!("{}/status/", self.config.public_url)) else {
            return Ok(None);
        };
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [slug, purpose, n] => match n.parse::<i64>() {
                Ok(n) => Ok(self
                    .status_list_document(slug, purpose, n)
                    .await?
                    .map(|(d, _)| d)),
                Err(_) => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// Sets one bit of a credential's list for `purpose`, re-signing the list; in the same
    /// transaction, moves the credential from `from` to `to` and records the event (and a
    /// notification for the learner).
    async fn change_status(
        &self,
        p: &Principal,
        inst: &InstitutionRow,
        cred: &CredentialRow,
        change: Change<'_>,
    ) -> Result<(), IssuerError> {
        let Change {
            purpose,
            bit,
            from,
            to,
            reason,
        } = change;
        let allocations =
            db::status_allocations::list_status_allocations(&self.pool, &cred.id).await?;
        let mut target = None;
        for (list_id, idx) in allocations {
            if let Some(l) = db::status_lists::find_status_list_by_id(&self.pool, &list_id).await? {
                if l.purpose == purpose.name() {
                    target = Some((l, idx));
                }
            }
        }
        let Some((_, idx)) = target.clone() else {
            return Err(IssuerError::Conflict(format!(
                "this credential has no {} status list entry",
                purpose.name()
            )));
        };
        let list_id = target.expect("checked").0.id;
        for _ in 0..10 {
            let list = db::status_lists::find_status_list_by_id(&self.pool, &list_id)
                .await?
                .ok_or_else(|| IssuerError::Key("status list vanished".into()))?;
            let raw = STANDARD
                .decode(&list.bits)
                .map_err(|e| IssuerError::Key(e.to_string()))?;
            let mut bits =
                Bitstring::from_bytes(raw).map_err(|e| IssuerError::Key(e.to_string()))?;
            bits.set(idx as usize, bit);
            let document = self
                .sign_list(inst, purpose, list.list_number, &bits)
                .await?;
            let now = db::now();
            let mut tx = self.pool.begin().await?;
            if !db::status_lists::update_status_list(
                &mut tx,
                &list.id,
                list.version,
                &STANDARD.encode(bits.as_bytes()),
                &document,
                now,
            )
            .await?
            {
                continue; // another change landed first: re-read and retry
            }
            if !db::credentials::update_credential_state(&mut tx, &cred.id, from, to, now).await? {
                return Err(IssuerError::Conflict(format!(
                    "the credential is not {from} (it is {})",
                    cred.state
                )));
            }
            db::credential_events::insert_credential_event(
                &mut tx,
                &db::credential_events::CredentialEventRow {
                    id: new_id(),
                    credential_id: cred.id.clone(),
                    action: to.to_owned(),
                    reason: reason.to_owned(),
                    actor: actor(p),
                    at: now,
                },
            )
            .await?;
            if let Some(email) = &cred.learner_email {
                let payload = serde_json::json!({
                    "credentialId": cred.id, "code": cred.code, "state": to,
                    "verificationUrl": format!("{}/v/{}", self.config.public_url, cred.code)
                });
                db::notifications::insert_notification(
                    &mut tx,
                    &new_id(),
                    &inst.id,
                    email,
                    &format!("credential_{to}"),
                    &payload.to_string(),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            return Ok(());
        }
        Err(IssuerError::Conflict(
            "the status list is being changed by others; retry".into(),
        ))
    }

    async fn credential_for(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
    ) -> Result<(InstitutionRow, CredentialRow), IssuerError> {
        let inst = self.institution_for(p, inst_slug).await?;
        let cred = db::credentials::find_institution_credential(&self.pool, &inst.id, code)
            .await?
            .ok_or_else(|| IssuerError::NotFound(format!("credential `{code}`")))?;
        Ok((inst, cred))
    }

    /// The state and history of a credential.
    pub async fn credential_state(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
    ) -> Result<CredentialStateView, IssuerError> {
        let (_, c) = self.credential_for(p, inst_slug, code).await?;
        Ok(CredentialStateView {
            events: db::credential_events::list_credential_events(&self.pool, &c.id).await?,
            code: c.code,
            id: c.id,
            state: c.state,
            state_changed_at: c.state_changed_at,
            replaces: c.replaces,
            replaced_by: c.replaced_by,
        })
    }

    /// Checks the reason, finds the credential, applies the transition the credential's
    /// current state allows (`transition` refuses it with an error), and returns the state.
    async fn transition(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
        reason: &str,
        transition: impl FnOnce(&str) -> Result<(StatusPurpose, bool, &'static str), IssuerError>,
    ) -> Result<CredentialStateView, IssuerError> {
        let reason = check_reason(reason)?;
        let (inst, cred) = self.credential_for(p, inst_slug, code).await?;
        let (purpose, bit, to) = transition(&cred.state)?;
        let from = cred.state.clone();
        self.change_status(
            p,
            &inst,
            &cred,
            Change {
                purpose,
                bit,
                from: &from,
                to,
                reason: &reason,
            },
        )
        .await?;
        self.credential_state(p, inst_slug, code).await
    }

    /// Revokes a credential (final).
    pub async fn revoke(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
        reason: &str,
    ) -> Result<CredentialStateView, IssuerError> {
        self.transition(p, inst_slug, code, reason, |state| match state {
            "revoked" => Err(IssuerError::Conflict(
                "the credential is already revoked".into(),
            )),
            _ => Ok((StatusPurpose::Revocation, true, "revoked")),
        })
        .await
    }

    /// Suspends an active credential.
    pub async fn suspend(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
        reason: &str,
    ) -> Result<CredentialStateView, IssuerError> {
        self.transition(p, inst_slug, code, reason, |state| match state {
            "active" => Ok((StatusPurpose::Suspension, true, "suspended")),
            other => Err(IssuerError::Conflict(format!(
                "only an active credential can be suspended (this one is {other})"
            ))),
        })
        .await
    }

    /// Lifts a suspension.
    pub async fn unsuspend(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
        reason: &str,
    ) -> Result<CredentialStateView, IssuerError> {
        self.transition(p, inst_slug, code, reason, |state| match state {
            "suspended" => Ok((StatusPurpose::Suspension, false, "active")),
            other => Err(IssuerError::Conflict(format!(
                "only a suspended credential can be reinstated (this one is {other})"
            ))),
        })
        .await
    }

    /// Issues a new credential from an old one (new id, code, dates and status entries).
    async fn reissue(
        &self,
        inst: &InstitutionRow,
        old: &CredentialRow,
        mut c: MicroCredential,
        replaces: &str,
    ) -> Result<Issued, IssuerError> {
        c.id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        c.issued = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("valid");
        c.status = self.allocate_status(inst, &c.id).await?;
        let unsigned = c.to_json();
        let errs = microcred_core::schema::validate_credential(&unsigned);
        if !errs.is_empty() {
            return Err(IssuerError::Validation(microcred_core::model::ModelErrors(
                errs,
            )));
        }
        let (key, vm) = self.active_key(&inst.id, &inst.slug).await?;
        let signed = proof::sign(
            &unsigned,
            &key,
            &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
        )?;
        let row = CredentialRow {
            id: c.id.clone(),
            code: secrets::new_code(),
            institution_id: inst.id.clone(),
            achievement_id: old.achievement_id.clone(),
            achievement_version: Some(i64::from(c.achievement.version)),
            learner_name: c.learner.name.clone(),
            learner_email: old.learner_email.clone(),
            idempotency_key: None,
            request_hash: None,
            document: serde_json::to_string(&signed).expect("serialisable"),
            issued_at: c.issued.unix_timestamp(),
            valid_until: c.valid_until.map(|t| t.unix_timestamp()),
            created_at: db::now(),
            state: "active".into(),
            state_changed_at: None,
            replaces: Some(replaces.to_owned()),
            replaced_by: None,
        };
        let mut conn = self.pool.acquire().await?;
        db::credentials::insert_credential(&mut conn, &row).await?;
        Ok(self.issued(&row, true))
    }

    fn parse_old(old: &CredentialRow) -> Result<MicroCredential, IssuerError> {
        let doc: serde_json::Value =
            serde_json::from_str(&old.document).map_err(|e| IssuerError::Key(e.to_string()))?;
        MicroCredential::from_json(&doc).map_err(|e| {
            IssuerError::Conflict(format!(
                "this credential is not a microcred micro-credential and cannot be re-issued: {e}"
            ))
        })
    }

    /// Renews a credential: a new one for the same learner and achievement (at its current
    /// version), valid from now, linked to the old one (which is left as it is).
    pub async fn renew(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
        req: RenewalRequest,
    ) -> Result<Issued, IssuerError> {
        let (inst, old) = self.credential_for(p, inst_slug, code).await?;
        if old.state == "revoked" {
            return Err(IssuerError::Conflict(
                "a revoked credential cannot be renewed".into(),
            ));
        }
        let mut c = Self::parse_old(&old)?;
        if let Some(aid) = &old.achievement_id {
            // Renewal re-certifies against the achievement as it is now.
            if let Some(cur) =
                db::achievements::find_current_achievement_by_id(&self.pool, aid).await?
            {
                let def = serde_json::from_str(&cur.definition)
                    .map_err(|e| IssuerError::Key(e.to_string()))?;
                c.achievement.definition =
                    microcred_core::model::AchievementDefinition::from_json(&def)
                        .map_err(|e| IssuerError::Key(e.to_string()))?;
                c.achievement.version = u32::try_from(cur.version).unwrap_or(u32::MAX);
            }
        }
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("valid");
        c.valid_until = match req.valid_until {
            Some(v) => {
                let t = parse_date_or_datetime("validUntil", "/validUntil", &v)?;
                if t <= now {
                    return Err(ModelError::new(
                        "validUntil",
                        "/validUntil",
                        "must be in the future",
                    )
                    .into());
                }
                Some(t)
            }
            None => c
                .achievement
                .definition
                .validity_period
                .map(|p| p.after(now)),
        };
        self.reissue(&inst, &old, c, &old.id).await
    }

    /// Corrects a credential: issues a new one with the fix and revokes the old one as
    /// superseded, pointing to the new one.
    pub async fn correct(
        &self,
        p: &Principal,
        inst_slug: &str,
        code: &str,
        req: CorrectionRequest,
    ) -> Result<Issued, IssuerError> {
        let reason = check_reason(&req.reason)?;
        let (inst, old) = self.credential_for(p, inst_slug, code).await?;
        if old.state == "revoked" {
            return Err(IssuerError::Conflict(
                "a revoked credential cannot be corrected".into(),
            ));
        }
        let mut c = Self::parse_old(&old)?;
        let mut changed = false;
        if let Some(n) = req.learner_name {
            let n = n.trim().to_owned();
            if n.is_empty() || n.chars().count() > 200 {
                return Err(ModelError::new(
                    "learnerName",
                    "/learnerName",
                    "give a name of 1-200 characters",
                )
                .into());
            }
            c.learner.name = n;
            changed = true;
        }
        if let Some(g) = req.grade {
            c.grade = Some(g.trim().to_owned()).filter(|g| !g.is_empty());
            changed = true;
        }
        if let Some(d) = req.activity_start_date {
            c.activity_start = Some(parse_date_or_datetime(
                "activityStartDate",
                "/activityStartDate",
                &d,
            )?);
            changed = true;
        }
        if let Some(d) = req.activity_end_date {
            c.activity_end = Some(parse_date_or_datetime(
                "activityEndDate",
                "/activityEndDate",
                &d,
            )?);
            changed = true;
        }
        if !changed {
            return Err(ModelError::new(
                "correction",
                "",
                "give at least one of learnerName, grade, activityStartDate, activityEndDate",
            )
            .into());
        }
        let new = self.reissue(&inst, &old, c, &old.id).await?;
        let from = old.state.clone();
        self.change_status(
            p,
            &inst,
            &old,
            Change {
                purpose: StatusPurpose::Revocation,
                bit: true,
                from: &from,
                to: "revoked",
                reason: &format!("superseded by {}: {reason}", new.id),
            },
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        db::credentials::update_credential_replaced_by(&mut conn, &old.id, &new.id).await?;
        Ok(new)
    }
}
