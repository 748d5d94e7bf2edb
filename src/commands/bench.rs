//! `microcred bench`: sign and verify N credentials - the peer's Open Badges 3.0 badge and our
//! full EU micro-credential - on the fast canonicalisation path and on the reference path (ssi's
//! JSON-LD expansion, today's path before the fast one), and the Node peer's figures for the
//! same two credentials in the same run; medians per credential, a table or `--json`.

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

const EU_EXAMPLE: &str = include_str!("../../examples/credential-data-protection.json");

/// Our full EU micro-credential (every Annex I element), the issuer set to `issuer`.
fn eu_credential(issuer: &str, i: usize) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(EU_EXAMPLE).expect("example is JSON");
    v["issuer"]["id"] = issuer.into();
    v["id"] = format!("urn:uuid:2f1d3c4e-8a5b-4c6d-9e7f-{i:012}").into();
    v
}

/// The peer's figures: `peer-bench.mjs` (medians, both credentials) when the folder has it,
/// else `peer.mjs bench` (means, the badge only).
fn peer_bench(dir: &Path, n: usize) -> Result<serde_json::Value, String> {
    let mut cmd = std::process::Command::new("node");
    let tmp = std::env::temp_dir().join(format!("microcred-bench-{}", std::process::id()));
    if dir.join("peer-bench.mjs").exists() {
        std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
        let ctx = tmp.join("microcred-v1.jsonld");
        let eu = tmp.join("eu.json");
        std::fs::write(&ctx, microcred_schemas::MICROCRED_V1).map_err(|e| e.to_string())?;
        std::fs::write(&eu, EU_EXAMPLE).map_err(|e| e.to_string())?;
        cmd.arg("peer-bench.mjs")
            .arg(n.to_string())
            .arg(&ctx)
            .arg(&eu);
    } else {
        cmd.arg("peer.mjs").arg("bench").arg(n.to_string());
    }
    let out = cmd
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run node: {e}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let out = out?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Signs and verifies `n` documents made by `make`; median ms per credential.
async fn measure(
    n: usize,
    key: &KeyPair,
    opts: &ProofOptions,
    make: impl Fn(usize) -> serde_json::Value,
) -> Result<(f64, f64), String> {
    let resolver = StaticResolver::new();
    let mut sign_times = Vec::with_capacity(n);
    let mut signed = Vec::with_capacity(n);
    for i in 1..=n {
        let doc = make(i);
        let t = Instant::now();
        signed.push(proof::sign(&doc, key, opts).map_err(|e| e.to_string())?);
        sign_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut verify_times = Vec::with_capacity(n);
    for c in &signed {
        let t = Instant::now();
        let r = verify_credential(
            c,
            &resolver,
            &microcred_core::status::NoStatusLists,
            OffsetDateTime::now_utc(),
        )
        .await;
        verify_times.push(t.elapsed().as_secs_f64() * 1000.0);
        if !r.verified {
            return Err(format!("our own credential failed:\n{}", r.to_text()));
        }
    }
    Ok((median(sign_times), median(verify_times)))
}

fn round(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

/// Runs the benchmark and prints the table (or JSON).
pub async fn run(n: usize, peer: Option<&Path>, as_json: bool) -> ExitCode {
    match bench(n.max(1), peer).await {
        Ok(report) => {
            if as_json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("serialisable")
                );
            } else {
                print_table(&report);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("microcred bench: {e}");
            ExitCode::from(1)
        }
    }
}

async fn bench(n: usize, peer: Option<&Path>) -> Result<serde_json::Value, String> {
    let key = KeyPair::generate();
    let did = key.public().did_key().to_string();
    let vm = key.public().did_key_method();
    let opts = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm);
    let mut figures = serde_json::Map::new();
    // Each path signs its own credentials (other ids), so that nothing one path verified is
    // remembered for the other.
    for (path, reference_only, base) in [("ours", false, 0), ("reference_path", true, 1 << 30)] {
        proof::use_reference_path_only(reference_only);
        measure(2, &key, &opts, |i| badge(&did, base + n + i)).await?; // warm-up
        let (s, v) = measure(n, &key, &opts, |i| badge(&did, base + i)).await?;
        let (es, ev) = measure(n, &key, &opts, |i| eu_credential(&did, base + i)).await?;
        figures.insert(
            path.into(),
            json!({"sign_ms": round(s), "verify_ms": round(v),
                "eu_micro_credential": {"sign_ms": round(es), "verify_ms": round(ev)}}),
        );
    }
    proof::use_reference_path_only(false);
    let mut report = json!({
        "n": n,
        "statistic": "median per credential",
        "ours": figures["ours"],
        "reference_path": figures["reference_path"],
    });
    if let Some(dir) = peer {
        match peer_bench(dir, n) {
            Ok(p) => report["peer"] = p,
            Err(e) => report["peer_error"] = e.into(),
        }
    }
    // How many times faster ours is than the peer and than the reference path.
    for (against, key) in [
        ("peer", "speedup_over_peer"),
        ("reference_path", "speedup_over_reference_path"),
    ] {
        let mut s = serde_json::Map::new();
        for (op, pointer) in OPERATIONS {
            let ours = report["ours"].pointer(pointer).and_then(|v| v.as_f64());
            let theirs = report[against].pointer(pointer).and_then(|v| v.as_f64());
            if let (Some(o), Some(t)) = (ours, theirs) {
                s.insert((*op).into(), json!(((t / o) * 10.0).round() / 10.0));
            }
        }
        if !s.is_empty() {
            report[key] = s.into();
        }
    }
    Ok(report)
}

const OPERATIONS: &[(&str, &str)] = &[
    ("sign OB3 badge", "/sign_ms"),
    ("verify OB3 badge", "/verify_ms"),
    ("sign EU micro-credential", "/eu_micro_credential/sign_ms"),
    (
        "verify EU micro-credential",
        "/eu_micro_credential/verify_ms",
    ),
];

fn print_table(r: &serde_json::Value) {
    let cell = |who: &str, pointer: &str| {
        r[who]
            .pointer(pointer)
            .and_then(|v| v.as_f64())
            .map(|x| format!("{x:.3}"))
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "microcred bench: eddsa-rdfc-2022, n = {}, median ms per credential",
        r["n"]
    );
    println!(
        "{:<28} {:>9} {:>15} {:>9} {:>14} {:>18}",
        "operation", "ours", "reference path", "peer", "peer / ours", "reference / ours"
    );
    for (op, pointer) in OPERATIONS {
        let ratio = |k: &str| {
            r[k].get(*op)
                .and_then(|v| v.as_f64())
                .map(|x| format!("{x:.1}x"))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<28} {:>9} {:>15} {:>9} {:>14} {:>18}",
            op,
            cell("ours", pointer),
            cell("reference_path", pointer),
            cell("peer", pointer),
            ratio("speedup_over_peer"),
            ratio("speedup_over_reference_path"),
        );
    }
    if let Some(p) = r["peer"]["implementation"].as_str() {
        println!("peer: {p}");
    }
    if let Some(e) = r["peer_error"].as_str() {
        println!("peer not measured: {e}");
    }
}
