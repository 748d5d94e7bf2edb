//! A client for Moodle's REST web services (`/webservice/rest/server.php`, form-encoded,
//! `moodlewsrestformat=json`), for the functions microcred uses. Moodle answers errors with
//! HTTP 200 and a body carrying `exception`/`errorcode`/`message`; any scalar may be `null`;
//! ids may be numbers, floats may be `10` or `10.0`. Reference: Moodle's external API
//! (<https://moodledev.io/docs/apis/subsystems/external>) and `../shared/moodle/README.md`.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The web-service functions a connection's token must be allowed to call.
pub const REQUIRED_FUNCTIONS: [&str; 8] = [
    "core_webservice_get_site_info",
    "core_course_get_courses_by_field",
    "core_enrol_get_enrolled_users",
    "core_user_get_users_by_field",
    "core_completion_get_course_completion_status",
    "gradereport_user_get_grade_items",
    "mod_quiz_get_quizzes_by_courses",
    "mod_quiz_get_user_best_grade",
];

const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum MoodleError {
    /// No answer (down, slow, TLS, DNS).
    #[error("Moodle at {site} did not answer {function}: {source}")]
    Unreachable {
        /// The site.
        site: String,
        /// The function called.
        function: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The site's URL is refused by the outbound policy (not https, not public).
    #[error("Moodle at {site} cannot be reached from here: {reason}")]
    NotAllowed {
        /// The site.
        site: String,
        /// Why.
        reason: String,
    },
    /// An HTTP status other than 200 (a proxy in front of Moodle, web services disabled).
    #[error("Moodle at {site} answered HTTP {status} to {function}")]
    Http {
        /// The site.
        site: String,
        /// The function called.
        function: String,
        /// The status.
        status: u16,
    },
    /// Moodle's own error (HTTP 200 with `exception`).
    #[error("Moodle refused {function}: {message} ({errorcode})")]
    Refused {
        /// The function called.
        function: String,
        /// Moodle's error code, e.g. `invalidtoken`, `cannotviewreport`.
        errorcode: String,
        /// Moodle's message.
        message: String,
    },
    /// An answer not shaped as documented.
    #[error("Moodle's answer to {function} is not what its documentation describes: {detail}")]
    Unexpected {
        /// The function called.
        function: String,
        /// What was wrong.
        detail: String,
    },
}

impl MoodleError {
    /// Moodle's error code, if Moodle refused.
    pub fn errorcode(&self) -> Option<&str> {
        match self {
            Self::Refused { errorcode, .. } => Some(errorcode),
            _ => None,
        }
    }
}

/// One Moodle site, reached with one token.
#[derive(Clone)]
pub struct MoodleClient {
    http: microcred_core::outbound::Outbound,
    site: String,
    token: String,
}

impl std::fmt::Debug for MoodleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoodleClient")
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

/// `core_webservice_get_site_info`.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct SiteInfo {
    pub sitename: Option<String>,
    pub username: Option<String>,
    pub siteurl: Option<String>,
    #[serde(default)]
    pub functions: Vec<SiteFunction>,
    pub release: Option<String>,
}

/// A function the token may call.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct SiteFunction {
    pub name: String,
}

/// A course (`core_course_get_courses_by_field`).
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct Course {
    pub id: i64,
    pub shortname: Option<String>,
    pub fullname: Option<String>,
    pub enablecompletion: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Courses {
    courses: Vec<Course>,
}

/// A user (`core_user_get_users_by_field`, `core_enrol_get_enrolled_users`).
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct User {
    pub id: i64,
    pub fullname: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub auth: Option<String>,
    pub suspended: Option<bool>,
    pub lang: Option<String>,
}

impl User {
    /// The name to put on a credential.
    pub fn name(&self) -> String {
        self.fullname
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| {
                let n = format!(
                    "{} {}",
                    self.firstname.as_deref().unwrap_or_default(),
                    self.lastname.as_deref().unwrap_or_default()
                );
                (!n.trim().is_empty()).then(|| n.trim().to_owned())
            })
            .unwrap_or_default()
    }
}

