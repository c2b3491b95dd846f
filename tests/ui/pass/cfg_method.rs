//! A method's `#[cfg]` is copied onto the trait method that calls it, and
//! methods of one role that `#[cfg]` makes alternatives are both accepted.

use agent_core::prelude::*;
use agent_core::{AsyncAgent, ErrorKind, LogsQuery, SyncAgent};

#[derive(Default)]
pub struct ConfiguredAgent;

#[async_agent(task_type = "configured")]
impl ConfiguredAgent {
    #[cfg(any())]
    async fn create(&self, _task: TaskContext) -> Result<(), AgentError> {
        Err(AgentError::internal("configured out"))
    }

    #[cfg(not(any()))]
    async fn create(&self, _task: TaskContext) -> Result<(), AgentError> {
        Ok(())
    }

    async fn get(&self, _job: ()) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    async fn delete(&self, _job: ()) -> Result<(), AgentError> {
        Ok(())
    }

    #[cfg(any())]
    async fn get_logs(
        &self,
        _job: (),
        _query: LogsQuery,
    ) -> Result<agent_core::TaskLogs, AgentError> {
        Ok(agent_core::TaskLogs::default())
    }
}

#[derive(Default)]
pub struct ConfiguredSyncAgent;

#[sync_agent(task_type = "configured_sync")]
impl ConfiguredSyncAgent {
    #[cfg(any())]
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::failed("configured out"))
    }

    #[cfg(not(any()))]
    fn r#do(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

#[tokio::main]
async fn main() {
    AsyncAgent::create(&ConfiguredAgent, TaskContext::default())
        .await
        .unwrap();
    let error = AsyncAgent::get_logs(&ConfiguredAgent, (), LogsQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unimplemented);
    let resource = SyncAgent::execute(&ConfiguredSyncAgent, TaskContext::default())
        .await
        .unwrap();
    assert_eq!(resource.phase(), Phase::Succeeded);
}
