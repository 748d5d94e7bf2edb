//! The issuer tried as an attacker or a careless caller would: another institution's
//! credential id, another issuer's name, a caller's own status entries, a suspended
//! credential renewed, a renewal that shortens; who acted; tokens revoked; the setup token
//! replaced and expired. Every test runs on SQLite and on PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::support::{fixture, onboard, page, Backend, TestApp, TestDb};

async fn setup(app: &TestApp, token: &str) -> crate::support::Resp {
    app.public()
        .post("/api/v1/setup", json!({"setupToken": token}))
        .await
}

/// A second institution, `usm`, with its registrar token and achievement `gdpr-101`.
async fn second_institution(app: &TestApp, admin: &str) -> String {
    let admin = app.client(admin);
    admin
        .create_institution("usm", "Universitatea de Stat din Moldova")
        .await
        .expect(StatusCode::CREATED);
    let token = admin
        .create_token("usm", "USM registrar")
        .await
        .expect(StatusCode::CREATED)
        .text("/token");
    app.client(&token)
        .create_achievement("usm", "gdpr-101")
        .await
        .expect(StatusCode::CREATED);
    token
}

async fn count(db: &TestDb, table: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let n = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

both_backends!(
    a_vc_api_issue_reusing_another_institutions_id_leaves_no_trace,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (admin, ase_token) = onboard(&app).await;
        let usm_token = second_institution(&app, &admin).await;
        let (ase, usm) = (app.client(&ase_token), app.client(&usm_token));
        let ours = ase
            .issue("ase", "ion@example.md", None)
            .await
            .expect(StatusCode::CREATED);
        let theirs = usm
            .issue("usm", "ana@example.md", None)
            .await
            .expect(StatusCode::CREATED);
        let allocations = count(&db, "status_allocations").await;

        // ASE signs a document carrying USM's (public) credential id.
        let mut doc = fixture("peer/unsigned-badge.json");
        let o = doc.as_object_mut().unwrap();
        o.remove("issuer");
        o.insert("id".into(), json!(theirs.text("/id")));
        let r = ase.vc_issue(doc).await.expect(StatusCode::CONFLICT);
        assert!(r.body.to_string().contains("already exists"), "{}", r.body);
        assert_eq!(
            count(&db, "status_allocations").await,
            allocations,
            "a refused issue allocates nothing"
        );

        // USM revokes its credential: its own list says so, ASE's lists are untouched.
        usm.act(
            "usm",
            &theirs.text("/code"),
            "revoke",
            json!({"reason": "withdrawn"}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(app.verdict(&theirs.text("/code")).await, "Revoked");
        assert_eq!(app.verdict(&ours.text("/code")).await, "Valid");
        let later = ase
            .issue("ase", "maria@example.md", None)
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(app.verdict(&later.text("/code")).await, "Valid");
        app.stop().await;
    }
);

both_backends!(
    a_vc_api_issue_cannot_borrow_another_issuers_name_or_did,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let ase = app.client(&token);
        let did = app
            .public()
            .get("/institutions/ase/did.json")
            .await
            .text("/id");

        // Our DID with someone else's name: signed, but with our registered name.
        let mut doc = fixture("peer/unsigned-badge.json");
        doc["issuer"] =
            json!({"id": did, "type": ["Profile"], "name": "Universitatea de Stat din Moldova"});
        let vc = ase.vc_issue(doc).await.expect(StatusCode::CREATED).body["verifiableCredential"]
            .clone();
        assert_eq!(
            vc["issuer"]["name"],
            "Academia de Studii Economice a Moldovei"
        );
        assert_eq!(vc["issuer"]["address"]["addressCountryCode"], "MD");
        ase.vc_verify(&vc).await.expect(StatusCode::OK);
        let code = ase.list("ase").await.body[0]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let html = page(&app, &format!("/v/{code}")).await;
        assert!(html.contains("<h1>Valid</h1>"));
        assert!(html.contains("Academia de Studii Economice a Moldovei"));
        assert!(!html.contains("Universitatea de Stat"), "no borrowed name");

        // Another DID as issuer: refused with 400, naming the field.
        let mut doc = fixture("peer/unsigned-badge.json");
        doc["issuer"] =
            json!({"id": "did:web:usm.md", "name": "Universitatea de Stat din Moldova"});
        let r = ase.vc_issue(doc).await.expect(StatusCode::BAD_REQUEST);
        assert_eq!(r.body["error"]["details"][0]["path"], "/credential/issuer");
        app.stop().await;
    }
);

both_backends!(
    everything_we_sign_carries_our_status_entries,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let ase = app.client(&token);
        let mut with_status = fixture("peer/unsigned-badge.json");
        with_status.as_object_mut().unwrap().remove("issuer");
        with_status["credentialStatus"] = json!({"id": "https://elsewhere.example/status#1",
            "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": "1", "statusListCredential": "https://elsewhere.example/status"});
        let r = ase
            .vc_issue(with_status)
            .await
            .expect(StatusCode::BAD_REQUEST);
        assert_eq!(
            r.body["error"]["details"][0]["path"],
            "/credential/credentialStatus"
        );

        let vc1 = json!({
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"],
            "issuanceDate": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:ana"}
        });
        let r = ase.vc_issue(vc1).await.expect(StatusCode::BAD_REQUEST);
        assert!(r.text("/error/message").contains("VC 2.0"), "{}", r.body);
        assert!(ase.list("ase").await.body.as_array().unwrap().is_empty());

        // What is signed carries both entries, and revoking it works.
        let mut doc = fixture("peer/unsigned-badge.json");
        doc.as_object_mut().unwrap().remove("issuer");
        let vc = ase.vc_issue(doc).await.expect(StatusCode::CREATED).body["verifiableCredential"]
            .clone();
        let purposes: Vec<_> = vc["credentialStatus"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["statusPurpose"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(purposes, ["revocation", "suspension"]);
        let code = ase.list("ase").await.body[0]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        ase.act("ase", &code, "revoke", json!({"reason": "test"}))
            .await
            .expect(StatusCode::OK);
        let r = ase.vc_verify(&vc).await.expect(StatusCode::BAD_REQUEST);
        assert_eq!(r.body["report"]["status"], "revoked");
        app.stop().await;
    }
);

both_backends!(
    a_renewal_never_shortens_and_supersedes_what_it_renews,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let ase = app.client(&token);
        let old = ase
            .issue("ase", "ana@example.md", None)
            .await
            .expect(StatusCode::CREATED);
        let code = old.text("/code");
        let old_end = old.text("/credential/validUntil");

        let r = ase
            .act("ase", &code, "renew", json!({"validUntil": "2027-01-01"}))
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text("/error/message").contains("never shortens"),
            "{}",
            r.body
        );
        assert_eq!(app.verdict(&code).await, "Valid", "nothing changed");

        let renewed = ase
            .act("ase", &code, "renew", json!({}))
            .await
            .expect(StatusCode::CREATED);
        assert!(renewed.text("/credential/validUntil") >= old_end);
        assert_eq!(app.verdict(&code).await, "Superseded");
        let st = ase.state("ase", &code).await.body;
        assert_eq!(st["state"], "superseded");
        assert_eq!(st["replacedBy"], renewed.body["id"]);
        assert!(
            st["stateChangedAt"].as_str().unwrap().ends_with('Z'),
            "RFC 3339"
        );
        assert!(
            st["events"][0]["at"].as_str().unwrap().ends_with('Z'),
            "RFC 3339"
        );
        let new_st = ase.state("ase", &renewed.text("/code")).await.body;
        assert_eq!(new_st["replaces"], old.body["id"]);
        // A superseded credential is not renewed again: its replacement is.
        ase.act("ase", &code, "renew", json!({}))
            .await
            .expect(StatusCode::CONFLICT);
        app.stop().await;
    }
);

