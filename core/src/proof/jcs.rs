//! JSON Canonicalization Scheme (RFC 8785), used by `eddsa-jcs-2022` (Data Integrity EdDSA
//! Cryptosuites v1.0 §3.3).
//!
//! Written here rather than taken from `serde_jcs`, which panics on numbers when serde_json's
//! `arbitrary_precision` feature is on (as it is in this workspace, through a dependency).

use std::fmt::Write;

/// The canonical JSON text of `v` (RFC 8785 §3.2).
pub fn canonical_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &serde_json::Value) {
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => write_number(out, n),
        serde_json::Value::String(s) => write_string(out, s),
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, x);
            }
            out.push(']');
        }
        serde_json::Value::Object(o) => {
            // §3.2.3: members sorted by the UTF-16 code units of their names.
            let mut members: Vec<_> = o.iter().collect();
            members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (k, x)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, x);
            }
            out.push('}');
        }
    }
}

/// §3.2.2.3: numbers as ECMAScript `Number.prototype.toString` writes the IEEE 754 double.
fn write_number(out: &mut String, n: &serde_json::Number) {
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.is_finite() {
        if f == 0.0 {
            out.push('0'); // -0 serialises as 0
        } else {
            out.push_str(ryu_js::Buffer::new().format_finite(f));
        }
    } else {
        // Not representable in I-JSON; JSON text cannot hold it anyway. Keep the source text.
        out.push_str(&n.to_string());
    }
}

/// §3.2.2.2: strings with the minimal JSON escapes.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc8785_sample_numbers_and_ordering() {
        // RFC 8785 §3.2.2.3 and Appendix B samples.
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":[1e30,4.50,2e-3,0.000001,1E-7,-0,333333333.33333329],"a":"\u20ac$\u000f\nA'B\"\\\\\"/","c":true}"#)
                .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":"€$\u000f\nA'B\"\\\\\"/","b":[1e+30,4.5,0.002,0.000001,1e-7,0,333333333.3333333],"c":true}"#
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        let v = json!({"\u{20ac}": 1, "\r": 2, "\u{1f600}": 3, "1": 4, "\u{80}": 5, "\u{fb33}": 6});
        assert_eq!(
            canonical_json(&v),
            "{\"\\r\":2,\"1\":4,\"\u{80}\":5,\"\u{20ac}\":1,\"\u{1f600}\":3,\"\u{fb33}\":6}"
        );
    }
}
