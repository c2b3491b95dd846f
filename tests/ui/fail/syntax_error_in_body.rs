//! A syntax error in a method body is reported once, by rustc.

use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        let x = ;
        Ok(Resource::succeeded())
    }
}

fn main() {}
