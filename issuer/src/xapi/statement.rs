//! xAPI statements: read and checked as the LRS must (xAPI 1.0.3, Part Two "Experience API Data",
//! §2.4 <https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md#24-statement-properties>;
//! xAPI 2.0 / IEEE 9274.1.1 where it differs: `context.contextAgents` and
//! `context.contextGroups`, and `version` 2.0.0). A statement that breaks a rule is refused with
//! the rule and the JSON Pointer of the property, in the specification's terms; every
//! statement of a request is checked before anything is stored.
//!
//! What completion evaluation reads is pulled out into [`Statement`]: the actor's inverse
//! functional identifier, the verb, the activity and the activities of its context, the
//! result. The statement itself is kept as received, with the properties the LRS sets (`id`
//! when absent, `stored`, `authority`, `version`).

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::IssuerError;

/// ADL's verb for a voiding statement (xAPI Data §2.3.2).
pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";
/// ADL's `completed`.
pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
/// ADL's `passed`.
pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
/// ADL's `failed`.
pub const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";

/// At most this many statements in one request.
pub const MAX_STATEMENTS: usize = 1000;

/// An actor's inverse functional identifier (xAPI Data §2.4.2.3): exactly one per Agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ifi {
    /// `mbox`: a `mailto:` IRI (the address kept in lower case for matching).
    Mbox(String),
    /// `mbox_sha1sum`: SHA-1 of the `mailto:` IRI, hex.
    MboxSha1(String),
    /// `openid`.
    OpenId(String),
    /// `account`: the system's home page and the name there.
    Account {
        /// `homePage`.
        home_page: String,
        /// `name`.
        name: String,
    },
}

impl Ifi {
    /// The form stored and matched on, e.g. `account:https://moodle.example.org|17`.
    pub fn key(&self) -> String {
        match self {
            Self::Mbox(m) => format!("mbox:{m}"),
            Self::MboxSha1(h) => format!("mbox_sha1sum:{h}"),
            Self::OpenId(o) => format!("openid:{o}"),
            Self::Account { home_page, name } => format!("account:{home_page}|{name}"),
        }
    }
}

/// A score (xAPI Data §2.4.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Score {
    /// `scaled`, in -1..=1.
    pub scaled: Option<f64>,
    /// `raw`.
    pub raw: Option<f64>,
    /// `min`.
    pub min: Option<f64>,
    /// `max`.
    pub max: Option<f64>,
}

/// What a checked statement says, as far as completion goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The id (given, or assigned by us).
    pub id: Uuid,
    /// The actor's identifier; `None` for a Group.
    pub actor: Option<Ifi>,
    /// `actor.name`, if given.
    pub actor_name: Option<String>,
    /// `verb.id`.
    pub verb: String,
    /// `object.id` when the object is an Activity.
    pub activity: Option<String>,
    /// The id of the statement a voiding statement voids.
    pub voids: Option<Uuid>,
    /// The ids of `context.contextActivities` `parent` and `grouping`.
    pub context_activities: Vec<String>,
    /// `result.score`.
    pub score: Option<Score>,
    /// `result.success`.
    pub success: Option<bool>,
    /// `result.completion`.
    pub completion: Option<bool>,
    /// `timestamp`, RFC 3339.
    pub timestamp: Option<String>,
}

/// The properties of a Statement (a SubStatement has no `id`, `stored`, `version`, `authority`).
const STATEMENT_KEYS: [&str; 11] = [
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];

struct Check {
    errors: Vec<(String, String)>,
}

impl Check {
    fn fail(&mut self, path: &str, message: impl Into<String>) {
        if self.errors.len() < 20 {
            self.errors.push((path.to_owned(), message.into()));
        }
    }

