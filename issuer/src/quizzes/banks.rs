//! Importing a question bank from a GIFT or Aiken file: the file must be UTF-8, and every
//! question must be valid (Moodle's "stop on error"), else nothing is stored and the answer
//! lists each error with its line. A bank is never changed: import a new one.

use serde::{Deserialize, Serialize};

use super::question::{ImportError, Question};
use super::{aiken, gift};
use crate::auth::{self, Principal};
use crate::db::{
    self,
    question_banks::{BankQuestionRow, QuestionBankRow},
};
use crate::domain::values::Label;
use crate::error::IssuerError;
use crate::{secrets, Issuer};
use microcred_core::model::{ModelError, ModelErrors};

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Moodle GIFT.
    Gift,
    /// Aiken.
    Aiken,
}

impl Format {
    fn code(self) -> &'static str {
        match self {
            Self::Gift => "gift",
            Self::Aiken => "aiken",
        }
    }

    /// Reads `text` in this format.
    pub fn parse(self, text: &str) -> Result<Vec<Question>, Vec<ImportError>> {
        match self {
            Self::Gift => gift::parse(text),
            Self::Aiken => aiken::parse(text),
        }
    }
}

/// Questions per category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryCount {
    /// The category's path (`top/Week 1`; empty: the default).
    pub category: String,
    /// How many questions.
    pub questions: usize,
}

/// A bank as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The format it was imported from.
    pub format: String,
    /// How many questions.
    pub questions: i64,
    /// Questions per category.
    pub categories: Vec<CategoryCount>,
    /// Questions per type (`multichoice`, `truefalse`, ...).
    pub types: std::collections::BTreeMap<String, usize>,
    /// When it was imported.
    pub created_at: String,
    /// The questions with their answers (only when one bank is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub items: Option<Vec<serde_json::Value>>,
}

/// The view of a bank from its stored rows (their `category` and `kind` columns count without
/// reading the questions); `items`: the questions, to show them.
fn view(r: &QuestionBankRow, rows: &[BankQuestionRow], items: Option<&[Question]>) -> BankView {
    let mut categories: Vec<CategoryCount> = Vec::new();
    let mut types = std::collections::BTreeMap::new();
    for q in rows {
        match categories.iter_mut().find(|c| c.category == q.category) {
            Some(c) => c.questions += 1,
            None => categories.push(CategoryCount {
                category: q.category.clone(),
                questions: 1,
            }),
        }
        *types.entry(q.kind.clone()).or_insert(0) += 1;
    }
    BankView {
        id: r.id.clone(),
        name: r.name.clone(),
        format: r.format.clone(),
        questions: r.questions,
        categories,
        types,
        created_at: db::rfc3339(r.created_at),
        items: items.map(|qs| {
            qs.iter()
                .enumerate()
                .map(|(i, q)| {
                    let mut v = serde_json::to_value(q).expect("serialisable");
                    v["position"] = i.into();
                    v
                })
                .collect()
        }),
    }
}

/// `POST .../question-banks?format=gift&name=...`: imports a file.
pub async fn import(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    name: &str,
    format: Format,
    body: &[u8],
) -> Result<BankView, IssuerError> {
    let name = Label::parse(name).map_err(|mut e| {
        e.path = "name".into();
        e
    })?;
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        IssuerError::Validation(
            ModelError::new(
                "file",
                format!("line {line}"),
                "the file is not UTF-8 (save it as UTF-8 and import again)",
            )
            .into(),
        )
    })?;
    let questions = format.parse(text).map_err(|errs| {
        IssuerError::Validation(ModelErrors(
            errs.into_iter()
                .map(|e| ModelError::new("file", format!("line {}", e.line), e.message))
                .collect(),
        ))
    })?;
    let mut tx = app.db.write().await?;
    let inst = auth::institution_for(&mut tx, p, slug).await?;
    let row = QuestionBankRow {
        id: secrets::new_id(),
        institution_id: inst.id,
        name: name.as_str().to_owned(),
        format: format.code().to_owned(),
        questions: i64::try_from(questions.len()).unwrap_or(i64::MAX),
        created_at: db::now(),
    };
    db::question_banks::insert_question_bank(&mut tx, &row).await?;
    let rows: Vec<BankQuestionRow> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| BankQuestionRow {
            bank_id: row.id.clone(),
            position: i64::try_from(i).unwrap_or(i64::MAX),
            category: q.category.clone(),
            kind: q.kind.code().to_owned(),
            question: serde_json::to_string(q).expect("serialisable"),
        })
        .collect();
    db::question_banks::insert_bank_questions(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(view(&row, &rows, None))
}

/// A bank's questions, in file order.
pub async fn questions_of(
    c: &mut sqlx::AnyConnection,
    bank_id: &str,
) -> Result<Vec<Question>, IssuerError> {
    parse_rows(&db::question_banks::list_bank_questions(c, bank_id).await?)
}

fn parse_rows(rows: &[BankQuestionRow]) -> Result<Vec<Question>, IssuerError> {
    rows.iter()
        .map(|r| {
            serde_json::from_str(&r.question).map_err(|e| {
                IssuerError::stored(format!("question {} of bank {}", r.position, r.bank_id), e)
            })
        })
        .collect()
}

/// `GET .../question-banks/{id}`: a bank with its questions and answers.
pub async fn get(
    app: &Issuer,
    p: &Principal,
    slug: &str,
    id: &str,
) -> Result<BankView, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    let row = db::question_banks::find_question_bank(&mut c, &inst.id, id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("question bank `{id}`")))?;
    let rows = db::question_banks::list_bank_questions(&mut c, &row.id).await?;
    Ok(view(&row, &rows, Some(&parse_rows(&rows)?)))
}

/// `GET .../question-banks`: the institution's banks.
pub async fn list(app: &Issuer, p: &Principal, slug: &str) -> Result<Vec<BankView>, IssuerError> {
    let mut c = app.db.read().await?;
    let inst = auth::institution_for(&mut c, p, slug).await?;
    let mut out = Vec::new();
    for r in db::question_banks::list_question_banks(&mut c, &inst.id).await? {
        let rows = db::question_banks::list_bank_questions(&mut c, &r.id).await?;
        out.push(view(&r, &rows, None));
    }
    Ok(out)
}
