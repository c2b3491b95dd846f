//! An agent with fields and no `Default`, built by `init`: a path to a
//! `fn() -> Self`, `Self::...` or a free function.

use std::collections::HashMap;
use std::sync::Mutex;

use agent_core::Connection;
use agent_core::prelude::*;
use agent_core::registry::RegisteredAgent;

pub struct SparkAgent {
    endpoint: String,
    jobs: Mutex<HashMap<u32, String>>,
}

impl SparkAgent {
    fn from_env() -> Self {
        SparkAgent {
            endpoint: "http://spark:7077".to_string(),
            jobs: Mutex::new(HashMap::new()),
        }
    }
}

#[async_agent(task_type = "spark", version = 3, init = Self::from_env)]
impl SparkAgent {
    async fn create(&self, _task: TaskContext) -> Result<u32, AgentError> {
        let mut jobs = self.jobs.lock().unwrap();
        let id = jobs.len() as u32;
        jobs.insert(id, self.endpoint.clone());
        Ok(id)
    }

    async fn get(&self, id: u32) -> Result<Resource, AgentError> {
        let endpoint = self.jobs.lock().unwrap()[&id].clone();
        Ok(Resource::running().message(endpoint))
    }

    async fn delete(&self, id: u32) -> Result<(), AgentError> {
        self.jobs.lock().unwrap().remove(&id);
        Ok(())
    }
}

pub struct RayAgent {
    cluster: &'static str,
}

fn construct() -> RayAgent {
    RayAgent {
        cluster: "ray-head",
    }
}

#[sync_agent(task_type = "ray", init = construct)]
impl RayAgent {
    async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(self.cluster))
    }
}

#[tokio::main]
async fn main() {
    let registry = agent_core::Registry::collected().unwrap();
    let Ok(RegisteredAgent::Async(agent)) = registry.get(&TaskCategory::new("spark", 3)) else {
        panic!("SparkAgent is not registered for version 3");
    };
    let metadata = agent.create(Box::default()).await.unwrap();
    let resource = agent.get(&metadata, Connection::default()).await.unwrap();
    assert_eq!(resource.message_text(), "http://spark:7077");
    agent
        .delete(&metadata, Connection::default())
        .await
        .unwrap();

    let Ok(RegisteredAgent::Sync(agent)) = registry.get(&TaskCategory::new("ray", 0)) else {
        panic!("RayAgent is not registered");
    };
    let resource = agent.execute(Box::default()).await.unwrap();
    assert_eq!(resource.message_text(), "ray-head");
}
