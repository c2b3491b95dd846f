//! Primitives, datetimes, durations and raw bytes.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::{
    FromLiteral, IntoLiteral, LiteralError, mismatch, msgpack, primitive_literal, resolve,
    scalar_literal, scalar_of,
};
use crate::proto::flyteidl::core::{Binary, Literal, Primitive, primitive, scalar};

/// Reads a primitive, or the same value as FlytePropeller hands it over when
/// it took it out of a dataclass: a `msgpack` binary. Each reader returns
/// `None` for a kind of value it does not take.
fn read_scalar<T>(
    literal: &Literal,
    expected: &'static str,
    from_primitive: impl FnOnce(&primitive::Value) -> Option<Result<T, LiteralError>>,
    from_msgpack: impl FnOnce(&Value) -> Option<Result<T, LiteralError>>,
) -> Result<T, LiteralError> {
    let literal = resolve(literal)?;
    let scalar = scalar_of(literal);
    if let Some(scalar::Value::Primitive(Primitive { value: Some(p) })) = scalar {
        if let Some(result) = from_primitive(p) {
            return result;
        }
    } else if let Some(bytes) = msgpack::bytes_of(scalar) {
        let value = msgpack::decode(bytes)?;
        return from_msgpack(&value).unwrap_or_else(|| Err(msgpack::mismatch(expected, &value)));
    }
    Err(mismatch(expected, literal))
}

fn read_integer(literal: &Literal) -> Result<i128, LiteralError> {
    read_scalar(
        literal,
        "an integer",
        |p| match p {
            primitive::Value::Integer(i) => Some(Ok(i128::from(*i))),
            _ => None,
        },
        |v| match v {
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .map(Ok),
            _ => None,
        },
    )
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        /// `Primitive.integer`, an `int` in Python. Values outside `i64` are
        /// [`LiteralError::OutOfRange`] both ways.
        impl IntoLiteral for $t {
            #[allow(clippy::unnecessary_fallible_conversions)]
            fn into_literal(self) -> Result<Literal, LiteralError> {
                let value = i64::try_from(self).map_err(|_| LiteralError::OutOfRange {
                    value: self.to_string(),
                    target: "a Flyte integer (i64)",
                })?;
                Ok(primitive_literal(primitive::Value::Integer(value)))
            }
        }

        impl FromLiteral for $t {
            fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
                let value = read_integer(literal)?;
                <$t>::try_from(value).map_err(|_| LiteralError::OutOfRange {
                    value: value.to_string(),
                    target: stringify!($t),
                })
            }
        }
    )*};
}

integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

fn read_float(literal: &Literal) -> Result<f64, LiteralError> {
    read_scalar(
        literal,
        "a float",
        |p| match p {
            primitive::Value::FloatValue(f) => Some(Ok(*f)),
            // flytekit reads an int into a float too.
            primitive::Value::Integer(i) => Some(Ok(*i as f64)),
            _ => None,
        },
        |v| v.as_f64().map(Ok),
    )
}

/// `Primitive.float_value`, a `float` in Python.
impl IntoLiteral for f64 {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(primitive_literal(primitive::Value::FloatValue(self)))
    }
}

/// Reads `Primitive.float_value`, or `Primitive.integer` as flytekit does.
impl FromLiteral for f64 {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_float(literal)
    }
}

/// `Primitive.float_value`, written as the shortest decimal that reads back
/// as the same `f32` (`0.1f32` is written as `0.1`, not `0.10000000149...`).
impl IntoLiteral for f32 {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        let value = self
            .to_string()
            .parse::<f64>()
            .unwrap_or_else(|_| f64::from(self));
        Ok(primitive_literal(primitive::Value::FloatValue(value)))
    }
}

/// Reads like `f64`; finite values beyond `f32::MAX` are out of range.
impl FromLiteral for f32 {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        let value = read_float(literal)?;
        if value.is_finite() && value.abs() > f64::from(f32::MAX) {
            return Err(LiteralError::OutOfRange {
                value: value.to_string(),
                target: "f32",
            });
        }
        Ok(value as f32)
    }
}

