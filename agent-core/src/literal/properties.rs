//! Property tests of every way a literal is read: any literal (or any bytes
//! decoded as one) read as any common Rust type or as JSON, and any JSON
//! written as a literal of any type, answers a value or a typed error,
//! never a panic; values written and read back are unchanged.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use prost::Message;
use serde_json::Value;

use super::json;
use super::{
    Dataclass, FlyteDirectory, FlyteFile, FromLiteral, IntoLiteral, StructuredDataset,
    scalar_literal,
};
use crate::proto::flyteidl::core::{
    Binary, Blob, BlobMetadata, BlobType, EnumType, Literal, LiteralCollection, LiteralMap,
    LiteralOffloadedMetadata, LiteralType, Primitive, StructuredDatasetMetadata, UnionType,
    VariableMap, literal, literal_type, primitive, scalar,
};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// Any JSON value, a few levels deep.
pub(crate) fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
        "[0-9T:Z.+-]{0,25}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(".{0,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn primitive_literal(value: primitive::Value) -> Literal {
    scalar_literal(scalar::Value::Primitive(Primitive { value: Some(value) }))
}

/// Any literal a few levels deep, of every kind Flyte sends, with values
/// at the edges (huge timestamps, negative durations, random msgpack).
pub(crate) fn any_literal() -> impl Strategy<Value = Literal> {
    let leaf = prop_oneof![
        Just(Literal::default()),
        any::<i64>().prop_map(|i| primitive_literal(primitive::Value::Integer(i))),
        any::<f64>().prop_map(|f| primitive_literal(primitive::Value::FloatValue(f))),
        any::<bool>().prop_map(|b| primitive_literal(primitive::Value::Boolean(b))),
        ".{0,8}".prop_map(|s| primitive_literal(primitive::Value::StringValue(s))),
        (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| primitive_literal(
            primitive::Value::Datetime(prost_types::Timestamp { seconds, nanos })
        )),
        (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| primitive_literal(
            primitive::Value::Duration(prost_types::Duration { seconds, nanos })
        )),
        Just(scalar_literal(scalar::Value::Primitive(Primitive {
            value: None
        }))),
        (
            vec(any::<u8>(), 0..24),
            prop_oneof![Just(""), Just("msgpack"), Just("x")]
        )
            .prop_map(|(value, tag)| scalar_literal(scalar::Value::Binary(Binary {
                value,
                tag: tag.into()
            }))),
        any_json().prop_map(|value| scalar_literal(scalar::Value::Binary(Binary {
            value: rmp_serde::to_vec_named(&value).unwrap_or_default(),
            tag: "msgpack".into(),
        }))),
        any_json().prop_map(|value| match value {
            Value::Object(map) => scalar_literal(scalar::Value::Generic(json::to_struct(&map))),
            other => json::to_literal(&other).unwrap_or_default(),
        }),
        (".{0,8}", ".{0,4}", any::<i32>()).prop_map(|(uri, format, dimensionality)| {
            scalar_literal(scalar::Value::Blob(Blob {
                metadata: Some(BlobMetadata {
                    r#type: Some(BlobType {
                        format,
                        dimensionality,
                    }),
                }),
                uri,
            }))
        }),
        (".{0,8}", proptest::option::of(".{0,4}")).prop_map(|(uri, format)| {
            scalar_literal(scalar::Value::StructuredDataset(
                crate::proto::flyteidl::core::StructuredDataset {
                    uri,
                    metadata: format.map(|format| StructuredDatasetMetadata {
                        structured_dataset_type: Some(
                            crate::proto::flyteidl::core::StructuredDatasetType {
                                format,
                                ..Default::default()
                            },
                        ),
                    }),
                },
            ))
        }),
        Just(scalar_literal(scalar::Value::NoneType(Default::default()))),
        Just(scalar_literal(scalar::Value::Error(Default::default()))),
        ".{0,8}".prop_map(|uri| Literal {
            value: Some(literal::Value::OffloadedMetadata(
                LiteralOffloadedMetadata {
                    uri,
                    ..Default::default()
                }
            )),
            ..Default::default()
        }),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|literals| Literal {
                value: Some(literal::Value::Collection(LiteralCollection { literals })),
                ..Default::default()
            }),
            btree_map(".{0,4}", inner.clone(), 0..4).prop_map(|literals| Literal {
                value: Some(literal::Value::Map(LiteralMap {
                    literals: literals.into_iter().collect(),
                })),
                ..Default::default()
            }),
            proptest::option::of(inner).prop_map(|value| scalar_literal(scalar::Value::Union(
                Box::new(crate::proto::flyteidl::core::Union {
                    value: value.map(Box::new),
                    r#type: None,
                })
            ))),
        ]
    })
}

