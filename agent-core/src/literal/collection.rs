//! Lists, maps, optional values, and literals themselves.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use super::{FromLiteral, IntoLiteral, LiteralError, mismatch, msgpack, resolve, scalar_of};
use crate::proto::flyteidl::core::{Literal, LiteralCollection, LiteralMap, Void, literal, scalar};
use crate::protobuf_struct::struct_to_json;

/// A literal holding a collection of `items`.
fn collection_literal<T: IntoLiteral>(
    items: impl IntoIterator<Item = T>,
) -> Result<Literal, LiteralError> {
    let literals = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| item.into_literal().map_err(|e| e.at_index(index)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Literal {
        value: Some(literal::Value::Collection(LiteralCollection { literals })),
        ..Default::default()
    })
}

/// A literal holding a map of `entries`.
fn map_literal<T: IntoLiteral>(
    entries: impl IntoIterator<Item = (String, T)>,
) -> Result<Literal, LiteralError> {
    let literals = entries
        .into_iter()
        .map(|(key, value)| match value.into_literal() {
            Ok(literal) => Ok((key, literal)),
            Err(e) => Err(e.at_key(&key)),
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    Ok(Literal {
        value: Some(literal::Value::Map(LiteralMap { literals })),
        ..Default::default()
    })
}

/// Reads a `LiteralCollection`, or a list FlytePropeller cut out of a
/// dataclass (a `msgpack` array).
fn read_collection<T: FromLiteral>(literal: &Literal) -> Result<Vec<T>, LiteralError> {
    let literal = resolve(literal)?;
    if let Some(literal::Value::Collection(collection)) = &literal.value {
        return collection
            .literals
            .iter()
            .enumerate()
            .map(|(index, item)| T::from_literal(item).map_err(|e| e.at_index(index)))
            .collect();
    }
    if let Some(bytes) = msgpack::bytes_of(scalar_of(literal)) {
        return match msgpack::decode(bytes)? {
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    msgpack::literal(item)
                        .and_then(|item| T::from_literal(&item))
                        .map_err(|e| e.at_index(index))
                })
                .collect(),
            other => Err(msgpack::mismatch("a collection", &other)),
        };
    }
    Err(mismatch("a collection", literal))
}

/// Reads a `LiteralMap`, or a dict FlytePropeller cut out of a dataclass (a
/// `msgpack` map, or a `Scalar.generic` struct in the older encoding).
/// Entries are read in key order, so the error reported is always the same.
fn read_entries<T: FromLiteral>(literal: &Literal) -> Result<Vec<(String, T)>, LiteralError> {
    let literal = resolve(literal)?;
    if let Some(literal::Value::Map(map)) = &literal.value {
        let mut keys: Vec<&String> = map.literals.keys().collect();
        keys.sort();
        return keys
            .into_iter()
            .map(|key| match T::from_literal(&map.literals[key]) {
                Ok(value) => Ok((key.clone(), value)),
                Err(e) => Err(e.at_key(key)),
            })
            .collect();
    }
    let json = match scalar_of(literal) {
        Some(scalar::Value::Generic(generic)) => struct_to_json(generic),
        scalar => match msgpack::bytes_of(scalar) {
            Some(bytes) => msgpack::decode(bytes)?,
            None => return Err(mismatch("a map", literal)),
        },
    };
    let serde_json::Value::Object(object) = json else {
        return Err(msgpack::mismatch("a map", &json));
    };
    // serde_json's map is ordered by key.
    object
        .iter()
        .map(|(key, value)| {
            msgpack::literal(value)
                .and_then(|value| T::from_literal(&value))
                .map(|value| (key.clone(), value))
                .map_err(|e| e.at_key(key))
        })
        .collect()
}

/// `LiteralCollection`, a `list[T]` in Python. An element that fails says
/// where it is, as `[2]`.
impl<T: IntoLiteral> IntoLiteral for Vec<T> {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        collection_literal(self)
    }
}

impl<T: FromLiteral> FromLiteral for Vec<T> {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_collection(literal)
    }
}

/// `LiteralMap`, a `dict[str, T]` in Python. An entry that fails says where
/// it is, as `["key"]`.
impl<T: IntoLiteral, S> IntoLiteral for HashMap<String, T, S> {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        map_literal(self)
    }
}

impl<T: FromLiteral, S: BuildHasher + Default> FromLiteral for HashMap<String, T, S> {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        Ok(read_entries(literal)?.into_iter().collect())
    }
}

/// `LiteralMap`, a `dict[str, T]` in Python.
impl<T: IntoLiteral> IntoLiteral for BTreeMap<String, T> {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        map_literal(self)
    }
}

