//! Earning rules: what a learner must have done in the learning platform for an achievement to
//! be awarded automatically (course completed, a minimum grade on the course total or on named
//! quizzes, all-of / any-of, optionally the sign-in method), as data the institution edits.
//!
//! The rules are the achievement's assessment criteria: [`EarningRules::narrative`] writes the
//! credential's `criteria.narrative` (Open Badges 3.0 `Criteria`,
//! <https://www.imsglobal.org/spec/ob/v3p0/#criteria>; EU Council Recommendation 2022/C 243/02,
//! Annex II "valid assessment") from them in English and Romanian, so what a verifier reads is
//! what was enforced. [`EarningRules::evaluate`] decides from [`CourseRecord`] and says why.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::{ModelError, ModelErrors};
use super::lang::LangString;

/// How the rules combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Every rule must hold.
    AllOf,
    /// One rule is enough.
    AnyOf,
}

impl Combine {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::AllOf => "allOf",
            Self::AnyOf => "anyOf",
        }
    }
}

/// A percentage in 0..=100 (always finite, hence `Eq`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Percent(f64);

impl Eq for Percent {}

impl Percent {
    /// Parses a percentage; `path` locates it for the error.
    pub fn parse(v: f64, path: &str) -> Result<Self, ModelError> {
        if v.is_finite() && (0.0..=100.0).contains(&v) {
            Ok(Self(v))
        } else {
            Err(ModelError::new(
                "earningRules",
                path,
                format!("{v} is not a percentage (0 to 100)"),
            ))
        }
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }

    /// `grade / max` as a percentage, if `max` is positive.
    pub fn of(grade: f64, min: f64, max: f64) -> Option<Self> {
        (max > min && grade.is_finite())
            .then(|| Self(((grade - min) / (max - min) * 100.0).clamp(0.0, 100.0)))
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // At most two decimals, none when whole: 80, 72.5, 66.67.
        let rounded = (self.0 * 100.0).round() / 100.0;
        let s = format!("{rounded:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{s}%")
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The course is completed (the LMS's own completion criteria are met).
    CourseCompleted,
    /// The course total is at least this percentage.
    CourseGrade(Percent),
    /// The named quiz of the course has a best grade of at least this percentage.
    QuizGrade {
        /// The quiz's name as it appears in the course.
        quiz: String,
        /// The minimum.
        min: Percent,
    },
}

/// The rules of one achievement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarningRules {
    combine: Combine,
    rules: Vec<Rule>,
    auth_methods: Vec<String>,
    allow_repeats: bool,
}

/// Wire form of one rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub enum RuleDoc {
    /// The course is completed.
    CourseCompleted,
    /// A minimum course total.
    CourseGrade {
        #[serde(rename = "minPercent")]
        min_percent: f64,
    },
    /// A minimum grade on a named quiz.
    QuizGrade {
        quiz: String,
        #[serde(rename = "minPercent")]
        min_percent: f64,
    },
}

/// Wire form of the rules (`earningRules` in an achievement definition).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EarningRulesDoc {
    /// `allOf` (default) or `anyOf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combine: Option<String>,
    /// At least one rule.
    pub rules: Vec<RuleDoc>,
    /// If set, the learner must have signed in with one of these Moodle authentication
    /// plugins (e.g. `mpass`, `oauth2`, `saml2`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_methods: Vec<String>,
    /// Award again when the learner earns it again (a new completion); default once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_repeats: bool,
}

const MAX_RULES: usize = 20;

