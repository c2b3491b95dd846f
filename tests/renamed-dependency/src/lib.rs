//! Agents defined through a renamed `agent-core` dependency
//! (`flyte_agents = { package = "agent-core" }`): no `agent_core` name exists
//! in this crate, so a generated path that does not honour `crate = "..."`
//! fails to compile.

use flyte_agents::prelude::*;

/// The metadata of a [`CountingAgent`] job.
#[derive(Debug, Serialize, Deserialize)]
pub struct Count {
    /// The input `n`.
    pub n: i64,
}

/// Answers `o0 = n + 1`.
#[derive(Default)]
pub struct CountingAgent;

#[async_agent(task_type = "renamed_async", crate = "flyte_agents")]
impl CountingAgent {
    async fn create(&self, task: TaskContext) -> Result<Count, AgentError> {
        Ok(Count {
            n: task.input("n")?,
        })
    }

    async fn get(&self, count: Count) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", count.n + 1))
    }

    fn delete(&self, _count: Count) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Answers `o0 = "pong"`.
#[derive(Default)]
pub struct PingAgent;

#[sync_agent(task_type = "renamed_sync", crate = "flyte_agents")]
impl PingAgent {
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", "pong"))
    }
}
