use agent_core::prelude::*;

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    pub async fn creat(&self, _task: TaskContext) -> Result<String, AgentError> {
        Ok(String::new())
    }

    pub async fn get(&self, _job: String) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: String) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {}
