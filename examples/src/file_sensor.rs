//! An async agent written by hand against [`AsyncAgent`], the layer under
//! `#[async_agent]`: what the macro generates, spelt out. Write agents this
//! way only when you need something the macros do not offer; this one is
//! registered explicitly in `agent-server` with `Registry::builder()`.
//!
//! It is a sensor: the task waits until a file exists. The template's
//! `custom` carries `{"path": "..."}`; the job succeeds, with the output
//! `size` (integer, bytes), once the path exists.

use std::path::PathBuf;

use agent_core::{AgentError, AsyncAgent, Connection, Resource, TaskCategory, TaskContext};
use serde::{Deserialize, Serialize};

/// The file a sensor waits for: the template's `custom` and the job's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchedFile {
    /// The path to wait for.
    pub path: PathBuf,
}

/// Waits until a file exists.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileSensorAgent;

impl AsyncAgent for FileSensorAgent {
    /// What `create` returns; the server sends it to Propeller as JSON.
    type Metadata = WatchedFile;

    fn task_category(&self) -> TaskCategory {
        TaskCategory::new("file_sensor", 0)
    }

    fn name(&self) -> String {
        "File Sensor Agent".to_string()
    }

    async fn create(&self, task: TaskContext) -> Result<WatchedFile, AgentError> {
        task.custom()
    }

    async fn get(
        &self,
        file: WatchedFile,
        _connection: Connection,
    ) -> Result<Resource, AgentError> {
        match tokio::fs::metadata(&file.path).await {
            Ok(found) => Ok(Resource::succeeded().output("size", found.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Resource::running().message(format!("waiting for {}", file.path.display())))
            }
            Err(e) => Err(AgentError::internal(format!(
                "{}: {e}",
                file.path.display()
            ))),
        }
    }

    async fn delete(&self, _file: WatchedFile, _connection: Connection) -> Result<(), AgentError> {
        Ok(())
    }
}
