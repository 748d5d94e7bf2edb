//! Attempts: a learner starts one (questions drawn from the quiz's pool, without answers,
//! with a deadline when the quiz has a time limit), submits every answer at once, and gets the
//! grade and feedback. Automatic grading per [`super::grade`]; an attempt with essays waits
//! for an instructor's grade. A finished attempt becomes a learning record of the learner for
//! the quiz's achievement (the named quiz's grade when the earning rules have a `quizGrade`
//! rule for it; else, when passed, the course's completion and grade) and is evaluated at
//! once: a pass that earns the achievement issues the credential, exactly once.
//!
//! A submission after the deadline (plus 30 seconds' grace for the network) is graded as if
//! nothing had been answered, as Moodle's "open attempts are submitted automatically" does
//! for a learner who never saved an answer.

use std::collections::HashSet;

use microcred_core::model::{ModelError, ModelErrors, Percent};
use rand::seq::index::sample;
use serde::{Deserialize, Serialize};

use super::banks::questions_of;
use super::grade::{self, Mark, Response};
use super::question::Question;
use super::quiz::{graded_by_rule, pool};
use crate::auth::{self, Principal};
use crate::completions::evaluate::{self, EvaluationOutcome};
use crate::db::{
    self, institutions::InstitutionRow, learning_records::LearningRecordRow,
    quiz_attempts::QuizAttemptRow, quizzes::QuizRow,
};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

const GRACE_S: i64 = 30;

/// Wire form of a start.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRequest {
    /// The learner's id (`POST .../learners`).
    pub learner: String,
}

/// Wire form of a submission.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitRequest {
    /// One answer per question answered (unanswered questions earn nothing).
    pub responses: Vec<Response>,
}

/// Wire form of an instructor's grade of an essay.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EssayGradeRequest {
    /// The question's position in the attempt.
    pub question: usize,
    /// The credit, 0 to 1.
    pub fraction: f64,
    /// Feedback for the learner.
    #[serde(default)]
    pub feedback: Option<String>,
}

/// A stored mark with its feedback.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMark {
    mark: Mark,
    feedback: Vec<String>,
}

/// One question's outcome.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarkView {
    /// The question's position.
    pub position: usize,
    /// Credit, 0 to 1 (absent while an essay waits, or for a description).
    pub mark: Option<f64>,
    /// Waiting for an instructor.
    pub pending: bool,
    /// Feedback to show.
    pub feedback: Vec<String>,
}

/// An attempt as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    /// Its id.
    pub id: String,
    /// The quiz's id.
    pub quiz: String,
    /// The learner's id.
    pub learner: String,
    /// The attempt's number (1 = first).
    pub number: i64,
    /// `open`, `awaiting_grading` or `graded`.
    pub state: String,
    /// When it started.
    pub started_at: String,
    /// When it must be submitted by.
    pub deadline: Option<String>,
    /// When it was submitted.
    pub submitted_at: Option<String>,
    /// The questions, without their answers.
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<serde_json::Value>,
    /// The percentage, once graded.
    pub percent: Option<f64>,
    /// Whether it passed, once graded.
    pub passed: Option<bool>,
    /// Each question's mark and feedback, once submitted.
    pub marks: Vec<MarkView>,
    /// The learner's own key to this attempt (`Authorization: Bearer qa_...` on
    /// `learnerUrl`): shown only when the attempt starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learner_key: Option<String>,
    /// Where the learner reads and submits the attempt with that key.
    pub learner_url: String,
    /// What the achievement's evaluation decided, when this attempt finished it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<EvaluationOutcome>,
}

fn positions(r: &QuizAttemptRow) -> Result<Vec<usize>, IssuerError> {
    serde_json::from_str(&r.questions)
        .map_err(|e| IssuerError::stored(format!("attempt {} (questions)", r.id), e))
}

