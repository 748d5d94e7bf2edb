//! A fake Moodle for microcred's tests and examples, answering as Moodle's REST web services
//! do (`../shared/moodle/README.md`, sections 1, 2 and 6): HTTP 200 for errors too, with
//! `exception`/`errorcode`/`message`; the check order token → function exists → function
//! allowed → parameters (unknown keys refused) → logic; `cannotviewreport` when completion is
//! disabled, `usernotenroled` for a learner not enrolled, `invalidrecord` for unknown ids;
//! bare arrays where Moodle sends them; `grade` absent when there is none.
//!
//! It is also controllable (`/_fake/...`: complete a course, grade a quiz, go down, go slow)
//! and carries a local SMTP sink ([`smtp`]) whose messages it lists at `/_fake/mail`, and a
//! local RFC 3161 timestamp authority ([`tsa`]) for sealed Europass credentials.

pub mod smtp;
pub mod tsa;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The functions this fake implements.
pub const FUNCTIONS: [&str; 8] = [
    "core_webservice_get_site_info",
    "core_course_get_courses_by_field",
    "core_enrol_get_enrolled_users",
    "core_user_get_users_by_field",
    "core_completion_get_course_completion_status",
    "gradereport_user_get_grade_items",
    "mod_quiz_get_quizzes_by_courses",
    "mod_quiz_get_user_best_grade",
];

/// A course.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Course {
    pub id: i64,
    pub shortname: String,
    pub fullname: String,
    pub enablecompletion: i64,
    pub grade_max: f64,
}

/// A user.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub auth: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub suspended: bool,
}

/// A quiz.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct Quiz {
    pub id: i64,
    pub cmid: i64,
    pub course: i64,
    pub name: String,
    pub grade: f64,
    pub sumgrades: f64,
    pub gradepass: f64,
}

/// Which functions a token may call.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Allowed {
    /// `"all"`.
    All(String),
    /// A list of function names.
    Some(Vec<String>),
}

/// The site, as the fixture describes it (`site.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Site {
    pub sitename: String,
    pub release: String,
    pub version: String,
    #[serde(default)]
    pub namespaced_exceptions: bool,
    pub tokens: BTreeMap<String, Allowed>,
    pub courses: Vec<Course>,
    pub users: Vec<User>,
    pub enrolments: Vec<(i64, i64)>,
    #[serde(default)]
    pub quizzes: Vec<Quiz>,
}

/// What changes while the fake runs.
#[derive(Debug, Default)]
pub struct Live {
    /// (course, user) → time completed.
    pub completions: BTreeMap<(i64, i64), i64>,
    /// (quiz, user) → best grade on the quiz's scale.
    pub quiz_grades: BTreeMap<(i64, i64), f64>,
    /// (course, user) → course total (raw, on the course's scale).
    pub course_totals: BTreeMap<(i64, i64), f64>,
    /// Answer 503 to everything.
    pub down: bool,
    /// Wait this long before answering.
    pub delay_ms: u64,
    /// Calls per function.
    pub calls: BTreeMap<String, u64>,
    /// Functions whose capability the token's user lacks (they answer `nopermissions`).
    pub denied: BTreeSet<String>,
}

/// The fake's state.
#[derive(Debug, Clone)]
pub struct Fake {
    site: Arc<Site>,
    live: Arc<Mutex<Live>>,
    mail: smtp::Mailbox,
}

impl Fake {
    /// A fake for `site`.
    pub fn new(site: Site) -> Self {
        Self {
            site: Arc::new(site),
            live: Arc::new(Mutex::new(Live::default())),
            mail: smtp::Mailbox::default(),
        }
    }

