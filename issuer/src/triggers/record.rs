//! What Moodle says of one learner in one course, read through the web services and turned
//! into the model's [`CourseRecord`] - only the parts the earning rules need. Moodle's
//! learner-level answers ("completion is not enabled", "not enrolled") become an "unknown"
//! part of the record, with Moodle's words; anything else (token refused, site down) is an
//! error, so the item is retried rather than judged.

use std::collections::{BTreeMap, BTreeSet};

use microcred_core::model::{Completion, CourseRecord, EarningRules, GradeResult, Percent};
use time::OffsetDateTime;

use super::moodle::{MoodleClient, MoodleError};

/// Moodle error codes that describe the learner or the course, not the connection.
const LEARNER_LEVEL: [&str; 5] = [
    "cannotviewreport",
    "nocriteriaset",
    "usernotenroled",
    "notenroled",
    "nopermissiontoviewgrades",
];

fn learner_level(e: MoodleError) -> Result<String, MoodleError> {
    match &e {
        MoodleError::Refused {
            errorcode, message, ..
        } if LEARNER_LEVEL.contains(&errorcode.as_str()) => {
            let hint = if errorcode == "cannotviewreport" {
                " - is completion tracking enabled for the site and the course?"
            } else {
                ""
            };
            Ok(format!("Moodle says \"{message}\" ({errorcode}){hint}"))
        }
        _ => Err(e),
    }
}

/// What must be read for a set of rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Course completion.
    pub completion: bool,
    /// Course total.
    pub course_grade: bool,
    /// Quizzes by name.
    pub quizzes: BTreeSet<String>,
}

impl Needs {
    /// Adds what `rules` need.
    pub fn add(&mut self, rules: &EarningRules) {
        self.completion |= rules.needs_completion();
        self.course_grade |= rules.needs_course_grade();
        self.quizzes.extend(rules.quizzes().map(str::to_owned));
    }
}

/// Reads what `needs` asks for about `user_id` in `course_id`; `auth` is the account's
/// authentication plugin (from the user record).
pub async fn read(
    client: &MoodleClient,
    course_id: i64,
    user_id: i64,
    auth: Option<String>,
    needs: &Needs,
) -> Result<CourseRecord, MoodleError> {
    let completion = if needs.completion {
        match client.completion(course_id, user_id).await {
            Ok(s) if s.completed == Some(true) => Completion::Completed(
                s.completed_at()
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                    .unwrap_or_else(OffsetDateTime::now_utc),
            ),
            Ok(_) => Completion::NotCompleted,
            Err(e) => Completion::Unknown(learner_level(e)?),
        }
    } else {
        Completion::NotCompleted
    };
    let course_grade = if needs.course_grade {
        match client.course_total(course_id, user_id).await {
            Ok(Some(item)) => match (item.graderaw, item.grademax) {
                (Some(raw), Some(max)) => Percent::of(raw, item.grademin.unwrap_or(0.0), max)
                    .map(GradeResult::Graded)
                    .unwrap_or_else(|| {
                        GradeResult::Unknown("the course total has no maximum".into())
                    }),
                (None, _) => GradeResult::NoGrade,
                (Some(_), None) => GradeResult::Unknown(
                    "the course total's range is not shown to the token's user".into(),
                ),
            },
            Ok(None) => GradeResult::Unknown("the course has no course total".into()),
            Err(e) => GradeResult::Unknown(learner_level(e)?),
        }
    } else {
        GradeResult::NoGrade
    };
    let mut quizzes = BTreeMap::new();
    if !needs.quizzes.is_empty() {
        let listed = client.quizzes(course_id).await?;
        for name in &needs.quizzes {
            let Some(q) = listed
                .iter()
                .find(|q| q.name.as_deref() == Some(name.as_str()))
            else {
                continue;
            };
            let result = match q.grade {
                None => GradeResult::Unknown(
                    "the quiz's maximum grade is not shown to the token's user (mod/quiz:view)"
                        .into(),
                ),
                Some(max) => match client.best_grade(q.id, user_id).await {
                    Ok(b) => match (b.hasgrade, b.grade) {
                        (Some(true), Some(g)) => Percent::of(g, 0.0, max)
                            .map(GradeResult::Graded)
                            .unwrap_or_else(|| {
                                GradeResult::Unknown("the quiz has no maximum grade".into())
                            }),
                        _ => GradeResult::NoGrade,
                    },
                    Err(e) => GradeResult::Unknown(learner_level(e)?),
                },
            };
            quizzes.insert(name.clone(), result);
        }
    }
    Ok(CourseRecord {
        completion,
        course_grade,
        quizzes,
        auth_method: auth,
    })
}

/// A short fingerprint of a record (what a poll compares with the last one it saw).
pub fn fingerprint(r: &CourseRecord) -> String {
    crate::secrets::sha256_hex(format!("{r:?}").as_bytes())[..32].to_owned()
}
