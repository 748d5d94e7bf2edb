//! The command line (clap): `serve`, `verify`, `sign`, `keygen`, `bench`.

use std::path::PathBuf;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Issue, hold and verify European micro-credentials (W3C Verifiable Credentials 2.0,
/// Open Badges 3.0, EU Council Recommendation 2022/C 243/02).
#[derive(Debug, Parser)]
#[command(name = "microcred", version, about)]
pub struct Cli {
    /// What to do (default: `serve --demo`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options of `microcred serve` (its `Debug` hides the master key and database password).
#[derive(Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MICROCRED_BIND", default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Public base URL (https in production); DIDs and QR codes are built from it.
    /// Default: http://<bind>.
    #[arg(long, env = "MICROCRED_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Database: sqlite://FILE or postgres://USER@HOST/DB. Default: an SQLite file in the data
    /// folder, created on first run.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder for the SQLite file and the master key file.
    #[arg(long, env = "MICROCRED_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Master key (base64 of 32 bytes) encrypting signing keys; default: the file
    /// <data>/master.key, created on first run.
    #[arg(long, env = "MICROCRED_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// On an empty database, create a demo institution and print its API token.
    #[arg(long, env = "MICROCRED_DEMO")]
    pub demo: bool,
    /// Services to run: all, or a comma-separated list of issuer, verifier, wallet.
    #[arg(long, env = "MICROCRED_SERVICES", default_value = "all")]
    pub services: String,
    /// Public requests per minute per client IP.
    #[arg(long, env = "MICROCRED_RATE_LIMIT", default_value_t = 300)]
    pub rate_limit_per_minute: u32,
    /// Largest request body in bytes.
    #[arg(long, env = "MICROCRED_MAX_BODY", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// A reverse proxy whose X-Forwarded-For is believed (address or CIDR, repeatable; the
    /// client is the right-most hop that is not a trusted proxy).
    #[arg(
        long = "trusted-proxy",
        env = "MICROCRED_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "ADDR[/PREFIX]"
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// SMTP server for learner e-mails: smtp://USER:PASSWORD@HOST:587 (STARTTLS required
    /// unless the host is local or ?tls= says otherwise) or smtps://HOST:465. Without it,
    /// messages wait in the outbox.
    #[arg(long, env = "MICROCRED_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender address of learner e-mails (the sender name is the institution's).
    #[arg(long, env = "MICROCRED_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Development only: fetch did:web documents, status lists, Moodle sites and webhooks
    /// over plain http and from loopback and private addresses (refused otherwise).
    #[arg(long, env = "MICROCRED_INSECURE_OUTBOUND")]
    pub insecure_outbound: bool,
    /// RFC 3161 timestamp authority (https://USER:PASSWORD@tsa.example/): sealed Europass
    /// credentials get a trusted timestamp (JAdES baseline T). Without it, baseline B.
    #[arg(long, env = "MICROCRED_TSA_URL", hide_env_values = true)]
    pub tsa_url: Option<String>,
    /// Seconds a worker holds a Moodle trigger item before another instance may take it over.
    #[arg(long, env = "MICROCRED_TRIGGER_LEASE_SECONDS", default_value_t = 120)]
    pub trigger_lease_seconds: u64,
    /// First retry delay of a failed Moodle trigger item, in seconds (doubles up to an hour).
    #[arg(long, env = "MICROCRED_TRIGGER_RETRY_SECONDS", default_value_t = 30)]
    pub trigger_retry_seconds: u64,
    /// Seconds a worker holds a bulk job between two batches: a job whose server stopped is
    /// resumed by any instance that long after its last batch.
    #[arg(long, env = "MICROCRED_BULK_LEASE_SECONDS", default_value_t = 30)]
    pub bulk_lease_seconds: u64,
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
    /// Run the server: issuer, public verifier (and later the wallet) on one database.
    Serve(ServeArgs),
    /// Verify a credential (did:web and status lists are fetched over HTTPS): prints the report,
    /// exits 0 when valid, 1 when not, 2 when the
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
        /// Development only: fetch did:web documents and status lists over plain http and
        /// from loopback and private addresses (a local development server).
        #[arg(long)]
        insecure_outbound: bool,
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
    /// Make a throw-away electronic seal (a self-made CA and a seal certificate under it) to
    /// try the sealed Europass export before a trust service provider issues the real one.
    /// Writes `<out>.p12` (PKCS#12) and `<out>.pem`. Never on the EU Trusted List.
    DemoSeal {
        /// Organisation (`O`), e.g. the institution's legal name.
        #[arg(long)]
        organisation: String,
        /// `organizationIdentifier`, e.g. `VATMD-1002600012345` (ETSI EN 319 412-1).
        #[arg(long)]
        organisation_identifier: String,
        /// Country, ISO 3166-1 alpha-2.
        #[arg(long, default_value = "MD")]
        country: String,
        /// Key kind.
        #[arg(long, value_enum, default_value = "rsa")]
        key: DemoKeyKind,
        /// Password of the PKCS#12 file.
        #[arg(long, env = "MICROCRED_DEMO_SEAL_PASSWORD", default_value = "demo")]
        password: String,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// File name without extension.
        #[arg(long, short, default_value = "demo-seal")]
        out: PathBuf,
    },
    /// Measure signing and verification per credential, ours and (if present) the Node peer
    /// (`node peer.mjs bench`) in the same run.
    Bench {
        /// Credentials to sign and verify.
        #[arg(long, short, default_value_t = 200)]
        n: usize,
        /// Folder of the peer implementation, with its node_modules installed
        /// (`scripts/bench.sh` prepares one).
        #[arg(long, value_name = "DIR")]
        peer: Option<PathBuf>,
        /// Print the figures as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Key kind of a demo seal.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DemoKeyKind {
    /// RSA 2048 (RS256), as most qualified seals.
    Rsa,
    /// ECDSA P-256 (ES256).
    P256,
}

/// Runs the chosen subcommand and gives the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        return crate::commands::serve::run_default().await;
    };
    match command {
        Command::Serve(args) => crate::commands::serve::run(args).await,
        Command::Verify {
            file,
            json,
            did_documents,
            at,
            insecure_outbound,
        } => {
            crate::commands::verify::run(
                &file,
                json,
                &did_documents,
                at.as_deref(),
                insecure_outbound,
            )
            .await
        }
        Command::Keygen { out } => crate::commands::keygen::run(out.as_deref()),
        Command::Sign {
            file,
            key,
            verification_method,
            suite,
            issuer_from_key,
            out,
        } => crate::commands::sign::run(
            &file,
            &key,
            verification_method,
            suite,
            issuer_from_key,
            out.as_deref(),
        ),
        Command::Canonicalize { file, suite } => crate::commands::canonicalize::run(&file, suite),
        Command::Bench { n, peer, json } => {
            crate::commands::bench::run(n, peer.as_deref(), json).await
        }
        Command::DemoSeal {
            organisation,
            organisation_identifier,
            country,
            key,
            password,
            days,
            out,
        } => crate::commands::demo_seal::run(
            &organisation,
            &organisation_identifier,
            &country,
            key,
            &password,
            days,
            &out,
        ),
    }
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use microcred::config::{redact_secret, redact_url};
        f.debug_struct("ServeArgs")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("data_dir", &self.data_dir)
            .field("master_key", &redact_secret(&self.master_key))
            .field("demo", &self.demo)
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}
