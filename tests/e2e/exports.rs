//! What a learner takes away, from the institution's API and the private holder link: the
//! printable PDF certificate (text with diacritics, the QR code that opens the verification
//! page) and the baked Open Badges images. Needs `pdftotext` and `pdftoppm` (poppler-utils,
//! installed by `.ci/run`).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{onboard, TestApp, TestDb};

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
