//! Task inputs bound as a statement's named parameters: `:name` takes the
//! input `name`.

use agent_core::proto::flyteidl::core::{Literal, LiteralMap};
use agent_core::{AgentError, FromLiteral};
use rusqlite::Statement;
use rusqlite::types::Value;

/// The parameters of `statement`, each with the value of the input it names,
/// in the statement's order: `(":name", value)`.
///
/// Fails with `INVALID_ARGUMENT` for a positional parameter (`?`, `?1`), a
/// parameter no input names, or an input of a type SQL has no value for.
pub fn bind_inputs(
    statement: &Statement<'_>,
    inputs: &LiteralMap,
) -> Result<Vec<(String, Value)>, AgentError> {
    (1..=statement.parameter_count())
        .map(|index| {
            // SQLite names a numbered parameter `?NNN`, and no plain `?`.
            let parameter = match statement.parameter_name(index) {
                Some(parameter) if !parameter.starts_with('?') => parameter,
                positional => {
                    return Err(AgentError::invalid_argument(format!(
                        "template.sql.statement: parameter {index} (`{}`) is positional; name \
                         it `:input` after the task input it takes",
                        positional.unwrap_or("?")
                    )));
                }
            };
            // SQLite's parameter names keep their prefix: `:x`, `@x` or `$x`.
            let name = &parameter[1..];
            let literal = inputs.literals.get(name).ok_or_else(|| {
                let mut names: Vec<&str> = inputs.literals.keys().map(String::as_str).collect();
                names.sort_unstable();
                AgentError::invalid_argument(format!(
                    "template.sql.statement: {parameter} names no task input (the inputs are: {})",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ))
            })?;
            Ok((parameter.to_string(), sql_value(name, literal)?))
        })
        .collect()
}

/// An input as an SQL value: integers, floats, booleans (0 or 1), strings
/// and `None` (NULL).
fn sql_value(name: &str, literal: &Literal) -> Result<Value, AgentError> {
    if let Ok(value) = Option::<i64>::from_literal(literal) {
        return Ok(value.map_or(Value::Null, Value::Integer));
    }
    if let Ok(value) = f64::from_literal(literal) {
        return Ok(Value::Real(value));
    }
    if let Ok(value) = bool::from_literal(literal) {
        return Ok(Value::Integer(i64::from(value)));
    }
    if let Ok(value) = String::from_literal(literal) {
        return Ok(Value::Text(value));
    }
    Err(AgentError::invalid_argument(format!(
        "task inputs: {name}: an SQL parameter is an integer, a float, a boolean, a string or \
         None; this input is none of them"
    )))
}

#[cfg(test)]
mod tests {
    use agent_core::literal::LiteralMapBuilder;
    use rusqlite::Connection;

    use super::*;

    fn bind(sql: &str, inputs: LiteralMapBuilder) -> Result<Vec<(String, Value)>, AgentError> {
        let connection = Connection::open_in_memory().unwrap();
        let statement = connection.prepare(sql).unwrap();
        bind_inputs(&statement, &inputs.build().unwrap())
    }

    #[test]
    fn each_named_parameter_takes_its_input() {
        let inputs = LiteralMapBuilder::new()
            .with("n", 3)
            .with("x", 1.5)
            .with("flag", true)
            .with("name", "q")
            .with("none", Option::<i64>::None)
            .with("unused", 9);
        let bound = bind("SELECT :n, :x, :flag, :name, :none", inputs).unwrap();
        assert_eq!(
            bound,
            [
                (":n".to_string(), Value::Integer(3)),
                (":x".to_string(), Value::Real(1.5)),
                (":flag".to_string(), Value::Integer(1)),
                (":name".to_string(), Value::Text("q".into())),
                (":none".to_string(), Value::Null),
            ]
        );
    }

    #[test]
    fn a_parameter_without_an_input_is_refused_naming_the_inputs() {
        let error = bind("SELECT :missing", LiteralMapBuilder::new().with("b", 1)).unwrap_err();
        assert_eq!(error.kind(), agent_core::ErrorKind::InvalidArgument);
        assert!(error.message().contains(":missing"), "{error}");
        assert!(error.message().contains("the inputs are: b"), "{error}");
    }

    #[test]
    fn positional_parameters_and_lists_are_refused() {
        let error = bind("SELECT ?", LiteralMapBuilder::new()).unwrap_err();
        assert!(error.message().contains("positional"), "{error}");
        let error = bind("SELECT ?1", LiteralMapBuilder::new().with("1", 1)).unwrap_err();
        assert!(error.message().contains("(`?1`) is positional"), "{error}");
        let error = bind(
            "SELECT :xs",
            LiteralMapBuilder::new().with("xs", vec![1, 2]),
        )
        .unwrap_err();
        assert!(error.message().contains("xs"), "{error}");
    }
}
