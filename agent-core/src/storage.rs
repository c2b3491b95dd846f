//! Reading and writing blobs by URI, through the [`object_store`] crate:
//! `s3://bucket/key`, `gs://bucket/key`, `abfs://`, `abfss://` and `az://`
//! (Azure), `file:///abs/path` and plain local paths.
//!
//! A [`Storage`] is configured from the environment, as object_store's
//! `from_env` builders read it (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `GOOGLE_APPLICATION_CREDENTIALS`,
//! `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`,
//! `AZURE_STORAGE_ACCOUNT_KEY`...), and from the names flytekit reads where
//! they differ, which win over object_store's:
//!
//! | flytekit | object_store |
//! |---|---|
//! | `FLYTE_AWS_ENDPOINT` | `AWS_ENDPOINT_URL` |
//! | `FLYTE_AWS_ACCESS_KEY_ID` | `AWS_ACCESS_KEY_ID` |
//! | `FLYTE_AWS_SECRET_ACCESS_KEY` | `AWS_SECRET_ACCESS_KEY` |
//! | `FLYTE_AZURE_STORAGE_ACCOUNT_NAME` | `AZURE_STORAGE_ACCOUNT_NAME` |
//! | `FLYTE_AZURE_STORAGE_ACCOUNT_KEY` | `AZURE_STORAGE_ACCOUNT_KEY` |
//! | `FLYTE_AZURE_TENANT_ID` | `AZURE_TENANT_ID` |
//! | `FLYTE_AZURE_CLIENT_ID` | `AZURE_CLIENT_ID` |
//! | `FLYTE_AZURE_CLIENT_SECRET` | `AZURE_CLIENT_SECRET` |
//!
//! An `http://` endpoint (an S3-compatible server such as MinIO) is allowed.
//! Each bucket's store is built on first use and reused.
//!
//! ```no_run
//! # async fn demo() -> Result<(), agent_core::storage::StorageError> {
//! use agent_core::storage::Storage;
//!
//! let storage = Storage::default();
//! storage.write("s3://my-bucket/runs/1/report.txt", "done".into()).await?;
//! let text = storage.read("s3://my-bucket/runs/1/report.txt").await?;
//! assert_eq!(&text[..], b"done");
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, ObjectStoreScheme};
use url::Url;

