//! `encode_metadata` and `decode_metadata` in the block replace the JSON
//! codec: here a job id as 8 big-endian bytes. A lifetime parameter on
//! either is fine.

use agent_core::prelude::*;
use agent_core::registry::RegisteredAgent;
use agent_core::{Connection, ErrorKind};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct JobId(u64);

#[derive(Default)]
pub struct QueueAgent;

#[async_agent(task_type = "queue")]
impl QueueAgent {
    async fn create(&self, _task: TaskContext) -> Result<JobId, AgentError> {
        Ok(JobId(7))
    }

    async fn get(&self, job: JobId) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(job.0.to_string()))
    }

    async fn delete(&self, _job: JobId) -> Result<(), AgentError> {
        Ok(())
    }

    fn encode_metadata<'a>(job: &'a JobId) -> Result<Vec<u8>, AgentError> {
        Ok(job.0.to_be_bytes().to_vec())
    }

    fn decode_metadata(bytes: &[u8]) -> Result<JobId, AgentError> {
        let bytes: [u8; 8] = bytes
            .try_into()
            .map_err(|_| AgentError::invalid_argument("resource_meta: expected 8 bytes"))?;
        Ok(JobId(u64::from_be_bytes(bytes)))
    }
}

#[tokio::main]
async fn main() {
    let registry = agent_core::Registry::collected().unwrap();
    let Ok(RegisteredAgent::Async(agent)) = registry.get(&TaskCategory::new("queue", 0)) else {
        panic!("QueueAgent is not registered as an async agent");
    };
    let metadata = agent.create(Box::default()).await.unwrap();
    assert_eq!(metadata, 7_u64.to_be_bytes());
    let resource = agent.get(&metadata, Connection::default()).await.unwrap();
    assert_eq!(resource.message_text(), "7");
    let error = agent.get(b"{}", Connection::default()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}
