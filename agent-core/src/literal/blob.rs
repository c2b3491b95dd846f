//! Files and directories in blob storage: `Scalar.blob`, a URI and a
//! format, single (a file) or multipart (a directory).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{FromLiteral, IntoLiteral, LiteralError, mismatch, msgpack, resolve, scalar_literal};
use crate::proto::flyteidl::core::{
    Blob, BlobMetadata, BlobType, Literal, blob_type::BlobDimensionality, scalar,
};
use crate::storage::{self, Storage, StorageError};

/// A file in blob storage, `FlyteFile` in flytekit: its URI and format.
///
/// It is a `Scalar.blob` of single dimensionality, and in a
/// [`Dataclass`](super::Dataclass) the map `{"path": uri}`, as flytekit
/// writes both. [`read`](Self::read) and [`upload`](Self::upload) go through
/// [`Storage::current`]: the storage of the server or local runner running
/// the agent.
///
/// ```no_run
/// use agent_core::literal::FlyteFile;
/// use agent_core::prelude::*;
///
/// async fn count_lines(task: &TaskContext) -> Result<Resource, AgentError> {
///     let csv: FlyteFile = task.input("data")?;
///     let text = csv.read().await?;
///     let lines = text.iter().filter(|byte| **byte == b'\n').count();
///     let report = format!("{lines} lines\n");
///     let report = FlyteFile::upload(&task.output_prefix, "report.txt", report).await?;
///     Ok(Resource::succeeded().output("report", report))
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlyteFile {
    /// Where the file is: `s3://bucket/key`, `gs://...`, a local path...
    #[serde(rename = "path")]
    pub uri: String,
    /// Its format, as `FlyteFile[typing.TypeVar("csv")]` declares it; empty
    /// for any file.
    #[serde(skip)]
    pub format: String,
}

impl FlyteFile {
    /// The file at `uri`, of no declared format.
    pub fn new(uri: impl Into<String>) -> Self {
        FlyteFile {
            uri: uri.into(),
            format: String::new(),
        }
    }

    /// Declares the file's format (`csv`, `parquet`...).
    pub fn with_format(mut self, format: impl Into<String>) -> Self {
        self.format = format.into();
        self
    }

    /// The file's contents.
    ///
    /// Fails when the URI is not supported, the storage is not configured
    /// for it, or the file cannot be read.
    pub async fn read(&self) -> Result<Bytes, StorageError> {
        Storage::current().read(&self.uri).await
    }

    /// Writes `bytes` to a new file `name` under `prefix` (a task's
    /// [`output_prefix`](crate::TaskContext::output_prefix), say), and
    /// answers it.
    ///
    /// Fails when the URI is not supported, the storage is not configured
    /// for it, or the file cannot be written.
    pub async fn upload(
        prefix: &str,
        name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<FlyteFile, StorageError> {
        let uri = storage::join(prefix, name);
        Storage::current().write(&uri, bytes.into()).await?;
        Ok(FlyteFile::new(uri))
    }
}

/// A directory in blob storage, `FlyteDirectory` in flytekit: its URI
/// (a prefix holding the files) and format.
///
/// It is a `Scalar.blob` of multipart dimensionality, and in a
/// [`Dataclass`](super::Dataclass) the map `{"path": uri}`, as flytekit
/// writes both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlyteDirectory {
    /// Where the directory is: `s3://bucket/prefix`, a local path...
    #[serde(rename = "path")]
    pub uri: String,
    /// Its format, as `FlyteDirectory[typing.TypeVar("csv")]` declares it;
    /// empty for any directory.
    #[serde(skip)]
    pub format: String,
}

impl FlyteDirectory {
    /// The directory at `uri`, of no declared format.
    pub fn new(uri: impl Into<String>) -> Self {
        FlyteDirectory {
            uri: uri.into(),
            format: String::new(),
        }
    }

    /// Declares the format of the directory's files.
    pub fn with_format(mut self, format: impl Into<String>) -> Self {
        self.format = format.into();
        self
    }
}

/// `Scalar.blob` with a single dimensionality.
impl IntoLiteral for FlyteFile {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(blob_literal(
            self.uri,
            self.format,
            BlobDimensionality::Single,
        ))
    }
}

/// Reads a single `Scalar.blob`, or the `{"path": ...}` map of a file cut
/// out of a dataclass.
impl FromLiteral for FlyteFile {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_blob(literal, BlobDimensionality::Single, "a file")
            .map(|(uri, format)| FlyteFile { uri, format })
    }
}

