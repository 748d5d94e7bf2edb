//! Completions from sources other than Moodle's web services, end to end: an xAPI statement
//! from any LRS client about a learner the institution knows, and a registrar's completions
//! file (`examples/`), each ending in one issued, verifiable credential per learner who earns
//! it - never two - with the reasons recorded for those who do not.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::moodle::{world, World};
use crate::support::answer;

/// A file of `examples/`.
pub(crate) fn example(rel: &str) -> String {
    std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(rel),
    )
    .unwrap()
}

/// Defines `gdpr-offline` (completed, and a course total of at least 60%).
pub(crate) async fn offline_achievement(w: &World) {
    let definition: Value =
        serde_json::from_str(&example("achievement-gdpr-offline.json")).unwrap();
    w.app
        .client(&w.token)
        .post(
            "/api/v1/institutions/ase/achievements",
            json!({"slug": "gdpr-offline", "definition": definition}),
        )
        .await
        .expect(StatusCode::CREATED);
}

async fn map(w: &World, activity: &str) {
    w.app
        .client(&w.token)
        .post(
            "/api/v1/institutions/ase/activities",
            json!({"activity": activity, "achievement": "gdpr-offline"}),
        )
        .await
        .expect(StatusCode::CREATED);
}

async fn upload(w: &World, csv: &str) -> (StatusCode, Value) {
    answer(
        w.app
            .http
            .post(w.app.url("/api/v1/institutions/ase/completions"))
            .bearer_auth(&w.token)
            .header("content-type", "text/csv")
            .body(csv.to_owned()),
    )
    .await
}

async fn xapi_post(w: &World, auth: &str, body: &Value) -> (StatusCode, Value) {
    answer(
        w.app
            .http
            .post(w.app.url("/xapi/statements"))
            .header("Authorization", auth)
            .header("X-Experience-API-Version", "1.0.3")
            .json(body),
    )
    .await
}

async fn xapi_client(w: &World) -> String {
    let made = w
        .app
        .client(&w.token)
        .post(
            "/api/v1/institutions/ase/xapi/clients",
            json!({"label": "SCORM Cloud"}),
        )
        .await
        .expect(StatusCode::CREATED);
    let basic = format!("{}:{}", made.text("/username"), made.text("/secret"));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(basic)
    )
}