impl EarningRulesDoc {
    /// Checks the rules, listing every problem (paths under `/earningRules`).
    pub fn parse(self) -> Result<EarningRules, ModelErrors> {
        let mut errs = ModelErrors::default();
        let combine = match self.combine.as_deref() {
            None | Some("allOf") => Combine::AllOf,
            Some("anyOf") => Combine::AnyOf,
            Some(other) => {
                errs.push(ModelError::new(
                    "earningRules",
                    "/earningRules/combine",
                    format!("`{other}` is not allOf or anyOf"),
                ));
                Combine::AllOf
            }
        };
        if self.rules.is_empty() {
            errs.push(ModelError::new(
                "earningRules",
                "/earningRules/rules",
                "at least one rule is required",
            ));
        }
        if self.rules.len() > MAX_RULES {
            errs.push(ModelError::new(
                "earningRules",
                "/earningRules/rules",
                format!("at most {MAX_RULES} rules"),
            ));
        }
        let mut rules = Vec::new();
        for (i, r) in self.rules.into_iter().enumerate() {
            let path = format!("/earningRules/rules/{i}/minPercent");
            let rule = match r {
                RuleDoc::CourseCompleted => Some(Rule::CourseCompleted),
                RuleDoc::CourseGrade { min_percent } => errs
                    .take(Percent::parse(min_percent, &path))
                    .map(Rule::CourseGrade),
                RuleDoc::QuizGrade { quiz, min_percent } => {
                    let quiz = quiz.trim().to_owned();
                    if quiz.is_empty() || quiz.chars().count() > 255 {
                        errs.push(ModelError::new(
                            "earningRules",
                            format!("/earningRules/rules/{i}/quiz"),
                            "the quiz's name (1 to 255 characters, as it appears in the course) is required",
                        ));
                    }
                    errs.take(Percent::parse(min_percent, &path))
                        .map(|min| Rule::QuizGrade { quiz, min })
                }
            };
            if let Some(rule) = rule {
                if rules.contains(&rule) {
                    errs.push(ModelError::new(
                        "earningRules",
                        format!("/earningRules/rules/{i}"),
                        "this rule is given twice",
                    ));
                }
                rules.push(rule);
            }
        }
        let mut auth_methods = Vec::new();
        for (i, m) in self.auth_methods.into_iter().enumerate() {
            let m = m.trim().to_owned();
            if m.is_empty()
                || m.len() > 64
                || !m
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                errs.push(ModelError::new(
                    "earningRules",
                    format!("/earningRules/authMethods/{i}"),
                    format!("`{m}` is not a Moodle authentication plugin name (lowercase letters, digits, _; e.g. mpass, oauth2)"),
                ));
            } else if !auth_methods.contains(&m) {
                auth_methods.push(m);
            }
        }
        errs.finish(|| EarningRules {
            combine,
            rules,
            auth_methods,
            allow_repeats: self.allow_repeats,
        })
    }
}