    /// Loads a fixture file.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Ok(Self::new(serde_json::from_str(&text)?))
    }

    /// The fixture shipped with this crate (`site.json`).
    pub fn standard() -> Self {
        Self::new(
            serde_json::from_str(include_str!("../site.json")).expect("the shipped fixture parses"),
        )
    }

    /// Changes the live state.
    pub fn with<R>(&self, f: impl FnOnce(&mut Live) -> R) -> R {
        f(&mut self.live.lock().expect("not poisoned"))
    }

    /// Marks a course completed for a user (as Moodle's cron would).
    pub fn complete(&self, course: i64, user: i64, at: i64) {
        self.with(|l| l.completions.insert((course, user), at));
    }

    /// Sets a user's best grade on a quiz.
    pub fn grade_quiz(&self, quiz: i64, user: i64, grade: f64) {
        self.with(|l| l.quiz_grades.insert((quiz, user), grade));
    }

    /// Sets a user's course total.
    pub fn grade_course(&self, course: i64, user: i64, grade: f64) {
        self.with(|l| l.course_totals.insert((course, user), grade));
    }

    /// How many times a function was called.
    pub fn calls(&self, function: &str) -> u64 {
        self.with(|l| l.calls.get(function).copied().unwrap_or(0))
    }

    /// The SMTP sink's mailbox.
    pub fn mailbox(&self) -> smtp::Mailbox {
        self.mail.clone()
    }

    /// The site.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The HTTP routes (web services and controls).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/webservice/rest/server.php", get(rest).post(rest))
            .route("/_fake/complete", post(control_complete))
            .route("/_fake/quiz-grade", post(control_quiz_grade))
            .route("/_fake/course-grade", post(control_course_grade))
            .route("/_fake/down", post(control_down))
            .route("/_fake/delay", post(control_delay))
            .route("/_fake/mail", get(control_mail))
            .with_state(self.clone())
    }

    /// Serves on `addr` (port 0 picks one); returns the bound address.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(bound)
    }

    /// Starts the SMTP sink on `addr`; returns the bound address.
    pub async fn serve_smtp(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        smtp::serve(addr, self.mail.clone()).await
    }

    fn exception_class(&self, plain: &str) -> String {
        if self.site.namespaced_exceptions && plain != "webservice_access_exception" {
            format!("core\\exception\\{plain}")
        } else {
            plain.to_owned()
        }
    }

    fn error(&self, class: &str, code: &str, message: &str) -> Value {
        json!({"exception": self.exception_class(class), "errorcode": code, "message": message})
    }
}

fn moodle_json(v: &Value) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CACHE_CONTROL,
                "private, must-revalidate, pre-check=0, post-check=0, max-age=0",
            ),
            (header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (header::PRAGMA, "no-cache"),
        ],
        // Moodle's json_encode escapes slashes.
        serde_json::to_string(v)
            .expect("serialisable")
            .replace('/', "\\/"),
    )
        .into_response()
}

/// Parameters as Moodle's REST server reads them: query merged with the form, the form wins.
fn parameters(query: &str, body: &[u8]) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        p.insert(k.into_owned(), v.into_owned());
    }
    for (k, v) in url::form_urlencoded::parse(body) {
        p.insert(k.into_owned(), v.into_owned());
    }
    p
}

/// Declared parameters per function: (name, required).
fn declared(function: &str) -> &'static [(&'static str, bool)] {
    match function {
        "core_webservice_get_site_info" => &[("serviceshortnames", false)],
        "core_course_get_courses_by_field" => &[("field", false), ("value", false)],
        "core_enrol_get_enrolled_users" => &[("courseid", true), ("options", false)],
        "core_user_get_users_by_field" => &[("field", true), ("values", true)],
        "core_completion_get_course_completion_status" => &[("courseid", true), ("userid", true)],
        "gradereport_user_get_grade_items" => {
            &[("courseid", true), ("userid", false), ("groupid", false)]
        }
        "mod_quiz_get_quizzes_by_courses" => &[("courseids", false)],
        "mod_quiz_get_user_best_grade" => &[("quizid", true), ("userid", false)],
        _ => &[],
    }
}

const INT_PARAMS: [&str; 4] = ["courseid", "userid", "quizid", "groupid"];