    fn object<'a>(
        &mut self,
        v: &'a Value,
        path: &str,
        what: &str,
    ) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.fail(path, format!("{what} must be a JSON object"));
                None
            }
        }
    }

    fn only(&mut self, m: &Map<String, Value>, path: &str, what: &str, allowed: &[&str]) {
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                self.fail(
                    &format!("{path}/{}", escape(k)),
                    format!(
                        "`{k}` is not a property of {what} (extensions belong in `extensions`)"
                    ),
                );
            }
        }
    }

    fn string<'a>(&mut self, m: &'a Map<String, Value>, key: &str, path: &str) -> Option<&'a str> {
        match m.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.fail(
                    &format!("{path}/{key}"),
                    format!("`{key}` must be a string"),
                );
                None
            }
        }
    }

    fn iri(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
    ) -> Option<String> {
        let p = format!("{path}/{key}");
        match self.string(m, key, path) {
            Some(s) if is_iri(s) => Some(s.to_owned()),
            Some(s) => {
                self.fail(
                    &p,
                    format!(
                        "`{s}` is not an IRI (an absolute IRI with a scheme, e.g. https://...)"
                    ),
                );
                None
            }
            None => {
                if required && !m.contains_key(key) {
                    self.fail(&p, format!("`{key}` is required"));
                }
                None
            }
        }
    }

    fn boolean(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<bool> {
        match m.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail(
                    &format!("{path}/{key}"),
                    format!("`{key}` must be true or false"),
                );
                None
            }
        }
    }

    fn number(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<f64> {
        match m.get(key) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => {
                self.fail(
                    &format!("{path}/{key}"),
                    format!("`{key}` must be a number"),
                );
                None
            }
        }
    }

    fn language_map(&mut self, m: &Map<String, Value>, key: &str, path: &str) {
        let Some(v) = m.get(key) else { return };
        let p = format!("{path}/{key}");
        let Some(map) = self.object(v, &p, "a language map") else {
            return;
        };
        for (tag, text) in map {
            if !is_language_tag(tag) {
                self.fail(
                    &format!("{p}/{}", escape(tag)),
                    format!("`{tag}` is not an RFC 5646 language tag"),
                );
            }
            if !text.is_string() {
                self.fail(
                    &format!("{p}/{}", escape(tag)),
                    "a language map's values are strings",
                );
            }
        }
    }

    fn extensions(&mut self, m: &Map<String, Value>, path: &str) {
        let Some(v) = m.get("extensions") else { return };
        let p = format!("{path}/extensions");
        let Some(map) = self.object(v, &p, "`extensions`") else {
            return;
        };
        for k in map.keys() {
            if !is_iri(k) {
                self.fail(
                    &format!("{p}/{}", escape(k)),
                    format!("extension key `{k}` is not an IRI"),
                );
            }
        }
    }

    fn uuid(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<Uuid> {
        let s = self.string(m, key, path)?;
        match parse_uuid(s) {
            Some(u) => Some(u),
            None => {
                self.fail(&format!("{path}/{key}"), format!("`{s}` is not a UUID"));
                None
            }
        }
    }

    fn timestamp(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        let s = self.string(m, key, path)?;
        if is_timestamp(s) {
            Some(s.to_owned())
        } else {
            self.fail(
                &format!("{path}/{key}"),
                format!("`{s}` is not an ISO 8601 timestamp with a time zone (e.g. 2024-12-05T12:21:00.000Z)"),
            );
            None
        }
    }

    /// An Agent or a Group; the Agent's identifier.
    fn actor(&mut self, v: &Value, path: &str, what: &str) -> (Option<Ifi>, Option<String>) {
        let Some(m) = self.object(v, path, what) else {
            return (None, None);
        };
        let name = self.string(m, "name", path).map(str::to_owned);
        match m.get("objectType").and_then(Value::as_str) {
            Some("Group") => {
                self.only(
                    m,
                    path,
                    "a Group",
                    &[
                        "objectType",
                        "name",
                        "member",
                        "mbox",
                        "mbox_sha1sum",
                        "openid",
                        "account",
                    ],
                );
                let ifi = self.ifi(m, path, false);
                match m.get("member") {
                    Some(Value::Array(members)) => {
                        for (i, a) in members.iter().enumerate() {
                            let p = format!("{path}/member/{i}");
                            if a.get("objectType").and_then(Value::as_str) == Some("Group") {
                                self.fail(&p, "a Group's members are Agents, not Groups");
                            } else {
                                self.actor(a, &p, "a member");
                            }
                        }
                    }
                    Some(_) => self.fail(
                        &format!("{path}/member"),
                        "`member` must be an array of Agents",
                    ),
                    None if ifi.is_none() => self.fail(
                        &format!("{path}/member"),
                        "an anonymous Group (no identifier) must list its members",
                    ),
                    None => {}
                }
                (None, name)
            }
            Some("Agent") | None => {
                self.only(
                    m,
                    path,
                    "an Agent",
                    &[
                        "objectType",
                        "name",
                        "mbox",
                        "mbox_sha1sum",
                        "openid",
                        "account",
                    ],
                );
                (self.ifi(m, path, true), name)
            }
            Some(other) => {
                self.fail(
                    &format!("{path}/objectType"),
                    format!("`{other}` is not an actor type (Agent or Group)"),
                );
                (None, name)
            }
        }
    }

    fn ifi(&mut self, m: &Map<String, Value>, path: &str, required: bool) -> Option<Ifi> {
        let present: Vec<&str> = ["mbox", "mbox_sha1sum", "openid", "account"]
            .into_iter()
            .filter(|k| m.contains_key(*k))
            .collect();
        if present.len() > 1 {
            self.fail(
                path,
                format!(
                    "an Agent has exactly one inverse functional identifier; this one has {}",
                    present.join(", ")
                ),
            );
            return None;
        }
        let Some(&which) = present.first() else {
            if required {
                self.fail(path, "an Agent needs one inverse functional identifier: mbox, mbox_sha1sum, openid or account");
            }
            return None;
        };
        match which {
            "mbox" => {
                let s = self.string(m, "mbox", path)?;
                let address = s.strip_prefix("mailto:").filter(|a| {
                    let (local, domain) = a.split_once('@').unwrap_or(("", ""));
                    !local.is_empty() && !domain.is_empty() && !a.contains(char::is_whitespace)
                });
                match address {
                    Some(a) => Some(Ifi::Mbox(format!("mailto:{}", a.to_lowercase()))),
                    None => {
                        self.fail(
                            &format!("{path}/mbox"),
                            format!("`{s}` is not a mailto IRI (mailto:name@example.org)"),
                        );
                        None
                    }
                }
            }
            "mbox_sha1sum" => {
                let s = self.string(m, "mbox_sha1sum", path)?;
                if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Some(Ifi::MboxSha1(s.to_lowercase()))
                } else {
                    self.fail(
                        &format!("{path}/mbox_sha1sum"),
                        "`mbox_sha1sum` is the SHA-1 of the mailto IRI, 40 hex digits",
                    );
                    None
                }
            }
            "openid" => self.iri(m, "openid", path, true).map(Ifi::OpenId),
            _ => {
                let p = format!("{path}/account");
                let a = self.object(&m["account"], &p, "`account`")?;
                self.only(a, &p, "an Account", &["homePage", "name"]);
                let home = self.iri(a, "homePage", &p, true);
                let name = self.string(a, "name", &p).map(str::to_owned);
                if !a.contains_key("name") {
                    self.fail(&format!("{p}/name"), "`name` is required");
                }
                Some(Ifi::Account {
                    home_page: home?.trim_end_matches('/').to_owned(),
                    name: name?,
                })
            }
        }
    }

    fn verb(&mut self, v: Option<&Value>, path: &str) -> Option<String> {
        let Some(v) = v else {
            self.fail(path, "`verb` is required");
            return None;
        };
        let m = self.object(v, path, "`verb`")?;
        self.only(m, path, "a Verb", &["id", "display"]);
        self.language_map(m, "display", path);
        self.iri(m, "id", path, true)
    }

    fn activity(&mut self, m: &Map<String, Value>, path: &str) -> Option<String> {
        self.only(m, path, "an Activity", &["objectType", "id", "definition"]);
        let id = self.iri(m, "id", path, true);
        if let Some(d) = m.get("definition") {
            let p = format!("{path}/definition");
            if let Some(d) = self.object(d, &p, "`definition`") {
                self.only(
                    d,
                    &p,
                    "an Activity Definition",
                    &[
                        "name",
                        "description",
                        "type",
                        "moreInfo",
                        "interactionType",
                        "correctResponsesPattern",
                        "choices",
                        "scale",
                        "source",
                        "target",
                        "steps",
                        "extensions",
                    ],
                );
                self.language_map(d, "name", &p);
                self.language_map(d, "description", &p);
                self.iri(d, "type", &p, false);
                self.iri(d, "moreInfo", &p, false);
                self.extensions(d, &p);
                if let Some(t) = self.string(d, "interactionType", &p) {
                    const TYPES: [&str; 10] = [
                        "true-false",
                        "choice",
                        "fill-in",
                        "long-fill-in",
                        "matching",
                        "performance",
                        "sequencing",
                        "likert",
                        "numeric",
                        "other",
                    ];
                    if !TYPES.contains(&t) {
                        self.fail(
                            &format!("{p}/interactionType"),
                            format!("`{t}` is not an interaction type ({})", TYPES.join(", ")),
                        );
                    }
                }
                if let Some(c) = d.get("correctResponsesPattern") {
                    if !c.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                        self.fail(
                            &format!("{p}/correctResponsesPattern"),
                            "`correctResponsesPattern` is an array of strings",
                        );
                    }
                }
                for list in ["choices", "scale", "source", "target", "steps"] {
                    let Some(v) = d.get(list) else { continue };
                    let lp = format!("{p}/{list}");
                    match v.as_array() {
                        Some(items) => {
                            for (i, item) in items.iter().enumerate() {
                                let ip = format!("{lp}/{i}");
                                if let Some(im) = self.object(item, &ip, "an interaction component")
                                {
                                    self.only(
                                        im,
                                        &ip,
                                        "an interaction component",
                                        &["id", "description"],
                                    );
                                    if self.string(im, "id", &ip).is_none()
                                        && !im.contains_key("id")
                                    {
                                        self.fail(&format!("{ip}/id"), "`id` is required");
                                    }
                                    self.language_map(im, "description", &ip);
                                }
                            }
                        }
                        None => self.fail(
                            &lp,
                            format!("`{list}` is an array of interaction components"),
                        ),
                    }
                }
            }
        }
        id
    }

    /// The object; (activity id, voided statement id).
    fn object_of(
        &mut self,
        v: Option<&Value>,
        path: &str,
        sub: bool,
    ) -> (Option<String>, Option<Uuid>) {
        let Some(v) = v else {
            self.fail(path, "`object` is required");
            return (None, None);
        };
        let Some(m) = self.object(v, path, "`object`") else {
            return (None, None);
        };
        match m.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => (self.activity(m, path), None),
            Some("Agent") | Some("Group") => {
                self.actor(v, path, "`object`");
                (None, None)
            }
            Some("StatementRef") => {
                self.only(m, path, "a Statement Reference", &["objectType", "id"]);
                let id = self.uuid(m, "id", path);
                if !m.contains_key("id") {
                    self.fail(&format!("{path}/id"), "`id` is required");
                }
                (None, id)
            }
            Some("SubStatement") if sub => {
                self.fail(path, "a SubStatement cannot contain another SubStatement");
                (None, None)
            }
            Some("SubStatement") => {
                self.only(
                    m,
                    path,
                    "a SubStatement",
                    &[
                        "objectType",
                        "actor",
                        "verb",
                        "object",
                        "result",
                        "context",
                        "timestamp",
                        "attachments",
                    ],
                );
                self.body(m, path, true);
                (None, None)
            }
            Some(other) => {
                self.fail(&format!("{path}/objectType"), format!("`{other}` is not an object type (Activity, Agent, Group, StatementRef, SubStatement)"));
                (None, None)
            }
        }
    }

    fn result(&mut self, v: &Value, path: &str) -> (Option<Score>, Option<bool>, Option<bool>) {
        let Some(m) = self.object(v, path, "`result`") else {
            return (None, None, None);
        };
        self.only(
            m,
            path,
            "a Result",
            &[
                "score",
                "success",
                "completion",
                "response",
                "duration",
                "extensions",
            ],
        );
        let score = m.get("score").and_then(|s| {
            let p = format!("{path}/score");
            let sm = self.object(s, &p, "`score`")?;
            self.only(sm, &p, "a Score", &["scaled", "raw", "min", "max"]);
            let score = Score {
                scaled: self.number(sm, "scaled", &p),
                raw: self.number(sm, "raw", &p),
                min: self.number(sm, "min", &p),
                max: self.number(sm, "max", &p),
            };
            if score.scaled.is_some_and(|s| !(-1.0..=1.0).contains(&s)) {
                self.fail(&format!("{p}/scaled"), "`scaled` must be between -1 and 1");
            }
            if let (Some(lo), Some(hi)) = (score.min, score.max) {
                if lo >= hi {
                    self.fail(&format!("{p}/max"), "`max` must be greater than `min`");
                }
            }
            if let Some(raw) = score.raw {
                if score.min.is_some_and(|lo| raw < lo) || score.max.is_some_and(|hi| raw > hi) {
                    self.fail(
                        &format!("{p}/raw"),
                        "`raw` must lie between `min` and `max`",
                    );
                }
            }
            Some(score)
        });
        let success = self.boolean(m, "success", path);
        let completion = self.boolean(m, "completion", path);
        self.string(m, "response", path);
        if let Some(d) = self.string(m, "duration", path) {
            if !is_duration(d) {
                self.fail(
                    &format!("{path}/duration"),
                    format!("`{d}` is not an ISO 8601 duration (e.g. PT612S)"),
                );
            }
        }
        self.extensions(m, path);
        (score, success, completion)
    }

    fn context(&mut self, v: &Value, path: &str, object_is_activity: bool) -> Vec<String> {
        let Some(m) = self.object(v, path, "`context`") else {
            return Vec::new();
        };
        self.only(
            m,
            path,
            "a Context",
            &[
                "registration",
                "instructor",
                "team",
                "contextActivities",
                "contextAgents",
                "contextGroups",
                "revision",
                "platform",
                "language",
                "statement",
                "extensions",
            ],
        );
        self.uuid(m, "registration", path);
        if let Some(i) = m.get("instructor") {
            self.actor(i, &format!("{path}/instructor"), "`instructor`");
        }
        if let Some(t) = m.get("team") {
            if t.get("objectType").and_then(Value::as_str) != Some("Group") {
                self.fail(&format!("{path}/team"), "`team` must be a Group");
            } else {
                self.actor(t, &format!("{path}/team"), "`team`");
            }
        }
        for key in ["revision", "platform"] {
            if m.contains_key(key) && !object_is_activity {
                self.fail(
                    &format!("{path}/{key}"),
                    format!("`{key}` is only allowed when the object is an Activity"),
                );
            }
            self.string(m, key, path);
        }
        if let Some(l) = self.string(m, "language", path) {
            if !is_language_tag(l) {
                self.fail(
                    &format!("{path}/language"),
                    format!("`{l}` is not an RFC 5646 language tag"),
                );
            }
        }
        if let Some(s) = m.get("statement") {
            let p = format!("{path}/statement");
            if let Some(sm) = self.object(s, &p, "`statement`") {
                if sm.get("objectType").and_then(Value::as_str) != Some("StatementRef") {
                    self.fail(
                        &format!("{p}/objectType"),
                        "`statement` is a Statement Reference (objectType StatementRef)",
                    );
                }
                self.uuid(sm, "id", &p);
            }
        }
        self.extensions(m, path);
        let mut ids = Vec::new();
        if let Some(ca) = m.get("contextActivities") {
            let p = format!("{path}/contextActivities");
            if let Some(cm) = self.object(ca, &p, "`contextActivities`") {
                self.only(
                    cm,
                    &p,
                    "contextActivities",
                    &["parent", "grouping", "category", "other"],
                );
                for (key, list) in cm {
                    let lp = format!("{p}/{key}");
                    // A single Activity is allowed and read as an array of one (§2.4.6.2).
                    let items: Vec<(String, &Value)> = match list {
                        Value::Array(a) => a
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (format!("{lp}/{i}"), x))
                            .collect(),
                        other => vec![(lp.clone(), other)],
                    };
                    for (ip, item) in items {
                        if let Some(am) = self.object(item, &ip, "a context activity") {
                            if am.get("objectType").is_some_and(|t| t != "Activity") {
                                self.fail(
                                    &format!("{ip}/objectType"),
                                    "context activities are Activities",
                                );
                            }
                            if let Some(id) = self.activity(am, &ip) {
                                if key == "parent" || key == "grouping" {
                                    ids.push(id);
                                }
                            }
                        }
                    }
                }
            }
        }
        ids
    }

    /// The parts a Statement and a SubStatement share.
    fn body(&mut self, m: &Map<String, Value>, path: &str, sub: bool) -> Parts {
        let (actor, name) = match m.get("actor") {
            Some(a) => self.actor(a, &format!("{path}/actor"), "`actor`"),
            None => {
                self.fail(&format!("{path}/actor"), "`actor` is required");
                (None, None)
            }
        };
        let verb = self.verb(m.get("verb"), &format!("{path}/verb"));
        let (activity, voids) = self.object_of(m.get("object"), &format!("{path}/object"), sub);
        let object_is_activity = m
            .get("object")
            .and_then(|o| o.get("objectType"))
            .is_none_or(|t| t == "Activity");
        let result = match m.get("result") {
            Some(r) => self.result(r, &format!("{path}/result")),
            None => (None, None, None),
        };
        let context = match m.get("context") {
            Some(c) => self.context(c, &format!("{path}/context"), object_is_activity),
            None => Vec::new(),
        };
        let timestamp = self.timestamp(m, "timestamp", path);
        if let Some(a) = m.get("attachments") {
            if !a.as_array().is_some_and(Vec::is_empty) {
                self.fail(
                    &format!("{path}/attachments"),
                    "attachments are not accepted by this LRS (send statements without them)",
                );
            }
        }
        let (score, success, completion) = result;
        Parts {
            actor,
            actor_name: name,
            verb,
            activity,
            voids,
            context_activities: context,
            score,
            success,
            completion,
            timestamp,
        }
    }
}

