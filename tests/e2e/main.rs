//! End-to-end tests of the `microcred` binary and server.

mod cli;
mod service;
pub mod support;
