//! Bulk issuance from CSV (RFC 4180, UTF-8, header row): one learner per row, each row issued
//! through the one pipeline in its own transaction (in full or not at all).
//!
//! Columns (any order; `name` and one identifier required): `name`, `email`, `national_id`,
//! `lms_id`, `did`, `grade`, `activity_start_date`, `activity_end_date`, `valid_until`,
//! `evidence_url`, `idempotency_key`. Commas or semicolons separate the fields (spreadsheet
//! software in Romanian and Moldovan locales writes semicolons): the header row tells which.

use microcred_core::model::{ModelError, ModelErrors};
use serde::Serialize;

use crate::auth::{self, Principal};
use crate::db;
use crate::domain::issuance::{EvidenceDoc, IssueRequestDoc, LearnerDoc};
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// Most rows accepted in one upload (each row is signed: about 15 ms a row on two cores, so an
/// upload stays well inside the 30 s request timeout; larger files go in several uploads).
pub const MAX_ROWS: usize = 1000;

const COLUMNS: [&str; 11] = [
    "name",
    "email",
    "national_id",
    "lms_id",
    "did",
    "grade",
    "activity_start_date",
    "activity_end_date",
    "valid_until",
    "evidence_url",
    "idempotency_key",
];

/// One data row: its line number and its request (or why it cannot be read).
#[derive(Debug)]
pub struct CsvRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// The request for this row.
    pub request: Result<IssueRequestDoc, ModelErrors>,
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
}

/// The per-row report of a bulk upload.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
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
}

impl BulkReport {
    /// Adds a row's outcome.
    pub fn push(&mut self, o: RowOutcome) {
        match &o {
            RowOutcome::Issued { created: true, .. } => self.issued += 1,
            RowOutcome::Issued { created: false, .. } => self.already_issued += 1,
            RowOutcome::Error { .. } => self.errors += 1,
        }
        self.rows.push(o);
    }
}

/// The field separator the header row uses: `;` when it has semicolons and no commas.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    }
}

/// Reads the CSV; a bad header or file fails as a whole, a bad row only itself.
pub fn parse_csv(text: &str, achievement: &str) -> Result<Vec<CsvRow>, ModelErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains('\n') && text.len() > 200 {
        return Err(ModelError::new(
            "csv",
            "line 1",
            "the file has a single line: send it with its line breaks (curl --data-binary @file.csv, not -d)",
        )
        .into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ModelError::new("csv", "line 1", format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let mut errs = ModelErrors::default();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            errs.push(ModelError::new(
                "csv",
                "line 1",
                format!("unknown column `{h}` (columns: {})", COLUMNS.join(", ")),
            ));
        }
    }
    if !headers.iter().any(|h| h == "name") {
        errs.push(ModelError::new(
            "csv",
            "line 1",
            "the `name` column is required",
        ));
    }
    if !headers
        .iter()
        .any(|h| ["email", "national_id", "lms_id", "did"].contains(&h.as_str()))
    {
        errs.push(ModelError::new(
            "csv",
            "line 1",
            "one learner identifier column is required: email, national_id, lms_id or did",
        ));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        if rows.len() >= MAX_ROWS {
            return Err(ModelError::new(
                "csv",
                format!("line {line}"),
                format!("at most {MAX_ROWS} rows per upload"),
            )
            .into());
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rows.push(CsvRow {
                    line,
                    request: Err(
                        ModelError::new("csv", format!("line {line}"), e.to_string()).into(),
                    ),
                });
                continue;
            }
        };
        let get = |col: &str| {
            headers
                .iter()
                .position(|h| h == col)
                .and_then(|i| rec.get(i))
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        let mut doc = IssueRequestDoc {
            achievement: achievement.to_owned(),
            learner: LearnerDoc {
                name: get("name").unwrap_or_default(),
                email: get("email"),
                national_id: get("national_id"),
                lms_id: get("lms_id"),
                did: get("did"),
            },
            grade: get("grade"),
            activity_start_date: get("activity_start_date"),
            activity_end_date: get("activity_end_date"),
            valid_until: get("valid_until"),
            evidence: get("evidence_url")
                .map(|u| {
                    vec![EvidenceDoc {
                        url: Some(u),
                        name: None,
                        narrative: None,
                    }]
                })
                .unwrap_or_default(),
            idempotency_key: get("idempotency_key"),
        };
        if doc.idempotency_key.is_none() {
            let who = [
                &doc.learner.email,
                &doc.learner.national_id,
                &doc.learner.lms_id,
                &doc.learner.did,
            ]
            .into_iter()
            .flatten()
            .map(|s| s.trim().to_lowercase())
            .collect::<Vec<_>>()
            .join("|");
            if !who.is_empty() {
                doc.idempotency_key = Some(format!(
                    "bulk:{achievement}:{}",
                    crate::secrets::sha256_hex(who.as_bytes())
                ));
            }
        }
        rows.push(CsvRow {
            line,
            request: Ok(doc),
        });
    }
    if rows.is_empty() {
        return Err(ModelError::new("csv", "line 2", "the file has no data rows").into());
    }
    Ok(rows)
}

