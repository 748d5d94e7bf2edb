//! One module per subcommand.

mod bench;
mod canonicalize;
mod keygen;
mod serve;
mod sign;
mod verify;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand and gives the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        return serve::run_default().await;
    };
    match command {
        Command::Serve(args) => serve::run(args).await,
        Command::Verify {
            file,
            json,
            did_documents,
            at,
        } => verify::run(&file, json, &did_documents, at.as_deref()).await,
        Command::Keygen { out } => keygen::run(out.as_deref()),
        Command::Sign {
            file,
            key,
            verification_method,
            suite,
            issuer_from_key,
            out,
        } => sign::run(
            &file,
            &key,
            verification_method,
            suite,
            issuer_from_key,
            out.as_deref(),
        ),
        Command::Canonicalize { file, suite } => canonicalize::run(&file, suite),
        Command::Bench { n, peer } => bench::run(n, peer.as_deref()).await,
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &std::path::Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
}

/// Writes to a file or standard output.
pub fn write_output(path: Option<&std::path::Path>, text: &str) -> std::io::Result<()> {
    match path {
        Some(p) => std::fs::write(p, text),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
    }
}
