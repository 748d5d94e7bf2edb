//! Tables `question_banks` and `bank_questions`: an institution's imported question banks
//! (GIFT or Aiken) and their questions as JSON, in file order.

use sqlx::AnyConnection;

/// One bank.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct QuestionBankRow {
    pub id: String,
    pub institution_id: String,
    pub name: String,
    /// `gift` or `aiken`.
    pub format: String,
    pub questions: i64,
    pub created_at: i64,
}

/// One question of a bank.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(missing_docs)]
pub struct BankQuestionRow {
    pub bank_id: String,
    pub position: i64,
    pub category: String,
    pub kind: String,
    pub question: String,
}

const COLUMNS: &str = "id, institution_id, name, format, questions, created_at";

/// Inserts a bank.
pub async fn insert_question_bank(
    c: &mut AnyConnection,
    r: &QuestionBankRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO question_banks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.name)
    .bind(&r.format)
    .bind(r.questions)
    .bind(r.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Inserts a bank's questions, many rows per statement.
pub async fn insert_bank_questions(
    c: &mut AnyConnection,
    rows: &[BankQuestionRow],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(100) {
        let sql = format!(
            "INSERT INTO bank_questions (bank_id, position, category, kind, question) VALUES {}",
            super::values_list(chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for r in chunk {
            q = q
                .bind(&r.bank_id)
                .bind(r.position)
                .bind(&r.category)
                .bind(&r.kind)
                .bind(&r.question);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// A bank of an institution.
pub async fn find_question_bank(
    c: &mut AnyConnection,
    institution_id: &str,
    id: &str,
) -> Result<Option<QuestionBankRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM question_banks WHERE institution_id = $1 AND id = $2"
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

/// An institution's banks, newest first.
pub async fn list_question_banks(
    c: &mut AnyConnection,
    institution_id: &str,
) -> Result<Vec<QuestionBankRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM question_banks WHERE institution_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(institution_id)
    .fetch_all(c)
    .await
}

/// A bank's questions, in file order.
pub async fn list_bank_questions(
    c: &mut AnyConnection,
    bank_id: &str,
) -> Result<Vec<BankQuestionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT bank_id, position, category, kind, question FROM bank_questions \
         WHERE bank_id = $1 ORDER BY position",
    )
    .bind(bank_id)
    .fetch_all(c)
    .await
}
