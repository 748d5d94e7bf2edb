//! A registrar's completions file (RFC 4180 CSV, UTF-8, header row; commas or semicolons):
//! one completion per row, for offline courses or an LMS that only exports. Each row names the
//! learner (`name`, and `email` and/or `national_id`), what they completed (`achievement`, a
//! slug, or `course`, a code mapped with `POST .../activities` or a slug), when (`date`), and
//! optionally a `grade` (printed as written; its percentage is read from `90%`, `9/10`, or a
//! number with a `max_grade` column) and a `language` for the message they receive.
//!
//! Each row is handled in full or not at all (a savepoint of the upload's transaction): the
//! learner is found by e-mail or national id, or added; the completion becomes a learning
//! record keyed by its content; the learner's records are evaluated against the achievement's
//! earning rules and a credential issued when earned. The answer reports every row. Uploading
//! the same file again adds no record and issues nothing (each row reports the credential it
//! already led to).

use std::collections::HashMap;

use microcred_core::model::{ModelError, ModelErrors, Percent};
use serde::Serialize;
use sqlx::Connection;

use super::evaluate::{self, Decision};
use super::learners::{self, Email, NationalId, NewLearner};
use crate::auth::{self, Principal};
use crate::db::{self, achievements::AchievementRow, learning_records::LearningRecordRow};
use crate::domain::issuance::parse_date_or_datetime;
use crate::domain::values::PersonName;
use crate::error::IssuerError;
use crate::{secrets, Issuer};

/// Most rows in one upload (each may sign a credential while the upload holds the database).
pub const MAX_ROWS: usize = 5_000;

const COLUMNS: [&str; 9] = [
    "name",
    "email",
    "national_id",
    "achievement",
    "course",
    "date",
    "grade",
    "max_grade",
    "language",
];

/// What became of one row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowReport {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The learner's id, once found or added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learner: Option<String>,
    /// The achievement's slug, once found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub achievement: Option<String>,
    /// What the evaluation decided; absent when the row was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Why (one reason per rule), or what is wrong with the row.
    pub reasons: Vec<String>,
    /// The credential's code (issued now or before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// Whether the completion was recorded before (the same row uploaded again).
    pub duplicate: bool,
}

/// The whole upload's report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompletionsReport {
    /// Data rows read.
    pub rows: usize,
    /// Credentials issued now.
    pub issued: usize,
    /// Rows whose learner already held the credential.
    pub already_issued: usize,
    /// Rows evaluated and not (yet) earning the achievement.
    pub not_met: usize,
    /// Rows refused (nothing of them stored).
    pub refused: usize,
    /// Learners added.
    pub learners_added: usize,
    /// Every row, in order.
    pub results: Vec<RowReport>,
}

/// One data row as read.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    learner: NewLearner,
    target: Target,
    date: time::OffsetDateTime,
    grade: Option<String>,
    percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Achievement(String),
    Course(String),
}

/// Reads `grade` (and `max_grade`) into a percentage: `90%`, `9/10`, `9` with a maximum of 10.
/// Text that is not a number (`Excelent`, `A`) is printed only.
fn percent_of(grade: &str, max: Option<&str>) -> Result<Option<f64>, String> {
    let num = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
    let g = grade.trim();
    let p = if let Some(p) = g.strip_suffix('%') {
        num(p).ok_or_else(|| format!("`{g}` is not a percentage"))?
    } else if let Some((a, b)) = g.split_once('/') {
        match (num(a), num(b)) {
            (Some(a), Some(b)) if b > 0.0 && a >= 0.0 && a <= b => a / b * 100.0,
            _ => return Err(format!("`{g}` is not a grade out of a maximum (e.g. 9/10)")),
        }
    } else if let Some(v) = num(g) {
        match max.filter(|m| !m.trim().is_empty()) {
            Some(m) => match num(m) {
                Some(m) if m > 0.0 && v >= 0.0 && v <= m => v / m * 100.0,
                _ => {
                    return Err(format!(
                        "grade `{g}` is not between 0 and max_grade `{}`",
                        m.trim()
                    ))
                }
            },
            None => {
                return Err(format!(
                    "grade `{g}` has no scale: write 90% or 9/10, or add a max_grade column"
                ))
            }
        }
    } else {
        return Ok(None);
    };
    Percent::parse(p, "")
        .map(|p| Some(p.get()))
        .map_err(|_| format!("`{g}` is not between 0% and 100%"))
}

