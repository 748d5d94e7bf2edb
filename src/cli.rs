//! The command line (clap): `serve`, `verify`, `sign`, `keygen`, `bench`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Issue, hold and verify European micro-credentials (W3C Verifiable Credentials 2.0,
/// Open Badges 3.0, EU Council Recommendation 2022/C 243/02).
#[derive(Debug, Parser)]
#[command(name = "microcred", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A Data Integrity cryptosuite.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Suite {
    /// eddsa-rdfc-2022 (RDF canonicalization; what OB3 wallets expect).
    Rdfc,
    /// eddsa-jcs-2022 (JSON canonicalization).
    Jcs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify a credential: prints the report, exits 0 when valid, 1 when not, 2 when the
    /// file cannot be read or parsed.
    Verify {
        /// The credential (JSON); `-` reads standard input.
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// A DID document to trust for a did:web issuer (repeatable); did:key needs none.
        #[arg(long = "did-document", value_name = "FILE")]
        did_documents: Vec<PathBuf>,
        /// Check validity at this time (RFC 3339) instead of now.
        #[arg(long, value_name = "DATETIME")]
        at: Option<String>,
    },
    /// Create an Ed25519 key pair (Multikey JSON, as the W3C vectors' keyPair.json).
    Keygen {
        /// Write the key here (mode 0600) instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Sign a credential (JSON) with a key made by `keygen`.
    Sign {
        /// The unsigned credential; `-` reads standard input.
        file: PathBuf,
        /// The key file.
        #[arg(long, short)]
        key: PathBuf,
        /// Verification method id; defaults to the key's did:key.
        #[arg(long, value_name = "DID_URL")]
        verification_method: Option<String>,
        /// Cryptosuite.
        #[arg(long, value_enum, default_value = "rdfc")]
        suite: Suite,
        /// Set the credential's issuer (id) to the did:key of the key before signing.
        #[arg(long)]
        issuer_from_key: bool,
        /// Write the signed credential here instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Print the canonical form a proof signs (RDFC-1.0 N-Quads, or RFC 8785 JCS), the
    /// `proof` removed: for comparing with another implementation.
    Canonicalize {
        /// The credential; `-` reads standard input.
        file: PathBuf,
        /// Cryptosuite whose canonical form to print.
        #[arg(long, value_enum, default_value = "rdfc")]
        suite: Suite,
    },
    /// Measure signing and verification per credential, ours and (if present) the Node peer
    /// (`node peer.mjs bench`) in the same run.
    Bench {
        /// Credentials to sign and verify.
        #[arg(long, short, default_value_t = 200)]
        n: usize,
        /// Folder of the peer implementation, with its node_modules installed.
        #[arg(long, value_name = "DIR")]
        peer: Option<PathBuf>,
    },
}
