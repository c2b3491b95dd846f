//! `register = false`: no registry entry and no need for `Default` or
//! `init`; the agent is registered by hand with its configuration.

use agent_core::Connection;
use agent_core::prelude::*;
use agent_core::registry::RegisteredAgent;

pub struct Config {
    pub project: String,
}

pub struct BigQueryAgent {
    project: String,
}

impl BigQueryAgent {
    pub fn new(config: Config) -> Self {
        BigQueryAgent {
            project: config.project,
        }
    }
}

#[async_agent(task_type = "bigquery", register = false)]
impl BigQueryAgent {
    async fn create(&self, _task: TaskContext) -> Result<String, AgentError> {
        Ok(format!("{}:job", self.project))
    }

    async fn get(&self, job: String) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(job))
    }

    async fn delete(&self, _job: String) -> Result<(), AgentError> {
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    assert!(agent_core::Registry::collected().unwrap().is_empty());
    let config = Config {
        project: "analytics".to_string(),
    };
    let registry = agent_core::Registry::builder()
        .async_agent(BigQueryAgent::new(config))
        .build()
        .unwrap();
    let Ok(RegisteredAgent::Async(agent)) = registry.get(&TaskCategory::new("bigquery", 0)) else {
        panic!("BigQueryAgent is not registered");
    };
    let metadata = agent.create(Box::default()).await.unwrap();
    assert_eq!(
        agent
            .get(&metadata, Connection::default())
            .await
            .unwrap()
            .message_text(),
        "analytics:job"
    );
}
