//! Quizzes without an LMS, end to end: a GIFT and an Aiken bank from `examples/quizzes/`
//! imported (a malformed file refused with its line, nothing stored), a quiz of an
//! achievement, attempts taken through the API - questions shown without answers, graded with
//! feedback, essays graded by an instructor - and a pass issuing one verifiable credential.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::completions::{example, offline_achievement};
use crate::moodle::{eventually, world, World};
use crate::support::answer;

async fn import(w: &World, format: &str, name: &str, text: &str) -> (StatusCode, Value) {
    answer(
        w.app
            .http
            .post(w.app.url(&format!(
                "/api/v1/institutions/ase/question-banks?format={format}&name={name}"
            )))
            .bearer_auth(&w.token)
            .body(text.to_owned()),
    )
    .await
}

async fn setup(w: &World) -> String {
    offline_achievement(w).await;
    w.app
        .client(&w.token)
        .post(
            "/api/v1/institutions/ase/learners",
            json!({"name": "Ion Popescu", "email": "ion.popescu@example.md"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .text("/id")
}

fn right_answers() -> Value {
    json!([
        {"question": 0, "choice": 0},
        {"question": 1, "answer": true},
        {"question": 2, "number": 72},
        {"question": 3, "text": " cnpdcp "},
        {"question": 4, "choices": [0, 1]},
        {"question": 5, "matches": ["Right of access", "Right to erasure", "Breach notification"]},
        {"question": 6, "answer": true}
    ])
}

both_backends!(
    a_gift_quiz_taken_through_the_api_is_graded_with_feedback_and_a_pass_issues_one_credential,
    |backend| async move {
        let w = world(backend).await;
        let learner = setup(&w).await;

        // A malformed file is refused with the line and Moodle's reason, and nothing is stored.
        let broken = format!(
            "{}\n\n::Bad:: Pick one {{~only}}\n",
            example("quizzes/gdpr.gift")
        );
        let (status, body) = import(&w, "gift", "broken", &broken).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let lines = broken.lines().count();
        assert!(
            body.to_string().contains(&format!("line {lines}"))
                && body.to_string().contains("not enough answers"),
            "{body}"
        );
        let banks = w
            .app
            .client(&w.token)
            .get("/api/v1/institutions/ase/question-banks")
            .await
            .expect(StatusCode::OK);
        assert_eq!(banks.body, json!([]));

        let (status, bank) = import(&w, "gift", "GDPR final", &example("quizzes/gdpr.gift")).await;
        assert_eq!(status, StatusCode::CREATED, "{bank}");
        assert_eq!(bank["questions"], 8);
        assert_eq!(bank["categories"][0]["category"], "top/GDPR/Final test");
        assert_eq!(
            bank["types"],
            json!({"description": 1, "match": 1, "multichoice": 2, "numerical": 1, "shortanswer": 1, "truefalse": 2})
        );
        let full = w
            .app
            .client(&w.token)
            .get(&format!(
                "/api/v1/institutions/ase/question-banks/{}",
                bank["id"].as_str().unwrap()
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(full.body["items"][0]["idnumber"], "GDPR-01");
        assert_eq!(
            full.body["items"][6]["text"],
            "In GIFT, the characters ~ = # { } and : must be escaped: true?"
        );

        let quiz = w.app.client(&w.token).post(
            "/api/v1/institutions/ase/quizzes",
            json!({"title": "GDPR final test", "achievement": "gdpr-offline", "bank": bank["id"],
                   "timeLimitMinutes": 30, "maxAttempts": 3, "passPercent": 60}),
        ).await.expect(StatusCode::CREATED);
        assert_eq!(quiz.body["questions"], 7, "the description is not drawn");
        assert_eq!(
            quiz.body["gradedByRule"], false,
            "no quizGrade rule names it: a pass completes the course"
        );
        let quiz_id = quiz.text("/id");
        let attempts = format!("/api/v1/institutions/ase/quizzes/{quiz_id}/attempts");

        // First attempt: questions without answers; mostly wrong answers fail it.
        let a1 = w
            .app
            .client(&w.token)
            .post(&attempts, json!({"learner": learner}))
            .await
            .expect(StatusCode::CREATED);
        assert!(a1.body["deadline"].is_string());
        let shown = a1.body["questions"].to_string();
        assert!(
            !shown.contains("fraction") && !shown.contains("feedback"),
            "{shown}"
        );
        assert_eq!(
            a1.body["questions"][5]["options"],
            json!([
                "Breach notification",
                "Right of access",
                "Right to a pension",
                "Right to erasure"
            ])
        );
        w.app
            .client(&w.token)
            .post(&attempts, json!({"learner": learner}))
            .await
            .expect(StatusCode::CONFLICT);
        let bad_shape = w.app.client(&w.token).post(
            &format!("{attempts}/{}/submit", a1.text("/id")),
            json!({"responses": [{"question": 0, "text": "Consent"}, {"question": 9, "answer": true}]}),
        ).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad_shape.body.to_string().contains("/responses/0"),
            "{}",
            bad_shape.body
        );
        assert!(
            bad_shape.body.to_string().contains("/responses/1/question"),
            "{}",
            bad_shape.body
        );
        let failed = w.app.client(&w.token).post(
            &format!("{attempts}/{}/submit", a1.text("/id")),
            json!({"responses": [{"question": 0, "choice": 1}, {"question": 1, "answer": true}, {"question": 2, "number": 48}]}),
        ).await.expect(StatusCode::OK);
        assert_eq!(failed.body["state"], "graded");
        assert_eq!(failed.body["passed"], false, "{}", failed.body);
        assert_eq!(
            failed.body["marks"][0]["feedback"],
            json!([
                "No lawful basis covers curiosity.",
                "Article 6 lists six lawful bases."
            ])
        );
        assert_eq!(failed.body["marks"][1]["feedback"], json!(["Correct."]));
        assert_eq!(failed.body["evaluation"]["decision"], "not_met");
        assert!(w.credentials().await.is_empty());
        w.app
            .client(&w.token)
            .post(
                &format!("{attempts}/{}/submit", a1.text("/id")),
                json!({"responses": []}),
            )
            .await
            .expect(StatusCode::CONFLICT);

        // Second attempt: all right, passed, issued; the learner is told by mail.
        let a2 = w
            .app
            .client(&w.token)
            .post(&attempts, json!({"learner": learner}))
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(a2.body["number"], 2);
        // The learner takes it with the attempt's own key, without the institution's token.
        let key = a2.text("/learnerKey");
        assert!(key.starts_with("qa_"), "{key}");
        let own = format!("/api/v1/quiz-attempts/{}", a2.text("/id"));
        assert!(a2.text("/learnerUrl").ends_with(&own));
        let learner_call =
            |method: reqwest::Method, path: String, auth: String, body: Option<Value>| {
                let mut r = w
                    .app
                    .http
                    .request(method, w.app.url(&path))
                    .bearer_auth(auth);
                if let Some(b) = body {
                    r = r.json(&b);
                }
                answer(r)
            };
        let (status, seen) =
            learner_call(reqwest::Method::GET, own.clone(), key.clone(), None).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        assert_eq!(seen["questions"].as_array().unwrap().len(), 7);
        assert!(seen.get("learnerKey").is_none(), "the key is shown once");
        let (status, _) =
            learner_call(reqwest::Method::GET, own.clone(), "qa_wrong".into(), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) =
            learner_call(reqwest::Method::GET, own.clone(), w.token.clone(), None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the institution's token is not the key"
        );
        let (status, body) = learner_call(
            reqwest::Method::POST,
            format!("{own}/submit"),
            key,
            Some(json!({"responses": right_answers()})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let passed = crate::support::Resp { status, body };
        assert_eq!(passed.body["percent"], 100.0, "{}", passed.body);
        assert_eq!(passed.body["passed"], true);
        assert_eq!(
            passed.body["evaluation"]["decision"], "issued",
            "{}",
            passed.body
        );
        let code = passed.body["evaluation"]["credential"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(w.app.verdict(&code).await, "Valid");
        let creds = w.credentials().await;
        assert_eq!(creds.len(), 1);
        assert_eq!(
            creds[0]["credential"]["credentialSubject"]["name"],
            "Ion Popescu"
        );
        let mail = eventually("the learner's message", || async {
            w.fake
                .mailbox()
                .to("ion.popescu@example.md")
                .into_iter()
                .next()
        })
        .await;
        assert!(
            mail.data.contains(&code),
            "the message names the credential"
        );

        // A third attempt, passed again, issues nothing more; a fourth is not allowed.
        let a3 = w
            .app
            .client(&w.token)
            .post(&attempts, json!({"learner": learner}))
            .await
            .expect(StatusCode::CREATED);
        let again = w
            .app
            .client(&w.token)
            .post(
                &format!("{attempts}/{}/submit", a3.text("/id")),
                json!({"responses": right_answers()}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(again.body["evaluation"]["decision"], "already_issued");
        assert_eq!(again.body["evaluation"]["credential"], code.as_str());
        let none_left = w
            .app
            .client(&w.token)
            .post(&attempts, json!({"learner": learner}))
            .await
            .expect(StatusCode::CONFLICT);
        assert!(
            none_left.body.to_string().contains("3 of 3"),
            "{}",
            none_left.body
        );
        assert_eq!(w.credentials().await.len(), 1);
    }
);

both_backends!(
    an_aiken_quiz_draws_a_random_subset_and_an_essay_waits_for_the_instructors_grade_before_issuing,
    |backend| async move {
        let w = world(backend).await;
        let learner = setup(&w).await;

        let (status, aiken) =
            import(&w, "aiken", "GDPR basics", &example("quizzes/gdpr.aiken")).await;
        assert_eq!(status, StatusCode::CREATED, "{aiken}");
        assert_eq!(aiken["questions"], 3);
        let (status, bad) = import(&w, "aiken", "bad", "Question?\nA) one\nANSWER: A\n").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.to_string().contains("line 3") && bad.to_string().contains("at least 2 answers"),
            "{bad}"
        );
        let (status, latin1) = import(&w, "aiken", "latin1", "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{latin1}");

        let subset = w.app.client(&w.token).post(
            "/api/v1/institutions/ase/quizzes",
            json!({"title": "Basics", "achievement": "gdpr-offline", "bank": aiken["id"], "questions": 2, "passPercent": 50}),
        ).await.expect(StatusCode::CREATED);
        let elena = w
            .app
            .client(&w.token)
            .post(
                "/api/v1/institutions/ase/learners",
                json!({"name": "Elena Ceban", "nationalId": "2009876543210"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .text("/id");
        let a = w
            .app
            .client(&w.token)
            .post(
                &format!(
                    "/api/v1/institutions/ase/quizzes/{}/attempts",
                    subset.text("/id")
                ),
                json!({"learner": elena}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(
            a.body["questions"].as_array().unwrap().len(),
            2,
            "two of three drawn"
        );
        // Answered from the bank's key (the staff view has the fractions): passed, issued.
        let key = w
            .app
            .client(&w.token)
            .get(&format!(
                "/api/v1/institutions/ase/question-banks/{}",
                aiken["id"].as_str().unwrap()
            ))
            .await
            .expect(StatusCode::OK);
        let responses: Vec<Value> = a.body["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                let item = key.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["text"] == q["text"])
                    .unwrap();
                let right = item["kind"]["multiChoice"]["choices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .position(|c| c["fraction"] == 1.0)
                    .unwrap();
                json!({"question": q["position"], "choice": right})
            })
            .collect();
        let passed = w
            .app
            .client(&w.token)
            .post(
                &format!(
                    "/api/v1/institutions/ase/quizzes/{}/attempts/{}/submit",
                    subset.text("/id"),
                    a.text("/id")
                ),
                json!({ "responses": responses }),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(passed.body["passed"], true, "{}", passed.body);
        assert_eq!(
            passed.body["evaluation"]["decision"], "issued",
            "{}",
            passed.body
        );
        assert_eq!(w.credentials().await.len(), 1);
        w.app.client(&w.token).post(
            "/api/v1/institutions/ase/quizzes",
            json!({"title": "Too many", "achievement": "gdpr-offline", "bank": aiken["id"], "questions": 4, "passPercent": 50}),
        ).await.expect(StatusCode::UNPROCESSABLE_ENTITY);

        let (status, essay_bank) = import(
            &w,
            "gift",
            "Reflection",
            &example("quizzes/gdpr-essay.gift"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{essay_bank}");
        let quiz = w.app.client(&w.token).post(
            "/api/v1/institutions/ase/quizzes",
            json!({"title": "Reflection", "achievement": "gdpr-offline", "bank": essay_bank["id"], "passPercent": 75}),
        ).await.expect(StatusCode::CREATED);
        let attempts = format!(
            "/api/v1/institutions/ase/quizzes/{}/attempts",
            quiz.text("/id")
        );
        let a = w
            .app
            .client(&w.token)
            .post(&attempts, json!({"learner": learner}))
            .await
            .expect(StatusCode::CREATED);
        let id = a.text("/id");
        let submitted = w.app.client(&w.token).post(
            &format!("{attempts}/{id}/submit"),
            json!({"responses": [{"question": 0, "text": "We will shred paper files after the retention period."}, {"question": 1, "answer": true}]}),
        ).await.expect(StatusCode::OK);
        assert_eq!(
            submitted.body["state"], "awaiting_grading",
            "{}",
            submitted.body
        );
        assert_eq!(submitted.body["marks"][0]["pending"], true);
        assert!(submitted.body["percent"].is_null());
        assert_eq!(
            w.credentials().await.len(),
            1,
            "nothing is issued to Ion before the essay is graded"
        );
        w.app
            .client(&w.token)
            .post(
                &format!("{attempts}/{id}/grade"),
                json!({"question": 1, "fraction": 1}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        let graded = w
            .app
            .client(&w.token)
            .post(
                &format!("{attempts}/{id}/grade"),
                json!({"question": 0, "fraction": 0.8, "feedback": "Concrete and feasible."}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(graded.body["state"], "graded");
        assert_eq!(graded.body["percent"], 90.0, "{}", graded.body);
        assert_eq!(
            graded.body["marks"][0]["feedback"],
            json!(["Concrete and feasible."])
        );
        assert_eq!(
            graded.body["evaluation"]["decision"], "issued",
            "{}",
            graded.body
        );
        assert_eq!(w.credentials().await.len(), 2, "Elena's and Ion's");
    }
);
