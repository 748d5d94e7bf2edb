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
/// The achievement's `title` (language map) and `name` in a credential's JSON text. Only
/// they are read when the document has the usual shape (the rest is skipped, not built);
/// otherwise the whole document is read.
fn achievement_names(
    document: &str,
) -> Result<(serde_json::Value, serde_json::Value), serde_json::Error> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Doc {
        credential_subject: Subject,
    }
    #[derive(serde::Deserialize)]
    struct Subject {
        achievement: Named,
    }
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(default)]
        title: serde_json::Value,
        #[serde(default)]
        name: serde_json::Value,
    }
    if let Ok(d) = serde_json::from_str::<Doc>(document) {
        let a = d.credential_subject.achievement;
        return Ok((a.title, a.name));
    }
    let doc: serde_json::Value = serde_json::from_str(document)?;
    let a = &doc["credentialSubject"]["achievement"];
    Ok((a["title"].clone(), a["name"].clone()))
}

pub(crate) async fn queue_issued(
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cred: &CredentialRow,
    email: &str,
    language: Option<&str>,
) -> Result<(), IssuerError> {
    let (titles, name) = achievement_names(&cred.document)
        .map_err(|e| IssuerError::stored(format!("credential {} (document)", cred.code), e))?;
    let title = |lang: &str| {
        titles
            .get(lang)
            .and_then(|v| v.as_str())
            .or_else(|| name.as_str())
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
