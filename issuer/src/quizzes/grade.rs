//! Grading an answer as Moodle's question types grade it: a single choice earns its fraction;
//! several choices the sum of theirs (between 0 and 1); true/false all or nothing; a short
//! answer the best accepted answer it matches (case-insensitive, `*` matches anything); a
//! number the best answer within its tolerance; matching the share of pairs matched. Essays
//! wait for an instructor; descriptions are not graded.

use serde::{Deserialize, Serialize};

use super::question::{Kind, Question};

/// A learner's answer to one question (the field its type needs).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Response {
    /// The question's position in the attempt (0-based).
    pub question: usize,
    /// Multiple choice, one answer: the choice's position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<usize>,
    /// Multiple choice, several answers: the choices' positions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<usize>>,
    /// True/false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<bool>,
    /// Short answer or essay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Numerical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<f64>,
    /// Matching: for each left-hand item in order, the right-hand answer chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<String>>,
}

/// How one answer was graded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mark {
    /// Credit, 0..=1.
    Graded(f64),
    /// An essay, for an instructor to grade.
    Pending,
    /// Not graded (a description).
    Ungraded,
}

/// Why an answer cannot be graded as given.
pub fn shape_error(q: &Question, r: &Response) -> Option<String> {
    let what = match &q.kind {
        Kind::MultiChoice {
            single: true,
            choices,
        } => match r.choice {
            Some(c) if c < choices.len() => return None,
            Some(c) => {
                return Some(format!(
                    "choice {c} does not exist (0 to {})",
                    choices.len() - 1
                ))
            }
            None => "`choice` (a position)",
        },
        Kind::MultiChoice {
            single: false,
            choices,
        } => match &r.choices {
            Some(cs) if cs.iter().all(|c| *c < choices.len()) && cs.len() <= choices.len() => {
                return None
            }
            Some(_) => {
                return Some(format!(
                    "choices are positions 0 to {}, each once",
                    choices.len() - 1
                ))
            }
            None => "`choices` (positions)",
        },
        Kind::TrueFalse { .. } => match r.answer {
            Some(_) => return None,
            None => "`answer` (true or false)",
        },
        Kind::ShortAnswer { .. } | Kind::Essay => match &r.text {
            Some(t) if t.chars().count() <= 20_000 => return None,
            Some(_) => return Some("at most 20,000 characters".into()),
            None => "`text`",
        },
        Kind::Numerical { .. } => match r.number {
            Some(n) if n.is_finite() => return None,
            _ => "`number`",
        },
        Kind::Matching { pairs, .. } => match &r.matches {
            Some(m) if m.len() == pairs.len() => return None,
            Some(_) => {
                return Some(format!(
                    "`matches` has one answer per item ({})",
                    pairs.len()
                ))
            }
            None => "`matches` (one answer per item)",
        },
        Kind::Description => return None,
    };
    Some(format!(
        "a {} question is answered with {what}",
        q.kind.code()
    ))
}

fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.trim().to_lowercase();
    let t = text.trim().to_lowercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Grades `r` (already checked with [`shape_error`]); the mark and the feedback to show.
pub fn grade(q: &Question, r: Option<&Response>) -> (Mark, Vec<String>) {
    let mut feedback = Vec::new();
    let mark = match (&q.kind, r) {
        (Kind::Description, _) => Mark::Ungraded,
        (Kind::Essay, _) => Mark::Pending,
        (_, None) => Mark::Graded(0.0),
        (
            Kind::MultiChoice {
                single: true,
                choices,
            },
            Some(r),
        ) => {
            let c = r.choice.and_then(|i| choices.get(i));
            feedback.extend(c.and_then(|c| c.feedback.clone()));
            Mark::Graded(c.map_or(0.0, |c| c.fraction.max(0.0)))
        }
        (Kind::MultiChoice { choices, .. }, Some(r)) => {
            let mut picked: Vec<usize> = r.choices.clone().unwrap_or_default();
            picked.sort_unstable();
            picked.dedup();
            let sum: f64 = picked
                .iter()
                .filter_map(|i| choices.get(*i))
                .inspect(|c| feedback.extend(c.feedback.clone()))
                .map(|c| c.fraction)
                .sum();
            Mark::Graded(sum.clamp(0.0, 1.0))
        }
        (
            Kind::TrueFalse {
                answer,
                feedback_wrong,
                feedback_right,
            },
            Some(r),
        ) => {
            let right = r.answer == Some(*answer);
            feedback.extend(if right {
                feedback_right.clone()
            } else {
                feedback_wrong.clone()
            });
            Mark::Graded(if right { 1.0 } else { 0.0 })
        }
        (Kind::ShortAnswer { answers }, Some(r)) => {
            let text = r.text.as_deref().unwrap_or_default();
            let best = answers
                .iter()
                .filter(|a| glob(&a.text, text))
                .max_by(|a, b| a.fraction.total_cmp(&b.fraction));
            feedback.extend(best.and_then(|b| b.feedback.clone()));
            Mark::Graded(best.map_or(0.0, |b| b.fraction.max(0.0)))
        }
        (Kind::Numerical { answers }, Some(r)) => {
            let n = r.number.unwrap_or(f64::NAN);
            let best = answers
                .iter()
                .filter(|a| a.value.is_none_or(|v| (n - v).abs() <= a.tolerance + 1e-12))
                .max_by(|a, b| a.fraction.total_cmp(&b.fraction));
            feedback.extend(best.and_then(|b| b.feedback.clone()));
            Mark::Graded(best.map_or(0.0, |b| b.fraction.max(0.0)))
        }
        (Kind::Matching { pairs, .. }, Some(r)) => {
            let given = r.matches.clone().unwrap_or_default();
            let right = pairs
                .iter()
                .zip(given.iter())
                .filter(|((_, want), got)| want.trim() == got.trim())
                .count();
            #[allow(clippy::cast_precision_loss)]
            let share = right as f64 / pairs.len().max(1) as f64;
            Mark::Graded(share)
        }
    };
    feedback.extend(q.general_feedback.clone());
    (mark, feedback)
}

