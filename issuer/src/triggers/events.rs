//! Receiving events from Moodle. What the plugins really send is accepted: `tool_trigger`'s
//! HTTP POST step (a body template, JSON with every value a string, or form-encoded, maybe
//! without a `Content-Type`), `local_webhooks` (the event's `get_data()` as JSON, plus `token`
//! in the body), or a sender that signs. Authentication, one of:
//!
//! - `X-Microcred-Timestamp: <unix seconds>` and `X-Microcred-Signature: sha256=<hex>`, the
//!   HMAC-SHA256 (RFC 2104) under the connection's secret of `<timestamp>.<body>`; older or
//!   newer than 5 minutes is stale, a signature seen before is a replay - both refused;
//! - `Authorization: Bearer <secret>` (plugins that cannot compute an HMAC; over HTTPS);
//! - `"token": "<secret>"` in the body (`local_webhooks`).
//!
//! An event only says who and what: it is written to the inbox (deduplicated on event name and
//! object id) and acknowledged with 202; the worker confirms with the web services.

use serde::Serialize;

use crate::db::{self, trigger_inbox::InboxRow};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// How old (or early) a signed request may be.
pub const FRESHNESS_SECONDS: i64 = 300;

/// The events that may award a credential.
pub const AWARDING_EVENTS: [&str; 6] = [
    "\\core\\event\\course_completed",
    "\\core\\event\\course_module_completion_updated",
    "\\mod_quiz\\event\\attempt_submitted",
    "\\mod_quiz\\event\\attempt_graded",
    "\\mod_quiz\\event\\attempt_manual_grading_completed",
    "\\core\\event\\user_graded",
];

/// The headers that authenticate a request.
#[derive(Debug, Clone, Default)]
pub struct HookAuth {
    /// `X-Microcred-Timestamp`.
    pub timestamp: Option<String>,
    /// `X-Microcred-Signature`.
    pub signature: Option<String>,
    /// The bearer secret of `Authorization`.
    pub bearer: Option<String>,
}

/// The answer to an event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookReceipt {
    /// Whether the event was stored for evaluation.
    pub accepted: bool,
    /// The inbox item (new or, for a duplicate, the first one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// True when this event had been received before.
    pub duplicate: bool,
    /// Why it was not stored, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The fields of an event, read leniently (numbers or strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// e.g. `\core\event\course_completed`.
    pub name: String,
    /// The learner (`relateduserid`).
    pub user: i64,
    /// The course.
    pub course: i64,
    /// The event's object (completion row, quiz attempt), for de-duplication.
    pub object: Option<String>,
    /// When the event happened.
    pub time: Option<String>,
}

fn field<'a>(v: &'a serde_json::Value, names: &[&str]) -> Option<&'a serde_json::Value> {
    names
        .iter()
        .find_map(|n| v.get(*n).filter(|x| !x.is_null()))
}

fn text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn id(v: Option<&serde_json::Value>) -> Option<i64> {
    v.and_then(text)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|i| *i > 0)
}

