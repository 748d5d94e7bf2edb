//! The micro-credential an institution defines once: every Annex I element of the EU Council
//! Recommendation 2022/C 243/02 that does not depend on the learner.
//!
//! [`AchievementDefinitionDoc`] is the wire form (JSON Schema
//! `schemas/json/achievement-definition.schema.json`); [`AchievementDefinition`] is the domain
//! form, reachable only through [`AchievementDefinitionDoc::parse`].

use serde::{Deserialize, Serialize};

use super::earning::{EarningRules, EarningRulesDoc};
use super::error::{ModelError, ModelErrors};
use super::lang::{LangString, LangStringDoc};
use super::values::{Ects, EqfLevel, EscoSkill, Hours, HttpUrl, ValidityPeriod};
use super::vocab::{
    AssessmentType, Integration, LearningSetting, ParticipationForm, QfEheaCycle,
    QualityAssuranceType, Supervision,
};

/// Annex I element 6: one learning outcome, optionally linked to ESCO skills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearningOutcome {
    /// The outcome, one sentence per language.
    pub title: LangString,
    /// Related ESCO skills.
    pub esco_skills: Vec<EscoSkill>,
}

/// Annex I element 7: notional workload, ECTS wherever possible, else hours (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    ects: Option<Ects>,
    hours: Option<Hours>,
}

impl Workload {
    /// A workload with at least one of ECTS credits and hours.
    pub fn new(ects: Option<Ects>, hours: Option<Hours>) -> Result<Self, ModelError> {
        if ects.is_none() && hours.is_none() {
            return Err(ModelError::new(
                "workload",
                "/workload",
                "give ECTS credits (ects) or hours (hours)",
            ));
        }
        Ok(Self { ects, hours })
    }

    /// ECTS credits, if given.
    pub fn ects(&self) -> Option<Ects> {
        self.ects
    }

    /// Hours, if given.
    pub fn hours(&self) -> Option<Hours> {
        self.hours
    }
}

/// Annex I element 11: type of quality assurance, with an optional explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityAssurance {
    /// The type.
    pub kind: QualityAssuranceType,
    /// Who assures quality and how.
    pub note: Option<LangString>,
}

/// Optional element: integration / stackability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stackability {
    /// Stand-alone or stackable.
    pub integration: Integration,
    /// The larger credentials this one can be part of.
    pub part_of: Vec<HttpUrl>,
}

/// A micro-credential definition carrying every mandatory Annex I element that belongs to the
/// course (learner, awarding body and date of issuing belong to the award).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementDefinition {
    /// Element 2: title.
    pub title: LangString,
    /// A short description.
    pub description: Option<LangString>,
    /// Element 6: learning outcomes (at least one).
    pub learning_outcomes: Vec<LearningOutcome>,
    /// Element 7: notional workload.
    pub workload: Workload,
    /// Element 8: EQF level.
    pub eqf_level: EqfLevel,
    /// Element 8: QF-EHEA cycle, if applicable.
    pub qf_ehea_cycle: Option<QfEheaCycle>,
    /// Element 9: type of assessment.
    pub assessment_type: AssessmentType,
    /// Element 10: form of participation.
    pub participation_form: ParticipationForm,
    /// Formal or non-formal learning.
    pub learning_setting: Option<LearningSetting>,
    /// Element 11: type of quality assurance.
    pub quality_assurance: QualityAssurance,
    /// Assessment criteria (Annex II "valid assessment"; OB3 `criteria.narrative`); generated
    /// from `earning_rules` when the achievement has them.
    pub criteria: LangString,
    /// What earns the achievement automatically (course completion, grades, sign-in method);
    /// issuance policy, carried in the credential only as the criteria text it generates.
    pub earning_rules: Option<EarningRules>,
    /// Optional: prerequisites needed to enrol.
    pub prerequisites: Option<LangString>,
    /// Optional: supervision and identity verification during assessment.
    pub supervision: Option<Supervision>,
    /// Optional: integration / stackability options.
    pub stackability: Option<Stackability>,
    /// Optional: further information.
    pub further_information: Option<LangString>,
    /// How long credentials stay valid (issuance policy; becomes each credential's
    /// `validUntil`, and is not itself carried in the credential).
    pub validity_period: Option<ValidityPeriod>,
}