/// `core_completion_get_course_completion_status`.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct CompletionStatus {
    pub completed: Option<bool>,
    #[serde(default)]
    pub completions: Vec<CriterionStatus>,
}

/// One completion criterion.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct CriterionStatus {
    pub complete: Option<bool>,
    pub timecompleted: Option<i64>,
}

impl CompletionStatus {
    /// When the course was completed: the latest criterion's time (Moodle gives no overall
    /// time here).
    pub fn completed_at(&self) -> Option<i64> {
        self.completions
            .iter()
            .filter_map(|c| c.timecompleted)
            .max()
    }
}

#[derive(Debug, Deserialize)]
struct CompletionAnswer {
    completionstatus: CompletionStatus,
}

/// A grade item (`gradereport_user_get_grade_items`).
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct GradeItem {
    pub itemtype: Option<String>,
    pub graderaw: Option<f64>,
    pub grademin: Option<f64>,
    pub grademax: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct GradeAnswer {
    usergrades: Vec<UserGrades>,
}

#[derive(Debug, Deserialize)]
struct UserGrades {
    #[serde(default)]
    gradeitems: Vec<GradeItem>,
}

/// A quiz (`mod_quiz_get_quizzes_by_courses`).
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct Quiz {
    pub id: i64,
    pub name: Option<String>,
    /// The maximum grade results are scaled to (only with `mod/quiz:view`).
    pub grade: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Quizzes {
    quizzes: Vec<Quiz>,
}

/// `mod_quiz_get_user_best_grade`.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct BestGrade {
    pub hasgrade: Option<bool>,
    pub grade: Option<f64>,
    pub gradetopass: Option<f64>,
}

impl MoodleClient {
    /// A client for `site` (its base URL, e.g. `https://moodle.example.org`) and `token`;
    /// public https sites only unless `insecure_outbound` (development and tests).
    pub fn new(site: &str, token: &str, timeout: Duration, insecure_outbound: bool) -> Self {
        Self {
            http: microcred_core::outbound::Outbound::new(
                timeout,
                concat!("microcred/", env!("CARGO_PKG_VERSION")),
                insecure_outbound,
            ),
            site: site.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    /// The site's base URL.
    pub fn site(&self) -> &str {
        &self.site
    }

    async fn call<T: DeserializeOwned>(
        &self,
        function: &str,
        params: &[(&str, String)],
    ) -> Result<T, MoodleError> {
        let mut form: Vec<(&str, String)> = vec![
            ("wstoken", self.token.clone()),
            ("wsfunction", function.to_owned()),
            ("moodlewsrestformat", "json".to_owned()),
        ];
        form.extend(params.iter().cloned());
        let unreachable = |source| MoodleError::Unreachable {
            site: self.site.clone(),
            function: function.to_owned(),
            source,
        };
        let not_allowed = |reason: String| MoodleError::NotAllowed {
            site: self.site.clone(),
            reason,
        };
        let url = reqwest::Url::parse(&format!("{}/webservice/rest/server.php", self.site))
            .map_err(|e| not_allowed(e.to_string()))?;
        let mut resp = self
            .http
            .post(&url)
            .map_err(|e| not_allowed(e.to_string()))?
            .form(&form)
            .send()
            .await
            .map_err(unreachable)?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(MoodleError::Http {
                site: self.site.clone(),
                function: function.to_owned(),
                status: resp.status().as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ANSWER_BYTES {
                return Err(MoodleError::Unexpected {
                    function: function.to_owned(),
                    detail: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
                });
            }
        }
        let unexpected = |detail: String| MoodleError::Unexpected {
            function: function.to_owned(),
            detail,
        };
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            let start: String = String::from_utf8_lossy(&body).chars().take(80).collect();
            unexpected(format!("not JSON ({e}): {start:?}"))
        })?;
        if let Some(obj) = value.as_object() {
            if obj.contains_key("exception") || obj.contains_key("errorcode") {
                let s = |k: &str| {
                    obj.get(k)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                return Err(MoodleError::Refused {
                    function: function.to_owned(),
                    errorcode: s("errorcode"),
                    message: s("message"),
                });
            }
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            unexpected(format!("at `{path}`: {}", e.inner()))
        })
    }

    /// `core_webservice_get_site_info`.
    pub async fn site_info(&self) -> Result<SiteInfo, MoodleError> {
        self.call("core_webservice_get_site_info", &[]).await
    }

    /// `core_course_get_courses_by_field` with `field` `id` or `shortname`.
    pub async fn course_by(&self, field: &str, value: &str) -> Result<Option<Course>, MoodleError> {
        let c: Courses = self
            .call(
                "core_course_get_courses_by_field",
                &[("field", field.to_owned()), ("value", value.to_owned())],
            )
            .await?;
        Ok(c.courses.into_iter().next())
    }

    /// One page of `core_enrol_get_enrolled_users`.
    pub async fn enrolled_users(
        &self,
        course_id: i64,
        from: usize,
        count: usize,
    ) -> Result<Vec<User>, MoodleError> {
        self.call(
            "core_enrol_get_enrolled_users",
            &[
                ("courseid", course_id.to_string()),
                ("options[0][name]", "limitfrom".into()),
                ("options[0][value]", from.to_string()),
                ("options[1][name]", "limitnumber".into()),
                ("options[1][value]", count.to_string()),
            ],
        )
        .await
    }

    /// `core_user_get_users_by_field` by id.
    pub async fn user(&self, id: i64) -> Result<Option<User>, MoodleError> {
        let users: Vec<User> = self
            .call(
                "core_user_get_users_by_field",
                &[("field", "id".into()), ("values[0]", id.to_string())],
            )
            .await?;
        Ok(users.into_iter().find(|u| u.id == id))
    }

    /// `core_completion_get_course_completion_status`.
    pub async fn completion(
        &self,
        course_id: i64,
        user_id: i64,
    ) -> Result<CompletionStatus, MoodleError> {
        let a: CompletionAnswer = self
            .call(
                "core_completion_get_course_completion_status",
                &[
                    ("courseid", course_id.to_string()),
                    ("userid", user_id.to_string()),
                ],
            )
            .await?;
        Ok(a.completionstatus)
    }

    /// The course total item of `gradereport_user_get_grade_items` for one user.
    pub async fn course_total(
        &self,
        course_id: i64,
        user_id: i64,
    ) -> Result<Option<GradeItem>, MoodleError> {
        let a: GradeAnswer = self
            .call(
                "gradereport_user_get_grade_items",
                &[
                    ("courseid", course_id.to_string()),
                    ("userid", user_id.to_string()),
                ],
            )
            .await?;
        Ok(a.usergrades
            .into_iter()
            .flat_map(|u| u.gradeitems)
            .find(|i| i.itemtype.as_deref() == Some("course")))
    }

    /// `mod_quiz_get_quizzes_by_courses` for one course.
    pub async fn quizzes(&self, course_id: i64) -> Result<Vec<Quiz>, MoodleError> {
        let q: Quizzes = self
            .call(
                "mod_quiz_get_quizzes_by_courses",
                &[("courseids[0]", course_id.to_string())],
            )
            .await?;
        Ok(q.quizzes)
    }

    /// `mod_quiz_get_user_best_grade` (`quiz_id` is the quiz instance id).
    pub async fn best_grade(&self, quiz_id: i64, user_id: i64) -> Result<BestGrade, MoodleError> {
        self.call(
            "mod_quiz_get_user_best_grade",
            &[
                ("quizid", quiz_id.to_string()),
                ("userid", user_id.to_string()),
            ],
        )
        .await
    }
}
