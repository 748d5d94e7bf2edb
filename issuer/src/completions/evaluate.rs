//! Evaluating a known learner's learning records for one achievement, and issuing when they
//! earn it. The records become a [`CourseRecord`]: the course is completed at the latest
//! completion any live record reports; the course total and each quiz grade are the best
//! percentage reported; a quiz the rules name with no record has "no grade yet". The sign-in
//! method is unknown to these sources, so rules that require one are not met.
//!
//! Exactly once: the credential's idempotency key is `learner:{learner}:{achievement}` (and the
//! completion time when the achievement allows repeats), unique per institution in the
//! database; the issue runs in a savepoint of the caller's transaction, so a concurrent issue
//! of the same key (another instance) rolls back only this learner's attempt, which is then
//! recorded as "already issued".

use std::collections::BTreeMap;

use microcred_core::model::{
    Completion, CourseRecord, EarningRules, GradeResult, IdentityType, Learner, LearnerIdentity,
    Percent,
};
use serde::Serialize;
use sqlx::Connection;
use time::OffsetDateTime;

use super::learners::national_id_of;
use crate::auth::Actor;
use crate::db::{
    self, achievements::AchievementRow, institutions::InstitutionRow,
    learner_evaluations::NewLearnerEvaluation, learners::LearnerRow,
    learning_records::LearningRecordRow,
};
use crate::domain::values::IdempotencyKey;
use crate::error::IssuerError;
use crate::issuance::pipeline::{self, Document, IssueCommand, Outcome};
use crate::issuance::{compose, Award};
use crate::triggers::connections::rules_of;
use crate::{secrets, Issuer};

/// What an evaluation decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// A credential was issued now.
    Issued,
    /// The learner already holds the credential for this achievement.
    AlreadyIssued,
    /// The rules are not met (yet).
    NotMet,
}

impl Decision {
    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::AlreadyIssued => "already_issued",
            Self::NotMet => "not_met",
        }
    }
}

/// One evaluation's outcome, as reports show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationOutcome {
    /// The learner's id.
    pub learner: String,
    /// The achievement's slug.
    pub achievement: String,
    /// What was decided.
    pub decision: Decision,
    /// One reason per rule, e.g. `course total: 72% < 80%`.
    pub reasons: Vec<String>,
    /// The credential's code (issued now or before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The rules of `ach`, or completion alone when it has none.
pub fn rules_or_completion(ach: &AchievementRow) -> Result<EarningRules, IssuerError> {
    Ok(rules_of(ach)?.unwrap_or_else(|| {
        EarningRules::from_json(&serde_json::json!({"rules": [{"type": "courseCompleted"}]}))
            .expect("a valid rule")
    }))
}

/// What the records say, for `rules`.
pub fn course_record(rules: &EarningRules, records: &[LearningRecordRow]) -> CourseRecord {
    let course = records.iter().filter(|r| r.quiz.is_none());
    let completion = course
        .clone()
        .filter_map(|r| r.completed_at)
        .max()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .map_or(Completion::NotCompleted, Completion::Completed);
    let best = |it: &mut dyn Iterator<Item = &LearningRecordRow>| {
        it.filter_map(|r| r.percent)
            .filter_map(|p| Percent::parse(p, "").ok())
            .max_by(|a, b| a.get().total_cmp(&b.get()))
            .map_or(GradeResult::NoGrade, GradeResult::Graded)
    };
    let course_grade = best(&mut course.clone());
    let mut quizzes = BTreeMap::new();
    for q in rules.quizzes() {
        quizzes.insert(
            q.to_owned(),
            best(&mut records.iter().filter(|r| r.quiz.as_deref() == Some(q))),
        );
    }
    CourseRecord {
        completion,
        course_grade,
        quizzes,
        auth_method: None,
    }
}

fn idempotency_key(learner: &str, ach: &str, repeat_at: Option<i64>) -> IdempotencyKey {
    let key = match repeat_at {
        Some(t) => format!("learner:{learner}:{ach}:{t}"),
        None => format!("learner:{learner}:{ach}"),
    };
    IdempotencyKey::parse(&key).expect("ids are short and printable")
}

/// The grade to print: the latest one written by a source for the course, else the best
/// course percentage.
fn grade_of(records: &[LearningRecordRow], course: &GradeResult) -> Option<String> {
    records
        .iter()
        .rev()
        .filter(|r| r.quiz.is_none())
        .find_map(|r| r.grade.clone())
        .or_else(|| match course {
            GradeResult::Graded(p) => Some(p.to_string()),
            _ => None,
        })
}

fn learner_of(app: &Issuer, l: &LearnerRow) -> Result<Learner, IssuerError> {
    let salt = secrets::new_salt();
    let mut identities = Vec::new();
    if let Some(e) = &l.email {
        identities.push(LearnerIdentity::hashed(IdentityType::Email, e, &salt)?);
    }
    if let Some(n) = national_id_of(app, l)? {
        identities.push(LearnerIdentity::hashed(
            IdentityType::NationalId,
            &n,
            &salt,
        )?);
    }
    if identities.is_empty() {
        identities.push(LearnerIdentity::hashed(
            IdentityType::Other,
            &format!("urn:uuid:{}", l.id),
            &salt,
        )?);
    }
    Ok(Learner {
        name: l.name.clone(),
        identities,
        did: None,
    })
}