impl EarningRules {
    /// Parses the wire form from JSON.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, ModelErrors> {
        let doc: EarningRulesDoc = serde_path_to_error::deserialize(v).map_err(|e| {
            let path = super::achievement::pointer_of(e.path());
            ModelError::new(
                "earningRules",
                format!("/earningRules{path}"),
                e.inner().to_string(),
            )
        })?;
        doc.parse()
    }

    /// The wire form.
    pub fn to_doc(&self) -> EarningRulesDoc {
        EarningRulesDoc {
            combine: Some(self.combine.code().to_owned()),
            rules: self
                .rules
                .iter()
                .map(|r| match r {
                    Rule::CourseCompleted => RuleDoc::CourseCompleted,
                    Rule::CourseGrade(p) => RuleDoc::CourseGrade {
                        min_percent: p.get(),
                    },
                    Rule::QuizGrade { quiz, min } => RuleDoc::QuizGrade {
                        quiz: quiz.clone(),
                        min_percent: min.get(),
                    },
                })
                .collect(),
            auth_methods: self.auth_methods.clone(),
            allow_repeats: self.allow_repeats,
        }
    }

    /// How the rules combine.
    pub fn combine(&self) -> Combine {
        self.combine
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The accepted sign-in methods (empty: any).
    pub fn auth_methods(&self) -> &[String] {
        &self.auth_methods
    }

    /// Whether the achievement may be awarded again on a new completion.
    pub fn allow_repeats(&self) -> bool {
        self.allow_repeats
    }

    /// Whether evaluating needs the course completion.
    pub fn needs_completion(&self) -> bool {
        self.rules.contains(&Rule::CourseCompleted)
    }

    /// Whether evaluating needs the course total.
    pub fn needs_course_grade(&self) -> bool {
        self.rules.iter().any(|r| matches!(r, Rule::CourseGrade(_)))
    }

    /// The quizzes whose grades evaluating needs.
    pub fn quizzes(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().filter_map(|r| match r {
            Rule::QuizGrade { quiz, .. } => Some(quiz.as_str()),
            _ => None,
        })
    }

    /// The assessment criteria these rules state, in English and Romanian.
    pub fn narrative(&self) -> LangString {
        let en: Vec<String> = self
            .rules
            .iter()
            .map(|r| match r {
                Rule::CourseCompleted => "the course is completed".to_owned(),
                Rule::CourseGrade(p) => format!("a course total grade of at least {p}"),
                Rule::QuizGrade { quiz, min } => format!("at least {min} on the quiz “{quiz}”"),
            })
            .collect();
        let ro: Vec<String> = self
            .rules
            .iter()
            .map(|r| match r {
                Rule::CourseCompleted => "cursul este finalizat".to_owned(),
                Rule::CourseGrade(p) => format!("nota totală la curs de cel puțin {p}"),
                Rule::QuizGrade { quiz, min } => format!("cel puțin {min} la testul „{quiz}”"),
            })
            .collect();
        let mut en_text = if en.len() == 1 {
            format!(
                "Awarded when {}, as recorded by the course's learning platform.",
                en[0]
            )
        } else {
            format!(
                "Awarded when {} of the following are met, as recorded by the course's learning platform: {}.",
                match self.combine {
                    Combine::AllOf => "all",
                    Combine::AnyOf => "any",
                },
                en.join("; ")
            )
        };
        let mut ro_text = if ro.len() == 1 {
            format!(
                "Acordat când {}, conform platformei de învățare a cursului.",
                ro[0]
            )
        } else {
            format!(
                "Acordat când {} condițiile următoare, conform platformei de învățare a cursului: {}.",
                match self.combine {
                    Combine::AllOf => "sunt îndeplinite toate",
                    Combine::AnyOf => "este îndeplinită oricare dintre",
                },
                ro.join("; ")
            )
        };
        if !self.auth_methods.is_empty() {
            let list = self.auth_methods.join(", ");
            en_text.push_str(&format!(
                " The learner's identity was established by signing in through: {list}."
            ));
            ro_text.push_str(&format!(
                " Identitatea cursantului a fost stabilită prin autentificarea cu: {list}."
            ));
        }
        LangString::new(
            "criteria",
            "/criteria",
            [("en".to_owned(), en_text), ("ro".to_owned(), ro_text)],
        )
        .expect("generated texts are never empty")
    }

    /// Decides from `e`, giving one reason per rule (and for the sign-in method).
    pub fn evaluate(&self, e: &CourseRecord) -> Evaluation {
        let mut reasons = Vec::new();
        let mut results = Vec::new();
        for r in &self.rules {
            let (met, reason) = match r {
                Rule::CourseCompleted => match &e.completion {
                    Completion::Completed(at) => {
                        (true, format!("course completed on {}", at.date()))
                    }
                    Completion::NotCompleted => (false, "course not completed".to_owned()),
                    Completion::Unknown(why) => {
                        (false, format!("course completion unknown: {why}"))
                    }
                },
                Rule::CourseGrade(min) => match &e.course_grade {
                    GradeResult::Graded(p) => (
                        p >= min,
                        format!(
                            "course total: {p} {} {min}",
                            if p >= min { "≥" } else { "<" }
                        ),
                    ),
                    GradeResult::NoGrade => (false, "course total: no grade yet".to_owned()),
                    GradeResult::Unknown(why) => (false, format!("course total unknown: {why}")),
                },
                Rule::QuizGrade { quiz, min } => match e.quizzes.get(quiz) {
                    Some(GradeResult::Graded(p)) => (
                        p >= min,
                        format!(
                            "quiz '{quiz}': {p} {} {min}",
                            if p >= min { "≥" } else { "<" }
                        ),
                    ),
                    Some(GradeResult::NoGrade) => (false, format!("quiz '{quiz}': no grade yet")),
                    Some(GradeResult::Unknown(why)) => {
                        (false, format!("quiz '{quiz}': unknown: {why}"))
                    }
                    None => (false, format!("quiz '{quiz}': not found in the course")),
                },
            };
            results.push(met);
            reasons.push(reason);
        }
        let rules_met = match self.combine {
            Combine::AllOf => results.iter().all(|m| *m),
            Combine::AnyOf => results.iter().any(|m| *m),
        };
        let auth_ok = if self.auth_methods.is_empty() {
            true
        } else {
            match &e.auth_method {
                Some(m) if self.auth_methods.contains(m) => {
                    reasons.push(format!("signed in with '{m}'"));
                    true
                }
                Some(m) => {
                    reasons.push(format!(
                        "signed in with '{m}', not one of: {}",
                        self.auth_methods.join(", ")
                    ));
                    false
                }
                None => {
                    reasons.push("sign-in method unknown".to_owned());
                    false
                }
            }
        };
        Evaluation {
            earned: rules_met && auth_ok,
            reasons,
        }
    }
}

/// Whether the course is completed.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    /// Completed at this time.
    Completed(OffsetDateTime),
    /// Not (yet) completed.
    NotCompleted,
    /// The platform could not say (completion disabled, not enrolled...).
    Unknown(String),
}

/// One grade.
#[derive(Debug, Clone, PartialEq)]
pub enum GradeResult {
    /// Graded, as a percentage of the maximum.
    Graded(Percent),
    /// No grade yet.
    NoGrade,
    /// The platform could not say.
    Unknown(String),
}

/// What the learning platform says of one learner in one course.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseRecord {
    /// Course completion.
    pub completion: Completion,
    /// Course total.
    pub course_grade: GradeResult,
    /// Quiz grades by quiz name (a quiz absent here was not found in the course).
    pub quizzes: BTreeMap<String, GradeResult>,
    /// The authentication plugin the learner's account uses.
    pub auth_method: Option<String>,
}

