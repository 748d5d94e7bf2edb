//! Delivers the outbox by SMTP (RFC 5321) with STARTTLS (RFC 3207) through `lettre`: each
//! message is leased, sent, and marked sent; a failure is retried with back-off. The sender
//! name is the institution's legal name; the text is in the learner's language (English or
//! Romanian); the "issued" message carries the verification link, the QR code (inline PNG,
//! RFC 2387 `multipart/related`, drawn by `microcred_core::qr`) and the learner's private holder link. Each message has a
//! stable `Message-ID` (`<id@host>`), so in the rare case of a crash between the server's
//! acceptance and the bookkeeping, a resent copy is recognisable as the same message.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::db::{self, notifications::NotificationRow};
use crate::error::IssuerError;
use crate::{backoff, Issuer};

/// Mail settings of a deployment.
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://user:password@host:587` (STARTTLS required unless the host is the local machine
    /// or `?tls=` says otherwise), or `smtps://host:465` (TLS from the start).
    pub smtp_url: String,
    /// The sender address, e.g. `credentials@example.org` (the sender name is the
    /// institution's).
    pub from: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match self.smtp_url.split_once('@') {
            Some((before, after)) => match before.split_once("://") {
                Some((scheme, _)) => format!("{scheme}://***@{after}"),
                None => "***".into(),
            },
            None => self.smtp_url.clone(),
        };
        f.debug_struct("MailConfig")
            .field("smtp_url", &url)
            .field("from", &self.from)
            .finish()
    }
}

/// Why the mailer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    /// The SMTP URL is not usable.
    #[error("MICROCRED_SMTP_URL: {0}")]
    Url(String),
    /// The sender address is not an address.
    #[error("MICROCRED_MAIL_FROM `{0}` is not an e-mail address")]
    From(String),
}

/// A ready SMTP client.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::Address,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

fn is_local(url: &str) -> bool {
    let host = url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(url)
        .rsplit('@')
        .next()
        .unwrap_or_default();
    host.starts_with("localhost") || host.starts_with("127.") || host.starts_with("[::1]")
}

impl Mailer {
    /// Checks the settings and builds the client (no connection is made yet).
    pub fn new(config: &MailConfig) -> Result<Self, MailSetupError> {
        let mut url = config.smtp_url.trim().to_owned();
        if url.starts_with("smtp://") && !url.contains("tls=") && !is_local(&url) {
            url.push_str(if url.contains('?') {
                "&tls=required"
            } else {
                "?tls=required"
            });
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| MailSetupError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = config
            .from
            .trim()
            .parse()
            .map_err(|_| MailSetupError::From(config.from.clone()))?;
        Ok(Self { transport, from })
    }
}

const LEASE_SECONDS: i64 = 120;
const BATCH: i64 = 20;

/// Sends the messages that are due; how many were sent. Failures are recorded on each
/// message and retried later.
pub async fn deliver_due(app: &Issuer, mailer: &Mailer) -> Result<usize, IssuerError> {
    let now = db::now();
    let ids = {
        let mut c = app.db.read().await?;
        db::notifications::list_due_notifications(&mut c, now, BATCH).await?
    };
    let mut sent = 0;
    for id in ids {
        let claimed = {
            let mut c = app.db.read().await?;
            db::notifications::claim_notification(&mut c, &id, now, now + LEASE_SECONDS).await?
        };
        let Some(n) = claimed else { continue };
        let outcome = match compose(app, mailer, &n).await {
            Ok(message) => mailer
                .transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
            Err(e) => Err(e),
        };
        let mut c = app.db.read().await?;
        match outcome {
            Ok(()) => {
                db::notifications::mark_notification_sent(&mut c, &n.id, db::now()).await?;
                sent += 1;
            }
            Err(e) => {
                let next = db::now() + backoff::delay(n.attempts, 60, 6 * 3600);
                tracing::warn!(notification = %n.id, recipient = %n.recipient, error = %e, attempt = n.attempts, "mail not sent; will retry");
                db::notifications::fail_notification(&mut c, &n.id, &e, next).await?;
            }
        }
    }
    Ok(sent)
}

/// The language of the message: the learner's if we have their text, else English.
fn language(payload: &serde_json::Value) -> &'static str {
    match payload["language"].as_str() {
        Some(l) if l.to_ascii_lowercase().starts_with("ro") => "ro",
        _ => "en",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn compose(app: &Issuer, mailer: &Mailer, n: &NotificationRow) -> Result<Message, String> {
    let inst = {
        let mut c = app.db.read().await.map_err(|e| e.to_string())?;
        db::institutions::find_institution(&mut c, &n.institution_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("institution {} is gone", n.institution_id))?
    };
    let payload: serde_json::Value =
        serde_json::from_str(&n.payload).map_err(|e| format!("unreadable payload: {e}"))?;
    let to: Mailbox = n
        .recipient
        .parse()
        .map_err(|e| format!("recipient `{}`: {e}", n.recipient))?;
    let from = Mailbox::new(Some(inst.legal_name.clone()), mailer.from.clone());
    let host = mailer.from.domain().to_owned();
    let code = payload["code"].as_str().unwrap_or_default().to_owned();
    let verify = app.urls.verification_page(&code);
    let lang = language(&payload);
    let builder = Message::builder()
        .from(from)
        .to(to)
        .message_id(Some(format!("<{}@{host}>", n.id)));
    let message = if n.kind == super::ISSUED {
        // The link as it is now (a revoked link is never sent).
        let cred = {
            let mut c = app.db.read().await.map_err(|e| e.to_string())?;
            db::credentials::find_credential_by_code(&mut c, &code)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("credential {code} is gone"))?
        };
        let holder = crate::holder::link(app, &cred);
        let title = payload["title"][lang]
            .as_str()
            .or_else(|| payload["title"]["en"].as_str())
            .unwrap_or_default();
        let name = payload["learnerName"].as_str().unwrap_or_default();
        let (subject, text, html) =
            issued_texts(lang, name, title, &inst.legal_name, &verify, &holder);
        let qr = microcred_core::qr::png(&microcred_core::qr::qr_url(&app.urls, &code));
        builder
            .subject(subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(text))
                    .multipart(
                        MultiPart::related()
                            .singlepart(SinglePart::html(html))
                            .singlepart(
                                Attachment::new_inline("qr".to_owned())
                                    .body(qr, ContentType::parse("image/png").expect("valid")),
                            ),
                    ),
            )
            .map_err(|e| e.to_string())?
    } else {
        let state = payload["state"].as_str().unwrap_or_default();
        let (subject, text) = state_texts(lang, state, &inst.legal_name, &verify);
        builder
            .subject(subject)
            .singlepart(SinglePart::plain(text))
            .map_err(|e| e.to_string())?
    };
    Ok(message)
}

