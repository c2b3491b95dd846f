//! Dataclasses, pydantic models and untyped dicts: any serde value.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    FromLiteral, IntoLiteral, LiteralError, mismatch, msgpack, resolve, scalar_literal, scalar_of,
};
use crate::proto::flyteidl::core::{Literal, scalar};
use crate::protobuf_struct::{json_object_to_struct, struct_to_json};

/// Any serde value, encoded as flytekit encodes a dataclass, a pydantic model
/// or an untyped `dict`: a `Scalar.binary` tagged `msgpack` holding the
/// MessagePack encoding, with structs written as maps of field names.
///
/// Reads that, and the `Scalar.generic` struct older flytekit writes (and
/// flytekit 1.14+ with `FLYTE_USE_OLD_DC_FORMAT=true`).
///
/// ```
/// use agent_core::literal::{Dataclass, FromLiteral, IntoLiteral};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Query {
///     sql: String,
///     limit: Option<u32>,
/// }
///
/// let query = Query { sql: "select 1".into(), limit: Some(10) };
/// let literal = Dataclass(&query).into_literal().unwrap();
/// let Dataclass(read) = Dataclass::<Query>::from_literal(&literal).unwrap();
/// assert_eq!(read, query);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dataclass<T>(pub T);

impl<T> Dataclass<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Serialize> Dataclass<T> {
    /// The value as a `Scalar.generic` struct, as flytekit before 1.14 (or
    /// with `FLYTE_USE_OLD_DC_FORMAT=true`) writes it. The value must
    /// serialize to a map; numbers become doubles.
    pub fn into_struct_literal(self) -> Result<Literal, LiteralError> {
        let json = serde_json::to_value(&self.0)
            .map_err(|e| LiteralError::Serde(format!("could not encode as JSON: {e}")))?;
        match json {
            serde_json::Value::Object(object) => Ok(scalar_literal(scalar::Value::Generic(
                json_object_to_struct(&object),
            ))),
            other => Err(LiteralError::TypeMismatch {
                expected: "a value that serializes to a map",
                found: json_kind(&other).to_owned(),
            }),
        }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "a map",
    }
}

/// `Scalar.binary` tagged `msgpack`.
impl<T: Serialize> IntoLiteral for Dataclass<T> {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        let bytes = rmp_serde::to_vec_named(&self.0)
            .map_err(|e| LiteralError::Serde(format!("could not encode as msgpack: {e}")))?;
        Ok(msgpack::binary_literal(bytes))
    }
}

/// Reads a `msgpack` binary or a `Scalar.generic` struct.
impl<T: DeserializeOwned> FromLiteral for Dataclass<T> {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        let literal = resolve(literal)?;
        let scalar = scalar_of(literal);
        if let Some(bytes) = msgpack::bytes_of(scalar) {
            return rmp_serde::from_slice(bytes).map(Dataclass).map_err(|e| {
                LiteralError::Serde(format!("could not decode the msgpack value: {e}"))
            });
        }
        if let Some(scalar::Value::Generic(generic)) = scalar {
            return serde_json::from_value(struct_to_json(generic))
                .map(Dataclass)
                .map_err(|e| LiteralError::Serde(format!("could not decode the struct: {e}")));
        }
        Err(mismatch(
            "a dataclass (binary data tagged \"msgpack\" or a generic struct)",
            literal,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::tests::{offloaded, union_of};
    use crate::proto::flyteidl::core::Binary;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Inner {
        a: i64,
        b: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Outer {
        name: String,
        count: i64,
        ratio: f64,
        tags: Vec<String>,
        inner: Inner,
        maybe: Option<i64>,
    }

    fn outer() -> Outer {
        Outer {
            name: "n".into(),
            count: 3,
            ratio: 0.5,
            tags: vec!["x".into(), "y".into()],
            inner: Inner {
                a: 1,
                b: "z".into(),
            },
            maybe: None,
        }
    }

    #[test]
    fn msgpack_round_trips() {
        let literal = Dataclass(outer()).into_literal().unwrap();
        assert_eq!(
            Dataclass::<Outer>::from_literal(&literal)
                .unwrap()
                .into_inner(),
            outer()
        );
    }

    #[test]
    fn msgpack_bytes_match_flytekit() {
        // What flytekit 1.16 writes for the same dataclass (see
        // tests/fixtures/flytekit_literals).
        let expected: &[u8] =
            b"\x86\xa4name\xa1n\xa5count\x03\xa5ratio\xcb?\xe0\x00\x00\x00\x00\x00\x00\
            \xa4tags\x92\xa1x\xa1y\xa5inner\x82\xa1a\x01\xa1b\xa1z\xa5maybe\xc0";
        let literal = Dataclass(&outer()).into_literal().unwrap();
        assert_eq!(
            scalar_of(&literal),
            Some(&scalar::Value::Binary(Binary {
                value: expected.to_vec(),
                tag: "msgpack".into()
            }))
        );
    }

    #[test]
    fn struct_form_round_trips() {
        let literal = Dataclass(outer()).into_struct_literal().unwrap();
        assert!(matches!(
            scalar_of(&literal),
            Some(scalar::Value::Generic(_))
        ));
        assert_eq!(
            Dataclass::<Outer>::from_literal(&literal).unwrap().0,
            outer()
        );
        assert_eq!(
            Dataclass(vec![1])
                .into_struct_literal()
                .unwrap_err()
                .to_string(),
            "expected a value that serializes to a map, found an array"
        );
    }

    #[test]
    fn untyped_values_round_trip() {
        let value = serde_json::json!({"a": 1, "b": [1.5, null], "c": {"d": "e"}});
        let literal = Dataclass(value.clone()).into_literal().unwrap();
        assert_eq!(
            Dataclass::<serde_json::Value>::from_literal(&literal)
                .unwrap()
                .0,
            value
        );
    }

    #[test]
    fn errors_are_reported() {
        let literal = Dataclass(serde_json::json!({"name": 1}))
            .into_literal()
            .unwrap();
        let err = Dataclass::<Outer>::from_literal(&literal).unwrap_err();
        assert!(
            matches!(&err, LiteralError::Serde(m) if m.starts_with("could not decode the msgpack value")),
            "{err}"
        );
        let generic = Dataclass(serde_json::json!({"name": 1}))
            .into_struct_literal()
            .unwrap();
        let err = Dataclass::<Outer>::from_literal(&generic).unwrap_err();
        assert!(
            err.to_string().starts_with("could not decode the struct"),
            "{err}"
        );
        assert_eq!(
            Dataclass::<Outer>::from_literal(&5i64.into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected a dataclass (binary data tagged \"msgpack\" or a generic struct), found an integer"
        );
        assert_eq!(
            Dataclass::<Outer>::from_literal(&offloaded("gs://x")).unwrap_err(),
            LiteralError::Offloaded {
                uri: "gs://x".into()
            }
        );
    }

    #[test]
    fn unions_are_unwrapped() {
        let literal = union_of(Dataclass(outer()).into_literal().unwrap());
        assert_eq!(
            Dataclass::<Outer>::from_literal(&literal).unwrap().0,
            outer()
        );
        let none = union_of(None::<Dataclass<Outer>>.into_literal().unwrap());
        assert_eq!(
            Option::<Dataclass<Outer>>::from_literal(&none).unwrap(),
            None
        );
    }
}
