//! `impl Trait` in an agent method's parameter or return type.

use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    pub fn execute(
        &self,
        _task: impl Into<TaskContext>,
    ) -> impl std::future::Future<Output = Result<Resource, AgentError>> {
        async { Ok(Resource::succeeded()) }
    }
}

fn main() {}
