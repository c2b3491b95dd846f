//! A method's `#[cfg]` is copied onto the trait method that calls it.

use agent_core::prelude::*;
use agent_core::{AsyncAgent, ErrorKind, LogsQuery};

#[derive(Default)]
pub struct ConfiguredAgent;

#[async_agent(task_type = "configured")]
impl ConfiguredAgent {
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

#[tokio::main]
async fn main() {
    let error = AsyncAgent::get_logs(&ConfiguredAgent, (), LogsQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unimplemented);
}
