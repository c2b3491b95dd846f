//! A sync agent whose method has Flyte's name, `do`, written `r#do`.

use agent_core::prelude::*;
use agent_core::registry::RegisteredAgent;

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt")]
impl ChatAgent {
    async fn r#do(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message("done"))
    }
}

#[tokio::main]
async fn main() {
    let registry = agent_core::Registry::collected().unwrap();
    let Ok(RegisteredAgent::Sync(agent)) = registry.get(&TaskCategory::new("chatgpt", 0)) else {
        panic!("ChatAgent is not registered as a sync agent");
    };
    let resource = agent.execute(Box::default()).await.unwrap();
    assert_eq!(resource.message_text(), "done");
}