fn marks_of(r: &QuizAttemptRow) -> Result<Vec<StoredMark>, IssuerError> {
    r.marks
        .as_deref()
        .map(|m| {
            serde_json::from_str(m)
                .map_err(|e| IssuerError::stored(format!("attempt {} (marks)", r.id), e))
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

fn view(
    app: &Issuer,
    r: &QuizAttemptRow,
    quiz: &QuizRow,
    bank: &[Question],
    evaluation: Option<EvaluationOutcome>,
) -> Result<AttemptView, IssuerError> {
    let pos = positions(r)?;
    let questions = pos
        .iter()
        .enumerate()
        .filter_map(|(i, p)| bank.get(*p).map(|q| grade::shown(q, i)))
        .collect();
    let marks = marks_of(r)?
        .into_iter()
        .enumerate()
        .map(|(i, m)| MarkView {
            position: i,
            mark: match m.mark {
                Mark::Graded(f) => Some(f),
                _ => None,
            },
            pending: m.mark == Mark::Pending,
            feedback: m.feedback,
        })
        .collect();
    Ok(AttemptView {
        id: r.id.clone(),
        quiz: r.quiz_id.clone(),
        learner: r.learner_id.clone(),
        number: r.number,
        state: r.state.clone(),
        started_at: db::rfc3339(r.started_at),
        deadline: r.deadline.map(db::rfc3339),
        submitted_at: r.submitted_at.map(db::rfc3339),
        questions,
        percent: r.percent,
        passed: r.percent.map(|p| p + 1e-9 >= quiz.pass_percent),
        marks,
        learner_key: None,
        learner_url: format!("{}/api/v1/quiz-attempts/{}", app.urls.base(), r.id),
        evaluation,
    })
}

fn percent_of(marks: &[StoredMark]) -> Option<f64> {
    let graded: Vec<f64> = marks
        .iter()
        .filter_map(|m| match m.mark {
            Mark::Graded(f) => Some(f),
            Mark::Pending => Some(f64::NAN),
            Mark::Ungraded => None,
        })
        .collect();
    if graded.iter().any(|f| f.is_nan()) {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = graded.len().max(1) as f64;
    Some((graded.iter().sum::<f64>() / n * 100.0).clamp(0.0, 100.0))
}

async fn context(
    c: &mut sqlx::AnyConnection,
    p: &Principal,
    slug: &str,
    quiz_id: &str,
) -> Result<(InstitutionRow, QuizRow, Vec<Question>), IssuerError> {
    let inst = auth::institution_for(c, p, slug).await?;
    let quiz = db::quizzes::find_quiz(c, &inst.id, quiz_id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("quiz `{quiz_id}`")))?;
    let bank = questions_of(c, &quiz.bank_id).await?;
    Ok((inst, quiz, bank))
}

/// An attempt of a quiz of the institution `slug`, with its quiz and bank.
async fn attempt_of(
    c: &mut sqlx::AnyConnection,
    p: &Principal,
    slug: &str,
    quiz_id: &str,
    id: &str,
) -> Result<(InstitutionRow, QuizRow, Vec<Question>, QuizAttemptRow), IssuerError> {
    let (inst, quiz, bank) = context(c, p, slug, quiz_id).await?;
    let row = db::quiz_attempts::find_quiz_attempt(c, &inst.id, id)
        .await?
        .filter(|a| a.quiz_id == quiz.id)
        .ok_or_else(|| IssuerError::not_found(format!("attempt `{id}`")))?;
    Ok((inst, quiz, bank, row))
}

/// Records the finished attempt for the achievement and evaluates it.
#[allow(clippy::too_many_arguments)]
async fn finish(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    quiz: &QuizRow,
    attempt: &QuizAttemptRow,
    percent: f64,
    at: i64,
    actor: &crate::auth::Actor,
) -> Result<Option<EvaluationOutcome>, IssuerError> {
    let Some(ach) =
        db::achievements::find_current_achievement_by_id(c, &quiz.achievement_id).await?
    else {
        return Ok(None);
    };
    let Some(learner) = db::learners::find_learner(c, &inst.id, &attempt.learner_id).await? else {
        return Ok(None);
    };
    let by_rule = graded_by_rule(&ach, &quiz.title)?;
    let passed = percent + 1e-9 >= quiz.pass_percent;
    let shown = Percent::parse(percent, "").map(|p| p.to_string()).ok();
    let record = LearningRecordRow {
        id: secrets::new_id(),
        institution_id: inst.id.clone(),
        learner_id: learner.id.clone(),
        achievement_id: ach.id.clone(),
        source: "quiz".into(),
        dedupe_key: format!("quiz:{}", attempt.id),
        quiz: by_rule.then(|| quiz.title.clone()),
        completed_at: (!by_rule && passed).then_some(at),
        percent: Some(percent),
        grade: (!by_rule).then_some(shown).flatten(),
        detail: format!("quiz “{}”, attempt {}", quiz.title, attempt.number),
        recorded_at: db::now(),
        voided_at: None,
    };
    if !db::learning_records::insert_learning_record(c, &record).await? {
        return Ok(None);
    }
    Ok(Some(
        evaluate::evaluate_in(app, c, inst, &learner, &ach, Some(&record.id), actor).await?,
    ))
}

/// Stores an attempt's marks (leaving state `from`): graded when nothing waits for an
/// instructor, and then recorded and evaluated. The attempt as stored, and the evaluation.
#[allow(clippy::too_many_arguments)]
async fn settle(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    quiz: &QuizRow,
    row: &QuizAttemptRow,
    from: &str,
    responses: &str,
    marks: &[StoredMark],
    at: i64,
    actor: &crate::auth::Actor,
) -> Result<(QuizAttemptRow, Option<EvaluationOutcome>), IssuerError> {
    let percent = percent_of(marks);
    let state = if percent.is_some() {
        "graded"
    } else {
        "awaiting_grading"
    };
    db::quiz_attempts::update_quiz_attempt(
        c,
        &row.id,
        from,
        state,
        at,
        responses,
        &serde_json::to_string(marks).expect("serialisable"),
        percent,
    )
    .await?;
    let evaluation = match percent {
        Some(p) => finish(app, c, inst, quiz, row, p, at, actor).await?,
        None => None,
    };
    let stored = db::quiz_attempts::find_quiz_attempt(c, &inst.id, &row.id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("attempt `{}`", row.id)))?;
    Ok((stored, evaluation))
}

/// `POST .../quizzes/{id}/attempts`: starts an attempt for a learner.
pub async fn start(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    quiz_id: &str,
    r: StartRequest,
) -> Result<AttemptView, IssuerError> {
    let mut tx = app.db.write().await?;
    let (inst, quiz, bank) = context(&mut tx, p, slug, quiz_id).await?;
    let learner = db::learners::find_learner(&mut tx, &inst.id, r.learner.trim())
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("learner `{}`", r.learner)))?;
    let now = db::now();
    let attempts = db::quiz_attempts::list_attempts_of(&mut tx, &quiz.id, &learner.id).await?;
    if let Some(open) = attempts.iter().find(|a| a.state == "open") {
        if open.deadline.is_none_or(|d| now <= d + GRACE_S) {
            return Err(IssuerError::conflict(format!(
                "attempt {} is still open: submit it first",
                open.id
            )));
        }
        close_unanswered(app, &mut tx, &inst, &quiz, &bank, open, now, &p.actor).await?;
    }
    if let Some(max) = quiz.max_attempts {
        if i64::try_from(attempts.len()).unwrap_or(i64::MAX) >= max {
            return Err(IssuerError::conflict(format!(
                "no attempts left: {} of {max} used",
                attempts.len()
            )));
        }
    }
    let pool = pool(&quiz, &bank);
    let drawn: Vec<usize> = match quiz.pick.and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n < pool.len() => sample(&mut rand::thread_rng(), pool.len(), n)
            .into_iter()
            .map(|i| pool[i])
            .collect(),
        _ => pool,
    };
    let row = QuizAttemptRow {
        id: secrets::new_id(),
        quiz_id: quiz.id.clone(),
        institution_id: inst.id.clone(),
        learner_id: learner.id.clone(),
        number: attempts.iter().map(|a| a.number).max().unwrap_or(0) + 1,
        questions: serde_json::to_string(&drawn).expect("serialisable"),
        state: "open".into(),
        started_at: now,
        deadline: quiz.time_limit_s.map(|s| now + s),
        submitted_at: None,
        responses: None,
        marks: None,
        percent: None,
        key_hash: String::new(),
    };
    let key = secrets::new_token().replacen("mc_", "qa_", 1);
    let row = QuizAttemptRow {
        key_hash: secrets::hash_token(&key),
        ..row
    };
    if !db::quiz_attempts::insert_quiz_attempt(&mut tx, &row).await? {
        return Err(IssuerError::conflict(
            "another attempt was started at the same time",
        ));
    }
    tx.commit().await?;
    let mut v = view(app, &row, &quiz, &bank, None)?;
    v.learner_key = Some(key);
    Ok(v)
}

