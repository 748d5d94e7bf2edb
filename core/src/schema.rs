//! JSON Schema (2020-12) validation of achievement definitions and credentials, against the
//! schemas bundled in `microcred-schemas`. Errors carry the JSON Pointer of the bad value.

use std::sync::LazyLock;

use crate::model::ModelError;

fn compile(text: &str) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(text).expect("bundled schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("bundled schema compiles")
}

static ACHIEVEMENT: LazyLock<jsonschema::Validator> =
    LazyLock::new(|| compile(microcred_schemas::ACHIEVEMENT_DEFINITION_SCHEMA));
static CREDENTIAL: LazyLock<jsonschema::Validator> =
    LazyLock::new(|| compile(microcred_schemas::CREDENTIAL_SCHEMA));

fn errors(v: &jsonschema::Validator, instance: &serde_json::Value) -> Vec<ModelError> {
    v.iter_errors(instance)
        .map(|e| {
            let path = e.instance_path().to_string();
            let element = path
                .split('/')
                .rfind(|s| !s.is_empty() && s.parse::<usize>().is_err())
                .unwrap_or("document")
                .to_owned();
            ModelError::new(&element, path, e.to_string())
        })
        .collect()
}

/// Schema errors of an achievement definition (empty when it conforms).
pub fn validate_achievement_definition(instance: &serde_json::Value) -> Vec<ModelError> {
    errors(&ACHIEVEMENT, instance)
}

/// Schema errors of a credential (empty when it conforms).
pub fn validate_credential(instance: &serde_json::Value) -> Vec<ModelError> {
    errors(&CREDENTIAL, instance)
}
