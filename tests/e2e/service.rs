//! The walk a newcomer makes (README): set up, create an institution and an achievement, issue
//! with curl, open the public page, scan the QR code; plus VC-API, restarts, limits. Every test
//! runs on SQLite and on PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{
    fixture, issue_with_key as issue, onboard, page, spawn_verifier_alone, Backend, TestApp, TestDb,
};

both_backends!(
    a_newcomer_issues_a_credential_and_the_public_page_says_valid,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let (status, issued) = issue(&app, &token, "k-1", "ana@example.md").await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        let code = issued["code"].as_str().unwrap();
        assert_eq!(issued["verificationUrl"], app.url(&format!("/v/{code}")));
        assert_eq!(
            issued["credential"]["credentialSubject"]["result"][0]["value"],
            "92%"
        );

        // The employer's page: verdict first, then issuer, learner and the EU elements.
        let page = app
            .http
            .get(app.url(&format!("/v/{code}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        let verdict = html.find("<h1>Valid</h1>").expect("verdict");
        assert!(
            verdict < html.find("Academia de Studii Economice").unwrap(),
            "verdict comes first"
        );
        for text in [
            "Ana Popescu",
            "1002600012345",
            "2.5 ECTS credits",
            "Online quiz",
            "EQF level",
            "Identify the lawful bases",
            "92%",
        ] {
            assert!(html.contains(text), "page lacks {text}");
        }
        assert!(
            !html.contains("<script"),
            "the page works without JavaScript"
        );

        // In Romanian, by header and by switch.
        let ro = app
            .http
            .get(app.url(&format!("/v/{code}")))
            .header("Accept-Language", "ro-RO,ro;q=0.9")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            ro.contains("<h1>Valid</h1>")
                && ro.contains("Acordat lui")
                && ro.contains("Protecția datelor"),
            "Romanian page"
        );
        let en = app
            .http
            .get(app.url(&format!("/v/{code}?lang=en")))
            .header("Accept-Language", "ro")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(en.contains("Awarded to"));

        // The QR code decodes to the verification URL (upper-case form, same page).
        let png = app
            .http
            .get(app.url(&format!("/v/{code}/qr.png")))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (meta, content) = grids[0].decode().unwrap();
        assert_eq!(
            content.to_lowercase(),
            app.url(&format!("/v/{}", code.to_lowercase()))
                .to_lowercase()
        );
        assert!(meta.version.0 <= 5, "QR version {}", meta.version.0);
        let scanned = app.http.get(&content).send().await.unwrap();
        assert_eq!(scanned.status(), StatusCode::OK);
        assert!(scanned.text().await.unwrap().contains("<h1>Valid</h1>"));
        let svg = app
            .http
            .get(app.url(&format!("/v/{code}/qr.svg")))
            .send()
            .await
            .unwrap();
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");

        // The signed credential downloads, and verifies on the VC-API endpoint.
        let vc = app
            .public()
            .get(&format!("/v/{code}/credential.json"))
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(vc, issued["credential"]);
        let body = app
            .public()
            .vc_verify(&vc)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(body["verified"], true, "{body}");

        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    issuing_twice_with_the_same_idempotency_key_returns_the_first_credential,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let (s1, first) = issue(&app, &token, "moodle-course-7-user-42", "ana@example.md").await;
        let (s2, second) = issue(&app, &token, "moodle-course-7-user-42", "ana@example.md").await;
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
        assert_eq!(first["id"], second["id"]);
        assert_eq!(first["credential"], second["credential"]);
        assert_eq!(second["created"], false);
        // Same key, different request: refused, nothing new stored.
        let (s3, body) = issue(&app, &token, "moodle-course-7-user-42", "other@example.md").await;
        assert_eq!(s3, StatusCode::CONFLICT, "{body}");
        let list = app.client(&token).list("ase").await.body;
        assert_eq!(list.as_array().unwrap().len(), 1);
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    concurrent_requests_with_one_idempotency_key_store_one_credential,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (app, token) = (app.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                issue(&app, &token, "same-key", "ana@example.md").await
            }));
        }
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            let (s, body) = t.await.unwrap();
            assert!(
                s == StatusCode::CREATED || s == StatusCode::OK,
                "{s} {body}"
            );
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "one credential for one key");
        let list = app.client(&token).list("ase").await.body;
        assert_eq!(list.as_array().unwrap().len(), 1);
        std::sync::Arc::into_inner(app).unwrap().stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    restarting_the_service_loses_nothing,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (admin, token) = onboard(&app).await;
        let (_, issued) = issue(&app, &token, "k", "ana@example.md").await;
        let code = issued["code"].as_str().unwrap().to_owned();
        let app_addr: std::net::SocketAddr =
            app.base.trim_start_matches("http://").parse().unwrap();
        app.stop().await;

        // Same database, master key file and public URL: everything is still there.
        let mut config = db.config();
        config.bind = app_addr;
        let app = TestApp::spawn(config).await;
        assert!(app.setup_token.is_none(), "set-up happens once");
        let html = page(&app, &format!("/v/{code}")).await;
        assert!(
            html.contains("<h1>Valid</h1>"),
            "after restart the credential still verifies"
        );
        for t in [&admin, &token] {
            let r = app.client(t).get("/api/v1/institutions/ase").await;
            assert_eq!(r.status, StatusCode::OK, "tokens survive a restart");
        }
        let (s, again) = issue(&app, &token, "k", "ana@example.md").await;
        assert_eq!(
            (s, &again["id"]),
            (StatusCode::OK, &issued["id"]),
            "idempotency survives a restart"
        );
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    key_rotation_keeps_old_credentials_valid,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let (_, old) = issue(&app, &token, "before", "ana@example.md").await;
        let r = app
            .client(&token)
            .post("/api/v1/institutions/ase/keys/rotate", json!({}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["kid"], "key-2");
        let (_, new) = issue(&app, &token, "after", "ion@example.md").await;
        assert!(new["credential"]["proof"]["verificationMethod"]
            .as_str()
            .unwrap()
            .ends_with("#key-2"));
        let did = app.public().get("/institutions/ase/did.json").await.body;
        assert_eq!(did["assertionMethod"].as_array().unwrap().len(), 2);
        for c in [&old, &new] {
            let code = c["code"].as_str().unwrap();
            let html = page(&app, &format!("/v/{code}")).await;
            assert!(html.contains("<h1>Valid</h1>"));
        }
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    bulk_issuance_reports_each_row_and_stores_only_good_rows,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let csv = "name,email,grade,activity_end_date\n\
               Ana Popescu,ana@example.md,92%,2026-06-28\n\
               ,nobody@example.md,80%,\n\
               Ion Rusu,ion@example.md,85%,28/06/2026\n\
               Maria Ceban,maria@example.md,99%,\n";
        let post = || {
            app.http
                .post(app.url("/api/v1/institutions/ase/achievements/gdpr-101/credentials/bulk"))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(csv)
        };
        let report: Value = post().send().await.unwrap().json().await.unwrap();
        assert_eq!(
            (report["issued"].as_u64(), report["errors"].as_u64()),
            (Some(2), Some(2)),
            "{report}"
        );
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows[0]["status"], "issued");
        assert_eq!(rows[1]["status"], "error");
        assert_eq!(rows[1]["line"], 3);
        assert!(
            rows[1]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("name is required"),
            "{}",
            rows[1]
        );
        assert!(
            rows[2]["errors"][0]["path"]
                .as_str()
                .unwrap()
                .contains("activityEndDate"),
            "{}",
            rows[2]
        );
        // Uploading the same file again issues nothing twice.
        let again: Value = post().send().await.unwrap().json().await.unwrap();
        assert_eq!(
            (again["issued"].as_u64(), again["alreadyIssued"].as_u64()),
            (Some(0), Some(2)),
            "{again}"
        );
        let list = app.client(&token).list("ase").await.body;
        assert_eq!(list.as_array().unwrap().len(), 2);
        // A bad header fails the whole file, naming the column.
        let r = app
            .http
            .post(app.url("/api/v1/institutions/ase/achievements/gdpr-101/credentials/bulk"))
            .bearer_auth(&token)
            .body("name,emial\nA,a@b.md\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("unknown column `emial`"));
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    achievements_are_versioned_and_credentials_keep_theirs,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let (_, v1) = issue(&app, &token, "v1", "ana@example.md").await;
        let mut def = fixture("achievements/good/data-protection.json");
        def["workload"] = json!({"ects": 3});
        let r = app
            .client(&token)
            .put(
                "/api/v1/institutions/ase/achievements/gdpr-101",
                json!({"definition": def}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["version"], 2);
        let (_, v2) = issue(&app, &token, "v2", "ion@example.md").await;
        let ach = |c: &Value| c["credential"]["credentialSubject"]["achievement"].clone();
        assert_eq!(
            (ach(&v1)["version"].as_str(), ach(&v2)["version"].as_str()),
            (Some("1"), Some("2"))
        );
        assert_eq!(ach(&v1)["creditPoint"]["point"], "2.5");
        assert_eq!(ach(&v2)["creditPoint"]["point"], "3");
        // A definition missing an element is refused, naming it and its path.
        let mut bad = fixture("achievements/good/data-protection.json");
        bad.as_object_mut().unwrap().remove("learningOutcomes");
        let e = app
            .client(&token)
            .post(
                "/api/v1/institutions/ase/achievements",
                json!({"slug": "bad", "definition": bad}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .body;
        assert_eq!(e["error"]["details"][0]["element"], "learningOutcomes");
        assert_eq!(
            e["error"]["details"][0]["path"],
            "/definition/learningOutcomes"
        );
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    tokens_are_scoped_to_one_institution,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (admin, token) = onboard(&app).await;
        let (admin, registrar) = (app.client(&admin), app.client(&token));
        admin
            .create_institution("usm", "Universitatea de Stat din Moldova")
            .await
            .expect(StatusCode::CREATED);
        // ase's token cannot see usm (404, not 403: other tenants are not revealed)...
        registrar
            .get("/api/v1/institutions/usm")
            .await
            .expect(StatusCode::NOT_FOUND);
        // ...nor list institutions, and no token (or a wrong one) means 401.
        registrar
            .get("/api/v1/institutions")
            .await
            .expect(StatusCode::FORBIDDEN);
        app.public()
            .get("/api/v1/institutions/ase")
            .await
            .expect(StatusCode::UNAUTHORIZED);
        app.client("mc_not-a-token")
            .get("/api/v1/institutions/ase")
            .await
            .expect(StatusCode::UNAUTHORIZED);
        // The setup token works once.
        let r = app
            .public()
            .post(
                "/api/v1/setup",
                json!({"setupToken": app.setup_token.clone().unwrap()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    vc_api_verify_accepts_a_peer_credential_and_rejects_a_tampered_one,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let public = app.public();
        let body = public
            .vc_verify(&fixture("peer/signed-1.json"))
            .await
            .expect(StatusCode::OK)
            .body;
        assert!(body["checks"].as_array().unwrap().contains(&json!("proof")));
        let body = public
            .vc_verify(&fixture("peer/tampered-achievement-name.json"))
            .await
            .expect(StatusCode::BAD_REQUEST)
            .body;
        assert_eq!(body["verified"], false);
        assert!(
            body["errors"][0].as_str().unwrap().starts_with("proof"),
            "{body}"
        );

        // Presentations: unsigned, holding one good and one tampered credential.
        let vp = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
        "verifiableCredential": [fixture("peer/signed-2.json"), fixture("peer/tampered-valid-from.json")]});
        let body = public
            .post(
                "/presentations/verify",
                json!({"verifiablePresentation": vp}),
            )
            .await
            .expect(StatusCode::BAD_REQUEST)
            .body;
        assert_eq!(body["credentials"][0]["verified"], true);
        assert_eq!(body["credentials"][1]["verified"], false);

        // The paste page gives the same verdict to people.
        let page = crate::support::pasted_page(&app, &fixture("peer/signed-3.json")).await;
        assert!(page.contains("<h1>Valid</h1>"));
        let page =
            crate::support::pasted_page(&app, &fixture("peer/tampered-issuer-name.json")).await;
        assert!(page.contains("<h1>Not genuine</h1>"));
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    bad_input_gets_a_clear_error_with_the_right_status,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let mut config = db.config();
        config.max_body_bytes = 64 * 1024;
        let app = TestApp::spawn(config).await;
        let (_, token) = onboard(&app).await;
        let post = |body: String| {
            app.http
                .post(app.url("/api/v1/institutions/ase/credentials"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        // Not JSON.
        let r = post("{\"achievement\": ".into()).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "invalid_json"
        );
        // Unknown field, with its path.
        let r = post(
            json!({"achievement": "gdpr-101", "learner": {"name": "A", "emial": "a@b.md"}})
                .to_string(),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["details"][0]["path"], "/learner/emial", "{e}");
        // Every broken rule at once.
        let r = post(json!({"achievement": "gdpr-101", "learner": {"name": " "}, "validUntil": "2001-01-01"}).to_string()).await.unwrap();
        let e: Value = r.json().await.unwrap();
        let paths: Vec<_> = e["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(paths, ["/learner/name", "/learner", "/validUntil"], "{e}");
        // Too deep.
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!([deep]);
        }
        let r = app
            .http
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": deep}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "json_too_deep"
        );
        // Too large. (The server answers before reading the body and drops the connection,
        // so this request goes on a connection of its own.)
        let r = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
            .post(app.url("/credentials/verify"))
            .header("content-type", "application/json")
            .body(vec![b' '; 96 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        // Unknown achievement: 422 naming it; nothing stored.
        let r = post(
            json!({"achievement": "nope", "learner": {"name": "A", "email": "a@b.md"}}).to_string(),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let list = app.client(&token).list("ase").await.body;
        assert!(list.as_array().unwrap().is_empty());
        // Unknown and malformed codes: the same 404, saying nothing about existence.
        let a = app
            .http
            .get(app.url("/v/0000000000000000"))
            .send()
            .await
            .unwrap();
        let b = app.http.get(app.url("/v/not-a-code")).send().await.unwrap();
        assert_eq!(
            (a.status(), b.status()),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
        );
        assert_eq!(a.text().await.unwrap(), b.text().await.unwrap());
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    public_endpoints_are_rate_limited_per_ip,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let mut config = db.config();
        config.rate_limit_per_minute = 10;
        let app = TestApp::spawn(config).await;
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(
                app.http
                    .get(app.url("/v/0000000000000000"))
                    .send()
                    .await
                    .unwrap()
                    .status(),
            );
        }
        assert!(
            statuses[..5].iter().all(|s| *s == StatusCode::NOT_FOUND),
            "{statuses:?}"
        );
        let limited = app.http.get(app.url("/verify")).send().await.unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()["retry-after"], "60");
        assert_eq!(
            limited.json::<Value>().await.unwrap()["error"]["code"],
            "rate_limited"
        );
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    the_openapi_document_describes_the_api,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let doc = app.public().get("/openapi.json").await.body;
        assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
        for p in [
            "/api/v1/institutions/{slug}/credentials",
            "/credentials/issue",
            "/credentials/verify",
            "/presentations/verify",
            "/api/v1/setup",
            "/api/v1/institutions/{slug}/tokens",
            "/api/v1/institutions/{slug}/tokens/{id}",
        ] {
            assert!(doc["paths"].get(p).is_some(), "missing {p}");
        }
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    vc_api_issue_signs_as_the_callers_institution,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let mut unsigned = fixture("peer/unsigned-badge.json");
        unsigned.as_object_mut().unwrap().remove("issuer");
        let registrar = app.client(&token);
        let vc = registrar
            .vc_issue(unsigned)
            .await
            .expect(StatusCode::CREATED)
            .body["verifiableCredential"]
            .clone();
        assert!(vc["issuer"]["id"]
            .as_str()
            .unwrap()
            .ends_with(":institutions:ase"));
        assert_eq!(
            vc["issuer"]["name"], "Academia de Studii Economice a Moldovei",
            "the issuer object is the institution's registered one"
        );
        app.public().vc_verify(&vc).await.expect(StatusCode::OK);
        assert_eq!(vc["proof"]["cryptosuite"], "eddsa-rdfc-2022", "the default");

        // VC-API options: the caller chooses eddsa-jcs-2022, a challenge, a domain, an id.
        let mut unsigned = fixture("peer/unsigned-badge.json");
        let o = unsigned.as_object_mut().unwrap();
        o.remove("issuer");
        o.remove("id");
        let vc = registrar
            .post(
                "/credentials/issue",
                json!({"credential": unsigned, "options": {"cryptosuite": "eddsa-jcs-2022",
                    "challenge": "c-42", "domain": "registry.example",
                    "credentialId": "urn:uuid:0b6e1d1c-4c6f-4a44-9a55-0b0c6a0c7a11"}}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body["verifiableCredential"]
            .clone();
        assert_eq!(vc["proof"]["cryptosuite"], "eddsa-jcs-2022");
        assert_eq!(vc["proof"]["challenge"], "c-42");
        assert_eq!(vc["proof"]["domain"], "registry.example");
        assert_eq!(vc["id"], "urn:uuid:0b6e1d1c-4c6f-4a44-9a55-0b0c6a0c7a11");
        app.public().vc_verify(&vc).await.expect(StatusCode::OK);
        // An unknown option or cryptosuite is refused, naming it.
        for (options, says) in [
            (json!({"cryptosuite": "ecdsa-rdfc-2019"}), "ecdsa-rdfc-2019"),
            (
                json!({"mandatoryPointers": ["/issuer"]}),
                "mandatoryPointers",
            ),
            (json!({"created": "2026-11-24"}), "/options/created"),
        ] {
            let r = registrar
                .post(
                    "/credentials/issue",
                    json!({"credential": fixture("peer/unsigned-badge.json"), "options": options}),
                )
                .await;
            assert!(r.status.is_client_error(), "{options}: {}", r.body);
            assert!(r.body.to_string().contains(says), "{options}: {}", r.body);
        }
        // Someone else's issuer is refused.
        registrar
            .vc_issue(fixture("peer/unsigned-badge.json"))
            .await
            .expect(StatusCode::BAD_REQUEST);
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    a_verifier_running_alone_resolves_a_foreign_did_web_issuer_over_http,
    |backend: Backend| async move {
        // Server A issues; server B is only a verifier, with no access to A's database.
        let db = TestDb::new(backend).await;
        let a = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&a).await;
        let (_, issued) = issue(&a, &token, "k", "ana@example.md").await;

        let (b, other) = spawn_verifier_alone().await;
        assert!(
            b.setup_token.is_none(),
            "a verifier alone has no issuer set-up"
        );
        let body = b.public().vc_verify(&issued["credential"]).await.body;
        assert_eq!(body["verified"], true, "{body}");
        // B has no issuer routes.
        b.public()
            .get("/api/v1/institutions")
            .await
            .expect(StatusCode::NOT_FOUND);
        // A key that A's DID document does not list fails (the document now comes from B's cache).
        a.stop().await;
        let mut vc = issued["credential"].clone();
        vc["proof"]["verificationMethod"] = json!(vc["proof"]["verificationMethod"]
            .as_str()
            .unwrap()
            .replace("#key-1", "#key-9"));
        b.public()
            .vc_verify(&vc)
            .await
            .expect(StatusCode::BAD_REQUEST);
        b.stop().await;
        db.cleanup().await;
        other.cleanup().await;
    }
);

both_backends!(
    a_signed_presentation_verifies_only_with_its_challenge,
    |backend: Backend| async move {
        use microcred_core::keys::KeyPair;
        use microcred_core::proof::{self, Cryptosuite, ProofOptions};
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let holder = KeyPair::generate();
        let vp = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder.public().did_key().to_string(),
            "verifiableCredential": [fixture("peer/signed-1.json")]
        });
        let mut opts =
            ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, holder.public().did_key_method());
        opts.proof_purpose = "authentication".into();
        opts.challenge = Some("nonce-4711".into());
        opts.domain = Some("employer.example".into());
        let signed = proof::sign(&vp, &holder, &opts).unwrap();
        let verify = |challenge: &str| {
            app.http
                .post(app.url("/presentations/verify"))
                .json(&json!({"verifiablePresentation": signed, "options": {"challenge": challenge, "domain": "employer.example"}}))
                .send()
        };
        let r = verify("nonce-4711").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["checks"], json!(["proof"]), "{body}");
        assert_eq!(body["credentials"][0]["verified"], true);
        let r = verify("replayed").await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["errors"][0].as_str().unwrap().contains("challenge"),
            "{body}"
        );

        // VC 2.0 §4.13: holder is optional. Signed without one, the proof is checked and
        // holder binding is reported as not established.
        let mut anonymous = vp.clone();
        anonymous.as_object_mut().unwrap().remove("holder");
        let mut opts =
            ProofOptions::assertion(Cryptosuite::EddsaJcs2022, holder.public().did_key_method());
        opts.proof_purpose = "authentication".into();
        let anonymous = proof::sign(&anonymous, &holder, &opts).unwrap();
        let r = app
            .http
            .post(app.url("/presentations/verify"))
            .json(&json!({"verifiablePresentation": anonymous}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["checks"], json!(["proof"]), "{body}");
        assert!(
            body["warnings"]
                .to_string()
                .contains("holder binding is not established"),
            "{body}"
        );
        // Asked for a challenge it was not signed with: it fails.
        let r = app
            .http
            .post(app.url("/presentations/verify"))
            .json(&json!({"verifiablePresentation": anonymous, "options": {"challenge": "abc"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);

        // The upload form gives people the same verdict.
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(fixture("peer/signed-2.json").to_string().into_bytes())
                .file_name("credential.json"),
        );
        let html = app
            .http
            .post(app.url("/verify/upload"))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("<h1>Valid</h1>"), "upload verdict");
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    every_error_is_an_rfc_9457_problem_with_the_vc_api_types,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let problem = |r: reqwest::Response| async move {
            let status = r.status();
            assert_eq!(
                r.headers()["content-type"],
                "application/problem+json",
                "{status}"
            );
            (status, r.json::<Value>().await.unwrap())
        };
        // Not JSON at the VC-API verify endpoint: a VC 2.0 PARSING_ERROR.
        let (status, body) = problem(
            app.http
                .post(app.url("/credentials/verify"))
                .header("content-type", "application/json")
                .body("{\"verifiableCredential\": ")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["type"],
            "https://www.w3.org/TR/vc-data-model#PARSING_ERROR"
        );
        assert_eq!(body["status"], 400);
        assert_eq!(body["error"]["code"], "invalid_json");
        assert_eq!(body["detail"], body["error"]["message"]);
        assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
        // A malformed option at the VC-API issue endpoint: a MALFORMED_VALUE_ERROR naming it.
        let (status, body) = problem(
            app.http
                .post(app.url("/credentials/issue"))
                .bearer_auth(&token)
                .json(&json!({"credential": fixture("peer/unsigned-badge.json"),
                    "options": {"created": "2026-11-24"}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            body["type"],
            "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
        );
        assert_eq!(body["status"], 400);
        assert!(
            body["detail"].as_str().unwrap().contains("created"),
            "{body}"
        );
        // Without a token: our own problem type, the same shape.
        let (status, body) = problem(
            app.http
                .post(app.url("/credentials/issue"))
                .json(&json!({"credential": {}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["type"], "urn:microcred:problem:unauthorized");
        assert_eq!(body["status"], 401);
        // A public page's JSON that does not exist.
        let (status, body) = problem(
            app.http
                .get(app.url("/v/NOSUCHCODE/credential.json"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");
        app.stop().await;
        db.cleanup().await;
    }
);