/// `Primitive.string_value`, a `str` in Python.
impl IntoLiteral for String {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(primitive_literal(primitive::Value::StringValue(self)))
    }
}

/// `Primitive.string_value`.
impl IntoLiteral for &str {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        self.to_owned().into_literal()
    }
}

/// `Primitive.string_value`.
impl IntoLiteral for &String {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        self.clone().into_literal()
    }
}

impl FromLiteral for String {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_scalar(
            literal,
            "a string",
            |p| match p {
                primitive::Value::StringValue(s) => Some(Ok(s.clone())),
                _ => None,
            },
            |v| v.as_str().map(|s| Ok(s.to_owned())),
        )
    }
}

/// `Primitive.boolean`, a `bool` in Python.
impl IntoLiteral for bool {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(primitive_literal(primitive::Value::Boolean(self)))
    }
}

impl FromLiteral for bool {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_scalar(
            literal,
            "a boolean",
            |p| match p {
                primitive::Value::Boolean(b) => Some(Ok(*b)),
                _ => None,
            },
            |v| v.as_bool().map(Ok),
        )
    }
}

/// `Primitive.datetime` (a `google.protobuf.Timestamp`), a `datetime` in Python.
impl IntoLiteral for DateTime<Utc> {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        // chrono counts a leap second as nanoseconds past 1e9; protobuf cannot.
        let nanos = self.timestamp_subsec_nanos().min(999_999_999);
        let timestamp = prost_types::Timestamp {
            seconds: self.timestamp(),
            nanos: i32::try_from(nanos).unwrap_or(999_999_999),
        };
        Ok(primitive_literal(primitive::Value::Datetime(timestamp)))
    }
}

/// Reads `Primitive.datetime`, or the ISO 8601 string flytekit writes in a
/// dataclass (a time without an offset is taken as UTC).
impl FromLiteral for DateTime<Utc> {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_scalar(
            literal,
            "a datetime",
            |p| match p {
                primitive::Value::Datetime(ts) => Some(timestamp_to_datetime(ts)),
                _ => None,
            },
            |v| v.as_str().map(parse_iso_datetime),
        )
    }
}

fn timestamp_to_datetime(ts: &prost_types::Timestamp) -> Result<DateTime<Utc>, LiteralError> {
    u32::try_from(ts.nanos)
        .ok()
        .filter(|nanos| *nanos < 1_000_000_000)
        .and_then(|nanos| DateTime::from_timestamp(ts.seconds, nanos))
        .ok_or_else(|| LiteralError::OutOfRange {
            value: format!(
                "the timestamp {} seconds and {} nanoseconds",
                ts.seconds, ts.nanos
            ),
            target: "chrono::DateTime<Utc>",
        })
}

fn parse_iso_datetime(text: &str) -> Result<DateTime<Utc>, LiteralError> {
    if let Ok(datetime) = DateTime::parse_from_rfc3339(text) {
        return Ok(datetime.to_utc());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .map_err(|_| LiteralError::TypeMismatch {
            expected: "a datetime",
            found: format!("the msgpack string {text:?}"),
        })
}

/// `Primitive.duration` (a `google.protobuf.Duration`), a `timedelta` in Python.
impl IntoLiteral for Duration {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        let out_of_range = || LiteralError::OutOfRange {
            value: format!("{self:?}"),
            target: "a Flyte duration",
        };
        let duration = prost_types::Duration {
            seconds: i64::try_from(self.as_secs()).map_err(|_| out_of_range())?,
            nanos: i32::try_from(self.subsec_nanos()).map_err(|_| out_of_range())?,
        };
        Ok(primitive_literal(primitive::Value::Duration(duration)))
    }
}

