//! `name`, `idempotent` and `task_category` in the block: the macro writes
//! them from the attribute, so these would be ignored.

use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub fn name(&self) -> String {
        "Chat".to_string()
    }

    pub fn idempotent(&self) -> bool {
        false
    }

    pub fn task_category(&self) -> TaskCategory {
        TaskCategory::new("chatgpt", 1)
    }
}

fn main() {}
