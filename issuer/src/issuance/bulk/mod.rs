//! Bulk issuance: a CSV file ([`csv`]) becomes a job - one credential per row, each issued
//! through the one pipeline in full or not at all - worked through in batches by [`run`].
//!
//! Every row is checked when the file is uploaded; a row that cannot be read is reported at
//! once and nothing is stored for it. A row's credential, its outcome and the job's counters
//! commit together, so a job that stops half-way (a crash, a restart) is resumed by the next
//! worker whose lease starts and issues nothing twice; rows without an idempotency key get one
//! derived from the achievement and the learner's identifiers, so uploading the same file twice
//! issues nothing twice either. Personal data in a row is erased once the row has its outcome.

pub mod csv;
pub mod run;

pub use csv::parse_csv;

use microcred_core::model::ModelError;
use serde::Serialize;

use crate::auth::{self, Principal};
use crate::db::{
    self,
    bulk_job_rows::{NewRow, ReportRow},
    bulk_jobs::BulkJobRow,
};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// A job's state, as stored in `bulk_jobs.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum JobState {
    /// Being issued (from the upload on).
    Running,
    /// Every row has its outcome.
    Done,
    /// Stopped by the institution; rows still pending were not issued.
    Cancelled,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    /// Whether the job has ended.
    pub fn ended(self) -> bool {
        matches!(self, Self::Done | Self::Cancelled)
    }
}

/// A row's outcome, as stored in `bulk_job_rows.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// Not yet issued.
    Pending,
    /// Issued by this job.
    Issued,
    /// Issued before (same idempotency key, same request).
    AlreadyIssued,
    /// Not issued; nothing was stored for it.
    Failed,
}

impl RowState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Issued => "issued",
            Self::AlreadyIssued => "already_issued",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name, or the API's (`alreadyIssued`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "issued" => Some(Self::Issued),
            "already_issued" | "alreadyIssued" => Some(Self::AlreadyIssued),
            "failed" | "error" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// What happened to one row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum RowOutcome {
    /// Issued (or, with `created: false`, issued by an earlier upload).
    #[serde(rename_all = "camelCase")]
    Issued {
        /// CSV line.
        line: usize,
        /// Credential id.
        id: String,
        /// Public code.
        code: String,
        /// Verification page.
        verification_url: String,
        /// False when an earlier upload had issued it.
        created: bool,
    },
    /// Not issued; nothing was stored for this row.
    Error {
        /// CSV line.
        line: usize,
        /// Why.
        #[schema(value_type = Vec<Object>)]
        errors: Vec<ModelError>,
    },
    /// Not yet issued (the job is running, or was cancelled before this row).
    Pending {
        /// CSV line.
        line: usize,
    },
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    /// Job id.
    pub id: String,
    /// Achievement slug.
    pub achievement: String,
    /// State.
    pub state: JobState,
    /// Data rows in the file.
    pub rows: i64,
    /// Rows with an outcome (issued, already issued or failed).
    pub done: i64,
    /// Rows issued by this job.
    pub issued: i64,
    /// Rows issued before (same idempotency key).
    pub already_issued: i64,
    /// Rows not issued, with their errors in the report.
    pub failed: i64,
    /// Uploaded (RFC 3339).
    pub created_at: String,
    /// Started (RFC 3339).
    pub started_at: Option<String>,
    /// Done or cancelled (RFC 3339).
    pub finished_at: Option<String>,
    /// Why the last batch failed, when it did (the job is retried).
    pub last_error: Option<String>,
    /// This job (`GET`; `DELETE` cancels it).
    pub url: String,
    /// Its per-row report, by pages.
    pub rows_url: String,
}

/// The per-row report of a bulk upload that waited for its job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkReport {
    /// Rows issued now.
    pub issued: usize,
    /// Rows issued by an earlier upload (same idempotency key).
    pub already_issued: usize,
    /// Rows with errors (nothing stored for them).
    pub errors: usize,
    /// One entry per data row, in file order.
    pub rows: Vec<RowOutcome>,
    /// The job that issued them.
    pub job: JobView,
}

/// A page of a job's report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowsPage {
    /// Rows in file order.
    pub rows: Vec<RowOutcome>,
    /// The next page, when there may be one.
    pub next: Option<String>,
}

fn job_url(app: &Issuer, inst_slug: &str, id: &str) -> String {
    format!(
        "{}/api/v1/institutions/{inst_slug}/bulk-jobs/{id}",
        app.urls.base()
    )
}

