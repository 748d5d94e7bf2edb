//! Checked values written once: slugs, labels, reasons, person names and idempotency keys.
//! Each is parsed from text (trimmed; lengths counted in characters, never bytes) and cannot
//! hold a value that breaks its rule; an error names the element and its JSON Pointer.

use microcred_core::model::ModelError;

/// Free text: trimmed, non-empty, at most `max` characters (line breaks allowed).
pub fn text(element: &str, path: &str, s: &str, max: usize) -> Result<String, ModelError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ModelError::new(element, path, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ModelError::new(
            element,
            path,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// One-line text (names, labels, keys): [`text`] without control characters.
pub fn line(element: &str, path: &str, s: &str, max: usize) -> Result<String, ModelError> {
    let t = text(element, path, s, max)?;
    if t.chars().any(char::is_control) {
        return Err(ModelError::new(
            element,
            path,
            "must not contain control characters",
        ));
    }
    Ok(t)
}

/// Optional free text: absent or blank is none, else [`text`].
pub fn optional_text(
    element: &str,
    path: &str,
    v: Option<String>,
    max: usize,
) -> Result<Option<String>, ModelError> {
    match v.filter(|s| !s.trim().is_empty()) {
        Some(s) => text(element, path, &s, max).map(Some),
        None => Ok(None),
    }
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $element:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The longest value, in characters.
            pub const MAX: usize = $max;

            /// Parses `s`; an error points at `path`.
            pub fn parse_at(s: &str, path: &str) -> Result<Self, ModelError> {
                line($element, path, s, Self::MAX).map(Self)
            }

            /// Parses `s`; an error points at the element's usual path.
            pub fn parse(s: &str) -> Result<Self, ModelError> {
                Self::parse_at(s, concat!("/", $element))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_value!(
    /// What a token is for, e.g. `Moodle` or `registrar Ana`.
    Label,
    "label",
    100
);
text_value!(
    /// Why a state changed (kept for the audit trail; never shown publicly).
    Reason,
    "reason",
    500
);
text_value!(
    /// A person's full name as it appears on a credential.
    PersonName,
    "name",
    200
);
text_value!(
    /// A key that makes a retried issue request return the first credential.
    IdempotencyKey,
    "idempotencyKey",
    200
);
/// An institution's or achievement's URL name: 2-40 lower-case letters, digits and inner
/// hyphens (`ase`, `usm-fmi`), the rule of [`microcred_core::urls::is_slug`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Parses `s`; an error points at `path`.
    pub fn parse_at(s: &str, path: &str) -> Result<Self, ModelError> {
        if microcred_core::urls::is_slug(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ModelError::new(
                "slug",
                path,
                "use 2-40 lower-case letters, digits and hyphens (e.g. `ase`)",
            ))
        }
    }

    /// Parses `s` at `/slug`.
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        Self::parse_at(s, "/slug")
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_trimmed_and_counted_in_characters() {
        assert_eq!(Reason::parse("  plagiat ").unwrap().as_str(), "plagiat");
        // 200 Romanian letters are 400 bytes, and still a valid name.
        assert!(PersonName::parse(&"ș".repeat(200)).is_ok());
        assert!(PersonName::parse(&"ș".repeat(201)).is_err());
        let e = Reason::parse(" ").unwrap_err();
        assert_eq!((e.element.as_str(), e.path.as_str()), ("reason", "/reason"));
        assert!(IdempotencyKey::parse("a\u{7}b").is_err());
        assert_eq!(
            Label::parse_at("", "/x").unwrap_err().path,
            "/x",
            "the path is the caller's"
        );
    }

    #[test]
    fn optional_free_text_keeps_line_breaks_and_drops_blanks() {
        assert_eq!(
            optional_text("grade", "/grade", Some("  ".into()), 5),
            Ok(None)
        );
        assert_eq!(
            optional_text("evidence", "/e", Some(" a\nb ".into()), 5),
            Ok(Some("a\nb".into()))
        );
        assert!(optional_text("grade", "/grade", Some("123456".into()), 5).is_err());
        assert!(line("label", "/label", "a\nb", 5).is_err());
    }

    #[test]
    fn slugs_follow_the_one_rule() {
        assert!(Slug::parse("usm-fmi").is_ok());
        for bad in ["A", "a", "-ab", "ab-", "a_b", &"a".repeat(41)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