/// flytekit's names of storage settings, and object_store's names of the
/// same settings.
const FLYTEKIT_NAMES: &[(&str, &str)] = &[
    ("FLYTE_AWS_ENDPOINT", "AWS_ENDPOINT_URL"),
    ("FLYTE_AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
    ("FLYTE_AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
    (
        "FLYTE_AZURE_STORAGE_ACCOUNT_NAME",
        "AZURE_STORAGE_ACCOUNT_NAME",
    ),
    (
        "FLYTE_AZURE_STORAGE_ACCOUNT_KEY",
        "AZURE_STORAGE_ACCOUNT_KEY",
    ),
    ("FLYTE_AZURE_TENANT_ID", "AZURE_TENANT_ID"),
    ("FLYTE_AZURE_CLIENT_ID", "AZURE_CLIENT_ID"),
    ("FLYTE_AZURE_CLIENT_SECRET", "AZURE_CLIENT_SECRET"),
];

tokio::task_local! {
    /// The storage of the agent call running on this task.
    static CURRENT: Storage;
}

/// Where blobs are read and written: the stores of every bucket used so
/// far, and the settings they are built with. Clones share the stores.
#[derive(Clone)]
pub struct Storage {
    /// Settings that win over the environment, by environment variable name.
    options: Arc<BTreeMap<String, String>>,
    /// The store of each bucket (`s3://bucket`), built on first use.
    stores: Arc<Mutex<HashMap<String, Arc<dyn ObjectStore>>>>,
}

/// The process-wide storage, configured from the environment: its stores
/// are shared by every clone.
impl Default for Storage {
    fn default() -> Self {
        static PROCESS: OnceLock<Storage> = OnceLock::new();
        PROCESS
            .get_or_init(|| Storage {
                options: Arc::default(),
                stores: Arc::default(),
            })
            .clone()
    }
}

/// Names the settings given with [`Storage::with_option`], never their values.
impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// This storage with the setting `name` (an environment variable name,
    /// as `AWS_ENDPOINT_URL` or `FLYTE_AWS_ENDPOINT`) set to `value`, winning
    /// over the environment. The result builds stores of its own.
    ///
    /// ```
    /// use agent_core::storage::Storage;
    ///
    /// let minio = Storage::default()
    ///     .with_option("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    ///     .with_option("AWS_ACCESS_KEY_ID", "minio")
    ///     .with_option("AWS_SECRET_ACCESS_KEY", "minio123");
    /// ```
    pub fn with_option(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let mut options = (*self.options).clone();
        let name = name.into().to_ascii_uppercase();
        options.insert(object_store_name(&name).to_owned(), value.into());
        Storage {
            options: Arc::new(options),
            stores: Arc::default(),
        }
    }

    /// The storage of the agent call running now: the one its server or
    /// local runner was given. Elsewhere (a task the agent spawned, a test)
    /// the storage of the enclosing [`scope`](Self::scope), or
    /// [`Storage::default`].
    pub fn current() -> Storage {
        CURRENT
            .try_with(Storage::clone)
            .unwrap_or_else(|_| Storage::default())
    }

    /// Runs `future` with this storage as [`Storage::current`], so that
    /// `FlyteFile::read` and `FlyteFile::upload` go through it.
    pub fn scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self.clone(), future)
    }

    /// The bytes stored at `uri`.
    ///
    /// Fails when the URI is not supported, its store cannot be set up, or
    /// the object cannot be read (it is missing, or access is denied).
    pub async fn read(&self, uri: &str) -> Result<Bytes, StorageError> {
        let (store, path, scheme) = self.resolve(uri)?;
        let failed = |error: object_store::Error| StorageError::failed("read", uri, &scheme, error);
        store
            .get(&path)
            .await
            .map_err(failed)?
            .bytes()
            .await
            .map_err(failed)
    }

    /// Stores `bytes` at `uri`, replacing what was there. Local directories
    /// are created as needed.
    ///
    /// Fails when the URI is not supported, its store cannot be set up, or
    /// the object cannot be written.
    pub async fn write(&self, uri: &str, bytes: Bytes) -> Result<(), StorageError> {
        let (store, path, scheme) = self.resolve(uri)?;
        store
            .put(&path, bytes.into())
            .await
            .map_err(|error| StorageError::failed("write", uri, &scheme, error))?;
        Ok(())
    }

    /// The store that holds `uri`, the object's path in it, and its scheme.
    fn resolve(
        &self,
        uri: &str,
    ) -> Result<(Arc<dyn ObjectStore>, Path, ObjectStoreScheme), StorageError> {
        let url = to_url(uri)?;
        let (scheme, path) = ObjectStoreScheme::parse(&url).map_err(|_| {
            StorageError::new(
                uri,
                format!(
                    "the scheme {}:// is not supported; {SUPPORTED}",
                    url.scheme()
                ),
            )
        })?;
        let key = match scheme {
            ObjectStoreScheme::Local => "file://".to_owned(),
            _ => format!("{}://{}", url.scheme(), url.authority()),
        };
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        let store = match stores.get(&key) {
            Some(store) => Arc::clone(store),
            None => {
                let store = self.build(&scheme, &url).map_err(|cause| {
                    StorageError::new(
                        uri,
                        format!(
                            "cannot set up its store: {cause}; {}",
                            configuration_hint(&scheme)
                        ),
                    )
                })?;
                stores.insert(key, Arc::clone(&store));
                store
            }
        };
        Ok((store, path, scheme))
    }

    /// A store for the bucket of `url`.
    fn build(&self, scheme: &ObjectStoreScheme, url: &Url) -> Result<Arc<dyn ObjectStore>, String> {
        let store: Arc<dyn ObjectStore> = match scheme {
            ObjectStoreScheme::Local => Arc::new(LocalFileSystem::new()),
            ObjectStoreScheme::AmazonS3 => {
                let builder = configure(
                    AmazonS3Builder::from_env(),
                    self.settings("AWS_"),
                    |builder, key, value| builder.with_config(key, value),
                )
                .with_url(url.as_str());
                let builder = match is_http(builder.get_config_value(&AmazonS3ConfigKey::Endpoint))
                {
                    true => builder.with_allow_http(true),
                    false => builder,
                };
                Arc::new(builder.build().map_err(|e| e.to_string())?)
            }
            ObjectStoreScheme::GoogleCloudStorage => {
                let builder = configure(
                    GoogleCloudStorageBuilder::from_env(),
                    self.settings("GOOGLE_"),
                    |builder, key, value| builder.with_config(key, value),
                )
                .with_url(url.as_str());
                Arc::new(builder.build().map_err(|e| e.to_string())?)
            }
            ObjectStoreScheme::MicrosoftAzure => {
                let builder = configure(
                    MicrosoftAzureBuilder::from_env(),
                    self.settings("AZURE_"),
                    |builder, key, value| builder.with_config(key, value),
                )
                .with_url(url.as_str());
                let builder = match is_http(builder.get_config_value(&AzureConfigKey::Endpoint)) {
                    true => builder.with_allow_http(true),
                    false => builder,
                };
                Arc::new(builder.build().map_err(|e| e.to_string())?)
            }
            _ => {
                return Err(format!(
                    "the scheme {}:// is not supported; {SUPPORTED}",
                    url.scheme()
                ));
            }
        };
        Ok(store)
    }

    /// The settings named `prefix...` that win over object_store's own
    /// reading of the environment: flytekit's names found in the
    /// environment, then the options given.
    fn settings(&self, prefix: &str) -> Vec<(String, String)> {
        let flytekit = FLYTEKIT_NAMES.iter().filter_map(|(flytekit, ours)| {
            let value = std::env::var(flytekit).ok()?;
            Some(((*ours).to_owned(), value))
        });
        let options = self
            .options
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()));
        flytekit
            .chain(options)
            .filter(|(name, _)| name.starts_with(prefix))
            .collect()
    }
}

