//! User items whose names the generated code might capture: a type named
//! `bool`, a unit struct named `metadata` (which would turn a parameter of
//! that name into a pattern), a constructor named `construct` with turbofish
//! arguments, and an `init` path whose generic arguments contain a comma.

#![allow(non_camel_case_types)]

use agent_core::prelude::*;
use agent_core::registry::RegisteredAgent;

mod shadowed {
    use agent_core::prelude::*;

    /// Shadows the primitive `bool` in this module.
    pub struct bool;

    /// A unit struct named like a generated parameter.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    pub struct metadata;

    #[derive(Default)]
    pub struct ShadowedAgent;

    #[async_agent(task_type = "shadowed", idempotency = "off")]
    impl ShadowedAgent {
        async fn create(&self, _task: TaskContext) -> Result<metadata, AgentError> {
            let _ = bool;
            Ok(metadata)
        }

        async fn get(&self, _job: metadata) -> Result<Resource, AgentError> {
            Ok(Resource::succeeded())
        }

        async fn delete(&self, _job: metadata) -> Result<(), AgentError> {
            Ok(())
        }
    }
}

pub struct ConstructedAgent(&'static str);

fn construct<T>() -> ConstructedAgent {
    ConstructedAgent(std::any::type_name::<T>())
}

#[sync_agent(task_type = "constructed", init = construct::<u8>)]
impl ConstructedAgent {
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(self.0))
    }
}

pub struct MadeAgent(&'static str);

fn make<A, B>() -> MadeAgent {
    MadeAgent(std::any::type_name::<(A, B)>())
}

#[sync_agent(task_type = "made", init = make::<u8, ()>, version = 1)]
impl MadeAgent {
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(self.0))
    }
}

#[tokio::main]
async fn main() {
    use agent_core::{AsyncAgent, Connection};
    assert!(!AsyncAgent::idempotent(&shadowed::ShadowedAgent));
    let job = AsyncAgent::create(&shadowed::ShadowedAgent, TaskContext::default())
        .await
        .unwrap();
    assert_eq!(job, shadowed::metadata);
    AsyncAgent::get(&shadowed::ShadowedAgent, job, Connection::default())
        .await
        .unwrap();

    let registry = agent_core::Registry::collected().unwrap();
    for (task_type, version, message) in [("constructed", 0, "u8"), ("made", 1, "(u8, ())")] {
        let Ok(RegisteredAgent::Sync(agent)) = registry.get(&TaskCategory::new(task_type, version))
        else {
            panic!("{task_type} is not registered");
        };
        let resource = agent.execute(Box::default()).await.unwrap();
        assert_eq!(resource.message_text(), message);
    }
}
