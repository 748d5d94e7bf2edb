//! SQL, one module per table, functions named `verb_noun`. Every function takes a connection
//! (`&mut AnyConnection`), so a use case composes them in one transaction. Queries are
//! portable between SQLite and PostgreSQL (sqlx `Any` driver, `$n` placeholders in increasing
//! order) and return row types (`#[derive(sqlx::FromRow)]`), never domain types.

pub mod achievements;
pub mod activity_mappings;
pub mod api_tokens;
pub mod bulk_job_rows;
pub mod bulk_jobs;
mod conventions;
pub mod credential_events;
pub mod credentials;
pub mod evaluations;
pub mod hook_replays;
pub mod institution_eseals;
pub mod institution_logos;
pub mod institution_webhooks;
pub mod institutions;
pub mod learner_evaluations;
pub mod learners;
pub mod learning_records;
pub mod moodle_connections;
pub mod moodle_courses;
pub mod moodle_observations;
pub mod notifications;
pub mod platform_setup;
pub mod question_banks;
pub mod quiz_attempts;
pub mod quizzes;
pub mod signing_keys;
pub mod status_allocations;
pub mod status_lists;
pub mod trigger_inbox;
pub mod webhook_deliveries;
pub mod xapi_clients;
pub mod xapi_statements;

pub use conventions::{
    now, now_ms, pool_options, rfc3339, rfc3339_ms, unique_violation_on, values_list, Db,
    ROWS_PER_INSERT,
};