both_backends!(
    a_suspended_credential_is_neither_renewed_nor_corrected,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let ase = app.client(&token);
        let code = ase
            .issue("ase", "ana@example.md", None)
            .await
            .expect(StatusCode::CREATED)
            .text("/code");
        ase.act("ase", &code, "suspend", json!({"reason": "inquiry"}))
            .await
            .expect(StatusCode::OK);
        let credentials = count(&db, "credentials").await;
        let r = ase
            .act("ase", &code, "renew", json!({}))
            .await
            .expect(StatusCode::CONFLICT);
        assert!(
            r.text("/error/message").contains("lift the suspension"),
            "{}",
            r.body
        );
        ase.act(
            "ase",
            &code,
            "correct",
            json!({"reason": "typo", "grade": "95%"}),
        )
        .await
        .expect(StatusCode::CONFLICT);
        assert_eq!(count(&db, "credentials").await, credentials);
        assert_eq!(app.verdict(&code).await, "Suspended");
        app.stop().await;
    }
);

both_backends!(
    every_event_names_the_token_that_acted_and_a_revoked_token_answers_401,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (admin, _) = onboard(&app).await;
        let admin = app.client(&admin);
        let moodle = admin
            .create_token("ase", "Moodle")
            .await
            .expect(StatusCode::CREATED);
        let ana = admin
            .create_token("ase", "registrar Ana")
            .await
            .expect(StatusCode::CREATED);
        let code = app
            .client(&moodle.text("/token"))
            .issue("ase", "ion@example.md", None)
            .await
            .expect(StatusCode::CREATED)
            .text("/code");
        let registrar = app.client(&ana.text("/token"));
        let st = registrar
            .act("ase", &code, "suspend", json!({"reason": "inquiry"}))
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(st["issuedBy"], "Moodle");
        assert_eq!(st["events"][0]["actor"], "registrar Ana");
        assert_eq!(st["events"][0]["actorTokenId"], ana.body["id"]);

        // The list shows labels and use, never a secret.
        let list = admin
            .get("/api/v1/institutions/ase/tokens")
            .await
            .expect(StatusCode::OK);
        let text = list.body.to_string();
        assert!(!text.contains(&moodle.text("/token")) && !text.contains("tokenHash"));
        let row = |label: &str| {
            list.body
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["label"] == label)
                .unwrap()
                .clone()
        };
        assert!(row("Moodle")["lastUsedAt"].as_str().unwrap().ends_with('Z'));
        assert!(row("Moodle")["createdAt"].as_str().unwrap().ends_with('Z'));

        // Revoked: 401 on the very next request.
        admin
            .delete(&format!(
                "/api/v1/institutions/ase/tokens/{}",
                ana.text("/id")
            ))
            .await
            .expect(StatusCode::NO_CONTENT);
        registrar
            .state("ase", &code)
            .await
            .expect(StatusCode::UNAUTHORIZED);
        let list = admin.get("/api/v1/institutions/ase/tokens").await;
        let revoked = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["label"] == "registrar Ana")
            .unwrap()
            .clone();
        assert!(revoked["revokedAt"].is_string());
        // Only the administrator manages tokens.
        app.client(&moodle.text("/token"))
            .get("/api/v1/institutions/ase/tokens")
            .await
            .expect(StatusCode::FORBIDDEN);
        app.stop().await;
    }
);

both_backends!(
    the_setup_token_is_replaced_at_each_start_and_expires,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let first = TestApp::spawn(db.config()).await;
        let t1 = first
            .setup_token
            .clone()
            .expect("a setup token while pending");
        first.stop().await;
        let second = TestApp::spawn(db.config()).await;
        let t2 = second
            .setup_token
            .clone()
            .expect("a new one at the next start");
        assert_ne!(t1, t2);
        setup(&second, &t1).await.expect(StatusCode::FORBIDDEN);

        // Past its 24 hours the token no longer works.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        sqlx::query("UPDATE platform_setup SET expires_at = 1")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let r = setup(&second, &t2).await.expect(StatusCode::FORBIDDEN);
        assert!(r.text("/error/message").contains("expired"), "{}", r.body);
        second.stop().await;

        let third = TestApp::spawn(db.config()).await;
        let t3 = third.setup_token.clone().unwrap();
        setup(&third, &t3).await.expect(StatusCode::CREATED);
        third.stop().await;
        let fourth = TestApp::spawn(db.config()).await;
        assert!(fourth.setup_token.is_none(), "no token once set-up is done");
        fourth.stop().await;
    }
);
