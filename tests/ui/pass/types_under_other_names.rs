//! Parameter and result types written under aliases or full paths are
//! accepted when they are the right types.

use agent_core::prelude::*;

#[derive(Serialize, Deserialize)]
pub struct Job(u32);

type JobAlias = Job;
type AgentResult<T> = std::result::Result<T, agent_core::AgentError>;

#[derive(Default)]
pub struct AliasAgent;

#[async_agent(task_type = "alias")]
impl AliasAgent {
    async fn create(&self, _task: agent_core::TaskContext) -> AgentResult<Job> {
        Ok(Job(1))
    }

    fn get(&self, job: JobAlias) -> AgentResult<agent_core::Resource> {
        Ok(Resource::succeeded().message(job.0.to_string()))
    }

    async fn delete(self: &Self, _job: self::Job) -> core::result::Result<(), AgentError> {
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    use agent_core::{AsyncAgent, Connection};
    let job = AsyncAgent::create(&AliasAgent, TaskContext::default())
        .await
        .unwrap();
    let resource = AsyncAgent::get(&AliasAgent, job, Connection::default())
        .await
        .unwrap();
    assert_eq!(resource.message_text(), "1");
    AsyncAgent::delete(&AliasAgent, Job(1), Connection::default())
        .await
        .unwrap();
}
