//! `microcred canonicalize FILE`: the exact text a Data Integrity proof hashes.

use std::path::Path;
use std::process::ExitCode;

use microcred_core::proof::{canonical_json, canonical_nquads};

use super::files::read_input;
use crate::cli::Suite;

/// Prints the canonical form of the document without its proof.
pub fn run(file: &Path, suite: Suite) -> ExitCode {
    let mut doc: serde_json::Value = match read_input(file)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("microcred canonicalize: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    if let Some(o) = doc.as_object_mut() {
        o.remove("proof");
    }
    match suite {
        Suite::Jcs => println!("{}", canonical_json(&doc)),
        Suite::Rdfc => match canonical_nquads(&doc) {
            Ok(lines) => print!("{}", lines.concat()),
            Err(e) => {
                eprintln!("microcred canonicalize: {e}");
                return ExitCode::from(1);
            }
        },
    }
    ExitCode::SUCCESS
}