/// Reads `Primitive.duration`, or the seconds flytekit writes in a dataclass.
/// A negative duration is [`LiteralError::OutOfRange`].
impl FromLiteral for Duration {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_scalar(
            literal,
            "a duration",
            |p| match p {
                primitive::Value::Duration(d) => Some(proto_to_duration(d)),
                _ => None,
            },
            |v| v.as_f64().map(seconds_to_duration),
        )
    }
}

fn proto_to_duration(d: &prost_types::Duration) -> Result<Duration, LiteralError> {
    match (u64::try_from(d.seconds), u32::try_from(d.nanos)) {
        (Ok(seconds), Ok(nanos)) if nanos < 1_000_000_000 => Ok(Duration::new(seconds, nanos)),
        _ => Err(LiteralError::OutOfRange {
            value: format!("{}s", d.seconds as f64 + f64::from(d.nanos) / 1e9),
            target: "std::time::Duration",
        }),
    }
}

fn seconds_to_duration(seconds: f64) -> Result<Duration, LiteralError> {
    // timedelta has microseconds; flytekit rounds the float seconds to them.
    let micros = (seconds * 1e6).round();
    if !(0.0..u64::MAX as f64).contains(&micros) {
        return Err(LiteralError::OutOfRange {
            value: format!("{seconds}s"),
            target: "std::time::Duration",
        });
    }
    Ok(Duration::from_micros(micros as u64))
}

/// `Scalar.binary` with an empty tag.
impl IntoLiteral for Bytes {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(scalar_literal(scalar::Value::Binary(Binary {
            value: self.into(),
            tag: String::new(),
        })))
    }
}

