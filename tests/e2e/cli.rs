//! `microcred verify | sign | keygen | canonicalize` as a user runs them.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_microcred"))
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("core/tests/fixtures")
        .join(rel)
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[test]
fn verify_exits_0_and_says_valid_for_a_peer_signed_credential() {
    let (code, out, _) = run(bin().arg("verify").arg(fixture("peer/signed-1.json")));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VALID"), "{out}");
    assert!(out.contains("[passed ] signature"));
}

#[test]
fn verify_exits_1_for_a_tampered_credential() {
    let (code, out, _) = run(bin()
        .arg("verify")
        .arg(fixture("peer/tampered-achievement-name.json")));
    assert_eq!(code, 1);
    assert!(out.starts_with("NOT VALID"), "{out}");
    assert!(out.contains("[FAILED ] signature"));
}

#[test]
fn verify_exits_2_with_the_reason_when_the_file_is_missing_or_not_json() {
    let (code, _, err) = run(bin().arg("verify").arg("/nonexistent/credential.json"));
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read /nonexistent/credential.json"),
        "{err}"
    );

    let dir = tempdir();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let (code, _, err) = run(bin().arg("verify").arg(&bad));
    assert_eq!(code, 2);
    assert!(err.contains("is not JSON"), "{err}");
}

#[test]
fn verify_json_prints_the_report_as_json() {
    let (code, out, _) = run(bin()
        .args(["verify", "--json"])
        .arg(fixture("vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json")));
    assert_eq!(code, 1, "the vector's issuer cannot be bound to its key");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verified"], false);
    let outcome = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["outcome"].clone())
    };
    assert_eq!(
        outcome("dataModel"),
        Some("passed".into()),
        "the vector conforms"
    );
    assert_eq!(outcome("proof"), Some("passed".into()));
    assert_eq!(outcome("issuerBinding"), Some("failed".into()));
}

#[test]
fn a_key_from_keygen_signs_a_credential_that_verifies_with_both_suites() {
    let dir = tempdir();
    let key = dir.join("key.json");
    let (code, _, err) = run(bin().args(["keygen", "--out"]).arg(&key));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("did:key:z6Mk"), "{err}");
    // The key file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
    }
    for suite in ["rdfc", "jcs"] {
        let signed = dir.join(format!("signed-{suite}.json"));
        let (code, _, err) = run(bin()
            .arg("sign")
            .arg(fixture("credentials/good/data-protection.json"))
            .arg("--key")
            .arg(&key)
            .args(["--suite", suite, "--issuer-from-key", "--out"])
            .arg(&signed));
        assert_eq!(code, 0, "{err}");
        let (code, out, _) = run(bin().arg("verify").arg(&signed));
        assert_eq!(code, 0, "{suite}: {out}");
        assert!(out.contains("[passed ] schema conformance"), "{out}");
    }
}

#[test]
fn sign_refuses_a_document_with_an_undefined_term_and_says_why() {
    let dir = tempdir();
    let key = dir.join("key.json");
    run(bin().args(["keygen", "--out"]).arg(&key));
    let doc = dir.join("doc.json");
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("peer/unsigned-badge.json")).unwrap(),
    )
    .unwrap();
    v["favouriteColour"] = "green".into();
    std::fs::write(&doc, v.to_string()).unwrap();
    let (code, _, err) = run(bin().arg("sign").arg(&doc).arg("--key").arg(&key));
    assert_eq!(code, 2);
    assert!(err.contains("favouriteColour"), "{err}");
}

#[test]
fn canonicalize_prints_the_vector_canonical_form() {
    let (code, out, _) = run(bin()
        .arg("canonicalize")
        .arg(fixture("vc-di-eddsa/unsigned.json")));
    assert_eq!(code, 0);
    assert_eq!(
        out,
        std::fs::read_to_string(fixture("vc-di-eddsa/eddsa-rdfc-2022/canonDocDataInt.txt"))
            .unwrap()
    );
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "microcred-e2e-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn between<'a>(text: &'a str, begin: &str, end: &str) -> &'a str {
    let start = text.find(begin).unwrap_or_else(|| panic!("no `{begin}`")) + begin.len();
    let stop = start
        + text[start..]
            .find(end)
            .unwrap_or_else(|| panic!("no `{end}`"));
    &text[start..stop]
}

