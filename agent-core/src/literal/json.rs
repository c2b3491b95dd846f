//! JSON values to and from Flyte literals: the inputs a person types on a
//! command line (`{"x": 3, "names": ["a", "b"]}`), and a task's outputs
//! printed as JSON (`{"o0": 6}`), never as protobuf.
//!
//! **JSON to literals**, untyped ([`to_literal`]) as flytekit writes the
//! Python value the JSON reads as, or typed by the `LiteralType` a task's
//! interface declares ([`to_typed_literal`]):
//!
//! | JSON | untyped | typed by |
//! |---|---|---|
//! | integer | `Primitive.integer` | `INTEGER` (or `FLOAT`, `DURATION` in seconds) |
//! | number with a fraction | `Primitive.float_value` | `FLOAT`, `DURATION` (seconds) |
//! | string | `Primitive.string_value` | `STRING`, `DATETIME` (RFC 3339), `BINARY` (base64), an enum (one of its values), a blob, structured dataset or schema (its URI) |
//! | `true` / `false` | `Primitive.boolean` | `BOOLEAN` |
//! | `null` | `Scalar.none_type` | `NONE` |
//! | array | `LiteralCollection` | a collection type |
//! | object | `Scalar.binary` tagged `msgpack` (an untyped `dict`, as flytekit ≥ 1.14 writes it) | a map type (`dict[str, T]`), or `STRUCT`: a `msgpack` binary when the type carries flytekit's `msgpack` serialization annotation (dataclasses, Pydantic models, dicts since 1.14), else a `Scalar.generic` struct (older flytekit, protobuf messages) |
//!
//! A union type takes the value as its first variant that accepts it, and
//! wraps it in `Scalar.union` with that variant's type, as flytekit does.
//! An object's keys are written in sorted order, not the order given (or a
//! dataclass's field order): MessagePack maps are unordered, and flytekit
//! reads them either way.
//!
//! **Literals to JSON** ([`from_literal`]): primitives as themselves, a
//! datetime as an RFC 3339 string, a duration as its seconds, `none` as
//! `null`, collections as arrays, maps as objects, `msgpack` binaries and
//! generic structs decoded to the JSON they hold, other binaries as base64,
//! blobs, structured datasets and schemas as their URI; unions are
//! unwrapped. A float that is not finite becomes the string `"NaN"`,
//! `"inf"` or `"-inf"`.
//!
//! [`to_struct`] and [`from_struct`] convert a JSON object to and from the
//! `google.protobuf.Struct` of a template's `custom` or a resource's
//! `custom_info`.
//!
//! ```
//! use agent_core::literal::json;
//! use serde_json::json;
//!
//! let inputs = json::inputs_from_json(&json!({"x": 3, "tags": ["a"]}), None).unwrap();
//! assert_eq!(json::outputs_to_json(&inputs).unwrap(), json!({"x": 3, "tags": ["a"]}).as_object().unwrap().clone());
//! ```

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Number, Value};

use super::{IntoLiteral, LiteralError, msgpack, primitive_literal, scalar_literal};
use crate::proto::flyteidl::core::{
    Binary, Blob, BlobMetadata, BlobType, Literal, LiteralCollection, LiteralMap, LiteralType,
    Schema, SimpleType, StructuredDataset, StructuredDatasetMetadata, StructuredDatasetType,
    TypeAnnotation, Union, VariableMap, Void, blob_type, literal, literal_type, primitive, scalar,
};
use crate::protobuf_struct::{json_object_to_struct, struct_to_json};

/// flytekit's key, in a `LiteralType`'s annotation, of the metadata that
/// says how a value is serialized (`flytekit.core.constants.CACHE_KEY_METADATA`).
const CACHE_KEY_METADATA: &str = "cache-key-metadata";
/// flytekit's key of the serialization format in that metadata.
const SERIALIZATION_FORMAT: &str = "serialization-format";

/// Why a JSON value could not become a literal, or a literal JSON: where
/// (an input or output, then indexes and keys) and what went wrong.
///
/// ```
/// use agent_core::literal::json;
/// use agent_core::proto::flyteidl::core::{LiteralType, SimpleType, Variable, VariableMap, literal_type};
///
/// let declared = VariableMap {
///     variables: [("x".to_string(), Variable {
///         r#type: Some(LiteralType {
///             r#type: Some(literal_type::Type::Simple(SimpleType::Integer as i32)),
///             ..Default::default()
///         }),
///         ..Default::default()
///     })]
///     .into(),
/// };
/// let error = json::inputs_from_json(&serde_json::json!({"x": "abc"}), Some(&declared)).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "input `x`: expected an integer (the template declares INTEGER), got \"abc\""
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    role: Option<&'static str>,
    path: String,
    message: String,
}

impl JsonError {
    fn new(message: impl Into<String>) -> Self {
        JsonError {
            role: None,
            path: String::new(),
            message: message.into(),
        }
    }

