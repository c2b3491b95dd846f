use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent<C> {
    pub client: C,
}

#[sync_agent(task_type = "chatgpt")]
impl<C: Send + Sync + 'static> ChatAgent<C> {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
