use agent_core::prelude::*;
use agent_core::{LogsQuery, TaskLogs};

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    pub async fn create(&self, _task: TaskContext) -> Result<String, AgentError> {
        Ok(String::new())
    }

    pub async fn get(&self, _job: String) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: String) -> Result<(), AgentError> {
        Ok(())
    }

    pub async fn get_log(&self, _job: String, _query: LogsQuery) -> Result<TaskLogs, AgentError> {
        Ok(TaskLogs::default())
    }
}

fn main() {}