/// Wire form of one learning outcome.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LearningOutcomeDoc {
    /// The outcome.
    pub title: Option<LangStringDoc>,
    /// ESCO skill IRIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub esco_skills: Vec<String>,
}

/// Wire form of the workload.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadDoc {
    /// ECTS credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ects: Option<f64>,
    /// Hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u64>,
}

/// Wire form of quality assurance.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QualityAssuranceDoc {
    /// A [`QualityAssuranceType`] code.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LangStringDoc>,
}

/// Wire form of stackability.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StackabilityDoc {
    /// An [`Integration`] code.
    pub integration: Option<String>,
    /// URLs of larger credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part_of: Vec<String>,
}

/// Wire form of an achievement definition, as institutions write it (JSON Schema
/// `achievement-definition.schema.json`). Every field is optional here so that a missing
/// element is reported by name rather than as a serde error.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AchievementDefinitionDoc {
    pub title: Option<LangStringDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LangStringDoc>,
    pub learning_outcomes: Option<Vec<LearningOutcomeDoc>>,
    pub workload: Option<WorkloadDoc>,
    pub eqf_level: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qf_ehea_cycle: Option<String>,
    pub assessment_type: Option<String>,
    pub participation_form: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_setting: Option<String>,
    pub quality_assurance: Option<QualityAssuranceDoc>,
    pub criteria: Option<LangStringDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerequisites: Option<LangStringDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stackability: Option<StackabilityDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub further_information: Option<LangStringDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earning_rules: Option<EarningRulesDoc>,
}

fn required<T>(errs: &mut ModelErrors, v: Option<T>, element: &str, what: &str) -> Option<T> {
    if v.is_none() {
        errs.push(ModelError::new(
            element,
            format!("/{element}"),
            format!("{what} is required"),
        ));
    }
    v
}

/// Re-homes an error from a value parser (which knows no path) at `path`.
pub(crate) fn at_exact<T>(r: Result<T, ModelError>, path: &str) -> Result<T, ModelError> {
    r.map_err(|mut e| {
        e.path = path.to_owned();
        e
    })
}

