//! What a stored statement becomes. A completion, pass or fail statement (ADL's `completed`,
//! `passed`, `failed`, or a result with `completion` or `success`) whose actor is an account
//! on a connected Moodle site - Moodle's stock logstore_xapi sends `account.homePage` = the
//! site's `wwwroot` and `account.name` = the Moodle user id - and whose object or context
//! names one of that site's courses (`<wwwroot>/course/view.php?id=N`) is written to the
//! Moodle inbox as an event for (connection, user, course): the worker confirms it through
//! the web services and evaluates the achievement's earning rules, under the same
//! exactly-once key as Moodle's own events and polls, so a completion that arrives both as an
//! event and as a statement issues once. A statement from any other source goes to the
//! institution's learning records ([`crate::completions::xapi`]). Anything else is stored
//! with the reason it was not turned into an event or a record.

use crate::auth::Actor;
use crate::completions::{self, xapi::Recorded};
use crate::db::{
    self, institutions::InstitutionRow, moodle_connections::MoodleConnectionRow,
    trigger_inbox::InboxRow,
};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

use super::statement::{Ifi, Statement, COMPLETED, FAILED, PASSED};

/// What became of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    /// Queued in the Moodle inbox for this connection, user and course.
    Queued {
        /// The connection.
        connection: String,
        /// The Moodle user id.
        user: i64,
        /// The course id.
        course: i64,
    },
    /// Not from a connected Moodle (the reason): for the institution's own learners and
    /// activities ([`crate::completions::xapi`]).
    NotMoodle(String),
    /// Recorded as learning records and evaluated (what was decided).
    Recorded(String),
    /// Stored only, for this reason.
    StoredOnly(String),
}

impl Routed {
    /// The text stored with the statement.
    pub fn text(&self) -> String {
        match self {
            Self::Queued {
                connection,
                user,
                course,
            } => format!(
                "queued for evaluation: Moodle connection {connection}, user {user}, course {course}"
            ),
            Self::Recorded(text) => text.clone(),
            Self::StoredOnly(why) | Self::NotMoodle(why) => format!("stored only: {why}"),
        }
    }
}

fn same_site(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// The course id when `activity` is `<site>/course/view.php?id=N`.
fn course_of(site: &str, activity: &str) -> Option<i64> {
    let site = site.trim_end_matches('/');
    let prefix = format!("{site}/course/view.php?");
    let head = activity.get(..prefix.len())?;
    let query = activity.get(prefix.len()..).filter(|q| !q.is_empty())?;
    if !head.eq_ignore_ascii_case(&prefix) {
        return None;
    }
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|id| *id > 0)
}

/// Whether a statement says something was completed, passed or failed.
pub fn is_outcome(s: &Statement) -> bool {
    [COMPLETED, PASSED, FAILED].contains(&s.verb.as_str())
        || s.completion == Some(true)
        || s.success.is_some()
}

/// Decides what `s` becomes, given the institution's Moodle connections and a way to ask
/// whether a course of a connection is mapped to an achievement.
pub async fn route(
    c: &mut sqlx::AnyConnection,
    s: &Statement,
    connections: &[MoodleConnectionRow],
) -> Result<Routed, sqlx::Error> {
    let only = |why: String| Ok(Routed::StoredOnly(why));
    if !is_outcome(s) {
        return only(format!(
            "verb `{}` with no completion or success in its result does not award credentials",
            s.verb
        ));
    }
    let Some(Ifi::Account { home_page, name }) = &s.actor else {
        return Ok(Routed::NotMoodle(
            "the actor is not an account on a connected Moodle site (logstore_xapi's default actor)"
                .into(),
        ));
    };
    let Some(conn) = connections
        .iter()
        .find(|c| same_site(&c.site_url, home_page))
    else {
        return Ok(Routed::NotMoodle(format!(
            "`{home_page}` is not the address of a Moodle site connected to this institution"
        )));
    };
    let Some(user) = name.parse::<i64>().ok().filter(|u| *u > 0) else {
        return only(format!(
            "account name `{name}` is not a Moodle user id (turn logstore_xapi's `send_username` and `mbox` off)"
        ));
    };
    let course = s
        .activity
        .iter()
        .chain(s.context_activities.iter())
        .find_map(|a| course_of(&conn.site_url, a));
    let Some(course) = course else {
        return only(format!(
            "neither the object nor the context's parent or grouping is a course of {}",
            conn.site_url
        ));
    };
    if db::moodle_courses::list_moodle_courses_of(c, &conn.id, course)
        .await?
        .is_empty()
    {
        return only(format!(
            "course {course} of {} is not mapped to an achievement",
            conn.site_url
        ));
    }
    Ok(Routed::Queued {
        connection: conn.id.clone(),
        user,
        course,
    })
}

/// Routes `s` (stored at `stored_ms`): to the Moodle inbox when it comes from a connected
/// Moodle (the item returned, to be inserted), else to the institution's learning records
/// (evaluated at once; only for achievement `only` when given). What to store as `routed`.
#[allow(clippy::too_many_arguments)]
pub async fn dispatch(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &InstitutionRow,
    s: &Statement,
    connections: &[MoodleConnectionRow],
    stored_ms: i64,
    actor: &Actor,
    only: Option<&str>,
) -> Result<(Routed, Option<InboxRow>), IssuerError> {
    let routed = match route(c, s, connections).await? {
        Routed::NotMoodle(why) => {
            match completions::xapi::record(app, c, inst, s, stored_ms / 1000, actor, only).await? {
                Recorded::Skipped(other) if connections.is_empty() => Routed::StoredOnly(other),
                Recorded::Skipped(other) => Routed::StoredOnly(format!("{other}; {why}")),
                r => Routed::Recorded(r.text()),
            }
        }
        r => r,
    };
    let item = inbox_item(&inst.id, s, &routed, stored_ms / 1000);
    Ok((routed, item))
}

/// The inbox item for a queued statement (deduplicated on the statement id).
pub fn inbox_item(
    institution_id: &str,
    s: &Statement,
    routed: &Routed,
    now: i64,
) -> Option<InboxRow> {
    let Routed::Queued {
        connection,
        user,
        course,
    } = routed
    else {
        return None;
    };
    let verb = s.verb.rsplit('/').next().unwrap_or(&s.verb);
    Some(InboxRow {
        id: secrets::new_id(),
        institution_id: institution_id.to_owned(),
        connection_id: connection.clone(),
        source: "event".into(),
        dedupe_key: format!("xapi:{}", s.id),
        moodle_user_id: *user,
        course_id: *course,
        detail: format!("xAPI `{verb}` statement {}", s.id),
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        locked_until: None,
        last_error: None,
        received_at: now,
        finished_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_course_url_of_the_site_gives_its_id() {
        let site = "https://moodle.example.org";
        assert_eq!(
            course_of(site, "https://moodle.example.org/course/view.php?id=5"),
            Some(5)
        );
        assert_eq!(
            course_of(
                "https://Moodle.example.org/",
                "https://moodle.example.org/course/view.php?id=5&section=2"
            ),
            Some(5)
        );
        assert_eq!(
            course_of(site, "https://moodle.example.org/mod/quiz/view.php?id=42"),
            None
        );
        assert_eq!(
            course_of(site, "https://other.example.org/course/view.php?id=5"),
            None
        );
        assert_eq!(
            course_of(site, "https://moodle.example.org/course/view.php?id=x"),
            None
        );
    }
}
