//! Building and reading the `LiteralMap`s that carry task inputs and outputs.

use std::collections::BTreeMap;

use super::{FromLiteral, IntoLiteral, LiteralError};
use crate::proto::flyteidl::core::{Literal, LiteralMap};

/// Builds a [`LiteralMap`] from Rust values, one named entry at a time.
///
/// Chaining never fails: the first value that cannot be encoded is
/// remembered, and [`build`](Self::build) returns it, with the entry's name
/// as its path.
///
/// ```
/// use agent_core::literal::LiteralMapBuilder;
///
/// let outputs = LiteralMapBuilder::new().with("x", 42).with("name", "q").build().unwrap();
/// assert_eq!(outputs.literals.len(), 2);
/// let err = LiteralMapBuilder::new().with("n", u64::MAX).build().unwrap_err();
/// assert!(err.to_string().starts_with("n: "));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LiteralMapBuilder {
    literals: BTreeMap<String, Literal>,
    error: Option<LiteralError>,
}

impl LiteralMapBuilder {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the entry `name` to `value`, replacing any earlier value of that
    /// name. Does nothing once an entry has failed.
    pub fn with(mut self, name: impl Into<String>, value: impl IntoLiteral) -> Self {
        if self.error.is_none() {
            let name = name.into();
            match value.into_literal() {
                Ok(literal) => {
                    self.literals.insert(name, literal);
                }
                Err(e) => self.error = Some(e.at_name(&name)),
            }
        }
        self
    }

    /// The map, or the error of the first entry that could not be encoded.
    pub fn build(self) -> Result<LiteralMap, LiteralError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(LiteralMap {
                literals: self.literals,
            }),
        }
    }
}

/// A builder that starts with the entries of `map`.
impl From<LiteralMap> for LiteralMapBuilder {
    fn from(map: LiteralMap) -> Self {
        LiteralMapBuilder {
            literals: map.literals,
            error: None,
        }
    }
}

impl LiteralMap {
    /// A [`LiteralMapBuilder`], to build a map from Rust values.
    pub fn builder() -> LiteralMapBuilder {
        LiteralMapBuilder::new()
    }
}

/// Reads the entry `name` of `map` (a task's inputs) as a `T`.
///
/// A missing entry is [`LiteralError::Missing`], listing the names the map
/// does hold; an entry that does not convert is [`LiteralError::At`] with
/// `name` at the start of its path.
pub fn read_input<T: FromLiteral>(map: &LiteralMap, name: &str) -> Result<T, LiteralError> {
    let Some(literal) = map.literals.get(name) else {
        let mut available: Vec<String> = map.literals.keys().cloned().collect();
        available.sort();
        return Err(LiteralError::Missing {
            name: name.to_owned(),
            available,
        });
    };
    T::from_literal(literal).map_err(|e| e.at_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::Dataclass;

    #[test]
    fn builds_and_reads_back() {
        let map = LiteralMap::builder()
            .with("x", 42)
            .with("name", "q")
            .with("tags", vec!["a".to_owned()])
            .with("none", None::<i64>)
            .with("dc", Dataclass(serde_json::json!({"k": 1})))
            .build()
            .unwrap();
        assert_eq!(read_input::<i64>(&map, "x").unwrap(), 42);
        assert_eq!(read_input::<String>(&map, "name").unwrap(), "q");
        assert_eq!(read_input::<Vec<String>>(&map, "tags").unwrap(), ["a"]);
        assert_eq!(read_input::<Option<i64>>(&map, "none").unwrap(), None);
        assert_eq!(
            read_input::<Dataclass<serde_json::Value>>(&map, "dc")
                .unwrap()
                .0,
            serde_json::json!({"k": 1})
        );
    }

    #[test]
    fn later_values_replace_earlier_ones() {
        let map = LiteralMapBuilder::new()
            .with("x", 1)
            .with("x", 2)
            .build()
            .unwrap();
        assert_eq!(read_input::<i64>(&map, "x").unwrap(), 2);
    }

    #[test]
    fn the_first_error_names_its_entry() {
        let err = LiteralMapBuilder::new()
            .with("ok", 1)
            .with("list", vec![1u64, u64::MAX])
            .with("big", u64::MAX)
            .build()
            .unwrap_err();
        match &err {
            LiteralError::At { path, source } => {
                assert_eq!(path, "list[1]");
                assert!(matches!(**source, LiteralError::OutOfRange { .. }));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_inputs_list_the_available_ones() {
        let map = LiteralMapBuilder::new()
            .with("b", 1)
            .with("a", 2)
            .build()
            .unwrap();
        assert_eq!(
            read_input::<i64>(&map, "c").unwrap_err(),
            LiteralError::Missing {
                name: "c".into(),
                available: vec!["a".into(), "b".into()],
            }
        );
        assert_eq!(
            read_input::<i64>(&LiteralMap::default(), "c")
                .unwrap_err()
                .to_string(),
            "no input named \"c\"; there are no inputs"
        );
    }

    #[test]
    fn conversion_errors_name_the_input() {
        let map = LiteralMapBuilder::new()
            .with("x", vec![1, 2])
            .build()
            .unwrap();
        assert_eq!(
            read_input::<String>(&map, "x").unwrap_err().to_string(),
            "x: expected a string, found a collection"
        );
        assert_eq!(
            read_input::<Vec<bool>>(&map, "x").unwrap_err().to_string(),
            "x[0]: expected a boolean, found an integer"
        );
    }

    #[test]
    fn starts_from_an_existing_map() {
        let map = LiteralMapBuilder::new().with("a", 1).build().unwrap();
        let map = LiteralMapBuilder::from(map).with("b", 2).build().unwrap();
        assert_eq!(map.literals.len(), 2);
    }
}
