//! Anyone may send the public endpoints anything (issue 10): what a hostile caller can make
//! the server do, and what it is told. The verifier's behaviour does not depend on the
//! database, so these run on SQLite only.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{fixture, onboard, Backend, TestApp, TestDb};

/// A loopback service that counts the connections made to it and answers like a DID server.
async fn loopback_service() -> (SocketAddr, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 16\r\n\r\nsecret-internal!")
                    .await;
            });
        }
    });
    (addr, count)
}

#[tokio::test]
async fn a_pasted_credential_naming_a_private_address_makes_no_connection_and_learns_nothing() {
    let (addr, count) = loopback_service().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = db.config();
    config.insecure_outbound = false;
    let app = TestApp::spawn(config).await;
    for host in [
        format!("127.0.0.1%3A{}", addr.port()),
        format!("localhost%3A{}", addr.port()),
        "169.254.169.254".to_owned(),
        "10.0.0.1%3A5432".to_owned(),
    ] {
        let did = format!("did:web:{host}");
        let mut cred = fixture("peer/signed-1.json");
        cred["issuer"] = json!(did);
        cred["proof"]["verificationMethod"] = json!(format!("{did}#key-1"));
        for (path, body) in [("/credentials/verify", json!({"verifiableCredential": cred}))] {
            let r = app
                .http
                .post(app.url(path))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["verified"], false, "{v}");
            assert!(text.contains("could not be retrieved"), "{did}: {text}");
            for leak in [
                "secret-internal",
                "refused",
                "Connection",
                "timed out",
                "HTTP 200",
            ] {
                assert!(
                    !text.contains(leak),
                    "{did}: the answer tells `{leak}`: {text}"
                );
            }
        }
        // The paste page says the same, and no more.
        let page = crate::support::pasted_page(&app, &cred).await;
        assert!(
            !page.contains("secret-internal") && !page.contains("refused"),
            "{page}"
        );
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "the server connected to the loopback service"
    );
}

#[tokio::test]
async fn an_institution_cannot_point_moodle_or_webhooks_at_private_addresses() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = db.config();
    config.insecure_outbound = false;
    let app = TestApp::spawn(config).await;
    let (_, token) = onboard(&app).await;
    let c = app.client(&token);
    for (site, says) in [
        ("http://moodle.example.org", "must be an https URL"),
        ("https://127.0.0.1:8443", "not on the public internet"),
        ("https://[::ffff:10.0.0.7]", "not on the public internet"),
    ] {
        let r = c
            .post(
                "/api/v1/institutions/ase/moodle",
                json!({"siteUrl": site, "token": "0123456789abcdef0123456789abcdef"}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.to_string().contains(says), "{site}: {}", r.body);
        assert!(r.body.to_string().contains("/siteUrl"), "{}", r.body);
    }
    for (url, says) in [
        ("http://hooks.example.org/x", "must be an https URL"),
        (
            "https://169.254.169.254/latest/meta-data",
            "not on the public internet",
        ),
    ] {
        let r = c
            .post("/api/v1/institutions/ase/webhooks", json!({"url": url}))
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.to_string().contains(says), "{url}: {}", r.body);
    }
}

/// A credential signed by a did:key whose subject holds `n` identical blank nodes that all
/// point at each other (RDF Dataset Canonicalization §6, dataset poisoning).
fn poisoned(n: usize) -> Value {
    let mut cred = fixture("peer/signed-1.json");
    let nodes: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": format!("_:b{i}"),
                "https://example.org/knows": (0..n).filter(|&j| j != i)
                    .map(|j| json!({"id": format!("_:b{j}")})).collect::<Vec<_>>(),
            })
        })
        .collect();
    cred["credentialSubject"]["https://example.org/holds"] = json!(nodes);
    cred
}

