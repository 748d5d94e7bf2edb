//! The inbox worker: claims due items with a lease, reads the learner's record through the
//! web services, evaluates each mapped achievement's earning rules, and issues through the one
//! signing pipeline. An item is marked done only after every outcome is stored; a Moodle
//! failure is recorded on the item and retried with back-off, then marked failed (it can be
//! retried by hand).
//!
//! Exactly once: the credential's idempotency key is `moodle:{connection}:{achievement}:{user}`
//! (plus the completion time when the achievement allows repeats), unique per institution in
//! the database. A retry after a crash, a duplicate event, a poll and an event for the same
//! completion, or two instances racing all meet that key: one credential is stored, the others
//! record "already issued".

use microcred_core::model::{Completion, IdentityType, Learner, LearnerIdentity};

use super::connections::rules_of;
use super::moodle::MoodleError;
use super::record::{self, Needs};
use crate::auth::Actor;
use crate::db::{
    self, achievements::AchievementRow, evaluations::NewEvaluation,
    moodle_connections::MoodleConnectionRow, trigger_inbox::InboxRow,
};
use crate::domain::values::IdempotencyKey;
use crate::error::IssuerError;
use crate::issuance::pipeline::{self, Document, IssueCommand, Outcome};
use crate::issuance::{compose, Award};
use crate::{backoff, secrets, Issuer};

/// How many items one pass claims.
const BATCH: i64 = 32;

