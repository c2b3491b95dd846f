use agent_core::prelude::*;

pub struct ChatAgent;

impl ChatAgent {
    pub fn new() -> Self {
        ChatAgent
    }
}

#[sync_agent(task_type = "chatgpt", init = Self::new, register = false)]
impl ChatAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
