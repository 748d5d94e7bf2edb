//! `microcred keygen`: a new Ed25519 key pair as Multikey JSON.

use std::path::Path;
use std::process::ExitCode;

use microcred_core::keys::{KeyFile, KeyPair};

/// Writes a new key (mode 0600 when written to a file).
pub fn run(out: Option<&Path>) -> ExitCode {
    let key = KeyPair::generate();
    let text = serde_json::to_string_pretty(&KeyFile::of(&key)).expect("serialisable") + "\n";
    let result = match out {
        None => super::files::write_output(None, &text),
        Some(p) => write_private(p, &text),
    };
    match result {
        Ok(()) => {
            if let Some(p) = out {
                eprintln!(
                    "wrote {} (did:key: {})",
                    p.display(),
                    key.public().did_key()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("microcred keygen: {e}");
            ExitCode::from(2)
        }
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}
