//! What the registrar sees and does: evaluations (per learner, per achievement) with their
//! outcome and reasons; the inbox with failures and their reasons; a retry by hand; and a
//! re-evaluation of one learner and achievement now.

use serde::{Deserialize, Serialize};

use super::connections::own_connection;
use crate::auth::{self, Principal};
use crate::db::{self, evaluations::EvaluationRow, trigger_inbox::InboxRow};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// An evaluation as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationView {
    /// Its id.
    pub id: String,
    /// The achievement's slug.
    pub achievement: String,
    /// The Moodle connection.
    pub connection: String,
    /// The learner's Moodle user id.
    pub moodle_user_id: i64,
    /// The learner's name, as Moodle gave it.
    pub learner_name: Option<String>,
    /// The course.
    pub course_id: i64,
    /// `issued`, `already_issued` or `not_met`.
    pub outcome: String,
    /// One reason per rule, e.g. `quiz 'Final test': 72% < 80%`.
    pub reasons: Vec<String>,
    /// The credential's code, when one was issued (or had been).
    pub credential: Option<String>,
    /// The inbox item that caused it.
    pub item: Option<String>,
    /// When.
    pub at: String,
}

fn evaluation_view(r: &EvaluationRow) -> EvaluationView {
    EvaluationView {
        id: r.id.clone(),
        achievement: r.achievement_slug.clone(),
        connection: r.connection_id.clone(),
        moodle_user_id: r.moodle_user_id,
        learner_name: r.learner_name.clone(),
        course_id: r.course_id,
        outcome: r.outcome.clone(),
        reasons: serde_json::from_str(&r.reasons).unwrap_or_default(),
        credential: r.credential_code.clone(),
        item: r.inbox_id.clone(),
        at: db::rfc3339(r.at),
    }
}

/// Filters of the evaluation list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvaluationFilter {
    /// Only this learner (Moodle user id).
    pub learner: Option<i64>,
    /// Only this achievement (slug).
    pub achievement: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
}

/// The institution's evaluations, newest first.
pub async fn list_evaluations(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    f: EvaluationFilter,
) -> Result<Vec<EvaluationView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    let ach = match &f.achievement {
        Some(slug) => Some(
            db::achievements::find_achievement(&mut c, &inst.id, slug)
                .await?
                .ok_or_else(|| IssuerError::not_found(format!("achievement `{slug}`")))?
                .id,
        ),
        None => None,
    };
    Ok(db::evaluations::list_evaluations(
        &mut c,
        &inst.id,
        f.learner,
        ach.as_deref(),
        f.limit.unwrap_or(100).clamp(1, 500),
    )
    .await?
    .iter()
    .map(evaluation_view)
    .collect())
}

/// An inbox item as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxItemView {
    /// Its id.
    pub id: String,
    /// The Moodle connection.
    pub connection: String,
    /// `event`, `poll` or `manual`.
    pub source: String,
    /// The event's name, or what the poll saw.
    pub detail: String,
    /// The learner's Moodle user id.
    pub moodle_user_id: i64,
    /// The course.
    pub course_id: i64,
    /// `pending` (maybe retrying), `done` or `failed` (gave up; retry by hand).
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending items).
    pub next_attempt_at: Option<String>,
    /// When it was received.
    pub received_at: String,
    /// When it was done or given up.
    pub finished_at: Option<String>,
}

fn item_view(r: &InboxRow) -> InboxItemView {
    InboxItemView {
        id: r.id.clone(),
        connection: r.connection_id.clone(),
        source: r.source.clone(),
        detail: r.detail.clone(),
        moodle_user_id: r.moodle_user_id,
        course_id: r.course_id,
        state: r.state.clone(),
        attempts: r.attempts,
        last_error: r.last_error.clone(),
        next_attempt_at: (r.state == "pending").then(|| db::rfc3339(r.next_attempt_at)),
        received_at: db::rfc3339(r.received_at),
        finished_at: r.finished_at.map(db::rfc3339),
    }
}

/// Filters of the inbox list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboxFilter {
    /// Only items in this state: `pending`, `done` or `failed`.
    pub state: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
}

/// The institution's inbox, newest first.
pub async fn list_inbox(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    f: InboxFilter,
) -> Result<Vec<InboxItemView>, IssuerError> {
    if let Some(s) = &f.state {
        if !["pending", "done", "failed"].contains(&s.as_str()) {
            return Err(IssuerError::invalid(
                "state",
                "/state",
                format!("`{s}` is not pending, done or failed"),
            ));
        }
    }
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    Ok(db::trigger_inbox::list_inbox_items(
        &mut c,
        &inst.id,
        f.state.as_deref(),
        f.limit.unwrap_or(100).clamp(1, 500),
    )
    .await?
    .iter()
    .map(item_view)
    .collect())
}

/// Makes a (failed or retrying) item due now; the worker takes it within seconds.
pub async fn retry_item(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<InboxItemView, IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    let item = db::trigger_inbox::find_inbox_item(&mut tx, &inst.id, id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("inbox item `{id}`")))?;
    if item.state == "done" {
        return Err(IssuerError::conflict(
            "this item is done; re-evaluate the learner instead (POST .../evaluations/{id}/reevaluate)",
        ));
    }
    db::trigger_inbox::retry_inbox_item(&mut tx, &inst.id, id, db::now()).await?;
    let item = db::trigger_inbox::find_inbox_item(&mut tx, &inst.id, id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("inbox item `{id}`")))?;
    tx.commit().await?;
    Ok(item_view(&item))
}

/// The result of a re-evaluation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reevaluation {
    /// The inbox item made for it.
    pub item: InboxItemView,
    /// What it concluded (one per achievement mapped to the course).
    pub evaluations: Vec<EvaluationView>,
}

/// Evaluates again, now, the learner and course of evaluation `id` (e.g. after a grade was
/// corrected in Moodle).
pub async fn reevaluate(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<Reevaluation, IssuerError> {
    let item_id = secrets::new_id();
    {
        let mut tx = app.db.write().await?;
        let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
        let ev = db::evaluations::find_evaluation(&mut tx, &inst.id, id)
            .await?
            .ok_or_else(|| IssuerError::not_found(format!("evaluation `{id}`")))?;
        own_connection(&mut tx, p, inst_slug, &ev.connection_id).await?;
        let now = db::now();
        db::trigger_inbox::insert_inbox_item(
            &mut tx,
            &InboxRow {
                id: item_id.clone(),
                institution_id: inst.id.clone(),
                connection_id: ev.connection_id.clone(),
                source: "manual".into(),
                dedupe_key: format!("manual:{item_id}"),
                moodle_user_id: ev.moodle_user_id,
                course_id: ev.course_id,
                detail: format!("re-evaluation asked by {}", p.actor.label),
                state: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                locked_until: None,
                last_error: None,
                received_at: now,
                finished_at: None,
            },
        )
        .await?;
        tx.commit().await?;
    }
    super::worker::process_by_id(app, &item_id).await?;
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    let item = db::trigger_inbox::find_inbox_item(&mut c, &inst.id, &item_id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("inbox item `{item_id}`")))?;
    let evaluations = db::evaluations::list_evaluations_of_item(&mut c, &item_id)
        .await?
        .iter()
        .map(evaluation_view)
        .collect();
    Ok(Reevaluation {
        item: item_view(&item),
        evaluations,
    })
}