    /// What went wrong, without where.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where it went wrong: an input or output name, then indexes and keys,
    /// as `x[2]["key"]`; empty for a value that is not in a map.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn at_index(mut self, index: usize) -> Self {
        self.path = format!("[{index}]{}", self.path);
        self
    }

    fn at_key(mut self, key: &str) -> Self {
        self.path = format!("[{key:?}]{}", self.path);
        self
    }

    fn at_name(mut self, role: &'static str, name: &str) -> Self {
        self.path = format!("{name}{}", self.path);
        self.role = Some(role);
        self
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.role, self.path.is_empty()) {
            (Some(role), _) => write!(f, "{role} `{}`: {}", self.path, self.message),
            (None, true) => f.write_str(&self.message),
            (None, false) => write!(f, "`{}`: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for JsonError {}

impl From<LiteralError> for JsonError {
    fn from(error: LiteralError) -> Self {
        JsonError::new(error.to_string())
    }
}

/// `value` as the literal flytekit writes for the Python value it reads as:
/// an integer, a float, a string, a boolean, `None`, a list, or an untyped
/// `dict` (a `msgpack` binary).
///
/// Fails for an integer beyond the 64 bits a Flyte integer holds.
pub fn to_literal(value: &Value) -> Result<Literal, JsonError> {
    match value {
        Value::Null => Ok(none_literal()),
        Value::Bool(b) => Ok(primitive_literal(primitive::Value::Boolean(*b))),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(primitive_literal(primitive::Value::Integer(i))),
            _ if n.is_u64() => Err(too_big(n)),
            (None, Some(f)) => Ok(primitive_literal(primitive::Value::FloatValue(f))),
            (None, None) => Err(JsonError::new(format!("{n} is not a number Flyte holds"))),
        },
        Value::String(s) => Ok(primitive_literal(primitive::Value::StringValue(s.clone()))),
        Value::Array(items) => collection(items, to_literal),
        Value::Object(_) => Ok(msgpack::literal(value)?),
    }
}

/// `value` as a literal of type `ty`, as flytekit writes a value of the
/// Python type that declares it (see the [module](self) table). A type that
/// declares nothing takes the value untyped ([`to_literal`]).
///
/// Fails when the value does not fit the type, saying what was expected
/// and what was given.
pub fn to_typed_literal(value: &Value, ty: &LiteralType) -> Result<Literal, JsonError> {
    use literal_type::Type;
    let Some(kind) = &ty.r#type else {
        return to_literal(value);
    };
    match kind {
        Type::Simple(simple) => match SimpleType::try_from(*simple) {
            Ok(simple) => to_simple(value, simple, ty),
            Err(_) => Err(JsonError::new(format!(
                "the template declares the unknown simple type {simple}"
            ))),
        },
        Type::CollectionType(item) => match value {
            Value::Array(items) => {
                collection(items, |item_value| to_typed_literal(item_value, item))
            }
            _ => Err(expected("a JSON array", ty, value)),
        },
        Type::MapValueType(entry) => match value {
            Value::Object(entries) => {
                let literals = entries
                    .iter()
                    .map(|(key, entry_value)| {
                        to_typed_literal(entry_value, entry)
                            .map(|literal| (key.clone(), literal))
                            .map_err(|e| e.at_key(key))
                    })
                    .collect::<Result<BTreeMap<_, _>, _>>()?;
                Ok(map_literal(literals))
            }
            _ => Err(expected("a JSON object", ty, value)),
        },
        Type::EnumType(choices) => match value.as_str() {
            Some(choice) if choices.values.iter().any(|v| v == choice) => Ok(primitive_literal(
                primitive::Value::StringValue(choice.to_owned()),
            )),
            _ => Err(expected(
                &format!("one of {}", quoted_list(&choices.values)),
                ty,
                value,
            )),
        },
        Type::UnionType(union) => {
            for variant in &union.variants {
                if let Ok(inner) = to_typed_literal(value, variant) {
                    return Ok(scalar_literal(scalar::Value::Union(Box::new(Union {
                        value: Some(Box::new(inner)),
                        r#type: Some(variant.clone()),
                    }))));
                }
            }
            Err(expected("a value of one of its variants", ty, value))
        }
        Type::Blob(blob) => {
            let uri = uri_of(value, ty)?;
            Ok(scalar_literal(scalar::Value::Blob(Blob {
                metadata: Some(BlobMetadata {
                    r#type: Some(blob.clone()),
                }),
                uri,
            })))
        }
        Type::StructuredDatasetType(dataset) => {
            let uri = uri_of(value, ty)?;
            Ok(scalar_literal(scalar::Value::StructuredDataset(
                StructuredDataset {
                    uri,
                    metadata: Some(StructuredDatasetMetadata {
                        structured_dataset_type: Some(dataset.clone()),
                    }),
                },
            )))
        }
        Type::Schema(schema) => {
            let uri = uri_of(value, ty)?;
            Ok(scalar_literal(scalar::Value::Schema(Schema {
                uri,
                r#type: Some(schema.clone()),
            })))
        }
    }
}

/// `value` as a literal of the simple type `simple` (`ty` names it in errors).
fn to_simple(value: &Value, simple: SimpleType, ty: &LiteralType) -> Result<Literal, JsonError> {
    let primitive = |p| Ok(primitive_literal(p));
    match (simple, value) {
        (SimpleType::None, Value::Null) => Ok(none_literal()),
        (SimpleType::None, _) => Err(expected("null", ty, value)),
        (SimpleType::Integer, Value::Number(n)) => match n.as_i64() {
            Some(i) => primitive(primitive::Value::Integer(i)),
            None if n.is_u64() => Err(too_big(n)),
            None => Err(expected("an integer", ty, value)),
        },
        (SimpleType::Integer, _) => Err(expected("an integer", ty, value)),
        (SimpleType::Float, Value::Number(n)) => match n.as_f64() {
            Some(f) => primitive(primitive::Value::FloatValue(f)),
            None => Err(expected("a number", ty, value)),
        },
        (SimpleType::Float, _) => Err(expected("a number", ty, value)),
        (SimpleType::String, Value::String(s)) => {
            primitive(primitive::Value::StringValue(s.clone()))
        }
        (SimpleType::String, _) => Err(expected("a string", ty, value)),
        (SimpleType::Boolean, Value::Bool(b)) => primitive(primitive::Value::Boolean(*b)),
        (SimpleType::Boolean, _) => Err(expected("true or false", ty, value)),
        (SimpleType::Datetime, Value::String(text)) => match parse_datetime(text) {
            Some(datetime) => Ok(datetime.into_literal()?),
            None => Err(expected_datetime(ty, value)),
        },
        (SimpleType::Datetime, _) => Err(expected_datetime(ty, value)),
        (SimpleType::Duration, Value::Number(n)) => {
            match n.as_f64().and_then(seconds_to_duration) {
                Some(duration) => primitive(primitive::Value::Duration(duration)),
                None => Err(expected("a number of seconds a duration holds", ty, value)),
            }
        }
        (SimpleType::Duration, _) => Err(expected("a number of seconds", ty, value)),
        (SimpleType::Binary, Value::String(text)) => match BASE64.decode(text) {
            Ok(bytes) => Ok(scalar_literal(scalar::Value::Binary(Binary {
                value: bytes,
                tag: String::new(),
            }))),
            Err(_) => Err(expected("a base64 string", ty, value)),
        },
        (SimpleType::Binary, _) => Err(expected("a base64 string", ty, value)),
        (SimpleType::Struct, _) if is_msgpack(ty) => Ok(msgpack::literal(value)?),
        (SimpleType::Struct, Value::Object(object)) => Ok(scalar_literal(scalar::Value::Generic(
            json_object_to_struct(object),
        ))),
        (SimpleType::Struct, _) => Err(expected("a JSON object", ty, value)),
        (SimpleType::Error, _) => Err(JsonError::new(
            "the template declares ERROR, which no JSON value stands for",
        )),
    }
}