#[allow(clippy::too_many_arguments)]
async fn close_unanswered(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    quiz: &QuizRow,
    bank: &[Question],
    open: &QuizAttemptRow,
    now: i64,
    actor: &crate::auth::Actor,
) -> Result<(QuizAttemptRow, Option<EvaluationOutcome>), IssuerError> {
    let marks: Vec<StoredMark> = positions(open)?
        .iter()
        .filter_map(|p| bank.get(*p))
        .map(|q| {
            let (mark, feedback) = grade::grade(q, None);
            StoredMark {
                mark: if mark == Mark::Pending {
                    Mark::Graded(0.0)
                } else {
                    mark
                },
                feedback,
            }
        })
        .collect();
    settle(app, c, inst, quiz, open, "open", "[]", &marks, now, actor).await
}

/// `GET .../quiz-attempts/{id}`.
pub async fn get(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    quiz_id: &str,
    id: &str,
) -> Result<AttemptView, IssuerError> {
    let mut c = app.db.read().await?;
    let (_, quiz, bank, row) = attempt_of(&mut c, p, slug, quiz_id, id).await?;
    view(app, &row, &quiz, &bank, None)
}

/// `POST .../quiz-attempts/{id}/submit`: grades the answers.
pub async fn submit(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    quiz_id: &str,
    id: &str,
    r: SubmitRequest,
) -> Result<AttemptView, IssuerError> {
    let mut tx = app.db.write().await?;
    let (inst, quiz, bank, row) = attempt_of(&mut tx, p, slug, quiz_id, id).await?;
    let v = submit_in(app, &mut tx, &inst, &quiz, &bank, &row, r, &p.actor).await?;
    tx.commit().await?;
    Ok(v)
}