/// Issues one credential per CSV row for achievement `slug`. Every row is checked first;
/// each row is issued in full or not at all, and reported as issued or with its errors.
/// Rows without an idempotency key get one derived from the achievement and the learner's
/// identifiers, so uploading the same file twice issues nothing twice.
pub async fn issue_bulk(
    app: &Issuer,
    p: &Principal,
    inst_slug: &str,
    slug: &str,
    csv_text: &str,
) -> Result<BulkReport, IssuerError> {
    {
        let mut c = app.db.read().await?;
        let inst = auth::institution_for(&mut c, p, inst_slug).await?;
        db::achievements::find_achievement(&mut c, &inst.id, slug)
            .await?
            .ok_or_else(|| IssuerError::not_found(format!("achievement `{slug}`")))?;
    }
    let rows = parse_csv(csv_text, slug)?;
    let mut report = BulkReport::default();
    for row in rows {
        let line = row.line;
        let request = row.request.and_then(|doc| {
            let fingerprint = doc.fingerprint();
            doc.parse(None, &secrets::new_salt())
                .map(|req| (req, fingerprint))
        });
        let outcome = match request {
            Err(errors) => RowOutcome::Error {
                line,
                errors: errors.0,
            },
            Ok((req, fingerprint)) => {
                match super::single::issue_request(app, p, inst_slug, req, &fingerprint).await {
                    Ok(i) => RowOutcome::Issued {
                        line,
                        id: i.id,
                        code: i.code,
                        verification_url: i.verification_url,
                        created: i.created,
                    },
                    Err(IssuerError::Validation(e)) => RowOutcome::Error { line, errors: e.0 },
                    Err(IssuerError::Conflict(m)) => RowOutcome::Error {
                        line,
                        errors: vec![ModelError::new("idempotencyKey", "", m)],
                    },
                    Err(e) => return Err(e),
                }
            }
        };
        report.push(outcome);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_column_is_named() {
        let e = parse_csv("name,emial\nAna,ana@example.md\n", "x").unwrap_err();
        assert!(e.to_string().contains("unknown column `emial`"), "{e}");
    }

    #[test]
    fn semicolon_separated_files_are_read() {
        let rows = parse_csv("name;email;grade\nAna Popescu;ana@example.md;9,50\n", "x").unwrap();
        let doc = rows[0].request.as_ref().unwrap();
        assert_eq!(doc.learner.email.as_deref(), Some("ana@example.md"));
        assert_eq!(
            doc.grade.as_deref(),
            Some("9,50"),
            "a decimal comma stays in its field"
        );
    }

    #[test]
    fn a_file_without_line_breaks_says_how_to_send_it() {
        let flat = format!("name,email{}", " Ana Popescu,ana@example.md".repeat(20));
        let e = parse_csv(&flat, "x").unwrap_err();
        assert!(e.to_string().contains("--data-binary"), "{e}");
    }

    #[test]
    fn rows_get_a_stable_idempotency_key_from_the_learner() {
        let a = parse_csv("name,email\nAna,Ana@Example.md\n", "x").unwrap();
        let b = parse_csv("email,name\nana@example.md ,Ana P.\n", "x").unwrap();
        let key = |r: &CsvRow| r.request.as_ref().unwrap().idempotency_key.clone();
        assert_eq!(key(&a[0]), key(&b[0]));
    }
}
