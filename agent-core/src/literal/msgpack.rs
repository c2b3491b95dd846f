//! `Scalar.binary` tagged `msgpack`: how flytekit writes dataclasses and
//! untyped dicts, and how FlytePropeller hands over a value it took out of
//! one (`dc.count`, `dc.tags[0]`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{LiteralError, scalar_literal};
use crate::proto::flyteidl::core::{Binary, Literal, scalar};

/// The tag flytekit puts on MessagePack binaries.
pub(crate) const TAG: &str = "msgpack";

/// The MessagePack value `bytes`, as JSON.
pub(crate) fn decode(bytes: &[u8]) -> Result<Value, LiteralError> {
    rmp_serde::from_slice(bytes)
        .map_err(|e| LiteralError::Serde(format!("could not decode the msgpack value: {e}")))
}

/// A `T` from the MessagePack `bytes`; a value of another shape is a
/// mismatch with `expected`.
pub(crate) fn deserialize<T: DeserializeOwned>(
    bytes: &[u8],
    expected: &'static str,
) -> Result<T, LiteralError> {
    let value = decode(bytes)?;
    T::deserialize(&value).map_err(|_| mismatch(expected, &value))
}

/// `value`, as a binary literal tagged `msgpack`: the form FlytePropeller
/// gives a value it took out of a dataclass.
pub(crate) fn literal(value: &Value) -> Result<Literal, LiteralError> {
    let bytes = rmp_serde::to_vec_named(value)
        .map_err(|e| LiteralError::Serde(format!("could not encode as msgpack: {e}")))?;
    Ok(binary_literal(bytes))
}

/// A binary literal tagged `msgpack` holding `bytes`.
pub(crate) fn binary_literal(bytes: Vec<u8>) -> Literal {
    scalar_literal(scalar::Value::Binary(Binary {
        value: bytes,
        tag: TAG.to_owned(),
    }))
}

/// The MessagePack bytes a literal holds, if it is a `msgpack` binary.
pub(crate) fn bytes_of(scalar: Option<&scalar::Value>) -> Option<&[u8]> {
    match scalar {
        Some(scalar::Value::Binary(b)) if b.tag == TAG => Some(&b.value),
        _ => None,
    }
}

/// What a decoded MessagePack value is, as an error message names it.
pub(crate) fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => "nil",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "map",
    };
    format!("a msgpack {kind}")
}

/// The error for reading `expected` out of the MessagePack `value`.
pub(crate) fn mismatch(expected: &'static str, value: &Value) -> LiteralError {
    LiteralError::TypeMismatch {
        expected,
        found: describe(value),
    }
}

/// The MessagePack encoding of nil, which is how `None` is cut out of a dataclass.
pub(crate) const NIL: [u8; 1] = [0xc0];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_trip_through_a_literal() {
        let value = serde_json::json!({"a": 1, "b": [1.5, "x", null, true], "c": {"d": -3}});
        let literal = literal(&value).unwrap();
        let bytes = bytes_of(super::super::scalar_of(&literal)).unwrap();
        assert_eq!(decode(bytes).unwrap(), value);
    }

    #[test]
    fn garbage_is_a_serde_error() {
        assert!(matches!(decode(&[0xc1]), Err(LiteralError::Serde(_))));
    }

    #[test]
    fn describes_values() {
        assert_eq!(describe(&serde_json::json!(1.0)), "a msgpack float");
        assert_eq!(describe(&serde_json::json!(1)), "a msgpack integer");
        assert_eq!(describe(&serde_json::json!(null)), "a msgpack nil");
    }
}
