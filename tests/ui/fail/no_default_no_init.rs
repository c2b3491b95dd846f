use agent_core::prelude::*;

pub struct ChatAgent {
    pub api_key: String,
}

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(self.api_key.clone()))
    }
}

fn main() {}
