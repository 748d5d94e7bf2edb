//! What an xAPI statement records (xAPI 1.0.3 / 2.0; ADL verbs `completed`, `passed`,
//! `failed`, or a result with `completion` or `success`) when it comes from a source other
//! than a connected Moodle: the actor (`mbox`, `mbox_sha1sum`, `openid` or `account`, xAPI
//! Data §2.4.2.3) must name a learner the institution knows, and the object - else a
//! context parent or grouping - must be an activity mapped to an achievement. The statement
//! then becomes one learning record per mapping (keyed `xapi:{statement id}`, so a statement
//! sent again adds nothing), evaluated at once.
//!
//! Completion: `completed`, `passed`, or `result.completion` true, at the statement's
//! `timestamp` (else when it was stored). Percentage: `result.score.scaled` x 100, else `raw`
//! within `min`..`max`; negative scores count as 0.

use microcred_core::model::Percent;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::evaluate::{self, EvaluationOutcome};
use super::learners::Email;
use crate::auth::Actor;
use crate::db::{
    self, institutions::InstitutionRow, learners::LearnerRow, learning_records::LearningRecordRow,
};
use crate::error::IssuerError;
use crate::secrets;
use crate::xapi::statement::{Ifi, Score, Statement, COMPLETED, PASSED};
use crate::Issuer;

/// What became of a statement here.
#[derive(Debug, Clone)]
pub enum Recorded {
    /// Recorded for these achievements and evaluated.
    Evaluated(Vec<EvaluationOutcome>),
    /// Recorded for a re-evaluation of this achievement (evaluated by it).
    Replayed(String),
    /// Recorded before (the statement was sent again): nothing new.
    Known,
    /// Not recorded, for this reason.
    Skipped(String),
}

impl Recorded {
    /// The text stored with the statement.
    pub fn text(&self) -> String {
        match self {
            Self::Evaluated(outcomes) => {
                let parts: Vec<String> = outcomes
                    .iter()
                    .map(|o| match &o.credential {
                        Some(code) => format!("{}: {} {code}", o.achievement, o.decision.as_str()),
                        None => format!(
                            "{}: {} ({})",
                            o.achievement,
                            o.decision.as_str(),
                            o.reasons.join("; ")
                        ),
                    })
                    .collect();
                format!("evaluated: {}", parts.join(" | "))
            }
            Self::Replayed(slug) => format!("recorded for the re-evaluation of {slug}"),
            Self::Known => "recorded before".into(),
            Self::Skipped(why) => format!("stored only: {why}"),
        }
    }
}

/// The learner the actor names.
pub async fn learner_named(
    c: &mut sqlx::AnyConnection,
    institution_id: &str,
    ifi: &Ifi,
) -> Result<Option<LearnerRow>, sqlx::Error> {
    let (kind, value) = match ifi {
        Ifi::Mbox(m) => match Email::parse(m, "") {
            Ok(e) => ("email", e.as_str().to_owned()),
            Err(_) => return Ok(None),
        },
        Ifi::MboxSha1(h) => ("mbox_sha1sum", h.to_lowercase()),
        Ifi::OpenId(o) => ("openid", o.clone()),
        Ifi::Account { home_page, name } => ("account", format!("{home_page}|{name}")),
    };
    db::learners::find_learner_by_identifier(c, institution_id, kind, &value).await
}

fn percent_of(score: Option<&Score>) -> Option<f64> {
    let s = score?;
    if let Some(scaled) = s.scaled {
        return Some((scaled * 100.0).clamp(0.0, 100.0));
    }
    match (s.raw, s.min, s.max) {
        (Some(raw), min, Some(max)) => Percent::of(raw, min.unwrap_or(0.0), max).map(Percent::get),
        _ => None,
    }
}

/// Records `s` (stored at `stored_at`, seconds) for the mapped achievements and evaluates
/// each; for a re-evaluation of achievement `only`, records for it alone and leaves the
/// evaluation to the re-evaluation.
pub async fn record(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    s: &Statement,
    stored_at: i64,
    actor: &Actor,
    only: Option<&str>,
) -> Result<Recorded, IssuerError> {
    if !crate::xapi::route::is_outcome(s) {
        return Ok(Recorded::Skipped(format!(
            "verb `{}` with no completion or success in its result does not award credentials",
            s.verb
        )));
    }
    let Some(ifi) = &s.actor else {
        return Ok(Recorded::Skipped(
            "the actor is a Group; credentials go to one learner".into(),
        ));
    };
    let Some(learner) = learner_named(c, &inst.id, ifi).await? else {
        return Ok(Recorded::Skipped(format!(
            "the actor ({}) is not a learner the institution knows (add them: POST /api/v1/institutions/{}/learners)",
            ifi.key(),
            inst.slug
        )));
    };
    let mut mappings = Vec::new();
    for a in s.activity.iter().chain(s.context_activities.iter()) {
        mappings = db::activity_mappings::list_mappings_of_activity(c, &inst.id, a).await?;
        mappings.retain(|m| only.is_none_or(|o| o == m.achievement_id));
        if !mappings.is_empty() {
            break;
        }
    }
    if mappings.is_empty() {
        return Ok(Recorded::Skipped(
            "neither the object nor a context parent or grouping is an activity mapped to an achievement (POST .../activities)".into(),
        ));
    }
    let completed = s.verb == COMPLETED || s.verb == PASSED || s.completion == Some(true);
    let at = s
        .timestamp
        .as_deref()
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .map_or(stored_at, OffsetDateTime::unix_timestamp)
        .min(stored_at);
    let percent = percent_of(s.score.as_ref());
    let verb = s.verb.rsplit('/').next().unwrap_or(&s.verb);
    let key = format!("xapi:{}", s.id);
    let mut outcomes = Vec::new();
    for m in mappings {
        let row = LearningRecordRow {
            id: secrets::new_id(),
            institution_id: inst.id.clone(),
            learner_id: learner.id.clone(),
            achievement_id: m.achievement_id.clone(),
            source: "xapi".into(),
            dedupe_key: key.clone(),
            quiz: m.quiz.clone(),
            completed_at: (completed && m.quiz.is_none()).then_some(at),
            percent,
            grade: None,
            detail: format!("xAPI `{verb}` statement {} on {}", s.id, m.activity),
            recorded_at: db::now(),
            voided_at: None,
        };
        if !db::learning_records::insert_learning_record(c, &row).await? {
            continue;
        }
        let Some(ach) =
            db::achievements::find_current_achievement_by_id(c, &m.achievement_id).await?
        else {
            continue;
        };
        if only.is_some() {
            return Ok(Recorded::Replayed(ach.slug));
        }
        outcomes
            .push(evaluate::evaluate_in(app, c, inst, &learner, &ach, Some(&row.id), actor).await?);
    }
    if outcomes.is_empty() {
        return Ok(Recorded::Known);
    }
    Ok(Recorded::Evaluated(outcomes))
}
