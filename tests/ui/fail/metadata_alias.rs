//! `create` returns an alias that does not end in `Result`, so the macro
//! cannot see the metadata type.

use agent_core::prelude::*;

type Res<T> = Result<T, AgentError>;

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    pub async fn create(&self, _task: TaskContext) -> Res<u32> {
        Ok(1)
    }

    pub async fn get(&self, _job: u32) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: u32) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {}
