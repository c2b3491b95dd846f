use agent_core::prelude::*;

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "", versoin = 1)]
impl BigQueryAgent {
    pub async fn creat(&self, _task: TaskContext) -> Result<String, AgentError> {
        Ok(String::new())
    }

    pub async fn get(&mut self, _job: String) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub fn delete(self) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {}
