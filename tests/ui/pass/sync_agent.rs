//! A sync agent with `execute`, collected into the registry.

use agent_core::prelude::*;
use agent_core::registry::RegisteredAgent;

#[derive(Default)]
pub struct EchoAgent;

#[sync_agent(task_type = "echo")]
impl EchoAgent {
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(format!("echo {}", task.output_prefix)))
    }
}

#[tokio::main]
async fn main() {
    let registry = agent_core::Registry::collected().unwrap();
    let Ok(RegisteredAgent::Sync(agent)) = registry.get(&TaskCategory::new("echo", 0)) else {
        panic!("EchoAgent is not registered as a sync agent");
    };
    let task = TaskContext::default().with_output_prefix("s3://out");
    let resource = agent.execute(Box::new(task)).await.unwrap();
    assert_eq!(resource.message_text(), "echo s3://out");
    assert!(registry.agent("EchoAgent").unwrap().is_sync);
}
