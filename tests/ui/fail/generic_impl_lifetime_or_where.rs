//! An impl block with only lifetime parameters, or with a `where` clause.

use agent_core::prelude::*;

pub struct BorrowingAgent<'a> {
    pub prefix: &'a str,
}

#[sync_agent(task_type = "borrowing", register = false)]
impl<'a> BorrowingAgent<'a> {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(self.prefix))
    }
}

#[derive(Default)]
pub struct BoundedAgent;

#[sync_agent(task_type = "bounded")]
impl BoundedAgent
where
    BoundedAgent: Send,
{
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }
}

fn main() {}
