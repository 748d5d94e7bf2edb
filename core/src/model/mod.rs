//! The credential model: EU Council Recommendation 2022/C 243/02 Annex I elements as Rust
//! types that cannot hold invalid values.

mod achievement;
mod credential;
mod earning;
mod error;
mod lang;
mod values;
mod vocab;

pub use achievement::pointer_of as json_pointer;
pub use achievement::{
    AchievementDefinition, AchievementDefinitionDoc, LearningOutcome, LearningOutcomeDoc,
    QualityAssurance, QualityAssuranceDoc, Stackability, StackabilityDoc, Workload, WorkloadDoc,
};
pub(crate) use credential::rfc3339;
pub use credential::{
    credential_context, parse_datetime, AwardingBody, Did, Evidence, IdentityType,
    IssuedAchievement, Learner, LearnerIdentity, MicroCredential, PostalAddress, CREDENTIALS_V2,
};
pub use earning::{
    Combine, Completion, CourseRecord, EarningRules, EarningRulesDoc, Evaluation, GradeResult,
    Percent, Rule, RuleDoc,
};
pub use error::{ModelError, ModelErrors};
pub use lang::{LangString, LangStringDoc};
pub use values::{
    CountryCode, Ects, EqfLevel, EscoSkill, Hours, HttpUrl, ValidityPeriod, ISO_3166_ALPHA2,
};
pub use vocab::{
    AssessmentType, Integration, LearningSetting, ParticipationForm, QfEheaCycle,
    QualityAssuranceType, Supervision,
};