async fn rest(State(fake): State<Fake>, uri: axum::http::Uri, body: Bytes) -> Response {
    let (down, delay) = fake.with(|l| (l.down, l.delay_ms));
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Moodle is under maintenance",
        )
            .into_response();
    }
    let mut p = parameters(uri.query().unwrap_or_default(), &body);
    let token = p.remove("wstoken").unwrap_or_default();
    let function = p.remove("wsfunction").unwrap_or_default();
    let format = p.remove("moodlewsrestformat").unwrap_or_default();
    p.retain(|k, _| !k.starts_with("moodlewssetting"));
    if format != "json" {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/xml")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<EXCEPTION class=\"{}\">\n<ERRORCODE>invalidparameter</ERRORCODE>\n<MESSAGE>this fake answers JSON only; send moodlewsrestformat=json</MESSAGE>\n</EXCEPTION>\n",
                fake.exception_class("moodle_exception")
            ),
        )
            .into_response();
    }
    let Some(allowed) = fake.site.tokens.get(&token) else {
        return moodle_json(&fake.error(
            "moodle_exception",
            "invalidtoken",
            "Invalid token - token not found",
        ));
    };
    if function.is_empty() {
        return moodle_json(&fake.error(
            "invalid_parameter_exception",
            "invalidparameter",
            "Invalid parameter value detected",
        ));
    }
    if !FUNCTIONS.contains(&function.as_str()) {
        return moodle_json(
            &json!({"exception": "dml_missing_record_exception", "errorcode": "invalidrecord", "message": "Can't find data record in database table external_functions."}),
        );
    }
    let ok = match allowed {
        Allowed::All(_) => true,
        Allowed::Some(list) => list.iter().any(|f| f == &function),
    };
    if !ok {
        return moodle_json(
            &json!({"exception": "webservice_access_exception", "errorcode": "accessexception", "message": "Access control exception"}),
        );
    }
    fake.with(|l| *l.calls.entry(function.clone()).or_default() += 1);
    if fake.with(|l| l.denied.contains(&function)) {
        return moodle_json(&fake.error(
            "required_capability_exception",
            "nopermissions",
            "Sorry, but you do not currently have permissions to do that (View reports).",
        ));
    }
    let decl = declared(&function);
    let top: BTreeSet<String> = p
        .keys()
        .map(|k| k.split('[').next().unwrap_or_default().to_owned())
        .collect();
    let unexpected: Vec<&String> = top
        .iter()
        .filter(|k| !decl.iter().any(|(d, _)| d == k))
        .collect();
    let bad_param = || {
        fake.error(
            "invalid_parameter_exception",
            "invalidparameter",
            "Invalid parameter value detected",
        )
    };
    if !unexpected.is_empty() {
        return moodle_json(&bad_param());
    }
    for (d, required) in decl {
        if *required && !top.contains(*d) {
            return moodle_json(&bad_param());
        }
    }
    for k in INT_PARAMS {
        if let Some(v) = p.get(k) {
            if v.parse::<i64>().map(|i| i.to_string()) != Ok(v.clone()) {
                return moodle_json(&bad_param());
            }
        }
    }
    let int = |k: &str| p.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let answer = match function.as_str() {
        "core_webservice_get_site_info" => site_info(&fake, allowed),
        "core_course_get_courses_by_field" => courses_by_field(
            &fake,
            p.get("field").map(String::as_str).unwrap_or(""),
            p.get("value").map(String::as_str).unwrap_or(""),
        ),
        "core_enrol_get_enrolled_users" => enrolled_users(&fake, int("courseid"), &p),
        "core_user_get_users_by_field" => users_by_field(&fake, &p),
        "core_completion_get_course_completion_status" => {
            completion_status(&fake, int("courseid"), int("userid"))
        }
        "gradereport_user_get_grade_items" => grade_items(&fake, int("courseid"), int("userid")),
        "mod_quiz_get_quizzes_by_courses" => quizzes(&fake, &p),
        "mod_quiz_get_user_best_grade" => best_grade(&fake, int("quizid"), int("userid")),
        _ => unreachable!("checked above"),
    };
    moodle_json(&answer)
}

