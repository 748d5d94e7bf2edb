//! Defining a quiz: an achievement's assessment drawing on a bank - every question of it (or
//! of one category), or a random number of them per attempt - with a time limit, an attempts
//! limit and a pass mark. Its title is the quiz's name: when the achievement's earning rules
//! have a `quizGrade` rule of that name, the attempt's percentage is that quiz's grade;
//! otherwise a passed attempt completes the course, with its percentage as the course grade.

use microcred_core::model::Percent;
use serde::{Deserialize, Serialize};

use super::banks::questions_of;
use crate::auth::{self, Principal};
use crate::db::{self, quizzes::QuizRow};
use crate::error::IssuerError;
use crate::triggers::connections::rules_of;
use crate::{secrets, Issuer};

/// Wire form of a new quiz.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewQuizRequest {
    /// The quiz's name (as a `quizGrade` rule would name it).
    pub title: String,
    /// The achievement's slug.
    pub achievement: String,
    /// The bank's id.
    pub bank: String,
    /// Only questions of this category (its path, e.g. `top/Week 1`).
    #[serde(default)]
    pub category: Option<String>,
    /// Draw this many questions at random per attempt (default: all).
    #[serde(default)]
    pub questions: Option<i64>,
    /// Minutes an attempt may take (default: no limit).
    #[serde(default)]
    pub time_limit_minutes: Option<i64>,
    /// Attempts a learner may make (default: no limit).
    #[serde(default)]
    pub max_attempts: Option<i64>,
    /// The percentage that passes (0 to 100).
    pub pass_percent: f64,
}

/// A quiz as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuizView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub title: String,
    /// The achievement's slug.
    pub achievement: String,
    /// The bank's id.
    pub bank: String,
    /// The category drawn from.
    pub category: Option<String>,
    /// Questions per attempt.
    pub questions: i64,
    /// Minutes per attempt.
    pub time_limit_minutes: Option<i64>,
    /// Attempts allowed.
    pub max_attempts: Option<i64>,
    /// The pass mark.
    pub pass_percent: f64,
    /// Whether the rules grade it as a named quiz (else a pass completes the course).
    pub graded_by_rule: bool,
}

/// The questions (bank positions) a quiz draws from.
pub fn pool(quiz: &QuizRow, questions: &[super::question::Question]) -> Vec<usize> {
    questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.kind.graded())
        .filter(|(_, q)| quiz.category.as_deref().is_none_or(|c| q.category == c))
        .map(|(i, _)| i)
        .collect()
}

/// The view of a quiz.
pub fn view(r: &QuizRow, pool_size: usize, graded_by_rule: bool) -> QuizView {
    QuizView {
        id: r.id.clone(),
        title: r.title.clone(),
        achievement: r.achievement_slug.clone(),
        bank: r.bank_id.clone(),
        category: r.category.clone(),
        questions: r
            .pick
            .unwrap_or_else(|| i64::try_from(pool_size).unwrap_or(i64::MAX)),
        time_limit_minutes: r.time_limit_s.map(|s| s / 60),
        max_attempts: r.max_attempts,
        pass_percent: r.pass_percent,
        graded_by_rule,
    }
}

/// Whether the achievement's rules name the quiz.
pub fn graded_by_rule(
    ach: &crate::db::achievements::AchievementRow,
    title: &str,
) -> Result<bool, IssuerError> {
    Ok(rules_of(ach)?.is_some_and(|r| r.quizzes().any(|q| q == title)))
}

/// `POST .../quizzes`.
pub async fn create(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    r: NewQuizRequest,
) -> Result<QuizView, IssuerError> {
    let title = r.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 255 {
        return Err(IssuerError::invalid(
            "quiz",
            "/title",
            "a title of 1 to 255 characters is required",
        ));
    }
    let pass = Percent::parse(r.pass_percent, "/passPercent")
        .map_err(|mut e| {
            e.element = "quiz".into();
            e
        })?
        .get();
    for (v, path, max) in [
        (r.questions, "/questions", 500),
        (r.time_limit_minutes, "/timeLimitMinutes", 10_080),
        (r.max_attempts, "/maxAttempts", 100),
    ] {
        if v.is_some_and(|v| v < 1 || v > max) {
            return Err(IssuerError::invalid(
                "quiz",
                path,
                format!("between 1 and {max}"),
            ));
        }
    }
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let ach = db::achievements::find_achievement(&mut tx, &inst.id, r.achievement.trim())
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("achievement `{}`", r.achievement)))?;
    let bank = db::question_banks::find_question_bank(&mut tx, &inst.id, r.bank.trim())
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("question bank `{}`", r.bank)))?;
    let row = QuizRow {
        id: secrets::new_id(),
        institution_id: inst.id.clone(),
        achievement_id: ach.id.clone(),
        achievement_slug: ach.slug.clone(),
        bank_id: bank.id.clone(),
        title: title.clone(),
        category: r
            .category
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
        pick: r.questions,
        time_limit_s: r.time_limit_minutes.map(|m| m * 60),
        max_attempts: r.max_attempts,
        pass_percent: pass,
        created_at: db::now(),
    };
    let questions = questions_of(&mut tx, &bank.id).await?;
    let pool = pool(&row, &questions);
    if pool.is_empty() {
        return Err(IssuerError::invalid(
            "quiz",
            "/category",
            "the bank has no graded question in this category",
        ));
    }
    if let Some(n) = r.questions {
        if usize::try_from(n).unwrap_or(usize::MAX) > pool.len() {
            return Err(IssuerError::invalid(
                "quiz",
                "/questions",
                format!(
                    "the bank has only {} graded questions to draw from",
                    pool.len()
                ),
            ));
        }
    }
    if !db::quizzes::insert_quiz(&mut tx, &row).await? {
        return Err(IssuerError::conflict(format!(
            "achievement `{}` already has a quiz titled “{title}”",
            ach.slug
        )));
    }
    let by_rule = graded_by_rule(&ach, &title)?;
    tx.commit().await?;
    Ok(view(&row, pool.len(), by_rule))
}

/// `GET .../quizzes`.
pub async fn list(app: &Issuer, p: &Principal, slug: &str) -> Result<Vec<QuizView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    let mut out = Vec::new();
    for q in db::quizzes::list_quizzes(&mut c, &inst.id).await? {
        let questions = questions_of(&mut c, &q.bank_id).await?;
        let by_rule =
            match db::achievements::find_current_achievement_by_id(&mut c, &q.achievement_id)
                .await?
            {
                Some(a) => graded_by_rule(&a, &q.title)?,
                None => false,
            };
        out.push(view(&q, pool(&q, &questions).len(), by_rule));
    }
    Ok(out)
}