/// `builder` with each of `settings` whose name is one of its
/// configuration keys (the environment variable name, lower-cased).
fn configure<B, K: FromStr>(
    builder: B,
    settings: Vec<(String, String)>,
    with_config: impl Fn(B, K, String) -> B,
) -> B {
    settings
        .into_iter()
        .fold(builder, |builder, (name, value)| {
            match name.to_ascii_lowercase().parse() {
                Ok(key) => with_config(builder, key, value),
                Err(_) => builder,
            }
        })
}

/// `name`, or object_store's name for it when it is one of flytekit's.
fn object_store_name(name: &str) -> &str {
    FLYTEKIT_NAMES
        .iter()
        .find(|(flytekit, _)| *flytekit == name)
        .map_or(name, |(_, ours)| ours)
}

fn is_http(endpoint: Option<String>) -> bool {
    endpoint.is_some_and(|endpoint| endpoint.starts_with("http://"))
}

/// What the URIs may look like.
const SUPPORTED: &str = "use s3://, gs://, abfs://, abfss://, az://, file:// or a local path";

/// `uri` as a URL: URIs with a scheme as they are, local paths (relative
/// to the working directory) as `file://` URLs.
fn to_url(uri: &str) -> Result<Url, StorageError> {
    if uri.contains("://") {
        return Url::parse(uri)
            .map_err(|e| StorageError::new(uri, format!("not a valid URI ({e}); {SUPPORTED}")));
    }
    if uri.is_empty() {
        return Err(StorageError::new(
            uri,
            format!("the URI is empty; {SUPPORTED}"),
        ));
    }
    std::path::absolute(uri)
        .ok()
        .and_then(|path| Url::from_file_path(path).ok())
        .ok_or_else(|| StorageError::new(uri, format!("not a valid local path; {SUPPORTED}")))
}

/// What to set to reach the stores of `scheme`.
fn configuration_hint(scheme: &ObjectStoreScheme) -> &'static str {
    match scheme {
        ObjectStoreScheme::AmazonS3 => {
            "set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION (or flytekit's \
             FLYTE_AWS_ACCESS_KEY_ID and FLYTE_AWS_SECRET_ACCESS_KEY), and AWS_ENDPOINT_URL \
             (or FLYTE_AWS_ENDPOINT) for an S3-compatible server"
        }
        ObjectStoreScheme::GoogleCloudStorage => {
            "set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT to a service account \
             key file, or run where the metadata server provides credentials"
        }
        ObjectStoreScheme::MicrosoftAzure => {
            "set AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (or flytekit's \
             FLYTE_AZURE_STORAGE_ACCOUNT_NAME and FLYTE_AZURE_STORAGE_ACCOUNT_KEY), or \
             AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID"
        }
        _ => "check that the path exists and that this process may use it",
    }
}

/// `prefix` and `name` joined by one `/`: `s3://b/run` and `outputs.pb`
/// make `s3://b/run/outputs.pb`.
pub fn join(prefix: &str, name: &str) -> String {
    format!(
        "{}/{}",
        prefix.trim_end_matches('/'),
        name.trim_start_matches('/')
    )
}

/// Why a blob could not be read or written. The message names the URI and
/// says what to check or set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{uri}: {message}")]
pub struct StorageError {
    uri: String,
    message: String,
    not_found: bool,
}

impl StorageError {
    fn new(uri: &str, message: String) -> Self {
        StorageError {
            uri: uri.to_owned(),
            message,
            not_found: false,
        }
    }

