//! `microcred`: issue, hold and verify European micro-credentials as W3C Verifiable
//! Credentials. This binary only parses the command line and starts things; the work is done
//! in the library crates (`microcred-core`, the services).

mod cli;
mod commands;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(cli::run(cli))
}
