//! Rust values to and from Flyte literals, encoded the way flytekit encodes them.
//!
//! | Rust | Flyte literal |
//! |---|---|
//! | `bool`, integers, floats, `String` | `Scalar.primitive` |
//! | `chrono::DateTime<Utc>`, `std::time::Duration` | `Primitive.datetime`, `Primitive.duration` |
//! | [`bytes::Bytes`] | `Scalar.binary` with an empty tag |
//! | `Vec<T>` | `LiteralCollection` |
//! | `HashMap<String, T>`, `BTreeMap<String, T>` | `LiteralMap` |
//! | `Option<T>` | `T`, or `Scalar.none_type` for `None` |
//! | [`Dataclass<T>`] for any serde type | `Scalar.binary` tagged `msgpack` (reads `Scalar.generic` too) |
//! | [`FlyteFile`] | `Scalar.blob`, single: a URI and a format |
//! | [`FlyteDirectory`] | `Scalar.blob`, multipart: a URI and a format |
//! | [`StructuredDataset`] | `Scalar.structured_dataset`: a URI, a file format (`parquet`), the columns when known |
//! | [`Literal`], [`LiteralMap`](crate::proto::flyteidl::core::LiteralMap) | themselves |
//!
//! Values wrapped in `Scalar.union` (an `Optional[T]` or other union in the
//! task interface) are unwrapped when read. Values that FlytePropeller cut out
//! of a dataclass (`wf(dc) -> t(dc.count)`) arrive as `msgpack` binaries, and
//! are read like flytekit reads them: a datetime from its ISO 8601 string, a
//! duration from its seconds, a file or directory from its `path`, a data
//! frame from its `uri` and `file_format`. Inside a [`Dataclass`], files,
//! directories and data frames are those maps too.
//!
//! [`json`] converts JSON values to and from literals, typed by a task's
//! interface or not: what a command line reads and prints.
//!
//! ```
//! use agent_core::literal::{LiteralMapBuilder, read_input};
//!
//! let inputs = LiteralMapBuilder::new()
//!     .with("x", 42)
//!     .with("names", vec!["a", "b"])
//!     .build()
//!     .unwrap();
//! let x: i64 = read_input(&inputs, "x").unwrap();
//! assert_eq!(x, 42);
//! let err = read_input::<String>(&inputs, "x").unwrap_err();
//! assert_eq!(err.to_string(), "x: expected a string, found an integer");
//! ```

mod blob;
mod collection;
mod dataclass;
pub mod json;
mod map_builder;
mod map_codec;
mod msgpack;
#[cfg(test)]
pub(crate) mod properties;
mod scalar;
mod structured_dataset;

pub use blob::{FlyteDirectory, FlyteFile};
pub use dataclass::Dataclass;
pub use map_builder::{LiteralMapBuilder, read_input};
pub(crate) use map_codec::{encode_map, map_encoded_len};
pub use structured_dataset::StructuredDataset;

use crate::proto::flyteidl::core::{self as pb, Literal, Primitive};

/// Why a value could not be converted to or from a literal.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LiteralError {
    /// The literal holds another kind of value than the Rust type asks for.
    #[error("expected {expected}, found {found}")]
    TypeMismatch {
        /// What the Rust type reads.
        expected: &'static str,
        /// What the literal holds.
        found: String,
    },
    /// A number does not fit the Rust type.
    #[error("{value} does not fit in {target}")]
    OutOfRange {
        /// The value as written in the literal, or as the Rust value held it.
        value: String,
        /// The Rust type it was read into, or the Flyte type it was written as.
        target: &'static str,
    },
    /// The literal was offloaded to blob storage and not read from there.
    /// Servers and the local runner read offloaded inputs before an agent
    /// runs, so only a literal that did not pass through them is.
    #[error(
        "the literal was offloaded to {uri} and not read from there (servers and the local \
         runner read offloaded inputs before the agent runs; elsewhere read the serialized \
         Literal with agent_core::storage::Storage::read)"
    )]
    Offloaded {
        /// Where the value is stored.
        uri: String,
    },
    /// A serde value could not be encoded or decoded.
    #[error("{0}")]
    Serde(String),
    /// An element of a collection or map failed to convert.
    #[error("{path}: {source}")]
    At {
        /// Where the element is: an input or output name, then indexes and
        /// keys, as `x[3]["key"]`.
        path: String,
        /// What went wrong there.
        #[source]
        source: Box<LiteralError>,
    },
    /// A literal map has no entry of that name.
    #[error("no input named {name:?}; {}", list_available(.available))]
    Missing {
        /// The name asked for.
        name: String,
        /// The names the map holds, sorted.
        available: Vec<String>,
    },
}