/// What [`Check::body`] read from a Statement or SubStatement (each `None` when absent or wrong).
struct Parts {
    actor: Option<Ifi>,
    actor_name: Option<String>,
    verb: Option<String>,
    activity: Option<String>,
    voids: Option<Uuid>,
    context_activities: Vec<String>,
    score: Option<Score>,
    success: Option<bool>,
    completion: Option<bool>,
    timestamp: Option<String>,
}

/// Reads and checks one statement at `path` (e.g. `/3` in an array); an id is assigned when
/// it has none.
pub fn parse(v: &Value, path: &str) -> Result<Statement, IssuerError> {
    let mut c = Check { errors: Vec::new() };
    let Some(m) = c.object(v, if path.is_empty() { "/" } else { path }, "a statement") else {
        return Err(errors(c));
    };
    c.only(m, path, "a Statement", &STATEMENT_KEYS);
    let id = match m.get("id") {
        Some(_) => c.uuid(m, "id", path),
        None => Some(Uuid::new_v4()),
    };
    let Parts {
        actor,
        actor_name,
        verb,
        activity,
        voids,
        context_activities,
        score,
        success,
        completion,
        timestamp,
    } = c.body(m, path, false);
    c.timestamp(m, "stored", path);
    if let Some(version) = c.string(m, "version", path) {
        if !(version.starts_with("1.0") || version.starts_with("2.0")) {
            c.fail(
                &format!("{path}/version"),
                format!("version `{version}` is not 1.0.x or 2.0.x"),
            );
        }
    }
    if let Some(a) = m.get("authority") {
        c.actor(a, &format!("{path}/authority"), "`authority`");
    }
    if verb.as_deref() == Some(VOIDED) && voids.is_none() && c.errors.is_empty() {
        c.fail(
            &format!("{path}/object"),
            "a voiding statement's object is a StatementRef to the statement it voids",
        );
    }
    if !c.errors.is_empty() {
        return Err(errors(c));
    }
    Ok(Statement {
        id: id.expect("checked"),
        actor,
        actor_name,
        verb: verb.expect("checked"),
        activity,
        voids: if verb_is_voided(m) { voids } else { None },
        context_activities,
        score,
        success,
        completion,
        timestamp,
    })
}