impl<T: FromLiteral> FromLiteral for BTreeMap<String, T> {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        Ok(read_entries(literal)?.into_iter().collect())
    }
}

/// `None` is `Scalar.none_type`; `Some(v)` is `v`, without the
/// `Scalar.union` flytekit wraps it in when the interface says `Optional[T]`.
impl<T: IntoLiteral> IntoLiteral for Option<T> {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        match self {
            Some(value) => value.into_literal(),
            None => Ok(super::scalar_literal(scalar::Value::NoneType(Void {}))),
        }
    }
}

/// Reads `Scalar.none_type` (or a `msgpack` nil) as `None`, anything else
/// as `Some` of `T`; unions are unwrapped first.
impl<T: FromLiteral> FromLiteral for Option<T> {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        let literal = resolve(literal)?;
        let scalar = scalar_of(literal);
        if matches!(scalar, Some(scalar::Value::NoneType(_)))
            || msgpack::bytes_of(scalar) == Some(&msgpack::NIL[..])
        {
            return Ok(None);
        }
        T::from_literal(literal).map(Some)
    }
}

/// The literal as it is.
impl IntoLiteral for Literal {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(self)
    }
}

/// A copy of the literal as it is: unions are kept, offloaded literals are
/// not refused.
impl FromLiteral for Literal {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        Ok(literal.clone())
    }
}

/// A map literal holding these entries.
impl IntoLiteral for LiteralMap {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(Literal {
            value: Some(literal::Value::Map(self)),
            ..Default::default()
        })
    }
}

