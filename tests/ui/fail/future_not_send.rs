use std::rc::Rc;

use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        let shared = Rc::new(1);
        tokio::task::yield_now().await;
        Ok(Resource::succeeded().message(shared.to_string()))
    }
}

fn main() {}