fn read_row(line: u64, get: &dyn Fn(&str) -> Option<String>) -> Result<Row, Vec<String>> {
    let mut errs = ModelErrors::default();
    let at = |col: &str| format!("line {line}, column {col}");
    let name = match get("name") {
        Some(n) => errs
            .take(PersonName::parse_at(&n, &at("name")))
            .map(|n| n.as_str().to_owned()),
        None => {
            errs.push(ModelError::new(
                "csv",
                at("name"),
                "the learner's name is required",
            ));
            None
        }
    };
    let email = get("email").and_then(|e| errs.take(Email::parse(&e, &at("email"))));
    let national_id =
        get("national_id").and_then(|n| errs.take(NationalId::parse(&n, &at("national_id"))));
    if email.is_none() && national_id.is_none() && errs.is_empty() {
        errs.push(ModelError::new(
            "csv",
            format!("line {line}"),
            "identify the learner by email or national_id",
        ));
    }
    let target = match (get("achievement"), get("course")) {
        (Some(a), _) => Some(Target::Achievement(a)),
        (None, Some(c)) => Some(Target::Course(c)),
        (None, None) => {
            errs.push(ModelError::new(
                "csv",
                format!("line {line}"),
                "name the achievement (its slug) or the course (its code)",
            ));
            None
        }
    };
    let date = match get("date") {
        Some(d) => errs
            .take(parse_date_or_datetime("csv", &at("date"), &d))
            .and_then(|d| {
                if d > time::OffsetDateTime::now_utc() {
                    errs.push(ModelError::new(
                        "csv",
                        at("date"),
                        "the completion date is in the future",
                    ));
                    None
                } else {
                    Some(d)
                }
            }),
        None => {
            errs.push(ModelError::new(
                "csv",
                at("date"),
                "the completion date (YYYY-MM-DD) is required",
            ));
            None
        }
    };
    let grade = get("grade");
    if grade.as_ref().is_some_and(|g| g.chars().count() > 50) {
        errs.push(ModelError::new("csv", at("grade"), "at most 50 characters"));
    }
    let percent = match &grade {
        Some(g) => match percent_of(g, get("max_grade").as_deref()) {
            Ok(p) => p,
            Err(why) => {
                errs.push(ModelError::new("csv", at("grade"), why));
                None
            }
        },
        None => None,
    };
    let language = get("language").map(|l| l.to_lowercase());
    if language
        .as_ref()
        .is_some_and(|l| l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()))
    {
        errs.push(ModelError::new(
            "csv",
            at("language"),
            "a two-letter language code (en, ro)",
        ));
    }
    if !errs.is_empty() {
        return Err(errs
            .0
            .into_iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect());
    }
    Ok(Row {
        line,
        learner: NewLearner::of(name.expect("checked"), email, national_id, language),
        target: target.expect("checked"),
        date: date.expect("checked"),
        grade,
        percent,
    })
}

/// A row read, or its line and what is wrong with it.
type ReadRow = Result<Row, (u64, Vec<String>)>;

/// Reads the file: the rows, or why the file as a whole cannot be read.
fn read(text: &str) -> Result<Vec<ReadRow>, ModelErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ModelError::new("csv", "line 1", "the file is empty").into());
    }
    let mut reader = crate::issuance::bulk::csv::reader(text);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ModelError::new("csv", "line 1", format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_lowercase)
        .collect();
    let mut errs = ModelErrors::default();
    for (i, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h.as_str()) {
            errs.push(ModelError::new(
                "csv",
                "line 1",
                format!("unknown column `{h}` (columns: {})", COLUMNS.join(", ")),
            ));
        } else if headers[..i].contains(h) {
            errs.push(ModelError::new(
                "csv",
                "line 1",
                format!("column `{h}` is given twice"),
            ));
        }
    }
    for (need, what) in [
        (&["name"][..], "the `name` column is required"),
        (&["date"][..], "the `date` column is required"),
        (
            &["email", "national_id"][..],
            "a learner identifier column is required: email or national_id",
        ),
        (
            &["achievement", "course"][..],
            "an `achievement` or `course` column is required",
        ),
    ] {
        if !headers.iter().any(|h| need.contains(&h.as_str())) {
            errs.push(ModelError::new("csv", "line 1", what));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        if rows.len() >= MAX_ROWS {
            return Err(ModelError::new(
                "csv",
                "file",
                format!("at most {MAX_ROWS} rows per upload: split the file"),
            )
            .into());
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                rows.push(Err((line, vec![format!("line {line}: {e}")])));
                continue;
            }
        };
        let line = rec.position().map_or(0, csv::Position::line);
        let get = |col: &str| {
            headers
                .iter()
                .position(|h| h == col)
                .and_then(|i| rec.get(i))
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        rows.push(read_row(line, &get).map_err(|e| (line, e)));
    }
    if rows.is_empty() {
        return Err(ModelError::new("csv", "line 2", "the file has a header and no rows").into());
    }
    Ok(rows)
}

