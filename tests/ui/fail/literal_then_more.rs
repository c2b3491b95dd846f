//! A literal followed by more tokens (a missing comma), and values that are
//! not plain string literals, get no made-up suggestion.

use agent_core::prelude::*;

#[derive(Default)]
pub struct ChatAgent;

#[sync_agent(task_type = "chatgpt" version = 1)]
impl ChatAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

#[derive(Default)]
pub struct BytesAgent;

#[sync_agent(task_type = b"bq", name = concat!("Big", "Query"))]
impl BytesAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