impl AchievementDefinitionDoc {
    /// Parses a JSON value, reporting unknown fields and wrong types with their path.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, ModelErrors> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = pointer_of(e.path());
            ModelError::new("achievement", path, e.inner().to_string()).into()
        })
    }

    /// Checks every element and builds the domain value, or lists every broken rule.
    pub fn parse(self) -> Result<AchievementDefinition, ModelErrors> {
        let mut errs = ModelErrors::default();
        let lang = |errs: &mut ModelErrors, d: Option<LangStringDoc>, el: &str| {
            d.and_then(|d| errs.take(d.parse(el, &format!("/{el}"))))
        };

        let title = required(&mut errs, self.title, "title", "a title")
            .and_then(|d| errs.take(d.parse("title", "/title")));
        let description = lang(&mut errs, self.description, "description");

        let learning_outcomes = required(
            &mut errs,
            self.learning_outcomes,
            "learningOutcomes",
            "a list of learning outcomes",
        )
        .and_then(|list| {
            if list.is_empty() {
                errs.push(ModelError::new(
                    "learningOutcomes",
                    "/learningOutcomes",
                    "at least one outcome is required",
                ));
                return None;
            }
            let mut out = Vec::new();
            for (i, lo) in list.into_iter().enumerate() {
                let base = format!("/learningOutcomes/{i}");
                let title = match lo.title {
                    Some(t) => errs.take(t.parse("learningOutcomes", &format!("{base}/title"))),
                    None => {
                        errs.push(ModelError::new(
                            "learningOutcomes",
                            format!("{base}/title"),
                            "each outcome needs a title",
                        ));
                        None
                    }
                };
                let skills: Vec<_> = lo
                    .esco_skills
                    .iter()
                    .enumerate()
                    .filter_map(|(j, s)| {
                        errs.take(at_exact(
                            EscoSkill::new(s),
                            &format!("{base}/escoSkills/{j}"),
                        ))
                    })
                    .collect();
                if let Some(title) = title {
                    out.push(LearningOutcome {
                        title,
                        esco_skills: skills,
                    });
                }
            }
            Some(out)
        });

        let workload = required(
            &mut errs,
            self.workload,
            "workload",
            "the notional workload",
        )
        .and_then(|w| {
            let ects = w
                .ects
                .and_then(|e| errs.take(at_exact(Ects::from_f64(e), "/workload/ects")));
            let hours = w
                .hours
                .and_then(|h| errs.take(at_exact(Hours::new(h), "/workload/hours")));
            if (w.ects.is_some() && ects.is_none()) || (w.hours.is_some() && hours.is_none()) {
                return None;
            }
            errs.take(Workload::new(ects, hours))
        });

        let eqf_level = required(&mut errs, self.eqf_level, "eqfLevel", "an EQF level (1-8)")
            .and_then(|n| {
                let r = u8::try_from(n)
                    .map_err(|_| {
                        ModelError::new(
                            "eqfLevel",
                            "",
                            format!("EQF level must be 1 to 8, not {n}"),
                        )
                    })
                    .and_then(EqfLevel::new);
                errs.take(at_exact(r, "/eqfLevel"))
            });
        let qf_ehea_cycle = self
            .qf_ehea_cycle
            .and_then(|c| errs.take(at_exact(QfEheaCycle::from_code(&c), "/qfEheaCycle")));
        let assessment_type = required(
            &mut errs,
            self.assessment_type,
            "assessmentType",
            "the type of assessment",
        )
        .and_then(|c| errs.take(at_exact(AssessmentType::from_code(&c), "/assessmentType")));
        let participation_form = required(
            &mut errs,
            self.participation_form,
            "participationForm",
            "the form of participation",
        )
        .and_then(|c| {
            errs.take(at_exact(
                ParticipationForm::from_code(&c),
                "/participationForm",
            ))
        });
        let learning_setting = self
            .learning_setting
            .and_then(|c| errs.take(at_exact(LearningSetting::from_code(&c), "/learningSetting")));
        let quality_assurance = required(
            &mut errs,
            self.quality_assurance,
            "qualityAssurance",
            "the type of quality assurance",
        )
        .and_then(|qa| {
            let kind = match qa.kind {
                Some(k) => errs.take(at_exact(
                    QualityAssuranceType::from_code(&k),
                    "/qualityAssurance/type",
                )),
                None => {
                    errs.push(ModelError::new(
                        "qualityAssurance",
                        "/qualityAssurance/type",
                        "the type of quality assurance is required",
                    ));
                    None
                }
            };
            let note = qa
                .note
                .and_then(|n| errs.take(n.parse("qualityAssurance", "/qualityAssurance/note")));
            kind.map(|kind| QualityAssurance { kind, note })
        });
        let earning_rules = self.earning_rules.and_then(|r| match r.parse() {
            Ok(r) => Some(r),
            Err(e) => {
                errs.0.extend(e.0);
                None
            }
        });
        let criteria = match (&self.criteria, &earning_rules) {
            (Some(_), Some(_)) => {
                errs.push(ModelError::new(
                    "criteria",
                    "/criteria",
                    "the criteria are written from earningRules; leave criteria out",
                ));
                None
            }
            (None, Some(r)) => Some(r.narrative()),
            _ => required(
                &mut errs,
                self.criteria,
                "criteria",
                "the assessment criteria (or earningRules)",
            )
            .and_then(|d| errs.take(d.parse("criteria", "/criteria"))),
        };
        let prerequisites = lang(&mut errs, self.prerequisites, "prerequisites");
        let supervision = self
            .supervision
            .and_then(|c| errs.take(at_exact(Supervision::from_code(&c), "/supervision")));
        let stackability = self.stackability.and_then(|s| {
            let integration = match s.integration {
                Some(i) => errs.take(at_exact(
                    Integration::from_code(&i),
                    "/stackability/integration",
                )),
                None => {
                    errs.push(ModelError::new(
                        "stackability",
                        "/stackability/integration",
                        "integration (standalone or stackable) is required",
                    ));
                    None
                }
            };
            let part_of: Vec<_> = s
                .part_of
                .iter()
                .enumerate()
                .filter_map(|(i, u)| {
                    errs.take(at_exact(
                        HttpUrl::new("stackability", u),
                        &format!("/stackability/partOf/{i}"),
                    ))
                })
                .collect();
            integration.map(|integration| Stackability {
                integration,
                part_of,
            })
        });
        let further_information = lang(&mut errs, self.further_information, "furtherInformation");
        let validity_period = self
            .validity_period
            .and_then(|p| errs.take(ValidityPeriod::parse(&p)));

        errs.finish(|| AchievementDefinition {
            title: title.expect("checked"),
            description,
            learning_outcomes: learning_outcomes.expect("checked"),
            workload: workload.expect("checked"),
            eqf_level: eqf_level.expect("checked"),
            qf_ehea_cycle,
            assessment_type: assessment_type.expect("checked"),
            participation_form: participation_form.expect("checked"),
            learning_setting,
            quality_assurance: quality_assurance.expect("checked"),
            criteria: criteria.expect("checked"),
            prerequisites,
            supervision,
            stackability,
            further_information,
            validity_period,
            earning_rules,
        })
    }
}

