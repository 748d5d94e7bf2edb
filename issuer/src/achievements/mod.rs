//! Achievements: the micro-credential definitions an institution issues (every Annex I
//! element of the EU Council Recommendation 2022/C 243/02), versioned - a change makes a new
//! version and issued credentials keep theirs.

use microcred_core::model::AchievementDefinition;
use serde::Serialize;
use sqlx::AnyConnection;

use crate::auth::{self, Principal};
use crate::db::{self, achievements::AchievementRow};
use crate::domain::values::Slug;
use crate::error::{IssuerError, OnUnique};
use crate::{secrets, Issuer};

/// An achievement as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AchievementView {
    /// Slug.
    pub slug: String,
    /// Public id (URL).
    pub id: String,
    /// Current version.
    pub version: i64,
    /// The definition at that version.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// The assessment criteria credentials will carry (`criteria.narrative`; written from the
    /// earning rules when the achievement has them), by language.
    #[schema(value_type = Object)]
    pub criteria: serde_json::Value,
}

fn view(app: &Issuer, inst_slug: &str, r: &AchievementRow) -> Result<AchievementView, IssuerError> {
    let criteria: serde_json::Map<String, serde_json::Value> = definition(r)?
        .criteria
        .iter()
        .map(|(l, t)| (l.to_owned(), serde_json::Value::String(t.to_owned())))
        .collect();
    Ok(AchievementView {
        criteria: serde_json::Value::Object(criteria),
        slug: r.slug.clone(),
        id: app.urls.achievement(inst_slug, &r.slug),
        version: r.version,
        definition: serde_json::from_str(&r.definition).map_err(|e| {
            IssuerError::stored(format!("achievement `{}` version {}", r.slug, r.version), e)
        })?,
    })
}

/// The definition stored in a row, parsed back into the model.
pub fn definition(r: &AchievementRow) -> Result<AchievementDefinition, IssuerError> {
    let what = || format!("achievement `{}` version {}", r.slug, r.version);
    let json: serde_json::Value =
        serde_json::from_str(&r.definition).map_err(|e| IssuerError::stored(what(), e))?;
    AchievementDefinition::from_json(&json).map_err(|e| IssuerError::stored(what(), e))
}

fn definition_text(definition: &serde_json::Value) -> Result<String, IssuerError> {
    let def = AchievementDefinition::from_json(definition)?;
    Ok(serde_json::to_string(&def.to_doc()).expect("serialisable"))
}

async fn find(
    c: &mut AnyConnection,
    institution_id: &str,
    slug: &str,
) -> Result<AchievementRow, IssuerError> {
    db::achievements::find_achievement(c, institution_id, slug)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("achievement `{slug}`")))
}

/// Creates an achievement (version 1) from a definition (JSON, wire form).
pub async fn create_achievement(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    slug: &str,
    definition: &serde_json::Value,
) -> Result<AchievementView, IssuerError> {
    let slug = Slug::parse(slug)?;
    let text = definition_text(definition).map_err(|e| e.under("/definition"))?;
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    db::achievements::insert_achievement(
        &mut tx,
        &secrets::new_id(),
        &inst.id,
        slug.as_str(),
        &text,
        db::now(),
    )
    .await
    .on_unique("slug", || {
        IssuerError::conflict(format!(
            "achievement `{slug}` already exists; PUT it to make a new version"
        ))
    })?;
    let row = find(&mut tx, &inst.id, slug.as_str()).await?;
    tx.commit().await?;
    view(app, inst_slug, &row)
}

/// Makes a new version of an achievement; credentials already issued keep theirs.
pub async fn update_achievement(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    slug: &str,
    definition: &serde_json::Value,
) -> Result<AchievementView, IssuerError> {
    let text = definition_text(definition).map_err(|e| e.under("/definition"))?;
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    let current = find(&mut tx, &inst.id, slug).await?;
    db::achievements::insert_achievement_version(
        &mut tx,
        &current.id,
        current.current_version + 1,
        &text,
        db::now(),
    )
    .await
    .on_unique("version", || {
        IssuerError::conflict("the achievement was changed at the same time; retry")
    })?;
    let row = find(&mut tx, &inst.id, slug).await?;
    tx.commit().await?;
    view(app, inst_slug, &row)
}

/// An achievement at its current version.
pub async fn get_achievement(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    slug: &str,
) -> Result<AchievementView, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    view(app, inst_slug, &find(&mut c, &inst.id, slug).await?)
}

/// The public view of an achievement (anyone may read a definition).
pub async fn public_achievement(
    app: &Issuer,
    inst_slug: &str,
    slug: &str,
) -> Result<AchievementView, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = db::institutions::find_institution_by_slug(&mut c, inst_slug)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("institution `{inst_slug}`")))?;
    view(app, inst_slug, &find(&mut c, &inst.id, slug).await?)
}

/// An institution's achievements.
pub async fn list_achievements(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
) -> Result<Vec<AchievementView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    db::achievements::list_achievements(&mut c, &inst.id)
        .await?
        .iter()
        .map(|r| view(app, inst_slug, r))
        .collect()
}
