//! Revocation, suspension, renewal and correction (W3C Bitstring Status List v1.0), seen by our
//! public page, the VC-API endpoint, another verifier, and a by-hand decoding of the raw list.
//! Every test runs on SQLite and on PostgreSQL.

use std::io::Read;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{page, spawn_verifier_alone, Backend, TestApp, TestDb};

async fn onboard(app: &TestApp) -> String {
    crate::support::onboard(app).await.1
}

async fn issue(app: &TestApp, token: &str, email: &str) -> Value {
    let (status, body) =
        crate::support::issue_with_key(app, token, &uuid::Uuid::new_v4().to_string(), email).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn action(
    app: &TestApp,
    token: &str,
    code: &str,
    what: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = app.client(token).act("ase", code, what, body).await;
    (r.status, r.body)
}

async fn state(app: &TestApp, token: &str, code: &str) -> Value {
    app.client(token).state("ase", code).await.body
}

async fn verdict(app: &TestApp, code: &str) -> String {
    app.verdict(code).await
}

/// Decodes the bit by hand, independently of microcred's code: base64url, gunzip, bit i is
/// bit (7 - i % 8) of byte i / 8.
fn raw_bit(list: &Value, index: usize) -> bool {
    let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
    let gz = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.strip_prefix('u').unwrap())
        .unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut bytes)
        .unwrap();
    assert!(bytes.len() * 8 >= 131_072, "at least 131,072 entries");
    bytes[index / 8] & (0x80 >> (index % 8)) != 0
}

