//! agent-core under another name, given with `crate = "..."` (as a string or
//! a bare path). Cargo forbids a second name for agent-core in this package,
//! so the rename is an `extern crate`; `tests/renamed-dependency` renames it
//! in Cargo.toml.

extern crate agent_core as flyte;

use flyte::Connection;
use flyte::prelude::*;
use flyte::registry::RegisteredAgent;

#[derive(Default)]
pub struct RenamedAgent;

#[async_agent(task_type = "renamed", crate = "flyte")]
impl RenamedAgent {
    async fn create(&self, _task: TaskContext) -> Result<u64, AgentError> {
        Ok(7)
    }

    async fn get(&self, job: u64) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(job.to_string()))
    }

    async fn delete(&self, _job: u64) -> Result<(), AgentError> {
        Ok(())
    }
}

#[derive(Default)]
pub struct RenamedSyncAgent;

#[sync_agent(task_type = "renamed_sync", crate = flyte)]
impl RenamedSyncAgent {
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

#[tokio::main]
async fn main() {
    let registry = flyte::Registry::collected().unwrap();
    let Ok(RegisteredAgent::Async(agent)) = registry.get(&TaskCategory::new("renamed", 0)) else {
        panic!("RenamedAgent is not registered");
    };
    let metadata = agent.create(Box::default()).await.unwrap();
    assert_eq!(
        agent
            .get(&metadata, Connection::default())
            .await
            .unwrap()
            .message_text(),
        "7"
    );
    assert!(registry.get(&TaskCategory::new("renamed_sync", 0)).is_ok());
}
