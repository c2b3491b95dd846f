//! A method with a lifetime and a type parameter: only the type parameter
//! must go.

use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    pub async fn execute<'a, T>(&'a self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
