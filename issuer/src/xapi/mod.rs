//! xAPI: each institution's Learning Record Store for completions (xAPI 1.0.3, IEEE 9274.1.1
//! xAPI 2.0 where they differ; <https://github.com/adlnet/xAPI-Spec>).
//!
//! - [`clients`]: the Basic-auth credentials an institution makes for its sources.
//! - [`statement`]: a statement read and checked as the specification's Data part says.
//! - [`lrs`]: the statement resource (POST, PUT, GET by id, queries) and `about`.
//! - [`route`]: what a statement becomes - a Moodle inbox event for a completion reported by
//!   Moodle's logstore_xapi, confirmed and evaluated by the triggers' worker under the same
//!   exactly-once key as Moodle's own events - or, stored only, why not.

pub mod clients;
pub mod lrs;
pub mod route;
pub mod statement;