/// Why an item could not be processed now.
#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    /// Moodle could not answer (retried).
    #[error(transparent)]
    Moodle(#[from] MoodleError),
    /// Our side failed (retried).
    #[error(transparent)]
    Issuer(#[from] IssuerError),
}

impl From<sqlx::Error> for ItemError {
    fn from(e: sqlx::Error) -> Self {
        Self::Issuer(e.into())
    }
}

/// Processes the items that are due; how many were processed (done or failed).
pub async fn run_due(app: &Issuer) -> Result<usize, IssuerError> {
    let now = db::now();
    let ids = {
        let mut c = app.db.read().await?;
        db::trigger_inbox::list_due_inbox_items(&mut c, now, BATCH).await?
    };
    let mut processed = 0;
    for id in ids {
        if process_by_id(app, &id).await? {
            processed += 1;
        }
    }
    Ok(processed)
}

/// Claims and processes one item; false if another worker has it.
pub async fn process_by_id(app: &Issuer, id: &str) -> Result<bool, IssuerError> {
    let now = db::now();
    let lease = i64::try_from(app.triggers.lease.as_secs()).unwrap_or(120);
    let item = {
        let mut c = app.db.read().await?;
        db::trigger_inbox::claim_inbox_item(&mut c, id, now, now + lease).await?
    };
    let Some(item) = item else { return Ok(false) };
    match process(app, &item).await {
        Ok(()) => {
            let mut c = app.db.read().await?;
            db::trigger_inbox::finish_inbox_item(&mut c, &item.id, db::now()).await?;
        }
        Err(e) => {
            let message = e.to_string();
            let next = (item.attempts < app.triggers.max_attempts).then(|| {
                let base = i64::try_from(app.triggers.retry_base.as_secs()).unwrap_or(30);
                db::now() + backoff::delay(item.attempts, base.max(1), 3600)
            });
            tracing::warn!(item = %item.id, attempt = item.attempts, error = %message, retry = next.is_some(), "trigger item failed");
            let mut c = app.db.read().await?;
            db::trigger_inbox::fail_inbox_item(&mut c, &item.id, &message, next, db::now()).await?;
        }
    }
    Ok(true)
}

fn idempotency_key(
    conn: &MoodleConnectionRow,
    ach: &AchievementRow,
    user: i64,
    repeat_at: Option<i64>,
) -> IdempotencyKey {
    let key = match repeat_at {
        Some(t) => format!("moodle:{}:{}:{user}:{t}", conn.id, ach.id),
        None => format!("moodle:{}:{}:{user}", conn.id, ach.id),
    };
    IdempotencyKey::parse(&key).expect("ids are short and printable")
}

async fn process(app: &Issuer, item: &InboxRow) -> Result<(), ItemError> {
    let (inst, conn, mapped) = {
        let mut c = app.db.read().await?;
        let conn = db::moodle_connections::find_moodle_connection(&mut c, &item.connection_id)
            .await?
            .ok_or_else(|| {
                IssuerError::not_found(format!("Moodle connection {}", item.connection_id))
            })?;
        let inst = db::institutions::find_institution(&mut c, &conn.institution_id)
            .await?
            .ok_or_else(|| {
                IssuerError::not_found(format!("institution {}", conn.institution_id))
            })?;
        let mapped =
            db::moodle_courses::list_moodle_courses_of(&mut c, &conn.id, item.course_id).await?;
        let mut achs = Vec::new();
        for m in mapped {
            if let Some(a) =
                db::achievements::find_current_achievement_by_id(&mut c, &m.achievement_id).await?
            {
                achs.push(a);
            }
        }
        (inst, conn, achs)
    };
    let mut work = Vec::new();
    let mut needs = Needs::default();
    for ach in mapped {
        if let Some(rules) = rules_of(&ach)? {
            needs.add(&rules);
            work.push((ach, rules));
        }
    }
    if work.is_empty() {
        return Ok(());
    }
    let client = super::client_of(app, &conn)?;
    let user = client.user(item.moodle_user_id).await?;
    let Some(user) = user else {
        for (ach, _) in &work {
            record_evaluation(
                app,
                item,
                &conn,
                ach,
                None,
                "not_met",
                &[format!(
                    "Moodle has no user {} visible to the token's user",
                    item.moodle_user_id
                )],
                None,
            )
            .await?;
        }
        return Ok(());
    };
    let record = record::read(&client, item.course_id, user.id, user.auth.clone(), &needs).await?;
    let name = user.name();
    for (ach, rules) in work {
        let evaluation = rules.evaluate(&record);
        if !evaluation.earned {
            record_evaluation(
                app,
                item,
                &conn,
                &ach,
                Some(&name),
                "not_met",
                &evaluation.reasons,
                None,
            )
            .await?;
            continue;
        }
        if user.suspended == Some(true) {
            let mut reasons = evaluation.reasons.clone();
            reasons.push("the learner's Moodle account is suspended".into());
            record_evaluation(
                app,
                item,
                &conn,
                &ach,
                Some(&name),
                "not_met",
                &reasons,
                None,
            )
            .await?;
            continue;
        }
        let repeat_at = rules.allow_repeats().then(|| match &record.completion {
            Completion::Completed(at) => at.unix_timestamp(),
            _ => db::now(),
        });
        let key = idempotency_key(&conn, &ach, user.id, repeat_at);
        let salt = secrets::new_salt();
        let mut identities = vec![LearnerIdentity::hashed(
            IdentityType::Other,
            &format!("{}/user/profile.php?id={}", conn.site_url, user.id),
            &salt,
        )
        .map_err(IssuerError::from)?];
        let email = user
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| e.contains('@') && e.len() <= 320);
        if let Some(e) = &email {
            identities.push(
                LearnerIdentity::hashed(IdentityType::Email, e, &salt)
                    .map_err(IssuerError::from)?,
            );
        }
        let learner_name = if name.trim().is_empty() {
            format!("Moodle user {}", user.id)
        } else {
            name.clone()
        };
        let learner = Learner {
            name: learner_name.clone(),
            identities,
            did: None,
        };
        let mut tx = app.db.write().await?;
        if db::credentials::find_credential_by_idempotency_key(&mut tx, &inst.id, key.as_str())
            .await?
            .is_some()
        {
            tx.rollback().await?;
            already_issued(
                app,
                item,
                &conn,
                &ach,
                &name,
                &evaluation.reasons,
                &inst.id,
                &key,
            )
            .await?;
            continue;
        }
        let activity_end = match &record.completion {
            Completion::Completed(at) => Some(*at),
            _ => None,
        };
        let credential = compose(
            app,
            &inst,
            &ach,
            learner,
            Award {
                activity_end,
                ..Award::default()
            },
        )?;
        let cmd = IssueCommand {
            document: Document::Ours(Box::new(credential)),
            achievement: Some((ach.id.clone(), ach.version)),
            learner_name,
            learner_email: email,
            learner_language: user.lang.clone(),
            idempotency: Some((key.clone(), "moodle".into())),
            replaces: None,
            actor: Actor {
                token_id: None,
                label: format!("Moodle: {}", conn.site_name),
            },
        };
        match pipeline::issue_in(app, &mut tx, &inst, cmd).await? {
            Outcome::Issued(row) => {
                insert_evaluation(
                    &mut tx,
                    item,
                    &conn,
                    &ach,
                    Some(&name),
                    "issued",
                    &evaluation.reasons,
                    Some(&row.id),
                )
                .await?;
                tx.commit().await?;
                tracing::info!(code = %row.code, achievement = %ach.slug, moodle_user = user.id, "credential issued from Moodle");
            }
            Outcome::KeyTaken => {
                tx.rollback().await?;
                already_issued(
                    app,
                    item,
                    &conn,
                    &ach,
                    &name,
                    &evaluation.reasons,
                    &inst.id,
                    &key,
                )
                .await?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn already_issued(
    app: &Issuer,
    item: &InboxRow,
    conn: &MoodleConnectionRow,
    ach: &AchievementRow,
    name: &str,
    reasons: &[String],
    institution_id: &str,
    key: &IdempotencyKey,
) -> Result<(), ItemError> {
    let mut c = app.db.read().await?;
    let existing =
        db::credentials::find_credential_by_idempotency_key(&mut c, institution_id, key.as_str())
            .await?;
    drop(c);
    record_evaluation(
        app,
        item,
        conn,
        ach,
        Some(name),
        "already_issued",
        reasons,
        existing.as_ref().map(|r| r.id.as_str()),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn record_evaluation(
    app: &Issuer,
    item: &InboxRow,
    conn: &MoodleConnectionRow,
    ach: &AchievementRow,
    name: Option<&str>,
    outcome: &str,
    reasons: &[String],
    credential: Option<&str>,
) -> Result<(), ItemError> {
    let mut c = app.db.read().await?;
    insert_evaluation(&mut c, item, conn, ach, name, outcome, reasons, credential).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_evaluation(
    c: &mut sqlx::AnyConnection,
    item: &InboxRow,
    conn: &MoodleConnectionRow,
    ach: &AchievementRow,
    name: Option<&str>,
    outcome: &str,
    reasons: &[String],
    credential: Option<&str>,
) -> Result<(), ItemError> {
    let reasons = serde_json::to_string(reasons).expect("serialisable");
    db::evaluations::insert_evaluation(
        c,
        &NewEvaluation {
            id: &secrets::new_id(),
            institution_id: &conn.institution_id,
            inbox_id: Some(&item.id),
            connection_id: &conn.id,
            achievement_id: &ach.id,
            moodle_user_id: item.moodle_user_id,
            course_id: item.course_id,
            learner_name: name,
            outcome,
            reasons: &reasons,
            credential_id: credential,
            at: db::now(),
        },
    )
    .await?;
    Ok(())
}
