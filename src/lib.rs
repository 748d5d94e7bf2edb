//! The `microcred` application: configuration and the composition of the issuer, verifier and
//! (later) wallet routers into one server on one database. `main.rs` only parses the command
//! line and calls into this crate.

pub mod app;
pub mod config;
pub mod db;
pub mod limits;
pub mod wiring;

pub use app::Application;
pub use config::{Config, Services};
