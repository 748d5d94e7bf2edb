//! Integration tests of microcred-core: W3C vectors, interop fixtures, model and schema.

mod data_model;
mod europass;
mod fast_path;
mod fixtures;
mod fuzzed;
mod interop;
pub mod model;
mod outbound;
mod poison;
mod seal;
mod status;
mod vectors;