fn verb_is_voided(m: &Map<String, Value>) -> bool {
    m.get("verb")
        .and_then(|v| v.get("id"))
        .and_then(Value::as_str)
        == Some(VOIDED)
}

fn errors(c: Check) -> IssuerError {
    let list = c
        .errors
        .into_iter()
        .map(|(p, m)| {
            microcred_core::model::ModelError::new(
                "statement",
                if p.is_empty() { "/" } else { &p },
                m,
            )
        })
        .collect::<Vec<_>>();
    IssuerError::Refused(microcred_core::model::ModelErrors(list))
}

/// The statement as stored: the given one with `id`, `stored`, `authority` and `version`
/// set by the LRS (xAPI Data §2.4.7-2.4.10: the LRS sets `stored` and `authority`, and
/// `version` to 1.0.0 when absent).
pub fn as_stored(v: &Value, id: Uuid, stored: &str, authority: Value) -> Value {
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.insert("id".into(), Value::String(id.to_string()));
    m.insert("stored".into(), Value::String(stored.to_owned()));
    m.insert("authority".into(), authority);
    m.entry("version")
        .or_insert_with(|| Value::String("1.0.0".into()));
    if !m.contains_key("timestamp") {
        m.insert("timestamp".into(), Value::String(stored.to_owned()));
    }
    Value::Object(m)
}

