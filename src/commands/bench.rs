//! `microcred bench`: sign and verify N Open Badges 3.0 credentials (the same credential the
//! peer's `bench` uses), ours and the Node peer's in the same run, and print the ratios.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use microcred_core::did::StaticResolver;
use microcred_core::keys::KeyPair;
use microcred_core::proof::{self, Cryptosuite, ProofOptions};
use microcred_core::verify::verify_credential;
use serde_json::json;
use time::OffsetDateTime;

/// The peer's benchmark credential (shared/peer/peer.mjs `badge`).
fn badge(issuer: &str, i: usize) -> serde_json::Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": format!("urn:uuid:5b0b6f1c-6a4e-4d57-9d0e-{i:012}"),
        "type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "Introduction to data protection",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example Institution"}, "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "id": "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r",
            "achievement": {"id": "https://issuer.example/achievements/gdpr-101", "type": ["Achievement"],
                "name": "Introduction to data protection", "description": "Personal data protection for public servants",
                "criteria": {"narrative": "Score at least 80% in the final quiz"}}}
    })
}

fn peer_bench(dir: &Path, n: usize) -> Result<serde_json::Value, String> {
    let out = std::process::Command::new("node")
        .arg("peer.mjs")
        .arg("bench")
        .arg(n.to_string())
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// Our full EU micro-credential (every Annex I element), the issuer set to `issuer`.
fn eu_credential(issuer: &str, i: usize) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(include_str!(
        "../../examples/credential-data-protection.json"
    ))
    .expect("example is JSON");
    v["issuer"]["id"] = issuer.into();
    v["id"] = format!("urn:uuid:2f1d3c4e-8a5b-4c6d-9e7f-{i:012}").into();
    v
}

/// Signs and verifies `n` documents made by `make`; ms per credential.
async fn measure(
    n: usize,
    key: &KeyPair,
    opts: &ProofOptions,
    make: impl Fn(usize) -> serde_json::Value,
) -> Result<(f64, f64), String> {
    let resolver = StaticResolver::new();
    let t = Instant::now();
    let signed: Vec<_> = (1..=n)
        .map(|i| proof::sign(&make(i), key, opts).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let sign_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let t = Instant::now();
    for c in &signed {
        let r = verify_credential(
            c,
            &resolver,
            &microcred_core::status::NoStatusLists,
            OffsetDateTime::now_utc(),
        )
        .await;
        if !r.verified {
            return Err(format!("our own credential failed:\n{}", r.to_text()));
        }
    }
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    Ok((sign_ms, verify_ms))
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Prints one JSON object: ours, the peer's (if any) and ours/peer ratios (< 1 is faster).
pub async fn run(n: usize, peer: Option<&Path>) -> ExitCode {
    let n = n.max(1);
    let key = KeyPair::generate();
    let did = key.public().did_key().to_string();
    let vm = key.public().did_key_method();
    let opts = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm);
    // Warm-up (contexts parsed once).
    if let Err(e) = measure(1, &key, &opts, |i| badge(&did, i)).await {
        eprintln!("microcred bench: {e}");
        return ExitCode::from(1);
    }
    let (sign_ms, verify_ms) = match measure(n, &key, &opts, |i| badge(&did, i)).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("microcred bench: {e}");
            return ExitCode::from(1);
        }
    };
    let (eu_sign, eu_verify) = match measure(n, &key, &opts, |i| eu_credential(&did, i)).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("microcred bench: {e}");
            return ExitCode::from(1);
        }
    };
    let ours = json!({"implementation": "microcred (rust)", "n": n,
        "sign_ms": round(sign_ms), "verify_ms": round(verify_ms),
        "eu_micro_credential": {"sign_ms": round(eu_sign), "verify_ms": round(eu_verify)}});

    let mut report = json!({"ours": ours});
    if let Some(dir) = peer {
        match peer_bench(dir, n) {
            Ok(p) => {
                let ratio = |k: &str| {
                    let ours = report["ours"][k].as_f64().unwrap_or(f64::NAN);
                    let theirs = p[k].as_f64().unwrap_or(f64::NAN);
                    ((ours / theirs) * 100.0).round() / 100.0
                };
                let r = json!({"sign": ratio("sign_ms"), "verify": ratio("verify_ms")});
                report["peer"] = p;
                report["ratio_ours_to_peer"] = r;
            }
            Err(e) => report["peer_error"] = e.into(),
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("serialisable")
    );
    ExitCode::SUCCESS
}