    /// A failed read or write of `uri`.
    fn failed(
        action: &str,
        uri: &str,
        scheme: &ObjectStoreScheme,
        error: object_store::Error,
    ) -> Self {
        if matches!(error, object_store::Error::NotFound { .. }) {
            return StorageError {
                uri: uri.to_owned(),
                message: format!("cannot {action} it: there is no object there"),
                not_found: true,
            };
        }
        let hint = match error {
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => configuration_hint(scheme),
            _ => match scheme {
                ObjectStoreScheme::Local => configuration_hint(scheme),
                _ => "check the endpoint and the credentials set for it",
            },
        };
        StorageError::new(uri, format!("cannot {action} it: {error}; {hint}"))
    }

    /// The URI that could not be read or written.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Whether there was no object at the URI.
    pub fn is_not_found(&self) -> bool {
        self.not_found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_puts_one_slash_between() {
        assert_eq!(join("s3://b/run", "outputs.pb"), "s3://b/run/outputs.pb");
        assert_eq!(join("s3://b/run/", "/outputs.pb"), "s3://b/run/outputs.pb");
        assert_eq!(join("/tmp/x", "a"), "/tmp/x/a");
    }

    #[tokio::test]
    async fn local_paths_and_file_urls_are_written_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::default();
        let plain = dir.path().join("a/b/c.bin");
        let plain = plain.to_str().unwrap();
        storage
            .write(plain, Bytes::from_static(b"xyz"))
            .await
            .unwrap();
        assert_eq!(std::fs::read(plain).unwrap(), b"xyz");
        let url = format!("file://{plain}");
        assert_eq!(&storage.read(&url).await.unwrap()[..], b"xyz");
        storage
            .write(&url, Bytes::from_static(b"new"))
            .await
            .unwrap();
        assert_eq!(&storage.read(plain).await.unwrap()[..], b"new");
    }

    #[tokio::test]
    async fn a_missing_object_is_not_found_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nothing.pb");
        let missing = missing.to_str().unwrap();
        let error = Storage::default().read(missing).await.unwrap_err();
        assert!(error.is_not_found());
        assert_eq!(error.uri(), missing);
        assert!(error.to_string().starts_with(missing), "{error}");
        assert!(error.to_string().contains("no object there"), "{error}");
    }

    #[tokio::test]
    async fn unsupported_and_malformed_uris_say_what_is_supported() {
        let storage = Storage::default();
        for uri in ["ftp://host/x", "memory:///x", "", "s3://"] {
            let error = storage.read(uri).await.unwrap_err();
            assert!(
                error.to_string().contains("use s3://, gs://"),
                "{uri}: {error}"
            );
            assert!(!error.is_not_found());
        }
    }

    #[test]
    fn stores_are_built_once_per_bucket() {
        let storage = Storage::default()
            .with_option("AWS_ACCESS_KEY_ID", "k")
            .with_option("AWS_SECRET_ACCESS_KEY", "s")
            .with_option("AWS_REGION", "us-east-1");
        let (first, path, _) = storage.resolve("s3://bucket/a/b.pb").unwrap();
        assert_eq!(path.as_ref(), "a/b.pb");
        let (second, _, _) = storage.resolve("s3://bucket/other").unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        let (third, _, _) = storage.resolve("s3://another/x").unwrap();
        assert!(!Arc::ptr_eq(&first, &third));
        let (local, _, _) = storage.resolve("/tmp/x").unwrap();
        let (local_again, _, _) = storage.resolve("file:///var/y").unwrap();
        assert!(Arc::ptr_eq(&local, &local_again));
    }

    #[test]
    fn flytekit_names_are_object_store_names() {
        assert_eq!(object_store_name("FLYTE_AWS_ENDPOINT"), "AWS_ENDPOINT_URL");
        assert_eq!(object_store_name("AWS_REGION"), "AWS_REGION");
        let storage = Storage::default().with_option("flyte_aws_access_key_id", "k");
        assert_eq!(
            storage.options.get("AWS_ACCESS_KEY_ID").map(String::as_str),
            Some("k")
        );
        assert!(!format!("{storage:?}").contains("\"k\""));
    }

    #[tokio::test]
    async fn scope_sets_the_current_storage() {
        let configured = Storage::default().with_option("AWS_REGION", "eu-west-1");
        let inside = configured.scope(async { Storage::current() }).await;
        assert!(Arc::ptr_eq(&inside.stores, &configured.stores));
        assert!(Arc::ptr_eq(
            &Storage::current().stores,
            &Storage::default().stores
        ));
    }
}
