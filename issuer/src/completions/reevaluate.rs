//! Re-evaluation of one achievement after its criteria, mappings or learners changed: every
//! stored xAPI statement (not voided) is routed again - a statement from a connected Moodle
//! whose course is now mapped is queued for the Moodle worker, one naming a learner or an
//! activity added since becomes learning records for this achievement - and then every
//! learner with records for it is evaluated against the achievement's current rules. Nothing
//! is issued twice (the keys of [`super::evaluate`] and of the Moodle inbox). Statements are
//! read in pages, each page in its own transaction, so a long replay never holds the
//! database for long and can simply be run again if it was interrupted.

use serde::Serialize;

use super::evaluate::{self, Decision};
use crate::auth::{self, Principal};
use crate::db::{self, xapi_statements::StatementQuery};
use crate::error::IssuerError;
use crate::xapi::{route, statement};
use crate::Issuer;

const PAGE: i64 = 200;

/// What a re-evaluation did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReevaluationReport {
    /// The achievement's slug.
    pub achievement: String,
    /// Stored statements routed again.
    pub statements_replayed: usize,
    /// Of them, queued for the Moodle worker (newly).
    pub queued_for_moodle: usize,
    /// Learners evaluated.
    pub learners_evaluated: usize,
    /// Credentials issued now.
    pub issued: usize,
    /// Learners who already held the credential.
    pub already_issued: usize,
    /// Learners who do not (yet) meet the rules.
    pub not_met: usize,
}

/// `POST .../achievements/{achievement}/reevaluate`.
pub async fn reevaluate(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    achievement: &str,
) -> Result<ReevaluationReport, IssuerError> {
    let (inst, ach) = {
        let mut c = app.db.read().await?;
        let inst = auth::institution_for(&mut c, p, slug).await?;
        let ach = db::achievements::find_achievement(&mut c, &inst.id, achievement)
            .await?
            .ok_or_else(|| IssuerError::not_found(format!("achievement `{achievement}`")))?;
        (inst, ach)
    };
    let mut report = ReevaluationReport {
        achievement: ach.slug.clone(),
        ..ReevaluationReport::default()
    };
    let mut after = None;
    loop {
        let mut tx = app.db.write().await?;
        let connections =
            db::moodle_connections::list_moodle_connections(&mut tx, &inst.id).await?;
        let mut rows = db::xapi_statements::query_xapi_statements(
            &mut tx,
            &inst.id,
            &StatementQuery {
                after: after.clone(),
                ascending: true,
                limit: PAGE,
                ..StatementQuery::default()
            },
        )
        .await?;
        let more = rows.len() > usize::try_from(PAGE).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(PAGE).unwrap_or(usize::MAX));
        for r in &rows {
            if r.verb == statement::VOIDED {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(&r.statement)
                .map_err(|e| IssuerError::stored(format!("xAPI statement {}", r.id), e))?;
            let Ok(s) = statement::parse(&value, "") else {
                continue;
            };
            report.statements_replayed += 1;
            let (routed, item) = route::dispatch(
                app,
                &mut tx,
                &inst,
                &s,
                &connections,
                r.stored_at_ms,
                &p.actor,
                Some(&ach.id),
            )
            .await?;
            let mut queued = false;
            if let Some(item) = item {
                queued = db::trigger_inbox::insert_inbox_item(&mut tx, &item).await?;
                report.queued_for_moodle += usize::from(queued);
            }
            let text = routed.text();
            if text != r.routed && (queued || text.starts_with("recorded for the re-evaluation")) {
                db::xapi_statements::set_xapi_statement_routed(&mut tx, &inst.id, &r.id, &text)
                    .await?;
            }
        }
        tx.commit().await?;
        after = rows.last().map(|r| (r.stored_at_ms, r.id.clone()));
        if !more {
            break;
        }
    }
    let learners = {
        let mut c = app.db.read().await?;
        db::learning_records::list_learners_with_records(&mut c, &inst.id, &ach.id).await?
    };
    for chunk in learners.chunks(100) {
        let mut tx = app.db.write().await?;
        for id in chunk {
            let Some(l) = db::learners::find_learner(&mut tx, &inst.id, id).await? else {
                continue;
            };
            let o = evaluate::evaluate_in(app, &mut tx, &inst, &l, &ach, None, &p.actor).await?;
            report.learners_evaluated += 1;
            match o.decision {
                Decision::Issued => report.issued += 1,
                Decision::AlreadyIssued => report.already_issued += 1,
                Decision::NotMet => report.not_met += 1,
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}
