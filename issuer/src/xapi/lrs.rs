//! The statement resource of an institution's Learning Record Store (xAPI 1.0.3, Part Three
//! "Communication", §2.1 <https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Communication.md#stmtres>;
//! 2.0 where it differs): `POST` one statement or an array (answers their ids, in order),
//! `PUT ?statementId=` (204; 409 when the id is taken by a different statement), `GET` by
//! `statementId` or `voidedStatementId`, or a query (agent, verb, activity, since, until,
//! limit, ascending, more), and `about`. A request is all or nothing: every statement is
//! checked, and the statements, the voidings and the completion events they raise are
//! written in one transaction before the answer.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::route::{self, Routed};
use super::statement::{self, Statement, MAX_STATEMENTS};
use crate::auth::Actor;
use crate::db::{
    self,
    xapi_clients::XapiClientRow,
    xapi_statements::{StatementQuery, XapiStatementRow},
};
use crate::error::IssuerError;
use crate::Issuer;

/// The versions of xAPI this LRS speaks, newest first.
pub const VERSIONS: [&str; 2] = ["2.0.0", "1.0.3"];

/// The version to answer with for the one a client sent (`X-Experience-API-Version`):
/// 1.0.x is answered as 1.0.3 (the patch versions are compatible), 2.0.x as 2.0.0.
pub fn negotiate(sent: Option<&str>) -> Result<&'static str, IssuerError> {
    match sent.map(str::trim) {
        Some(v) if v.starts_with("1.0") && is_version(v) => Ok("1.0.3"),
        Some(v) if v.starts_with("2.0") && is_version(v) => Ok("2.0.0"),
        Some(v) => Err(xapi_refused(
            "/",
            format!("X-Experience-API-Version `{v}` is not supported (1.0.x or 2.0.x)"),
        )),
        None => Err(xapi_refused(
            "/",
            "the X-Experience-API-Version header is required (e.g. 1.0.3)",
        )),
    }
}

fn is_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A request the xAPI rules refuse (400), naming where.
pub fn xapi_refused(path: &str, message: impl Into<String>) -> IssuerError {
    IssuerError::refused("xapi", path, message)
}

/// The `about` resource (xAPI Communication §2.7).
pub fn about() -> Value {
    json!({"version": VERSIONS, "extensions": {}})
}

fn authority(app: &Issuer, client: &XapiClientRow) -> Value {
    json!({"objectType": "Agent", "name": client.label,
        "account": {"homePage": format!("{}/xapi", app.urls.base()), "name": client.username}})
}

fn parse_body(body: &[u8]) -> Result<Vec<Value>, IssuerError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        xapi_refused(
            "/",
            format!("the body is not JSON: {e} (send a statement or an array of statements)"),
        )
    })?;
    Ok(match v {
        Value::Array(items) => items,
        other => vec![other],
    })
}

/// Checks every statement of a body; all their errors at once, each under its index.
fn parse_all(values: &[Value], array: bool) -> Result<Vec<Statement>, IssuerError> {
    if values.is_empty() {
        return Err(xapi_refused("/", "the array holds no statement"));
    }
    if values.len() > MAX_STATEMENTS {
        return Err(xapi_refused(
            "/",
            format!(
                "{} statements in one request; at most {MAX_STATEMENTS}",
                values.len()
            ),
        ));
    }
    let mut parsed = Vec::with_capacity(values.len());
    let mut errors = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let path = if array {
            format!("/{i}")
        } else {
            String::new()
        };
        match statement::parse(v, &path) {
            Ok(s) => parsed.push(s),
            Err(IssuerError::Refused(e)) => errors.extend(e.0),
            Err(e) => return Err(e),
        }
        if errors.len() >= 50 {
            break;
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(IssuerError::Refused(microcred_core::model::ModelErrors(
            errors,
        )))
    }
}

