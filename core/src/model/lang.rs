//! Multilingual strings: one text per language, English always present.
//!
//! Serialised as a JSON-LD language map (`{"en": "...", "ro": "..."}`, JSON-LD 1.1 §4.6.2),
//! the shape the European Learning Model uses for its titles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ModelError;

/// Longest text accepted in one language.
pub const MAX_TEXT_LEN: usize = 4000;

/// A text in one or more languages, with English (`en`) required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct LangString(BTreeMap<String, String>);

impl LangString {
    /// Builds a multilingual string from `(language, text)` pairs; `element` and `path` name
    /// the place for error messages.
    pub fn new(
        element: &str,
        path: &str,
        texts: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ModelError> {
        let mut map = BTreeMap::new();
        for (lang, text) in texts {
            if !is_language_tag(&lang) {
                return Err(ModelError::new(
                    element,
                    format!("{path}/{lang}"),
                    format!("`{lang}` is not a language code (two or three lowercase letters, e.g. en, ro)"),
                ));
            }
            if text.trim().is_empty() {
                return Err(ModelError::new(
                    element,
                    format!("{path}/{lang}"),
                    "the text is empty",
                ));
            }
            if text.chars().count() > MAX_TEXT_LEN {
                return Err(ModelError::new(
                    element,
                    format!("{path}/{lang}"),
                    format!("the text is longer than {MAX_TEXT_LEN} characters"),
                ));
            }
            map.insert(lang, text);
        }
        if !map.contains_key("en") {
            return Err(ModelError::new(
                element,
                path,
                "an English (en) text is required",
            ));
        }
        Ok(Self(map))
    }

    /// English-only text (for tests and simple callers).
    pub fn en(element: &str, text: &str) -> Result<Self, ModelError> {
        Self::new(element, "", [("en".to_owned(), text.to_owned())])
    }

    /// The English text.
    pub fn english(&self) -> &str {
        &self.0["en"]
    }

    /// The text in `lang`, falling back to English.
    pub fn get(&self, lang: &str) -> &str {
        self.0.get(lang).unwrap_or_else(|| &self.0["en"])
    }

    /// Every `(language, text)` pair, in language order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Wire form: any JSON object, checked by [`LangString::new`].
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(transparent)]
pub struct LangStringDoc(pub BTreeMap<String, String>);

impl LangStringDoc {
    /// Parses into a [`LangString`].
    pub fn parse(self, element: &str, path: &str) -> Result<LangString, ModelError> {
        LangString::new(element, path, self.0)
    }
}

impl From<&LangString> for LangStringDoc {
    fn from(v: &LangString) -> Self {
        Self(v.0.clone())
    }
}

fn is_language_tag(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn english_is_required() {
        let e = LangString::new("title", "/title", pairs(&[("ro", "Titlu")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "title: an English (en) text is required (at /title)"
        );
    }

    #[test]
    fn romanian_falls_back_to_english_when_missing() {
        let s = LangString::new("title", "/title", pairs(&[("en", "Title")])).unwrap();
        assert_eq!(s.get("ro"), "Title");
    }

    #[test]
    fn a_blank_text_is_refused() {
        let e = LangString::new("title", "/title", pairs(&[("en", "  ")])).unwrap_err();
        assert_eq!(e.path, "/title/en");
    }
}
