//! Use-case tests of the issuer, without HTTP: the pipeline, idempotency races, and the
//! all-or-nothing of a correction, on SQLite and PostgreSQL (a fresh database per test,
//! dropped even when the test fails).

mod support;
mod use_cases;