/// "The same statement" (xAPI Communication §2.1.3, Statement comparison): the statement
/// without what the LRS sets, canonical (RFC 8785), hashed.
pub fn fingerprint(v: &Value) -> String {
    let mut m = v.as_object().cloned().unwrap_or_default();
    for k in ["id", "stored", "authority", "version"] {
        m.remove(k);
    }
    let canonical = microcred_core::proof::canonical_json(&Value::Object(m));
    crate::secrets::sha256_hex(canonical.as_bytes())
}

/// A UUID in any of its text forms, hyphenated (xAPI requires the RFC 4122 form).
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    (s.len() == 36).then(|| Uuid::parse_str(s).ok()).flatten()
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// An absolute IRI: a scheme (RFC 3987 §2.2, `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`),
/// a colon, and something after it, without spaces or control characters.
pub fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && s.len() <= 2048
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

fn is_language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && s.split('-')
            .next()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_alphabetic()))
}

fn is_timestamp(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
        || time::OffsetDateTime::parse(s, &time::format_description::well_known::Iso8601::DEFAULT)
            .is_ok()
}

/// An ISO 8601 duration as xAPI uses it: `P[nY][nM][nW][nD][T[nH][nM][n[.n]S]]`.
fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    fn parts(s: &str, units: &str, fraction_last: bool) -> bool {
        let mut seen = 0usize;
        let mut number = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() || (c == '.' && fraction_last) {
                number.push(c);
            } else {
                let Some(pos) = units[seen..].find(c) else {
                    return false;
                };
                if number.is_empty() || (number.contains('.') && c != 'S') {
                    return false;
                }
                seen += pos + 1;
                number.clear();
            }
        }
        number.is_empty()
    }
    parts(date, "YMWD", false) && time.is_none_or(|t| !t.is_empty() && parts(t, "HMS", true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn moodle_course_completed() -> Value {
        json!({
            "actor": {"name": "Ada Lovelace", "account": {"homePage": "https://moodle.example.org", "name": "17"}},
            "verb": {"id": COMPLETED, "display": {"en": "Completed"}},
            "object": {"objectType": "Activity", "id": "https://moodle.example.org/course/view.php?id=5",
                "definition": {"type": "https://w3id.org/xapi/cmi5/activitytype/course", "name": {"en": "Intro to Computing"}}},
            "context": {"platform": "Moodle", "registration": "3f1c2a9e-77d1-5b0e-8c4a-1f2e3d4c5b6a", "language": "en",
                "contextActivities": {"category": [{"objectType": "Activity", "id": "https://moodle.example.org",
                    "definition": {"type": "http://id.tincanapi.com/activitytype/lms", "name": {"en": "Acme Learning"}}}]}},
            "timestamp": "2024-12-05T12:21:00.000Z"
        })
    }

    fn refused(v: Value) -> String {
        match parse(&v, "") {
            Err(IssuerError::Refused(e)) => e.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn logstore_xapis_course_completion_is_read_with_its_account() {
        let s = parse(&moodle_course_completed(), "").unwrap();
        assert_eq!(
            s.actor.unwrap().key(),
            "account:https://moodle.example.org|17"
        );
        assert_eq!(s.verb, COMPLETED);
        assert_eq!(
            s.activity.as_deref(),
            Some("https://moodle.example.org/course/view.php?id=5")
        );
    }

    #[test]
    fn an_agent_with_two_identifiers_is_refused_at_the_actor() {
        let mut v = moodle_course_completed();
        v["actor"]["mbox"] = json!("mailto:ada@example.org");
        let e = refused(v);
        assert!(
            e.contains("/actor") && e.contains("exactly one inverse functional identifier"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_property_a_bad_iri_and_a_scaled_score_out_of_range_are_each_named() {
        let mut v = moodle_course_completed();
        v["grade"] = json!(5);
        v["verb"]["id"] = json!("completed");
        v["result"] = json!({"score": {"scaled": 1.5}});
        let e = refused(v);
        assert!(e.contains("/grade"), "{e}");
        assert!(e.contains("/verb/id") && e.contains("not an IRI"), "{e}");
        assert!(e.contains("/result/score/scaled"), "{e}");
    }

    #[test]
    fn a_bad_id_timestamp_and_duration_are_refused() {
        let mut v = moodle_course_completed();
        v["id"] = json!("not-a-uuid");
        v["timestamp"] = json!("yesterday");
        v["result"] = json!({"duration": "612 seconds"});
        let e = refused(v);
        assert!(
            e.contains("/id") && e.contains("/timestamp") && e.contains("/result/duration"),
            "{e}"
        );
    }

    #[test]
    fn platform_is_refused_when_the_object_is_not_an_activity() {
        let mut v = moodle_course_completed();
        v["object"] = json!({"objectType": "Agent", "mbox": "mailto:bob@example.org"});
        let e = refused(v);
        assert!(e.contains("/context/platform"), "{e}");
    }

    #[test]
    fn a_voiding_statement_names_what_it_voids() {
        let target = Uuid::new_v4();
        let v = json!({"actor": {"mbox": "mailto:Registrar@Example.org"}, "verb": {"id": VOIDED},
            "object": {"objectType": "StatementRef", "id": target.to_string()}});
        let s = parse(&v, "").unwrap();
        assert_eq!(s.voids, Some(target));
        assert_eq!(
            s.actor,
            Some(Ifi::Mbox("mailto:registrar@example.org".into()))
        );
        let bad = json!({"actor": {"mbox": "mailto:r@example.org"}, "verb": {"id": VOIDED},
            "object": {"id": "https://example.org/a"}});
        assert!(refused(bad).contains("StatementRef"));
    }

    #[test]
    fn durations_follow_iso_8601() {
        for ok in [
            "PT612S",
            "P1D",
            "PT1H30M",
            "PT0.5S",
            "P1Y2M3DT4H5M6.7S",
            "P2W",
        ] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["P", "PT", "612", "PT1.5M", "P1S", "PTM"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn the_fingerprint_ignores_what_the_lrs_sets() {
        let v = moodle_course_completed();
        let stored = as_stored(
            &v,
            Uuid::new_v4(),
            "2026-12-05T00:00:00Z",
            json!({"mbox": "mailto:a@b.c"}),
        );
        assert_eq!(fingerprint(&v).len(), 64);
        let mut w = v.clone();
        w["id"] = json!(Uuid::new_v4().to_string());
        assert_eq!(fingerprint(&v), fingerprint(&w));
        assert_ne!(fingerprint(&stored), fingerprint(&json!({})));
    }
}
