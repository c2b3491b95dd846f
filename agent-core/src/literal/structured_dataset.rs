//! Data frames in blob storage: `Scalar.structured_dataset`, a URI, a file
//! format and, optionally, the columns.

use serde::{Deserialize, Serialize};

use super::{FromLiteral, IntoLiteral, LiteralError, mismatch, msgpack, resolve, scalar_literal};
use crate::proto::flyteidl::core::{
    Literal, StructuredDatasetMetadata, StructuredDatasetType, scalar,
    structured_dataset_type::DatasetColumn,
};

/// A data frame in blob storage, `StructuredDataset` in flytekit: where it
/// is, its file format (`parquet`) and, when the interface declares them,
/// its columns.
///
/// It is a `Scalar.structured_dataset`, and in a
/// [`Dataclass`](super::Dataclass) the map `{"uri": ..., "file_format": ...}`,
/// as flytekit writes both.
///
/// ```
/// use agent_core::literal::{FromLiteral, IntoLiteral, StructuredDataset};
///
/// let table = StructuredDataset::new("s3://bucket/query-results/7", "parquet");
/// let read = StructuredDataset::from_literal(&table.clone().into_literal().unwrap()).unwrap();
/// assert_eq!(read, table);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StructuredDataset {
    /// Where the data is: a file, or a prefix holding its parts.
    pub uri: String,
    /// The file format: `parquet` (flytekit's default), `csv`...
    #[serde(rename = "file_format")]
    pub format: String,
    /// The columns and their types, when known; empty otherwise.
    #[serde(skip)]
    pub columns: Vec<DatasetColumn>,
}

impl StructuredDataset {
    /// The data at `uri`, stored as `format` files, of undeclared columns.
    pub fn new(uri: impl Into<String>, format: impl Into<String>) -> Self {
        StructuredDataset {
            uri: uri.into(),
            format: format.into(),
            columns: Vec::new(),
        }
    }
}

/// `Scalar.structured_dataset`.
impl IntoLiteral for StructuredDataset {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(scalar_literal(scalar::Value::StructuredDataset(
            crate::proto::flyteidl::core::StructuredDataset {
                uri: self.uri,
                metadata: Some(StructuredDatasetMetadata {
                    structured_dataset_type: Some(StructuredDatasetType {
                        columns: self.columns,
                        format: self.format,
                        ..Default::default()
                    }),
                }),
            },
        )))
    }
}

/// Reads a `Scalar.structured_dataset`, or the `{"uri", "file_format"}` map
/// of a data frame cut out of a dataclass.
impl FromLiteral for StructuredDataset {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        const EXPECTED: &str = "a structured dataset";
        let literal = resolve(literal)?;
        let scalar = super::scalar_of(literal);
        if let Some(scalar::Value::StructuredDataset(dataset)) = scalar {
            let dataset_type = dataset
                .metadata
                .as_ref()
                .and_then(|metadata| metadata.structured_dataset_type.clone())
                .unwrap_or_default();
            return Ok(StructuredDataset {
                uri: dataset.uri.clone(),
                format: dataset_type.format,
                columns: dataset_type.columns,
            });
        }
        if let Some(bytes) = msgpack::bytes_of(scalar) {
            return msgpack::deserialize(bytes, EXPECTED);
        }
        Err(mismatch(EXPECTED, literal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::flyteidl::core::{LiteralType, SimpleType, literal_type};

    #[test]
    fn datasets_round_trip_with_their_columns() {
        let mut table = StructuredDataset::new("s3://b/t", "parquet");
        table.columns.push(DatasetColumn {
            name: "a".into(),
            literal_type: Some(LiteralType {
                r#type: Some(literal_type::Type::Simple(SimpleType::Integer as i32)),
                ..Default::default()
            }),
        });
        let literal = table.clone().into_literal().unwrap();
        assert_eq!(StructuredDataset::from_literal(&literal).unwrap(), table);
    }

    #[test]
    fn datasets_cut_out_of_a_dataclass_are_read() {
        let cut = msgpack::literal(&serde_json::json!({"uri": "s3://b/t", "file_format": "csv"}))
            .unwrap();
        assert_eq!(
            StructuredDataset::from_literal(&cut).unwrap(),
            StructuredDataset::new("s3://b/t", "csv")
        );
        assert_eq!(
            StructuredDataset::from_literal(&"x".into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected a structured dataset, found a string"
        );
    }
}