/// The outcome of evaluating the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Whether the achievement is earned.
    pub earned: bool,
    /// One reason per rule, e.g. `quiz 'Final test': 72% < 80%`.
    pub reasons: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: serde_json::Value) -> EarningRules {
        EarningRules::from_json(&v).expect("valid rules")
    }

    fn evidence() -> CourseRecord {
        CourseRecord {
            completion: Completion::NotCompleted,
            course_grade: GradeResult::NoGrade,
            quizzes: BTreeMap::new(),
            auth_method: Some("manual".into()),
        }
    }

    #[test]
    fn a_quiz_below_the_minimum_is_not_earned_and_says_by_how_much() {
        let r = rules(
            json!({"rules": [{"type": "quizGrade", "quiz": "Final test", "minPercent": 80}]}),
        );
        let mut e = evidence();
        e.quizzes.insert(
            "Final test".into(),
            GradeResult::Graded(Percent::of(7.2, 0.0, 10.0).unwrap()),
        );
        let out = r.evaluate(&e);
        assert!(!out.earned);
        assert_eq!(out.reasons, vec!["quiz 'Final test': 72% < 80%"]);
        e.quizzes.insert(
            "Final test".into(),
            GradeResult::Graded(Percent::of(8.0, 0.0, 10.0).unwrap()),
        );
        assert!(r.evaluate(&e).earned);
    }

    #[test]
    fn all_of_needs_every_rule_and_any_of_one() {
        let mut e = evidence();
        e.completion = Completion::Completed(OffsetDateTime::UNIX_EPOCH);
        e.course_grade = GradeResult::Graded(Percent(50.0));
        let all = rules(
            json!({"rules": [{"type": "courseCompleted"}, {"type": "courseGrade", "minPercent": 60}]}),
        );
        let any = rules(
            json!({"combine": "anyOf", "rules": [{"type": "courseCompleted"}, {"type": "courseGrade", "minPercent": 60}]}),
        );
        assert!(!all.evaluate(&e).earned);
        assert!(any.evaluate(&e).earned);
        assert_eq!(
            all.evaluate(&e).reasons,
            vec!["course completed on 1970-01-01", "course total: 50% < 60%"]
        );
    }

    #[test]
    fn the_sign_in_method_must_be_one_of_those_listed() {
        let r = rules(json!({"rules": [{"type": "courseCompleted"}], "authMethods": ["mpass"]}));
        let mut e = evidence();
        e.completion = Completion::Completed(OffsetDateTime::UNIX_EPOCH);
        let out = r.evaluate(&e);
        assert!(!out.earned);
        assert_eq!(out.reasons[1], "signed in with 'manual', not one of: mpass");
        e.auth_method = Some("mpass".into());
        assert!(r.evaluate(&e).earned);
    }

    #[test]
    fn the_narrative_states_the_rules_in_english_and_romanian() {
        let r = rules(
            json!({"rules": [{"type": "courseCompleted"}, {"type": "quizGrade", "quiz": "Final test", "minPercent": 72.5}], "authMethods": ["mpass"]}),
        );
        let n = r.narrative();
        assert_eq!(
            n.english(),
            "Awarded when all of the following are met, as recorded by the course's learning platform: the course is completed; at least 72.5% on the quiz “Final test”. The learner's identity was established by signing in through: mpass."
        );
        let ro = n.get("ro");
        assert!(
            ro.contains("cel puțin 72.5% la testul „Final test”"),
            "{ro}"
        );
        let one = rules(json!({"rules": [{"type": "courseCompleted"}]}));
        assert_eq!(
            one.narrative().english(),
            "Awarded when the course is completed, as recorded by the course's learning platform."
        );
    }

    #[test]
    fn bad_rules_are_reported_with_their_paths() {
        let err = EarningRules::from_json(&json!({"combine": "most", "rules": [{"type": "courseGrade", "minPercent": 120}, {"type": "quizGrade", "quiz": " ", "minPercent": 50}], "authMethods": ["M Pass"]})).unwrap_err();
        let paths: Vec<_> = err.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "/earningRules/combine",
                "/earningRules/rules/0/minPercent",
                "/earningRules/rules/1/quiz",
                "/earningRules/authMethods/0"
            ]
        );
        let err = EarningRules::from_json(&json!({"rules": [{"type": "courseDone"}]})).unwrap_err();
        assert_eq!(err.0[0].path, "/earningRules/rules/0/type");
        let err = EarningRules::from_json(&json!({"rules": []})).unwrap_err();
        assert_eq!(err.0[0].message, "at least one rule is required");
    }

    #[test]
    fn percentages_print_without_needless_decimals() {
        assert_eq!(Percent(80.0).to_string(), "80%");
        assert_eq!(Percent::of(2.0, 0.0, 3.0).unwrap().to_string(), "66.67%");
        assert_eq!(Percent::of(1.0, 0.0, 0.0), None);
    }
}