/// The question as a learner sees it: no fractions, no right answers.
pub fn shown(q: &Question, position: usize) -> serde_json::Value {
    let mut v = serde_json::json!({
        "position": position,
        "type": q.kind.code(),
        "name": q.name,
        "text": q.text,
        "format": q.format,
    });
    match &q.kind {
        Kind::MultiChoice { single, choices } => {
            v["single"] = (*single).into();
            v["choices"] = choices.iter().map(|c| c.text.clone()).collect();
        }
        Kind::Matching { pairs, distractors } => {
            v["items"] = pairs.iter().map(|(l, _)| l.clone()).collect();
            let mut options: Vec<String> = pairs
                .iter()
                .map(|(_, r)| r.clone())
                .chain(distractors.iter().cloned())
                .collect();
            options.sort();
            options.dedup();
            v["options"] = options.into();
        }
        _ => {}
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quizzes::gift;

    fn q(s: &str) -> Question {
        gift::parse(s).unwrap().remove(0)
    }

    fn mark(q: &Question, r: Response) -> f64 {
        assert_eq!(shape_error(q, &r), None);
        match grade(q, Some(&r)).0 {
            Mark::Graded(f) => f,
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn each_type_is_graded_as_moodle_grades_it() {
        let mc = q("Pick {=yes #good ~no}");
        assert_eq!(
            mark(
                &mc,
                Response {
                    choice: Some(0),
                    ..Response::default()
                }
            ),
            1.0
        );
        assert_eq!(
            grade(
                &mc,
                Some(&Response {
                    choice: Some(0),
                    ..Response::default()
                })
            )
            .1,
            ["good"]
        );
        let multi = q("Primary? {~%50%red ~%50%blue ~%-100%brown}");
        assert_eq!(
            mark(
                &multi,
                Response {
                    choices: Some(vec![0, 1]),
                    ..Response::default()
                }
            ),
            1.0
        );
        assert_eq!(
            mark(
                &multi,
                Response {
                    choices: Some(vec![0, 2]),
                    ..Response::default()
                }
            ),
            0.0
        );
        let tf = q("Sun in the east {T}");
        assert_eq!(
            mark(
                &tf,
                Response {
                    answer: Some(false),
                    ..Response::default()
                }
            ),
            0.0
        );
        let sa = q("Buried? {=Grant =%50%Ulysses* }");
        assert_eq!(
            mark(
                &sa,
                Response {
                    text: Some(" grant ".into()),
                    ..Response::default()
                }
            ),
            1.0
        );
        assert_eq!(
            mark(
                &sa,
                Response {
                    text: Some("Ulysses S. Grant".into()),
                    ..Response::default()
                }
            ),
            0.5
        );
        let num = q("Born? {#=1822:0 =%50%1822:2 ~#wrong}");
        assert_eq!(
            mark(
                &num,
                Response {
                    number: Some(1823.0),
                    ..Response::default()
                }
            ),
            0.5
        );
        assert_eq!(
            mark(
                &num,
                Response {
                    number: Some(1900.0),
                    ..Response::default()
                }
            ),
            0.0
        );
        let m = q("Match {=Canada -> Ottawa =Italy -> Rome = -> Paris}");
        assert_eq!(
            mark(
                &m,
                Response {
                    matches: Some(vec!["Ottawa".into(), "Paris".into()]),
                    ..Response::default()
                }
            ),
            0.5
        );
        assert_eq!(
            shown(&m, 0)["options"],
            serde_json::json!(["Ottawa", "Paris", "Rome"])
        );
        assert!(shape_error(
            &mc,
            &Response {
                text: Some("x".into()),
                ..Response::default()
            }
        )
        .unwrap()
        .contains("`choice`"));
        assert_eq!(grade(&q("Essay {}"), None).0, Mark::Pending);
    }
}
