//! Completions from sources other than Moodle's web services: an xAPI source naming learners
//! by e-mail or account, a registrar's completions file (CSV), a quiz taken here. Each source
//! only writes *learning records* - what it reports of one learner for one achievement - and
//! every record is evaluated at once against the achievement's earning rules, the same rules
//! Moodle's triggers apply ([`microcred_core::model::EarningRules`]), then issued through the
//! one signing pipeline.
//!
//! - [`learners`]: the people an institution knows, and the identifiers by which a source
//!   names them (e-mail and its xAPI `mbox_sha1sum`, national id, xAPI account, OpenID).
//! - [`activities`]: which outside activity (an xAPI activity IRI, a course code in a file)
//!   stands for which achievement - the course itself, or a quiz named in its rules.
//! - [`evaluate`]: a learner's live records for an achievement become a
//!   [`microcred_core::model::CourseRecord`] (completed when the latest completion says, best
//!   grade of the course and of each quiz); earned means issued, exactly once: the
//!   credential's idempotency key is `learner:{learner}:{achievement}`, so the same completion
//!   reported by two sources, twice, or re-evaluated, issues once.
//! - [`xapi`]: what an xAPI statement records; [`csv`]: a completions file, row by row with a
//!   report; [`reevaluate`]: replays stored statements and evaluates every learner again
//!   after the criteria changed.
//!
//! An achievement without earning rules is earned by a completion (`courseCompleted`).

pub mod activities;
pub mod csv;
pub mod evaluate;
pub mod learners;
pub mod reevaluate;
pub mod xapi;