/// Stores new statements (all or nothing); the ids of all of them, in order.
async fn store(
    app: &Issuer,
    client: &XapiClientRow,
    values: Vec<Value>,
    parsed: Vec<Statement>,
) -> Result<Vec<String>, IssuerError> {
    let fingerprints: Vec<String> = values.iter().map(statement::fingerprint).collect();
    let ids: Vec<String> = parsed.iter().map(|s| s.id.to_string()).collect();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (i, (id, fp)) in ids.iter().zip(&fingerprints).enumerate() {
        if let Some(other) = seen.insert(id, fp) {
            if other != fp {
                return Err(xapi_refused(
                    &format!("/{i}/id"),
                    format!(
                        "statement id {id} appears twice in the request with different statements"
                    ),
                ));
            }
        }
    }
    let mut tx = app.db.write().await?;
    let known: HashMap<String, String> =
        db::xapi_statements::list_xapi_fingerprints(&mut tx, &client.institution_id, &ids)
            .await?
            .into_iter()
            .collect();
    for (id, fp) in ids.iter().zip(&fingerprints) {
        if known.get(id).is_some_and(|k| k != fp) {
            return Err(IssuerError::conflict(format!(
                "statement {id} is already stored with different content (xAPI: a statement id is never reused)"
            )));
        }
    }
    let connections =
        db::moodle_connections::list_moodle_connections(&mut tx, &client.institution_id).await?;
    let inst = db::institutions::find_institution(&mut tx, &client.institution_id)
        .await?
        .ok_or_else(|| IssuerError::not_found(format!("institution {}", client.institution_id)))?;
    let actor = Actor {
        token_id: None,
        label: format!("xAPI: {}", client.label),
    };
    let now_ms = db::now_ms();
    let stored = db::rfc3339_ms(now_ms);
    let auth = authority(app, client);
    let mut rows = Vec::new();
    let mut items = Vec::new();
    let mut written = std::collections::HashSet::new();
    for ((value, s), fp) in values.iter().zip(&parsed).zip(&fingerprints) {
        let id = s.id.to_string();
        if known.contains_key(&id) || !written.insert(id.clone()) {
            continue;
        }
        let routed = match s.voids {
            Some(target) => {
                let t = target.to_string();
                let voided = db::xapi_statements::void_xapi_statement(
                    &mut tx,
                    &client.institution_id,
                    &t,
                    &id,
                )
                .await?;
                if voided {
                    db::learning_records::void_learning_records(
                        &mut tx,
                        &client.institution_id,
                        &format!("xapi:{t}"),
                        now_ms / 1000,
                    )
                    .await?;
                }
                Routed::StoredOnly(if voided {
                    format!("voids statement {t} (its learning records no longer count; a credential it led to stays: revoke it through the API)")
                } else {
                    format!("voids statement {t}, which is not stored, already voided, or a voiding statement")
                })
            }
            None => {
                let (routed, item) =
                    route::dispatch(app, &mut tx, &inst, s, &connections, now_ms, &actor, None)
                        .await?;
                items.extend(item);
                routed
            }
        };
        let doc = statement::as_stored(value, s.id, &stored, auth.clone());
        rows.push(XapiStatementRow {
            institution_id: client.institution_id.clone(),
            id,
            client_id: client.id.clone(),
            verb: s.verb.clone(),
            actor: s
                .actor
                .as_ref()
                .map_or_else(|| "group".to_owned(), |a| a.key()),
            activity: s.activity.clone(),
            fingerprint: fp.clone(),
            statement: doc.to_string(),
            voided_by: None,
            routed: routed.text(),
            stored_at_ms: now_ms,
        });
    }
    db::xapi_statements::insert_xapi_statements(&mut tx, &rows).await?;
    for item in &items {
        db::trigger_inbox::insert_inbox_item(&mut tx, item).await?;
    }
    tx.commit().await?;
    if !items.is_empty() {
        tracing::info!(
            statements = rows.len(),
            events = items.len(),
            "xAPI statements queued for evaluation"
        );
    }
    Ok(ids)
}

/// `POST /xapi/statements`: one statement or an array; their ids, in order.
pub async fn post_statements(
    app: &Issuer,
    client: &XapiClientRow,
    body: &[u8],
) -> Result<Vec<String>, IssuerError> {
    let array = body.trim_ascii_start().first() == Some(&b'[');
    let values = parse_body(body)?;
    let parsed = parse_all(&values, array)?;
    store(app, client, values, parsed).await
}

/// `PUT /xapi/statements?statementId=`: stores the statement under that id (also when it is
/// already stored, identical).
pub async fn put_statement(
    app: &Issuer,
    client: &XapiClientRow,
    statement_id: Option<&str>,
    body: &[u8],
) -> Result<(), IssuerError> {
    let id = statement_id
        .ok_or_else(|| xapi_refused("/statementId", "PUT needs the statementId parameter"))?;
    let id = statement::parse_uuid(id)
        .ok_or_else(|| xapi_refused("/statementId", format!("statementId `{id}` is not a UUID")))?;
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| xapi_refused("/", format!("the body is not JSON: {e}")))?;
    if value.is_array() {
        return Err(xapi_refused(
            "/",
            "PUT takes one statement, not an array (POST an array)",
        ));
    }
    match value.get("id").and_then(Value::as_str) {
        Some(given) if statement::parse_uuid(given) != Some(id) => {
            return Err(xapi_refused(
                "/id",
                format!("the statement's id {given} is not the statementId {id}"),
            ));
        }
        Some(_) => {}
        None => {
            if let Some(m) = value.as_object_mut() {
                m.insert("id".into(), Value::String(id.to_string()));
            }
        }
    }
    let parsed = parse_all(std::slice::from_ref(&value), false)?;
    store(app, client, vec![value], parsed).await.map(|_| ())
}