both_backends!(
    a_statement_from_any_xapi_source_about_a_known_learner_issues_one_credential_and_an_unknown_one_waits_for_a_reevaluation,
    |backend| async move {
        let w = world(backend).await;
        offline_achievement(&w).await;
        map(&w, "https://lms.example.md/courses/gdpr-offline").await;
        let auth = xapi_client(&w).await;
        let statement: Value =
            serde_json::from_str(&example("xapi/cmi5-course-completed.json")).unwrap();

        // Not known yet: stored, with the reason, and nothing issued.
        let (status, ids) = xapi_post(&w, &auth, &statement).await;
        assert_eq!(status, StatusCode::OK, "{ids}");
        assert!(w.credentials().await.is_empty());

        // The registrar adds the learner, then re-evaluates: the stored statement counts.
        let learner = w
            .app
            .client(&w.token)
            .post(
                "/api/v1/institutions/ase/learners",
                json!({"name": "Ana Moraru", "email": "Ana.Moraru@example.md", "language": "ro"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let again = w
            .app
            .client(&w.token)
            .post(
                "/api/v1/institutions/ase/learners",
                json!({"name": "Ana M.", "email": "ana.moraru@example.md"}),
            )
            .await
            .expect(StatusCode::CONFLICT);
        assert!(again.body.to_string().contains("e-mail"), "{}", again.body);
        let report = w
            .app
            .client(&w.token)
            .post(
                "/api/v1/institutions/ase/achievements/gdpr-offline/reevaluate",
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(report.body["statementsReplayed"], 1, "{}", report.body);
        assert_eq!(report.body["issued"], 1, "{}", report.body);
        let creds = w.credentials().await;
        assert_eq!(creds.len(), 1);
        let code = creds[0]["code"].as_str().unwrap().to_owned();
        assert_eq!(w.app.verdict(&code).await, "Valid");

        // The same completion again - resent, as a new statement, or re-evaluated - issues
        // nothing more.
        let (status, _) = xapi_post(&w, &auth, &statement).await;
        assert_eq!(status, StatusCode::OK);
        let mut second = statement.clone();
        second["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/passed");
        let (status, _) = xapi_post(&w, &auth, &second).await;
        assert_eq!(status, StatusCode::OK);
        w.app
            .client(&w.token)
            .post(
                "/api/v1/institutions/ase/achievements/gdpr-offline/reevaluate",
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(w.credentials().await.len(), 1, "exactly one credential");
        let evs = w
            .app
            .client(&w.token)
            .get(&format!(
                "/api/v1/institutions/ase/learner-evaluations?learner={}",
                learner.text("/id")
            ))
            .await
            .expect(StatusCode::OK);
        let evs = evs.body.as_array().unwrap();
        assert_eq!(evs.iter().filter(|e| e["outcome"] == "issued").count(), 1);
        assert!(evs.iter().any(|e| e["outcome"] == "already_issued"));
        let issued = evs.iter().find(|e| e["outcome"] == "issued").unwrap();
        assert_eq!(issued["credential"], code.as_str());
        assert_eq!(issued["reasons"][0], "course completed on 2026-11-28", "{issued}");
        assert_eq!(issued["reasons"][1], "course total: 86% ≥ 60%", "{issued}");

        // A learner below the grade is told why, and nothing is issued.
        w.app
            .client(&w.token)
            .post(
                "/api/v1/institutions/ase/learners",
                json!({"name": "Dan Cojocaru", "accounts": [{"homePage": "https://lms.example.md", "name": "dan"}]}),
            )
            .await
            .expect(StatusCode::CREATED);
        let mut low = statement.clone();
        low["actor"] = json!({"account": {"homePage": "https://lms.example.md", "name": "dan"}});
        low["result"]["score"] = json!({"scaled": 0.41});
        let (status, _) = xapi_post(&w, &auth, &low).await;
        assert_eq!(status, StatusCode::OK);
        let evs = w
            .app
            .client(&w.token)
            .get("/api/v1/institutions/ase/learner-evaluations?achievement=gdpr-offline")
            .await
            .expect(StatusCode::OK);
        let dan = evs
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["learnerName"] == "Dan Cojocaru")
            .unwrap()
            .clone();
        assert_eq!(dan["outcome"], "not_met");
        assert_eq!(dan["reasons"][1], "course total: 41% < 60%", "{dan}");
        assert_eq!(w.credentials().await.len(), 1);
    }
);

both_backends!(
    a_completions_file_issues_each_earned_row_once_reports_every_row_and_a_second_upload_issues_nothing,
    |backend| async move {
        let w = world(backend).await;
        offline_achievement(&w).await;
        map(&w, "GDPR-OFFLINE-2026").await;
        let csv = example("completions/completions.csv");

        let (status, report) = upload(&w, &csv).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["rows"], 4, "{report}");
        assert_eq!(report["issued"], 2, "{report}");
        assert_eq!(report["notMet"], 1, "{report}");
        assert_eq!(report["refused"], 1, "{report}");
        assert_eq!(report["learnersAdded"], 3, "{report}");
        let rows = report["results"].as_array().unwrap();
        assert_eq!(rows[0]["line"], 2);
        assert_eq!(rows[0]["decision"], "issued");
        assert_eq!(rows[1]["decision"], "not_met");
        assert_eq!(rows[1]["reasons"][1], "course total: 50% < 60%", "{}", rows[1]);
        assert_eq!(rows[2]["decision"], "issued", "a national id alone identifies");
        assert!(rows[3].get("decision").is_none());
        assert!(
            rows[3]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("line 5, column email"),
            "{}",
            rows[3]
        );
        let creds = w.credentials().await;
        assert_eq!(creds.len(), 2);
        for c in &creds {
            assert_eq!(w.app.verdict(c["code"].as_str().unwrap()).await, "Valid");
        }
        let mut codes: Vec<&Value> = creds.iter().map(|c| &c["code"]).collect();
        codes.sort_by_key(|c| c.to_string());
        let mut reported = vec![&rows[0]["credential"], &rows[2]["credential"]];
        reported.sort_by_key(|c| c.to_string());
        assert_eq!(codes, reported, "the report names the credentials issued");
        let ion = creds
            .iter()
            .find(|c| c["code"] == rows[0]["credential"])
            .unwrap();
        assert_eq!(ion["credential"]["credentialSubject"]["name"], "Ion Popescu", "{}", ion["credential"]["credentialSubject"]);

        // The same file again: nothing new, each row names the credential it led to.
        let (status, again) = upload(&w, &csv).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["issued"], 0, "{again}");
        assert_eq!(again["alreadyIssued"], 2, "{again}");
        assert_eq!(again["learnersAdded"], 0, "{again}");
        assert_eq!(again["results"][0]["duplicate"], true);
        assert_eq!(again["results"][0]["credential"], rows[0]["credential"]);
        assert_eq!(w.credentials().await.len(), 2);

        // Maria's grade is corrected in a new row: now she earns it.
        let fix = "name;email;achievement;date;grade;max_grade\nMaria Rusu;maria.rusu@example.md;gdpr-offline;2026-11-25;7;10\n";
        let (status, fixed) = upload(&w, fix).await;
        assert_eq!(status, StatusCode::OK, "{fixed}");
        assert_eq!(fixed["issued"], 1, "{fixed}");
        assert_eq!(fixed["learnersAdded"], 0, "the same learner, by e-mail");
        assert_eq!(w.credentials().await.len(), 3);

        // A file that cannot be read is refused whole, with the line, and stores nothing.
        let (status, bad) = upload(&w, "name,email,when\nA B,a@b.md,2026-01-01\n").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad.to_string().contains("unknown column `when`"), "{bad}");
        let learners = w
            .app
            .client(&w.token)
            .get("/api/v1/institutions/ase/learners")
            .await
            .expect(StatusCode::OK);
        assert_eq!(learners.body.as_array().unwrap().len(), 3);
        assert!(learners.body.to_string().contains("\"hasNationalId\":true"));
        assert!(!learners.body.to_string().contains("2001234567890"), "the national id is never shown");
    }
);
