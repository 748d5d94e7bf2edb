//! Connecting a Moodle site: the token is checked with `core_webservice_get_site_info` (the
//! site's name and the functions the token may call; a missing function is named), stored
//! encrypted under the master key with a new event secret; courses (by id or shortname) are
//! mapped to achievements that have earning rules.

use microcred_core::model::EarningRules;
use serde::{Deserialize, Serialize};

use super::moodle::{MoodleClient, MoodleError, REQUIRED_FUNCTIONS};
use crate::auth::{self, Principal};
use crate::db::{self, moodle_connections::MoodleConnectionRow, moodle_courses::MoodleCourseRow};
use crate::error::{IssuerError, OnUnique};
use crate::{achievements, secrets, Issuer};

/// Wire form of a new connection.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectRequest {
    /// The Moodle site's base URL, e.g. `https://moodle.example.org`.
    pub site_url: String,
    /// A web-service token of a user allowed the functions listed in `docs/moodle.md`.
    pub token: String,
    /// Poll every N minutes (1-10080); leave out to rely on events only.
    #[serde(default)]
    pub poll_minutes: Option<i64>,
}

/// A connection as the API shows it (never the token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    /// Its id.
    pub id: String,
    /// The site's base URL.
    pub site_url: String,
    /// The site's name, as Moodle gave it.
    pub site_name: String,
    /// Moodle's release, if given.
    pub moodle_release: Option<String>,
    /// Where the site's event-forwarding plugin posts (see `docs/moodle.md`).
    pub hook_url: String,
    /// The event secret: shown only when the connection is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_secret: Option<String>,
    /// Poll interval, if polled.
    pub poll_minutes: Option<i64>,
    /// When the last poll ran.
    pub last_poll_at: Option<String>,
    /// Why the last poll failed, if it did.
    pub last_poll_error: Option<String>,
}

fn view(app: &Issuer, r: &MoodleConnectionRow, secret: Option<String>) -> ConnectionView {
    ConnectionView {
        id: r.id.clone(),
        site_url: r.site_url.clone(),
        site_name: r.site_name.clone(),
        moodle_release: r.moodle_release.clone(),
        hook_url: app.urls.moodle_hook(&r.id),
        hook_secret: secret,
        poll_minutes: r.poll_minutes,
        last_poll_at: r.last_poll_at.map(db::rfc3339),
        last_poll_error: r.last_poll_error.clone(),
    }
}

fn site_url(s: &str) -> Result<String, IssuerError> {
    let s = s.trim().trim_end_matches('/');
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= 300
        && reqwest::Url::parse(s).is_ok_and(|u| u.host_str().is_some() && u.query().is_none());
    if ok {
        Ok(s.to_owned())
    } else {
        Err(IssuerError::invalid(
            "siteUrl",
            "/siteUrl",
            format!("`{s}` is not a Moodle site's base URL (https://host[/path])"),
        ))
    }
}

fn moodle_refusal(e: MoodleError) -> IssuerError {
    let message = match &e {
        MoodleError::Refused { errorcode, .. } if errorcode == "invalidtoken" => {
            "Moodle does not know this token (invalidtoken): copy it from Site administration > Server > Web services > Manage tokens".to_owned()
        }
        MoodleError::Refused { errorcode, .. } if errorcode == "accessexception" => {
            "Moodle refused the token (accessexception): it may have expired, be IP-restricted, or its user may lack webservice/rest:use; also check that core_webservice_get_site_info is in the token's service".to_owned()
        }
        other => other.to_string(),
    };
    IssuerError::invalid("token", "/token", message)
}

