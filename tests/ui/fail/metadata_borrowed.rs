//! A metadata type that borrows: a reference, or a `Cow` with its lifetime
//! elided.

use std::borrow::Cow;

use agent_core::prelude::*;

#[derive(Default)]
pub struct RefAgent;

#[async_agent(task_type = "ref")]
impl RefAgent {
    pub async fn create(&self, _task: TaskContext) -> Result<&'static str, AgentError> {
        Ok("job")
    }

    pub async fn get(&self, _job: &'static str) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: &'static str) -> Result<(), AgentError> {
        Ok(())
    }
}

#[derive(Default)]
pub struct CowAgent;

#[async_agent(task_type = "cow")]
impl CowAgent {
    pub async fn create(&self, _task: TaskContext) -> Result<Cow<str>, AgentError> {
        Ok(Cow::Borrowed("job"))
    }

    pub async fn get(&self, _job: Cow<str>) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    pub async fn delete(&self, _job: Cow<str>) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() {}