/// `GET` by id: the statement (not voided; or, with `voided`, the voided one).
pub async fn get_statement(
    app: &Issuer,
    client: &XapiClientRow,
    id: &str,
    voided: bool,
) -> Result<(Value, i64), IssuerError> {
    let param = if voided {
        "voidedStatementId"
    } else {
        "statementId"
    };
    let uuid = statement::parse_uuid(id)
        .ok_or_else(|| xapi_refused(&format!("/{param}"), format!("`{id}` is not a UUID")))?;
    let mut c = app.db.read().await?;
    let row =
        db::xapi_statements::find_xapi_statement(&mut c, &client.institution_id, &uuid.to_string())
            .await?
            .filter(|r| r.voided_by.is_some() == voided)
            .ok_or_else(|| {
                IssuerError::not_found(format!(
                    "statement {uuid}{}",
                    if voided { " (voided)" } else { "" }
                ))
            })?;
    Ok((stored_doc(&row)?, row.stored_at_ms))
}

fn stored_doc(r: &XapiStatementRow) -> Result<Value, IssuerError> {
    serde_json::from_str(&r.statement)
        .map_err(|e| IssuerError::stored(format!("xAPI statement {}", r.id), e))
}

/// The query parameters of `GET /xapi/statements` (xAPI Communication §2.1.3).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct QueryParams {
    /// An Agent as JSON.
    pub agent: Option<String>,
    /// A verb id.
    pub verb: Option<String>,
    /// An activity id (the object's).
    pub activity: Option<String>,
    /// Stored after this timestamp.
    pub since: Option<String>,
    /// Stored at or before this timestamp.
    pub until: Option<String>,
    /// At most this many (0 or absent: 100; at most 500).
    pub limit: Option<i64>,
    /// Oldest first.
    pub ascending: Option<bool>,
    /// Where the previous page ended (from `more`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<(i64, String)>,
}

/// A page of statements.
#[derive(Debug, Clone, Serialize)]
pub struct StatementResult {
    /// The statements.
    pub statements: Vec<Value>,
    /// The URL of the next page, or empty.
    pub more: String,
}

fn millis(s: &str, param: &str) -> Result<i64, IssuerError> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
        .map_err(|_| {
            xapi_refused(
                &format!("/{param}"),
                format!("`{s}` is not an ISO 8601 timestamp with a time zone"),
            )
        })
}

/// The agent parameter as the stored actor key.
fn agent_key(s: &str) -> Result<String, IssuerError> {
    let v: Value = serde_json::from_str(s).map_err(|_| {
        xapi_refused(
            "/agent",
            "agent must be an Agent as JSON, e.g. {\"mbox\":\"mailto:ada@example.org\"}",
        )
    })?;
    let probe =
        json!({"actor": v, "verb": {"id": statement::COMPLETED}, "object": {"id": "urn:probe"}});
    match statement::parse(&probe, "") {
        Ok(Statement { actor: Some(a), .. }) => Ok(a.key()),
        _ => Err(xapi_refused(
            "/agent",
            "agent must be an Agent with one inverse functional identifier",
        )),
    }
}

/// A query of the statement resource.
pub async fn query(
    app: &Issuer,
    client: &XapiClientRow,
    p: QueryParams,
) -> Result<StatementResult, IssuerError> {
    let limit = match p.limit {
        None | Some(0) => 100,
        Some(n) if n < 0 => return Err(xapi_refused("/limit", "limit is a non-negative integer")),
        Some(n) => n.min(500),
    };
    let q = StatementQuery {
        actor: p.agent.as_deref().map(agent_key).transpose()?,
        verb: p.verb.clone(),
        activity: p.activity.clone(),
        since_ms: p.since.as_deref().map(|s| millis(s, "since")).transpose()?,
        until_ms: p.until.as_deref().map(|s| millis(s, "until")).transpose()?,
        after: p.after.clone(),
        ascending: p.ascending.unwrap_or(false),
        limit,
    };
    let mut c = app.db.read().await?;
    let mut rows =
        db::xapi_statements::query_xapi_statements(&mut c, &client.institution_id, &q).await?;
    let more = if rows.len() > usize::try_from(limit).unwrap_or(100) {
        rows.truncate(usize::try_from(limit).unwrap_or(100));
        let last = rows.last().expect("a full page");
        let next = QueryParams {
            after: Some((last.stored_at_ms, last.id.clone())),
            limit: Some(limit),
            ..p
        };
        let cursor = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&next).expect("serialisable"));
        format!("/xapi/statements?more={cursor}")
    } else {
        String::new()
    };
    Ok(StatementResult {
        statements: rows.iter().map(stored_doc).collect::<Result<_, _>>()?,
        more,
    })
}

/// The query a `more` link stands for.
pub fn continue_query(more: &str) -> Result<QueryParams, IssuerError> {
    URL_SAFE_NO_PAD
        .decode(more)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| xapi_refused("/more", "`more` is not a link this LRS gave"))
}

/// A new statement id (for tests and examples).
pub fn new_statement_id() -> Uuid {
    Uuid::new_v4()
}
