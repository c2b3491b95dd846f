//! An async agent with a helper method: collected into the registry, and
//! create, get and delete reach the user's methods.

use agent_core::Connection;
use agent_core::prelude::*;
use agent_core::registry::RegisteredAgent;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryJob {
    pub job_id: String,
}

#[derive(Default)]
pub struct BigQueryAgent;

#[async_agent(task_type = "bigquery")]
impl BigQueryAgent {
    async fn create(&self, task: TaskContext) -> Result<QueryJob, AgentError> {
        Ok(QueryJob {
            job_id: self.job_id(task.task_type()),
        })
    }

    async fn get(&self, job: QueryJob) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(job.job_id))
    }

    async fn delete(&self, job: QueryJob) -> Result<(), AgentError> {
        assert_eq!(job.job_id, "job-");
        Ok(())
    }

    /// A helper, left alone by the macro.
    fn job_id(&self, task_type: &str) -> String {
        format!("job-{task_type}")
    }
}

#[tokio::main]
async fn main() {
    let registry = agent_core::Registry::collected().unwrap();
    let Ok(RegisteredAgent::Async(agent)) = registry.get(&TaskCategory::new("bigquery", 0)) else {
        panic!("BigQueryAgent is not registered as an async agent");
    };
    assert_eq!(agent.name(), "BigQueryAgent");
    assert!(agent.idempotent());
    let metadata = agent.create(Box::default()).await.unwrap();
    assert_eq!(metadata, br#"{"job_id":"job-"}"#);
    let resource = agent.get(&metadata, Connection::default()).await.unwrap();
    assert_eq!(resource.phase(), Phase::Succeeded);
    assert_eq!(resource.message_text(), "job-");
    agent
        .delete(&metadata, Connection::default())
        .await
        .unwrap();
}
