//! A second parameter of `get` that is not the request's `Connection`.

use agent_core::prelude::*;

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    pub async fn create(&self, _task: TaskContext) -> Result<u32, AgentError> {
        Ok(1)
    }

    pub async fn get(&self, _job: u32, _verbose: bool) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: u32) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {}