/// Reads a file without storing anything: how many rows are readable and the problems of
/// the others, or why the file as a whole is refused (a dry run; the fuzz target).
pub fn check(text: &str) -> Result<(usize, Vec<String>), ModelErrors> {
    let rows = read(text)?;
    let bad: Vec<String> = rows
        .iter()
        .filter_map(|r| r.as_ref().err())
        .flat_map(|(_, why)| why.iter().cloned())
        .collect();
    Ok((rows.len() - rows.iter().filter(|r| r.is_err()).count(), bad))
}

async fn achievement_of(
    c: &mut sqlx::AnyConnection,
    institution_id: &str,
    target: &Target,
) -> Result<Result<AchievementRow, String>, IssuerError> {
    match target {
        Target::Achievement(slug) => {
            Ok(db::achievements::find_achievement(c, institution_id, slug)
                .await?
                .ok_or_else(|| format!("the institution has no achievement `{slug}`")))
        }
        Target::Course(code) => {
            let mapped =
                db::activity_mappings::list_mappings_of_activity(c, institution_id, code).await?;
            let courses: Vec<_> = mapped.into_iter().filter(|m| m.quiz.is_none()).collect();
            match courses.as_slice() {
                [one] => Ok(
                    db::achievements::find_current_achievement_by_id(c, &one.achievement_id)
                        .await?
                        .ok_or_else(|| format!("course `{code}`'s achievement is gone")),
                ),
                [] => Ok(db::achievements::find_achievement(c, institution_id, code)
                    .await?
                    .ok_or_else(|| {
                        format!("course `{code}` is not mapped to an achievement (POST .../activities) and is no achievement's slug")
                    })),
                _ => Ok(Err(format!(
                    "course `{code}` is mapped to several achievements: use an `achievement` column"
                ))),
            }
        }
    }
}

/// `POST .../completions`: records and evaluates every row of a completions file.
pub async fn upload(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    text: &str,
) -> Result<CompletionsReport, IssuerError> {
    let rows = read(text)?;
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let mut report = CompletionsReport {
        rows: rows.len(),
        issued: 0,
        already_issued: 0,
        not_met: 0,
        refused: 0,
        learners_added: 0,
        results: Vec::with_capacity(rows.len()),
    };
    let mut achievements: HashMap<Target, Result<AchievementRow, String>> = HashMap::new();
    for row in rows {
        let row = match row {
            Ok(r) => r,
            Err((line, reasons)) => {
                report.refused += 1;
                report.results.push(RowReport {
                    line,
                    learner: None,
                    achievement: None,
                    decision: None,
                    reasons,
                    credential: None,
                    duplicate: false,
                });
                continue;
            }
        };
        let ach = match achievements.get(&row.target) {
            Some(a) => a.clone(),
            None => {
                let a = achievement_of(&mut tx, &inst.id, &row.target).await?;
                achievements.insert(row.target.clone(), a.clone());
                a
            }
        };
        let mut r = RowReport {
            line: row.line,
            learner: None,
            achievement: None,
            decision: None,
            reasons: Vec::new(),
            credential: None,
            duplicate: false,
        };
        let ach = match ach {
            Ok(a) => a,
            Err(why) => {
                report.refused += 1;
                r.reasons.push(format!("line {}: {why}", row.line));
                report.results.push(r);
                continue;
            }
        };
        r.achievement = Some(ach.slug.clone());
        let mut sp = tx.begin().await?;
        match one_row(app, &mut sp, &inst, &ach, &row, &p.actor).await {
            Ok((added, duplicate, outcome)) => {
                sp.commit().await?;
                report.learners_added += usize::from(added);
                match outcome.decision {
                    Decision::Issued => report.issued += 1,
                    Decision::AlreadyIssued => report.already_issued += 1,
                    Decision::NotMet => report.not_met += 1,
                }
                r.learner = Some(outcome.learner);
                r.decision = Some(outcome.decision);
                r.reasons = outcome.reasons;
                r.credential = outcome.credential;
                r.duplicate = duplicate;
            }
            Err(
                e @ (IssuerError::Conflict(_)
                | IssuerError::Validation(_)
                | IssuerError::Refused(_)),
            ) => {
                sp.rollback().await?;
                report.refused += 1;
                r.reasons.push(format!("line {}: {e}", row.line));
            }
            Err(e) => return Err(e),
        }
        report.results.push(r);
    }
    tx.commit().await?;
    tracing::info!(institution = %inst.slug, rows = report.rows, issued = report.issued, "completions file processed");
    Ok(report)
}

