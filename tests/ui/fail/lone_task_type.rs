//! The task type given without its key.

use agent_core::prelude::*;

#[derive(Default)]
pub struct BigQueryAgent;

#[sync_agent("bigquery")]
impl BigQueryAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
