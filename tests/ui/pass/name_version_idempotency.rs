//! `name`, `version` and `idempotency = "off"` reach the trait impl and the
//! registry's `ListAgents` answer.

use agent_core::AsyncAgent;
use agent_core::prelude::*;

#[derive(Default)]
pub struct BatchAgent;

#[async_agent(
    task_type = "batch",
    version = 2,
    name = "AWS Batch Agent",
    idempotency = "off"
)]
impl BatchAgent {
    async fn create(&self, _task: TaskContext) -> Result<String, AgentError> {
        Ok(String::new())
    }

    async fn get(&self, _job: String) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    async fn delete(&self, _job: String) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {
    assert_eq!(
        AsyncAgent::task_category(&BatchAgent),
        TaskCategory::new("batch", 2)
    );
    assert_eq!(AsyncAgent::name(&BatchAgent), "AWS Batch Agent");
    assert!(!AsyncAgent::idempotent(&BatchAgent));
    let registry = agent_core::Registry::collected().unwrap();
    let listed = registry
        .agent("AWS Batch Agent")
        .expect("listed under its name");
    assert_eq!(listed.task_categories[0].version, 2);
}