fn issued_texts(
    lang: &str,
    name: &str,
    title: &str,
    institution: &str,
    verify: &str,
    holder: &str,
) -> (String, String, String) {
    let (subject, hello, body, verify_label, holder_label, holder_note) = if lang == "ro" {
        (
            format!("Micro-credențialul dumneavoastră: {title}"),
            format!("Bună ziua, {name},"),
            format!("{institution} v-a eliberat micro-credențialul „{title}”, semnat electronic."),
            "Oricine îl poate verifica la adresa (sau scanând codul QR):",
            "Pagina dumneavoastră privată (descărcare, partajare):",
            "Nu transmiteți acest link privat; pentru angajatori folosiți linkul de verificare.",
        )
    } else {
        (
            format!("Your micro-credential: {title}"),
            format!("Hello {name},"),
            format!(
                "{institution} has issued you the micro-credential “{title}”, digitally signed."
            ),
            "Anyone can verify it at (or by scanning the QR code):",
            "Your private page (download, share):",
            "Keep this private link to yourself; give employers the verification link.",
        )
    };
    let text = format!(
        "{hello}\n\n{body}\n\n{verify_label}\n{verify}\n\n{holder_label}\n{holder}\n\n{holder_note}\n"
    );
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><body><p>{}</p><p>{}</p><p>{}<br><a href=\"{v}\">{v}</a></p><p><img src=\"cid:qr\" alt=\"QR\" width=\"240\" height=\"240\"></p><p>{}<br><a href=\"{h}\">{h}</a></p><p><small>{}</small></p></body></html>",
        escape(&hello),
        escape(&body),
        escape(verify_label),
        escape(holder_label),
        escape(holder_note),
        v = escape(verify),
        h = escape(holder),
    );
    (subject, text, html)
}

fn state_texts(lang: &str, state: &str, institution: &str, verify: &str) -> (String, String) {
    let what = match (lang, state) {
        ("ro", "revoked") => "a fost revocat",
        ("ro", "suspended") => "a fost suspendat",
        ("ro", "active") => "este din nou valabil",
        ("ro", "superseded") => "a fost înlocuit de o versiune nouă",
        (_, "revoked") => "was revoked",
        (_, "suspended") => "was suspended",
        (_, "active") => "is valid again",
        (_, "superseded") => "was replaced by a new version",
        _ => "changed",
    };
    if lang == "ro" {
        (
            format!("Micro-credențialul dumneavoastră {what}"),
            format!("Micro-credențialul eliberat de {institution} {what}.\n\nDetalii: {verify}\n"),
        )
    } else {
        (
            format!("Your micro-credential {what}"),
            format!("The micro-credential issued by {institution} {what}.\n\nDetails: {verify}\n"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_smtp_url_to_another_host_requires_starttls() {
        assert!(is_local("smtp://127.0.0.1:2525"));
        assert!(!is_local("smtp://u:p@mail.example.org:587"));
        let m = Mailer::new(&MailConfig {
            smtp_url: "smtp://mail.example.org:587".into(),
            from: "credentials@example.org".into(),
        });
        assert!(m.is_ok());
        let bad = Mailer::new(&MailConfig {
            smtp_url: "smtp://mail.example.org".into(),
            from: "not an address".into(),
        });
        assert!(matches!(bad, Err(MailSetupError::From(_))));
        let shown = format!(
            "{:?}",
            MailConfig {
                smtp_url: "smtp://user:secret@mail.example.org:587".into(),
                from: "a@b.org".into()
            }
        );
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn the_issued_message_speaks_the_learners_language() {
        let (subject, text, html) = issued_texts(
            "ro",
            "Ana",
            "Protecția datelor",
            "ASE",
            "https://v",
            "https://h",
        );
        assert_eq!(
            subject,
            "Micro-credențialul dumneavoastră: Protecția datelor"
        );
        assert!(text.contains("https://h"));
        assert!(html.contains("cid:qr"));
        assert_eq!(language(&serde_json::json!({"language": "ro_md"})), "ro");
        assert_eq!(language(&serde_json::json!({"language": null})), "en");
    }
}
