//! Conversions between `google.protobuf.Struct` (the template's `custom`, a
//! resource's `custom_info`, the older dataclass encoding) and `serde_json::Value`.

use prost_types::{ListValue, Struct, Value, value::Kind};
use serde_json::{Map, Number};

/// A `Struct` as a JSON object.
pub(crate) fn struct_to_json(message: &Struct) -> serde_json::Value {
    serde_json::Value::Object(
        message
            .fields
            .iter()
            .map(|(key, value)| (key.clone(), value_to_json(value)))
            .collect::<Map<_, _>>(),
    )
}

/// A protobuf `Value` as JSON. Integral numbers come back as JSON integers so
/// that they deserialize into Rust integer fields.
pub(crate) fn value_to_json(value: &Value) -> serde_json::Value {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => serde_json::Value::Bool(*b),
        Some(Kind::NumberValue(n)) => number_to_json(*n),
        Some(Kind::StringValue(s)) => serde_json::Value::String(s.clone()),
        Some(Kind::ListValue(list)) => {
            serde_json::Value::Array(list.values.iter().map(value_to_json).collect())
        }
        Some(Kind::StructValue(inner)) => struct_to_json(inner),
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.fract() == 0.0 && n.abs() <= EXACT_INTEGER_LIMIT {
        serde_json::Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// JSON as a protobuf `Value`. Numbers become doubles, as protobuf has no other.
pub(crate) fn json_to_value(json: &serde_json::Value) -> Value {
    let kind = match json {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(*b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Kind::StringValue(s.clone()),
        serde_json::Value::Array(items) => Kind::ListValue(ListValue {
            values: items.iter().map(json_to_value).collect(),
        }),
        serde_json::Value::Object(map) => Kind::StructValue(json_object_to_struct(map)),
    };
    Value { kind: Some(kind) }
}

/// A JSON object as a `Struct`.
pub(crate) fn json_object_to_struct(map: &Map<String, serde_json::Value>) -> Struct {
    Struct {
        fields: map
            .iter()
            .map(|(key, value)| (key.clone(), json_to_value(value)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_through_struct() {
        let json = serde_json::json!({
            "name": "q", "count": 3, "ratio": 0.5, "ok": true, "none": null,
            "tags": ["a", "b"], "nested": {"depth": 2}
        });
        let message = json_object_to_struct(json.as_object().unwrap());
        assert_eq!(struct_to_json(&message), json);
    }
}