fn site_info(fake: &Fake, allowed: &Allowed) -> Value {
    let s = &fake.site;
    let functions: Vec<Value> = FUNCTIONS
        .iter()
        .filter(|f| match allowed {
            Allowed::All(_) => true,
            Allowed::Some(list) => list.iter().any(|g| g == *f),
        })
        .map(|f| json!({"name": f, "version": s.version}))
        .collect();
    json!({
        "sitename": s.sitename, "username": "ws_microcred", "firstname": "Microcred",
        "lastname": "Service", "fullname": "Microcred Service", "lang": "en", "userid": 3,
        "siteurl": "https://moodle.example.org",
        "userpictureurl": "https://moodle.example.org/theme/image.php/boost/core/1733400000/u/f1",
        "functions": functions, "downloadfiles": 0, "uploadfiles": 0, "release": s.release,
        "version": s.version, "mobilecssurl": "", "siteid": 1, "userissiteadmin": false
    })
}

fn course_json(c: &Course) -> Value {
    json!({"id": c.id, "fullname": c.fullname, "displayname": c.fullname, "shortname": c.shortname,
        "categoryid": 1, "categoryname": "Category 1", "summary": "", "summaryformat": 1,
        "overviewfiles": [], "showactivitydates": true, "showcompletionconditions": true,
        "contacts": [], "enrollmentmethods": ["manual"], "format": "topics", "showgrades": 1,
        "enablecompletion": c.enablecompletion})
}

fn courses_by_field(fake: &Fake, field: &str, value: &str) -> Value {
    let courses: Vec<Value> = match field {
        "id" => fake
            .site
            .courses
            .iter()
            .filter(|c| value.parse::<i64>() == Ok(c.id))
            .map(course_json)
            .collect(),
        "shortname" => fake
            .site
            .courses
            .iter()
            .filter(|c| c.shortname == value)
            .map(course_json)
            .collect(),
        "" => fake.site.courses.iter().map(course_json).collect(),
        _ => {
            return fake.error(
                "invalid_parameter_exception",
                "invalidparameter",
                "Invalid parameter value detected",
            )
        }
    };
    json!({"courses": courses, "warnings": []})
}

fn user_json(u: &User, courses: Option<Vec<Value>>) -> Value {
    let mut v = json!({"id": u.id, "username": u.username, "firstname": u.firstname,
        "lastname": u.lastname, "fullname": format!("{} {}", u.firstname, u.lastname),
        "email": u.email, "auth": u.auth, "suspended": u.suspended, "confirmed": true,
        "lang": u.lang.clone().unwrap_or_else(|| "en".into()), "timezone": "99",
        "profileimageurlsmall": "https://moodle.example.org/u/f2",
        "profileimageurl": "https://moodle.example.org/u/f1"});
    if let Some(c) = courses {
        let obj = v.as_object_mut().expect("object");
        obj.remove("auth");
        obj.remove("suspended");
        obj.remove("confirmed");
        obj.insert(
            "roles".into(),
            json!([{"roleid": 5, "name": "", "shortname": "student", "sortorder": 0}]),
        );
        obj.insert("enrolledcourses".into(), Value::Array(c));
    }
    v
}

fn enrolled_users(fake: &Fake, course: i64, p: &BTreeMap<String, String>) -> Value {
    let Some(c) = fake.site.courses.iter().find(|c| c.id == course) else {
        return fake.error(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table course.",
        );
    };
    let mut options = BTreeMap::new();
    for i in 0..10 {
        if let (Some(n), Some(v)) = (
            p.get(&format!("options[{i}][name]")),
            p.get(&format!("options[{i}][value]")),
        ) {
            options.insert(n.clone(), v.clone());
        }
    }
    let from: usize = options
        .get("limitfrom")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let count: usize = options
        .get("limitnumber")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(usize::MAX);
    let users: Vec<Value> = fake
        .site
        .users
        .iter()
        .filter(|u| fake.site.enrolments.contains(&(course, u.id)))
        .skip(from)
        .take(count)
        .map(|u| {
            user_json(
                u,
                Some(vec![
                    json!({"id": c.id, "fullname": c.fullname, "shortname": c.shortname}),
                ]),
            )
        })
        .collect();
    Value::Array(users)
}

