//! `microcred demo-seal`: a throw-away electronic seal (self-made CA, seal certificate with
//! the ETSI EN 319 412-3 subject), as PKCS#12 and PEM, for trying the sealed Europass export.

use std::path::Path;
use std::process::ExitCode;

use microcred_core::eseal::demo::{demo_seal, DemoKey, DemoSubject};
use time::{Duration, OffsetDateTime};

use crate::cli::DemoKeyKind;

/// Writes `<out>.p12` and `<out>.pem`.
pub fn run(
    organisation: &str,
    organisation_identifier: &str,
    country: &str,
    key: DemoKeyKind,
    password: &str,
    days: i64,
    out: &Path,
) -> ExitCode {
    let now = OffsetDateTime::now_utc();
    let subject = DemoSubject {
        organisation,
        organisation_identifier,
        country,
        qualified_statements: false,
        not_before: now - Duration::minutes(5),
        not_after: now + Duration::days(days.max(1)),
    };
    let kind = match key {
        DemoKeyKind::Rsa => DemoKey::Rsa,
        DemoKeyKind::P256 => DemoKey::P256,
    };
    let result = demo_seal(&subject, kind)
        .map_err(|e| e.to_string())
        .and_then(|d| Ok((d.pkcs12(password).map_err(|e| e.to_string())?, d.pem)))
        .and_then(|(p12, pem)| {
            let p12_path = out.with_extension("p12");
            let pem_path = out.with_extension("pem");
            write_private(&p12_path, &p12).map_err(|e| format!("{}: {e}", p12_path.display()))?;
            write_private(&pem_path, pem.as_bytes())
                .map_err(|e| format!("{}: {e}", pem_path.display()))?;
            Ok((p12_path, pem_path))
        });
    match result {
        Ok((p12, pem)) => {
            eprintln!(
                "wrote {} (PKCS#12, password from --password) and {} (PEM): a demo seal for `{organisation}` ({organisation_identifier}), valid {days} days, not a qualified certificate",
                p12.display(),
                pem.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("microcred demo-seal: {e}");
            ExitCode::from(2)
        }
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(bytes)
}