/// Reads `Scalar.binary` with an empty tag; a tagged binary (`msgpack`) is
/// an encoded value, not raw bytes, and is refused.
impl FromLiteral for Bytes {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        let literal = resolve(literal)?;
        match scalar_of(literal) {
            Some(scalar::Value::Binary(b)) if b.tag.is_empty() => {
                Ok(Bytes::copy_from_slice(&b.value))
            }
            _ => Err(mismatch("binary data", literal)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::tests::{offloaded, union_of};
    use std::fmt::Debug;

    fn round_trip<T: IntoLiteral + FromLiteral + Clone + PartialEq + Debug>(value: T) {
        let literal = value.clone().into_literal().unwrap();
        assert_eq!(T::from_literal(&literal).unwrap(), value);
    }

    fn msgpack_of(value: Value) -> Literal {
        msgpack::literal(&value).unwrap()
    }

    fn out_of_range(err: LiteralError) -> (String, &'static str) {
        match err {
            LiteralError::OutOfRange { value, target } => (value, target),
            other => panic!("expected OutOfRange, got {other:?}"),
        }
    }

    #[test]
    fn every_scalar_round_trips() {
        round_trip(i8::MIN);
        round_trip(i16::MAX);
        round_trip(-7i32);
        round_trip(i64::MIN);
        round_trip(isize::MAX);
        round_trip(u8::MAX);
        round_trip(u16::MAX);
        round_trip(u32::MAX);
        round_trip(i64::MAX as u64);
        round_trip(123usize);
        round_trip(2.5f64);
        round_trip(-0.1f32);
        round_trip(f32::INFINITY);
        round_trip(String::from("héllo"));
        round_trip(true);
        round_trip(false);
        round_trip(DateTime::from_timestamp(1_704_164_645, 123_456_789).unwrap());
        round_trip(DateTime::from_timestamp(-1, 5).unwrap());
        round_trip(Duration::new(93_784, 500_000_000));
        round_trip(Bytes::from_static(b"\x00\x01\xff"));
    }

    #[test]
    fn encodings_match_flytekit() {
        assert_eq!(
            42i64.into_literal().unwrap(),
            primitive_literal(primitive::Value::Integer(42))
        );
        assert_eq!(
            "q".into_literal().unwrap(),
            primitive_literal(primitive::Value::StringValue("q".into()))
        );
        assert_eq!(
            0.1f32.into_literal().unwrap(),
            primitive_literal(primitive::Value::FloatValue(0.1))
        );
        assert_eq!(
            Duration::from_millis(1500).into_literal().unwrap(),
            primitive_literal(primitive::Value::Duration(prost_types::Duration {
                seconds: 1,
                nanos: 500_000_000
            }))
        );
        let binary = Bytes::from_static(b"ab").into_literal().unwrap();
        assert_eq!(
            scalar_of(&binary),
            Some(&scalar::Value::Binary(Binary {
                value: b"ab".to_vec(),
                tag: String::new()
            }))
        );
    }

    #[test]
    fn mismatches_say_what_was_expected_and_found() {
        let text = "x".into_literal().unwrap();
        assert_eq!(
            i64::from_literal(&text).unwrap_err().to_string(),
            "expected an integer, found a string"
        );
        assert_eq!(
            bool::from_literal(&1i64.into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected a boolean, found an integer"
        );
        assert_eq!(
            String::from_literal(&Literal::default())
                .unwrap_err()
                .to_string(),
            "expected a string, found an empty literal"
        );
        assert_eq!(
            DateTime::<Utc>::from_literal(&2.0f64.into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected a datetime, found a float"
        );
        assert_eq!(
            i32::from_literal(&1.5f64.into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected an integer, found a float"
        );
        let tagged = msgpack_of(serde_json::json!({"a": 1}));
        assert_eq!(
            Bytes::from_literal(&tagged).unwrap_err().to_string(),
            "expected binary data, found binary data tagged \"msgpack\""
        );
        assert_eq!(
            Duration::from_literal(&vec![1i64].into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected a duration, found a collection"
        );
    }

    #[test]
    fn integers_are_range_checked() {
        let big = 300i64.into_literal().unwrap();
        assert_eq!(
            out_of_range(u8::from_literal(&big).unwrap_err()),
            ("300".into(), "u8")
        );
        let negative = (-1i64).into_literal().unwrap();
        assert_eq!(
            out_of_range(u64::from_literal(&negative).unwrap_err()),
            ("-1".into(), "u64")
        );
        assert_eq!(
            out_of_range(usize::from_literal(&negative).unwrap_err()).1,
            "usize"
        );
        let low = (-129i64).into_literal().unwrap();
        assert_eq!(
            i8::from_literal(&low).unwrap_err().to_string(),
            "-129 does not fit in i8"
        );
        assert_eq!(
            out_of_range(u64::MAX.into_literal().unwrap_err()),
            ("18446744073709551615".into(), "a Flyte integer (i64)")
        );
        assert_eq!(
            u64::from_literal(&(i64::MAX as u64).into_literal().unwrap()).unwrap(),
            i64::MAX as u64
        );
    }

    #[test]
    fn floats_read_integers_and_check_f32_range() {
        assert_eq!(
            f64::from_literal(&7i64.into_literal().unwrap()).unwrap(),
            7.0
        );
        assert_eq!(
            f32::from_literal(&7i64.into_literal().unwrap()).unwrap(),
            7.0
        );
        let huge = 1e300f64.into_literal().unwrap();
        assert_eq!(out_of_range(f32::from_literal(&huge).unwrap_err()).1, "f32");
        assert!(
            f64::from_literal(&f64::NAN.into_literal().unwrap())
                .unwrap()
                .is_nan()
        );
    }

    #[test]
    fn negative_and_invalid_durations_are_out_of_range() {
        let negative = primitive_literal(primitive::Value::Duration(prost_types::Duration {
            seconds: -1,
            nanos: -500_000_000,
        }));
        assert_eq!(
            Duration::from_literal(&negative).unwrap_err(),
            LiteralError::OutOfRange {
                value: "-1.5s".into(),
                target: "std::time::Duration"
            }
        );
        let bad_nanos = primitive_literal(primitive::Value::Duration(prost_types::Duration {
            seconds: 1,
            nanos: 1_000_000_000,
        }));
        assert!(matches!(
            Duration::from_literal(&bad_nanos),
            Err(LiteralError::OutOfRange { .. })
        ));
        let too_long = Duration::new(u64::MAX, 0);
        assert!(matches!(
            too_long.into_literal(),
            Err(LiteralError::OutOfRange { .. })
        ));
    }

    #[test]
    fn invalid_timestamps_are_out_of_range() {
        let bad = primitive_literal(primitive::Value::Datetime(prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        }));
        assert_eq!(
            out_of_range(DateTime::<Utc>::from_literal(&bad).unwrap_err()).1,
            "chrono::DateTime<Utc>"
        );
        let far = primitive_literal(primitive::Value::Datetime(prost_types::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        }));
        assert!(DateTime::<Utc>::from_literal(&far).is_err());
    }

    #[test]
    fn offloaded_literals_are_refused() {
        for err in [
            i64::from_literal(&offloaded("s3://bucket/x")).unwrap_err(),
            String::from_literal(&offloaded("s3://bucket/x")).unwrap_err(),
            Bytes::from_literal(&offloaded("s3://bucket/x")).unwrap_err(),
            Duration::from_literal(&union_of(offloaded("s3://bucket/x"))).unwrap_err(),
        ] {
            assert_eq!(
                err,
                LiteralError::Offloaded {
                    uri: "s3://bucket/x".into()
                }
            );
        }
    }

    #[test]
    fn unions_are_unwrapped() {
        let wrapped = union_of(union_of(5i64.into_literal().unwrap()));
        assert_eq!(i64::from_literal(&wrapped).unwrap(), 5);
        assert_eq!(
            String::from_literal(&union_of("s".into_literal().unwrap())).unwrap(),
            "s"
        );
    }

    #[test]
    fn values_cut_out_of_a_dataclass_are_read_from_msgpack() {
        assert_eq!(
            i64::from_literal(&msgpack_of(serde_json::json!(3))).unwrap(),
            3
        );
        assert_eq!(
            u64::from_literal(&msgpack_of(serde_json::json!(u64::MAX))).unwrap(),
            u64::MAX
        );
        assert_eq!(
            u8::from_literal(&msgpack_of(serde_json::json!(256)))
                .unwrap_err()
                .to_string(),
            "256 does not fit in u8"
        );
        assert_eq!(
            f64::from_literal(&msgpack_of(serde_json::json!(2))).unwrap(),
            2.0
        );
        assert_eq!(
            String::from_literal(&msgpack_of(serde_json::json!("n"))).unwrap(),
            "n"
        );
        assert!(bool::from_literal(&msgpack_of(serde_json::json!(true))).unwrap());
        assert_eq!(
            i64::from_literal(&msgpack_of(serde_json::json!("3")))
                .unwrap_err()
                .to_string(),
            "expected an integer, found a msgpack string"
        );
        assert_eq!(
            DateTime::<Utc>::from_literal(&msgpack_of(serde_json::json!(
                "2024-01-02T03:04:05.000006+00:00"
            )))
            .unwrap(),
            DateTime::from_timestamp(1_704_164_645, 6_000).unwrap()
        );
        assert_eq!(
            DateTime::<Utc>::from_literal(&msgpack_of(serde_json::json!("2024-01-02T00:00:00")))
                .unwrap(),
            DateTime::from_timestamp(1_704_153_600, 0).unwrap()
        );
        assert_eq!(
            DateTime::<Utc>::from_literal(&msgpack_of(serde_json::json!("yesterday")))
                .unwrap_err()
                .to_string(),
            "expected a datetime, found the msgpack string \"yesterday\""
        );
        assert_eq!(
            Duration::from_literal(&msgpack_of(serde_json::json!(86400.000005))).unwrap(),
            Duration::new(86_400, 5_000)
        );
        assert!(matches!(
            Duration::from_literal(&msgpack_of(serde_json::json!(-1.5))),
            Err(LiteralError::OutOfRange { .. })
        ));
    }
}