#[tokio::test]
async fn a_poisoned_graph_is_refused_with_the_reason() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(db.config()).await;
    let r = app
        .http
        .post(app.url("/credentials/verify"))
        .json(&json!({"verifiableCredential": poisoned(12)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(text.contains("cannot be told apart"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_keeps_answering_during_a_flood_of_expensive_verifications() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = Arc::new(TestApp::spawn(db.config()).await);
    // The most expensive graph still accepted: blank nodes that can barely be told apart.
    let heavy = json!({"verifiableCredential": poisoned(microcred_core::proof::MAX_INDISTINCT_BLANK_NODES)});
    let flood: Vec<_> = (0..16)
        .map(|_| {
            let (app, heavy) = (app.clone(), heavy.clone());
            tokio::spawn(async move {
                app.http
                    .post(app.url("/credentials/verify"))
                    .json(&heavy)
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    let (polls, slowest) = crate::support::poll_health_while(&app, &flood).await;
    for t in flood {
        let status = t.await.unwrap().unwrap();
        // A signature that does not match (the graph was added after signing): 400, or 503
        // when the pool is full - never a stalled server.
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
    }
    eprintln!("/health during the flood: {polls} polls, slowest {slowest:?}");
    assert!(polls >= 5, "/health was held by the flood: {polls} polls");
}

#[tokio::test]
async fn guessing_api_tokens_is_stopped_after_twenty_failures_a_minute() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(db.config()).await;
    let (_, token) = onboard(&app).await;
    let get = |t: String| {
        let app = &app;
        async move {
            app.http
                .get(app.url("/api/v1/institutions/ase/credentials"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..microcred::limits::MAX_AUTH_FAILURES {
        assert_eq!(
            get(format!("mc_guess{i:04}")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = get("mc_guess9999".into()).await;
    assert_eq!(r, StatusCode::TOO_MANY_REQUESTS);
    // The address is held back for the minute, whatever token it sends.
    assert_eq!(get(token).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = db.config();
    config.header_read_timeout = std::time::Duration::from_secs(1);
    let app = TestApp::spawn(config).await;
    let addr = app
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // ... and never the blank line. The server closes the connection (with or without a 408).
    let mut buf = Vec::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(20), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 20 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    // The server still serves others.
    let r = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Resident memory of this process (the server runs in it), in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_under_presentations_naming_distinct_status_lists() {
    use microcred_core::keys::KeyPair;
    use microcred_core::proof::{sign, Cryptosuite, ProofOptions};

    // A list server answering every /lists/{n} with the same list-shaped credential of
    // almost 2 MiB (the largest a verifier fetches).
    let big = axum::body::Bytes::from(
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": "did:example:lists",
            "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": "revocation",
                "encodedList": format!("u{}", "A".repeat(1_900_000))},
        })
        .to_string(),
    );
    let router = axum::Router::new().route(
        "/lists/{n}",
        axum::routing::get(move || {
            let big = big.clone();
            async move { ([("content-type", "application/vc+ld+json")], big) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lists = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(db.config()).await;
    let key = KeyPair::generate();
    let options = ProofOptions::assertion(Cryptosuite::EddsaJcs2022, key.public().did_key_method());
    let credential = |n: usize| {
        let url = format!("http://{lists}/lists/{n}");
        sign(
            &json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "issuer": key.public().did_key().as_str(),
                "validFrom": "2026-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:learner"},
                "credentialStatus": {"id": format!("{url}#7"), "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation", "statusListIndex": "7",
                    "statusListCredential": url},
            }),
            &key,
            &options,
        )
        .unwrap()
    };

    let before = rss_mib();
    let (presentations, per) = (10, 50);
    for p in 0..presentations {
        let vp = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": (0..per).map(|i| credential(p * per + i)).collect::<Vec<_>>(),
        });
        let r = app
            .http
            .post(app.url("/presentations/verify"))
            .json(&json!({"verifiablePresentation": vp}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success() || r.status() == StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        // The list was fetched (and is not trusted: it is not signed), not refused.
        let status = body["credentials"][0]["report"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "status")
            .unwrap()
            .to_string();
        assert!(
            !status.contains("could not be retrieved") && !status.contains("proof did not verify"),
            "{status}"
        );
    }
    let after = rss_mib();
    eprintln!(
        "{} distinct lists of 1.9 MB fetched: resident memory {before} MiB -> {after} MiB",
        presentations * per
    );
    // Unbounded, the lists alone would hold about 900 MiB; the cache holds at most 32 MiB.
    assert!(
        after.saturating_sub(before) < 300,
        "resident memory grew from {before} MiB to {after} MiB"
    );
}

#[tokio::test]
async fn a_tampered_credential_shows_its_claims_apart_as_not_confirmed() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(db.config()).await;
    let (_, token) = onboard(&app).await;
    let (status, issued) =
        crate::support::issue_with_key(&app, &token, "k-1", "ana@example.md").await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let genuine = issued["credential"].clone();
    let page = crate::support::pasted_page(&app, &genuine).await;
    assert!(page.contains("<h1>Valid</h1>"), "{page}");
    assert!(!page.contains("not confirmed"), "{page}");

    // The grade edited from 92% to 100%.
    let mut edited = genuine.clone();
    edited["credentialSubject"]["result"][0]["value"] = json!("100%");
    let page = crate::support::pasted_page(&app, &edited).await;
    assert!(page.contains("<h1>Not genuine</h1>"), "{page}");
    let apart = page
        .split_once(r#"<div class="unconfirmed">"#)
        .map(|(_, rest)| rest)
        .expect("the claims are in a block of their own");
    assert!(
        apart.contains("What the document says - not confirmed"),
        "{page}"
    );
    let (claims, _) = apart.split_once("</div>").unwrap();
    assert!(
        claims.contains("100%"),
        "the edited grade is shown inside the block: {page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_keeps_answering_while_a_bulk_issue_signs() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = Arc::new(TestApp::spawn(db.config()).await);
    let (_, token) = onboard(&app).await;
    let mut csv = String::from("name,email,grade\n");
    for i in 0..60 {
        csv.push_str(&format!("Learner {i},learner{i}@example.md,9\n"));
    }
    let bulk = {
        let app = app.clone();
        tokio::spawn(async move {
            app.http
                .post(app.url("/api/v1/institutions/ase/achievements/gdpr-101/credentials/bulk"))
                .bearer_auth(token)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap()
        })
    };
    let bulk = [bulk];
    let (polls, slowest) = crate::support::poll_health_while(&app, &bulk).await;
    let [bulk] = bulk;
    let r = bulk.await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status} {body}");
    eprintln!("/health during a bulk issue of 60: {polls} polls, slowest {slowest:?}");
    assert_eq!(body["issued"], 60, "{body}");
    assert!(polls >= 5, "/health was held while signing: {polls} polls");
}
