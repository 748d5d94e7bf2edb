//! The xAPI Learning Record Store end to end: Moodle's stock logstore_xapi statements
//! (`examples/xapi/`, as `../shared/moodle/README.md` records them) issue through the Moodle
//! triggers exactly once, also when the same completion comes as a Moodle event; and the
//! statement resource follows xAPI 1.0.3 (version header, Basic auth, all-or-nothing batches,
//! PUT conflicts, voiding, queries).

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::moodle::{eventually, world, World, COMPLETED};

/// A logstore_xapi statement of `examples/xapi/`, naming the fake Moodle instead of
/// moodle.example.org.
fn logstore(file: &str, site: &str) -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/xapi")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text.replace("https://moodle.example.org", site)).unwrap()
}

struct Lrs<'a> {
    w: &'a World,
    auth: String,
}

struct Answer {
    status: StatusCode,
    version: Option<String>,
    www_authenticate: Option<String>,
    body: Value,
}

impl Lrs<'_> {
    async fn new(w: &World) -> Lrs<'_> {
        let made = w
            .app
            .client(&w.token)
            .post(
                "/api/v1/institutions/ase/xapi/clients",
                json!({"label": "Moodle logstore_xapi"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert!(made.text("/endpoint").ends_with("/xapi/"), "{}", made.body);
        let basic = format!("{}:{}", made.text("/username"), made.text("/secret"));
        Lrs {
            w,
            auth: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(basic)
            ),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        query: &str,
        body: Option<&Value>,
        version: Option<&str>,
    ) -> Answer {
        let mut req = self
            .w
            .app
            .http
            .request(method, self.w.app.url(&format!("/xapi/statements{query}")))
            .header("Authorization", &self.auth);
        if let Some(v) = version {
            req = req.header("X-Experience-API-Version", v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let r = req.send().await.unwrap();
        let header = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (version, www_authenticate) = (
            header("x-experience-api-version"),
            header("www-authenticate"),
        );
        let status = r.status();
        let text = r.text().await.unwrap();
        Answer {
            status,
            version,
            www_authenticate,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    async fn post(&self, body: &Value) -> Answer {
        self.send(reqwest::Method::POST, "", Some(body), Some("1.0.3"))
            .await
    }

    async fn get(&self, query: &str) -> Answer {
        self.send(reqwest::Method::GET, query, None, Some("1.0.3"))
            .await
    }

    async fn put(&self, id: &str, body: &Value) -> Answer {
        self.send(
            reqwest::Method::PUT,
            &format!("?statementId={id}"),
            Some(body),
            Some("1.0.3"),
        )
        .await
    }
}

both_backends!(
    logstore_xapis_statements_issue_one_credential_and_the_same_completion_as_a_moodle_event_issues_nothing_more,
    |backend| async move {
        let w = world(backend).await;
        let (conn, secret) = w.connect(None).await;
        w.fake.complete(5, 17, 1_733_401_260);
        w.fake.grade_quiz(7, 17, 8.5);
        let lrs = Lrs::new(&w).await;
        // The batch as the emit task sends it: an array, no ids, no version.
        let batch = json!([
            logstore("logstore-quiz-attempt.json", &w.moodle),
            logstore("logstore-course-completed.json", &w.moodle)
        ]);
        let a = lrs.post(&batch).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.version.as_deref(), Some("1.0.3"));
        let ids: Vec<String> = serde_json::from_value(a.body.clone()).unwrap();
        assert_eq!(ids.len(), 2, "one id per statement, in order");

        let evs = eventually("the evaluation", || async {
            let evs = w.evaluations("?learner=17").await;
            evs.iter().any(|e| e["outcome"] == "issued").then_some(evs)
        })
        .await;
        let issued = evs.iter().find(|e| e["outcome"] == "issued").unwrap();
        assert_eq!(
            issued["reasons"][0], "course completed on 2024-12-05",
            "confirmed through the web services: {issued}"
        );
        // The same completion as a Moodle event meets the same exactly-once key.
        let (status, _) = w.event(&conn, &secret, COMPLETED, 17, "88").await;
        assert_eq!(status, StatusCode::ACCEPTED);
        eventually("the event's evaluation", || async {
            let evs = w.evaluations("?learner=17").await;
            (evs.iter().filter(|e| e["outcome"] == "already_issued").count() >= 2).then_some(())
        })
        .await;
        let creds = w.credentials().await;
        assert_eq!(creds.len(), 1, "exactly one credential");
        assert_eq!(
            w.app.verdict(creds[0]["code"].as_str().unwrap()).await,
            "Valid"
        );

        // The statement as stored: its id, stored, authority and version set by the LRS.
        let one = lrs.get(&format!("?statementId={}", ids[1])).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(one.body["id"], ids[1].as_str());
        assert_eq!(one.body["version"], "1.0.0");
        assert!(one.body["stored"].as_str().unwrap().ends_with('Z'));
        assert_eq!(one.body["authority"]["account"]["name"].as_str().unwrap().len(), 25);
        assert_eq!(one.body["verb"]["id"], "http://adlnet.gov/expapi/verbs/completed");

        // The emit task resends a batch after a failure: known statements are not stored
        // twice, and a statement for an unmapped course is stored with the reason.
        let mut unmapped = logstore("logstore-course-completed.json", &w.moodle);
        unmapped["object"]["id"] = json!(format!("{}/course/view.php?id=99", w.moodle));
        unmapped["id"] = json!("f1e3a9b4-1d2c-4e5f-8a7b-6c5d4e3f2a1b");
        let again = lrs.post(&json!([unmapped])).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        let page = lrs.get("?limit=10").await;
        assert_eq!(page.body["statements"].as_array().unwrap().len(), 3, "{}", page.body);
        assert!(page.body["more"] == "");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert_eq!(w.credentials().await.len(), 1);
    }
);

both_backends!(
    the_statement_resource_follows_xapi_1_0_3,
    |backend| async move {
        let w = world(backend).await;
        w.connect(None).await;
        let lrs = Lrs::new(&w).await;
        let good = logstore("logstore-course-completed.json", &w.moodle);

        // The version header is required, and echoed on every answer.
        let none = lrs.send(reqwest::Method::POST, "", Some(&good), None).await;
        assert_eq!(none.status, StatusCode::BAD_REQUEST);
        assert!(
            none.body["detail"]
                .as_str()
                .unwrap()
                .contains("X-Experience-API-Version"),
            "{}",
            none.body
        );
        let two = lrs
            .send(reqwest::Method::GET, "?limit=1", None, Some("2.0.0"))
            .await;
        assert_eq!(
            (two.status, two.version.as_deref()),
            (StatusCode::OK, Some("2.0.0"))
        );
        let about = w
            .app
            .http
            .get(w.app.url("/xapi/about"))
            .send()
            .await
            .unwrap();
        assert_eq!(about.status(), StatusCode::OK);
        assert_eq!(
            about.json::<Value>().await.unwrap()["version"],
            json!(["2.0.0", "1.0.3"])
        );

        // Wrong credentials: 401 with a Basic challenge.
        let wrong = Lrs {
            w: &w,
            auth: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("xapi_nobody:nothing")
            ),
        };
        let a = wrong.post(&good).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert!(a.www_authenticate.unwrap().starts_with("Basic"));

        // A batch with one bad statement stores nothing and names the rule and the place.
        let id = "2a4c6e8f-0b1d-4f3a-9c5e-7d9f1b3d5f7a";
        let mut first = good.clone();
        first["id"] = json!(id);
        let mut bad = good.clone();
        bad["actor"]["mbox"] = json!("mailto:ada@example.org");
        bad["result"] = json!({"score": {"raw": 12, "min": 0, "max": 10}});
        let a = lrs.post(&json!([first, bad])).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        let detail = a.body.to_string();
        assert!(
            detail.contains("/1/actor")
                && detail.contains("exactly one inverse functional identifier"),
            "{detail}"
        );
        assert!(detail.contains("/1/result/score/raw"), "{detail}");
        assert_eq!(
            lrs.get(&format!("?statementId={id}")).await.status,
            StatusCode::NOT_FOUND,
            "nothing was stored"
        );

        // PUT: 204, the same again 204, different content under that id 409.
        assert_eq!(lrs.put(id, &good).await.status, StatusCode::NO_CONTENT);
        assert_eq!(lrs.put(id, &good).await.status, StatusCode::NO_CONTENT);
        let mut changed = good.clone();
        changed["timestamp"] = json!("2024-12-06T08:00:00.000Z");
        assert_eq!(lrs.put(id, &changed).await.status, StatusCode::CONFLICT);
        changed["id"] = json!(id);
        assert_eq!(lrs.post(&changed).await.status, StatusCode::CONFLICT);
        let mut other = good.clone();
        other["id"] = json!("00000000-0000-4000-8000-000000000001");
        assert_eq!(
            lrs.put(id, &other).await.status,
            StatusCode::BAD_REQUEST,
            "the body's id must be the statementId"
        );
        assert_eq!(
            lrs.send(reqwest::Method::PUT, "", Some(&good), Some("1.0.3"))
                .await
                .status,
            StatusCode::BAD_REQUEST
        );

        // Queries: by agent and verb; a parameter that does not exist is refused.
        let agent = serde_json::to_string(&good["actor"]).unwrap();
        let q = format!(
            "?agent={}&verb={}",
            urlencode(&agent),
            urlencode("http://adlnet.gov/expapi/verbs/completed")
        );
        let page = lrs.get(&q).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["statements"].as_array().unwrap().len(), 1);
        assert_eq!(lrs.get("?grade=5").await.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            lrs.get(&format!("?statementId={id}&verb=x")).await.status,
            StatusCode::BAD_REQUEST
        );

        // Voiding: the voided statement is found only as voided, and leaves the queries.
        let void = json!({"actor": {"mbox": "mailto:registrar@ase.md"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
            "object": {"objectType": "StatementRef", "id": id}});
        assert_eq!(lrs.post(&void).await.status, StatusCode::OK);
        assert_eq!(
            lrs.get(&format!("?statementId={id}")).await.status,
            StatusCode::NOT_FOUND
        );
        let voided = lrs.get(&format!("?voidedStatementId={id}")).await;
        assert_eq!(voided.status, StatusCode::OK);
        assert_eq!(voided.body["id"], id);
        assert_eq!(
            lrs.get(&q).await.body["statements"]
                .as_array()
                .unwrap()
                .len(),
            0
        );

        // Pages: `more` continues where the page ended.
        for i in 0..3 {
            let mut s = good.clone();
            s["timestamp"] = json!(format!("2024-12-0{}T08:00:00.000Z", i + 1));
            assert_eq!(lrs.post(&s).await.status, StatusCode::OK);
        }
        let p1 = lrs.get("?limit=2&ascending=true").await;
        assert_eq!(p1.body["statements"].as_array().unwrap().len(), 2);
        let more = p1.body["more"].as_str().unwrap().to_owned();
        assert!(more.starts_with("/xapi/statements?more="), "{more}");
        let p2 = lrs.get(&more["/xapi/statements".len()..]).await;
        assert_eq!(p2.status, StatusCode::OK, "{}", p2.body);
        let all: Vec<Value> = p1.body["statements"]
            .as_array()
            .unwrap()
            .iter()
            .chain(p2.body["statements"].as_array().unwrap())
            .cloned()
            .collect();
        assert_eq!(all.len(), 4, "the voiding statement and three new ones");
        let mut ids: Vec<&str> = all.iter().map(|s| s["id"].as_str().unwrap()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 4);

        // A revoked client is refused from then on.
        let clients = w
            .app
            .client(&w.token)
            .get("/api/v1/institutions/ase/xapi/clients")
            .await
            .expect(StatusCode::OK);
        let client = clients.body[0]["id"].as_str().unwrap().to_owned();
        assert!(
            clients.body[0].get("secret").is_none(),
            "the secret is shown once"
        );
        w.app
            .client(&w.token)
            .delete(&format!("/api/v1/institutions/ase/xapi/clients/{client}"))
            .await
            .expect(StatusCode::NO_CONTENT);
        assert_eq!(lrs.get("?limit=1").await.status, StatusCode::UNAUTHORIZED);
    }
);

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