impl AchievementDefinition {
    /// Parses an achievement definition from JSON (wire form), listing every broken rule.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, ModelErrors> {
        AchievementDefinitionDoc::from_json(v)?.parse()
    }

    /// The wire form, as institutions write it.
    pub fn to_doc(&self) -> AchievementDefinitionDoc {
        AchievementDefinitionDoc {
            title: Some((&self.title).into()),
            description: self.description.as_ref().map(Into::into),
            learning_outcomes: Some(
                self.learning_outcomes
                    .iter()
                    .map(|lo| LearningOutcomeDoc {
                        title: Some((&lo.title).into()),
                        esco_skills: lo
                            .esco_skills
                            .iter()
                            .map(|s| s.as_str().to_owned())
                            .collect(),
                    })
                    .collect(),
            ),
            workload: Some(WorkloadDoc {
                ects: self
                    .workload
                    .ects()
                    .map(|e| f64::from(e.hundredths()) / 100.0),
                hours: self.workload.hours().map(|h| u64::from(h.get())),
            }),
            eqf_level: Some(i64::from(self.eqf_level.get())),
            qf_ehea_cycle: self.qf_ehea_cycle.map(|c| c.code().to_owned()),
            assessment_type: Some(self.assessment_type.code().to_owned()),
            participation_form: Some(self.participation_form.code().to_owned()),
            learning_setting: self.learning_setting.map(|c| c.code().to_owned()),
            quality_assurance: Some(QualityAssuranceDoc {
                kind: Some(self.quality_assurance.kind.code().to_owned()),
                note: self.quality_assurance.note.as_ref().map(Into::into),
            }),
            criteria: match self.earning_rules {
                Some(_) => None,
                None => Some((&self.criteria).into()),
            },
            prerequisites: self.prerequisites.as_ref().map(Into::into),
            supervision: self.supervision.map(|c| c.code().to_owned()),
            stackability: self.stackability.as_ref().map(|s| StackabilityDoc {
                integration: Some(s.integration.code().to_owned()),
                part_of: s.part_of.iter().map(|u| u.as_str().to_owned()).collect(),
            }),
            further_information: self.further_information.as_ref().map(Into::into),
            validity_period: self.validity_period.map(|p| p.to_iso()),
            earning_rules: self.earning_rules.as_ref().map(EarningRules::to_doc),
        }
    }
}

/// Turns a `serde_path_to_error` path into a JSON Pointer (RFC 6901).
pub fn pointer_of(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut s = String::new();
    for seg in p.iter() {
        match seg {
            Segment::Seq { index } => s.push_str(&format!("/{index}")),
            Segment::Map { key } => s.push_str(&format!("/{key}")),
            Segment::Enum { variant } => s.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    s
}
