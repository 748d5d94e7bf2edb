//! `microcred verify FILE`: the verification report in words (or JSON).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::collections::HashMap;
use std::sync::Arc;

use microcred_core::did::DidDocument;
use microcred_core::model::Did;
use microcred_core::verify::verify_credential;
use microcred_verifier::resolver::{LocalDids, LocalFuture};
use microcred_verifier::{NoLocalStatusLists, Resolver, StatusLists};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::files::read_input;

fn fail(msg: String) -> ExitCode {
    eprintln!("microcred verify: {msg}");
    ExitCode::from(2)
}

/// Exit 0 when valid, 1 when not, 2 when the input cannot be read or parsed.
/// `insecure_outbound` allows plain http and private addresses (a local development server).
pub async fn run(
    file: &Path,
    json: bool,
    did_documents: &[PathBuf],
    at: Option<&str>,
    insecure_outbound: bool,
) -> ExitCode {
    let text = match read_input(file) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {}: {e}", file.display())),
    };
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return fail(format!("{} is not JSON: {e}", file.display())),
    };
    if !doc.is_object() {
        return fail(format!("{} is not a JSON object", file.display()));
    }
    if microcred_core::jades::is_sealed(&doc) {
        return seal(&doc, json, at);
    }
    let mut given = HashMap::new();
    for p in did_documents {
        let parsed = std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<DidDocument>(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(d) => {
                given.insert(d.id.clone(), d);
            }
            Err(e) => return fail(format!("DID document {}: {e}", p.display())),
        }
    }
    // did:key locally; did:web from the given documents, else over HTTPS; status lists over
    // HTTPS; public addresses only unless told otherwise.
    if insecure_outbound {
        eprintln!("microcred verify: --insecure-outbound: plain http and private addresses are fetched (development only)");
    }
    let outbound = microcred_core::outbound::Outbound::new(
        std::time::Duration::from_secs(5),
        "microcred-verify",
        insecure_outbound,
    );
    let resolver = Resolver::new(Arc::new(GivenDids(given)), outbound.clone());
    let status = StatusLists::new(Arc::new(NoLocalStatusLists), outbound);
    let now = match at {
        None => OffsetDateTime::now_utc(),
        Some(s) => match OffsetDateTime::parse(s, &Rfc3339) {
            Ok(t) => t,
            Err(_) => return fail(format!("--at `{s}` is not an RFC 3339 date-time")),
        },
    };
    let report = verify_credential(&doc, &resolver, &status, now).await;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    } else {
        print!("{}", report.to_text());
    }
    if report.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// DID documents given with `--did-document`.
struct GivenDids(HashMap<String, DidDocument>);

impl LocalDids for GivenDids {
    fn resolve_local<'a>(&'a self, did: &'a Did) -> LocalFuture<'a> {
        Box::pin(async move { self.0.get(did.as_str()).cloned() })
    }
}

/// A sealed European Digital Credential (JAdES): the seal check.
fn seal(doc: &serde_json::Value, json: bool, at: Option<&str>) -> ExitCode {
    let now = match at.map(|s| OffsetDateTime::parse(s, &Rfc3339)) {
        None => OffsetDateTime::now_utc(),
        Some(Ok(t)) => t,
        Some(Err(_)) => return fail("--at is not an RFC 3339 date-time".into()),
    };
    match microcred_core::jades::verify_seal(doc, now) {
        Ok(r) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&r).expect("serialisable")
                );
            } else {
                print!("{}", r.to_text());
            }
            if r.holds() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => fail(e.to_string()),
    }
}
