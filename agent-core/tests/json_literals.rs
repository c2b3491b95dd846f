//! `literal::json` against the literals flytekit 1.16 writes
//! (`tests/fixtures/flytekit_literals`): each shows as the JSON of the
//! Python value it holds, and untyped JSON is written byte for byte as
//! flytekit writes the same Python value.

use std::path::PathBuf;

use agent_core::literal::json;
use agent_core::proto::flyteidl::core::{
    Literal, LiteralType, SimpleType, literal, literal_type, scalar,
};
use prost::Message;
use serde_json::{Value, json};

fn fixture(name: &str) -> Literal {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flytekit_literals")
        .join(format!("{name}.pb"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Literal::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{name}.pb: {e}"))
}

fn simple(simple: SimpleType) -> LiteralType {
    LiteralType {
        r#type: Some(literal_type::Type::Simple(simple as i32)),
        ..Default::default()
    }
}

/// Each case of `cases.json`, and the JSON of its Python value.
fn cases() -> Vec<(&'static str, Value)> {
    let outer = json!({
        "name": "n", "count": 3, "ratio": 0.5, "tags": ["x", "y"],
        "inner": {"a": 1, "b": "z"}, "maybe": null,
    });
    let untyped = json!({"a": 1, "b": [1, 2.5, "x"], "c": {"d": null, "e": true}});
    vec![
        ("int", json!(42)),
        ("int_negative", json!(-9007199254740993_i64)),
        ("float", json!(3.25)),
        ("str", json!("hello, Flyte ✓")),
        ("bool", json!(true)),
        ("datetime", json!("2024-05-06T07:08:09.123456Z")),
        // timedelta(days=1, seconds=7203, microseconds=500000)
        ("timedelta", json!(93603.5)),
        // timedelta(days=-1, seconds=86398, microseconds=500000)
        ("timedelta_negative", json!(-1.5)),
        ("list_int", json!([1, 2, 3])),
        ("list_list_str", json!([["a"], [], ["b", "c"]])),
        ("dict_str_float", json!({"a": 1.5, "b": -2.0})),
        ("optional_int_none", Value::Null),
        ("optional_int_value", json!(7)),
        ("dataclass", outer.clone()),
        ("dataclass_old", outer),
        (
            "list_dataclass",
            json!([{"a": 1, "b": "z"}, {"a": 2, "b": "w"}]),
        ),
        ("untyped_dict", untyped.clone()),
        ("untyped_dict_old", untyped),
    ]
}

#[test]
fn flytekit_literals_show_as_the_json_of_their_python_values() {
    for (name, expected) in cases() {
        let shown = json::from_literal(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(shown, expected, "{name}");
    }
}

#[test]
fn untyped_json_is_written_as_flytekit_writes_the_same_python_value() {
    for name in [
        "int",
        "int_negative",
        "float",
        "str",
        "bool",
        "list_int",
        "list_list_str",
        "untyped_dict",
    ] {
        let value = json::from_literal(&fixture(name)).unwrap();
        assert_eq!(
            json::to_literal(&value).unwrap().encode_to_vec(),
            fixture(name).encode_to_vec(),
            "{name}"
        );
    }
}

#[test]
fn typed_json_is_written_as_flytekit_writes_the_same_python_value() {
    let float_map = LiteralType {
        r#type: Some(literal_type::Type::MapValueType(Box::new(simple(
            SimpleType::Float,
        )))),
        ..Default::default()
    };
    for (name, ty) in [
        ("datetime", simple(SimpleType::Datetime)),
        ("timedelta", simple(SimpleType::Duration)),
        ("timedelta_negative", simple(SimpleType::Duration)),
        ("dict_str_float", float_map),
    ] {
        let value = json::from_literal(&fixture(name)).unwrap();
        let literal = json::to_typed_literal(&value, &ty).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(literal, fixture(name), "{name}");
    }
}

#[test]
fn a_dataclass_is_written_as_the_msgpack_map_flytekit_reads() {
    // What flytekit ≥ 1.14 declares for a dataclass: STRUCT, msgpack. The
    // map's keys come in JSON object order (sorted), not the dataclass's
    // field order; MessagePack maps are unordered, and flytekit reads both.
    let value = json::from_literal(&fixture("dataclass")).unwrap();
    let literal = json::to_typed_literal(&value, &json::infer_type(&json!({}))).unwrap();
    let Some(literal::Value::Scalar(scalar)) = &literal.value else {
        panic!("a scalar: {literal:?}");
    };
    let Some(scalar::Value::Binary(binary)) = &scalar.value else {
        panic!("a binary: {scalar:?}");
    };
    assert_eq!(binary.tag, "msgpack");
    assert_eq!(json::from_literal(&literal).unwrap(), value);
}