/// `Scalar.blob` with a multipart dimensionality.
impl IntoLiteral for FlyteDirectory {
    fn into_literal(self) -> Result<Literal, LiteralError> {
        Ok(blob_literal(
            self.uri,
            self.format,
            BlobDimensionality::Multipart,
        ))
    }
}

/// Reads a multipart `Scalar.blob`, or the `{"path": ...}` map of a
/// directory cut out of a dataclass.
impl FromLiteral for FlyteDirectory {
    fn from_literal(literal: &Literal) -> Result<Self, LiteralError> {
        read_blob(literal, BlobDimensionality::Multipart, "a directory")
            .map(|(uri, format)| FlyteDirectory { uri, format })
    }
}

fn blob_literal(uri: String, format: String, dimensionality: BlobDimensionality) -> Literal {
    scalar_literal(scalar::Value::Blob(Blob {
        metadata: Some(BlobMetadata {
            r#type: Some(BlobType {
                format,
                dimensionality: dimensionality as i32,
            }),
        }),
        uri,
    }))
}

/// The URI and format of a blob of `dimensionality`, or of the
/// `{"path": ...}` map FlytePropeller hands over when it took the blob out
/// of a dataclass.
fn read_blob(
    literal: &Literal,
    dimensionality: BlobDimensionality,
    expected: &'static str,
) -> Result<(String, String), LiteralError> {
    let literal = resolve(literal)?;
    let scalar = super::scalar_of(literal);
    if let Some(scalar::Value::Blob(blob)) = scalar {
        let blob_type = blob
            .metadata
            .as_ref()
            .and_then(|metadata| metadata.r#type.clone())
            .unwrap_or_default();
        if blob_type.dimensionality == dimensionality as i32 {
            return Ok((blob.uri.clone(), blob_type.format));
        }
    } else if let Some(bytes) = msgpack::bytes_of(scalar) {
        let path: PathOnly = msgpack::deserialize(bytes, expected)?;
        return Ok((path.path, String::new()));
    }
    Err(mismatch(expected, literal))
}

/// A file or directory as flytekit writes it in a dataclass.
#[derive(Deserialize)]
struct PathOnly {
    path: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::tests::union_of;

    #[test]
    fn files_and_directories_round_trip() {
        let file = FlyteFile::new("s3://b/k.csv").with_format("csv");
        assert_eq!(
            FlyteFile::from_literal(&file.clone().into_literal().unwrap()).unwrap(),
            file
        );
        let dir = FlyteDirectory::new("gs://b/dir");
        assert_eq!(
            FlyteDirectory::from_literal(&union_of(dir.clone().into_literal().unwrap())).unwrap(),
            dir
        );
    }

    #[test]
    fn a_directory_is_not_a_file_nor_the_reverse() {
        let dir = FlyteDirectory::new("s3://b/d").into_literal().unwrap();
        assert_eq!(
            FlyteFile::from_literal(&dir).unwrap_err().to_string(),
            "expected a file, found a directory"
        );
        let file = FlyteFile::new("s3://b/f").into_literal().unwrap();
        assert_eq!(
            FlyteDirectory::from_literal(&file).unwrap_err().to_string(),
            "expected a directory, found a file"
        );
        assert_eq!(
            FlyteFile::from_literal(&1i64.into_literal().unwrap())
                .unwrap_err()
                .to_string(),
            "expected a file, found an integer"
        );
    }

    #[test]
    fn files_cut_out_of_a_dataclass_are_read_from_their_path() {
        let cut =
            msgpack::literal(&serde_json::json!({"path": "s3://b/f", "metadata": {}})).unwrap();
        assert_eq!(
            FlyteFile::from_literal(&cut).unwrap(),
            FlyteFile::new("s3://b/f")
        );
        assert_eq!(
            FlyteDirectory::from_literal(&cut).unwrap(),
            FlyteDirectory::new("s3://b/f")
        );
        let other = msgpack::literal(&serde_json::json!({"uri": "s3://b/f"})).unwrap();
        assert_eq!(
            FlyteFile::from_literal(&other).unwrap_err().to_string(),
            "expected a file, found a msgpack map"
        );
    }

    #[tokio::test]
    async fn upload_writes_under_the_prefix_and_read_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("file://{}/run", dir.path().display());
        let file = FlyteFile::upload(&prefix, "out.txt", "hello")
            .await
            .unwrap();
        assert_eq!(file.uri, format!("{prefix}/out.txt"));
        assert_eq!(&file.read().await.unwrap()[..], b"hello");
        let error = FlyteFile::new(format!("{prefix}/missing"))
            .read()
            .await
            .unwrap_err();
        assert!(error.is_not_found(), "{error}");
    }
}
