//! The templates of the Python task classes of `examples/python/`, as the
//! real SDKs serialize them (`examples/python/serialize.py`): what a
//! Propeller sends an agent for a task written with flytekit or flyte-sdk.

use std::path::Path;
use std::process::Command;

use agent_core::proto::flyteidl::core;
use prost::Message;

/// The statement of the `sql_query` template, as both SDKs write it (on one line).
pub const SQL_STATEMENT: &str = "SELECT :x + 1 AS answer, :name AS name";

/// The model the `chat_completion` template names.
pub const CHAT_MODEL: &str = "gpt-4o-mini";

/// The templates `serialize.py` writes: `sql_query` (with a database),
/// `sql_query_default_database` (`SELECT 1 AS one`, no database) and
/// `chat_completion`.
pub const NAMES: [&str; 3] = ["sql_query", "sql_query_default_database", "chat_completion"];

/// The SDK that serializes the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// flytekit 1.16: `flyteidl.core.TaskTemplate`s.
    Flytekit,
    /// flyte-sdk 2 (the `flyte` package): `flyteidl2.core.TaskTemplate`s.
    FlyteSdk,
}

/// The serialized templates, in a directory of their own.
pub struct SdkTemplates {
    dir: tempfile::TempDir,
}

impl SdkTemplates {
    /// Serializes the example tasks with `sdk`, run by `python`, the
    /// `sql_query` task naming `database`, the `chat_completion` task
    /// `base_url`.
    ///
    /// # Panics
    /// When the script fails, with its stderr.
    pub fn serialize(python: &Path, sdk: Sdk, database: &str, base_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python/serialize.py");
        let sdk_name = match sdk {
            Sdk::Flytekit => "flytekit",
            Sdk::FlyteSdk => "flyte",
        };
        let output = Command::new(python)
            .arg(&script)
            .args([sdk_name, dir.path().to_str().unwrap()])
            .args(["--database", database, "--base-url", base_url])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{} {} {sdk_name}: {}\n{}",
            python.display(),
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        SdkTemplates { dir }
    }

    /// The template `name` (one of [`NAMES`]). A Flyte 2 template is read
    /// as its Flyte 1 namesake, as the server reads it.
    pub fn template(&self, name: &str) -> core::TaskTemplate {
        let bytes = std::fs::read(self.dir.path().join(format!("{name}.pb"))).unwrap();
        core::TaskTemplate::decode(bytes.as_slice()).unwrap()
    }
}