/// Whether a `STRUCT` type carries flytekit's annotation that its values are
/// MessagePack (flytekit ≥ 1.14).
fn is_msgpack(ty: &LiteralType) -> bool {
    let annotations = ty.annotation.as_ref().and_then(|a| a.annotations.as_ref());
    let Some(annotations) = annotations.map(struct_to_json) else {
        return false;
    };
    annotations[CACHE_KEY_METADATA][SERIALIZATION_FORMAT] == msgpack::TAG
}

/// The task inputs `value` holds: a JSON object of input names to values.
///
/// With the interface's `declared` inputs, each value is converted to its
/// declared type, a name the interface does not declare is an error, and so
/// is a declared input left out, unless its type takes `null` (an
/// `Optional[T]`), which is then sent as `None`. Without, each value is
/// converted untyped ([`to_literal`]).
///
/// Errors name the input: ``input `x`: expected an integer (the template
/// declares INTEGER), got "abc"``.
pub fn inputs_from_json(
    value: &Value,
    declared: Option<&VariableMap>,
) -> Result<LiteralMap, JsonError> {
    let Value::Object(inputs) = value else {
        return Err(JsonError::new(format!(
            "the inputs must be a JSON object of input names to values, got {}",
            shown(value)
        )));
    };
    let mut literals = BTreeMap::new();
    for (name, input) in inputs {
        let literal = match declared.map(|d| (d, d.variables.get(name))) {
            None => to_literal(input),
            Some((_, Some(variable))) => match &variable.r#type {
                Some(ty) => to_typed_literal(input, ty),
                None => to_literal(input),
            },
            Some((declared, None)) => Err(JsonError::new(format!(
                "the template declares no such input; {}",
                list_declared(declared)
            ))),
        };
        literals.insert(name.clone(), literal.map_err(|e| e.at_name("input", name))?);
    }
    for (name, variable) in declared.map(|d| &d.variables).into_iter().flatten() {
        if literals.contains_key(name) {
            continue;
        }
        let ty = variable.r#type.clone().unwrap_or_default();
        let none = ty
            .r#type
            .as_ref()
            .and_then(|_| to_typed_literal(&Value::Null, &ty).ok())
            .ok_or_else(|| {
                JsonError::new(format!(
                    "missing; the template declares it as {}",
                    type_name(&ty)
                ))
                .at_name("input", name)
            })?;
        literals.insert(name.clone(), none);
    }
    Ok(LiteralMap { literals })
}

/// The task outputs `outputs` holds, as a JSON object of output names to
/// values ([`from_literal`]). Errors name the output.
pub fn outputs_to_json(outputs: &LiteralMap) -> Result<Map<String, Value>, JsonError> {
    outputs
        .literals
        .iter()
        .map(|(name, literal)| match from_literal(literal) {
            Ok(value) => Ok((name.clone(), value)),
            Err(e) => Err(e.at_name("output", name)),
        })
        .collect()
}

/// `literal` as JSON (see the [module](self) documentation).
///
/// Fails for a literal offloaded to blob storage (the error gives its URI),
/// an empty literal, and a `msgpack` binary that does not decode.
pub fn from_literal(literal: &Literal) -> Result<Value, JsonError> {
    match &literal.value {
        None => Err(JsonError::new("the literal is empty")),
        Some(literal::Value::Scalar(scalar)) => match &scalar.value {
            None => Err(JsonError::new("the scalar is empty")),
            Some(value) => scalar_to_json(value),
        },
        Some(literal::Value::Collection(collection)) => collection
            .literals
            .iter()
            .enumerate()
            .map(|(index, item)| from_literal(item).map_err(|e| e.at_index(index)))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Some(literal::Value::Map(map)) => map
            .literals
            .iter()
            .map(|(key, entry)| match from_literal(entry) {
                Ok(value) => Ok((key.clone(), value)),
                Err(e) => Err(e.at_key(key)),
            })
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        Some(literal::Value::OffloadedMetadata(offloaded)) => Err(LiteralError::Offloaded {
            uri: offloaded.uri.clone(),
        }
        .into()),
    }
}

