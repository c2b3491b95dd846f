use agent_core::prelude::*;

#[sync_agent(task_type = "chatgpt")]
pub async fn execute(_task: TaskContext) -> Result<Resource, AgentError> {
    Ok(Resource::succeeded())
}

fn main() {}
