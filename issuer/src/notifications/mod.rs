//! Telling the learner: messages are queued in the `notifications` outbox inside the
//! transaction that issues or changes a credential (so none is lost and none is sent for a
//! credential that was rolled back), and [`mailer`] delivers them by SMTP, retried with
//! back-off, never blocking issuance; [`webhooks`] tells the institution's own systems.

pub mod mailer;
pub mod webhooks;

use sqlx::AnyConnection;

use crate::db::{
    self, credentials::CredentialRow, institutions::InstitutionRow, notifications::NewNotification,
};
use crate::error::IssuerError;
use crate::secrets;

/// Kind of the message sent when a credential is issued.
pub const ISSUED: &str = "credential_issued";

/// Queues the "your credential is issued" message for `cred`, in `c`.
pub(crate) async fn queue_issued(
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cred: &CredentialRow,
    email: &str,
    language: Option<&str>,
) -> Result<(), IssuerError> {
    let doc: serde_json::Value = serde_json::from_str(&cred.document)
        .map_err(|e| IssuerError::stored(format!("credential {} (document)", cred.code), e))?;
    let achievement = &doc["credentialSubject"]["achievement"];
    let title = |lang: &str| {
        achievement["title"]
            .get(lang)
            .and_then(|v| v.as_str())
            .or_else(|| achievement["name"].as_str())
            .map(str::to_owned)
    };
    let payload = serde_json::json!({
        "credentialKey": cred.id,
        "credentialId": cred.vc_id,
        "code": cred.code,
        "learnerName": cred.learner_name,
        "title": {"en": title("en"), "ro": title("ro")},
        "language": language,
    });
    db::notifications::insert_notification(
        c,
        &NewNotification {
            id: &secrets::new_id(),
            institution_id: &inst.id,
            recipient: email,
            kind: ISSUED,
            payload: &payload.to_string(),
            at: db::now(),
        },
    )
    .await?;
    Ok(())
}
