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

/// The achievement's `title` (a language map) and `name`, as the issued message shows them.
#[derive(Debug, Clone, Default)]
pub struct AchievementNames {
    titles: serde_json::Value,
    name: serde_json::Value,
}

impl AchievementNames {
    /// The names in a credential document (`credentialSubject.achievement`).
    pub fn of(doc: &serde_json::Value) -> Self {
        let a = &doc["credentialSubject"]["achievement"];
        Self {
            titles: a["title"].clone(),
            name: a["name"].clone(),
        }
    }

    /// The names in a credential's JSON text. Only they are read when the document has the
    /// usual shape (the rest is skipped, not built); otherwise the whole document is read.
    fn of_text(document: &str) -> Result<Self, serde_json::Error> {
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
            return Ok(Self {
                titles: a.title,
                name: a.name,
            });
        }
        Ok(Self::of(&serde_json::from_str(document)?))
    }

    fn title(&self, lang: &str) -> Option<String> {
        self.titles
            .get(lang)
            .and_then(|v| v.as_str())
            .or_else(|| self.name.as_str())
            .map(str::to_owned)
    }
}

/// One "your credential is issued" message to queue.
#[derive(Debug)]
pub(crate) struct IssuedMessage<'a> {
    /// The credential, as stored.
    pub cred: &'a CredentialRow,
    /// Where to send it.
    pub email: &'a str,
    /// The learner's language, if known.
    pub language: Option<&'a str>,
    /// The achievement's names.
    pub names: &'a AchievementNames,
}

/// Queues the "your credential is issued" message for `cred`, in `c` (the names read from its
/// stored document).
pub(crate) async fn queue_issued(
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    cred: &CredentialRow,
    email: &str,
    language: Option<&str>,
) -> Result<(), IssuerError> {
    let names = AchievementNames::of_text(&cred.document)
        .map_err(|e| IssuerError::stored(format!("credential {} (document)", cred.code), e))?;
    queue_issued_all(
        c,
        inst,
        &[IssuedMessage {
            cred,
            email,
            language,
            names: &names,
        }],
    )
    .await
}

/// Queues the "your credential is issued" messages of many credentials of one institution (a
/// group, a batch), in `c`, with one statement.
pub(crate) async fn queue_issued_all(
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    messages: &[IssuedMessage<'_>],
) -> Result<(), IssuerError> {
    let at = db::now();
    let made: Vec<(String, String)> = messages
        .iter()
        .map(|m| {
            let payload = serde_json::json!({
                "credentialKey": m.cred.id,
                "credentialId": m.cred.vc_id,
                "code": m.cred.code,
                "learnerName": m.cred.learner_name,
                "title": {"en": m.names.title("en"), "ro": m.names.title("ro")},
                "language": m.language,
            });
            (secrets::new_id(), payload.to_string())
        })
        .collect();
    let rows: Vec<NewNotification<'_>> = messages
        .iter()
        .zip(&made)
        .map(|(m, (id, payload))| NewNotification {
            id,
            institution_id: &inst.id,
            recipient: m.email,
            kind: ISSUED,
            payload,
            at,
        })
        .collect();
    db::notifications::insert_notifications(c, &rows).await?;
    Ok(())
}
