//! `fake-moodle`: serves a fake Moodle site (REST web services and `/_fake/...` controls) and
//! an SMTP sink, for trying microcred's Moodle triggers without a Moodle (see docs/moodle.md),
//! and, with `--tsa`, an RFC 3161 timestamp authority (OpenSSL's, see docs/europass.md).

use clap::Parser;

/// Command line.
#[derive(Parser)]
#[command(about = "A fake Moodle (web services) and SMTP sink for microcred's examples")]
struct Args {
    /// The site fixture (JSON); default: the one shipped with the crate.
    #[arg(long)]
    site: Option<std::path::PathBuf>,
    /// Where the fake Moodle listens.
    #[arg(long, default_value = "127.0.0.1:9090")]
    bind: std::net::SocketAddr,
    /// Where the SMTP sink listens.
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: std::net::SocketAddr,
    /// Also serve a timestamp authority (RFC 3161 over HTTP; needs `openssl`) here.
    #[arg(long)]
    tsa: Option<std::net::SocketAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let fake = match &a.site {
        Some(p) => microcred_fake_moodle::Fake::from_file(p)?,
        None => microcred_fake_moodle::Fake::standard(),
    };
    let web = fake.serve(a.bind).await?;
    let smtp = fake.serve_smtp(a.smtp).await?;
    println!("fake Moodle at http://{web} (token 0123456789abcdef0123456789abcdef), SMTP sink at {smtp}; messages at http://{web}/_fake/mail");
    if let Some(addr) = a.tsa {
        let tsa = microcred_fake_moodle::tsa::FakeTsa::serve(
            addr,
            microcred_fake_moodle::tsa::TsaKey::Rsa,
        )
        .await?;
        println!("timestamp authority at {}", tsa.url());
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
