//! What a learner takes away, from the institution's API and the private holder link: the
//! printable PDF certificate (text with diacritics, the QR code that opens the verification
//! page) and the baked Open Badges images. Needs `pdftotext` and `pdftoppm` (poppler-utils,
//! installed by `.ci/run`).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{fixture_bytes, onboard, TestApp, TestDb};

async fn issue_to(app: &TestApp, token: &str, name: &str) -> Value {
    app.client(token)
        .post(
            "/api/v1/institutions/ase/credentials",
            json!({"achievement": "gdpr-101", "learner": {"name": name, "email": "stefan@example.md"},
                   "grade": "9,50", "activityStartDate": "2026-05-04", "activityEndDate": "2026-06-28"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body
}

fn tool(name: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = std::process::Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} (poppler-utils) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

both_backends!(
    the_pdf_certificate_has_the_learners_name_and_a_qr_code_that_opens_the_page,
    |backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let name = "Ștefan Țurcanu-Răileanu";
        let issued = issue_to(&app, &token, name).await;
        let code = issued["code"].as_str().unwrap().to_owned();
        for (file, words) in [
            ("certificate.pdf", "Learning outcomes"),
            ("certificate-ro.pdf", "Rezultatele învățării"),
        ] {
            let r = app
                .http
                .get(app.url(&format!(
                    "/api/v1/institutions/ase/credentials/{code}/exports/{file}"
                )))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()["content-type"], "application/pdf");
            let pdf = r.bytes().await.unwrap();
            let dir = std::env::temp_dir().join(format!(
                "microcred-pdf-{}",
                microcred_issuer::secrets::new_id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("c.pdf");
            std::fs::write(&path, &pdf).unwrap();
            let text =
                String::from_utf8(tool("pdftotext", &[path.as_os_str(), "-".as_ref()])).unwrap();
            assert!(
                text.contains(name),
                "selectable text with the learner's name: {text}"
            );
            assert!(text.contains(words), "{text}");
            assert!(text.contains("Academia de Studii Economice a Moldovei"));
            assert!(text.contains("EQF"), "{text}");
            tool(
                "pdftoppm",
                &[
                    "-png".as_ref(),
                    "-r".as_ref(),
                    "150".as_ref(),
                    "-singlefile".as_ref(),
                    path.as_os_str(),
                    dir.join("page").as_os_str(),
                ],
            );
            let img = image::open(dir.join("page.png")).unwrap().to_luma8();
            let mut prepared = rqrr::PreparedImage::prepare(img);
            let grids = prepared.detect_grids();
            assert_eq!(grids.len(), 1, "one QR code on the page");
            let (_, content) = grids[0].decode().unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            let page = app.http.get(&content).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK, "{content}");
            assert!(page.text().await.unwrap().contains("<h1>Valid</h1>"));
        }
        let r = app
            .client(&token)
            .get(&format!(
                "/api/v1/institutions/ase/credentials/{code}/exports/certificate.docx"
            ))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(
            r.text("/error/message").contains("certificate.pdf"),
            "the choices are named"
        );
    }
);

/// Waits for the mail to `to` and returns the private holder link in it.
async fn holder_link(mailbox: &microcred_fake_moodle::smtp::Mailbox, to: &str) -> String {
    for _ in 0..200 {
        if let Some(m) = mailbox.to(to).first() {
            return crate::moodle::holder_link_in(m);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail to {to}");
}

fn shacl_conforms(doc: &Value) -> (bool, String) {
    // JSON-LD expansion of a whole EDC recurses deeply: unoptimised, it needs more than a
    // test thread's stack.
    let d = doc.clone();
    let nquads = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || microcred_core::proof::canonical_nquads(&d))
        .unwrap()
        .join()
        .unwrap()
        .expect("every term expands");
    let dir = std::env::temp_dir().join(format!(
        "microcred-edc-{}",
        microcred_issuer::secrets::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("edc.nt");
    std::fs::write(&data, nquads.concat()).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/shacl-check.py"))
        .arg(root.join("core/tests/fixtures/elm/EDC-generic-no-cv.ttl"))
        .arg(&data)
        .output()
        .expect("python3");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        r["conforms"].as_bool().unwrap(),
        r["violations"].to_string(),
    )
}

both_backends!(
    a_learner_takes_a_sealed_europass_credential_from_the_private_link,
    |backend| async move {
        let fake = microcred_fake_moodle::Fake::standard();
        let smtp = fake
            .serve_smtp("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let db = TestDb::new(backend).await;
        let mut config = db.config();
        config.smtp_url = Some(format!("smtp://{smtp}"));
        config.mail_from = Some("credentials@microcred.test".into());
        let app = TestApp::spawn(config).await;
        let (_, token) = onboard(&app).await;
        let c = app.client(&token);

        // Before the institution uploads its seal: the uploadable form only.
        let issued = issue_to(&app, &token, "Ștefan Țurcanu").await;
        let code = issued["code"].as_str().unwrap().to_owned();
        let link = holder_link(&fake.mailbox(), "stefan@example.md").await;
        let page = app
            .http
            .get(&link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("europass.json"), "{page}");
        assert!(!page.contains("europass-sealed.jsonld"), "no seal yet");
        let r = app
            .http
            .get(format!("{link}/europass-sealed.jsonld"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("has not uploaded its electronic seal"));
        let up: Value = app
            .http
            .get(format!("{link}/europass.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(up["credential"]["type"][1], "EuropeanDigitalCredential");
        assert_eq!(
            up["credential"]["credentialSubject"]["fullName"]["en"],
            "Ștefan Țurcanu"
        );
        let (conforms, violations) = shacl_conforms(&up["credential"]);
        assert!(
            !conforms && violations.contains("issued"),
            "sealing adds `issued`: {violations}"
        );

        // The registrar uploads the institution's seal (a throw-away PKCS#12 here).
        let p12 = demo_p12();
        let wrong = c
            .put(
                "/api/v1/institutions/ase/eseal",
                json!({"pkcs12": p12, "password": "nope"}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong.body.to_string().contains("wrong password"),
            "{}",
            wrong.body
        );
        let seal = c
            .put(
                "/api/v1/institutions/ase/eseal",
                json!({"pkcs12": p12, "password": "s3cret"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(seal.body["algorithm"], "RS256");
        assert_eq!(seal.body["organisationIdentifier"], "VATMD-1003600150013");
        assert_eq!(seal.body["qualified"], true);
        assert!(!seal.body.to_string().contains("s3cret"));
        c.get("/api/v1/institutions/ase/eseal")
            .await
            .expect(StatusCode::OK);

        // From the link alone: the sealed credential conforms and its seal verifies.
        let page = app
            .http
            .get(&link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("europass-sealed.jsonld"), "{page}");
        let r = app
            .http
            .get(format!("{link}/europass-sealed.jsonld"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&code));
        let sealed: Value = r.json().await.unwrap();
        let report =
            microcred_core::jades::verify_seal(&sealed, time::OffsetDateTime::now_utc()).unwrap();
        assert!(report.holds(), "{}", report.to_text());
        assert!(report.sealed_by.contains("Academia de Studii Economice"));
        let payload: Value = serde_json::from_str(&report.payload).unwrap();
        let (conforms, violations) = shacl_conforms(&payload);
        assert!(conforms, "{violations}");

        // Our verifier recognises it: VC-API and the paste page.
        let r = app
            .http
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": sealed}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["verified"], true);
        assert!(v["checks"].to_string().contains("seal-signature"), "{v}");
        assert!(v["warnings"].to_string().contains("EU Trusted List"), "{v}");
        let page = crate::support::pasted_page(&app, &sealed).await;
        assert!(
            page.contains("Seal valid") && page.contains("Ștefan Țurcanu"),
            "{page}"
        );
        let mut tampered = sealed.clone();
        tampered["payload"] = sealed["payload"]
            .as_str()
            .unwrap()
            .replace("Ștefan", "Stefan")
            .into();
        let r = app
            .http
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": tampered}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);

        // The institution's API offers the same; a revoked credential is not sealed.
        c.get(&format!(
            "/api/v1/institutions/ase/credentials/{code}/exports/europass-sealed.jsonld"
        ))
        .await
        .expect(StatusCode::OK);
        c.post(
            &format!("/api/v1/institutions/ase/credentials/{code}/revoke"),
            json!({"reason": "issued in error"}),
        )
        .await
        .expect(StatusCode::OK);
        let r = app
            .http
            .get(format!("{link}/europass-sealed.jsonld"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        c.delete("/api/v1/institutions/ase/eseal")
            .await
            .expect(StatusCode::NO_CONTENT);
        c.get("/api/v1/institutions/ase/eseal")
            .await
            .expect(StatusCode::NOT_FOUND);
    }
);

/// The images `pdfimages -list` finds in `pdf`, as (page, width, height).
fn pdf_images(pdf: &[u8]) -> Vec<(u32, u32, u32)> {
    let dir = std::env::temp_dir().join(format!(
        "microcred-pdfimages-{}",
        microcred_issuer::secrets::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let list = String::from_utf8(tool("pdfimages", &["-list".as_ref(), path.as_os_str()])).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // page num type width height ...; two header lines; soft masks are listed as `smask`.
    list.lines()
        .skip(2)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(2) == Some(&"image")).then(|| {
                (
                    f[0].parse().unwrap(),
                    f[3].parse().unwrap(),
                    f[4].parse().unwrap(),
                )
            })
        })
        .collect()
}

both_backends!(
    an_institutions_logo_is_on_its_pdf_certificates_and_europass_credentials,
    |backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let issued = issue_to(&app, &token, "Ștefan Țurcanu").await;
        let code = issued["code"].as_str().unwrap().to_owned();
        let pdf_url =
            format!("/api/v1/institutions/ase/credentials/{code}/exports/certificate.pdf");
        let download = |url: String| {
            let app = &app;
            let token = &token;
            async move {
                let r = app
                    .http
                    .get(app.url(&url))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{url}");
                r.bytes().await.unwrap().to_vec()
            }
        };
        let put_logo = |bytes: Vec<u8>, content_type: &'static str| {
            let app = &app;
            let token = &token;
            async move {
                let r = app
                    .http
                    .put(app.url("/api/v1/institutions/ase/logo"))
                    .bearer_auth(token)
                    .header("content-type", content_type)
                    .body(bytes)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                (status, r.json::<Value>().await.unwrap())
            }
        };

        // No logo yet: the QR code is the page's only picture.
        assert_eq!(pdf_images(&download(pdf_url.clone()).await).len(), 1);
        app.client(&token)
            .get("/api/v1/institutions/ase/logo")
            .await
            .expect(StatusCode::NOT_FOUND);

        // Files that are not a PNG or JPEG logo are refused, saying why.
        for (file, content_type, says) in [
            (
                "logos/not-an-image.gif",
                "image/gif",
                "must be a PNG or JPEG",
            ),
            ("logos/too-wide.png", "image/png", "larger than 4096"),
        ] {
            let (status, body) = put_logo(fixture_bytes(file), content_type).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{file}: {body}");
            assert!(body.to_string().contains(says), "{file}: {body}");
        }
        let (status, body) = put_logo(Vec::new(), "image/png").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.to_string().contains("no body"), "{body}");
        app.client(&token)
            .get("/api/v1/institutions/ase/logo")
            .await
            .expect(StatusCode::NOT_FOUND);

        // A JPEG logo, 600×240, is kept as a PNG scaled to 512 pixels wide.
        let (status, view) = put_logo(fixture_bytes("logos/academy.jpg"), "image/jpeg").await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["contentType"], "image/png");
        assert_eq!(
            (view["width"].clone(), view["height"].clone()),
            (json!(512), json!(205))
        );
        let stored = download("/api/v1/institutions/ase/logo".into()).await;
        let img = image::load_from_memory_with_format(&stored, image::ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (512, 205));

        // It is on the certificate, in both languages, on the page of the QR code.
        for file in ["certificate.pdf", "certificate-ro.pdf"] {
            let images = pdf_images(
                &download(format!(
                    "/api/v1/institutions/ase/credentials/{code}/exports/{file}"
                ))
                .await,
            );
            assert_eq!(images.len(), 2, "{file}: {images:?}");
            assert!(images.contains(&(1, 512, 205)), "{file}: {images:?}");
            assert!(
                images.iter().all(|i| i.0 == 1),
                "one page: {file}: {images:?}"
            );
        }
        // And it is the awarding body's logo in the Europass credential.
        let up: Value = serde_json::from_slice(
            &download(format!(
                "/api/v1/institutions/ase/credentials/{code}/exports/europass.json"
            ))
            .await,
        )
        .unwrap();
        let logo =
            &up["credential"]["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]["logo"];
        assert_eq!(logo["type"], "MediaObject");
        use base64::Engine;
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(logo["content"].as_str().unwrap())
                .unwrap(),
            stored
        );
        let (conforms, violations) = shacl_conforms(&up["credential"]);
        assert!(!conforms && !violations.contains("logo"), "{violations}");

        // Removed: certificates are made without it again.
        app.client(&token)
            .delete("/api/v1/institutions/ase/logo")
            .await
            .expect(StatusCode::NO_CONTENT);
        assert_eq!(pdf_images(&download(pdf_url).await).len(), 1);
        app.client(&token)
            .delete("/api/v1/institutions/ase/logo")
            .await
            .expect(StatusCode::NOT_FOUND);
    }
);

/// A throw-away seal (RSA, qualified statements) of `ase`, valid for a year: base64 of its
/// PKCS#12 file, password `s3cret`.
fn demo_p12() -> String {
    let now = time::OffsetDateTime::now_utc();
    let demo = microcred_core::eseal::demo::demo_seal(
        &microcred_core::eseal::demo::DemoSubject {
            organisation: "Academia de Studii Economice a Moldovei",
            organisation_identifier: "VATMD-1003600150013",
            country: "MD",
            qualified_statements: true,
            not_before: now - time::Duration::days(1),
            not_after: now + time::Duration::days(365),
        },
        microcred_core::eseal::demo::DemoKey::Rsa,
    )
    .unwrap();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(demo.pkcs12("s3cret").unwrap())
}

/// Uploads [`demo_p12`] as the seal of `ase`.
async fn upload_demo_seal(app: &TestApp, token: &str) {
    app.client(token)
        .put(
            "/api/v1/institutions/ase/eseal",
            json!({"pkcs12": demo_p12(), "password": "s3cret"}),
        )
        .await
        .expect(StatusCode::OK);
}

both_backends!(
    with_a_timestamp_authority_a_sealed_europass_credential_carries_a_trusted_timestamp,
    |backend| async move {
        use microcred_fake_moodle::tsa::{FakeTsa, TsaKey};
        // OpenSSL's TSA signs with RSA on SQLite and with ECDSA P-256 on PostgreSQL.
        let key = match backend {
            crate::support::Backend::Sqlite => TsaKey::Rsa,
            crate::support::Backend::Postgres => TsaKey::P256,
        };
        let tsa = FakeTsa::serve("127.0.0.1:0".parse().unwrap(), key)
            .await
            .unwrap();
        let db = TestDb::new(backend).await;
        let mut config = db.config();
        config.tsa_url = Some(tsa.url());
        let app = TestApp::spawn(config).await;
        let (_, token) = onboard(&app).await;
        upload_demo_seal(&app, &token).await;
        let issued = issue_to(&app, &token, "Ștefan Țurcanu").await;
        let code = issued["code"].as_str().unwrap().to_owned();
        let url = app.url(&format!(
            "/api/v1/institutions/ase/credentials/{code}/exports/europass-sealed.jsonld"
        ));

        let r = app.http.get(&url).bearer_auth(&token).send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        let sealed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(tsa.tokens_issued(), 1);
        // The unsigned header holds the token as the EU's DSS writes it (baseline T).
        let etsi_u = sealed["signatures"][0]["header"]["etsiU"]
            .as_array()
            .unwrap();
        assert_eq!(etsi_u.len(), 1);
        use base64::Engine;
        let component: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(etsi_u[0].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        let token_der = base64::engine::general_purpose::STANDARD
            .decode(component["sigTst"]["tstTokens"][0]["val"].as_str().unwrap())
            .unwrap();

        // Our check: the timestamp holds, from the TSA, now.
        let now = time::OffsetDateTime::now_utc();
        let report = microcred_core::jades::verify_seal(&sealed, now).unwrap();
        assert!(report.holds(), "{}", report.to_text());
        let t = report.signature_timestamp.clone().unwrap();
        assert!(t.valid, "{t:?}");
        assert!(
            t.tsa.as_deref().unwrap().contains("microcred test TSA"),
            "{t:?}"
        );
        let at = time::OffsetDateTime::parse(
            t.time.as_deref().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!((now - at).abs() < time::Duration::minutes(1), "{at}");

        // OpenSSL's check of the same token over the seal's base64url signature value
        // (ETSI TS 119 182-1 §5.3.4), with the TSA's certificate as the trust anchor.
        let dir = std::env::temp_dir().join(format!(
            "microcred-tst-{}",
            microcred_issuer::secrets::new_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("token.der"), &token_der).unwrap();
        std::fs::write(
            dir.join("signature.txt"),
            sealed["signatures"][0]["signature"].as_str().unwrap(),
        )
        .unwrap();
        std::fs::write(dir.join("tsa.pem"), tsa.certificate_pem()).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["ts", "-verify", "-token_in", "-in", "token.der", "-data"])
            .args([
                "signature.txt",
                "-CAfile",
                "tsa.pem",
                "-untrusted",
                "tsa.pem",
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Verification: OK"),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );

        // The verifier reports it: VC-API and the paste page.
        let r = app
            .http
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": sealed}))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["verified"], true, "{v}");
        assert!(
            v["checks"].to_string().contains("seal-signature-timestamp"),
            "{v}"
        );
        assert!(!v["warnings"].to_string().contains("baseline B"), "{v}");
        let page = crate::support::pasted_page(&app, &sealed).await;
        assert!(page.contains("Trusted timestamp (RFC 3161)"), "{page}");

        // A timestamp of other bytes (another credential's seal) makes the seal fail.
        let other = issue_to(&app, &token, "Ion Rusu").await;
        let other: Value = app
            .http
            .get(app.url(&format!(
                "/api/v1/institutions/ase/credentials/{}/exports/europass-sealed.jsonld",
                other["code"].as_str().unwrap()
            )))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut swapped = sealed.clone();
        swapped["signatures"][0]["header"] = other["signatures"][0]["header"].clone();
        let v: Value = app
            .http
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": swapped}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["verified"], false, "{v}");
        assert!(v["errors"].to_string().contains("message imprint"), "{v}");

        // The TSA is down: no seal without its timestamp, and the reason is given.
        tsa.set_failing(true);
        let r = app.http.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
        let body = r.text().await.unwrap();
        assert!(body.contains("timestamp authority"), "{body}");
        assert!(body.contains("503"), "{body}");
    }
);