/// Any literal type a few levels deep, including enum values no Flyte
/// version defines.
fn any_type() -> impl Strategy<Value = LiteralType> {
    let of = |ty: literal_type::Type| LiteralType {
        r#type: Some(ty),
        ..Default::default()
    };
    let leaf = prop_oneof![
        Just(LiteralType::default()),
        (-1i32..12).prop_map(move |simple| of(literal_type::Type::Simple(simple))),
        (".{0,4}", -1i32..3).prop_map(move |(format, dimensionality)| of(
            literal_type::Type::Blob(BlobType {
                format,
                dimensionality
            })
        )),
        vec(".{0,4}", 0..3)
            .prop_map(move |values| of(literal_type::Type::EnumType(EnumType { values }))),
        Just(of(literal_type::Type::StructuredDatasetType(
            Default::default()
        ))),
    ];
    leaf.prop_recursive(3, 16, 3, move |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(move |ty| of(literal_type::Type::CollectionType(Box::new(ty)))),
            inner
                .clone()
                .prop_map(move |ty| of(literal_type::Type::MapValueType(Box::new(ty)))),
            vec(inner, 0..3).prop_map(move |variants| of(literal_type::Type::UnionType(
                UnionType { variants }
            ))),
        ]
    })
}

/// Reads `literal` as every common type and as JSON. Each read answers a
/// value or an error; a panic fails the property.
pub(crate) fn read_every_way(literal: &Literal) {
    let _ = i64::from_literal(literal);
    let _ = u8::from_literal(literal);
    let _ = f64::from_literal(literal);
    let _ = f32::from_literal(literal);
    let _ = bool::from_literal(literal);
    let _ = String::from_literal(literal);
    let _ = DateTime::<Utc>::from_literal(literal);
    let _ = Duration::from_literal(literal);
    let _ = Bytes::from_literal(literal);
    let _ = Vec::<i64>::from_literal(literal);
    let _ = Vec::<Option<String>>::from_literal(literal);
    let _ = HashMap::<String, f64>::from_literal(literal);
    let _ = BTreeMap::<String, Vec<bool>>::from_literal(literal);
    let _ = Option::<DateTime<Utc>>::from_literal(literal);
    let _ = Dataclass::<Value>::from_literal(literal);
    let _ = Dataclass::<BTreeMap<String, i64>>::from_literal(literal);
    let _ = FlyteFile::from_literal(literal);
    let _ = FlyteDirectory::from_literal(literal);
    let _ = StructuredDataset::from_literal(literal);
    let _ = LiteralMap::from_literal(literal);
    let _ = json::from_literal(literal);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_literal_reads_as_any_type_or_a_typed_error(literal in any_literal()) {
        read_every_way(&literal);
        let outputs = LiteralMap {
            literals: [("o0".to_owned(), literal)].into(),
        };
        let _ = json::outputs_to_json(&outputs);
    }

    #[test]
    fn any_bytes_decoded_as_a_literal_read_without_panic(bytes in vec(any::<u8>(), 0..96)) {
        if let Ok(literal) = Literal::decode(bytes.as_slice()) {
            read_every_way(&literal);
        }
    }

    #[test]
    fn any_json_converts_to_a_literal_of_any_type_or_a_typed_error(
        value in any_json(),
        ty in any_type(),
    ) {
        if let Ok(literal) = json::to_literal(&value) {
            read_every_way(&literal);
        }
        if let Ok(literal) = json::to_typed_literal(&value, &ty) {
            read_every_way(&literal);
        }
        let _ = json::infer_type(&value);
        let _ = json::type_name(&ty);
        let declared = VariableMap {
            variables: [(
                "x".to_owned(),
                crate::proto::flyteidl::core::Variable {
                    r#type: Some(ty),
                    ..Default::default()
                },
            )]
            .into(),
        };
        let inputs = serde_json::json!({ "x": value });
        let _ = json::inputs_from_json(&inputs, Some(&declared));
        let _ = json::inputs_from_json(&inputs, None);
    }

    #[test]
    fn values_written_as_literals_read_back_unchanged(
        integer in any::<i64>(),
        text in ".{0,16}",
        list in vec(any::<i64>(), 0..8),
        map in btree_map(".{0,6}", any::<bool>(), 0..6),
        seconds in 0u64..10_000_000_000,
        nanos in 0u32..1_000_000_000,
    ) {
        prop_assert_eq!(i64::from_literal(&integer.into_literal().unwrap()).unwrap(), integer);
        prop_assert_eq!(String::from_literal(&text.clone().into_literal().unwrap()).unwrap(), text);
        prop_assert_eq!(Vec::<i64>::from_literal(&list.clone().into_literal().unwrap()).unwrap(), list);
        let read = BTreeMap::<String, bool>::from_literal(&map.clone().into_literal().unwrap());
        prop_assert_eq!(read.unwrap(), map.clone());
        let duration = Duration::new(seconds, nanos);
        prop_assert_eq!(Duration::from_literal(&duration.into_literal().unwrap()).unwrap(), duration);
        let dataclass = Dataclass(map.clone()).into_literal().unwrap();
        prop_assert_eq!(Dataclass::<BTreeMap<String, bool>>::from_literal(&dataclass).unwrap().0, map);
    }
}
