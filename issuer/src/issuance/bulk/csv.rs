//! Reading a bulk CSV file (RFC 4180, UTF-8, header row): one learner per row. A bad header
//! or file fails as a whole, a bad row only itself.
//!
//! Columns (any order; `name` and one identifier required): `name`, `email`, `national_id`,
//! `lms_id`, `did`, `grade`, `activity_start_date`, `activity_end_date`, `valid_until`,
//! `evidence_url`, `idempotency_key`. Commas or semicolons separate the fields (spreadsheet
//! software in Romanian and Moldovan locales writes semicolons): the header row tells which.

use microcred_core::model::{ModelError, ModelErrors};

use crate::domain::issuance::{EvidenceDoc, IssueRequestDoc, LearnerDoc};

/// Most rows accepted in one upload (the request body is capped at 2 MiB, about 20,000 rows
/// of a typical file).
pub const MAX_ROWS: usize = 50_000;

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

/// A reader of a registrar's CSV file (without its byte-order mark): the header row's
/// separator, fields trimmed, every row as long as the header. Completions files read the
/// same way.
pub(crate) fn reader(text: &str) -> csv::Reader<&[u8]> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes())
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
    let mut reader = reader(text);
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
