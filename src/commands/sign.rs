//! `microcred sign FILE --key KEY`: adds a Data Integrity proof.

use std::path::Path;
use std::process::ExitCode;

use microcred_core::keys::KeyFile;
use microcred_core::proof::{self, Cryptosuite, ProofOptions};

use super::files::{read_input, write_output};
use crate::cli::Suite;

fn fail(msg: String) -> ExitCode {
    eprintln!("microcred sign: {msg}");
    ExitCode::from(2)
}

/// Signs the credential; exit 2 with the reason when it cannot.
pub fn run(
    file: &Path,
    key: &Path,
    verification_method: Option<String>,
    suite: Suite,
    issuer_from_key: bool,
    out: Option<&Path>,
) -> ExitCode {
    let key = match std::fs::read_to_string(key)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<KeyFile>(&t).map_err(|e| e.to_string()))
        .and_then(|k| k.key_pair().map_err(|e| e.to_string()))
    {
        Ok(k) => k,
        Err(e) => return fail(format!("key {}: {e}", key.display())),
    };
    let mut doc: serde_json::Value = match read_input(file)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => return fail(format!("{}: {e}", file.display())),
    };
    if issuer_from_key {
        let did = key.public().did_key().to_string();
        match doc.get_mut("issuer") {
            Some(serde_json::Value::Object(o)) => {
                o.insert("id".into(), did.into());
            }
            _ => doc["issuer"] = did.into(),
        }
    }
    let suite = match suite {
        Suite::Rdfc => Cryptosuite::EddsaRdfc2022,
        Suite::Jcs => Cryptosuite::EddsaJcs2022,
    };
    let vm = verification_method.unwrap_or_else(|| key.public().did_key_method());
    match proof::sign(&doc, &key, &ProofOptions::assertion(suite, vm)) {
        Ok(signed) => {
            let text = serde_json::to_string_pretty(&signed).expect("serialisable") + "\n";
            match write_output(out, &text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e.to_string()),
            }
        }
        Err(e) => fail(e.to_string()),
    }
}
