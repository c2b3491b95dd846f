use agent_core::prelude::*;

pub struct QueryJob {
    pub job_id: String,
}

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    pub async fn create(&self, _task: TaskContext) -> Result<QueryJob, AgentError> {
        Ok(QueryJob { job_id: String::new() })
    }

    pub async fn get(&self, _job: QueryJob) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: QueryJob) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {}