/// Evaluates `learner`'s live records for `ach` in `c`'s transaction, issues when earned,
/// and records the evaluation (`record`: the record that prompted it, if any).
pub async fn evaluate_in(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    learner: &LearnerRow,
    ach: &AchievementRow,
    record: Option<&str>,
    actor: &Actor,
) -> Result<EvaluationOutcome, IssuerError> {
    let rules = rules_or_completion(ach)?;
    let records =
        db::learning_records::list_live_records_of(c, &inst.id, &ach.id, &learner.id).await?;
    let course = course_record(&rules, &records);
    let evaluation = rules.evaluate(&course);
    let mut outcome = EvaluationOutcome {
        learner: learner.id.clone(),
        achievement: ach.slug.clone(),
        decision: Decision::NotMet,
        reasons: evaluation.reasons.clone(),
        credential: None,
    };
    let mut credential_id = None;
    if evaluation.earned {
        let completed_at = match &course.completion {
            Completion::Completed(at) => Some(*at),
            _ => None,
        };
        let repeat_at = rules
            .allow_repeats()
            .then(|| completed_at.map_or_else(db::now, OffsetDateTime::unix_timestamp));
        let key = idempotency_key(&learner.id, &ach.id, repeat_at);
        if let Some(existing) =
            db::credentials::find_credential_by_idempotency_key(c, &inst.id, key.as_str()).await?
        {
            outcome.decision = Decision::AlreadyIssued;
            outcome.credential = Some(existing.code);
            credential_id = Some(existing.id);
        } else {
            let credential = compose(
                app,
                inst,
                ach,
                learner_of(app, learner)?,
                Award {
                    grade: grade_of(&records, &course.course_grade),
                    activity_end: completed_at,
                    ..Award::default()
                },
            )?;
            let cmd = IssueCommand {
                document: Document::Ours(Box::new(credential)),
                achievement: Some((ach.id.clone(), ach.version)),
                learner_name: learner.name.clone(),
                learner_email: learner.email.clone(),
                learner_language: learner.language.clone(),
                idempotency: Some((key.clone(), "completions".into())),
                replaces: None,
                actor: actor.clone(),
            };
            let mut sp = c.begin().await?;
            match pipeline::issue_in(app, &mut sp, inst, cmd).await? {
                Outcome::Issued(row) => {
                    sp.commit().await?;
                    outcome.decision = Decision::Issued;
                    outcome.credential = Some(row.code.clone());
                    credential_id = Some(row.id.clone());
                    tracing::info!(code = %row.code, achievement = %ach.slug, learner = %learner.id, "credential issued from learning records");
                }
                Outcome::KeyTaken => {
                    sp.rollback().await?;
                    let existing = db::credentials::find_credential_by_idempotency_key(
                        c,
                        &inst.id,
                        key.as_str(),
                    )
                    .await?;
                    outcome.decision = Decision::AlreadyIssued;
                    outcome.credential = existing.as_ref().map(|r| r.code.clone());
                    credential_id = existing.map(|r| r.id);
                }
            }
        }
    }
    let reasons = serde_json::to_string(&outcome.reasons).expect("serialisable");
    db::learner_evaluations::insert_learner_evaluation(
        c,
        &NewLearnerEvaluation {
            id: &secrets::new_id(),
            institution_id: &inst.id,
            learner_id: &learner.id,
            achievement_id: &ach.id,
            record_id: record,
            outcome: outcome.decision.as_str(),
            reasons: &reasons,
            credential_id: credential_id.as_deref(),
            at_ms: db::now_ms(),
        },
    )
    .await?;
    Ok(outcome)
}

/// An evaluation as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LearnerEvaluationView {
    /// Its id.
    pub id: String,
    /// The learner's id.
    pub learner: String,
    /// The learner's name.
    pub learner_name: String,
    /// The achievement's slug.
    pub achievement: String,
    /// What was decided.
    pub outcome: String,
    /// One reason per rule.
    pub reasons: Vec<String>,
    /// The credential's code.
    pub credential: Option<String>,
    /// When.
    pub at: String,
}

/// `GET .../learner-evaluations`.
pub async fn list(
    app: &Issuer,
    p: &crate::auth::Principal,
    slug: &str,
    learner: Option<&str>,
    achievement: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<LearnerEvaluationView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = crate::auth::institution_for(&mut c, p, slug).await?;
    let ach = match achievement {
        Some(a) => Some(
            db::achievements::find_achievement(&mut c, &inst.id, a)
                .await?
                .ok_or_else(|| IssuerError::not_found(format!("achievement `{a}`")))?
                .id,
        ),
        None => None,
    };
    let rows = db::learner_evaluations::list_learner_evaluations(
        &mut c,
        &inst.id,
        learner,
        ach.as_deref(),
        limit.unwrap_or(100).clamp(1, 500),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(LearnerEvaluationView {
                reasons: serde_json::from_str(&r.reasons)
                    .map_err(|e| IssuerError::stored(format!("evaluation {}", r.id), e))?,
                id: r.id,
                learner: r.learner_id,
                learner_name: r.learner_name,
                achievement: r.achievement_slug,
                outcome: r.outcome,
                credential: r.credential_code,
                at: db::rfc3339_ms(r.at_ms),
            })
        })
        .collect()
}