/// Parses a body as JSON (an object) or, failing that, as a form (`a=1&b=2`).
pub fn parse_body(body: &[u8]) -> Result<serde_json::Value, IssuerError> {
    let trimmed = body.trim_ascii_start();
    if trimmed.first() == Some(&b'{') {
        return serde_json::from_slice(body).map_err(|e| {
            IssuerError::invalid("event", "/", format!("the body is not valid JSON: {e}"))
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| IssuerError::invalid("event", "/", "the body is not UTF-8 text"))?;
    let mut map = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        map.insert(k.into_owned(), serde_json::Value::String(v.into_owned()));
    }
    if map.is_empty() {
        return Err(IssuerError::invalid(
            "event",
            "/",
            "the body is empty: send the event as JSON or as a form (see docs/moodle.md)",
        ));
    }
    Ok(serde_json::Value::Object(map))
}

/// Reads the event's fields: the names of Moodle's event data (`eventname`,
/// `relateduserid`, `courseid`, `objectid`, `timecreated`), or the short names of our
/// documented `tool_trigger` template (`event`, `learner`, `course`, `objectid`, `time`).
pub fn read_event(v: &serde_json::Value) -> Result<Event, IssuerError> {
    let name = field(v, &["eventname", "event"])
        .and_then(text)
        .ok_or_else(|| {
            IssuerError::invalid(
                "event",
                "/eventname",
                "the event's name (eventname) is missing",
            )
        })?;
    let user = id(field(v, &["relateduserid", "learner"])).ok_or_else(|| {
        IssuerError::invalid(
            "event",
            "/relateduserid",
            "the learner's Moodle user id (relateduserid) is missing or not a number",
        )
    })?;
    let course = id(field(v, &["courseid", "course"])).ok_or_else(|| {
        IssuerError::invalid(
            "event",
            "/courseid",
            "the course id (courseid) is missing or not a number",
        )
    })?;
    Ok(Event {
        name: name.replace("\\\\", "\\"),
        user,
        course,
        object: field(v, &["objectid"]).and_then(text),
        time: field(v, &["timecreated", "time"]).and_then(text),
    })
}

fn same(a: &str, b: &str) -> bool {
    let (x, y) = (
        secrets::sha256_hex(a.as_bytes()),
        secrets::sha256_hex(b.as_bytes()),
    );
    x.len() == y.len()
        && x.bytes()
            .zip(y.bytes())
            .fold(0u8, |acc, (p, q)| acc | (p ^ q))
            == 0
}

/// The signature a sender puts in `X-Microcred-Signature` (also used by tests and the docs'
/// example sender).
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    secrets::http_signature(secret, timestamp, body)
}