/// Connects a Moodle site to the caller's institution.
pub async fn connect(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    req: ConnectRequest,
) -> Result<ConnectionView, IssuerError> {
    let site = site_url(&req.site_url)?;
    let token = req.token.trim().to_owned();
    if token.is_empty() || token.len() > 200 || token.chars().any(char::is_whitespace) {
        return Err(IssuerError::invalid(
            "token",
            "/token",
            "a web-service token is required (32 hexadecimal characters in a stock Moodle)",
        ));
    }
    if let Some(m) = req.poll_minutes {
        if !(1..=10080).contains(&m) {
            return Err(IssuerError::invalid(
                "pollMinutes",
                "/pollMinutes",
                "poll every 1 to 10080 minutes, or leave pollMinutes out",
            ));
        }
    }
    {
        let mut c = app.db.read().await?;
        auth::institution_for(&mut c, p, inst_slug).await?;
    }
    if let Some(why) = app.outbound_refuses(&site) {
        return Err(IssuerError::invalid("siteUrl", "/siteUrl", why));
    }
    let client = MoodleClient::new(
        &site,
        &token,
        app.triggers.moodle_timeout,
        app.insecure_outbound,
    );
    let info = client.site_info().await.map_err(moodle_refusal)?;
    let missing: Vec<&str> = REQUIRED_FUNCTIONS
        .iter()
        .copied()
        .filter(|f| !info.functions.iter().any(|g| g.name == *f))
        .collect();
    if !missing.is_empty() {
        return Err(IssuerError::invalid(
            "token",
            "/token",
            format!(
                "the token's service does not allow {}: add them in Site administration > Server > Web services > External services > (the service) > Functions",
                missing.join(", ")
            ),
        ));
    }
    let secret = secrets::new_token().replacen("mc_", "mh_", 1);
    let now = db::now();
    let row = MoodleConnectionRow {
        id: secrets::new_id(),
        institution_id: String::new(),
        site_url: site.clone(),
        site_name: info
            .sitename
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| site.clone()),
        moodle_release: info.release,
        token_encrypted: app.master.encrypt(token.as_bytes()),
        hook_secret_encrypted: app.master.encrypt(secret.as_bytes()),
        poll_minutes: req.poll_minutes,
        next_poll_at: req.poll_minutes.map(|_| now),
        last_poll_at: None,
        last_poll_error: None,
        created_at: now,
    };
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    let row = MoodleConnectionRow {
        institution_id: inst.id.clone(),
        ..row
    };
    db::moodle_connections::insert_moodle_connection(&mut tx, &row)
        .await
        .on_unique("site_url", || {
            IssuerError::conflict(format!("{site} is already connected to this institution"))
        })?;
    tx.commit().await?;
    Ok(view(app, &row, Some(secret)))
}

/// The institution's connection `id`.
pub(crate) async fn own_connection(
    c: &mut sqlx::AnyConnection,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<(crate::db::institutions::InstitutionRow, MoodleConnectionRow), IssuerError> {
    let inst = auth::institution_for(c, p, inst_slug).await?;
    let conn = db::moodle_connections::find_moodle_connection(c, id)
        .await?
        .filter(|r| r.institution_id == inst.id)
        .ok_or_else(|| IssuerError::not_found(format!("Moodle connection `{id}`")))?;
    Ok((inst, conn))
}

/// The institution's connections.
pub async fn list(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
) -> Result<Vec<ConnectionView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    Ok(
        db::moodle_connections::list_moodle_connections(&mut c, &inst.id)
            .await?
            .iter()
            .map(|r| view(app, r, None))
            .collect(),
    )
}

/// One connection.
pub async fn get(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<ConnectionView, IssuerError> {
    let mut c = app.db.read().await?;
    let (_, conn) = own_connection(&mut c, p, inst_slug, id).await?;
    Ok(view(app, &conn, None))
}

/// Wire form of a course mapping.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MapCourseRequest {
    /// The Moodle course: its id (a number) or its shortname (text).
    #[schema(value_type = Object)]
    pub course: serde_json::Value,
    /// The achievement's slug (it must have earning rules).
    pub achievement: String,
}

/// A course mapping as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourseView {
    /// Moodle course id.
    pub course_id: i64,
    /// Shortname.
    pub shortname: String,
    /// Full name.
    pub fullname: String,
    /// The achievement it earns.
    pub achievement: String,
}

