//! Bulk issuance as a job (issue 11): large files answer 202 and are followed by their job;
//! the report comes by pages; a job can be cancelled; a server killed in the middle of a job
//! resumes it after a restart and issues every row exactly once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::support::{onboard, Backend, Binary, TestApp, TestDb};

const BULK: &str = "/api/v1/institutions/ase/achievements/gdpr-101/credentials/bulk";

/// A CSV file of `n` learners (line 2 is the first), with a row without a name at `bad_line`.
fn learners(n: usize, bad_line: Option<usize>) -> String {
    let mut csv = String::from("name,email,grade\n");
    for i in 0..n {
        let line = i + 2;
        let name = if Some(line) == bad_line {
            String::new()
        } else {
            format!("Learner {i}")
        };
        csv.push_str(&format!("{name},learner{i}@example.md,{}%\n", 50 + i % 50));
    }
    csv
}

async fn upload(app: &TestApp, token: &str, csv: String, prefer_async: bool) -> reqwest::Response {
    let mut r = app
        .http
        .post(app.url(BULK))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv);
    if prefer_async {
        r = r.header("prefer", "respond-async");
    }
    r.send().await.unwrap()
}

async fn job(app: &TestApp, token: &str, url: &str) -> Value {
    let r = app.http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Polls the job until it has ended (at most two minutes).
async fn until_ended(app: &TestApp, token: &str, url: &str) -> Value {
    for _ in 0..1200 {
        let j = job(app, token, url).await;
        if j["state"] == "done" || j["state"] == "cancelled" {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job did not end: {}", job(app, token, url).await);
}

async fn credential_count(db: &TestDb) -> i64 {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM credentials")
        .fetch_one(&mut c)
        .await
        .unwrap()
}

both_backends!(
    a_large_upload_is_a_job_whose_progress_and_report_can_be_followed,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        // More than 1,000 rows: no longer refused, answered at once with the job.
        let r = upload(&app, &token, learners(1_050, Some(7)), false).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let accepted: Value = r.json().await.unwrap();
        assert_eq!(accepted["rows"], 1_050);
        assert_eq!(accepted["url"], location.as_str());
        let done = until_ended(&app, &token, &location).await;
        assert_eq!(done["state"], "done", "{done}");
        assert_eq!(
            (
                &done["done"],
                &done["issued"],
                &done["failed"],
                &done["alreadyIssued"]
            ),
            (
                &Value::from(1_050),
                &Value::from(1_049),
                &Value::from(1),
                &Value::from(0)
            ),
            "{done}"
        );
        assert_eq!(credential_count(&db).await, 1_049);
        // The report, by pages, in file order.
        let rows_url = done["rowsUrl"].as_str().unwrap().to_owned();
        let mut lines = Vec::new();
        let mut next = Some(format!("{rows_url}?limit=400"));
        while let Some(url) = next {
            let page = job(&app, &token, &url).await;
            for row in page["rows"].as_array().unwrap() {
                lines.push(row["line"].as_u64().unwrap());
            }
            next = page["next"].as_str().map(str::to_owned);
        }
        assert_eq!(lines, (2..=1_051).collect::<Vec<u64>>());
        let errors = job(&app, &token, &format!("{rows_url}?status=error")).await;
        let errors = errors["rows"].as_array().unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0]["line"], 7);
        assert!(
            errors[0]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("name is required"),
            "{}",
            errors[0]
        );
        let issued = job(&app, &token, &format!("{rows_url}?status=issued&limit=1")).await;
        let code = issued["rows"][0]["code"].as_str().unwrap();
        assert!(issued["rows"][0]["verificationUrl"]
            .as_str()
            .unwrap()
            .ends_with(code));
        // A status that does not exist is named.
        let r = app
            .http
            .get(format!("{rows_url}?status=maybe"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // The same file again, waiting for the report: nothing is issued twice.
        let again = upload(&app, &token, learners(1_050, Some(7)), false).await;
        let again = until_ended(&app, &token, again.headers()["location"].to_str().unwrap()).await;
        assert_eq!(
            (&again["issued"], &again["alreadyIssued"]),
            (&Value::from(0), &Value::from(1_049)),
            "{again}"
        );
        assert_eq!(credential_count(&db).await, 1_049);
        // The institution's jobs, newest first; an ended job cannot be cancelled.
        let jobs = job(&app, &token, &app.url("/api/v1/institutions/ase/bulk-jobs")).await;
        assert_eq!(jobs.as_array().unwrap().len(), 2);
        assert_eq!(jobs[1]["url"], location.as_str());
        let r = app
            .http
            .delete(&location)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    a_cancelled_job_issues_no_more_rows_and_keeps_what_it_issued,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(db.config()).await;
        let (_, token) = onboard(&app).await;
        let r = upload(&app, &token, learners(3_000, None), true).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_eq!(r.headers()["preference-applied"], "respond-async");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let r = app
            .http
            .delete(&location)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        let cancelled = until_ended(&app, &token, &location).await;
        assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
        // Give a batch that was signing when the job was cancelled time to be refused.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = job(&app, &token, &location).await;
        let issued = after["issued"].as_i64().unwrap();
        assert!(issued < 3_000, "{after}");
        assert_eq!(credential_count(&db).await, issued);
        let pending = job(
            &app,
            &token,
            &format!(
                "{}?status=pending&limit=1",
                after["rowsUrl"].as_str().unwrap()
            ),
        )
        .await;
        assert_eq!(pending["rows"][0]["status"], "pending", "{pending}");
        app.stop().await;
        db.cleanup().await;
    }
);

both_backends!(
    a_server_killed_in_the_middle_of_a_job_resumes_it_and_issues_each_row_once,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let binary = Binary::new(db.data_dir.join("serve.log"));
        let args: [&std::ffi::OsStr; 8] = [
            "--data-dir".as_ref(),
            db.data_dir.as_os_str(),
            "--database-url".as_ref(),
            db.url.as_ref(),
            "--bulk-lease-seconds".as_ref(),
            "2".as_ref(),
            "--rate-limit-per-minute".as_ref(),
            "100000".as_ref(),
        ];
        let mut server = binary.start(&args, &[]).await;
        let app = TestApp::external(binary.base.clone(), Some(binary.setup_token()));
        let (_, token) = onboard(&app).await;
        let rows = 600;
        let r = upload(&app, &token, learners(rows, None), true).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        // Kill the server (SIGKILL: no clean shutdown) once the job is part-way.
        let mut at_kill = Value::Null;
        for _ in 0..2000 {
            at_kill = job(&app, &token, &location).await;
            if at_kill["done"].as_i64().unwrap() > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill().unwrap();
        server.wait().unwrap();
        let done_at_kill = at_kill["done"].as_i64().unwrap();
        assert!(
            done_at_kill > 0 && done_at_kill < rows as i64,
            "the kill came in the middle of the job: {at_kill}"
        );
        let stored_at_kill = credential_count(&db).await;
        assert!(stored_at_kill < rows as i64, "{stored_at_kill}");
        // Restarted, the server resumes the job once its lease (2 s) has run out.
        let mut server = binary.start(&args, &[]).await;
        let done = until_ended(&app, &token, &location).await;
        server.kill().unwrap();
        server.wait().unwrap();
        assert_eq!(done["state"], "done", "{done}");
        assert_eq!(done["issued"], rows, "{done}");
        assert_eq!(done["failed"], 0, "{done}");
        // Each learner has exactly one credential.
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
            .await
            .unwrap();
        let (all, learners): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT learner_email) FROM credentials")
                .fetch_one(&mut c)
                .await
                .unwrap();
        assert_eq!((all, learners), (rows as i64, rows as i64));
        let allocations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM status_allocations")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(
            allocations,
            2 * rows as i64,
            "no status entry left without a credential"
        );
        eprintln!("killed at {done_at_kill}/{rows} rows done ({stored_at_kill} stored)");
        db.cleanup().await;
    }
);
