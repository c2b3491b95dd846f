//! The metadata codec with the metadata by value, and a decoder that
//! answers another type than the metadata.

use agent_core::prelude::*;

#[derive(Default)]
pub struct QueueAgent;

#[async_agent(task_type = "queue")]
impl QueueAgent {
    pub async fn create(&self, _task: TaskContext) -> Result<u64, AgentError> {
        Ok(7)
    }

    pub async fn get(&self, _job: u64) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: u64) -> Result<(), AgentError> {
        Ok(())
    }

    pub fn encode_metadata(job: u64) -> Result<Vec<u8>, AgentError> {
        Ok(job.to_be_bytes().to_vec())
    }

    pub fn decode_metadata(bytes: &[u8]) -> Result<String, AgentError> {
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

fn main() {}
