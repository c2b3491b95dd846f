//! Reads the literals flytekit 1.16 writes (`tests/fixtures/flytekit_literals`,
//! made by `generate.py` there) and checks that ours are the same, and that
//! files, directories and data frames carry the types flytekit declares
//! for them.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use agent_core::literal::{
    Dataclass, FlyteDirectory, FlyteFile, FromLiteral, IntoLiteral, LiteralError, StructuredDataset,
};
use agent_core::proto::flyteidl::core::{
    BlobType, Literal, LiteralType, SimpleType, blob_type::BlobDimensionality, literal,
    literal_type, scalar,
};
use chrono::{DateTime, TimeZone, Utc};
use prost::Message;
use serde::{Deserialize, Serialize};

/// Every case `generate.py` writes.
const CASES: &[&str] = &[
    "int",
    "int_negative",
    "float",
    "str",
    "bool",
    "datetime",
    "timedelta",
    "timedelta_negative",
    "list_int",
    "list_list_str",
    "dict_str_float",
    "optional_int_none",
    "optional_int_value",
    "dataclass",
    "dataclass_old",
    "list_dataclass",
    "untyped_dict",
    "untyped_dict_old",
    "flyte_file",
    "flyte_file_csv",
    "flyte_directory",
    "flyte_directory_csv",
    "structured_dataset",
    "structured_dataset_columns",
    "dataclass_files",
];

/// The URIs `generate.py` gives its file, directory and data frame.
const REPORT: &str = "s3://bucket/data/report.csv";
const FOLDER: &str = "s3://bucket/data/dir";
const TABLE: &str = "s3://bucket/data/table";

/// `Inner` in `generate.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    a: i64,
    b: String,
}

/// `Outer` in `generate.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Outer {
    name: String,
    count: i64,
    ratio: f64,
    tags: Vec<String>,
    inner: Inner,
    maybe: Option<i64>,
}

/// `Files` in `generate.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Files {
    report: FlyteFile,
    folder: FlyteDirectory,
    table: StructuredDataset,
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

fn untyped() -> serde_json::Value {
    serde_json::json!({"a": 1, "b": [1, 2.5, "x"], "c": {"d": null, "e": true}})
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flytekit_literals")
}

