//! End-to-end tests of the `microcred` binary.

mod cli;