fn users_by_field(fake: &Fake, p: &BTreeMap<String, String>) -> Value {
    let field = p.get("field").cloned().unwrap_or_default();
    let values: Vec<&String> = p
        .iter()
        .filter(|(k, _)| k.starts_with("values["))
        .map(|(_, v)| v)
        .collect();
    let matches = |u: &User, v: &str| match field.as_str() {
        "id" => v.parse::<i64>() == Ok(u.id),
        "username" => u.username == v,
        "email" => u.email == v,
        "idnumber" => false,
        _ => false,
    };
    if !["id", "username", "email", "idnumber"].contains(&field.as_str()) {
        return fake.error(
            "coding_exception",
            "codingerror",
            "Coding error detected, it must be fixed by a programmer: invalid field parameter",
        );
    }
    Value::Array(
        fake.site
            .users
            .iter()
            .filter(|u| values.iter().any(|v| matches(u, v)))
            .map(|u| user_json(u, None))
            .collect(),
    )
}

fn completion_status(fake: &Fake, course: i64, user: i64) -> Value {
    let Some(c) = fake.site.courses.iter().find(|c| c.id == course) else {
        return fake.error(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table course.",
        );
    };
    if !fake.site.users.iter().any(|u| u.id == user) {
        return fake.error(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table user.",
        );
    }
    if c.enablecompletion == 0 {
        return fake.error(
            "moodle_exception",
            "cannotviewreport",
            "You cannot view this report",
        );
    }
    if !fake.site.enrolments.contains(&(course, user)) {
        return fake.error(
            "moodle_exception",
            "usernotenroled",
            "User is not enrolled in this course",
        );
    }
    let done = fake.with(|l| l.completions.get(&(course, user)).copied());
    json!({
        "completionstatus": {
            "completed": done.is_some(),
            "aggregation": 1,
            "completions": [{
                "type": 4, "title": "Activity completion",
                "status": if done.is_some() { "Yes" } else { "No" },
                "complete": done.is_some(), "timecompleted": done,
                "details": {"type": "Activity completion", "criteria": "<a href=\"https://moodle.example.org/mod/quiz/view.php?id=42\">Final test</a>", "requirement": "Achieving passing grade", "status": ""}
            }]
        },
        "warnings": []
    })
}

fn grade_items(fake: &Fake, course: i64, user: i64) -> Value {
    let Some(c) = fake.site.courses.iter().find(|c| c.id == course) else {
        return fake.error(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table course.",
        );
    };
    let u = fake.site.users.iter().find(|u| u.id == user);
    let (total, quiz_items) = fake.with(|l| {
        let items: Vec<Value> = fake
            .site
            .quizzes
            .iter()
            .filter(|q| q.course == course)
            .map(|q| {
                let g = l.quiz_grades.get(&(q.id, user)).copied();
                json!({"id": 200 + q.id, "itemname": q.name, "itemtype": "mod", "itemmodule": "quiz",
                    "iteminstance": q.id, "itemnumber": 0, "idnumber": "", "categoryid": 12,
                    "outcomeid": null, "scaleid": null, "locked": false, "cmid": q.cmid,
                    "graderaw": g, "gradeformatted": g.map(|g| format!("{g:.2}")).unwrap_or_else(|| "-".into()),
                    "grademin": 0.0, "grademax": q.grade, "rangeformatted": format!("0&ndash;{}", q.grade),
                    "percentageformatted": g.map(|g| format!("{:.2} %", g / q.grade * 100.0)).unwrap_or_else(|| "-".into())})
            })
            .collect();
        (l.course_totals.get(&(course, user)).copied(), items)
    });
    let mut items = quiz_items;
    items.push(json!({"id": 100, "itemname": null, "itemtype": "course", "itemmodule": null,
        "iteminstance": 12, "itemnumber": null, "idnumber": null, "categoryid": null,
        "outcomeid": null, "scaleid": null, "locked": false, "graderaw": total,
        "gradeformatted": total.map(|g| format!("{g:.2}")).unwrap_or_else(|| "-".into()),
        "grademin": 0.0, "grademax": c.grade_max, "rangeformatted": format!("0&ndash;{}", c.grade_max),
        "percentageformatted": total.map(|g| format!("{:.2} %", g / c.grade_max * 100.0)).unwrap_or_else(|| "-".into())}));
    json!({
        "usergrades": [{
            "courseid": course, "courseidnumber": "", "userid": user,
            "userfullname": u.map(|u| format!("{} {}", u.firstname, u.lastname)).unwrap_or_default(),
            "useridnumber": "", "maxdepth": 2, "gradeitems": items
        }],
        "warnings": []
    })
}