fn entry(credential: &Value, purpose: &str) -> (String, usize) {
    let e = credential["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["statusPurpose"] == purpose)
        .unwrap()
        .clone();
    assert_eq!(e["type"], "BitstringStatusListEntry");
    (
        e["statusListCredential"].as_str().unwrap().to_owned(),
        e["statusListIndex"].as_str().unwrap().parse().unwrap(),
    )
}

both_backends!(
    a_revoked_credential_fails_verification_everywhere,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let token = onboard(&app).await;
        let issued = issue(&app, &token, "ana@example.md").await;
        let code = issued["code"].as_str().unwrap();
        let vc = issued["credential"].clone();
        let (list_url, index) = entry(&vc, "revocation");
        assert!(list_url.starts_with(&app.url("/status/ase/revocation/")));
        assert!(
            vc["validUntil"]
                .as_str()
                .unwrap()
                .starts_with(&(time::OffsetDateTime::now_utc().year() + 5).to_string()),
            "validityPeriod P5Y"
        );

        let list: Value = app
            .http
            .get(&list_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(!raw_bit(&list, index));
        assert_eq!(verdict(&app, code).await, "Valid");

        let (s, state) = action(
            &app,
            &token,
            code,
            "revoke",
            json!({"reason": "plagiarism found in the final project"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{state}");
        assert_eq!(state["state"], "revoked");
        assert_eq!(
            state["events"][0]["reason"],
            "plagiarism found in the final project"
        );

        // The raw list, decoded by hand, has the bit set; headers match the ttl.
        let r = app.http.get(&list_url).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "public, max-age=60");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let list: Value = r.json().await.unwrap();
        assert_eq!(list["credentialSubject"]["ttl"], 60_000);
        assert_eq!(
            list["type"],
            json!(["VerifiableCredential", "BitstringStatusListCredential"])
        );
        assert!(raw_bit(&list, index));
        let (susp_url, susp_index) = entry(&vc, "suspension");
        let susp: Value = app
            .http
            .get(&susp_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(!raw_bit(&susp, susp_index), "suspension is a separate list");
        let r = app
            .http
            .get(&list_url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

        // The public page: state and date, not the reason.
        let html = page(&app, &format!("/v/{code}")).await;
        assert!(html.contains("<h1>Revoked</h1>"));
        let today = time::OffsetDateTime::now_utc().date();
        assert!(
            html.contains(&format!("Since {today}")),
            "the date of revocation is shown"
        );
        assert!(!html.contains("plagiarism"), "the reason stays private");

        // The VC-API endpoint agrees.
        let r = app
            .http
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": vc}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["report"]["status"], "revoked");
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_str().unwrap().starts_with("status: revoked")),
            "{body}"
        );

        // The command line agrees, given the same opt-in to a local (http) server as the
        // server's; without it, the issuer's DID document is not fetched from loopback.
        let file = db.config().data_dir.join("revoked.json");
        std::fs::write(&file, vc.to_string()).unwrap();
        let cli = |insecure: bool| {
            let file = file.clone();
            tokio::task::spawn_blocking(move || {
                let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_microcred"));
                cmd.arg("verify").arg(&file);
                if insecure {
                    cmd.arg("--insecure-outbound");
                }
                let out = cmd.output().unwrap();
                (
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                )
            })
        };
        let (exit, out) = cli(true).await.unwrap();
        assert_eq!(exit, Some(1), "{out}");
        assert!(out.contains("[FAILED ] status: revoked"), "{out}");
        let (exit, out) = cli(false).await.unwrap();
        assert_eq!(exit, Some(1), "{out}");
        assert!(out.contains("could not be retrieved"), "{out}");

        // Revocation is final.
        let (s, _) = action(&app, &token, code, "revoke", json!({"reason": "again"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, _) = action(&app, &token, code, "suspend", json!({"reason": "x"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        // A reason is required.
        let other = issue(&app, &token, "ion@example.md").await;
        let (s, e) = action(
            &app,
            &token,
            other["code"].as_str().unwrap(),
            "revoke",
            json!({"reason": " "}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(
            verdict(&app, other["code"].as_str().unwrap()).await,
            "Valid",
            "nothing changed"
        );

        // The learner is notified (outbox).
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        let n: i64 = sqlx::Row::get(&sqlx::query("SELECT COUNT(*) AS n FROM notifications WHERE recipient = 'ana@example.md' AND kind = 'credential_revoked'").fetch_one(&pool).await.unwrap(), "n");
        assert_eq!(n, 1);
        pool.close().await;
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(suspension_round_trips, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(db.config()).await;
    let token = onboard(&app).await;
    let issued = issue(&app, &token, "ana@example.md").await;
    let code = issued["code"].as_str().unwrap();
    let (s, st) = action(
        &app,
        &token,
        code,
        "suspend",
        json!({"reason": "disciplinary inquiry"}),
    )
    .await;
    assert_eq!(
        (s, st["state"].as_str()),
        (StatusCode::OK, Some("suspended"))
    );
    assert_eq!(verdict(&app, code).await, "Suspended");
    let (url, i) = entry(&issued["credential"], "suspension");
    assert!(raw_bit(
        &app.http
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
        i
    ));
    let (s, _) = action(&app, &token, code, "suspend", json!({"reason": "twice"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, st) = action(
        &app,
        &token,
        code,
        "unsuspend",
        json!({"reason": "inquiry closed"}),
    )
    .await;
    assert_eq!((s, st["state"].as_str()), (StatusCode::OK, Some("active")));
    assert_eq!(verdict(&app, code).await, "Valid");
    assert!(!raw_bit(
        &app.http
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
        i
    ));
    let history: Vec<_> = st["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("suspended".to_owned(), "disciplinary inquiry".to_owned()),
            ("active".to_owned(), "inquiry closed".to_owned())
        ]
    );
    app.stop().await;
    db.cleanup().await;
});

both_backends!(
    a_correction_reissues_and_supersedes_the_old_credential,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let token = onboard(&app).await;
        let old = issue(&app, &token, "ana@example.md").await;
        let old_code = old["code"].as_str().unwrap();
        let (s, new) = action(&app, &token, old_code, "correct", json!({"reason": "grade typed wrong", "grade": "95%", "learnerName": "Ana-Maria Popescu"})).await;
        assert_eq!(s, StatusCode::CREATED, "{new}");
        assert_eq!(
            new["credential"]["credentialSubject"]["result"][0]["value"],
            "95%"
        );
        assert_eq!(
            new["credential"]["credentialSubject"]["name"],
            "Ana-Maria Popescu"
        );
        assert_eq!(
            new["credential"]["credentialSubject"]["identifier"],
            old["credential"]["credentialSubject"]["identifier"],
            "same learner"
        );
        assert_ne!(
            entry(&new["credential"], "revocation"),
            entry(&old["credential"], "revocation")
        );
        assert_eq!(verdict(&app, old_code).await, "Superseded");
        let old_page = page(&app, &format!("/v/{old_code}")).await;
        assert!(
            old_page.contains(&format!(
                "href=\"/v/{}?lang=en\"",
                new["code"].as_str().unwrap()
            )),
            "the old page links to its replacement"
        );
        assert_eq!(verdict(&app, new["code"].as_str().unwrap()).await, "Valid");
        let st: Value = state(&app, &token, old_code).await;
        assert_eq!(st["state"], "superseded");
        assert_eq!(st["replacedBy"], new["id"]);
        assert_eq!(st["links"]["replacedBy"]["code"], new["code"]);
        assert!(st["events"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("superseded by urn:uuid:"));
        let nst: Value = state(&app, &token, new["code"].as_str().unwrap()).await;
        assert_eq!(nst["replaces"], old["id"]);

        // Renewal: a new credential that supersedes the one it renews.
        let (s, renewed) = action(
            &app,
            &token,
            new["code"].as_str().unwrap(),
            "renew",
            json!({"validUntil": "2040-01-01"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{renewed}");
        assert_eq!(renewed["credential"]["validUntil"], "2040-01-01T00:00:00Z");
        assert_eq!(
            verdict(&app, new["code"].as_str().unwrap()).await,
            "Superseded"
        );
        assert_eq!(
            verdict(&app, renewed["code"].as_str().unwrap()).await,
            "Valid"
        );
        let rst: Value = state(&app, &token, renewed["code"].as_str().unwrap()).await;
        assert_eq!(rst["replaces"], new["id"]);
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    two_instances_on_one_database_never_hand_out_the_same_index,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let mut config = db.config();
        config.public_url = Some("https://credentials.example.md".into());
        let a = TestApp::spawn(config.clone()).await;
        let token = onboard(&a).await;
        let b = TestApp::spawn(config).await; // same database and master key
        let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));
        let mut tasks = Vec::new();
        for i in 0..24 {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                issue(&app, &token, &format!("learner{i}@example.md")).await
            }));
        }
        let mut seen = std::collections::HashSet::new();
        for t in tasks {
            let c = t.await.unwrap();
            for purpose in ["revocation", "suspension"] {
                assert!(
                    seen.insert(entry(&c["credential"], purpose)),
                    "index handed out twice"
                );
            }
        }
        assert_eq!(seen.len(), 48);
        std::sync::Arc::into_inner(a).unwrap().stop().await;
        std::sync::Arc::into_inner(b).unwrap().stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    another_verifier_sees_a_revocation_through_the_published_list,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let a = TestApp::spawn(db.config()).await;
        let token = onboard(&a).await;
        let issued = issue(&a, &token, "ana@example.md").await;
        let (b, other) = spawn_verifier_alone().await;
        let verify = || {
            b.http
                .post(b.url("/credentials/verify"))
                .json(&json!({"verifiableCredential": issued["credential"]}))
                .send()
        };
        let body: Value = verify().await.unwrap().json().await.unwrap();
        assert_eq!(body["report"]["status"], "active", "{body}");
        action(
            &a,
            &token,
            issued["code"].as_str().unwrap(),
            "revoke",
            json!({"reason": "withdrawn"}),
        )
        .await;
        // B cached the list for its ttl (60 s); a fresh verifier sees the revocation at once.
        let (c, c_db) = spawn_verifier_alone().await;
        let r = c
            .http
            .post(c.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": issued["credential"]}))
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["report"]["status"], "revoked", "{body}");
        // When the issuer is unreachable, the status is unknown, never valid.
        a.stop().await;
        let (d, d_db) = spawn_verifier_alone().await;
        let r = d
            .http
            .post(d.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": issued["credential"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        b.stop().await;
        c.stop().await;
        d.stop().await;
        c_db.cleanup().await;
        d_db.cleanup().await;
        db.cleanup().await;
        other.cleanup().await;
    }
);