/// The API's view of a stored job.
pub fn view(app: &Issuer, inst_slug: &str, r: &BulkJobRow) -> Result<JobView, IssuerError> {
    let url = job_url(app, inst_slug, &r.id);
    Ok(JobView {
        id: r.id.clone(),
        achievement: r.achievement_slug.clone(),
        state: JobState::parse(&r.state).ok_or_else(|| {
            IssuerError::stored(format!("bulk job {} (state)", r.id), r.state.clone())
        })?,
        rows: r.total_rows,
        done: r.done_rows,
        issued: r.issued,
        already_issued: r.already_issued,
        failed: r.failed,
        created_at: db::rfc3339(r.created_at),
        started_at: r.started_at.map(db::rfc3339),
        finished_at: r.finished_at.map(db::rfc3339),
        last_error: r.last_error.clone(),
        rows_url: format!("{url}/rows"),
        url,
    })
}

fn outcome(app: &Issuer, job: &str, r: ReportRow) -> Result<RowOutcome, IssuerError> {
    let line = usize::try_from(r.line).unwrap_or_default();
    let stored = |what: &str| {
        IssuerError::stored(format!("bulk job {job} line {line} ({what})"), "unreadable")
    };
    Ok(
        match RowState::parse(&r.state).ok_or_else(|| stored("state"))? {
            RowState::Pending => RowOutcome::Pending { line },
            RowState::Failed => RowOutcome::Error {
                line,
                errors: serde_json::from_str(r.errors.as_deref().unwrap_or("[]")).map_err(|e| {
                    IssuerError::stored(format!("bulk job {job} line {line} (errors)"), e)
                })?,
            },
            s @ (RowState::Issued | RowState::AlreadyIssued) => {
                let code = r.code.ok_or_else(|| stored("credential"))?;
                RowOutcome::Issued {
                    line,
                    id: r.vc_id.unwrap_or_default(),
                    verification_url: app.urls.verification_page(&code),
                    code,
                    created: s == RowState::Issued,
                }
            }
        },
    )
}

/// A job just uploaded, already running on a task of its own: a caller that hangs up does not
/// stop it.
#[derive(Debug)]
pub struct Started {
    /// The job as uploaded.
    pub job: JobView,
    runner: tokio::task::JoinHandle<Result<(), IssuerError>>,
}

impl Started {
    /// Waits for the job to end, then its whole report (for files of at most
    /// [`run::WAIT_FOR_AT_MOST`] rows).
    pub async fn report(
        self,
        app: &Issuer,
        p: &Principal,
        inst_slug: &str,
    ) -> Result<BulkReport, IssuerError> {
        crate::jobs::joined(self.runner).await?;
        report(app, p, inst_slug, &self.job.id).await
    }
}

/// Uploads the file as a job ([`upload`]) and starts working through it at once.
pub async fn start(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    achievement: &str,
    csv_text: &str,
) -> Result<Started, IssuerError> {
    let job = upload(app, p, inst_slug, achievement, csv_text).await?;
    let runner = {
        let app = app.clone();
        let id = job.id.clone();
        tokio::spawn(async move { run::drive(&app, &id, 1).await })
    };
    Ok(Started { job, runner })
}

/// Reads the file and stores it as a job of `achievement` (every row checked; rows that cannot
/// be read are recorded with their errors at once), leased to the caller as attempt 1: nothing
/// is issued until the caller [`run::drive`]s it (or, if it never does, until the lease runs
/// out and the background worker takes it).
pub async fn upload(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    achievement: &str,
    csv_text: &str,
) -> Result<JobView, IssuerError> {
    let rows = csv::parse_csv(csv_text, achievement)?;
    let now = db::now();
    let mut new_rows = Vec::with_capacity(rows.len());
    let mut failed = 0;
    for row in rows {
        let line = i64::try_from(row.line).unwrap_or(i64::MAX);
        let checked = row
            .request
            .and_then(|doc| doc.clone().parse(None, &secrets::new_salt()).map(|_| doc));
        new_rows.push(match checked {
            Ok(doc) => NewRow {
                line,
                fingerprint: Some(doc.fingerprint()),
                request: Some(serde_json::to_string(&doc).expect("serialisable")),
                errors: None,
            },
            Err(errors) => {
                failed += 1;
                NewRow {
                    line,
                    request: None,
                    fingerprint: None,
                    errors: Some(serde_json::to_string(&errors.0).expect("serialisable")),
                }
            }
        });
    }
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    let ach = db::achievements::find_achievement(&mut tx, &inst.id, achievement)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("achievement `{achievement}`")))?;
    let job = BulkJobRow {
        id: secrets::new_id(),
        institution_id: inst.id.clone(),
        achievement_id: ach.id.clone(),
        achievement_slug: ach.slug.clone(),
        state: JobState::Running.as_str().into(),
        total_rows: i64::try_from(new_rows.len()).unwrap_or(i64::MAX),
        done_rows: failed,
        issued: 0,
        already_issued: 0,
        failed,
        attempt: 1,
        locked_until: Some(now + app.bulk_lease_seconds),
        last_error: None,
        created_by_token: p.actor.token_id.clone(),
        created_by: p.actor.label.clone(),
        created_at: now,
        started_at: Some(now),
        finished_at: None,
    };
    db::bulk_jobs::insert_bulk_job(&mut tx, &job).await?;
    db::bulk_job_rows::insert_bulk_job_rows(&mut tx, &job.id, &new_rows, now).await?;
    tx.commit().await?;
    view(app, &inst.slug, &job)
}

