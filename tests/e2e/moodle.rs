//! Moodle triggers end to end, against the fake Moodle (`examples/fake-moodle`, answering as
//! `../shared/moodle/README.md` describes) and its SMTP sink: connecting, mapping, events,
//! polls, evaluations with reasons, failures and retries, exactly-once issuance under
//! duplicates, two instances and a SIGKILL, and the learner's e-mail.

use std::net::SocketAddr;
use std::time::Duration;

use microcred_fake_moodle::Fake;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{fixture, onboard, Backend, Binary, TestApp, TestDb};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub(crate) const COMPLETED: &str = "\\core\\event\\course_completed";

pub(crate) struct World {
    pub(crate) app: TestApp,
    _db: TestDb,
    pub(crate) fake: Fake,
    pub(crate) moodle: String,
    smtp: SocketAddr,
    pub(crate) token: String,
}

fn quick(config: &mut microcred::Config) {
    config.triggers.lease = Duration::from_secs(5);
    config.triggers.retry_base = Duration::from_secs(1);
    config.triggers.moodle_timeout = Duration::from_secs(3);
}

async fn start_fake(fake: &Fake) -> (String, SocketAddr) {
    let web = fake.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let smtp = fake
        .serve_smtp("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (format!("http://{web}"), smtp)
}

async fn world_with(
    backend: Backend,
    fake: Fake,
    tune: impl FnOnce(&mut microcred::Config),
) -> World {
    let (moodle, smtp) = start_fake(&fake).await;
    let db = TestDb::new(backend).await;
    let mut config = db.config();
    config.smtp_url = Some(format!("smtp://{smtp}"));
    config.mail_from = Some("credentials@microcred.test".into());
    quick(&mut config);
    tune(&mut config);
    let app = TestApp::spawn(config).await;
    let (_, token) = onboard(&app).await;
    let made = app
        .client(&token)
        .post(
            "/api/v1/institutions/ase/achievements",
            json!({"slug": "gdpr-moodle", "definition": fixture("achievements/good/gdpr-moodle.json")}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert!(
        made.text("/criteria/ro")
            .starts_with("Acordat când sunt îndeplinite toate condițiile"),
        "the registrar sees the criteria the rules write: {}",
        made.body
    );
    World {
        app,
        _db: db,
        fake,
        moodle,
        smtp,
        token,
    }
}

pub(crate) async fn world(backend: Backend) -> World {
    world_with(backend, Fake::standard(), |_| {}).await
}

impl World {
    /// Connects the fake Moodle and maps GDPR101 to `gdpr-moodle`: (connection id, secret).
    pub(crate) async fn connect(&self, poll_minutes: Option<i64>) -> (String, String) {
        let mut body = json!({"siteUrl": self.moodle, "token": TOKEN});
        if let Some(m) = poll_minutes {
            body["pollMinutes"] = json!(m);
        }
        let r = self
            .app
            .client(&self.token)
            .post("/api/v1/institutions/ase/moodle", body)
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(r.text("/siteName"), "Acme Learning");
        let id = r.text("/id");
        self.app
            .client(&self.token)
            .post(
                &format!("/api/v1/institutions/ase/moodle/{id}/courses"),
                json!({"course": "GDPR101", "achievement": "gdpr-moodle"}),
            )
            .await
            .expect(StatusCode::CREATED);
        (id, r.text("/hookSecret"))
    }

    /// Posts an event as tool_trigger does: every value a string, no Content-Type.
    pub(crate) async fn event(
        &self,
        conn: &str,
        secret: &str,
        name: &str,
        user: i64,
        object: &str,
    ) -> (StatusCode, Value) {
        let body = json!({"event": name, "learner": user.to_string(), "course": "5",
            "objectid": object, "time": "1733401260"})
        .to_string();
        let r = self
            .app
            .http
            .post(self.app.url(&format!("/api/v1/hooks/moodle/{conn}")))
            .header("Authorization", format!("Bearer {secret}"))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn evaluations(&self, query: &str) -> Vec<Value> {
        self.app
            .client(&self.token)
            .get(&format!("/api/v1/institutions/ase/evaluations{query}"))
            .await
            .expect(StatusCode::OK)
            .body
            .as_array()
            .unwrap()
            .clone()
    }

    pub(crate) async fn credentials(&self) -> Vec<Value> {
        self.app
            .client(&self.token)
            .get("/api/v1/institutions/ase/credentials?limit=500")
            .await
            .expect(StatusCode::OK)
            .body
            .as_array()
            .unwrap()
            .clone()
    }

    async fn inbox(&self, state: &str) -> Vec<Value> {
        self.app
            .client(&self.token)
            .get(&format!(
                "/api/v1/institutions/ase/moodle-inbox?state={state}"
            ))
            .await
            .expect(StatusCode::OK)
            .body
            .as_array()
            .unwrap()
            .clone()
    }
}

/// Waits (up to 60 s) until `f` gives `Some`.
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..600 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

both_backends!(
    a_course_completion_event_issues_one_credential_and_the_learner_gets_an_email,
    |backend| async move {
        let w = world(backend).await;
        let (conn, secret) = w.connect(None).await;
        w.fake.complete(5, 17, 1_733_401_260);
        w.fake.grade_quiz(7, 17, 8.5);

        let (status, body) = w.event(&conn, &secret, COMPLETED, 17, "88").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["accepted"], true);
        // tool_trigger retries and replays: the same event again is a duplicate.
        let (status, again) = w.event(&conn, &secret, COMPLETED, 17, "88").await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["item"], body["item"]);
        // The quiz event for the same learner meets the same idempotency key.
        w.event(
            &conn,
            &secret,
            "\\mod_quiz\\event\\attempt_graded",
            17,
            "931",
        )
        .await;

        let issued = eventually("the evaluation", || async {
            let evs = w.evaluations("?learner=17").await;
            (evs.len() >= 2).then_some(evs)
        })
        .await;
        let outcomes: Vec<&str> = issued
            .iter()
            .map(|e| e["outcome"].as_str().unwrap())
            .collect();
        assert!(
            outcomes.contains(&"issued") && outcomes.contains(&"already_issued"),
            "{outcomes:?}"
        );
        let first = issued.iter().find(|e| e["outcome"] == "issued").unwrap();
        assert_eq!(
            first["reasons"],
            json!([
                "course completed on 2024-12-05",
                "quiz 'Final test': 85% ≥ 80%",
                "signed in with 'mpass'"
            ])
        );
        let creds = w.credentials().await;
        assert_eq!(creds.len(), 1, "exactly one credential");
        let cred = &creds[0]["credential"];
        assert_eq!(cred["credentialSubject"]["achievement"]["criteria"]["narrative"],
            "Awarded when all of the following are met, as recorded by the course's learning platform: the course is completed; at least 80% on the quiz “Final test”. The learner's identity was established by signing in through: mpass.");
        let code = creds[0]["code"].as_str().unwrap().to_owned();
        assert_eq!(w.app.verdict(&code).await, "Valid");

        let mail = eventually("the e-mail", || async {
            w.fake.mailbox().to("ada@example.org").into_iter().next()
        })
        .await;
        assert_eq!(
            mail.subject(),
            "Your micro-credential: Personal data protection in public administration"
        );
        assert!(
            mail.data.contains(
                "From: \"Academia de Studii Economice a Moldovei\" <credentials@microcred.test>"
            ) || mail.data.contains(
                "From: Academia de Studii Economice a Moldovei <credentials@microcred.test>"
            ),
            "{}",
            mail.data
        );
        assert!(
            mail.data.contains(&format!("/v/{code}")),
            "verification link"
        );
        assert!(
            mail.data.contains("image/png"),
            "the QR code is attached inline"
        );
        let holder = mail
            .data
            .split_whitespace()
            .find(|w| w.contains("/holder/"))
            .expect("the private holder link")
            .trim_matches(|c| c == '<' || c == '>' || c == '"')
            .to_owned();
        let holder = &holder[holder.find("http").unwrap()..];
        let page = w.app.http.get(holder).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{holder}");
        assert!(page
            .text()
            .await
            .unwrap()
            .contains("Personal data protection"));
        let download = w
            .app
            .http
            .get(format!("{holder}/credential.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), StatusCode::OK);
        let wrong = format!("{}x", &holder[..holder.len() - 1]);
        assert_eq!(
            w.app.http.get(&wrong).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        // One message for one credential, however many events.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(w.fake.mailbox().to("ada@example.org").len(), 1);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grade_below_the_minimum_is_recorded_with_its_reason_and_a_reevaluation_issues_after_the_grade_is_corrected(
) {
    let w = world(Backend::Sqlite).await;
    let (conn, secret) = w.connect(None).await;
    w.fake.complete(5, 18, 1_733_401_260);
    w.fake.grade_quiz(7, 18, 7.2);
    w.event(&conn, &secret, COMPLETED, 18, "90").await;
    let evs = eventually("the evaluation", || async {
        let e = w.evaluations("?learner=18&achievement=gdpr-moodle").await;
        (!e.is_empty()).then_some(e)
    })
    .await;
    assert_eq!(evs[0]["outcome"], "not_met");
    assert!(
        evs[0]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("quiz 'Final test': 72% < 80%")),
        "{}",
        evs[0]
    );
    assert!(w.credentials().await.is_empty());

    w.fake.grade_quiz(7, 18, 9.0);
    let r = w
        .app
        .client(&w.token)
        .post(
            &format!(
                "/api/v1/institutions/ase/evaluations/{}/reevaluate",
                evs[0]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["evaluations"][0]["outcome"], "issued", "{}", r.body);
    assert_eq!(w.credentials().await.len(), 1);
    let mail = eventually("the e-mail", || async {
        w.fake.mailbox().to("ion@example.md").into_iter().next()
    })
    .await;
    assert_eq!(mail.subject(), "Micro-credențialul dumneavoastră: Protecția datelor cu caracter personal în administrația publică", "in the learner's language");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_who_did_not_sign_in_with_the_required_method_is_not_awarded() {
    let w = world(Backend::Sqlite).await;
    let (conn, secret) = w.connect(None).await;
    w.fake.complete(5, 19, 1_733_401_260);
    w.fake.grade_quiz(7, 19, 10.0);
    w.event(&conn, &secret, COMPLETED, 19, "91").await;
    let evs = eventually("the evaluation", || async {
        let e = w.evaluations("?learner=19").await;
        (!e.is_empty()).then_some(e)
    })
    .await;
    assert_eq!(evs[0]["outcome"], "not_met");
    assert!(evs[0]["reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("signed in with 'manual', not one of: mpass")));
    assert!(w.credentials().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_a_moodle_names_what_is_wrong() {
    let w = world(Backend::Sqlite).await;
    let c = w.app.client(&w.token);
    let bad = c
        .post(
            "/api/v1/institutions/ase/moodle",
            json!({"siteUrl": w.moodle, "token": "ffffffffffffffffffffffffffffffff"}),
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text("/error/message").contains("invalidtoken"),
        "{}",
        bad.body
    );
    let missing = c
        .post(
            "/api/v1/institutions/ase/moodle",
            json!({"siteUrl": w.moodle, "token": "fedcba9876543210fedcba9876543210"}),
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let m = missing.text("/error/message");
    assert!(
        m.contains("core_enrol_get_enrolled_users")
            && m.contains("mod_quiz_get_user_best_grade")
            && !m.contains("core_webservice_get_site_info,"),
        "{m}"
    );
    let down = c
        .post(
            "/api/v1/institutions/ase/moodle",
            json!({"siteUrl": "http://127.0.0.1:9", "token": TOKEN}),
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        down.text("/error/message").contains("did not answer"),
        "{}",
        down.body
    );
    c.post(
        "/api/v1/institutions/ase/moodle",
        json!({"siteUrl": "moodle.example.org", "token": TOKEN}),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let (id, _) = w.connect(None).await;
    // An achievement without earning rules cannot be mapped; an unknown course is named.
    let r = c
        .post(
            &format!("/api/v1/institutions/ase/moodle/{id}/courses"),
            json!({"course": 5, "achievement": "gdpr-101"}),
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text("/error/message").contains("earningRules"),
        "{}",
        r.body
    );
    let r = c
        .post(
            &format!("/api/v1/institutions/ase/moodle/{id}/courses"),
            json!({"course": "NOPE", "achievement": "gdpr-moodle"}),
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text("/error/message")
            .contains("no course with shortname `NOPE`"),
        "{}",
        r.body
    );
    // The token is never shown again.
    let listed = c
        .get("/api/v1/institutions/ase/moodle")
        .await
        .expect(StatusCode::OK);
    assert!(!listed.body.to_string().contains(TOKEN));
    assert!(listed.body[0].get("hookSecret").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_must_be_signed_or_carry_the_secret_and_stale_or_replayed_ones_are_refused() {
    let w = world(Backend::Sqlite).await;
    let (conn, secret) = w.connect(None).await;
    let url = w.app.url(&format!("/api/v1/hooks/moodle/{conn}"));
    let body = format!(
        r#"{{"eventname":"{}","relateduserid":17,"courseid":5,"objectid":88}}"#,
        COMPLETED.replace('\\', "\\\\")
    );
    let post = |headers: Vec<(&'static str, String)>, body: String| {
        let mut r = w.app.http.post(&url).body(body);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        async move { r.send().await.unwrap().status() }
    };
    assert_eq!(post(vec![], body.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        post(vec![("Authorization", "Bearer wrong".into())], body.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let sig = microcred_issuer::triggers::events::sign(&secret, &now, body.as_bytes());
    let signed = vec![
        ("X-Microcred-Timestamp", now.clone()),
        ("X-Microcred-Signature", sig.clone()),
    ];
    assert_eq!(
        post(signed.clone(), body.clone()).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        post(signed, body.clone()).await,
        StatusCode::CONFLICT,
        "a replay is refused"
    );
    let old = (now.parse::<i64>().unwrap() - 3600).to_string();
    let stale = vec![
        ("X-Microcred-Timestamp", old.clone()),
        (
            "X-Microcred-Signature",
            microcred_issuer::triggers::events::sign(&secret, &old, body.as_bytes()),
        ),
    ];
    assert_eq!(post(stale, body.clone()).await, StatusCode::UNAUTHORIZED);
    let tampered = vec![
        ("X-Microcred-Timestamp", now.clone()),
        ("X-Microcred-Signature", sig),
    ];
    assert_eq!(
        post(tampered, body.replace("17", "18")).await,
        StatusCode::UNAUTHORIZED
    );
    // local_webhooks: the secret in the body, get_data() with ids as strings.
    let lw = json!({"eventname": COMPLETED, "objectid": "89", "userid": "2", "courseid": "5", "relateduserid": "17", "other": null, "timecreated": 1733401260, "host": "moodle.example.org", "token": secret, "extra": ""});
    assert_eq!(
        post(
            vec![("Content-Type", "application/x-www-form-urlencoded".into())],
            lw.to_string()
        )
        .await,
        StatusCode::ACCEPTED
    );
    // tool_trigger with jsonencode off: a form.
    let form = format!(
        "eventname={}&relateduserid=17&courseid=5&objectid=90",
        url::form_urlencoded::byte_serialize(COMPLETED.as_bytes()).collect::<String>()
    );
    assert_eq!(
        post(vec![("Authorization", format!("Bearer {secret}"))], form).await,
        StatusCode::ACCEPTED
    );
    // An event for a course that is not mapped is answered, not stored.
    let (s, b) = {
        let r = w
            .app
            .http
            .post(&url)
            .header("Authorization", format!("Bearer {secret}"))
            .body(
                json!({"eventname": COMPLETED, "relateduserid": 17, "courseid": 6, "objectid": 1})
                    .to_string(),
            )
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(b["accepted"], false);
    assert!(b["reason"]
        .as_str()
        .unwrap()
        .contains("course 6 is not mapped"));
    // A body without the learner says so.
    let r = w
        .app
        .http
        .post(&url)
        .header("Authorization", format!("Bearer {secret}"))
        .body(json!({"eventname": COMPLETED, "courseid": 5, "userid": 2}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("relateduserid"));
}

both_backends!(
    a_poll_finds_completions_without_any_event,
    |backend| async move {
        let w = world(backend).await;
        let (conn, _) = w.connect(Some(60)).await;
        w.fake.complete(5, 17, 1_733_401_260);
        w.fake.grade_quiz(7, 17, 9.0);
        let c = w.app.client(&w.token);
        // The scheduler polls a new connection at once; "poll now" runs one more.
        let r = c
            .post(
                &format!("/api/v1/institutions/ase/moodle/{conn}/poll"),
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["courses"], 1);
        let creds = eventually("the credential", || async {
            let c = w.credentials().await;
            (!c.is_empty()).then_some(c)
        })
        .await;
        assert_eq!(creds.len(), 1);
        eventually("the other learners' evaluations", || async {
            let e = w.evaluations("?achievement=gdpr-moodle").await;
            (e.iter().filter(|e| e["outcome"] == "not_met").count() >= 2).then_some(())
        })
        .await;
        // Nothing changed: the next poll queues nothing (the awarded learner is not even read).
        let again = c
            .post(
                &format!("/api/v1/institutions/ase/moodle/{conn}/poll"),
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(again.body["queued"], 0, "{}", again.body);
        assert_eq!(w.credentials().await.len(), 1);
        let shown = c
            .get(&format!("/api/v1/institutions/ase/moodle/{conn}"))
            .await
            .expect(StatusCode::OK);
        assert!(shown.body["lastPollAt"].is_string());
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_moodle_is_down_the_item_fails_with_its_reason_and_a_retry_by_hand_issues() {
    let w = world_with(Backend::Sqlite, Fake::standard(), |c| {
        c.triggers.max_attempts = 2
    })
    .await;
    let (conn, secret) = w.connect(None).await;
    w.fake.complete(5, 17, 1_733_401_260);
    w.fake.grade_quiz(7, 17, 9.0);
    w.fake.with(|l| l.down = true);
    w.event(&conn, &secret, COMPLETED, 17, "88").await;
    let failed = eventually("the failure", || async {
        let f = w.inbox("failed").await;
        (!f.is_empty()).then_some(f)
    })
    .await;
    assert_eq!(
        failed[0]["attempts"], 2,
        "retried with back-off before giving up"
    );
    assert!(
        failed[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("HTTP 503"),
        "{}",
        failed[0]
    );
    assert!(w.credentials().await.is_empty());
    w.fake.with(|l| l.down = false);
    w.app
        .client(&w.token)
        .post(
            &format!(
                "/api/v1/institutions/ase/moodle-inbox/{}/retry",
                failed[0]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    eventually("the credential", || async {
        (w.credentials().await.len() == 1).then_some(())
    })
    .await;
    assert!(w.inbox("failed").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_course_without_completion_tracking_is_reported_in_moodles_words() {
    let w = world(Backend::Sqlite).await;
    let (conn, secret) = w.connect(None).await;
    w.app
        .client(&w.token)
        .post(
            &format!("/api/v1/institutions/ase/moodle/{conn}/courses"),
            json!({"course": 6, "achievement": "gdpr-moodle"}),
        )
        .await
        .expect(StatusCode::CREATED);
    let body =
        json!({"event": COMPLETED, "learner": "17", "course": "6", "objectid": "5"}).to_string();
    w.app
        .http
        .post(w.app.url(&format!("/api/v1/hooks/moodle/{conn}")))
        .bearer_auth(&secret)
        .body(body)
        .send()
        .await
        .unwrap();
    let evs = eventually("the evaluation", || async {
        let e = w.evaluations("?learner=17").await;
        (!e.is_empty()).then_some(e)
    })
    .await;
    let reasons = evs[0]["reasons"].to_string();
    assert!(
        reasons.contains("cannotviewreport") && reasons.contains("completion tracking enabled"),
        "{reasons}"
    );
}

/// A site with `n` learners enrolled in GDPR101, all completed with a passing quiz grade.
fn crowd(n: i64) -> Fake {
    let mut site = Fake::standard().site().clone();
    for i in 0..n {
        let id = 1000 + i;
        site.users.push(microcred_fake_moodle::User {
            id,
            username: format!("learner{i}"),
            firstname: "Learner".into(),
            lastname: format!("{i}"),
            email: format!("learner{i}@example.org"),
            auth: "mpass".into(),
            lang: Some("en".into()),
            suspended: false,
        });
        site.enrolments.push((5, id));
    }
    let fake = Fake::new(site);
    for i in 0..n {
        fake.complete(5, 1000 + i, 1_733_401_260);
        fake.grade_quiz(7, 1000 + i, 9.0);
    }
    fake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgresql_issue_each_of_200_completions_exactly_once() {
    let fake = crowd(200);
    let w = world_with(Backend::Postgres, fake, |_| {}).await;
    let (conn, secret) = w.connect(None).await;
    // A second instance on the same database (its own worker, poller and mailer).
    let mut config = w._db.config();
    config.smtp_url = Some(format!("smtp://{}", w.smtp));
    config.mail_from = Some("credentials@microcred.test".into());
    quick(&mut config);
    let second = TestApp::spawn(config).await;
    let mut sends = Vec::new();
    for i in 0..200i64 {
        for app in [&w.app, &second] {
            // Each event reaches both instances (a retry landing on the other one).
            let url = app.url(&format!("/api/v1/hooks/moodle/{conn}"));
            let body = json!({"event": COMPLETED, "learner": (1000 + i).to_string(), "course": "5", "objectid": (5000 + i).to_string()}).to_string();
            let http = app.http.clone();
            let s = secret.clone();
            sends.push(tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(s)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
    }
    for s in sends {
        assert_eq!(s.await.unwrap(), StatusCode::ACCEPTED);
    }
    let creds = eventually("200 credentials", || async {
        let done = w.inbox("pending").await.is_empty();
        let c = w.credentials().await;
        (done && c.len() >= 200).then_some(c)
    })
    .await;
    assert_eq!(creds.len(), 200, "one credential per learner");
    let mut names: Vec<String> = creds
        .iter()
        .map(|c| c["credential"]["credentialSubject"]["name"].to_string())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 200, "no learner twice");
    let mails = eventually("200 e-mails", || async {
        let m = w.fake.mailbox().messages();
        (m.len() >= 200).then_some(m)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        w.fake.mailbox().messages().len(),
        200,
        "each message sent once: {}",
        mails.len()
    );
    second.stop().await;
}

/// How the kill test runs the binary: its data in `dir`, mail to `smtp`, short leases.
async fn serve_binary(
    binary: &Binary,
    dir: &std::path::Path,
    smtp: SocketAddr,
) -> std::process::Child {
    let smtp = format!("smtp://{smtp}");
    binary
        .start(
            &["--data-dir".as_ref(), dir.as_os_str()],
            &[
                ("MICROCRED_SMTP_URL", &smtp),
                ("MICROCRED_MAIL_FROM", "credentials@microcred.test"),
                ("MICROCRED_TRIGGER_LEASE_SECONDS", "2"),
                ("MICROCRED_TRIGGER_RETRY_SECONDS", "1"),
                ("MICROCRED_INSECURE_OUTBOUND", "true"),
            ],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_in_the_middle_of_200_completions_issues_each_exactly_once_after_restart()
{
    let fake = crowd(200);
    // Moodle answers slowly, so the batch is still running when the process is killed.
    fake.with(|l| l.delay_ms = 10);
    let (moodle, smtp) = start_fake(&fake).await;
    let dir = std::env::temp_dir().join(format!(
        "microcred-kill-{}",
        microcred_issuer::secrets::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = Binary::new(dir.join("microcred.log"));
    let base = binary.base.clone();
    let http = reqwest::Client::new();
    let mut child = serve_binary(&binary, &dir.join("data"), smtp).await;
    let setup = binary.setup_token();
    let post = |path: String, token: Option<String>, body: Value| {
        let mut r = http.post(format!("{base}{path}")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move {
            let r = r.send().await.unwrap();
            let s = r.status();
            let b: Value = r.json().await.unwrap_or(Value::Null);
            assert!(s.is_success(), "{s} {b}");
            b
        }
    };
    let admin = post("/api/v1/setup".into(), None, json!({"setupToken": setup})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    post("/api/v1/institutions".into(), Some(admin.clone()), json!({"slug": "ase", "legalName": "ASE", "registrationNumber": "1002600012345", "country": "MD"})).await;
    let token = post(
        "/api/v1/institutions/ase/tokens".into(),
        Some(admin),
        json!({"label": "registrar"}),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        "/api/v1/institutions/ase/achievements".into(),
        Some(token.clone()),
        json!({"slug": "gdpr-moodle", "definition": fixture("achievements/good/gdpr-moodle.json")}),
    )
    .await;
    let conn = post(
        "/api/v1/institutions/ase/moodle".into(),
        Some(token.clone()),
        json!({"siteUrl": moodle, "token": TOKEN}),
    )
    .await;
    let (conn_id, secret) = (
        conn["id"].as_str().unwrap().to_owned(),
        conn["hookSecret"].as_str().unwrap().to_owned(),
    );
    post(
        format!("/api/v1/institutions/ase/moodle/{conn_id}/courses"),
        Some(token.clone()),
        json!({"course": 5, "achievement": "gdpr-moodle"}),
    )
    .await;
    for i in 0..200i64 {
        let body = json!({"event": COMPLETED, "learner": (1000 + i).to_string(), "course": "5", "objectid": (5000 + i).to_string()});
        let r = http
            .post(format!("{base}/api/v1/hooks/moodle/{conn_id}"))
            .bearer_auth(&secret)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let count = |http: reqwest::Client, token: String, base: String| async move {
        match http
            .get(format!(
                "{base}/api/v1/institutions/ase/credentials?limit=500"
            ))
            .bearer_auth(token)
            .send()
            .await
        {
            Ok(r) => r
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| v.as_array().map(Vec::len)),
            Err(_) => None,
        }
    };
    let before = eventually("some credentials", || {
        let f = count(http.clone(), token.clone(), base.clone());
        async move { f.await.filter(|n| (20..200).contains(n)) }
    })
    .await;
    child.kill().unwrap(); // SIGKILL: no shutdown, a transaction may be cut mid-way.
    child.wait().unwrap();

    let mut child = serve_binary(&binary, &dir.join("data"), smtp).await;
    let done = eventually("200 credentials after the restart", || {
        let f = count(http.clone(), token.clone(), base.clone());
        async move { f.await.filter(|n| *n >= 200) }
    })
    .await;
    // Let the leases of the killed process expire and any straggler run.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let all: Value = http
        .get(format!(
            "{base}/api/v1/institutions/ase/credentials?limit=500"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credential"]["credentialSubject"]["name"].to_string())
        .collect();
    names.sort();
    names.dedup();
    let pending: Value = http
        .get(format!(
            "{base}/api/v1/institutions/ase/moodle-inbox?state=pending"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(before < 200, "killed mid-batch ({before} issued)");
    assert_eq!(done, 200);
    assert_eq!(all.as_array().unwrap().len(), 200, "never twice");
    assert_eq!(names.len(), 200, "never skipped");
    assert_eq!(pending, json!([]), "the inbox is drained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moodles_refusals_are_reasons_or_failures_each_in_moodles_words() {
    let w = world_with(Backend::Sqlite, Fake::standard(), |c| {
        c.triggers.max_attempts = 1
    })
    .await;
    let (conn, secret) = w.connect(None).await;
    // A learner who is not enrolled: Moodle's answer is the evaluation's reason.
    w.event(&conn, &secret, COMPLETED, 20, "70").await;
    let evs = eventually("the evaluation", || async {
        let e = w.evaluations("?learner=20").await;
        (!e.is_empty()).then_some(e)
    })
    .await;
    assert_eq!(evs[0]["outcome"], "not_met");
    assert!(
        evs[0]["reasons"].to_string().contains("usernotenroled"),
        "{}",
        evs[0]
    );
    // A capability the token's user lacks: a failure of the connection, named.
    w.fake.complete(5, 17, 1_733_401_260);
    w.fake.grade_quiz(7, 17, 9.0);
    w.fake
        .with(|l| l.denied.insert("mod_quiz_get_user_best_grade".into()));
    w.event(&conn, &secret, COMPLETED, 17, "71").await;
    let failed = eventually("the failure", || async {
        let f = w.inbox("failed").await;
        (!f.is_empty()).then_some(f)
    })
    .await;
    let why = failed[0]["lastError"].as_str().unwrap();
    assert!(
        why.contains("mod_quiz_get_user_best_grade") && why.contains("nopermissions"),
        "{why}"
    );
    // A slow Moodle (slower than the call timeout): a failure too, then a retry by hand issues.
    w.fake.with(|l| {
        l.denied.clear();
        l.delay_ms = 4_000;
    });
    w.event(&conn, &secret, COMPLETED, 17, "72").await;
    let slow = eventually("the timeout", || async {
        let f = w.inbox("failed").await;
        f.into_iter()
            .find(|i| i["lastError"].as_str().unwrap().contains("did not answer"))
    })
    .await;
    w.fake.with(|l| l.delay_ms = 0);
    w.app
        .client(&w.token)
        .post(
            &format!(
                "/api/v1/institutions/ase/moodle-inbox/{}/retry",
                slow["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    eventually("the credential", || async {
        (w.credentials().await.len() == 1).then_some(())
    })
    .await;
}

both_backends!(
    an_institutions_webhook_hears_of_issuing_and_revoking_signed,
    |backend| async move {
        let w = world(backend).await;
        // A receiver that records what it gets.
        let got: std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>> =
            Default::default();
        let g = got.clone();
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |h: axum::http::HeaderMap, body: String| {
                let g = g.clone();
                async move {
                    g.lock().unwrap().push((h, body));
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let c = w.app.client(&w.token);
        c.post(
            "/api/v1/institutions/ase/webhooks",
            json!({"url": "ftp://example.org/hook"}),
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
        let hook = c
            .post(
                "/api/v1/institutions/ase/webhooks",
                json!({"url": format!("http://127.0.0.1:{}/hook", addr.port())}),
            )
            .await
            .expect(StatusCode::CREATED);
        let secret = hook.text("/secret");
        let code = c
            .issue("ase", "ana@example.org", None)
            .await
            .expect(StatusCode::CREATED)
            .text("/code");
        c.act(
            "ase",
            &code,
            "revoke",
            json!({"reason": "issued by mistake"}),
        )
        .await
        .expect(StatusCode::OK);
        let calls = eventually("two deliveries", || async {
            let v = got.lock().unwrap().clone();
            (v.len() >= 2).then_some(v)
        })
        .await;
        let events: Vec<String> = calls
            .iter()
            .map(|(_, b)| {
                serde_json::from_str::<Value>(b).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(events, vec!["credential.issued", "credential.revoked"]);
        for (h, body) in &calls {
            let ts = h["x-microcred-timestamp"].to_str().unwrap();
            let sig = h["x-microcred-signature"].to_str().unwrap();
            assert_eq!(
                sig,
                microcred_issuer::secrets::http_signature(&secret, ts, body.as_bytes()),
                "signed like ours"
            );
            assert!(body.contains(&code));
        }
        let listed = c
            .get("/api/v1/institutions/ase/webhooks")
            .await
            .expect(StatusCode::OK);
        assert!(listed.body[0].get("secret").is_none());
    }
);

/// The private holder link in a "credential issued" e-mail.
pub(crate) fn holder_link_in(mail: &microcred_fake_moodle::smtp::Received) -> String {
    let word = mail
        .data
        .split_whitespace()
        .find(|w| w.contains("/holder/"))
        .expect("the private holder link")
        .trim_matches(|c| c == '<' || c == '>' || c == '"')
        .to_owned();
    word[word.find("http").unwrap()..].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_revokes_a_leaked_holder_link_and_the_learner_gets_a_new_one() {
    let w = world(Backend::Sqlite).await;
    let c = w.app.client(&w.token);
    let code = c
        .issue("ase", "ada@example.org", None)
        .await
        .expect(StatusCode::CREATED)
        .text("/code");
    let first = eventually("the e-mail", || async {
        w.fake.mailbox().to("ada@example.org").into_iter().next()
    })
    .await;
    let old = holder_link_in(&first);
    assert_eq!(
        w.app.http.get(&old).send().await.unwrap().status(),
        StatusCode::OK
    );
    let r = c
        .post(
            &format!("/api/v1/institutions/ase/credentials/{code}/holder-link/revoke"),
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["sentTo"], "ada@example.org");
    assert_eq!(
        w.app.http.get(&old).send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "the old link is dead"
    );
    assert_eq!(
        w.app
            .http
            .get(format!("{old}/credential.json"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let second = eventually("the new e-mail", || async {
        let m = w.fake.mailbox().to("ada@example.org");
        (m.len() >= 2).then(|| m[1].clone())
    })
    .await;
    let new = holder_link_in(&second);
    assert_ne!(new, old);
    assert_eq!(
        w.app.http.get(&new).send().await.unwrap().status(),
        StatusCode::OK
    );
    // Re-sending keeps the link.
    c.post(
        &format!("/api/v1/institutions/ase/credentials/{code}/holder-link/resend"),
        json!({}),
    )
    .await
    .expect(StatusCode::OK);
    let third = eventually("the third e-mail", || async {
        let m = w.fake.mailbox().to("ada@example.org");
        (m.len() >= 3).then(|| m[2].clone())
    })
    .await;
    assert_eq!(holder_link_in(&third), new);
}
