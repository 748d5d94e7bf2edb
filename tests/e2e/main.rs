//! End-to-end tests of the `microcred` binary and server.

mod bulk;
mod cli;
mod completions;
mod exports;
mod hostile;
mod integrity;
mod moodle;
mod quizzes;
mod service;
mod status;
pub mod support;
mod xapi;
