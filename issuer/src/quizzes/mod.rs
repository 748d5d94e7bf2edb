//! Quizzes without an LMS: question banks imported from the formats MLearn's Moodle imports
//! (GIFT, Aiken), quizzes that draw on a bank for an achievement, and attempts learners take
//! through the API - graded automatically (essays by an instructor); a finished attempt
//! becomes learning records ([`crate::completions`]) evaluated against the achievement's
//! earning rules at once, so a pass issues the credential.
//!
//! - [`gift`], [`aiken`]: the parsers (pure functions; fuzzed); [`question`]: what they make.
//! - [`grade`]: grading one answer; what a learner is shown.
//! - [`banks`]: importing a file (all or nothing, errors with line numbers), reading a bank.
//! - [`quiz`]: defining a quiz; [`attempts`]: start, read, submit, an instructor's grade.

pub mod aiken;
pub mod attempts;
pub mod banks;
pub mod gift;
pub mod grade;
pub mod question;
pub mod quiz;