/// The entries of a map literal, as they are.
impl FromLiteral for LiteralMap {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        let literal = resolve(literal)?;
        match &literal.value {
            Some(literal::Value::Map(map)) => Ok(map.clone()),
            _ => Err(mismatch("a map", literal)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::primitive_literal;
    use crate::literal::tests::{offloaded, union_of};
    use crate::proto::flyteidl::core::primitive;
    use std::fmt::Debug;

    fn round_trip<T: IntoLiteral + FromLiteral + Clone + PartialEq + Debug>(value: T) {
        let literal = value.clone().into_literal().unwrap();
        assert_eq!(T::from_literal(&literal).unwrap(), value);
    }

    fn int(i: i64) -> Literal {
        primitive_literal(primitive::Value::Integer(i))
    }

    fn collection(literals: Vec<Literal>) -> Literal {
        Literal {
            value: Some(literal::Value::Collection(LiteralCollection { literals })),
            ..Default::default()
        }
    }

    fn map(entries: Vec<(&str, Literal)>) -> Literal {
        LiteralMap {
            literals: entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
        .into_literal()
        .unwrap()
    }

    #[test]
    fn collections_round_trip() {
        round_trip(vec![1i64, 2, 3]);
        round_trip(Vec::<String>::new());
        round_trip(vec![vec![1.5f64], vec![], vec![2.0, 3.0]]);
        round_trip(HashMap::from([
            ("a".to_owned(), 1.5f64),
            ("b".to_owned(), -2.0),
        ]));
        round_trip(BTreeMap::from([("k".to_owned(), vec![true, false])]));
        round_trip(Some(3i32));
        round_trip(None::<String>);
        round_trip(vec![Some(1u8), None, Some(3)]);
        round_trip(HashMap::<String, Option<i64>>::from([(
            "n".to_owned(),
            None,
        )]));
    }

    #[test]
    fn encodings_match_flytekit() {
        assert_eq!(
            vec![1i64, 2].into_literal().unwrap(),
            collection(vec![int(1), int(2)])
        );
        assert_eq!(
            BTreeMap::from([("a".to_owned(), 1i64)])
                .into_literal()
                .unwrap(),
            map(vec![("a", int(1))])
        );
        assert_eq!(
            None::<i64>.into_literal().unwrap(),
            crate::literal::scalar_literal(scalar::Value::NoneType(Void {}))
        );
        assert_eq!(Some(4i64).into_literal().unwrap(), int(4));
    }

    #[test]
    fn element_errors_carry_their_path() {
        let list = collection(vec![int(1), int(2), "x".into_literal().unwrap()]);
        let err = Vec::<i64>::from_literal(&list).unwrap_err();
        assert_eq!(err.to_string(), "[2]: expected an integer, found a string");
        assert!(matches!(&err, LiteralError::At { path, .. } if path == "[2]"));

        let nested = map(vec![
            ("ok", collection(vec![int(1)])),
            ("k", collection(vec![int(1), int(300)])),
        ]);
        let err = HashMap::<String, Vec<u8>>::from_literal(&nested).unwrap_err();
        assert_eq!(err.to_string(), "[\"k\"][1]: 300 does not fit in u8");

        let err = vec![Some(u64::MAX)].into_literal().unwrap_err();
        assert!(matches!(&err, LiteralError::At { path, .. } if path == "[0]"));
        let err = BTreeMap::from([("big".to_owned(), u64::MAX)])
            .into_literal()
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("[\"big\"]: 18446744073709551615")
        );
    }

    #[test]
    fn mismatches_say_what_was_found() {
        assert_eq!(
            Vec::<i64>::from_literal(&int(1)).unwrap_err().to_string(),
            "expected a collection, found an integer"
        );
        assert_eq!(
            BTreeMap::<String, i64>::from_literal(&collection(vec![]))
                .unwrap_err()
                .to_string(),
            "expected a map, found a collection"
        );
        assert_eq!(
            LiteralMap::from_literal(&int(1)).unwrap_err().to_string(),
            "expected a map, found an integer"
        );
        assert_eq!(
            Option::<i64>::from_literal(&"s".into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected an integer, found a string"
        );
    }

    #[test]
    fn unions_and_offloads_are_handled_at_every_level() {
        let optional_none = union_of(None::<i64>.into_literal().unwrap());
        assert_eq!(Option::<i64>::from_literal(&optional_none).unwrap(), None);
        assert_eq!(
            Option::<i64>::from_literal(&union_of(int(5))).unwrap(),
            Some(5)
        );
        let list = union_of(collection(vec![union_of(int(1)), int(2)]));
        assert_eq!(Vec::<i64>::from_literal(&list).unwrap(), vec![1, 2]);

        let err =
            Vec::<i64>::from_literal(&collection(vec![int(1), offloaded("s3://b/k")])).unwrap_err();
        assert_eq!(
            err,
            LiteralError::At {
                path: "[1]".into(),
                source: Box::new(LiteralError::Offloaded {
                    uri: "s3://b/k".into()
                }),
            }
        );
        assert_eq!(
            Option::<i64>::from_literal(&offloaded("s3://b/k")).unwrap_err(),
            LiteralError::Offloaded {
                uri: "s3://b/k".into()
            }
        );
    }

    #[test]
    fn msgpack_and_struct_values_cut_out_of_a_dataclass_are_read() {
        let list = msgpack::literal(&serde_json::json!([1, 2, 3])).unwrap();
        assert_eq!(Vec::<i64>::from_literal(&list).unwrap(), vec![1, 2, 3]);
        let bad = msgpack::literal(&serde_json::json!([1, "x"])).unwrap();
        assert_eq!(
            Vec::<i64>::from_literal(&bad).unwrap_err().to_string(),
            "[1]: expected an integer, found a msgpack string"
        );
        let dict = msgpack::literal(&serde_json::json!({"a": [1.5], "b": []})).unwrap();
        assert_eq!(
            BTreeMap::<String, Vec<f64>>::from_literal(&dict).unwrap(),
            BTreeMap::from([("a".to_owned(), vec![1.5]), ("b".to_owned(), vec![])])
        );
        assert_eq!(
            Vec::<i64>::from_literal(&dict).unwrap_err().to_string(),
            "expected a collection, found a msgpack map"
        );
        let nil = msgpack::literal(&serde_json::Value::Null).unwrap();
        assert_eq!(Option::<i64>::from_literal(&nil).unwrap(), None);

        let json = serde_json::json!({"x": 1, "y": "z"});
        let generic = crate::literal::scalar_literal(scalar::Value::Generic(
            crate::protobuf_struct::json_object_to_struct(json.as_object().unwrap()),
        ));
        assert_eq!(
            BTreeMap::<String, String>::from_literal(&generic)
                .unwrap_err()
                .to_string(),
            "[\"x\"]: expected a string, found a msgpack integer"
        );
        assert_eq!(
            HashMap::<String, i64>::from_literal(&generic)
                .unwrap_err()
                .to_string(),
            "[\"y\"]: expected an integer, found a msgpack string"
        );
    }

    #[test]
    fn literals_and_literal_maps_pass_through() {
        let literal = union_of(int(1));
        round_trip(literal.clone());
        assert_eq!(Literal::from_literal(&literal).unwrap(), literal);
        let entries = LiteralMap {
            literals: BTreeMap::from([("a".to_owned(), int(1))]),
        };
        round_trip(entries.clone());
        assert_eq!(
            LiteralMap::from_literal(&union_of(entries.clone().into_literal().unwrap())).unwrap(),
            entries
        );
        assert_eq!(
            HashMap::<String, i64>::from_literal(&entries.into_literal().unwrap()).unwrap(),
            HashMap::from([("a".to_owned(), 1)])
        );
    }
}
