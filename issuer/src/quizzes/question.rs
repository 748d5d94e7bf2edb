//! A question as a bank keeps it, whichever format it was imported from: the types Moodle's
//! GIFT and Aiken importers make (`description`, `essay`, `multichoice`, `truefalse`,
//! `shortanswer`, `match`, `numerical`), with answer fractions as Moodle stores them (1 =
//! full credit, negative = penalty), feedback, title, category path, id number and tags.

use serde::{Deserialize, Serialize};

/// One answer of a multiple-choice or short-answer question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    /// The answer's text.
    pub text: String,
    /// Credit when chosen (-1..=1).
    pub fraction: f64,
    /// Shown when chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

/// One accepted answer of a numerical question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumericalAnswer {
    /// The value; `None` matches any answer (GIFT's catch-all `~#feedback`).
    pub value: Option<f64>,
    /// Accepted distance from the value.
    pub tolerance: f64,
    /// Credit when matched.
    pub fraction: f64,
    /// Shown when matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

/// What kind of question, with what grading it needs. Externally tagged
/// (`{"multiChoice": {...}}`): serde's internally tagged enums buffer numbers, which the
/// workspace's `serde_json/arbitrary_precision` cannot read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// Text only, not graded.
    Description,
    /// A free answer, graded by an instructor.
    Essay,
    /// Choices: one (`single`) or several.
    MultiChoice {
        /// Radio buttons (one answer) or checkboxes (several).
        single: bool,
        /// The choices, in the file's order.
        choices: Vec<Choice>,
    },
    /// True or false.
    TrueFalse {
        /// The right answer.
        answer: bool,
        /// Shown after a wrong answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        feedback_wrong: Option<String>,
        /// Shown after a right answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        feedback_right: Option<String>,
    },
    /// A typed answer compared with the accepted ones (case-insensitive; `*` matches
    /// anything).
    ShortAnswer {
        /// The accepted answers.
        answers: Vec<Choice>,
    },
    /// Pairs to match.
    Matching {
        /// (left, right) pairs.
        pairs: Vec<(String, String)>,
        /// Extra right-hand answers that match nothing.
        distractors: Vec<String>,
    },
    /// A number, within a tolerance.
    Numerical {
        /// The accepted values.
        answers: Vec<NumericalAnswer>,
    },
}

impl Kind {
    /// Moodle's name of the type.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Description => "description",
            Self::Essay => "essay",
            Self::MultiChoice { .. } => "multichoice",
            Self::TrueFalse { .. } => "truefalse",
            Self::ShortAnswer { .. } => "shortanswer",
            Self::Matching { .. } => "match",
            Self::Numerical { .. } => "numerical",
        }
    }

    /// Whether it counts towards the grade.
    pub fn graded(&self) -> bool {
        !matches!(self, Self::Description)
    }
}

/// One imported question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    /// Category path (`top/Week 1`), from GIFT's `$CATEGORY:`; empty for the default.
    pub category: String,
    /// The question's name (its GIFT title, else the start of its text).
    pub name: String,
    /// The id number from a GIFT `[id:...]` comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idnumber: Option<String>,
    /// Tags from GIFT `[tag:...]` comments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The question's text.
    pub text: String,
    /// The text's format (`moodle`, `html`, `plain`, `markdown`).
    pub format: String,
    /// Shown after the attempt, whatever the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub general_feedback: Option<String>,
    /// What kind, with its answers.
    pub kind: Kind,
    /// The line of the file it starts on.
    pub line: usize,
}

/// Why a file was refused: where, and what is wrong, in Moodle's words where it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// Line in the file (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The grades Moodle's importer accepts (`question_bank::fraction_options_full`), with their
/// negatives.
const GRADES: [f64; 21] = [
    1.0,
    0.9,
    0.833_333_3,
    0.8,
    0.75,
    0.7,
    0.666_666_7,
    0.6,
    0.5,
    0.4,
    0.333_333_3,
    0.3,
    0.25,
    0.2,
    0.166_666_7,
    0.142_857_1,
    0.125,
    0.111_111_1,
    0.1,
    0.05,
    0.0,
];

/// Whether `f` is a grade Moodle accepts (within 0.00001).
pub fn valid_fraction(f: f64) -> bool {
    GRADES.iter().any(|g| (f.abs() - g).abs() < 0.000_01) && f.abs() <= 1.0
}

/// What a parse gives: the questions, or every error (also when there is no question).
pub fn outcome(
    questions: Vec<Question>,
    mut errors: Vec<ImportError>,
) -> Result<Vec<Question>, Vec<ImportError>> {
    if errors.is_empty() && questions.is_empty() {
        errors.push(ImportError {
            line: 1,
            message: "no questions in file".into(),
        });
    }
    if errors.is_empty() {
        Ok(questions)
    } else {
        Err(errors)
    }
}

/// Most questions in one file.
pub const MAX_QUESTIONS: usize = 5_000;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::quizzes::{aiken, gift};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn no_file_makes_either_parser_panic(
            text in "(::|\\{|\\}|~|=|#|####|->|%-?[0-9.]{0,4}%|\\\\|\\n|\\r|//|\\[id:|\\[tag:|\\]|\\$CATEGORY:|[A-D][).]|ANSWER: ?[A-Za-z]?|T|FALSE|\\.\\.|:|[a-z0-9 ]{0,6}|é|\u{E001}){0,60}"
        ) {
            let _ = gift::parse(&text);
            let _ = aiken::parse(&text);
        }
    }
}