fn bytes_of(name: &str) -> Vec<u8> {
    let path = fixtures().join(format!("{name}.pb"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> Literal {
    Literal::decode(bytes_of(name).as_slice()).unwrap_or_else(|e| panic!("{name}.pb: {e}"))
}

/// The literal type flytekit declares for the Python type of case `name`.
fn literal_type(name: &str) -> literal_type::Type {
    let path = fixtures().join(format!("{name}.type.pb"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    LiteralType::decode(bytes.as_slice())
        .unwrap_or_else(|e| panic!("{name}.type.pb: {e}"))
        .r#type
        .unwrap_or_else(|| panic!("{name}.type.pb: no type"))
}

fn read<T: FromLiteral>(name: &str) -> T {
    T::from_literal(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Our encoding of `value`, byte for byte.
fn encoded(value: impl IntoLiteral) -> Vec<u8> {
    value.into_literal().unwrap().encode_to_vec()
}

/// The scalar a literal holds, or its other value.
fn scalar_of(literal: &Literal) -> &scalar::Value {
    match &literal.value {
        Some(literal::Value::Scalar(s)) => s.value.as_ref().unwrap(),
        other => panic!("not a scalar: {other:?}"),
    }
}

#[test]
fn every_case_in_the_listing_is_tested() {
    let listing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("cases.json")).unwrap()).unwrap();
    let listed: Vec<&str> = listing["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, CASES);
    assert_eq!(listing["flytekit"], "1.16.31");
    for name in CASES {
        fixture(name);
        literal_type(name);
    }
}

#[test]
fn reads_primitives() {
    assert_eq!(read::<i64>("int"), 42);
    assert_eq!(read::<u8>("int"), 42);
    assert_eq!(read::<i64>("int_negative"), -9_007_199_254_740_993);
    assert!(matches!(
        i32::from_literal(&fixture("int_negative")),
        Err(LiteralError::OutOfRange { target: "i32", .. })
    ));
    assert_eq!(read::<f64>("float"), 3.25);
    assert_eq!(read::<f32>("float"), 3.25);
    assert_eq!(read::<f64>("int"), 42.0);
    assert_eq!(read::<String>("str"), "hello, Flyte \u{2713}");
    assert!(read::<bool>("bool"));
    assert_eq!(
        read::<DateTime<Utc>>("datetime"),
        Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap()
            + chrono::Duration::microseconds(123_456)
    );
    assert_eq!(
        read::<Duration>("timedelta"),
        Duration::from_secs(86_400 + 2 * 3_600 + 3) + Duration::from_millis(500)
    );
    assert_eq!(
        Duration::from_literal(&fixture("timedelta_negative")).unwrap_err(),
        LiteralError::OutOfRange {
            value: "-1.5s".into(),
            target: "std::time::Duration",
        }
    );
    assert_eq!(
        i64::from_literal(&fixture("str")).unwrap_err().to_string(),
        "expected an integer, found a string"
    );
}

#[test]
fn reads_collections_and_maps() {
    assert_eq!(read::<Vec<i64>>("list_int"), [1, 2, 3]);
    assert_eq!(
        read::<Vec<Vec<String>>>("list_list_str"),
        vec![
            vec!["a".to_owned()],
            vec![],
            vec!["b".to_owned(), "c".to_owned()]
        ]
    );
    let expected = BTreeMap::from([("a".to_owned(), 1.5), ("b".to_owned(), -2.0)]);
    assert_eq!(read::<BTreeMap<String, f64>>("dict_str_float"), expected);
    assert_eq!(
        read::<HashMap<String, f64>>("dict_str_float"),
        expected.into_iter().collect::<HashMap<_, _>>()
    );
}

#[test]
fn reads_optionals_through_their_union() {
    assert!(matches!(
        scalar_of(&fixture("optional_int_none")),
        scalar::Value::Union(_)
    ));
    assert_eq!(read::<Option<i64>>("optional_int_none"), None);
    assert_eq!(read::<Option<i64>>("optional_int_value"), Some(7));
    assert_eq!(read::<i64>("optional_int_value"), 7);
    assert_eq!(
        i64::from_literal(&fixture("optional_int_none"))
            .unwrap_err()
            .to_string(),
        "expected an integer, found none"
    );
}

#[test]
fn reads_dataclasses_in_both_formats() {
    assert!(
        matches!(scalar_of(&fixture("dataclass")), scalar::Value::Binary(b) if b.tag == "msgpack")
    );
    assert_eq!(read::<Dataclass<Outer>>("dataclass").0, outer());
    assert!(matches!(
        scalar_of(&fixture("dataclass_old")),
        scalar::Value::Generic(_)
    ));
    assert_eq!(read::<Dataclass<Outer>>("dataclass_old").0, outer());
    assert_eq!(
        read::<Vec<Dataclass<Inner>>>("list_dataclass"),
        vec![
            Dataclass(Inner {
                a: 1,
                b: "z".into()
            }),
            Dataclass(Inner {
                a: 2,
                b: "w".into()
            }),
        ]
    );
}

#[test]
fn reads_untyped_dicts_in_both_formats() {
    assert_eq!(
        read::<Dataclass<serde_json::Value>>("untyped_dict").0,
        untyped()
    );
    assert_eq!(
        read::<Dataclass<serde_json::Value>>("untyped_dict_old").0,
        untyped()
    );
}

#[test]
fn encodes_primitives_and_lists_byte_for_byte() {
    assert_eq!(encoded(42i64), bytes_of("int"));
    assert_eq!(encoded(42u8), bytes_of("int"));
    assert_eq!(encoded(-9_007_199_254_740_993i64), bytes_of("int_negative"));
    assert_eq!(encoded(3.25f64), bytes_of("float"));
    assert_eq!(encoded("hello, Flyte \u{2713}"), bytes_of("str"));
    assert_eq!(encoded(true), bytes_of("bool"));
    assert_eq!(
        encoded(read::<DateTime<Utc>>("datetime")),
        bytes_of("datetime")
    );
    assert_eq!(
        encoded(read::<Duration>("timedelta")),
        bytes_of("timedelta")
    );
    assert_eq!(encoded(vec![1i64, 2, 3]), bytes_of("list_int"));
    assert_eq!(
        encoded(vec![vec!["a"], vec![], vec!["b", "c"]]),
        bytes_of("list_list_str")
    );
}

#[test]
fn encodes_maps_and_optionals_like_flytekit() {
    // Protobuf map order is not fixed: compare messages, not bytes.
    let dict = BTreeMap::from([("a".to_owned(), 1.5f64), ("b".to_owned(), -2.0)]);
    assert_eq!(dict.into_literal().unwrap(), fixture("dict_str_float"));

    // flytekit wraps an Optional in a union it types from the interface; we
    // write the value itself, which is what the union holds.
    let union_value = |name: &str| match scalar_of(&fixture(name)) {
        scalar::Value::Union(u) => (**u.value.as_ref().unwrap()).clone(),
        other => panic!("not a union: {other:?}"),
    };
    assert_eq!(
        Some(7i64).into_literal().unwrap(),
        union_value("optional_int_value")
    );
    assert_eq!(
        None::<i64>.into_literal().unwrap(),
        union_value("optional_int_none")
    );
}

#[test]
fn encodes_dataclasses_like_flytekit() {
    // MessagePack: same bytes, since both write fields in declaration order
    // with the smallest encoding of each value.
    assert_eq!(encoded(Dataclass(outer())), bytes_of("dataclass"));
    assert_eq!(
        encoded(vec![
            Dataclass(Inner {
                a: 1,
                b: "z".into()
            }),
            Dataclass(Inner {
                a: 2,
                b: "w".into()
            }),
        ]),
        bytes_of("list_dataclass")
    );
    // Untyped dict: same value once decoded (key order may differ).
    let ours = Dataclass(untyped()).into_literal().unwrap();
    assert_eq!(
        Dataclass::<serde_json::Value>::from_literal(&ours)
            .unwrap()
            .0,
        read::<Dataclass<serde_json::Value>>("untyped_dict").0
    );

    // The old Struct form: the same message.
    assert_eq!(
        Dataclass(outer()).into_struct_literal().unwrap(),
        fixture("dataclass_old")
    );
    // flytekit also tags an untyped dict's Struct with `format: json` metadata.
    let old = fixture("untyped_dict_old");
    assert_eq!(old.metadata.get("format").map(String::as_str), Some("json"));
    assert_eq!(
        scalar_of(&Dataclass(untyped()).into_struct_literal().unwrap()),
        scalar_of(&old)
    );
}

#[test]
fn reads_files_and_directories() {
    assert_eq!(read::<FlyteFile>("flyte_file"), FlyteFile::new(REPORT));
    assert_eq!(
        read::<FlyteFile>("flyte_file_csv"),
        FlyteFile::new(REPORT).with_format("csv")
    );
    assert_eq!(
        read::<FlyteDirectory>("flyte_directory"),
        FlyteDirectory::new(FOLDER)
    );
    assert_eq!(
        read::<FlyteDirectory>("flyte_directory_csv"),
        FlyteDirectory::new(FOLDER).with_format("csv")
    );
    assert_eq!(
        FlyteFile::from_literal(&fixture("flyte_directory"))
            .unwrap_err()
            .to_string(),
        "expected a file, found a directory"
    );
}

#[test]
fn encodes_files_and_directories_byte_for_byte() {
    assert_eq!(encoded(FlyteFile::new(REPORT)), bytes_of("flyte_file"));
    assert_eq!(
        encoded(FlyteFile::new(REPORT).with_format("csv")),
        bytes_of("flyte_file_csv")
    );
    assert_eq!(
        encoded(FlyteDirectory::new(FOLDER)),
        bytes_of("flyte_directory")
    );
    assert_eq!(
        encoded(FlyteDirectory::new(FOLDER).with_format("csv")),
        bytes_of("flyte_directory_csv")
    );
}

#[test]
fn files_and_directories_carry_the_blob_type_flytekit_declares() {
    // flytekit declares `Scalar.blob` types: the literal's blob type is the
    // declared one, format and dimensionality both.
    let blob_type = |literal: Literal| match scalar_of(&literal) {
        scalar::Value::Blob(blob) => blob.metadata.clone().unwrap().r#type.unwrap(),
        other => panic!("not a blob: {other:?}"),
    };
    for (name, ours) in [
        ("flyte_file", FlyteFile::new(REPORT).into_literal()),
        (
            "flyte_file_csv",
            FlyteFile::new(REPORT).with_format("csv").into_literal(),
        ),
        (
            "flyte_directory",
            FlyteDirectory::new(FOLDER).into_literal(),
        ),
        (
            "flyte_directory_csv",
            FlyteDirectory::new(FOLDER)
                .with_format("csv")
                .into_literal(),
        ),
    ] {
        let literal_type::Type::Blob(declared) = literal_type(name) else {
            panic!("{name}: not a blob type");
        };
        assert_eq!(blob_type(ours.unwrap()), declared, "{name}");
    }
    assert_eq!(
        literal_type("flyte_directory"),
        literal_type::Type::Blob(BlobType {
            format: String::new(),
            dimensionality: BlobDimensionality::Multipart as i32,
        })
    );
}

#[test]
fn reads_structured_datasets_with_and_without_columns() {
    let table = read::<StructuredDataset>("structured_dataset");
    assert_eq!(table, StructuredDataset::new(TABLE, "parquet"));
    let typed = read::<StructuredDataset>("structured_dataset_columns");
    assert_eq!(
        (typed.uri.as_str(), typed.format.as_str()),
        (TABLE, "parquet")
    );
    let columns: Vec<(&str, Option<&literal_type::Type>)> = typed
        .columns
        .iter()
        .map(|column| {
            let column_type = column.literal_type.as_ref().and_then(|t| t.r#type.as_ref());
            (column.name.as_str(), column_type)
        })
        .collect();
    assert_eq!(
        columns,
        [
            (
                "a",
                Some(&literal_type::Type::Simple(SimpleType::Integer as i32))
            ),
            (
                "b",
                Some(&literal_type::Type::Simple(SimpleType::String as i32))
            ),
        ]
    );
}

#[test]
fn encodes_structured_datasets_byte_for_byte() {
    assert_eq!(
        encoded(StructuredDataset::new(TABLE, "parquet")),
        bytes_of("structured_dataset")
    );
    let typed = read::<StructuredDataset>("structured_dataset_columns");
    assert_eq!(encoded(typed), bytes_of("structured_dataset_columns"));
}

#[test]
fn structured_datasets_carry_the_columns_flytekit_declares() {
    // The declared type names the columns and leaves the format open; the
    // literal carries the same columns and its format.
    for name in ["structured_dataset", "structured_dataset_columns"] {
        let literal_type::Type::StructuredDatasetType(declared) = literal_type(name) else {
            panic!("{name}: not a structured dataset type");
        };
        assert_eq!(declared.format, "", "{name}");
        assert_eq!(
            read::<StructuredDataset>(name).columns,
            declared.columns,
            "{name}"
        );
    }
}

#[test]
fn reads_and_writes_files_inside_a_dataclass() {
    let files = Files {
        report: FlyteFile::new(REPORT),
        folder: FlyteDirectory::new(FOLDER),
        table: StructuredDataset::new(TABLE, "parquet"),
    };
    assert_eq!(read::<Dataclass<Files>>("dataclass_files").0, files);
    assert_eq!(encoded(Dataclass(files)), bytes_of("dataclass_files"));
}