fn course_view(r: &MoodleCourseRow) -> CourseView {
    CourseView {
        course_id: r.course_id,
        shortname: r.shortname.clone(),
        fullname: r.fullname.clone(),
        achievement: r.achievement_slug.clone(),
    }
}

/// Maps a Moodle course to an achievement: the course is looked up in Moodle (by id or
/// shortname), the achievement must have earning rules.
pub async fn map_course(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
    req: MapCourseRequest,
) -> Result<CourseView, IssuerError> {
    let (field, value) = match &req.course {
        serde_json::Value::Number(n) if n.as_i64().is_some_and(|i| i > 0) => ("id", n.to_string()),
        serde_json::Value::String(s) if s.trim().parse::<i64>().is_ok_and(|i| i > 0) => {
            ("id", s.trim().to_owned())
        }
        serde_json::Value::String(s) if !s.trim().is_empty() && s.len() <= 255 => {
            ("shortname", s.trim().to_owned())
        }
        _ => {
            return Err(IssuerError::invalid(
                "course",
                "/course",
                "give the Moodle course's id (a number) or its shortname",
            ))
        }
    };
    let (conn, ach) = {
        let mut c = app.db.read().await?;
        let (inst, conn) = own_connection(&mut c, p, inst_slug, id).await?;
        let ach = db::achievements::find_achievement(&mut c, &inst.id, &req.achievement)
            .await?
            .ok_or_else(|| {
                IssuerError::invalid(
                    "achievement",
                    "/achievement",
                    format!("no achievement `{}` in this institution", req.achievement),
                )
            })?;
        (conn, ach)
    };
    if achievements::definition(&ach)?.earning_rules.is_none() {
        return Err(IssuerError::invalid(
            "achievement",
            "/achievement",
            format!(
                "achievement `{}` has no earningRules: add them (PUT the achievement) to say what earns it",
                ach.slug
            ),
        ));
    }
    let client = super::client_of(app, &conn)?;
    let course = client
        .course_by(field, &value)
        .await
        .map_err(|e| IssuerError::invalid("course", "/course", e.to_string()))?
        .ok_or_else(|| {
            IssuerError::invalid(
                "course",
                "/course",
                format!("Moodle has no course with {field} `{value}` visible to the token's user"),
            )
        })?;
    let mut tx = app.db.write().await?;
    let (_, conn) = own_connection(&mut tx, p, inst_slug, id).await?;
    db::moodle_courses::insert_moodle_course(
        &mut tx,
        &conn.id,
        course.id,
        course.shortname.as_deref().unwrap_or_default(),
        course.fullname.as_deref().unwrap_or_default(),
        &ach.id,
        db::now(),
    )
    .await
    .on_unique("course_id", || {
        IssuerError::conflict(format!(
            "course {} is already mapped to `{}`",
            course.id, ach.slug
        ))
    })?;
    let rows = db::moodle_courses::list_moodle_courses_of(&mut tx, &conn.id, course.id).await?;
    tx.commit().await?;
    rows.iter()
        .find(|r| r.achievement_id == ach.id)
        .map(course_view)
        .ok_or_else(|| IssuerError::not_found("the mapping just made"))
}

/// A connection's course mappings.
pub async fn list_courses(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<Vec<CourseView>, IssuerError> {
    let mut c = app.db.read().await?;
    let (_, conn) = own_connection(&mut c, p, inst_slug, id).await?;
    Ok(db::moodle_courses::list_moodle_courses(&mut c, &conn.id)
        .await?
        .iter()
        .map(course_view)
        .collect())
}

/// The earning rules of a mapped achievement's current version.
pub(crate) fn rules_of(
    ach: &crate::db::achievements::AchievementRow,
) -> Result<Option<EarningRules>, IssuerError> {
    Ok(achievements::definition(ach)?.earning_rules)
}