/// A scalar's value as JSON.
fn scalar_to_json(value: &scalar::Value) -> Result<Value, JsonError> {
    Ok(match value {
        scalar::Value::Primitive(p) => match &p.value {
            None => return Err(JsonError::new("the primitive is empty")),
            Some(primitive::Value::Integer(i)) => Value::from(*i),
            Some(primitive::Value::FloatValue(f)) => float_to_json(*f),
            Some(primitive::Value::StringValue(s)) => Value::String(s.clone()),
            Some(primitive::Value::Boolean(b)) => Value::Bool(*b),
            Some(primitive::Value::Datetime(ts)) => {
                let datetime = u32::try_from(ts.nanos)
                    .ok()
                    .and_then(|nanos| DateTime::<Utc>::from_timestamp(ts.seconds, nanos))
                    .ok_or_else(|| {
                        JsonError::new(format!(
                            "the timestamp {} seconds and {} nanoseconds is not a date",
                            ts.seconds, ts.nanos
                        ))
                    })?;
                Value::String(datetime.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }
            Some(primitive::Value::Duration(d)) if d.nanos == 0 => Value::from(d.seconds),
            Some(primitive::Value::Duration(d)) => {
                float_to_json(d.seconds as f64 + f64::from(d.nanos) / 1e9)
            }
        },
        scalar::Value::Blob(blob) => Value::String(blob.uri.clone()),
        scalar::Value::StructuredDataset(dataset) => Value::String(dataset.uri.clone()),
        scalar::Value::Schema(schema) => Value::String(schema.uri.clone()),
        scalar::Value::Binary(binary) if binary.tag == msgpack::TAG => {
            msgpack::decode(&binary.value)?
        }
        scalar::Value::Binary(binary) => Value::String(BASE64.encode(&binary.value)),
        scalar::Value::NoneType(_) => Value::Null,
        scalar::Value::Error(error) => serde_json::json!({ "error": error.message }),
        scalar::Value::Generic(generic) => struct_to_json(generic),
        scalar::Value::Union(union) => match &union.value {
            Some(inner) => from_literal(inner)?,
            None => Value::Null,
        },
    })
}

/// A JSON object as a `google.protobuf.Struct`: a template's `custom`, a
/// resource's `custom_info`. Numbers become doubles, as protobuf has no other.
pub fn to_struct(object: &Map<String, Value>) -> prost_types::Struct {
    json_object_to_struct(object)
}

/// A `google.protobuf.Struct` as a JSON object; whole numbers come back as
/// JSON integers.
pub fn from_struct(message: &prost_types::Struct) -> Value {
    struct_to_json(message)
}

/// The type flytekit declares for the Python value `value` reads as: what a
/// template that has no interface of its own can declare for an input given
/// untyped. An array is a collection of its items' type (their union when
/// they differ; an empty array's items are `NONE`); an object is an untyped
/// `dict` (`STRUCT`, `msgpack`).
pub fn infer_type(value: &Value) -> LiteralType {
    use literal_type::Type;
    let simple = |simple: SimpleType| LiteralType {
        r#type: Some(Type::Simple(simple as i32)),
        ..Default::default()
    };
    match value {
        Value::Null => simple(SimpleType::None),
        Value::Bool(_) => simple(SimpleType::Boolean),
        Value::Number(n) if n.is_i64() || n.is_u64() => simple(SimpleType::Integer),
        Value::Number(_) => simple(SimpleType::Float),
        Value::String(_) => simple(SimpleType::String),
        Value::Array(items) => {
            // An empty array fits any list type among its neighbours.
            let mut variants: Vec<LiteralType> = Vec::new();
            let mut empty_list = false;
            for item in items {
                if item.as_array().is_some_and(Vec::is_empty) {
                    empty_list = true;
                    continue;
                }
                let ty = infer_type(item);
                if !variants.contains(&ty) {
                    variants.push(ty);
                }
            }
            let is_list = |ty: &LiteralType| matches!(ty.r#type, Some(Type::CollectionType(_)));
            if empty_list && !variants.iter().any(is_list) {
                variants.push(infer_type(&Value::Array(Vec::new())));
            }
            let item = match variants.len() {
                0 => simple(SimpleType::None),
                1 => variants.remove(0),
                _ => LiteralType {
                    r#type: Some(Type::UnionType(crate::proto::flyteidl::core::UnionType {
                        variants,
                    })),
                    ..Default::default()
                },
            };
            LiteralType {
                r#type: Some(Type::CollectionType(Box::new(item))),
                ..Default::default()
            }
        }
        Value::Object(_) => LiteralType {
            annotation: Some(TypeAnnotation {
                annotations: Some(json_object_to_struct(
                    serde_json::json!({
                        CACHE_KEY_METADATA: { SERIALIZATION_FORMAT: msgpack::TAG }
                    })
                    .as_object()
                    .expect("a JSON object literal"),
                )),
            }),
            ..simple(SimpleType::Struct)
        },
    }
}

/// A short name of `ty` for messages: `INTEGER`, `list[STRING]`,
/// `dict[str, FLOAT]`, `union[INTEGER, NONE]`, `enum[a, b]`, `BLOB`...
pub fn type_name(ty: &LiteralType) -> String {
    use literal_type::Type;
    match &ty.r#type {
        None => "any type".to_owned(),
        Some(Type::Simple(simple)) => SimpleType::try_from(*simple).map_or_else(
            |_| format!("simple type {simple}"),
            |s| s.as_str_name().to_owned(),
        ),
        Some(Type::CollectionType(item)) => format!("list[{}]", type_name(item)),
        Some(Type::MapValueType(entry)) => format!("dict[str, {}]", type_name(entry)),
        Some(Type::EnumType(choices)) => format!("enum[{}]", choices.values.join(", ")),
        Some(Type::UnionType(union)) => format!(
            "union[{}]",
            union
                .variants
                .iter()
                .map(type_name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Type::Blob(blob)) => blob_name(blob),
        Some(Type::StructuredDatasetType(dataset)) => dataset_name(dataset),
        Some(Type::Schema(_)) => "SCHEMA".to_owned(),
    }
}

/// `BLOB`, `MULTIPART_BLOB`, with the format when there is one: `BLOB[csv]`.
fn blob_name(blob: &BlobType) -> String {
    let kind = match blob.dimensionality() {
        blob_type::BlobDimensionality::Single => "BLOB",
        blob_type::BlobDimensionality::Multipart => "MULTIPART_BLOB",
    };
    if blob.format.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}[{}]", blob.format)
    }
}

/// `STRUCTURED_DATASET`, with the format when there is one.
fn dataset_name(dataset: &StructuredDatasetType) -> String {
    if dataset.format.is_empty() {
        "STRUCTURED_DATASET".to_owned()
    } else {
        format!("STRUCTURED_DATASET[{}]", dataset.format)
    }
}

/// `Scalar.none_type`, Python's `None`.
fn none_literal() -> Literal {
    scalar_literal(scalar::Value::NoneType(Void {}))
}

/// A literal holding the map `literals`.
fn map_literal(literals: BTreeMap<String, Literal>) -> Literal {
    Literal {
        value: Some(literal::Value::Map(LiteralMap { literals })),
        ..Default::default()
    }
}