/// Grades a submission of `row` in `c`'s transaction.
#[allow(clippy::too_many_arguments)]
async fn submit_in(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    quiz: &QuizRow,
    bank: &[Question],
    row: &QuizAttemptRow,
    r: SubmitRequest,
    actor: &crate::auth::Actor,
) -> Result<AttemptView, IssuerError> {
    let id = &row.id;
    if row.state != "open" {
        return Err(IssuerError::conflict(format!(
            "attempt {id} was already submitted"
        )));
    }
    let now = db::now();
    if row.deadline.is_some_and(|d| now > d + GRACE_S) {
        let (closed, evaluation) =
            close_unanswered(app, c, inst, quiz, bank, row, now, actor).await?;
        return view(app, &closed, quiz, bank, evaluation);
    }
    let pos = positions(row)?;
    let questions: Vec<&Question> = pos.iter().filter_map(|p| bank.get(*p)).collect();
    let mut errs = ModelErrors::default();
    let mut seen = HashSet::new();
    for (i, resp) in r.responses.iter().enumerate() {
        let path = format!("/responses/{i}");
        match questions.get(resp.question) {
            None => errs.push(ModelError::new(
                "responses",
                format!("{path}/question"),
                format!(
                    "the attempt has questions 0 to {}",
                    questions.len().saturating_sub(1)
                ),
            )),
            Some(_) if !seen.insert(resp.question) => errs.push(ModelError::new(
                "responses",
                format!("{path}/question"),
                format!("question {} is answered twice", resp.question),
            )),
            Some(q) => {
                if let Some(why) = grade::shape_error(q, resp) {
                    errs.push(ModelError::new("responses", path, why));
                }
            }
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let marks: Vec<StoredMark> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let (mark, feedback) = grade::grade(q, r.responses.iter().find(|x| x.question == i));
            StoredMark { mark, feedback }
        })
        .collect();
    let responses = serde_json::to_string(&r.responses).expect("serialisable");
    let (done, evaluation) = settle(
        app, c, inst, quiz, row, "open", &responses, &marks, now, actor,
    )
    .await?;
    view(app, &done, quiz, bank, evaluation)
}

