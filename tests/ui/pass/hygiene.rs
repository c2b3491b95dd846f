//! The expansion names everything by absolute path: it compiles without the
//! prelude.

#![no_implicit_prelude]

extern crate agent_core;
extern crate std;
extern crate tokio;

use agent_core::{AgentError, Connection, Resource, TaskContext, async_agent, sync_agent};
use std::default::Default;
use std::result::Result::{self, Ok};
use std::vec::Vec;

#[derive(Default)]
pub struct HygienicAgent;

#[async_agent(task_type = "hygienic")]
impl HygienicAgent {
    async fn create(&self, _task: TaskContext) -> Result<u8, AgentError> {
        Ok(1)
    }

    fn get(&self, _job: u8, _connection: Connection) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    async fn delete(&self, _job: u8) -> Result<(), AgentError> {
        Ok(())
    }

    fn encode_metadata(job: &u8) -> Result<Vec<u8>, AgentError> {
        Ok(std::vec![*job])
    }

    fn decode_metadata(bytes: &[u8]) -> Result<u8, AgentError> {
        Ok(bytes[0])
    }
}

#[derive(Default)]
pub struct HygienicSyncAgent;

#[sync_agent(task_type = "hygienic_sync", idempotency = "off")]
impl HygienicSyncAgent {
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {
    let registry = agent_core::Registry::collected().unwrap();
    std::assert_eq!(registry.len(), 2);
}
