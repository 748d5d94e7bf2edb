//! `microcred serve` (and plain `microcred`, which serves with the demo institution).

use std::process::ExitCode;

use clap::Parser;
use microcred::{Application, Config, Services};

use crate::cli::ServeArgs;

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // Colour only on a terminal (and never with NO_COLOR): a log written to a file stays
    // greppable (`grep setup_token= microcred.log`).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .try_init();
}

/// `microcred` with no subcommand: `serve --demo` with every default.
pub async fn run_default() -> ExitCode {
    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        serve: ServeArgs,
    }
    let mut args = Only::parse_from(["microcred"]).serve;
    args.demo = true;
    run(args).await
}

/// Builds the configuration and serves until Ctrl-C.
pub async fn run(a: ServeArgs) -> ExitCode {
    init_tracing();
    let services = match Services::parse(&a.services) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("microcred serve: --services: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = Config::local(a.data_dir);
    config.bind = a.bind;
    config.public_url = a.public_url;
    if let Some(url) = a.database_url {
        config.database_url = url;
    }
    config.master_key = a.master_key;
    config.demo = a.demo;
    config.services = services;
    config.rate_limit_per_minute = a.rate_limit_per_minute;
    config.max_body_bytes = a.max_body_bytes;
    config.trusted_proxies = a.trusted_proxies;
    config.smtp_url = a.smtp_url;
    config.mail_from = a.mail_from;
    config.tsa_url = a.tsa_url;
    config.insecure_outbound = a.insecure_outbound;
    config.triggers.lease = std::time::Duration::from_secs(a.trigger_lease_seconds.max(1));
    config.bulk_lease_seconds = a.bulk_lease_seconds;
    config.triggers.retry_base = std::time::Duration::from_secs(a.trigger_retry_seconds.max(1));
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("microcred serve: {e}");
            return ExitCode::from(1);
        }
    };
    match app.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("microcred serve: {e}");
            ExitCode::from(1)
        }
    }
}
