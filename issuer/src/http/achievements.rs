//! Micro-credential definitions: create (version 1), change (a new version), read, list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::{ApiJson, ApiResult, Caller};
use crate::achievements::{self as room, AchievementView};
use crate::Issuer;

/// Body of `POST .../achievements`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAchievementRequest {
    /// URL name of the achievement.
    pub slug: String,
    /// The definition (JSON Schema `achievement-definition.schema.json`).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// Body of `PUT .../achievements/{achievement}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAchievementRequest {
    /// The new definition (a new version is created).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// Define a micro-credential (version 1).
#[utoipa::path(post, path = "/api/v1/institutions/{slug}/achievements", request_body = NewAchievementRequest,
    responses((status = 201, body = AchievementView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(r): ApiJson<NewAchievementRequest>,
) -> ApiResult<(StatusCode, Json<AchievementView>)> {
    let v = room::create_achievement(&app, &p, &slug, &r.slug, &r.definition).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Change a micro-credential: creates a new version.
#[utoipa::path(put, path = "/api/v1/institutions/{slug}/achievements/{achievement}", request_body = UpdateAchievementRequest,
    responses((status = 200, body = AchievementView)), security(("bearer" = [])))]
pub async fn update(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, achievement)): Path<(String, String)>,
    ApiJson(r): ApiJson<UpdateAchievementRequest>,
) -> ApiResult<Json<AchievementView>> {
    Ok(Json(
        room::update_achievement(&app, &p, &slug, &achievement, &r.definition).await?,
    ))
}

/// One achievement at its current version.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/achievements/{achievement}", responses((status = 200, body = AchievementView)), security(("bearer" = [])))]
pub async fn get(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path((slug, achievement)): Path<(String, String)>,
) -> ApiResult<Json<AchievementView>> {
    Ok(Json(
        room::get_achievement(&app, &p, &slug, &achievement).await?,
    ))
}

/// The institution's achievements.
#[utoipa::path(get, path = "/api/v1/institutions/{slug}/achievements", responses((status = 200, body = Vec<AchievementView>)), security(("bearer" = [])))]
pub async fn list(
    State(app): State<Issuer>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<AchievementView>>> {
    Ok(Json(room::list_achievements(&app, &p, &slug).await?))
}
