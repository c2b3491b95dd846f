use agent_core::prelude::*;

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    pub async fn get(&self, _job: String) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
