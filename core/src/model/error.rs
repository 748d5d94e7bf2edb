//! Errors raised when a value would break a rule of the credential model.
//!
//! Each error names the EU element (or credential field) and the JSON path (RFC 6901 JSON
//! Pointer) where the problem is, e.g. `learningOutcomes: at least one outcome is required`.

use std::fmt;

/// One rule broken at one place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelError {
    /// The element or field concerned, e.g. `learningOutcomes`.
    pub element: String,
    /// JSON Pointer to the offending value, e.g. `/learningOutcomes/0/title`.
    pub path: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl ModelError {
    /// A new error for `element` at JSON Pointer `path`.
    pub fn new(element: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            element: element.to_owned(),
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error, moved under a parent JSON Pointer.
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = format!("{prefix}{}", self.path);
        self
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.element, self.message)?;
        if !self.path.is_empty() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelError {}

/// Every rule broken in one document: parsing reports them all at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct ModelErrors(pub Vec<ModelError>);

impl ModelErrors {
    /// Records one more error.
    pub fn push(&mut self, e: ModelError) {
        self.0.push(e);
    }

    /// Runs `r`, recording its error if any, and gives back its value.
    pub fn take<T>(&mut self, r: Result<T, ModelError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// Whether no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(v)` when nothing was recorded, else these errors.
    pub fn finish<T>(self, v: impl FnOnce() -> T) -> Result<T, ModelErrors> {
        if self.0.is_empty() {
            Ok(v())
        } else {
            Err(self)
        }
    }
}

impl From<ModelError> for ModelErrors {
    fn from(e: ModelError) -> Self {
        Self(vec![e])
    }
}

impl fmt::Display for ModelErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelErrors {}
