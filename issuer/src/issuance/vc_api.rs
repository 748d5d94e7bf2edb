//! W3C VC-API `POST /credentials/issue`
//! ([VC-API §3.2.1](https://w3c-ccg.github.io/vc-api/#issue-credential)): sign a document
//! given whole, as the caller's institution. The document is checked and rebuilt before the
//! one pipeline signs it: the issuer object is always the institution's own (its DID and
//! registered details; a caller naming another issuer is refused), the status entries are
//! always ours (a caller's `credentialStatus` is refused), and only VC 2.0 documents are
//! signed, because Bitstring Status List entries need the VC 2.0 context.

use microcred_core::model::{ModelErrors, CREDENTIALS_V2};
use serde_json::Value;
use time::OffsetDateTime;

use super::pipeline::{self, CallerProof, Document, IssueCommand, Outcome};
use super::{issued, Issued};
use crate::auth::{self, Principal};
use crate::db::institutions::InstitutionRow;
use crate::error::IssuerError;
use crate::institutions;
use crate::{secrets, Issuer};

/// Our issuer object for `doc`: the full registered profile when the document uses our
/// context, the Open Badges 3.0 profile when it uses OB3's, else the VC 2.0 terms.
fn issuer_object(
    app: &Issuer,
    inst: &InstitutionRow,
    contexts: &[Value],
) -> Result<Value, IssuerError> {
    let mut profile = institutions::awarding_body(app, inst)?.to_json();
    let has = |url: &str| contexts.iter().any(|c| c == url);
    if !has(microcred_schemas::MICROCRED_V1_URL) {
        let o = profile.as_object_mut().expect("an object");
        o.remove("registrationNumber");
        if !has(microcred_schemas::OB_V3P0_3_0_3_URL) {
            o.retain(|k, _| k == "id" || k == "name");
        }
    }
    Ok(profile)
}

/// Checks the caller's document and rebuilds what we vouch for.
fn prepare(
    app: &Issuer,
    inst: &InstitutionRow,
    mut credential: Value,
) -> Result<Value, IssuerError> {
    let did = app.urls.institution_did(&inst.slug).to_string();
    let Some(obj) = credential.as_object_mut() else {
        return Err(IssuerError::refused(
            "credential",
            "/credential",
            "must be a JSON object",
        ));
    };
    let contexts = obj
        .get("@context")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if contexts.first().and_then(Value::as_str) != Some(CREDENTIALS_V2) {
        return Err(IssuerError::refused(
            "@context",
            "/credential/@context",
            format!("only W3C VC 2.0 credentials are issued here: the first context must be {CREDENTIALS_V2} (VC 1.1 cannot carry our revocation entries)"),
        ));
    }
    if obj.contains_key("credentialStatus") {
        return Err(IssuerError::refused(
            "credentialStatus",
            "/credential/credentialStatus",
            "leave credentialStatus out: every credential we sign gets our own revocation and suspension entries",
        ));
    }
    let named = match obj.get("issuer") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(o)) => Some(o.get("id").and_then(Value::as_str).unwrap_or_default()),
        Some(_) => Some(""),
    };
    if named.is_some_and(|n| n != did) {
        return Err(IssuerError::refused(
            "issuer",
            "/credential/issuer",
            format!("the issuer must be this institution ({did}) or left out"),
        ));
    }
    match obj.get("id") {
        None => {
            obj.insert("id".into(), secrets::new_credential_id().into());
        }
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(_) => {
            return Err(IssuerError::refused(
                "id",
                "/credential/id",
                "must be a URL or URN (e.g. urn:uuid:...), or left out",
            ))
        }
    }
    obj.remove("proof");
    obj.insert("issuer".into(), issuer_object(app, inst, &contexts)?);
    if !obj.contains_key("validFrom") {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("valid")
            .format(&time::format_description::well_known::Rfc3339)
            .expect("formats");
        obj.insert("validFrom".into(), now.into());
    }
    if microcred_core::verify::is_microcred_credential(&credential) {
        let errs = microcred_core::schema::validate_credential(&credential);
        if !errs.is_empty() {
            return Err(IssuerError::Validation(ModelErrors(
                errs.into_iter().map(|e| e.under("/credential")).collect(),
            )));
        }
    }
    Ok(credential)
}

/// VC-API `IssueCredentialOptions` (VC-API §3.2.1): what this issuer honours. Unknown options
/// are refused rather than ignored.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IssueOptions {
    /// `eddsa-rdfc-2022` (default) or `eddsa-jcs-2022`.
    #[serde(default)]
    pub cryptosuite: Option<String>,
    /// The proof's `created` (RFC 3339 / XML Schema dateTimeStamp); default now.
    #[serde(default)]
    pub created: Option<String>,
    /// The proof's `challenge`.
    #[serde(default)]
    pub challenge: Option<String>,
    /// The proof's `domain`.
    #[serde(default)]
    pub domain: Option<String>,
    /// The credential's `id`, when the document has none.
    #[serde(default)]
    pub credential_id: Option<String>,
}

impl IssueOptions {
    fn parse(self) -> Result<(CallerProof, Option<String>), IssuerError> {
        let cryptosuite = match self.cryptosuite.as_deref() {
            None => microcred_core::proof::Cryptosuite::EddsaRdfc2022,
            Some(name) => name
                .parse()
                .map_err(|e: String| IssuerError::refused("options", "/options/cryptosuite", e))?,
        };
        let created = match &self.created {
            None => None,
            Some(t) if microcred_core::data_model::is_date_time_stamp(t) => Some(
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).map_err(
                    |e| IssuerError::refused("options", "/options/created", e.to_string()),
                )?,
            ),
            Some(_) => {
                return Err(IssuerError::refused(
                    "options",
                    "/options/created",
                    "must be a date-time with a time zone, e.g. 2026-11-24T10:00:00Z",
                ))
            }
        };
        if let Some(id) = &self.credential_id {
            if !microcred_core::data_model::is_url(id) {
                return Err(IssuerError::refused(
                    "options",
                    "/options/credentialId",
                    "must be a URL or URN (e.g. urn:uuid:...)",
                ));
            }
        }
        Ok((
            CallerProof {
                cryptosuite,
                created,
                challenge: self.challenge,
                domain: self.domain,
            },
            self.credential_id,
        ))
    }
}

/// Signs a caller's document as their institution and stores it under a new code.
pub async fn issue_document(
    app: &Issuer,
    p: &Principal,
    mut credential: Value,
    options: IssueOptions,
) -> Result<Issued, IssuerError> {
    let (choice, credential_id) = options.parse()?;
    if let (Some(id), Some(obj)) = (credential_id, credential.as_object_mut()) {
        if obj.contains_key("id") {
            return Err(IssuerError::refused(
                "options",
                "/options/credentialId",
                "the credential already has an id",
            ));
        }
        obj.insert("id".into(), id.into());
    }
    let mut tx = app.db.write().await?;
    let inst = auth::own_institution(&mut tx, p).await?;
    let document = prepare(app, &inst, credential)?;
    let learner_name = document
        .pointer("/credentialSubject/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let cmd = IssueCommand {
        document: Document::Callers(document, choice),
        achievement: None,
        learner_name,
        learner_email: None,
        learner_language: None,
        idempotency: None,
        replaces: None,
        actor: p.actor.clone(),
    };
    match pipeline::issue_in(app, &mut tx, &inst, cmd).await? {
        Outcome::Issued(row) => {
            tx.commit().await?;
            issued(app, &row, true)
        }
        Outcome::KeyTaken => Err(IssuerError::conflict(
            "VC-API issues carry no idempotency key; retry",
        )),
    }
}
