//! Which outside activity stands for which achievement: an xAPI activity IRI (a cmi5 course
//! or assignable unit, a SCORM package, another LMS's course page; xAPI Data §2.4.4.1) or a
//! course code used in completions files. An activity stands for the achievement's course
//! (its completion and score) or for one quiz its earning rules name (the score only).

use serde::{Deserialize, Serialize};

use crate::auth::{self, Principal};
use crate::db::{self, activity_mappings::ActivityMappingRow};
use crate::error::IssuerError;
use crate::triggers::connections::rules_of;
use crate::Issuer;

/// Wire form of a mapping.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MapActivityRequest {
    /// The activity: an IRI (xAPI) or a course code (completions files), at most 2,000
    /// characters.
    pub activity: String,
    /// The achievement's slug.
    pub achievement: String,
    /// If the activity is one of the achievement's quizzes: its name, as the earning rules'
    /// `quizGrade` rule gives it.
    #[serde(default)]
    pub quiz: Option<String>,
}

/// A mapping as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityView {
    /// The activity.
    pub activity: String,
    /// The achievement's slug.
    pub achievement: String,
    /// The quiz it stands for, if not the course.
    pub quiz: Option<String>,
    /// When it was made.
    pub created_at: String,
}

fn view(r: &ActivityMappingRow) -> ActivityView {
    ActivityView {
        activity: r.activity.clone(),
        achievement: r.achievement_slug.clone(),
        quiz: r.quiz.clone(),
        created_at: db::rfc3339(r.created_at),
    }
}

/// `POST .../activities`: maps an activity to an achievement.
pub async fn map(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    r: MapActivityRequest,
) -> Result<ActivityView, IssuerError> {
    let activity = r.activity.trim().to_owned();
    if activity.is_empty() || activity.len() > 2000 || activity.chars().any(char::is_control) {
        return Err(IssuerError::invalid(
            "activity",
            "/activity",
            "an activity IRI or course code (1 to 2,000 characters, no control characters) is required",
        ));
    }
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let ach = db::achievements::find_achievement(&mut tx, &inst.id, r.achievement.trim())
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("achievement `{}`", r.achievement)))?;
    let quiz = r
        .quiz
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if let Some(q) = &quiz {
        let named = rules_of(&ach)?.is_some_and(|rules| rules.quizzes().any(|n| n == q));
        if !named {
            return Err(IssuerError::invalid(
                "quiz",
                "/quiz",
                format!(
                    "achievement `{}` has no quizGrade rule for a quiz named “{q}”",
                    ach.slug
                ),
            ));
        }
    }
    let now = db::now();
    if !db::activity_mappings::insert_activity_mapping(
        &mut tx,
        &inst.id,
        &activity,
        &ach.id,
        quiz.as_deref(),
        now,
    )
    .await?
    {
        return Err(IssuerError::conflict(format!(
            "`{activity}` is already mapped to achievement `{}`",
            ach.slug
        )));
    }
    tx.commit().await?;
    Ok(ActivityView {
        activity,
        achievement: ach.slug,
        quiz,
        created_at: db::rfc3339(now),
    })
}

/// `GET .../activities`: the institution's mappings.
pub async fn list(
    app: &Issuer,
    p: &Principal,
    slug: &str,
) -> Result<Vec<ActivityView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    Ok(
        db::activity_mappings::list_activity_mappings(&mut c, &inst.id)
            .await?
            .iter()
            .map(view)
            .collect(),
    )
}