/// `POST .../quiz-attempts/{id}/grade`: an instructor grades an essay; the last one
/// finishes the attempt.
pub async fn grade_essay(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    quiz_id: &str,
    id: &str,
    r: EssayGradeRequest,
) -> Result<AttemptView, IssuerError> {
    if !(r.fraction.is_finite() && (0.0..=1.0).contains(&r.fraction)) {
        return Err(IssuerError::invalid(
            "grade",
            "/fraction",
            "a credit between 0 and 1",
        ));
    }
    let mut tx = app.db.write().await?;
    let (inst, quiz, bank, row) = attempt_of(&mut tx, p, slug, quiz_id, id).await?;
    if row.state != "awaiting_grading" {
        return Err(IssuerError::conflict(format!(
            "attempt {id} is {}, not awaiting an instructor's grade",
            row.state
        )));
    }
    let mut marks = marks_of(&row)?;
    match marks.get_mut(r.question) {
        Some(m) if m.mark == Mark::Pending => {
            m.mark = Mark::Graded(r.fraction);
            m.feedback.extend(
                r.feedback
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty()),
            );
        }
        _ => {
            return Err(IssuerError::invalid(
                "grade",
                "/question",
                format!("question {} is not an essay awaiting a grade", r.question),
            ))
        }
    }
    let submitted = row.submitted_at.unwrap_or_else(db::now);
    let responses = row.responses.clone().unwrap_or_else(|| "[]".into());
    let (done, evaluation) = settle(
        app,
        &mut tx,
        &inst,
        &quiz,
        &row,
        "awaiting_grading",
        &responses,
        &marks,
        submitted,
        &p.actor,
    )
    .await?;
    tx.commit().await?;
    view(app, &done, &quiz, &bank, evaluation)
}

/// The attempt a learner's key opens (401 for a wrong key, as for an unknown attempt).
async fn by_key(
    c: &mut sqlx::AnyConnection,
    id: &str,
    key: Option<&str>,
) -> Result<(InstitutionRow, QuizRow, Vec<Question>, QuizAttemptRow), IssuerError> {
    let refused = || {
        IssuerError::unauthorized(
            "send the attempt's learner key as `Authorization: Bearer qa_...` (given when it started)",
        )
    };
    let key = key.ok_or_else(refused)?;
    let row = db::quiz_attempts::find_quiz_attempt_by_id(c, id)
        .await?
        .ok_or_else(refused)?;
    if !secrets::same_secret(&secrets::hash_token(key), &row.key_hash) {
        return Err(refused());
    }
    let inst = db::institutions::find_institution(c, &row.institution_id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("institution {}", row.institution_id)))?;
    let quiz = db::quizzes::find_quiz(c, &inst.id, &row.quiz_id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("quiz `{}`", row.quiz_id)))?;
    let bank = questions_of(c, &quiz.bank_id).await?;
    Ok((inst, quiz, bank, row))
}

/// `GET /api/v1/quiz-attempts/{id}` with the learner's key.
pub async fn get_as_learner(
    app: &Issuer,
    id: &str,
    key: Option<&str>,
) -> Result<AttemptView, IssuerError> {
    let mut c = app.db.read().await?;
    let (_, quiz, bank, row) = by_key(&mut c, id, key).await?;
    view(app, &row, &quiz, &bank, None)
}

/// `POST /api/v1/quiz-attempts/{id}/submit` with the learner's key.
pub async fn submit_as_learner(
    app: &Issuer,
    id: &str,
    key: Option<&str>,
    r: SubmitRequest,
) -> Result<AttemptView, IssuerError> {
    let mut tx = app.db.write().await?;
    let (inst, quiz, bank, row) = by_key(&mut tx, id, key).await?;
    let actor = crate::auth::Actor {
        token_id: None,
        label: format!("learner {} (quiz attempt)", row.learner_id),
    };
    let v = submit_in(app, &mut tx, &inst, &quiz, &bank, &row, r, &actor).await?;
    tx.commit().await?;
    Ok(v)
}
