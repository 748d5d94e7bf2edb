//! Conformance of a credential's shape to the W3C Verifiable Credentials Data Model - v2.0
//! (<https://www.w3.org/TR/vc-data-model-2.0/>, §4 "Basic Concepts") or, for documents that
//! say they are v1.1 (first context `https://www.w3.org/2018/credentials/v1`), v1.1
//! (<https://www.w3.org/TR/vc-data-model-1.1/>). A verifier that accepts a malformed
//! credential tells its reader "valid" for what the standard says is not a credential; these
//! rules are what the standard says a conforming document must be, checked before anything is
//! believed.

use serde_json::Value;

/// The VC 2.0 base context.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The VC 1.1 base context.
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";

/// Whether `s` is a URL (RFC 3986 absolute URI: a scheme, then anything; `did:`, `urn:`,
/// `https:` ...).
pub fn is_url(s: &str) -> bool {
    url::Url::parse(s).is_ok()
}

/// Whether `s` is an XML Schema `dateTimeStamp` (a `dateTime` with a time zone).
pub fn is_date_time_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let start = usize::from(b.first() == Some(&b'-'));
    // at least four year digits
    let mut i = start;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i - start < 4 {
        return false;
    }
    let fixed = b.get(i) == Some(&b'-')
        && digits(i + 1..i + 3)
        && b.get(i + 3) == Some(&b'-')
        && digits(i + 4..i + 6)
        && b.get(i + 6) == Some(&b'T')
        && digits(i + 7..i + 9)
        && b.get(i + 9) == Some(&b':')
        && digits(i + 10..i + 12)
        && b.get(i + 12) == Some(&b':')
        && digits(i + 13..i + 15);
    if !fixed {
        return false;
    }
    let mut j = i + 15;
    if b.get(j) == Some(&b'.') {
        j += 1;
        let f = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j == f {
            return false;
        }
    }
    match &b[j..] {
        b"Z" => true,
        [s, h1, h2, b':', m1, m2] if (*s == b'+' || *s == b'-') => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
        }
        _ => false,
    }
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        one => vec![one],
    }
}

fn has_type(v: &Value, name: &str) -> bool {
    as_list(&v["type"]).iter().any(|t| t.as_str() == Some(name))
}

/// A string or a language value object `{"@value": "...", "@language"?, "@direction"?}` (VC
/// 2.0 §11.1), or a list of them.
fn is_language_text(v: &Value) -> bool {
    as_list(v).iter().all(|x| match x {
        Value::String(_) => true,
        Value::Object(o) => {
            o.get("@value").is_some_and(Value::is_string)
                && o.keys()
                    .all(|k| matches!(k.as_str(), "@value" | "@language" | "@direction"))
        }
        _ => false,
    })
}

/// What makes `doc` not a conforming verifiable credential; empty when it conforms.
pub fn credential_problems(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let Some(obj) = doc.as_object() else {
        return vec!["a credential is a JSON object".into()];
    };
    let contexts = as_list(&doc["@context"]);
    let v2 = match contexts.first().and_then(|c| c.as_str()) {
        Some(CREDENTIALS_V2) => true,
        Some(CREDENTIALS_V1) => false,
        _ => {
            p.push(format!(
                "@context: the first item must be {CREDENTIALS_V2} (VC 2.0 §4.3)"
            ));
            true
        }
    };
    if !has_type(doc, "VerifiableCredential") {
        p.push("type: must include VerifiableCredential (VC 2.0 §4.5)".into());
    }
    if let Some(id) = obj.get("id") {
        if !id.as_str().is_some_and(is_url) {
            p.push("id: must be a URL (VC 2.0 §4.4)".into());
        }
    }
    match obj.get("issuer") {
        Some(Value::String(s)) if is_url(s) => {}
        Some(Value::Object(o)) if o.get("id").and_then(Value::as_str).is_some_and(is_url) => {}
        Some(_) => {
            p.push("issuer: must be a URL or an object whose id is a URL (VC 2.0 §4.7)".into())
        }
        None => p.push("issuer: is required (VC 2.0 §4.7)".into()),
    }
    match obj.get("credentialSubject") {
        None => p.push("credentialSubject: is required (VC 2.0 §4.8)".into()),
        Some(s) => {
            let subjects = as_list(s);
            if subjects.is_empty()
                || subjects
                    .iter()
                    .any(|x| x.as_object().is_none_or(|o| o.is_empty()))
            {
                p.push(
                    "credentialSubject: must be one or more non-empty objects (VC 2.0 §4.8)".into(),
                );
            }
        }
    }
    let dates: &[&str] = if v2 {
        &["validFrom", "validUntil"]
    } else {
        &["issuanceDate", "expirationDate"]
    };
    for name in dates {
        if let Some(v) = obj.get(*name) {
            if !v.as_str().is_some_and(is_date_time_stamp) {
                p.push(format!(
                    "{name}: must be an XML Schema dateTimeStamp, with a time zone (VC 2.0 §4.9)"
                ));
            }
        }
    }
    if !v2 && obj.get("issuanceDate").is_none() {
        p.push("issuanceDate: is required in a VC 1.1 credential (VC 1.1 §4.6)".into());
    }
    for name in [
        "credentialStatus",
        "credentialSchema",
        "evidence",
        "termsOfUse",
        "refreshService",
    ] {
        if let Some(v) = obj.get(name) {
            for (i, x) in as_list(v).iter().enumerate() {
                if !x.is_object() || x.get("type").is_none() {
                    p.push(format!("{name}[{i}]: must be an object with a type"));
                }
                if name == "credentialStatus" {
                    if let Some(id) = x.get("id") {
                        if !id.as_str().is_some_and(is_url) {
                            p.push(format!(
                                "credentialStatus[{i}].id: must be a URL (VC 2.0 §4.10)"
                            ));
                        }
                    }
                }
            }
        }
    }
    if let Some(v) = obj.get("relatedResource") {
        let mut ids = std::collections::HashSet::new();
        for (i, r) in as_list(v).iter().enumerate() {
            match r.get("id").and_then(Value::as_str) {
                Some(id) if ids.insert(id.to_owned()) => {}
                Some(_) => p.push(format!(
                    "relatedResource[{i}].id: each id must be unique (VC 2.0 §5.3)"
                )),
                None => p.push(format!(
                    "relatedResource[{i}]: must have an id (VC 2.0 §5.3)"
                )),
            }
            if r.get("digestSRI").is_none() && r.get("digestMultibase").is_none() {
                p.push(format!(
                    "relatedResource[{i}]: must have digestSRI or digestMultibase (VC 2.0 §5.3)"
                ));
            }
        }
    }
    for name in ["name", "description"] {
        if let Some(v) = obj.get(name) {
            if !is_language_text(v) {
                p.push(format!(
                    "{name}: must be a string or language value objects (VC 2.0 §4.6)"
                ));
            }
        }
    }
    p
}