/// A literal holding the collection of `items`, each converted by `convert`;
/// an item that fails says where it is.
fn collection(
    items: &[Value],
    convert: impl Fn(&Value) -> Result<Literal, JsonError>,
) -> Result<Literal, JsonError> {
    let literals = items
        .iter()
        .enumerate()
        .map(|(index, item)| convert(item).map_err(|e| e.at_index(index)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Literal {
        value: Some(literal::Value::Collection(LiteralCollection { literals })),
        ..Default::default()
    })
}

/// The URI a blob, dataset or schema is given as: a non-empty string.
fn uri_of(value: &Value, ty: &LiteralType) -> Result<String, JsonError> {
    match value {
        Value::String(uri) if !uri.is_empty() => Ok(uri.clone()),
        _ => Err(expected("a URI string", ty, value)),
    }
}

/// An RFC 3339 datetime, or one without an offset taken as UTC, as Python's
/// `datetime.isoformat()` writes a naive one.
fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|datetime| datetime.to_utc())
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|naive| naive.and_utc())
        })
}

/// `seconds` as a protobuf duration, rounded to the nanosecond; `None` when
/// it is not finite or out of the protobuf range (±10,000 years).
fn seconds_to_duration(seconds: f64) -> Option<prost_types::Duration> {
    const MAX_SECONDS: f64 = 315_576_000_000.0;
    if !seconds.is_finite() || seconds.abs() > MAX_SECONDS {
        return None;
    }
    let whole = seconds.trunc();
    let nanos = ((seconds - whole) * 1e9).round();
    Some(prost_types::Duration {
        seconds: whole as i64,
        nanos: nanos.clamp(-999_999_999.0, 999_999_999.0) as i32,
    })
}

/// A float as a JSON number, or the string `NaN`, `inf` or `-inf`.
fn float_to_json(f: f64) -> Value {
    Number::from_f64(f).map_or_else(
        || {
            let text = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            Value::String(text.to_owned())
        },
        Value::Number,
    )
}

/// The error for an integer beyond 64 bits.
fn too_big(n: &Number) -> JsonError {
    JsonError::new(format!("{n} does not fit in a Flyte integer (64 bits)"))
}

/// The error for `value` not being `what` that `ty` declares.
fn expected(what: &str, ty: &LiteralType, value: &Value) -> JsonError {
    JsonError::new(format!(
        "expected {what} (the template declares {}), got {}",
        type_name(ty),
        shown(value)
    ))
}

/// The error for a value that is no datetime string.
fn expected_datetime(ty: &LiteralType, value: &Value) -> JsonError {
    expected(
        "an RFC 3339 datetime string, as \"2024-01-02T03:04:05Z\"",
        ty,
        value,
    )
}