fn list_available(available: &[String]) -> String {
    if available.is_empty() {
        "there are no inputs".to_owned()
    } else {
        let names: Vec<String> = available.iter().map(|name| format!("{name:?}")).collect();
        format!("the inputs are {}", names.join(", "))
    }
}

impl LiteralError {
    /// This error, as happening in element `index` of a collection: its path
    /// becomes `[index]` followed by the path it had.
    pub fn at_index(self, index: usize) -> Self {
        self.nest(format!("[{index}]"))
    }

    /// This error, as happening in entry `key` of a map: its path becomes
    /// `["key"]` followed by the path it had.
    pub fn at_key(self, key: &str) -> Self {
        self.nest(format!("[{key:?}]"))
    }

    /// This error, as happening in the input or output `name`: its path
    /// becomes `name` followed by the path it had.
    pub fn at_name(self, name: &str) -> Self {
        self.nest(name.to_owned())
    }

    fn nest(self, mut prefix: String) -> Self {
        match self {
            LiteralError::At { path, source } => {
                prefix.push_str(&path);
                LiteralError::At {
                    path: prefix,
                    source,
                }
            }
            other => LiteralError::At {
                path: prefix,
                source: Box::new(other),
            },
        }
    }
}

/// A Rust value that can be written as a Flyte literal.
pub trait IntoLiteral {
    /// Encodes the value as flytekit would.
    fn into_literal(self) -> Result<Literal, LiteralError>;
}

/// A Rust value that can be read from a Flyte literal.
pub trait FromLiteral: Sized {
    /// Decodes the value, as flytekit writes it.
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError>;
}

/// A literal holding `scalar`.
pub(crate) fn scalar_literal(scalar: pb::scalar::Value) -> Literal {
    Literal {
        value: Some(pb::literal::Value::Scalar(Box::new(
            crate::proto::flyteidl::core::Scalar {
                value: Some(scalar),
            },
        ))),
        ..Default::default()
    }
}

/// A literal holding the primitive `value`.
pub(crate) fn primitive_literal(value: pb::primitive::Value) -> Literal {
    scalar_literal(pb::scalar::Value::Primitive(Primitive {
        value: Some(value),
    }))
}

/// The value a literal stands for: unions are followed to the value they
/// hold, and offloaded literals are refused.
pub(crate) fn resolve(mut literal: &Literal) -> Result<&Literal, LiteralError> {
    loop {
        match &literal.value {
            Some(pb::literal::Value::OffloadedMetadata(offloaded)) => {
                return Err(LiteralError::Offloaded {
                    uri: offloaded.uri.clone(),
                });
            }
            Some(pb::literal::Value::Scalar(s)) => match &s.value {
                Some(pb::scalar::Value::Union(union)) => match &union.value {
                    Some(inner) => literal = inner,
                    None => return Ok(literal),
                },
                _ => return Ok(literal),
            },
            _ => return Ok(literal),
        }
    }
}

/// The scalar a literal holds, if it holds one.
pub(crate) fn scalar_of(literal: &Literal) -> Option<&pb::scalar::Value> {
    match &literal.value {
        Some(pb::literal::Value::Scalar(s)) => s.value.as_ref(),
        _ => None,
    }
}

/// The error for reading `expected` out of `literal`.
pub(crate) fn mismatch(expected: &'static str, literal: &Literal) -> LiteralError {
    LiteralError::TypeMismatch {
        expected,
        found: describe(literal).to_owned(),
    }
}

