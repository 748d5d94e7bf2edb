//! The scheduled poll, for Moodle sites where nothing can be installed (a shared government
//! Moodle): for each mapped course, list the enrolled users page by page
//! (`core_enrol_get_enrolled_users` with `limitfrom`/`limitnumber`), read what the earning
//! rules need, and queue an inbox item for each learner whose record changed since the last
//! poll (a fingerprint in `moodle_observations`). Learners already awarded every mapped
//! achievement are skipped. Two instances never poll one connection at once: the instance
//! that moves `next_poll_at` runs it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::connections::{own_connection, rules_of};
use super::moodle::MoodleError;
use super::record::{self, Needs};
use crate::auth::Principal;
use crate::db::{self, moodle_connections::MoodleConnectionRow, trigger_inbox::InboxRow};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// Users read per web-service call.
const PAGE: usize = 100;

/// What a poll did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollReport {
    /// Courses read.
    pub courses: usize,
    /// Enrolled users seen.
    pub users: usize,
    /// Learners whose record changed, queued for evaluation.
    pub queued: usize,
}

/// Why a poll stopped.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Moodle failed.
    #[error(transparent)]
    Moodle(#[from] MoodleError),
    /// We failed.
    #[error(transparent)]
    Issuer(#[from] IssuerError),
}

impl From<sqlx::Error> for PollError {
    fn from(e: sqlx::Error) -> Self {
        Self::Issuer(e.into())
    }
}

/// Polls one connection now.
pub async fn poll_connection(
    app: &Issuer,
    conn: &MoodleConnectionRow,
) -> Result<PollReport, PollError> {
    let mut report = PollReport::default();
    let courses = {
        let mut c = app.db.read().await?;
        let mapped = db::moodle_courses::list_moodle_courses(&mut c, &conn.id).await?;
        let mut by_course: BTreeMap<i64, Vec<(String, Needs, bool)>> = BTreeMap::new();
        for m in &mapped {
            let Some(ach) =
                db::achievements::find_current_achievement_by_id(&mut c, &m.achievement_id).await?
            else {
                continue;
            };
            if let Some(rules) = rules_of(&ach)? {
                let mut needs = Needs::default();
                needs.add(&rules);
                by_course.entry(m.course_id).or_default().push((
                    ach.id.clone(),
                    needs,
                    rules.allow_repeats(),
                ));
            }
        }
        by_course
    };
    let client = super::client_of(app, conn)?;
    for (course, achs) in courses {
        report.courses += 1;
        let mut needs = Needs::default();
        for (_, n, _) in &achs {
            needs.completion |= n.completion;
            needs.course_grade |= n.course_grade;
            needs.quizzes.extend(n.quizzes.iter().cloned());
        }
        let mut from = 0;
        loop {
            let users = client.enrolled_users(course, from, PAGE).await?;
            let n = users.len();
            for u in users {
                report.users += 1;
                let mut c = app.db.read().await?;
                let mut all_awarded = achs.iter().all(|(_, _, repeats)| !repeats);
                if all_awarded {
                    for (ach_id, _, _) in &achs {
                        let key = format!("moodle:{}:{ach_id}:{}", conn.id, u.id);
                        if db::credentials::find_credential_by_idempotency_key(
                            &mut c,
                            &conn.institution_id,
                            &key,
                        )
                        .await?
                        .is_none()
                        {
                            all_awarded = false;
                            break;
                        }
                    }
                }
                drop(c);
                if all_awarded {
                    continue;
                }
                // The authentication method does not change what a poll should notice.
                let rec = record::read(&client, course, u.id, None, &needs).await?;
                let fp = record::fingerprint(&rec);
                let mut tx = app.db.write().await?;
                let seen =
                    db::moodle_observations::find_observation(&mut tx, &conn.id, course, u.id)
                        .await?;
                if seen.as_deref() != Some(fp.as_str()) {
                    let now = db::now();
                    let queued = db::trigger_inbox::insert_inbox_item(
                        &mut tx,
                        &InboxRow {
                            id: secrets::new_id(),
                            institution_id: conn.institution_id.clone(),
                            connection_id: conn.id.clone(),
                            source: "poll".into(),
                            dedupe_key: format!("poll:{course}:{}:{fp}", u.id),
                            moodle_user_id: u.id,
                            course_id: course,
                            detail: "completion or grades changed".into(),
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
                    db::moodle_observations::upsert_observation(
                        &mut tx, &conn.id, course, u.id, &fp, now,
                    )
                    .await?;
                    if queued {
                        report.queued += 1;
                    }
                }
                tx.commit().await?;
            }
            if n < PAGE {
                break;
            }
            from += PAGE;
        }
    }
    Ok(report)
}

async fn record_result(app: &Issuer, conn: &MoodleConnectionRow, error: Option<String>) {
    let r = async {
        let mut c = app.db.read().await?;
        db::moodle_connections::update_moodle_poll_result(
            &mut c,
            &conn.id,
            db::now(),
            error.as_deref(),
        )
        .await
    }
    .await;
    if let Err(e) = r {
        tracing::error!(connection = %conn.id, error = %e, "could not record the poll's result");
    }
}

/// Polls the connections whose poll is due (the scheduler calls this); how many polled.
pub async fn poll_due(app: &Issuer) -> Result<usize, IssuerError> {
    let now = db::now();
    let due = {
        let mut c = app.db.read().await?;
        db::moodle_connections::list_due_moodle_connections(&mut c, now).await?
    };
    let mut polled = 0;
    for conn in due {
        let minutes = conn.poll_minutes.unwrap_or(60);
        let claimed = {
            let mut c = app.db.read().await?;
            db::moodle_connections::claim_moodle_poll(
                &mut c,
                &conn.id,
                conn.next_poll_at,
                now + minutes * 60,
            )
            .await?
        };
        if !claimed {
            continue;
        }
        polled += 1;
        match poll_connection(app, &conn).await {
            Ok(r) => {
                tracing::info!(connection = %conn.id, courses = r.courses, users = r.users, queued = r.queued, "Moodle polled");
                record_result(app, &conn, None).await;
            }
            Err(e) => {
                tracing::warn!(connection = %conn.id, error = %e, "Moodle poll failed; the next one will try again");
                record_result(app, &conn, Some(e.to_string())).await;
            }
        }
    }
    Ok(polled)
}

/// Polls one of the caller's connections now (a registrar's "poll now").
pub async fn poll_now(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<PollReport, IssuerError> {
    let conn = {
        let mut c = app.db.read().await?;
        own_connection(&mut c, p, inst_slug, id).await?.1
    };
    match poll_connection(app, &conn).await {
        Ok(r) => {
            record_result(app, &conn, None).await;
            Ok(r)
        }
        Err(PollError::Issuer(e)) => Err(e),
        Err(PollError::Moodle(e)) => {
            record_result(app, &conn, Some(e.to_string())).await;
            Err(IssuerError::unavailable(e.to_string()))
        }
    }
}