/// `value` as compact JSON, cut short past 60 characters.
fn shown(value: &Value) -> String {
    const LIMIT: usize = 60;
    let text = value.to_string();
    match text.char_indices().nth(LIMIT) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

/// `"a", "b"`.
fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an error says of the inputs the template declares.
fn list_declared(declared: &VariableMap) -> String {
    if declared.variables.is_empty() {
        return "it declares no inputs".to_owned();
    }
    let names: Vec<String> = declared
        .variables
        .keys()
        .map(|name| format!("`{name}`"))
        .collect();
    format!("it declares {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::flyteidl::core::{
        EnumType, LiteralOffloadedMetadata, Primitive, SchemaType, UnionType, Variable,
    };
    use serde_json::json;

    fn simple(simple: SimpleType) -> LiteralType {
        LiteralType {
            r#type: Some(literal_type::Type::Simple(simple as i32)),
            ..Default::default()
        }
    }

    fn of(kind: literal_type::Type) -> LiteralType {
        LiteralType {
            r#type: Some(kind),
            ..Default::default()
        }
    }

    fn list_of(item: LiteralType) -> LiteralType {
        of(literal_type::Type::CollectionType(Box::new(item)))
    }

    fn dict_of(entry: LiteralType) -> LiteralType {
        of(literal_type::Type::MapValueType(Box::new(entry)))
    }

    fn union_of(variants: Vec<LiteralType>) -> LiteralType {
        of(literal_type::Type::UnionType(UnionType { variants }))
    }

    /// What flytekit ≥ 1.14 declares for a dataclass or an untyped dict.
    fn msgpack_struct() -> LiteralType {
        infer_type(&json!({}))
    }

    fn declared(inputs: &[(&str, LiteralType)]) -> VariableMap {
        VariableMap {
            variables: inputs
                .iter()
                .map(|(name, ty)| {
                    let variable = Variable {
                        r#type: Some(ty.clone()),
                        ..Default::default()
                    };
                    (name.to_string(), variable)
                })
                .collect(),
        }
    }

    fn primitive_of(literal: &Literal) -> &primitive::Value {
        match super::super::scalar_of(literal) {
            Some(scalar::Value::Primitive(Primitive { value: Some(p) })) => p,
            other => panic!("not a primitive: {other:?}"),
        }
    }

    fn scalar_of(literal: &Literal) -> &scalar::Value {
        super::super::scalar_of(literal).expect("a scalar")
    }

    /// Converts `value` typed by `ty`, then back, and checks it comes back as `expected`.
    fn typed_round_trip(value: Value, ty: &LiteralType, expected: Value) {
        let literal = to_typed_literal(&value, ty).unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!(
            from_literal(&literal).unwrap(),
            expected,
            "{value} as {ty:?}"
        );
    }

    fn typed_error(value: Value, ty: &LiteralType) -> String {
        to_typed_literal(&value, ty).unwrap_err().to_string()
    }

    #[test]
    fn untyped_values_round_trip() {
        let inputs = json!({
            "i": 1, "negative": -9007199254740993_i64, "f": 1.5, "whole_float": 2.0,
            "s": "héllo", "b": true, "n": null,
            "l": [1, [2, "a"], []],
            "d": {"k": [1, 2.5, null], "m": {"z": "y"}, "e": {}},
        });
        let literals = inputs_from_json(&inputs, None).unwrap();
        assert_eq!(Value::Object(outputs_to_json(&literals).unwrap()), inputs);
    }

    #[test]
    fn untyped_values_are_written_as_flytekit_writes_them() {
        assert_eq!(
            primitive_of(&to_literal(&json!(3)).unwrap()),
            &primitive::Value::Integer(3)
        );
        assert_eq!(
            primitive_of(&to_literal(&json!(3.5)).unwrap()),
            &primitive::Value::FloatValue(3.5)
        );
        assert_eq!(
            primitive_of(&to_literal(&json!(false)).unwrap()),
            &primitive::Value::Boolean(false)
        );
        assert!(matches!(
            scalar_of(&to_literal(&Value::Null).unwrap()),
            scalar::Value::NoneType(_)
        ));
        let dict = to_literal(&json!({"a": 1})).unwrap();
        let scalar::Value::Binary(binary) = scalar_of(&dict) else {
            panic!("an untyped dict is a binary");
        };
        assert_eq!(binary.tag, "msgpack");
        // {"a": 1} in MessagePack, as flytekit's msgpack encoder writes it.
        assert_eq!(binary.value, b"\x81\xa1a\x01");
        let list = to_literal(&json!([1, "x"])).unwrap();
        let Some(literal::Value::Collection(items)) = &list.value else {
            panic!("an array is a collection");
        };
        assert_eq!(items.literals.len(), 2);
    }

    #[test]
    fn an_integer_beyond_64_bits_is_refused() {
        let error = inputs_from_json(&json!({"n": u64::MAX}), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "input `n`: 18446744073709551615 does not fit in a Flyte integer (64 bits)"
        );
        assert_eq!(
            typed_error(json!(u64::MAX), &simple(SimpleType::Integer)),
            "18446744073709551615 does not fit in a Flyte integer (64 bits)"
        );
    }

    #[test]
    fn simple_types_take_their_json_form() {
        typed_round_trip(json!(7), &simple(SimpleType::Integer), json!(7));
        typed_round_trip(json!(7), &simple(SimpleType::Float), json!(7.0));
        typed_round_trip(json!(0.25), &simple(SimpleType::Float), json!(0.25));
        typed_round_trip(json!("s"), &simple(SimpleType::String), json!("s"));
        typed_round_trip(json!(true), &simple(SimpleType::Boolean), json!(true));
        typed_round_trip(Value::Null, &simple(SimpleType::None), Value::Null);
        typed_round_trip(json!("AAH/"), &simple(SimpleType::Binary), json!("AAH/"));
        let binary = to_typed_literal(&json!("AAH/"), &simple(SimpleType::Binary)).unwrap();
        assert_eq!(
            scalar_of(&binary),
            &scalar::Value::Binary(Binary {
                value: vec![0, 1, 255],
                tag: String::new()
            })
        );
        assert_eq!(
            primitive_of(&to_typed_literal(&json!(7), &simple(SimpleType::Float)).unwrap()),
            &primitive::Value::FloatValue(7.0)
        );
    }

    #[test]
    fn mismatches_name_the_input_the_declared_type_and_the_value() {
        let interface = declared(&[
            ("x", simple(SimpleType::Integer)),
            ("ratio", simple(SimpleType::Float)),
            ("flag", simple(SimpleType::Boolean)),
            ("name", simple(SimpleType::String)),
        ]);
        let error = |inputs: Value| {
            inputs_from_json(&inputs, Some(&interface))
                .unwrap_err()
                .to_string()
        };
        // Valid inputs but for `name`, which is `value`.
        let with = |name: &str, value: Value| {
            let mut inputs = json!({"x": 1, "ratio": 0.5, "flag": true, "name": "n"});
            inputs[name] = value;
            inputs
        };
        assert_eq!(
            error(with("x", json!("abc"))),
            "input `x`: expected an integer (the template declares INTEGER), got \"abc\""
        );
        assert_eq!(
            error(with("x", json!(1.5))),
            "input `x`: expected an integer (the template declares INTEGER), got 1.5"
        );
        assert_eq!(
            error(with("ratio", json!("1.5"))),
            "input `ratio`: expected a number (the template declares FLOAT), got \"1.5\""
        );
        assert_eq!(
            error(with("flag", json!(1))),
            "input `flag`: expected true or false (the template declares BOOLEAN), got 1"
        );
        assert_eq!(
            error(with("name", json!(["a"]))),
            "input `name`: expected a string (the template declares STRING), got [\"a\"]"
        );
        let long = "y".repeat(100);
        assert_eq!(
            error(with("x", json!(long))),
            format!(
                "input `x`: expected an integer (the template declares INTEGER), got \"{}...",
                "y".repeat(59)
            )
        );
    }

    #[test]
    fn datetimes_are_rfc_3339() {
        let ty = simple(SimpleType::Datetime);
        let literal = to_typed_literal(&json!("2024-05-06T07:08:09.123456Z"), &ty).unwrap();
        assert_eq!(
            primitive_of(&literal),
            &primitive::Value::Datetime(prost_types::Timestamp {
                seconds: 1_714_979_289,
                nanos: 123_456_000
            })
        );
        typed_round_trip(
            json!("2024-05-06T07:08:09.123456Z"),
            &ty,
            json!("2024-05-06T07:08:09.123456Z"),
        );
        typed_round_trip(
            json!("2024-05-06T09:08:09+02:00"),
            &ty,
            json!("2024-05-06T07:08:09Z"),
        );
        // Python's isoformat() of a naive datetime: taken as UTC.
        typed_round_trip(
            json!("2024-05-06T07:08:09"),
            &ty,
            json!("2024-05-06T07:08:09Z"),
        );
        assert_eq!(
            typed_error(json!("yesterday"), &ty),
            "expected an RFC 3339 datetime string, as \"2024-01-02T03:04:05Z\" (the template \
             declares DATETIME), got \"yesterday\""
        );
        assert!(typed_error(json!(1714979289), &ty).ends_with("got 1714979289"));
    }

    #[test]
    fn durations_are_seconds() {
        let ty = simple(SimpleType::Duration);
        let literal = to_typed_literal(&json!(1.5), &ty).unwrap();
        assert_eq!(
            primitive_of(&literal),
            &primitive::Value::Duration(prost_types::Duration {
                seconds: 1,
                nanos: 500_000_000
            })
        );
        let negative = to_typed_literal(&json!(-1.5), &ty).unwrap();
        assert_eq!(
            primitive_of(&negative),
            &primitive::Value::Duration(prost_types::Duration {
                seconds: -1,
                nanos: -500_000_000
            })
        );
        typed_round_trip(json!(90), &ty, json!(90));
        typed_round_trip(json!(93603.5), &ty, json!(93603.5));
        typed_round_trip(json!(-1.5), &ty, json!(-1.5));
        typed_round_trip(json!(0.000001), &ty, json!(0.000001));
        assert_eq!(
            typed_error(json!("1h"), &ty),
            "expected a number of seconds (the template declares DURATION), got \"1h\""
        );
        assert_eq!(
            typed_error(json!(1e300), &ty),
            "expected a number of seconds a duration holds (the template declares DURATION), \
             got 1e+300"
        );
    }

    #[test]
    fn structs_are_msgpack_when_the_type_says_so_else_generic() {
        let value = json!({"name": "n", "count": 3, "ratio": 0.5, "inner": {"a": [1, null]}});
        let packed = to_typed_literal(&value, &msgpack_struct()).unwrap();
        assert!(matches!(scalar_of(&packed), scalar::Value::Binary(b) if b.tag == "msgpack"));
        assert_eq!(from_literal(&packed).unwrap(), value);

        let old = simple(SimpleType::Struct);
        let generic = to_typed_literal(&value, &old).unwrap();
        assert!(matches!(scalar_of(&generic), scalar::Value::Generic(_)));
        assert_eq!(from_literal(&generic).unwrap(), value);
        assert_eq!(
            typed_error(json!([1]), &old),
            "expected a JSON object (the template declares STRUCT), got [1]"
        );
    }

    #[test]
    fn collections_and_maps_convert_each_item_and_say_where_one_fails() {
        let interface = declared(&[
            ("xs", list_of(simple(SimpleType::Integer))),
            ("m", dict_of(list_of(simple(SimpleType::Float)))),
        ]);
        let inputs = json!({"xs": [1, 2], "m": {"a": [1.5], "b": []}});
        let literals = inputs_from_json(&inputs, Some(&interface)).unwrap();
        assert!(matches!(
            literals.literals["m"].value,
            Some(literal::Value::Map(_))
        ));
        assert_eq!(
            Value::Object(outputs_to_json(&literals).unwrap()),
            json!({"xs": [1, 2], "m": {"a": [1.5], "b": []}})
        );
        let error =
            inputs_from_json(&json!({"xs": [1, "b"], "m": {}}), Some(&interface)).unwrap_err();
        assert_eq!(error.path(), "xs[1]");
        assert_eq!(
            error.to_string(),
            "input `xs[1]`: expected an integer (the template declares INTEGER), got \"b\""
        );
        let error =
            inputs_from_json(&json!({"xs": [], "m": {"k": [true]}}), Some(&interface)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "input `m[\"k\"][0]`: expected a number (the template declares FLOAT), got true"
        );
        assert_eq!(
            typed_error(json!({"a": 1}), &list_of(simple(SimpleType::Integer))),
            "expected a JSON array (the template declares list[INTEGER]), got {\"a\":1}"
        );
        assert_eq!(
            typed_error(json!([1]), &dict_of(simple(SimpleType::Integer))),
            "expected a JSON object (the template declares dict[str, INTEGER]), got [1]"
        );
    }

    #[test]
    fn enums_take_one_of_their_values() {
        let colour = of(literal_type::Type::EnumType(EnumType {
            values: vec!["red".into(), "green".into()],
        }));
        typed_round_trip(json!("green"), &colour, json!("green"));
        assert_eq!(
            typed_error(json!("blue"), &colour),
            "expected one of \"red\", \"green\" (the template declares enum[red, green]), got \
             \"blue\""
        );
    }

    #[test]
    fn unions_take_the_first_variant_that_fits_and_are_unwrapped_back() {
        let optional_int = union_of(vec![simple(SimpleType::Integer), simple(SimpleType::None)]);
        let some = to_typed_literal(&json!(7), &optional_int).unwrap();
        let scalar::Value::Union(union) = scalar_of(&some) else {
            panic!("a union");
        };
        assert_eq!(union.r#type, Some(simple(SimpleType::Integer)));
        assert_eq!(from_literal(&some).unwrap(), json!(7));
        let none = to_typed_literal(&Value::Null, &optional_int).unwrap();
        let scalar::Value::Union(union) = scalar_of(&none) else {
            panic!("a union");
        };
        assert_eq!(union.r#type, Some(simple(SimpleType::None)));
        assert_eq!(from_literal(&none).unwrap(), Value::Null);

        let int_or_str = union_of(vec![
            simple(SimpleType::Integer),
            simple(SimpleType::String),
        ]);
        typed_round_trip(json!("s"), &int_or_str, json!("s"));
        assert_eq!(
            typed_error(json!(1.5), &int_or_str),
            "expected a value of one of its variants (the template declares union[INTEGER, \
             STRING]), got 1.5"
        );
    }

    #[test]
    fn blobs_datasets_and_schemas_are_their_uri() {
        let file = of(literal_type::Type::Blob(BlobType {
            format: "csv".into(),
            dimensionality: blob_type::BlobDimensionality::Single as i32,
        }));
        let literal = to_typed_literal(&json!("s3://bucket/a.csv"), &file).unwrap();
        let scalar::Value::Blob(blob) = scalar_of(&literal) else {
            panic!("a blob");
        };
        assert_eq!(blob.uri, "s3://bucket/a.csv");
        assert_eq!(
            blob.metadata
                .as_ref()
                .unwrap()
                .r#type
                .as_ref()
                .unwrap()
                .format,
            "csv"
        );
        assert_eq!(from_literal(&literal).unwrap(), json!("s3://bucket/a.csv"));

        let dataset = of(literal_type::Type::StructuredDatasetType(
            StructuredDatasetType {
                format: "parquet".into(),
                ..Default::default()
            },
        ));
        typed_round_trip(json!("gs://b/df"), &dataset, json!("gs://b/df"));
        let schema = of(literal_type::Type::Schema(SchemaType::default()));
        typed_round_trip(json!("/tmp/schema"), &schema, json!("/tmp/schema"));
        let directory = of(literal_type::Type::Blob(BlobType {
            format: String::new(),
            dimensionality: blob_type::BlobDimensionality::Multipart as i32,
        }));
        assert_eq!(
            typed_error(json!(3), &directory),
            "expected a URI string (the template declares MULTIPART_BLOB), got 3"
        );
        assert_eq!(
            typed_error(json!(""), &dataset),
            "expected a URI string (the template declares STRUCTURED_DATASET[parquet]), got \"\""
        );
    }

    #[test]
    fn declared_inputs_are_checked_by_name() {
        let interface = declared(&[
            ("x", simple(SimpleType::Integer)),
            (
                "maybe",
                union_of(vec![simple(SimpleType::String), simple(SimpleType::None)]),
            ),
        ]);
        let error = inputs_from_json(&json!({"x": 1, "y": 2}), Some(&interface)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "input `y`: the template declares no such input; it declares `maybe`, `x`"
        );
        let error = inputs_from_json(&json!({"maybe": "m"}), Some(&interface)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "input `x`: missing; the template declares it as INTEGER"
        );
        // A left-out optional input is sent as None.
        let literals = inputs_from_json(&json!({"x": 1}), Some(&interface)).unwrap();
        assert_eq!(
            Value::Object(outputs_to_json(&literals).unwrap()),
            json!({"x": 1, "maybe": null})
        );
        // A declared input of no type is taken untyped, and is not optional.
        let mut untyped = declared(&[("any", simple(SimpleType::None))]);
        untyped.variables.get_mut("any").unwrap().r#type = None;
        let literals = inputs_from_json(&json!({"any": [1]}), Some(&untyped)).unwrap();
        assert_eq!(literals.literals["any"], to_literal(&json!([1])).unwrap());
        assert_eq!(
            inputs_from_json(&json!({}), Some(&untyped))
                .unwrap_err()
                .to_string(),
            "input `any`: missing; the template declares it as any type"
        );
        let error = inputs_from_json(&json!({"x": 1}), Some(&VariableMap::default())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "input `x`: the template declares no such input; it declares no inputs"
        );
        assert_eq!(
            inputs_from_json(&json!([1]), None).unwrap_err().to_string(),
            "the inputs must be a JSON object of input names to values, got [1]"
        );
    }

    #[test]
    fn inferred_types_declare_what_untyped_values_are_written_as() {
        for value in [
            json!(1),
            json!(-2.5),
            json!("s"),
            json!(true),
            Value::Null,
            json!([1, 2]),
            json!([[1.5], []]),
            json!([[], [1], []]),
            json!({"a": [1, "x"]}),
        ] {
            let ty = infer_type(&value);
            assert_eq!(
                to_typed_literal(&value, &ty).unwrap(),
                to_literal(&value).unwrap(),
                "{value} as {}",
                type_name(&ty)
            );
        }
        assert_eq!(type_name(&infer_type(&json!([1, 2]))), "list[INTEGER]");
        assert_eq!(
            type_name(&infer_type(&json!([1, "a"]))),
            "list[union[INTEGER, STRING]]"
        );
        assert_eq!(type_name(&infer_type(&json!({"k": 1}))), "STRUCT");
        assert_eq!(type_name(&infer_type(&json!([]))), "list[NONE]");
        assert_eq!(
            type_name(&infer_type(&json!([[], [1]]))),
            "list[list[INTEGER]]"
        );
        assert_eq!(
            type_name(&infer_type(&json!([1, []]))),
            "list[union[INTEGER, list[NONE]]]"
        );
        assert!(is_msgpack(&infer_type(&json!({}))));
        // Mixed items are written as the union they are declared as.
        typed_round_trip(
            json!([1, "a"]),
            &infer_type(&json!([1, "a"])),
            json!([1, "a"]),
        );
    }

    #[test]
    fn literals_json_cannot_show_are_errors_that_say_where() {
        let offloaded = Literal {
            value: Some(literal::Value::OffloadedMetadata(
                LiteralOffloadedMetadata {
                    uri: "s3://bucket/o0.pb".into(),
                    size_bytes: 1,
                    inferred_type: None,
                },
            )),
            ..Default::default()
        };
        let outputs = LiteralMap {
            literals: [
                ("o0".to_string(), offloaded),
                ("o1".to_string(), to_literal(&json!(1)).unwrap()),
            ]
            .into(),
        };
        assert_eq!(
            outputs_to_json(&outputs).unwrap_err().to_string(),
            "output `o0`: the literal was offloaded to s3://bucket/o0.pb and not read from there \
             (servers and the local runner read offloaded inputs before the agent runs; elsewhere \
             read the serialized Literal with agent_core::storage::Storage::read)"
        );
        let list = to_literal(&json!([1])).unwrap();
        let Some(literal::Value::Collection(mut items)) = list.value else {
            unreachable!()
        };
        items.literals.push(Literal::default());
        let broken = Literal {
            value: Some(literal::Value::Collection(items)),
            ..Default::default()
        };
        assert_eq!(
            from_literal(&broken).unwrap_err().to_string(),
            "`[1]`: the literal is empty"
        );
        let garbage = super::super::msgpack::binary_literal(vec![0xc1]);
        assert!(
            from_literal(&garbage)
                .unwrap_err()
                .to_string()
                .starts_with("could not decode the msgpack value")
        );
    }

    #[test]
    fn odd_scalars_still_print() {
        assert_eq!(
            from_literal(&primitive_literal(primitive::Value::FloatValue(f64::NAN))).unwrap(),
            json!("NaN")
        );
        assert_eq!(
            from_literal(&primitive_literal(primitive::Value::FloatValue(
                f64::NEG_INFINITY
            )))
            .unwrap(),
            json!("-inf")
        );
        let error = scalar_literal(scalar::Value::Error(crate::proto::flyteidl::core::Error {
            failed_node_id: "n0".into(),
            message: "boom".into(),
        }));
        assert_eq!(from_literal(&error).unwrap(), json!({"error": "boom"}));
        let tagged = scalar_literal(scalar::Value::Binary(Binary {
            value: b"hi".to_vec(),
            tag: "pickle".into(),
        }));
        assert_eq!(from_literal(&tagged).unwrap(), json!("aGk="));
    }

    #[test]
    fn structs_round_trip_through_json_objects() {
        let object = json!({"a": 1, "b": [1.5, "x", null], "c": {"d": true}});
        let message = to_struct(object.as_object().unwrap());
        assert_eq!(from_struct(&message), object);
    }
}
