use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent;

pub trait Execute {
    fn execute(&self, task: TaskContext) -> Result<Resource, AgentError>;
}

#[sync_agent(task_type = "chatgpt")]
impl Execute for ChatAgent {
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