/// Asserts that the walk between the markers of `doc` is the walk of `script` (both relative to
/// the repository); the walk.
fn assert_same_walk(doc: &str, script: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let doc_text = std::fs::read_to_string(root.join(doc)).unwrap();
    let script_text = std::fs::read_to_string(root.join(script)).unwrap();
    let in_doc = between(
        &doc_text,
        "<!-- walk:begin -->\n```sh\n",
        "```\n<!-- walk:end -->",
    );
    let in_script = between(&script_text, "# --- walk:begin\n", "# --- walk:end\n");
    assert_eq!(
        in_doc, in_script,
        "{doc}'s walk and {script} must be the same commands"
    );
    in_doc.to_owned()
}

#[test]
fn the_readme_walk_is_the_walkthrough_script() {
    let in_readme = assert_same_walk("README.md", "examples/walkthrough.sh");
    assert!(!in_readme.contains("..."), "every command is complete");
}

#[test]
fn verify_checks_the_seal_of_the_commissions_sealed_europass_sample() {
    let sample = fixture("elm/Sample-MC-Annex1-signed.jsonld");
    let (code, out, _) = run(bin().arg("verify").arg(&sample));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("SEAL VALID"), "{out}");
    assert!(
        out.contains("TEST SEAL") && out.contains("expired since"),
        "{out}"
    );
    assert!(
        out.contains("not checked against the EU Trusted List"),
        "{out}"
    );
    let dir = tempdir();
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["payload"] = doc["payload"]
        .as_str()
        .unwrap()
        .replacen("2023", "2024", 1)
        .into();
    let tampered = dir.join("tampered.jsonld");
    std::fs::write(&tampered, doc.to_string()).unwrap();
    let (code, out, _) = run(bin().arg("verify").arg(&tampered));
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("SEAL NOT VALID"), "{out}");
}

#[test]
fn the_moodle_walk_is_the_moodle_walk_script() {
    assert_same_walk("docs/moodle.md", "examples/moodle-walk.sh");
}

#[test]
fn the_sources_walk_is_the_sources_walk_script() {
    assert_same_walk("docs/sources.md", "examples/sources-walk.sh");
}

#[test]
fn the_log_has_no_colour_codes_when_written_to_a_file_and_names_the_setup_token() {
    let dir = tempdir();
    let log = std::fs::File::create(dir.join("microcred.log")).unwrap();
    let mut child = bin()
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let path = dir.join("microcred.log");
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("microcred ready") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("setup_token=mc_"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI escape codes in a file: {text}"
    );
}

#[test]
fn the_europass_walk_is_the_europass_walk_script() {
    assert_same_walk("docs/europass.md", "examples/europass-walk.sh");
}

#[test]
fn bench_prints_both_paths_as_a_table_and_as_json() {
    let (code, out, err) = run(bin().args(["bench", "-n", "3"]));
    assert_eq!(code, 0, "{err}");
    for row in [
        "sign OB3 badge",
        "verify OB3 badge",
        "sign EU micro-credential",
        "verify EU micro-credential",
    ] {
        assert!(out.contains(row), "{out}");
    }
    let (code, out, err) = run(bin().args(["bench", "-n", "3", "--json"]));
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    for who in ["ours", "reference_path"] {
        assert!(report[who]["sign_ms"].as_f64().unwrap() > 0.0, "{report}");
        assert!(
            report[who]["eu_micro_credential"]["verify_ms"]
                .as_f64()
                .unwrap()
                > 0.0
        );
    }
    assert!(report["speedup_over_reference_path"]["sign OB3 badge"].is_number());
}
