//! `get` and `delete` with the request's `Connection` as a second parameter,
//! or without it; async and plain `fn` alike.

use std::sync::Mutex;

use agent_core::prelude::*;
use agent_core::{AsyncAgent, Connection};

#[derive(Default)]
pub struct WarehouseAgent {
    deleted_in: Mutex<Option<String>>,
}

#[async_agent(task_type = "warehouse")]
impl WarehouseAgent {
    async fn create(&self, _task: TaskContext) -> Result<String, AgentError> {
        Ok("query-1".to_string())
    }

    async fn get(&self, query: String, connection: Connection) -> Result<Resource, AgentError> {
        let region = connection.config("region").unwrap_or("nowhere");
        Ok(Resource::succeeded().message(format!("{query} in {region}")))
    }

    fn delete(&self, _query: String, connection: agent_core::Connection) -> Result<(), AgentError> {
        *self.deleted_in.lock().unwrap() = connection.config("region").map(str::to_string);
        Ok(())
    }
}

#[derive(Default)]
pub struct PlainAgent;

#[async_agent(task_type = "plain")]
impl PlainAgent {
    async fn create(&self, _task: TaskContext) -> Result<u8, AgentError> {
        Ok(1)
    }

    fn get(&self, _job: u8, connection: Connection) -> Result<Resource, AgentError> {
        let key = connection.secret_value("api_key").unwrap_or_default();
        Ok(Resource::succeeded().message(key.to_string()))
    }

    async fn delete(&self, _job: u8) -> Result<(), AgentError> {
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    let connection = Connection::default()
        .with_config("region", "eu-west-1")
        .with_secret("api_key", "sk-1");
    let agent = WarehouseAgent::default();
    let resource = AsyncAgent::get(&agent, "query-1".to_string(), connection.clone())
        .await
        .unwrap();
    assert_eq!(resource.message_text(), "query-1 in eu-west-1");
    AsyncAgent::delete(&agent, "query-1".to_string(), connection.clone())
        .await
        .unwrap();
    assert_eq!(
        agent.deleted_in.lock().unwrap().as_deref(),
        Some("eu-west-1")
    );

    let resource = AsyncAgent::get(&PlainAgent, 1, connection.clone())
        .await
        .unwrap();
    assert_eq!(resource.message_text(), "sk-1");
    AsyncAgent::delete(&PlainAgent, 1, connection)
        .await
        .unwrap();
}