/// What a literal holds, as an error message names it.
pub(crate) fn describe(literal: &Literal) -> String {
    let scalar = match &literal.value {
        None => return "an empty literal".to_owned(),
        Some(pb::literal::Value::Collection(_)) => return "a collection".to_owned(),
        Some(pb::literal::Value::Map(_)) => return "a map".to_owned(),
        Some(pb::literal::Value::OffloadedMetadata(_)) => return "an offloaded literal".to_owned(),
        Some(pb::literal::Value::Scalar(s)) => s,
    };
    let name = match &scalar.value {
        None => "an empty scalar",
        Some(pb::scalar::Value::Primitive(p)) => match &p.value {
            None => "an empty primitive",
            Some(pb::primitive::Value::Integer(_)) => "an integer",
            Some(pb::primitive::Value::FloatValue(_)) => "a float",
            Some(pb::primitive::Value::StringValue(_)) => "a string",
            Some(pb::primitive::Value::Boolean(_)) => "a boolean",
            Some(pb::primitive::Value::Datetime(_)) => "a datetime",
            Some(pb::primitive::Value::Duration(_)) => "a duration",
        },
        Some(pb::scalar::Value::Binary(b)) if b.tag.is_empty() => "binary data",
        Some(pb::scalar::Value::Binary(b)) => return format!("binary data tagged {:?}", b.tag),
        Some(pb::scalar::Value::Blob(blob)) => {
            let multipart = blob
                .metadata
                .as_ref()
                .and_then(|m| m.r#type.as_ref())
                .is_some_and(|t| {
                    t.dimensionality == pb::blob_type::BlobDimensionality::Multipart as i32
                });
            if multipart { "a directory" } else { "a file" }
        }
        Some(pb::scalar::Value::Schema(_)) => "a schema",
        Some(pb::scalar::Value::NoneType(_)) => "none",
        Some(pb::scalar::Value::Error(_)) => "an error",
        Some(pb::scalar::Value::Generic(_)) => "a generic struct",
        Some(pb::scalar::Value::StructuredDataset(_)) => "a structured dataset",
        Some(pb::scalar::Value::Union(_)) => "an empty union",
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::flyteidl::core::{LiteralOffloadedMetadata, Scalar, Union, Void};
    use crate::proto::flyteidl::core::{literal, primitive, scalar};

    pub(crate) fn union_of(inner: Literal) -> Literal {
        Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar {
                value: Some(scalar::Value::Union(Box::new(Union {
                    value: Some(Box::new(inner)),
                    r#type: None,
                }))),
            }))),
            ..Default::default()
        }
    }

    pub(crate) fn offloaded(uri: &str) -> Literal {
        Literal {
            value: Some(literal::Value::OffloadedMetadata(
                LiteralOffloadedMetadata {
                    uri: uri.to_owned(),
                    size_bytes: 10,
                    inferred_type: None,
                },
            )),
            ..Default::default()
        }
    }

    #[test]
    fn resolve_unwraps_nested_unions() {
        let inner = primitive_literal(primitive::Value::Integer(3));
        let wrapped = union_of(union_of(inner.clone()));
        assert_eq!(resolve(&wrapped).unwrap(), &inner);
    }

    #[test]
    fn resolve_refuses_offloaded_literals_even_in_unions() {
        let err = resolve(&union_of(offloaded("s3://b/k"))).unwrap_err();
        assert_eq!(
            err,
            LiteralError::Offloaded {
                uri: "s3://b/k".into()
            }
        );
    }

    #[test]
    fn describe_names_every_kind() {
        assert_eq!(describe(&Literal::default()), "an empty literal");
        assert_eq!(
            describe(&scalar_literal(scalar::Value::NoneType(Void {}))),
            "none"
        );
        assert_eq!(
            describe(&scalar_literal(scalar::Value::Binary(
                crate::proto::flyteidl::core::Binary {
                    value: vec![],
                    tag: "msgpack".into(),
                }
            ))),
            "binary data tagged \"msgpack\""
        );
    }

    #[test]
    fn paths_nest_outermost_first() {
        let err = LiteralError::TypeMismatch {
            expected: "an integer",
            found: "a string".into(),
        }
        .at_key("k")
        .at_index(2)
        .at_name("x");
        assert_eq!(
            err.to_string(),
            "x[2][\"k\"]: expected an integer, found a string"
        );
    }

    #[test]
    fn missing_lists_the_inputs() {
        let err = LiteralError::Missing {
            name: "y".into(),
            available: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            err.to_string(),
            "no input named \"y\"; the inputs are \"a\", \"b\""
        );
        let none = LiteralError::Missing {
            name: "y".into(),
            available: vec![],
        };
        assert_eq!(
            none.to_string(),
            "no input named \"y\"; there are no inputs"
        );
    }
}
