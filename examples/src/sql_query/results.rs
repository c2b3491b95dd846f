//! A query's rows, gathered as they come: kept to be answered inline while
//! they are few and small, turned into a CSV file once they are not.

use std::collections::BTreeMap;

use agent_core::IntoLiteral;
use agent_core::literal::LiteralError;
use agent_core::proto::flyteidl::core::Literal;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rusqlite::types::Value;

/// Results answered inline may have at most this many rows and bytes of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InlineLimits {
    /// Rows at most.
    pub rows: usize,
    /// Bytes of values at most (a number counts 8, a NULL 1).
    pub bytes: usize,
}

/// A query's results once every row is read.
#[derive(Debug)]
pub enum Results {
    /// Few and small: one map of column to value per row.
    Inline(Vec<BTreeMap<String, Literal>>),
    /// Too many or too large: a CSV file, with a header line.
    Csv {
        /// The file's bytes.
        bytes: Vec<u8>,
        /// How many rows it holds.
        rows: usize,
    },
}

/// Gathers rows, and switches to CSV when they pass the inline limits.
pub struct Collector {
    columns: Vec<String>,
    limits: InlineLimits,
    rows: Vec<Vec<Value>>,
    bytes: usize,
    csv: Option<csv::Writer<Vec<u8>>>,
    csv_rows: usize,
}

impl Collector {
    /// A collector of rows of `columns`.
    pub fn new(columns: Vec<String>, limits: InlineLimits) -> Self {
        Collector {
            columns,
            limits,
            rows: Vec::new(),
            bytes: 0,
            csv: None,
            csv_rows: 0,
        }
    }

    /// Adds a row, its values in the columns' order.
    pub fn push(&mut self, row: Vec<Value>) -> Result<(), csv::Error> {
        if let Some(writer) = &mut self.csv {
            self.csv_rows += 1;
            return writer.write_record(row.iter().map(csv_field));
        }
        self.bytes += row.iter().map(value_bytes).sum::<usize>();
        self.rows.push(row);
        if self.rows.len() > self.limits.rows || self.bytes > self.limits.bytes {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(&self.columns)?;
            for row in self.rows.drain(..) {
                writer.write_record(row.iter().map(csv_field))?;
                self.csv_rows += 1;
            }
            self.csv = Some(writer);
        }
        Ok(())
    }

    /// The results, inline or as CSV.
    pub fn finish(self) -> Result<Results, CollectError> {
        if let Some(writer) = self.csv {
            let bytes = writer
                .into_inner()
                .map_err(|e| CollectError::Csv(e.into_error().into()))?;
            return Ok(Results::Csv {
                bytes,
                rows: self.csv_rows,
            });
        }
        let columns = self.columns;
        let rows = self
            .rows
            .into_iter()
            .map(|row| {
                columns
                    .iter()
                    .zip(row)
                    .map(|(column, value)| Ok((column.clone(), cell_literal(value)?)))
                    .collect::<Result<BTreeMap<_, _>, LiteralError>>()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(CollectError::Literal)?;
        Ok(Results::Inline(rows))
    }
}

/// Why results could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The CSV file could not be written.
    #[error("cannot write the results as CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A value could not become a literal.
    #[error("cannot answer the results: {0}")]
    Literal(LiteralError),
}

/// An SQL value as a Flyte literal: integer, float, string, `None` for NULL,
/// and a blob as its base64 string.
fn cell_literal(value: Value) -> Result<Literal, LiteralError> {
    match value {
        Value::Null => Option::<i64>::None.into_literal(),
        Value::Integer(value) => value.into_literal(),
        Value::Real(value) => value.into_literal(),
        Value::Text(value) => value.into_literal(),
        Value::Blob(value) => BASE64.encode(value).into_literal(),
    }
}

/// An SQL value as a CSV field: NULL empty, a blob as base64.
fn csv_field(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Integer(value) => value.to_string(),
        Value::Real(value) => value.to_string(),
        Value::Text(value) => value.clone(),
        Value::Blob(value) => BASE64.encode(value),
    }
}

fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Null => 1,
        Value::Integer(_) | Value::Real(_) => 8,
        Value::Text(text) => text.len(),
        Value::Blob(blob) => blob.len(),
    }
}

#[cfg(test)]
mod tests {
    use agent_core::FromLiteral;

    use super::*;

    fn collect(rows: usize, limits: InlineLimits) -> Results {
        let mut collector = Collector::new(vec!["n".into(), "label".into()], limits);
        for n in 0..rows {
            let n = i64::try_from(n).unwrap();
            collector
                .push(vec![Value::Integer(n), Value::Text(format!("row, {n}"))])
                .unwrap();
        }
        collector.finish().unwrap()
    }

    const LIMITS: InlineLimits = InlineLimits {
        rows: 3,
        bytes: 1000,
    };

    #[test]
    fn few_rows_are_answered_inline() {
        let Results::Inline(rows) = collect(3, LIMITS) else {
            panic!("inline results")
        };
        assert_eq!(rows.len(), 3);
        assert_eq!(i64::from_literal(&rows[2]["n"]).unwrap(), 2);
        assert_eq!(String::from_literal(&rows[2]["label"]).unwrap(), "row, 2");
    }

    #[test]
    fn more_rows_than_the_limit_become_csv_with_a_header() {
        let Results::Csv { bytes, rows } = collect(5, LIMITS) else {
            panic!("CSV results")
        };
        assert_eq!(rows, 5);
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().next(), Some("n,label"));
        assert_eq!(text.lines().nth(5), Some("4,\"row, 4\""));
    }

    #[test]
    fn large_values_become_csv_too() {
        let limits = InlineLimits {
            rows: 100,
            bytes: 20,
        };
        assert!(matches!(collect(2, limits), Results::Csv { rows: 2, .. }));
    }

    #[test]
    fn null_and_blobs_are_none_and_base64() {
        assert_eq!(
            Option::<i64>::from_literal(&cell_literal(Value::Null).unwrap()).unwrap(),
            None
        );
        let blob = cell_literal(Value::Blob(b"hi".to_vec())).unwrap();
        assert_eq!(String::from_literal(&blob).unwrap(), "aGk=");
    }
}
