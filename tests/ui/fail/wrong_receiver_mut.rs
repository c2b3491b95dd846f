use agent_core::prelude::*;

#[derive(Default)]
pub struct BigQueryAgent {
    started: u32,
}

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    pub async fn create(&mut self, _task: TaskContext) -> Result<u32, AgentError> {
        self.started += 1;
        Ok(self.started)
    }

    pub async fn get(&self, _job: u32) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: u32) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {}