/// Receives one event for connection `connection_id`.
pub async fn receive(
    app: &Issuer,
    connection_id: &str,
    auth: HookAuth,
    body: &[u8],
) -> Result<HookReceipt, IssuerError> {
    let unknown = || IssuerError::unauthorized("unknown connection or wrong secret");
    let conn = {
        let mut c = app.db.read().await?;
        db::moodle_connections::find_moodle_connection(&mut c, connection_id)
            .await?
            .ok_or_else(unknown)?
    };
    let secret = super::hook_secret_of(app, &conn)?;
    let now = db::now();
    let mut replay_signature = None;
    match (&auth.timestamp, &auth.signature) {
        (Some(ts), Some(sig)) => {
            let t: i64 = ts.trim().parse().map_err(|_| {
                IssuerError::unauthorized("X-Microcred-Timestamp must be Unix seconds")
            })?;
            if (now - t).abs() > FRESHNESS_SECONDS {
                return Err(IssuerError::unauthorized(format!(
                    "stale request: its timestamp is {}s from our clock (at most {FRESHNESS_SECONDS}s)",
                    now - t
                )));
            }
            if !same(&sign(&secret, ts.trim(), body), sig.trim()) {
                return Err(IssuerError::unauthorized(
                    "the signature does not match (HMAC-SHA256 of `<timestamp>.<body>` under the connection's secret)",
                ));
            }
            replay_signature = Some(sig.trim().to_owned());
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(IssuerError::unauthorized(
                "send both X-Microcred-Timestamp and X-Microcred-Signature",
            ))
        }
        (None, None) => {}
    }
    let value = if replay_signature.is_some() {
        parse_body(body)?
    } else {
        // Not signed: the secret must come as a bearer header or in the body.
        let value = parse_body(body).ok();
        let given = auth
            .bearer
            .clone()
            .or_else(|| value.as_ref().and_then(|v| v.get("token")).and_then(text));
        match given {
            Some(g) if same(&g, &secret) => {}
            Some(_) => return Err(unknown()),
            None => {
                return Err(IssuerError::unauthorized(
                    "sign the request (X-Microcred-Signature) or send the connection's secret (Authorization: Bearer ...)",
                ))
            }
        }
        match value {
            Some(v) => v,
            None => parse_body(body)?,
        }
    };
    let event = read_event(&value)?;
    if !AWARDING_EVENTS.contains(&event.name.as_str()) {
        return Ok(HookReceipt {
            accepted: false,
            item: None,
            duplicate: false,
            reason: Some(format!(
                "`{}` does not award credentials; forward course_completed or the quiz attempt events",
                event.name
            )),
        });
    }
    let mut tx = app.db.write().await?;
    if let Some(sig) = &replay_signature {
        db::hook_replays::delete_old_hook_signatures(&mut tx, now - 2 * FRESHNESS_SECONDS).await?;
        if !db::hook_replays::insert_hook_signature(&mut tx, &conn.id, sig, now).await? {
            return Err(IssuerError::conflict(
                "replayed request: this signature was already received",
            ));
        }
    }
    let mapped =
        db::moodle_courses::list_moodle_courses_of(&mut tx, &conn.id, event.course).await?;
    if mapped.is_empty() {
        tx.commit().await?;
        return Ok(HookReceipt {
            accepted: false,
            item: None,
            duplicate: false,
            reason: Some(format!(
                "course {} is not mapped to an achievement of this institution",
                event.course
            )),
        });
    }
    let key = match &event.object {
        Some(o) => format!("event:{}:{o}", event.name),
        None => format!(
            "event:{}:{}:{}:{}",
            event.name,
            event.course,
            event.user,
            event.time.clone().unwrap_or_default()
        ),
    };
    let row = InboxRow {
        id: secrets::new_id(),
        institution_id: conn.institution_id.clone(),
        connection_id: conn.id.clone(),
        source: "event".into(),
        dedupe_key: key.clone(),
        moodle_user_id: event.user,
        course_id: event.course,
        detail: event.name.clone(),
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        locked_until: None,
        last_error: None,
        received_at: now,
        finished_at: None,
    };
    let inserted = db::trigger_inbox::insert_inbox_item(&mut tx, &row).await?;
    let id = if inserted {
        row.id
    } else {
        db::trigger_inbox::find_inbox_item_by_key(&mut tx, &conn.id, &key)
            .await?
            .map(|r| r.id)
            .unwrap_or_default()
    };
    tx.commit().await?;
    Ok(HookReceipt {
        accepted: true,
        item: Some(id),
        duplicate: !inserted,
        reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_trigger_json_with_string_values_is_read() {
        let v = parse_body(br#"{"event":"\\core\\event\\course_completed","learner":"17","course":"5","objectid":"88","time":"1733401260"}"#).unwrap();
        let e = read_event(&v).unwrap();
        assert_eq!(e.name, "\\core\\event\\course_completed");
        assert_eq!((e.user, e.course), (17, 5));
        assert_eq!(e.object.as_deref(), Some("88"));
    }

    #[test]
    fn a_form_encoded_body_is_read() {
        let v = parse_body(b"eventname=%5Cmod_quiz%5Cevent%5Cattempt_graded&relateduserid=17&courseid=5&objectid=931").unwrap();
        let e = read_event(&v).unwrap();
        assert_eq!(e.name, "\\mod_quiz\\event\\attempt_graded");
        assert_eq!(e.user, 17);
    }

    #[test]
    fn local_webhooks_get_data_with_mixed_types_is_read() {
        let v = parse_body(br#"{"eventname":"\\core\\event\\course_completed","objectid":"88","userid":"2","courseid":"5","relateduserid":"17","other":null,"timecreated":1733401260,"host":"moodle.example.org","token":"s3cr3t","extra":""}"#).unwrap();
        let e = read_event(&v).unwrap();
        assert_eq!(
            (e.user, e.course),
            (17, 5),
            "the learner is relateduserid, not userid"
        );
    }

    #[test]
    fn a_missing_learner_is_named() {
        let v = parse_body(
            br#"{"eventname":"\\core\\event\\course_completed","courseid":5,"userid":2}"#,
        )
        .unwrap();
        let e = read_event(&v).unwrap_err().to_string();
        assert!(e.contains("relateduserid"), "{e}");
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let a = sign("k", "100", b"{}");
        assert!(a.starts_with("sha256="));
        assert_ne!(a, sign("k", "101", b"{}"));
        assert_ne!(a, sign("k", "100", b"{ }"));
    }
}