fn quizzes(fake: &Fake, p: &BTreeMap<String, String>) -> Value {
    let ids: Vec<i64> = p
        .iter()
        .filter(|(k, _)| k.starts_with("courseids["))
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let list: Vec<Value> = fake
        .site
        .quizzes
        .iter()
        .filter(|q| ids.is_empty() || ids.contains(&q.course))
        .map(|q| {
            json!({"id": q.id, "coursemodule": q.cmid, "course": q.course, "name": q.name,
                "intro": "", "introformat": 1, "introfiles": [], "lang": "",
                "timeopen": 0, "timeclose": 0, "timelimit": 1800, "attempts": 2,
                "grademethod": 1, "decimalpoints": 2, "sumgrades": q.sumgrades, "grade": q.grade,
                "hasfeedback": 0, "completionpass": 1, "hasquestions": 1})
        })
        .collect();
    json!({"quizzes": list, "warnings": []})
}

fn best_grade(fake: &Fake, quiz: i64, user: i64) -> Value {
    let Some(q) = fake.site.quizzes.iter().find(|q| q.id == quiz) else {
        return fake.error(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table quiz.",
        );
    };
    let g = fake.with(|l| l.quiz_grades.get(&(quiz, user)).copied());
    let mut v = json!({"hasgrade": g.is_some()});
    let obj = v.as_object_mut().expect("object");
    if let Some(g) = g {
        obj.insert("grade".into(), json!(g));
    }
    if q.gradepass != 0.0 {
        obj.insert("gradetopass".into(), json!(q.gradepass));
    }
    obj.insert("warnings".into(), json!([]));
    v
}

#[derive(Deserialize)]
struct CompleteBody {
    course: i64,
    user: i64,
    #[serde(default)]
    time: Option<i64>,
}

async fn control_complete(State(f): State<Fake>, Json(b): Json<CompleteBody>) -> StatusCode {
    let t = b.time.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
            .unwrap_or(0)
    });
    f.complete(b.course, b.user, t);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct QuizGradeBody {
    quiz: i64,
    user: i64,
    grade: f64,
}

async fn control_quiz_grade(State(f): State<Fake>, Json(b): Json<QuizGradeBody>) -> StatusCode {
    f.grade_quiz(b.quiz, b.user, b.grade);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct CourseGradeBody {
    course: i64,
    user: i64,
    grade: f64,
}

async fn control_course_grade(State(f): State<Fake>, Json(b): Json<CourseGradeBody>) -> StatusCode {
    f.grade_course(b.course, b.user, b.grade);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DownBody {
    down: bool,
}

async fn control_down(State(f): State<Fake>, Json(b): Json<DownBody>) -> StatusCode {
    f.with(|l| l.down = b.down);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DelayBody {
    ms: u64,
}

async fn control_delay(State(f): State<Fake>, Json(b): Json<DelayBody>) -> StatusCode {
    f.with(|l| l.delay_ms = b.ms);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct MailQuery {
    to: Option<String>,
}

async fn control_mail(State(f): State<Fake>, Query(q): Query<MailQuery>) -> Json<Value> {
    let messages: Vec<Value> = f
        .mail
        .messages()
        .into_iter()
        .filter(|m| q.to.as_ref().is_none_or(|t| m.to.iter().any(|x| x == t)))
        .map(|m| json!({"from": m.from, "to": m.to, "subject": m.subject(), "data": m.data}))
        .collect();
    Json(Value::Array(messages))
}
