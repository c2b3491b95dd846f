//! Types named like agent-core's but from elsewhere: `my::TaskContext` and
//! `kube::Resource` are reported at the user's type.

use agent_core::prelude::*;

mod my {
    pub struct TaskContext;
}

mod kube {
    pub struct Resource;
}

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    pub async fn execute(&self, _task: my::TaskContext) -> Result<kube::Resource, AgentError> {
        Ok(kube::Resource)
    }
}

fn main() {}