/// One of an institution's jobs.
pub async fn get(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<JobView, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    let job = db::bulk_jobs::find_institution_bulk_job(&mut c, &inst.id, id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("bulk job `{id}`")))?;
    view(app, &inst.slug, &job)
}

/// An institution's jobs, newest first (at most `limit`, 1-500).
pub async fn list(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    limit: i64,
) -> Result<Vec<JobView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    db::bulk_jobs::list_bulk_jobs(&mut c, &inst.id, limit.clamp(1, 500))
        .await?
        .iter()
        .map(|r| view(app, &inst.slug, r))
        .collect()
}

/// A page of a job's report: rows after line `after` (0 for the first page), of one state if
/// given, at most `limit` (1-1000).
pub async fn rows(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
    after: i64,
    state: Option<&str>,
    limit: i64,
) -> Result<RowsPage, IssuerError> {
    let state = state
        .map(|s| {
            RowState::parse(s).ok_or_else(|| {
                IssuerError::invalid(
                    "status",
                    "status",
                    format!("`{s}` is not a row status (pending, issued, alreadyIssued, error)"),
                )
            })
        })
        .transpose()?;
    let limit = limit.clamp(1, 1000);
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, inst_slug).await?;
    let job = db::bulk_jobs::find_institution_bulk_job(&mut c, &inst.id, id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("bulk job `{id}`")))?;
    let found = db::bulk_job_rows::list_bulk_job_report(
        &mut c,
        &job.id,
        after,
        state.map(RowState::as_str),
        limit,
    )
    .await?;
    let next = (found.len() as i64 == limit).then(|| {
        let last = found.last().map(|r| r.line).unwrap_or(after);
        let status = state
            .map(|s| format!("&status={}", s.as_str()))
            .unwrap_or_default();
        format!(
            "{}/rows?after={last}&limit={limit}{status}",
            job_url(app, &inst.slug, &job.id)
        )
    });
    let rows = found
        .into_iter()
        .map(|r| outcome(app, &job.id, r))
        .collect::<Result<_, _>>()?;
    Ok(RowsPage { rows, next })
}

/// The whole report of a job (for uploads that wait for their job: at most
/// [`run::WAIT_FOR_AT_MOST`] rows).
pub async fn report(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<BulkReport, IssuerError> {
    let job = get(app, p, inst_slug, id).await?;
    let mut c = app.db.read().await?;
    let found =
        db::bulk_job_rows::list_bulk_job_report(&mut c, &job.id, 0, None, job.rows.max(1)).await?;
    let rows: Vec<RowOutcome> = found
        .into_iter()
        .map(|r| outcome(app, &job.id, r))
        .collect::<Result<_, _>>()?;
    let count = |f: fn(&RowOutcome) -> bool| rows.iter().filter(|r| f(r)).count();
    Ok(BulkReport {
        issued: count(|r| matches!(r, RowOutcome::Issued { created: true, .. })),
        already_issued: count(|r| matches!(r, RowOutcome::Issued { created: false, .. })),
        errors: count(|r| matches!(r, RowOutcome::Error { .. })),
        rows,
        job,
    })
}

/// Cancels a job that has not ended: rows still pending are not issued (their requests are
/// erased); rows already issued stay issued. A conflict when it has ended.
pub async fn cancel(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    id: &str,
) -> Result<JobView, IssuerError> {
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, inst_slug).await?;
    let job = db::bulk_jobs::find_institution_bulk_job(&mut tx, &inst.id, id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("bulk job `{id}`")))?;
    if !db::bulk_jobs::cancel_bulk_job(&mut tx, &job.id, db::now()).await? {
        return Err(IssuerError::conflict(format!(
            "bulk job `{id}` has already ended ({})",
            job.state
        )));
    }
    db::bulk_job_rows::erase_pending_bulk_job_requests(&mut tx, &job.id).await?;
    let job = db::bulk_jobs::find_bulk_job(&mut tx, &job.id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("bulk job `{id}`")))?;
    tx.commit().await?;
    view(app, &inst.slug, &job)
}