async fn one_row(
    app: &Issuer,
    c: &mut sqlx::AnyConnection,
    inst: &crate::db::institutions::InstitutionRow,
    ach: &AchievementRow,
    row: &Row,
    actor: &crate::auth::Actor,
) -> Result<(bool, bool, evaluate::EvaluationOutcome), IssuerError> {
    let (learner, added) = learners::find_or_insert(app, c, &inst.id, &row.learner).await?;
    let completed_at = row.date.unix_timestamp();
    let key = format!(
        "csv:{}",
        secrets::sha256_hex(
            format!(
                "{}|{}|{completed_at}|{}",
                learner.id,
                ach.id,
                row.grade.as_deref().unwrap_or_default()
            )
            .as_bytes()
        )
    );
    let record = LearningRecordRow {
        id: secrets::new_id(),
        institution_id: inst.id.clone(),
        learner_id: learner.id.clone(),
        achievement_id: ach.id.clone(),
        source: "csv".into(),
        dedupe_key: key,
        quiz: None,
        completed_at: Some(completed_at),
        percent: row.percent,
        grade: row.grade.clone(),
        detail: format!("completions file, line {}", row.line),
        recorded_at: db::now(),
        voided_at: None,
    };
    let fresh = db::learning_records::insert_learning_record(c, &record).await?;
    let outcome = evaluate::evaluate_in(
        app,
        c,
        inst,
        &learner,
        ach,
        fresh.then_some(record.id.as_str()),
        actor,
    )
    .await?;
    Ok((added, !fresh, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grade_gives_its_percentage_only_when_its_scale_is_known() {
        assert_eq!(percent_of("90%", None), Ok(Some(90.0)));
        assert_eq!(percent_of("9/10", None), Ok(Some(90.0)));
        assert_eq!(percent_of("8,5/10", None), Ok(Some(85.0)));
        assert_eq!(percent_of("7", Some("10")), Ok(Some(70.0)));
        assert_eq!(percent_of("Excelent", None), Ok(None));
        assert!(percent_of("9", None).unwrap_err().contains("no scale"));
        assert!(percent_of("11/10", None).is_err());
        assert!(percent_of("120%", None).is_err());
        assert!(percent_of("12", Some("10")).is_err());
    }

    #[test]
    fn a_bad_header_is_refused_whole_and_a_bad_row_only_itself() {
        let e = read("name,email,when\nA B,a@b.md,2026-01-01\n").unwrap_err();
        assert!(e.to_string().contains("unknown column `when`"), "{e}");
        assert!(e.to_string().contains("`date` column is required"), "{e}");
        let rows = read(
            "name,email,achievement,date\nAna Ro,ana@ex.md,x,2026-01-01\nBo,,x,2026-01-01\nCe De,ce@ex.md,x,3026-01-01\n",
        )
        .unwrap();
        assert!(rows[0].is_ok());
        let (line, why) = rows[1].as_ref().unwrap_err();
        assert_eq!(*line, 3);
        assert!(why[0].contains("identify the learner"), "{why:?}");
        let (line, why) = rows[2].as_ref().unwrap_err();
        assert_eq!(*line, 4);
        assert!(why[0].contains("line 4, column date"), "{why:?}");
    }
}
