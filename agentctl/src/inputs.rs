//! The JSON arguments: `--inputs` and `--custom`, given inline or as
//! `@FILE`, converted with agent-core's [`json`] module.

use agent_core::literal::json;
use agent_core::proto::flyteidl::core::{LiteralMap, Variable, VariableMap};
use serde_json::Value;

use crate::error::CliError;

/// The JSON value of the argument of `flag`: the text itself, or the
/// contents of the file it names after `@`.
pub fn read_json(flag: &str, argument: &str) -> Result<Value, CliError> {
    let (text, source) = match argument.strip_prefix('@') {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::usage(format!("{flag} @{path}: cannot read it: {e}")))?;
            (text, format!("{flag} @{path}"))
        }
        None => (argument.to_owned(), flag.to_owned()),
    };
    serde_json::from_str(&text)
        .map_err(|e| CliError::usage(format!("{source}: not valid JSON: {e}")))
}

/// The task inputs of the JSON `given` by `--inputs` (none when not given),
/// typed by the template's `declared` inputs when there are some.
pub fn inputs(
    given: Option<&Value>,
    declared: Option<&VariableMap>,
) -> Result<LiteralMap, CliError> {
    let none = Value::Object(Default::default());
    json::inputs_from_json(given.unwrap_or(&none), declared)
        .map_err(|e| CliError::usage(format!("--inputs: {e}")))
}

/// The interface inputs a template declares for the untyped JSON `given`
/// by `--inputs`: each input of the type its value is sent as, so that
/// agents that read inputs through the interface (as flytekit's do) read
/// them.
pub fn declared_for(given: Option<&Value>) -> Option<VariableMap> {
    let Some(Value::Object(inputs)) = given else {
        return None;
    };
    let variables = inputs
        .iter()
        .map(|(name, value)| {
            let variable = Variable {
                r#type: Some(json::infer_type(value)),
                ..Default::default()
            };
            (name.clone(), variable)
        })
        .collect();
    Some(VariableMap { variables })
}

/// The template `custom` of `--custom`: a JSON object.
pub fn custom(argument: &str) -> Result<prost_types::Struct, CliError> {
    match read_json("--custom", argument)? {
        Value::Object(object) => Ok(json::to_struct(&object)),
        other => Err(CliError::usage(format!(
            "--custom: expected a JSON object (the plugin's configuration), got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_read_inline_or_from_a_file() {
        assert_eq!(
            read_json("--inputs", r#"{"x": 1}"#).unwrap(),
            serde_json::json!({"x": 1})
        );
        let path =
            std::env::temp_dir().join(format!("agentctl-inputs-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"y": [true]}"#).unwrap();
        let from_file = read_json("--inputs", &format!("@{}", path.display())).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(from_file, serde_json::json!({"y": [true]}));
        let error = read_json("--inputs", "{x: 1}").unwrap_err().to_string();
        assert!(error.starts_with("--inputs: not valid JSON"), "{error}");
        let error = read_json("--custom", "@/nonexistent.json")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("--custom @/nonexistent.json: cannot read it"),
            "{error}"
        );
    }

    #[test]
    fn untyped_inputs_get_the_interface_of_their_values() {
        let given = serde_json::json!({"x": 1, "tags": ["a"]});
        let declared = declared_for(Some(&given)).unwrap();
        assert_eq!(
            json::type_name(declared.variables["tags"].r#type.as_ref().unwrap()),
            "list[STRING]"
        );
        // Typed by that interface, the inputs are what they are untyped.
        assert_eq!(
            inputs(Some(&given), Some(&declared)).unwrap(),
            inputs(Some(&given), None).unwrap()
        );
        assert_eq!(declared_for(None), None);
        assert_eq!(inputs(None, None).unwrap(), LiteralMap::default());
    }

    #[test]
    fn custom_must_be_an_object() {
        assert!(
            custom(r#"{"region": "eu"}"#)
                .unwrap()
                .fields
                .contains_key("region")
        );
        let error = custom("[1]").unwrap_err().to_string();
        assert_eq!(
            error,
            "--custom: expected a JSON object (the plugin's configuration), got [1]"
        );
    }
}
